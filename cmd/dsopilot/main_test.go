package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/chstore"
	"github.com/dsopilot/dsopilot/datasets/embedded"
	"github.com/dsopilot/dsopilot/features"
	"github.com/dsopilot/dsopilot/model"
)

// call runs the CLI in-process with the given environment.
func call(t *testing.T, vars map[string]string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	e := env{stdout: &out, stderr: &errb, getenv: func(k string) string { return vars[k] }}
	err = run(context.Background(), args, e)
	return out.String(), errb.String(), err
}

// chStore returns a ClickHouse store spec for a fresh database, or skips
// (fails in CI) when no server is configured.
func chStore(t *testing.T) string {
	t.Helper()
	addr := os.Getenv("DSOPILOT_TEST_CLICKHOUSE")
	if addr == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("CI needs DSOPILOT_TEST_CLICKHOUSE: a skipped ClickHouse test is a failure")
		}
		t.Skip("set DSOPILOT_TEST_CLICKHOUSE=clickhouse://127.0.0.1:9000 to run the ClickHouse tests")
	}
	db := fmt.Sprintf("dsopilot_cmd_%d_%s", os.Getpid(), strings.ToLower(strings.NewReplacer("/", "_", "-", "_").Replace(t.Name())))
	spec := strings.TrimSuffix(addr, "/") + "/" + db
	t.Cleanup(func() {
		s, err := chstore.Open(context.Background(), spec, nil)
		if err != nil {
			t.Logf("drop %s: %v", db, err)
			return
		}
		defer s.Close()
		if err := s.Conn().Exec(context.Background(), "DROP DATABASE IF EXISTS "+db); err != nil {
			t.Logf("drop %s: %v", db, err)
		}
	})
	return spec
}

func TestHelpListsEveryCommandAndEveryCommandHasHelp(t *testing.T) {
	out, _, err := call(t, nil, "help")
	if err != nil {
		t.Fatalf("help: %v", err)
	}
	for _, c := range commands() {
		if !strings.Contains(out, c.name) {
			t.Errorf("help does not list %s", c.name)
		}
		if c.name == "version" {
			continue
		}
		out, _, err := call(t, nil, c.name, "--help")
		if !errors.Is(err, errHelp) || !strings.Contains(out, "Usage: dsopilot "+c.name) {
			t.Errorf("%s --help = %v, %q", c.name, err, out)
		}
		if n := strings.Count(out, "Usage:"); n != 1 {
			t.Errorf("%s --help prints its usage %d times", c.name, n)
		}
	}
}

func TestUsageErrorsExitWithTwo(t *testing.T) {
	for _, args := range [][]string{{}, {"bogus"}, {"import"}, {"synth", "--customers", "x"}, {"kpi", "--from", "2024-01-01"}, {"features", "--level", "x", "--as-of", "2024-01-01"},
		{"train", "--as-of", "2024-01-01", "--families", "gbdt,forest"}, {"train", "--as-of", "2024-01-01", "--very-late-days", "0"},
		{"backtest", "--input", "x", "--max-invoices", "0"}, {"train", "--as-of", "2024-01-01", "--fx", "rates.csv"},
		{"kpi", "--from", "2024-01-01", "--to", "2024-02-01", "--currency", "EURO"},
		// Converted first, the groups by currency folded into one.
		{"kpi", "--from", "2024-01-01", "--to", "2024-02-01", "--by", "currency", "--currency", "EUR"},
		// Each of these ran on, or exited 1, before.
		{"stats", "extra"}, {"features", "--as-of", "2024-01-01", "customer"}, {"backtest", "--input", "x", "--split", "2"},
		{"credit", "propose", "--customer", "C1", "--limit", "abc", "--role", "credit_manager"},
		{"credit", "list", "--status", "weird"}, {"policy", "evaluate", "--customers", "0"},
		{"backtest", "--store", "x", "--encoding", "latin1"}} {
		// An existing (empty) store: reading commands refuse a missing one.
		store := t.TempDir()
		if _, _, err := call(t, nil, "db", "migrate", "--store", store); err != nil {
			t.Fatal(err)
		}
		_, _, err := call(t, map[string]string{"DSOPILOT_STORE": store}, args...)
		if exitCode(err) != 2 {
			t.Errorf("%v: exit %d (%v), want 2", args, exitCode(err), err)
		}
	}
}

