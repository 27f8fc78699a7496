package main

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
	"github.com/dsopilot/dsopilot/recommender"
)

// withoutCreditNotes copies ledger's files but its credit notes to a
// directory, as an ERP cleared-items export comes, and imports them into a
// new embedded store: it returns both.
func withoutCreditNotes(t *testing.T, dir, ledger string) (files, store string) {
	t.Helper()
	bare := filepath.Join(dir, "bare")
	if err := os.MkdirAll(bare, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"customers", "invoices", "payments", "disputes", "actions", "promises", "credit_decisions"} {
		b, err := os.ReadFile(filepath.Join(ledger, f+".csv"))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(bare, f+".csv"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	store = filepath.Join(dir, "bare-store")
	if _, _, err := call(t, nil, "import", "--store", store, "--rejects", filepath.Join(dir, "bare-rejects.csv"), bare); err != nil {
		t.Fatalf("import: %v", err)
	}
	return bare, store
}

// impliedOf is what the ledger in store implies: how many invoices, and
// the amounts by currency as the warning prints them.
func impliedOf(t *testing.T, store string) (int, []string) {
	t.Helper()
	l := loadStore(t, store)
	notes, err := datasets.ImpliedWriteOffs(l)
	if err != nil {
		t.Fatal(err)
	}
	custCur := map[string]string{}
	for _, c := range l.Customers {
		custCur[c.ID] = c.Currency
	}
	invCur := map[string]string{}
	for _, v := range l.Invoices {
		invCur[v.CustomerID+"/"+v.ID] = v.Currency
	}
	sums := map[string]datasets.Money{}
	for _, n := range notes {
		sums[cmp.Or(invCur[n.CustomerID+"/"+n.InvoiceID], custCur[n.CustomerID])] += n.Amount
	}
	var amounts []string
	for c, m := range sums {
		amounts = append(amounts, recommender.FormatCents(m)+" "+c)
	}
	return len(notes), amounts
}

// TestImpliedWriteOffsAreToldOncePerRun: on a ledger without its credit
// notes, kpi and score say once, on stderr, how many settled invoices
// they took as written off, for how much in each currency, why, and
// what avoids it (they used to apply them silently); stdout holds only
// the JSON or CSV. A ledger with its credit notes gets no such warning.
// Read in parts (ClickHouse, --parts), the warning is still one, over
// every part.
func TestImpliedWriteOffsAreToldOncePerRun(t *testing.T) {
	full, reg := trained(t, "", "2024-01-31")
	dir := filepath.Dir(reg)
	_, bare := withoutCreditNotes(t, dir, filepath.Join(dir, "ledger"))
	n, amounts := impliedOf(t, bare)
	if n < 2 {
		t.Fatalf("the bare ledger implies %d write-offs: too few to test", n)
	}
	const what = "taken as written off"
	check := func(name, stdout, stderr string, json bool) {
		t.Helper()
		if got := strings.Count(stderr, what); got != 1 {
			t.Fatalf("%s: the warning appears %d times, want once:\n%s", name, got, stderr)
		}
		line := stderr[strings.LastIndex(stderr[:strings.Index(stderr, what)], "\n")+1:]
		line = line[:strings.Index(line, "\n")]
		t.Logf("%s: %s", name, line)
		want := []string{"dsopilot: warning: ", fmt.Sprintf("%d settled invoices %s", n, what),
			"settled without payments or credit notes covering them", "import the ledger's real credit notes"}
		for _, w := range append(want, amounts...) {
			if !strings.Contains(line, w) {
				t.Errorf("%s: the warning %q does not say %q", name, line, w)
			}
		}
		if strings.Contains(stdout, what) {
			t.Errorf("%s: the warning is on stdout", name)
		}
		if json && !jsonValid(stdout) {
			t.Errorf("%s: stdout is not JSON:\n%s", name, stdout)
		}
	}
	kpi := []string{"kpi", "--from", "2023-07-01", "--to", "2024-01-31", "--json", "--store"}
	out, errOut, err := call(t, nil, append(kpi, bare)...)
	if err != nil {
		t.Fatal(err)
	}
	check("kpi", out, errOut, true)
	score := []string{"score", "--as-of", "2024-01-31", "--registry", reg, "--format", "json", "--store"}
	out, errOut, err = call(t, nil, append(score, bare)...)
	if err != nil {
		t.Fatal(err)
	}
	check("score", out, errOut, true)

	// With its credit notes the ledger implies none here, and nothing is said.
	if m, _ := impliedOf(t, full); m != 0 {
		t.Errorf("the full ledger implies %d write-offs: the case needs none", m)
	} else {
		for _, args := range [][]string{append(kpi, full), append(score, full)} {
			if _, errOut, err := call(t, nil, args...); err != nil || strings.Contains(errOut, what) {
				t.Errorf("%s on the full ledger: %v\n%s", args[0], err, errOut)
			}
		}
	}

	if os.Getenv("DSOPILOT_TEST_CLICKHOUSE") == "" {
		return
	}
	// The SQL engine (kpi's default on ClickHouse) implies the same
	// notes inside the database, and counts them there, shard by shard
	// on a cluster; the Go engine and score read parts.
	bareDir := filepath.Join(dir, "bare")
	for _, db := range []struct {
		name string
		spec func(*testing.T) string
	}{{"ClickHouse", chStore}, {"cluster", chCluster}} {
		spec := db.spec(t)
		if _, _, err := call(t, nil, "import", "--store", spec, "--quiet", bareDir); err != nil {
			t.Fatalf("import into %s: %v", db.name, err)
		}
		for _, c := range []struct {
			name string
			args []string
		}{
			{"kpi, SQL engine", append(kpi, spec)},
			{"kpi in parts", append(append(kpi, spec), "--engine", "go", "--parts", "3")},
			{"score in parts", append(append(score, spec), "--parts", "3")},
		} {
			out, errOut, err := call(t, nil, c.args...)
			if err != nil {
				t.Fatalf("%s, %s: %v", db.name, c.name, err)
			}
			check(db.name+", "+c.name, out, errOut, true)
		}
	}
}

func jsonValid(s string) bool {
	var v any
	return json.Unmarshal([]byte(s), &v) == nil
}

// The tally counts a note once however often a run reads its invoice (a
// command making two passes over the parts), adds the SQL engine's sums,
// and says nothing when nothing was implied.
func TestImpliedTallyCountsEachNoteOnce(t *testing.T) {
	l := &datasets.Ledger{
		Customers: []datasets.Customer{{ID: "C1", Currency: "EUR"}, {ID: "C2", Currency: "USD"}},
		Invoices: []datasets.Invoice{{ID: "I1", CustomerID: "C1"}, {ID: "I2", CustomerID: "C2", Currency: "GBP"},
			{ID: "I3", CustomerID: "C2", Disputed: true}},
	}
	note := func(c, i string, m datasets.Money, kind string) datasets.CreditNote {
		return datasets.CreditNote{ID: datasets.ImpliedNotePrefix + c + "/" + i, CustomerID: c, InvoiceID: i, Amount: m, Kind: kind}
	}
	notes := []datasets.CreditNote{note("C1", "I1", 100_00, datasets.KindWriteOff), note("C2", "I2", 5_50, datasets.KindWriteOff),
		note("C2", "I3", 20_00, datasets.KindCreditNote)}
	for _, c := range []struct {
		name string
		run  func(*impliedTally)
		want string
	}{
		{"nothing", func(*impliedTally) {}, ""},
		{"one pass", func(t *impliedTally) { t.add(l, notes) }, "3 settled invoices taken as written off for 100.00 EUR, 5.50 GBP, 20.00 USD (1 of them, flagged disputed, as credited): "},
		{"two passes", func(t *impliedTally) { t.add(l, notes[:2]); t.add(l, notes) },
			"3 settled invoices taken as written off for 100.00 EUR, 5.50 GBP, 20.00 USD (1 of them, flagged disputed, as credited): "},
		{"one note", func(t *impliedTally) { t.add(l, notes[:1]) }, "1 settled invoice taken as written off for 100.00 EUR: "},
		{"SQL sums", func(t *impliedTally) {
			t.addSummary(features.ImpliedSummary{Invoices: 4, Amounts: map[string]datasets.Money{"EUR": 1_00, "SEK": 2_00}, TooLarge: []string{"JPY"}})
		}, "4 settled invoices taken as written off for 1.00 EUR, more than can be summed JPY, 2.00 SEK: "},
		// Thousands separators, as the rest of the CLI's amounts, to the cent
		// (the trial's warning read "9586219.34 EUR").
		{"large sums", func(t *impliedTally) {
			t.addSummary(features.ImpliedSummary{Invoices: 2, Amounts: map[string]datasets.Money{"EUR": 958621934, "USD": 1234_05}})
		}, "2 settled invoices taken as written off for 9,586,219.34 EUR, 1,234.05 USD: "},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, tally := withImpliedTally(context.Background())
			c.run(tally)
			got := tally.warning()
			if c.want == "" && got != "" || !strings.HasPrefix(got, c.want) {
				t.Fatalf("warning %q, want it to begin %q", got, c.want)
			}
		})
	}
}