func TestSynthImportStatsRoundTripIsIdempotent(t *testing.T) {
	dir := t.TempDir()
	ledger := filepath.Join(dir, "ledger")
	if _, _, err := call(t, nil, "synth", "--customers", "40", "--months", "6", "--seed", "3", "--out", ledger); err != nil {
		t.Fatalf("synth: %v", err)
	}
	stores := map[string]string{"embedded": filepath.Join(dir, "store")}
	if os.Getenv("DSOPILOT_TEST_CLICKHOUSE") != "" || os.Getenv("CI") != "" {
		stores["clickhouse"] = chStore(t)
	}
	counts := map[string]string{}
	for name, st := range stores {
		var first string
		for pass := 0; pass < 2; pass++ {
			out, _, err := call(t, nil, "import", "--store", st, "--json", "--rejects", filepath.Join(dir, "rejects.csv"), ledger)
			if err != nil {
				t.Fatalf("%s import %d: %v", name, pass, err)
			}
			var sum struct{ Read, Loaded, Rejected int }
			if err := json.Unmarshal([]byte(out), &sum); err != nil {
				t.Fatalf("%s import summary: %v\n%s", name, err, out)
			}
			if sum.Read == 0 || sum.Loaded != sum.Read || sum.Rejected != 0 {
				t.Fatalf("%s import %d: %+v, want every simulated row loaded", name, pass, sum)
			}
			stats, _, err := call(t, nil, "stats", "--store", st, "--json")
			if err != nil {
				t.Fatalf("%s stats: %v", name, err)
			}
			if pass == 0 {
				first = stats
			} else if stats != first {
				t.Fatalf("%s: counts changed on re-import:\n%s\nvs\n%s", name, first, stats)
			}
		}
		counts[name] = first
	}
	if ch, ok := counts["clickhouse"]; ok && ch != counts["embedded"] {
		t.Fatalf("stores disagree:\nembedded %s\nclickhouse %s", counts["embedded"], ch)
	}
}

func TestImportOfBadRowsReportsThemAndLoadsTheRest(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "invoices.csv")
	body := "customer_id,invoice_id,issue_date,due_date,amount\nC1,I1,2024-01-01,2024-01-31,10\nC1,I2,2024-02-30,2024-03-31,10\n"
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	out, stderr, err := call(t, nil, "import", "--store", filepath.Join(dir, "s"), "--rejects", filepath.Join(dir, "r.csv"), p)
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	if !strings.Contains(stderr, "invoices.csv:3: issue_date") || !strings.Contains(out, "total") {
		t.Fatalf("stdout %q stderr %q: want a summary and the reject at line 3", out, stderr)
	}
}

// simulated returns a small simulated ledger directory, imported into a new
// embedded store, and the store's directory.
func simulated(t *testing.T) (ledger, store string) {
	t.Helper()
	_, ledger, store = simulatedWith(t, 60, 12, 5)
	return ledger, store
}

// simulatedWith simulates a ledger from 2023-01-01 and imports it into an
// embedded store, in a fresh directory dir.
func simulatedWith(t *testing.T, customers, months int, seed uint64) (dir, ledger, store string) {
	t.Helper()
	dir = t.TempDir()
	ledger, store = filepath.Join(dir, "ledger"), filepath.Join(dir, "store")
	if _, _, err := call(t, nil, "synth", "--customers", fmt.Sprint(customers), "--months", fmt.Sprint(months), "--seed", fmt.Sprint(seed),
		"--start", "2023-01-01", "--out", ledger); err != nil {
		t.Fatalf("synth: %v", err)
	}
	if _, _, err := call(t, nil, "import", "--store", store, "--rejects", filepath.Join(dir, "r.csv"), ledger); err != nil {
		t.Fatalf("import: %v", err)
	}
	return dir, ledger, store
}

// loadStore reads an embedded store's ledger (after the CLI has closed it).
func loadStore(t *testing.T, store string) *datasets.Ledger {
	t.Helper()
	st, err := embedded.Open(context.Background(), store, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	l, err := st.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// sameJSON holds two JSON documents equal as values.
func sameJSON(t *testing.T, what, got string, want any) {
	t.Helper()
	wb, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Fatalf("%s: %v\n%s", what, err, got)
	}
	if err := json.Unmarshal(wb, &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("%s printed\n%s\nwant\n%s", what, got, wb)
	}
}

// kpi --json prints exactly the report the features package computes for
// the stored ledger (whose figures kpi_test.go checks by hand), with the
// currencies it added unconverted named.
func TestKPIJSONIsTheComputedReport(t *testing.T) {
	_, store := simulated(t)
	out, _, err := call(t, nil, "kpi", "--store", store, "--from", "2023-10-01", "--to", "2023-12-31", "--by", "segment", "--monthly", "--json")
	if err != nil {
		t.Fatalf("kpi: %v", err)
	}
	l := loadStore(t, store)
	want, err := features.ComputeKPIs(features.NewIndex(l), datasets.NewDate(2023, 10, 1), datasets.NewDate(2023, 12, 31), "segment", true)
	if err != nil {
		t.Fatal(err)
	}
	if cs := l.Currencies(); len(cs) > 1 {
		want.Currencies = cs
	}
	if want.DSO == nil || len(want.Months) != 3 || len(want.Groups) < 2 {
		t.Fatalf("the test ledger gives no DSO, %d months and %d groups", len(want.Months), len(want.Groups))
	}
	sameJSON(t, "kpi --json", out, want)
}

// features prints, byte for byte, the engine's table for the stored ledger
// (less the customers not started yet).
func TestFeaturesCSVIsTheEnginesTable(t *testing.T) {
	_, store := simulated(t)
	asOf := datasets.NewDate(2023, 9, 30)
	for _, level := range []string{"customer", "invoice"} {
		out, _, err := call(t, nil, "features", "--store", store, "--as-of", asOf.String(), "--level", level)
		if err != nil {
			t.Fatalf("features %s: %v", level, err)
		}
		eng := features.NewEngine(features.NewIndex(loadStore(t, store)), features.Options{})
		tab := eng.Customers(asOf)
		if level == "invoice" {
			tab = eng.OpenInvoices(asOf)
		}
		tab.DropNotStarted() // customers not yet started are left out
		var want bytes.Buffer
		if err := tab.WriteCSV(&want); err != nil {
			t.Fatal(err)
		}
		if len(tab.Rows) < 10 || out != want.String() {
			t.Fatalf("features %s: %d lines printed, the engine's table has %d rows (or other values)", level, strings.Count(out, "\n"), len(tab.Rows))
		}
	}
}

// The two engines must print the same features for the same ledger.
func TestFeaturesAreIdenticalOnClickHouseAndEmbedded(t *testing.T) {
	ch := chStore(t)
	ledger, store := simulated(t)
	if _, _, err := call(t, nil, "import", "--store", ch, "--rejects", filepath.Join(t.TempDir(), "r.csv"), ledger); err != nil {
		t.Fatalf("import into clickhouse: %v", err)
	}
	for _, args := range [][]string{
		{"--as-of", "2023-06-30"},
		{"--as-of", "2023-12-31", "--level", "invoice"},
		{"--as-of", "2023-12-31", "--format", "json"},
	} {
		emb, _, err := call(t, nil, append([]string{"features", "--store", store}, args...)...)
		if err != nil {
			t.Fatalf("embedded features %v: %v", args, err)
		}
		sql, _, err := call(t, nil, append([]string{"features", "--store", ch}, args...)...)
		if err != nil {
			t.Fatalf("clickhouse features %v: %v", args, err)
		}
		if emb != sql {
			el, sl := strings.Split(emb, "\n"), strings.Split(sql, "\n")
			for i := range min(len(el), len(sl)) {
				if el[i] != sl[i] {
					t.Fatalf("features %v differ at line %d:\nembedded   %s\nclickhouse %s", args, i+1, el[i], sl[i])
				}
			}
			t.Fatalf("features %v differ: %d vs %d lines", args, len(el), len(sl))
		}
	}
	// Both engines say when the date lies outside the ledger, the SQL one
	// from the store's span, without reading the rows.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"features", "--as-of", "1990-01-01"}, "before the ledger's first invoice"},
		{[]string{"kpi", "--from", "2099-01-01", "--to", "2099-02-01"}, "days after the ledger's latest record"},
		{[]string{"kpi", "--from", "1990-01-01", "--to", "1990-02-01"}, "ends before the ledger's first invoice"},
	} {
		for _, st := range []string{store, ch} {
			_, stderr, err := call(t, nil, append(append([]string(nil), tc.args...), "--store", st)...)
			if err != nil || !strings.Contains(stderr, tc.want) {
				t.Errorf("%v on %s: %v, stderr %q lacks %q", tc.args, st, err, stderr, tc.want)
			}
		}
	}
}

func TestTrainScoreAndModels(t *testing.T) {
	dir, _, store := simulatedWith(t, 100, 15, 9)
	reg := filepath.Join(dir, "models")
	out, _, err := call(t, nil, "train", "--store", store, "--registry", reg, "--as-of", "2024-02-29", "--json")
	if err != nil {
		t.Fatalf("train: %v", err)
	}
	var meta struct {
		ID       string
		Champion string
	}
	if err := json.Unmarshal([]byte(out), &meta); err != nil || meta.ID == "" {
		t.Fatalf("train output %q: %v", out, err)
	}
	list, _, err := call(t, nil, "models", "list", "--registry", reg)
	if err != nil || !strings.Contains(list, "* ") || !strings.Contains(list, meta.ID) {
		t.Fatalf("models list = %q, %v; want %s promoted", list, err, meta.ID)
	}
	scores, _, err := call(t, nil, "score", "--store", store, "--registry", reg, "--as-of", "2024-02-29")
	if err != nil {
		t.Fatalf("score: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(scores), "\n")
	l := loadStore(t, store)
	asOf := datasets.NewDate(2024, 2, 29)
	open := features.NewEngine(features.NewIndex(l), features.Options{}).OpenInvoices(asOf)
	if !strings.HasPrefix(lines[0], "customer_id,invoice_id,due_date,currency,amount,outstanding,invoice_currency,invoice_amount,invoice_outstanding,p_late") || len(lines)-1 != len(open.Rows) {
		t.Fatalf("score printed %d lines, header %q; %d invoices are open", len(lines), lines[0], len(open.Rows))
	}
	// Each line's outstanding is the invoice's amount less what was paid
	// or credited on it by the date, worked out here from the records.
	owed := map[string]datasets.Money{}
	cur := map[string]string{}
	for _, v := range l.Invoices {
		owed[v.ID], cur[v.ID] = v.Amount, v.Currency
	}
	for _, p := range l.Payments {
		if p.Date <= asOf {
			owed[p.InvoiceID] -= p.Amount
		}
	}
	for _, n := range l.CreditNotes {
		if n.Date <= asOf {
			owed[n.InvoiceID] -= n.Amount
		}
	}
	prev := 2.0
	for _, line := range lines[1:] {
		f := strings.Split(line, ",")
		if want := owed[f[1]]; f[5] != want.String() || f[3] != cur[f[1]] || f[6] != "" {
			t.Errorf("invoice %s: currency %s, outstanding %s; want %s %s", f[1], f[3], f[5], cur[f[1]], want)
		}
		p, err := strconv.ParseFloat(f[9], 64)
		if err != nil || p < 0 || p > prev {
			t.Fatalf("p_late %q out of order or range after %v", line, prev)
		}
		prev = p
	}
	if _, _, err := call(t, nil, "models", "promote", "--registry", reg, "nope"); err == nil {
		t.Fatal("promoting an unknown model succeeded")
	}
	shown, _, err := call(t, nil, "models", "show", "--registry", reg)
	if err != nil || !strings.Contains(shown, meta.ID+" (in service)") || !strings.Contains(shown, "what drives the late-payment score") {
		t.Fatalf("models show = %q, %v", shown, err)
	}
	js, _, err := call(t, nil, "models", "show", meta.ID, "--registry", reg, "--json")
	if err != nil {
		t.Fatalf("models show --json: %v", err)
	}
	b, m, err := model.Registry{Dir: reg}.Load(meta.ID)
	if err != nil || len(b.Importance) < 5 {
		t.Fatalf("load %s: %v, %d importances", meta.ID, err, len(b.Importance))
	}
	sameJSON(t, "models show --json", js, map[string]any{"model": m, "promoted": true, "importance": b.Importance,
		"invoice_sample": b.Sample, "options": b.Options})
}

// A cleared-items export with its own headers and dates is backtested
// through a column mapping, like a real ERP file.
func TestBacktestOnAClearedItemsCSVWithMapping(t *testing.T) {
	dir := t.TempDir()
	ledger := filepath.Join(dir, "ledger")
	if _, _, err := call(t, nil, "synth", "--customers", "120", "--months", "18", "--seed", "4", "--start", "2023-01-01", "--out", ledger); err != nil {
		t.Fatalf("synth: %v", err)
	}
	src, err := os.ReadFile(filepath.Join(ledger, "invoices.csv"))
	if err != nil {
		t.Fatal(err)
	}
	// Rewrite as Kunde;Beleg;Belegdatum;Faellig;Betrag;Ausgleich with dd.mm.yyyy dates.
	dmy := func(iso string) string {
		if iso == "" {
			return ""
		}
		return iso[8:10] + "." + iso[5:7] + "." + iso[0:4]
	}
	var b strings.Builder
	b.WriteString("Kunde;Beleg;Belegdatum;Faellig;Betrag;Ausgleich\n")
	for i, line := range strings.Split(strings.TrimSpace(string(src)), "\n") {
		if i == 0 {
			continue
		}
		f := strings.Split(line, ",")
		fmt.Fprintf(&b, "%s;%s;%s;%s;%s;%s\n", f[0], f[1], dmy(f[2]), dmy(f[3]), f[4], dmy(f[6]))
	}
	export := filepath.Join(dir, "fbl5n.csv")
	if err := os.WriteFile(export, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	preds := filepath.Join(dir, "preds.csv")
	saved := filepath.Join(dir, "backtest.json")
	out, _, err := call(t, nil, "backtest", "--input", export, "--columns",
		"customer_id=Kunde,invoice_id=Beleg,issue_date=Belegdatum,due_date=Faellig,amount=Betrag,settled_date=Ausgleich",
		"--date-format", "%d.%m.%Y", "--split", "0.7", "--json", "--predictions", preds, "--json-out", saved)
	if err != nil {
		t.Fatalf("backtest: %v", err)
	}
	// --json-out saves for the report what --json prints.
	if b, err := os.ReadFile(saved); err != nil || string(b) != out {
		t.Errorf("--json-out file (%v) differs from the printed JSON:\n%s\nwant\n%s", err, b, out)
	}
	var res map[string]any
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("backtest json: %v\n%s", err, out)
	}
	for _, k := range []string{"n_train", "n_test", "auc", "brier", "log_loss", "accuracy", "macro_f1", "ece", "mae_days_late", "error_cut_vs_naive", "confusion", "champion", "baselines", "threshold"} {
		if _, ok := res[k]; !ok {
			t.Errorf("backtest JSON lacks %q", k)
		}
	}
	if auc := res["auc"].(float64); auc < 0.6 {
		t.Errorf("auc %.3f on a cleared-items export: the model learned nothing", auc)
	}
	p, err := os.ReadFile(preds)
	if err != nil || !strings.HasPrefix(string(p), "invoice_id,p_late,predicted_days_late,actual_late,cold_start,late\n") {
		t.Fatalf("predictions file: %v %q", err, string(p[:min(len(p), 80)]))
	}
}

// The worked check through the command: a 31-day month with 100,000
// invoiced and 40,000 still receivable at its end has a DSO of 12.4.
func TestKPICommandReproducesTheWorkedDSOExample(t *testing.T) {
	dir := t.TempDir()
	ledger := filepath.Join(dir, "ledger")
	if err := os.MkdirAll(ledger, 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"customers.csv": "customer_id,segment\nC1,enterprise\n",
		"invoices.csv": "customer_id,invoice_id,issue_date,due_date,amount,settled_date\n" +
			"C1,I1,2024-01-03,2024-01-20,60000.00,2024-01-19\n" +
			"C1,I2,2024-01-15,2024-02-14,40000.00,\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(ledger, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	store := filepath.Join(dir, "store")
	if _, _, err := call(t, nil, "import", "--store", store, "--rejects", filepath.Join(dir, "r.csv"), ledger); err != nil {
		t.Fatalf("import: %v", err)
	}
	out, _, err := call(t, nil, "kpi", "--store", store, "--from", "2024-01-01", "--to", "2024-01-31", "--json")
	if err != nil {
		t.Fatalf("kpi: %v", err)
	}
	var rep struct {
		DSO             float64 `json:"dso"`
		BestPossibleDSO float64 `json:"best_possible_dso"`
		ADD             float64 `json:"add"`
		Collected       float64 `json:"collected"`
		CollectedBasis  string  `json:"collected_basis"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	// All 40,000 open at the end are not yet due: best possible = DSO, ADD 0.
	if math.Abs(rep.DSO-12.4) > 1e-9 || math.Abs(rep.BestPossibleDSO-12.4) > 1e-9 || math.Abs(rep.ADD) > 1e-9 {
		t.Fatalf("dso %v best %v add %v, want 12.4, 12.4, 0", rep.DSO, rep.BestPossibleDSO, rep.ADD)
	}
	// A cleared-items file has no payments: collected is what I1's
	// clearing took off, and says so (never 0.00 for want of payments).
	if rep.Collected != 60000 || rep.CollectedBasis != "cleared" {
		t.Fatalf("collected %v (%q), want 60000 (cleared)", rep.Collected, rep.CollectedBasis)
	}
	text, _, err := call(t, nil, "kpi", "--store", store, "--from", "2024-01-01", "--to", "2024-01-31")
	if err != nil {
		t.Fatalf("kpi: %v", err)
	}
	if want := "collected 60,000.00 (cleared by settlements: no payment records)"; !strings.Contains(text, want) {
		t.Fatalf("kpi text lacks %q:\n%s", want, text)
	}
}

// A ledger in several currencies is reported in one with --currency and
// --fx: the invoiced total is the per-currency totals converted (to the
// cent per invoice), and without conversion the report says it mixes units.
func TestKPIConvertsToTheReportingCurrency(t *testing.T) {
	ledger, store := simulated(t)
	args := []string{"kpi", "--store", store, "--from", "2023-10-01", "--to", "2023-12-31", "--json"}
	type report struct {
		Currency   string   `json:"currency"`
		Currencies []string `json:"currencies"`
		Invoiced   float64  `json:"invoiced"`
		Issued     int      `json:"invoices_issued"`
		Groups     []struct {
			Key      string  `json:"key"`
			Invoiced float64 `json:"invoiced"`
			Issued   int     `json:"invoices_issued"`
		} `json:"groups"`
	}
	get := func(extra ...string) (report, string) {
		t.Helper()
		out, stderr, err := call(t, nil, append(append([]string(nil), args...), extra...)...)
		if err != nil {
			t.Fatalf("kpi %v: %v", extra, err)
		}
		var r report
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatal(err)
		}
		return r, stderr
	}
	mixed, warn := get()
	if len(mixed.Currencies) < 2 || !strings.Contains(warn, "unconverted") {
		t.Fatalf("mixed ledger: currencies %v, stderr %q", mixed.Currencies, warn)
	}
	fxPath := filepath.Join(ledger, "fx_rates.csv")
	conv, warn := get("--currency", "eur", "--fx", fxPath)
	if conv.Currency != "EUR" || conv.Currencies != nil || warn != "" {
		t.Fatalf("converted: currency %q, currencies %v, stderr %q", conv.Currency, conv.Currencies, warn)
	}
	byCur, _ := get("--by", "currency")
	f, err := os.Open(fxPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fx, err := datasets.ReadFX(f, fxPath, "EUR")
	if err != nil {
		t.Fatal(err)
	}
	want := 0.0
	for _, g := range byCur.Groups {
		r, ok := fx.Rate(g.Key)
		if !ok {
			t.Fatalf("no rate for %s", g.Key)
		}
		want += g.Invoiced * float64(r) / 1e9
	}
	if math.Abs(conv.Invoiced-want) > 0.005*float64(conv.Issued)+0.01 || conv.Issued != mixed.Issued {
		t.Errorf("converted invoiced %.2f (%d invoices), per-currency totals converted %.2f", conv.Invoiced, conv.Issued, want)
	}
	for _, bad := range [][]string{{"--fx", fxPath}, {"--currency", "EUR"}} {
		if _, _, err := call(t, nil, append(append([]string(nil), args...), bad...)...); exitCode(err) != 2 {
			t.Errorf("kpi %v: %v, want a usage error", bad, err)
		}
	}
	badFX := filepath.Join(t.TempDir(), "rates.csv")
	if err := os.WriteFile(badFX, []byte("currency,rate\nSEK,0.09\nGBP,lots\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := call(t, nil, append(append([]string(nil), args...), "--currency", "EUR", "--fx", badFX)...); err == nil ||
		!strings.Contains(err.Error(), "rates.csv:3: field rate") {
		t.Errorf("bad rates file: %v", err)
	}
	// A decimal comma splits the rate in two: refused, never read as 1.
	if err := os.WriteFile(badFX, []byte("currency,rate\nGBP,1,16\nSEK,0.086956522\nUSD,0.925925926\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := call(t, nil, append(append([]string(nil), args...), "--currency", "EUR", "--fx", badFX)...); err == nil ||
		!strings.Contains(err.Error(), "rates.csv:2: 3 fields, want currency,rate") {
		t.Errorf("rate with a decimal comma: %v", err)
	}
}

// A model trained on amounts converted to EUR records the rates, and
// scoring converts the open book with them without being told again; a
// ledger with a currency the rates lack is refused, naming it.
func TestTrainInOneCurrencyScoresInIt(t *testing.T) {
	dir, ledger, store := simulatedWith(t, 100, 15, 9)
	reg := filepath.Join(dir, "models")
	out, stderr, err := call(t, nil, "train", "--store", store, "--registry", reg, "--as-of", "2024-02-29", "--json",
		"--currency", "EUR", "--fx", filepath.Join(ledger, "fx_rates.csv"))
	if err != nil {
		t.Fatalf("train: %v", err)
	}
	if strings.Contains(stderr, "unconverted") {
		t.Errorf("converted training warns: %q", stderr)
	}
	var meta struct{ ID string }
	if err := json.Unmarshal([]byte(out), &meta); err != nil {
		t.Fatal(err)
	}
	b, _, err := model.Registry{Dir: reg}.Load(meta.ID)
	if err != nil {
		t.Fatal(err)
	}
	if b.Options.FX == nil || b.Options.FX.To != "EUR" || b.Options.FX.Rates["SEK"] == 0 {
		t.Fatalf("bundle FX = %+v", b.Options.FX)
	}
	type scored struct {
		Invoices []struct {
			CustomerID      string      `json:"customer_id"`
			InvoiceID       string      `json:"invoice_id"`
			PLate           float64     `json:"p_late"`
			Currency        string      `json:"currency"`
			Amount          json.Number `json:"amount"`
			InvoiceCurrency string      `json:"invoice_currency"`
			InvoiceAmount   json.Number `json:"invoice_amount"`
			InvoiceOwed     json.Number `json:"invoice_outstanding"`
		}
	}
	scoreJSON := func(extra ...string) scored {
		t.Helper()
		out, _, err := call(t, nil, append([]string{"score", "--store", store, "--registry", reg, "--as-of", "2024-02-29", "--format", "json"}, extra...)...)
		if err != nil {
			t.Fatalf("score %v: %v", extra, err)
		}
		var s scored
		if err := json.Unmarshal([]byte(out), &s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	before := scoreJSON()
	if len(before.Invoices) < 20 {
		t.Fatalf("score: %d invoices", len(before.Invoices))
	}
	// The same customers, one invoice now in Swiss francs.
	extra := filepath.Join(dir, "extra.csv")
	line := "customer_id,invoice_id,issue_date,due_date,amount,currency\nC000001,CHF-1,2024-02-01,2024-03-02,100.00,CHF\n"
	if err := os.WriteFile(extra, []byte(line), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := call(t, nil, "import", "--store", store, "--kind", "invoices", "--rejects", filepath.Join(dir, "r2.csv"), extra); err != nil {
		t.Fatalf("import: %v", err)
	}
	if _, _, err := call(t, nil, "score", "--store", store, "--registry", reg, "--as-of", "2024-02-29"); err == nil || !strings.Contains(err.Error(), "CHF") {
		t.Fatalf("scoring a CHF invoice with EUR rates: %v", err)
	}
	// --fx adds the missing rate; the model's own rates stay.
	chf := filepath.Join(dir, "chf.csv")
	if err := os.WriteFile(chf, []byte("currency,rate\nCHF,1.05\nSEK,5\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	after := scoreJSON("--fx", chf)
	pBefore := map[string]float64{}
	for _, p := range before.Invoices {
		pBefore[p.InvoiceID] = p.PLate
	}
	sawCHF := false
	for _, p := range after.Invoices {
		if p.InvoiceID == "CHF-1" {
			// Scored in the model's euros, and quoted in the invoice's own
			// francs, as the collector tells the customer.
			sawCHF = true
			if p.Currency != "EUR" || p.Amount.String() != "105.00" || p.InvoiceCurrency != "CHF" || p.InvoiceAmount.String() != "100.00" || p.InvoiceOwed.String() != "100.00" {
				t.Errorf("CHF-1: %s %s, invoice's own %s %s (owed %s); want EUR 105.00 (at the rate 1.05) and CHF 100.00", p.Currency, p.Amount, p.InvoiceCurrency, p.InvoiceAmount, p.InvoiceOwed)
			}
		} else if p.InvoiceCurrency != "" && p.InvoiceCurrency == p.Currency {
			t.Errorf("invoice %s: own currency %s repeated", p.InvoiceID, p.InvoiceCurrency)
		}
		// Other customers' scores, SEK ones included, do not move: the
		// file's SEK rate does not replace the model's.
		if p.CustomerID != "C000001" && p.PLate != pBefore[p.InvoiceID] {
			t.Fatalf("invoice %s: p_late %v, %v before the CHF rate", p.InvoiceID, p.PLate, pBefore[p.InvoiceID])
		}
	}
	if !sawCHF {
		t.Fatal("the CHF invoice was not scored")
	}
}

// A registry entry whose fingerprint is shorter than the listing shows is
// listed, not a panic; --model cannot name a directory outside the registry.
func TestModelsListAndLoadWithDamagedEntries(t *testing.T) {
	reg := t.TempDir()
	id := "2024-01-31-0123456789"
	if err := os.MkdirAll(filepath.Join(reg, id), 0o755); err != nil {
		t.Fatal(err)
	}
	meta := `{"id":"` + id + `","champion":"gbdt","train_window":["2023-01-01","2024-01-31"],"data_fingerprint":"ab"}`
	if err := os.WriteFile(filepath.Join(reg, id, "meta.json"), []byte(meta), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, err := call(t, nil, "models", "list", "--registry", reg)
	if err != nil || !strings.Contains(out, id) || !strings.Contains(out, "ab") {
		t.Fatalf("models list = %q, %v", out, err)
	}
	if _, _, err := call(t, nil, "score", "--store", t.TempDir(), "--registry", reg, "--model", "../"+filepath.Base(reg)+"/"+id); !errors.Is(err, model.ErrBadModelID) {
		t.Fatalf("score --model ../x: %v, want ErrBadModelID", err)
	}
}
