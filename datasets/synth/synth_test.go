package synth

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
)

// The shared ledger most tests read: big enough for calibration (about
// 35,000 invoices), small enough to write in well under a second.
var fixtureCfg = Config{Customers: 600, Months: 12, Seed: 20240607, Start: datasets.NewDate(2023, 3, 1)}

type fixture struct {
	dir string
	sum Summary
	per period
}

var loadFixture = sync.OnceValues(func() (*fixture, error) {
	dir, err := os.MkdirTemp("", "synth-fixture-")
	if err != nil {
		return nil, err
	}
	sum, err := WriteDir(context.Background(), fixtureCfg, dir)
	if err != nil {
		return nil, err
	}
	per, err := fixtureCfg.period()
	return &fixture{dir: dir, sum: sum, per: per}, err
})

func TestMain(m *testing.M) {
	code := m.Run()
	if f, err := loadFixture(); err == nil {
		_ = os.RemoveAll(f.dir)
	}
	os.Exit(code)
}

func getFixture(t *testing.T) *fixture {
	t.Helper()
	f, err := loadFixture()
	if err != nil {
		t.Fatalf("write fixture ledger: %v", err)
	}
	return f
}

// table is a CSV file read whole, with columns by name.
type table struct {
	header []string
	rows   [][]string
	col    map[string]int
}

func (tb *table) get(row []string, col string) string { return row[tb.col[col]] }

func readTable(t *testing.T, path string) *table {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	all, err := csv.NewReader(f).ReadAll() // also checks every row has the header's width
	if err != nil {
		t.Fatalf("read %s: %v", filepath.Base(path), err)
	}
	if len(all) == 0 {
		t.Fatalf("%s is empty", filepath.Base(path))
	}
	tb := &table{header: all[0], rows: all[1:], col: map[string]int{}}
	for i, c := range tb.header {
		tb.col[c] = i
	}
	return tb
}

func readEntity(t *testing.T, dir string, e datasets.Entity) *table {
	return readTable(t, filepath.Join(dir, e.FileName()))
}

func TestConfigValidation(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"minimal", Config{Customers: 1, Months: 1}, true},
		{"explicit start", Config{Customers: 3, Months: 24, Start: datasets.NewDate(2020, 2, 29)}, true},
		{"no customers", Config{Months: 12}, false},
		{"negative customers", Config{Customers: -5, Months: 12}, false},
		{"no months", Config{Customers: 10}, false},
		{"negative months", Config{Customers: 10, Months: -1}, false},
		{"negative workers", Config{Customers: 10, Months: 1, Workers: -1}, false},
		{"past last storable date", Config{Customers: 10, Months: 12, Start: datasets.MaxDate - 100}, false},
		{"absurd months", Config{Customers: 10, Months: 1 << 30}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if tc.ok && err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if !tc.ok {
				if !errors.Is(err, ErrConfig) {
					t.Fatalf("Validate = %v, want an ErrConfig", err)
				}
				if _, err := WriteDir(context.Background(), tc.cfg, t.TempDir()); !errors.Is(err, ErrConfig) {
					t.Fatalf("WriteDir = %v, want an ErrConfig", err)
				}
			}
		})
	}
}

func TestDefaultStart(t *testing.T) {
	sum, err := Generate(context.Background(), Config{Customers: 2, Months: 1}, SinkFunc(func(context.Context, *Batch) error { return nil }))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Start != "2023-01-01" || sum.End != "2023-02-01" {
		t.Fatalf("period %s..%s, want 2023-01-01..2023-02-01", sum.Start, sum.End)
	}
}

// Same seed, same bytes, whatever the number of workers; another seed,
// other bytes.
func TestDeterminism(t *testing.T) {
	hashDir := func(cfg Config) map[string][32]byte {
		dir := t.TempDir()
		if _, err := WriteDir(context.Background(), cfg, dir); err != nil {
			t.Fatal(err)
		}
		out := map[string][32]byte{}
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			out[e.Name()] = sha256.Sum256(b)
		}
		return out
	}
	cfg := Config{Customers: 150, Months: 9, Seed: 99, Workers: 1}
	a := hashDir(cfg)
	cfg.Workers = 4
	b := hashDir(cfg)
	// Eight ledger files, three truth files and the exchange rates.
	if len(a) != 12 {
		t.Fatalf("wrote %d files, want 12", len(a))
	}
	for name, h := range a {
		if b[name] != h {
			t.Errorf("%s differs between runs with the same seed", name)
		}
	}
	cfg.Seed = 100
	c := hashDir(cfg)
	if c["invoices.csv"] == a["invoices.csv"] {
		t.Error("a different seed wrote the same invoices")
	}
}

func TestFilesHaveCanonicalHeaders(t *testing.T) {
	f := getFixture(t)
	want := map[string][]string{
		TruthFile: TruthColumns(), TruthCustomersFile: CustomerTruthColumns(), TruthActionEffectsFile: ActionEffectColumns(),
	}
	for _, e := range datasets.Entities() {
		if e == datasets.EntityFinancials { // not simulated
			continue
		}
		want[e.FileName()] = e.Columns()
	}
	for name, cols := range want {
		t.Run(name, func(t *testing.T) {
			tb := readTable(t, filepath.Join(f.dir, name))
			if !slices.Equal(tb.header, cols) {
				t.Fatalf("header %v, want %v", tb.header, cols)
			}
			if len(tb.rows) == 0 {
				t.Fatal("no rows")
			}
		})
	}
	if got := readTable(t, filepath.Join(f.dir, TruthFile)).header[:2]; !slices.Equal(got, []string{"invoice_id", "p_late"}) {
		t.Fatalf("truth.csv starts with %v", got)
	}
}

func TestSummaryMatchesFiles(t *testing.T) {
	f := getFixture(t)
	c := f.sum.Counts
	want := map[datasets.Entity]uint64{
		datasets.EntityCustomers: c.Customers, datasets.EntityInvoices: c.Invoices, datasets.EntityPayments: c.Payments,
		datasets.EntityCreditNotes: c.CreditNotes, datasets.EntityDisputes: c.Disputes, datasets.EntityActions: c.Actions,
		datasets.EntityPromises: c.Promises, datasets.EntityCreditDecisions: c.CreditDecisions,
	}
	for e, n := range want {
		if got := len(readEntity(t, f.dir, e).rows); uint64(got) != n {
			t.Errorf("%s has %d rows, summary says %d", e, got, n)
		}
		if n == 0 {
			t.Errorf("no %s simulated", e)
		}
	}
	if f.sum.Invoices != int(c.Invoices) || c.Customers != uint64(fixtureCfg.Customers) {
		t.Errorf("summary %+v inconsistent with config %+v", f.sum, fixtureCfg)
	}
	if got := len(readTable(t, filepath.Join(f.dir, TruthFile)).rows); got != f.sum.Invoices {
		t.Errorf("truth.csv has %d rows for %d invoices", got, f.sum.Invoices)
	}
}

func TestIDsUniqueAndReferencesResolve(t *testing.T) {
	f := getFixture(t)
	ids := map[datasets.Entity]map[string]bool{}
	for _, e := range datasets.Entities() {
		if e == datasets.EntityFinancials { // not simulated
			continue
		}
		tb := readEntity(t, f.dir, e)
		seen := map[string]bool{}
		for _, row := range tb.rows {
			id := row[tb.col[e.Columns()[0]]]
			if e == datasets.EntityInvoices {
				id = tb.get(row, "invoice_id")
			}
			if id == "" || seen[id] {
				t.Fatalf("%s: id %q empty or repeated", e, id)
			}
			seen[id] = true
		}
		ids[e] = seen
	}
	for _, e := range datasets.Entities()[1:] {
		if e == datasets.EntityFinancials { // not simulated
			continue
		}
		tb := readEntity(t, f.dir, e)
		for _, row := range tb.rows {
			if c := tb.get(row, "customer_id"); !ids[datasets.EntityCustomers][c] {
				t.Fatalf("%s refers to unknown customer %q", e, c)
			}
			if i, ok := tb.col["invoice_id"]; ok && e != datasets.EntityInvoices && row[i] != "" && !ids[datasets.EntityInvoices][row[i]] {
				t.Fatalf("%s refers to unknown invoice %q", e, row[i])
			}
		}
	}
	truth := readTable(t, filepath.Join(f.dir, TruthFile))
	for _, row := range truth.rows {
		if !ids[datasets.EntityInvoices][truth.get(row, "invoice_id")] {
			t.Fatalf("truth for unknown invoice %q", truth.get(row, "invoice_id"))
		}
	}
}

// Dates are ISO strings, so they compare as strings.
func TestDatesAreConsistentAndWithinPeriod(t *testing.T) {
	f := getFixture(t)
	last := f.per.last.String()
	dateCols := map[datasets.Entity][]string{
		datasets.EntityCustomers:       {"since"},
		datasets.EntityInvoices:        {"issue_date", "settled_date"},
		datasets.EntityPayments:        {"payment_date"},
		datasets.EntityCreditNotes:     {"date"},
		datasets.EntityDisputes:        {"opened_date", "resolved_date"},
		datasets.EntityActions:         {"action_date"},
		datasets.EntityPromises:        {"made_date"},
		datasets.EntityCreditDecisions: {"decision_date"},
	}
	for e, cols := range dateCols {
		tb := readEntity(t, f.dir, e)
		for _, row := range tb.rows {
			for _, c := range cols {
				if d := tb.get(row, c); d > last {
					t.Fatalf("%s.%s = %s after the last day %s", e, c, d, last)
				}
			}
		}
	}
	inv := readEntity(t, f.dir, datasets.EntityInvoices)
	first := f.per.start.String()
	for _, row := range inv.rows {
		issue, due, settled := inv.get(row, "issue_date"), inv.get(row, "due_date"), inv.get(row, "settled_date")
		if issue < first || due < issue || (settled != "" && settled < issue) {
			t.Fatalf("invoice %s: issue %s due %s settled %s", inv.get(row, "invoice_id"), issue, due, settled)
		}
	}
	pay := readEntity(t, f.dir, datasets.EntityPayments)
	issued := map[string]string{}
	for _, row := range inv.rows {
		issued[inv.get(row, "invoice_id")] = inv.get(row, "issue_date")
	}
	for _, row := range pay.rows {
		if id := pay.get(row, "invoice_id"); id != "" && pay.get(row, "payment_date") < issued[id] {
			t.Fatalf("payment %s before its invoice was issued", pay.get(row, "payment_id"))
		}
	}
	disp := readEntity(t, f.dir, datasets.EntityDisputes)
	for _, row := range disp.rows {
		r := disp.get(row, "resolved_date")
		if (r == "") != (disp.get(row, "outcome") == "") || (r != "" && r < disp.get(row, "opened_date")) {
			t.Fatalf("dispute %v: resolved/outcome inconsistent", row)
		}
	}
	// Dunning happens only while an invoice is unpaid, and never during a
	// dispute.
	settledOn, disputed := map[string]string{}, map[string]bool{}
	for _, row := range inv.rows {
		settledOn[inv.get(row, "invoice_id")] = inv.get(row, "settled_date")
		disputed[inv.get(row, "invoice_id")] = inv.get(row, "disputed") == "true"
	}
	act := readEntity(t, f.dir, datasets.EntityActions)
	for _, row := range act.rows {
		id := act.get(row, "invoice_id")
		if id == "" {
			if act.get(row, "type") != ActionCreditHold {
				t.Fatalf("action %v has no invoice", row)
			}
			continue
		}
		if s := settledOn[id]; disputed[id] || (s != "" && s <= act.get(row, "action_date")) {
			t.Fatalf("action %v on an invoice disputed (%v) or settled on %s", row, disputed[id], s)
		}
	}
	prom := readEntity(t, f.dir, datasets.EntityPromises)
	for _, row := range prom.rows {
		// Open exactly when the promised date is still to come, unless the
		// customer already paid.
		status, future := prom.get(row, "status"), prom.get(row, "promised_date") > last
		if (status == datasets.PromiseOpen) != future && status != datasets.PromiseKept {
			t.Fatalf("promise %v: status %s, promised date after the end: %v", row, status, future)
		}
	}
}

// TestMoneyBalances checks that payments and credit notes add up: no invoice
// is over-covered, an open one is not fully covered, and what unallocated
// cash a customer sent is exactly what its invoices lack.
func TestMoneyBalances(t *testing.T) {
	f := getFixture(t)
	covered := map[string]datasets.Money{}
	unallocated := map[string]datasets.Money{}
	parse := func(s string) datasets.Money {
		m, err := datasets.ParseMoney(s)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	pay := readEntity(t, f.dir, datasets.EntityPayments)
	for _, row := range pay.rows {
		amount := parse(pay.get(row, "amount"))
		if amount <= 0 {
			t.Fatalf("payment %v not positive", row)
		}
		if id := pay.get(row, "invoice_id"); id == "" {
			unallocated[pay.get(row, "customer_id")] += amount
		} else {
			covered[id] += amount
		}
	}
	if len(unallocated) == 0 {
		t.Error("no unallocated payments")
	}
	notes := readEntity(t, f.dir, datasets.EntityCreditNotes)
	kinds := map[string]int{}
	for _, row := range notes.rows {
		covered[notes.get(row, "invoice_id")] += parse(notes.get(row, "amount"))
		kinds[notes.get(row, "kind")]++
	}
	if kinds[datasets.KindCreditNote] == 0 || kinds[datasets.KindWriteOff] == 0 || len(kinds) != 2 {
		t.Errorf("credit note kinds %v, want both kinds and nothing else", kinds)
	}
	// Per customer: what settled invoices lack must come from unallocated
	// cash, which cannot exceed that plus what open invoices lack.
	settledGap, openGap := map[string]datasets.Money{}, map[string]datasets.Money{}
	inv := readEntity(t, f.dir, datasets.EntityInvoices)
	for _, row := range inv.rows {
		id, cust, amount := inv.get(row, "invoice_id"), inv.get(row, "customer_id"), parse(inv.get(row, "amount"))
		settled := inv.get(row, "settled_date") != ""
		if amount <= 0 || covered[id] > amount || (!settled && covered[id] == amount) {
			t.Fatalf("invoice %s (settled %v): amount %v, paid and credited %v", id, settled, amount, covered[id])
		}
		if settled {
			settledGap[cust] += amount - covered[id]
		} else {
			openGap[cust] += amount - covered[id]
		}
	}
	cust := readEntity(t, f.dir, datasets.EntityCustomers)
	for _, row := range cust.rows {
		c := cust.get(row, "customer_id")
		if u := unallocated[c]; u < settledGap[c] || u > settledGap[c]+openGap[c] {
			t.Fatalf("customer %s: unallocated %v, settled invoices lack %v, open ones %v", c, u, settledGap[c], openGap[c])
		}
	}
}

// Write-offs belong to customers that defaulted, dated after the default,
// and settle their invoices.
func TestDefaultsAndWriteOffs(t *testing.T) {
	f := getFixture(t)
	ct := readTable(t, filepath.Join(f.dir, TruthCustomersFile))
	defaulted := map[string]string{}
	for _, row := range ct.rows {
		if d := ct.get(row, "default_date"); d != "" {
			if ct.get(row, "behaviour") != BehaviourCashStrapped {
				t.Fatalf("customer %s defaulted but is %s", ct.get(row, "customer_id"), ct.get(row, "behaviour"))
			}
			defaulted[ct.get(row, "customer_id")] = d
		}
	}
	if len(defaulted) == 0 || len(defaulted) != f.sum.Defaults {
		t.Fatalf("%d defaulted customers, summary says %d", len(defaulted), f.sum.Defaults)
	}
	notes := readEntity(t, f.dir, datasets.EntityCreditNotes)
	settled := map[string]string{}
	inv := readEntity(t, f.dir, datasets.EntityInvoices)
	for _, row := range inv.rows {
		settled[inv.get(row, "invoice_id")] = inv.get(row, "settled_date")
	}
	for _, row := range notes.rows {
		if notes.get(row, "kind") != datasets.KindWriteOff {
			continue
		}
		d, ok := defaulted[notes.get(row, "customer_id")]
		if !ok || notes.get(row, "date") <= d {
			t.Fatalf("write-off %v without an earlier default", row)
		}
		if settled[notes.get(row, "invoice_id")] != notes.get(row, "date") {
			t.Fatalf("write-off %v does not settle its invoice", row)
		}
	}
	dec := readEntity(t, f.dir, datasets.EntityCreditDecisions)
	cuts := 0
	for _, row := range dec.rows {
		if dec.get(row, "reason") == "default" {
			cuts++
			if dec.get(row, "new_limit") != "0.00" {
				t.Fatalf("default decision %v does not cut the limit to zero", row)
			}
		}
	}
	if cuts != len(defaulted) {
		t.Fatalf("%d default decisions for %d defaults", cuts, len(defaulted))
	}
}

// outcome is one invoice whose lateness is known at the end of the period.
type outcome struct {
	p         float64
	late      bool
	behaviour string
}

// outcomes joins truth.csv to the realised lateness in invoices.csv, for
// invoices due by the last day: late when settled after due or still open.
func outcomes(t *testing.T, dir string, last datasets.Date) []outcome {
	inv := readEntity(t, dir, datasets.EntityInvoices)
	truth := readTable(t, filepath.Join(dir, TruthFile))
	late := map[string]bool{}
	for _, row := range inv.rows {
		due, settled := inv.get(row, "due_date"), inv.get(row, "settled_date")
		if due > last.String() {
			continue // censored: cannot be late yet
		}
		late[inv.get(row, "invoice_id")] = settled == "" || settled > due
	}
	var out []outcome
	for _, row := range truth.rows {
		l, ok := late[truth.get(row, "invoice_id")]
		if !ok {
			continue
		}
		var p float64
		if _, err := fmt.Sscan(truth.get(row, "p_late"), &p); err != nil || p < 0 || p > 1 {
			t.Fatalf("p_late %q: %v", truth.get(row, "p_late"), err)
		}
		out = append(out, outcome{p: p, late: l, behaviour: truth.get(row, "behaviour")})
	}
	return out
}

// TestTruthCalibration: within each decile of p_late the mean p_late must
// match the realised late frequency, and p_late must rank outcomes well.
func TestTruthCalibration(t *testing.T) {
	f := getFixture(t)
	obs := outcomes(t, f.dir, f.per.last)
	if len(obs) < 5000 {
		t.Fatalf("only %d invoices with known outcome", len(obs))
	}
	sort.Slice(obs, func(i, j int) bool { return obs[i].p < obs[j].p })
	const bins = 10
	for b := range bins {
		part := obs[b*len(obs)/bins : (b+1)*len(obs)/bins]
		var p, late float64
		for _, o := range part {
			p += o.p
			if o.late {
				late++
			}
		}
		p, late = p/float64(len(part)), late/float64(len(part))
		t.Logf("decile %d: mean p_late %.3f, late %.3f (n=%d)", b, p, late, len(part))
		if math.Abs(p-late) > 0.05 {
			t.Errorf("decile %d: mean p_late %.3f but %.3f were late", b, p, late)
		}
	}
	if auc := rocAUC(obs); auc < 0.8 {
		t.Errorf("AUC of p_late = %.3f, want >= 0.8", auc)
	} else {
		t.Logf("AUC %.3f over %d invoices", auc, len(obs))
	}
}

// rocAUC is the Mann-Whitney statistic, ties counted half; obs sorted by p.
func rocAUC(obs []outcome) float64 {
	var pos, neg, rankSum float64
	for i := 0; i < len(obs); {
		j := i
		for j < len(obs) && obs[j].p == obs[i].p {
			j++
		}
		rank := float64(i+j+1) / 2 // mean 1-based rank of the tie group
		for k := i; k < j; k++ {
			if obs[k].late {
				rankSum += rank
				pos++
			} else {
				neg++
			}
		}
		i = j
	}
	return (rankSum - pos*(pos+1)/2) / (pos * neg)
}

func TestLateRatesOrderedByBehaviour(t *testing.T) {
	f := getFixture(t)
	n, late := map[string]float64{}, map[string]float64{}
	for _, o := range outcomes(t, f.dir, f.per.last) {
		n[o.behaviour]++
		if o.late {
			late[o.behaviour]++
		}
	}
	rate := func(b string) float64 { return late[b] / n[b] }
	for b := range n {
		t.Logf("%-14s late %.3f over %.0f invoices", b, rate(b), n[b])
	}
	order := []string{BehaviourPrompt, BehaviourForgetful, BehaviourChronicLate}
	for i := 1; i < len(order); i++ {
		if !(rate(order[i-1]) < rate(order[i])) {
			t.Errorf("late rate of %s (%.3f) not below %s (%.3f)", order[i-1], rate(order[i-1]), order[i], rate(order[i]))
		}
	}
	if rate(BehaviourCashStrapped) < rate(BehaviourPrompt) {
		t.Errorf("cash-strapped customers pay better than prompt ones")
	}
}

// Reminders visibly work on forgetful customers and hardly on chronic late
// payers: the observed "paid" outcome of reminders must show it.
func TestReminderOutcomesByBehaviour(t *testing.T) {
	f := getFixture(t)
	ct := readTable(t, filepath.Join(f.dir, TruthCustomersFile))
	behaviourOf := map[string]string{}
	for _, row := range ct.rows {
		behaviourOf[ct.get(row, "customer_id")] = ct.get(row, "behaviour")
	}
	act := readEntity(t, f.dir, datasets.EntityActions)
	n, paid := map[string]float64{}, map[string]float64{}
	for _, row := range act.rows {
		if act.get(row, "type") != ActionReminder {
			continue
		}
		b := behaviourOf[act.get(row, "customer_id")]
		n[b]++
		if act.get(row, "outcome") == outcomePaid {
			paid[b]++
		}
	}
	fo, ch := paid[BehaviourForgetful]/n[BehaviourForgetful], paid[BehaviourChronicLate]/n[BehaviourChronicLate]
	t.Logf("reminders answered by payment: forgetful %.2f, chronic late %.2f", fo, ch)
	if !(fo > ch+0.3) {
		t.Errorf("forgetful customers should answer reminders far more often (%.2f vs %.2f)", fo, ch)
	}
}

// collect is a Sink that keeps what tests need from each batch.
type collect struct {
	behaviours map[string]int
	invoices   int
}

func (c *collect) WriteBatch(_ context.Context, b *Batch) error {
	c.behaviours[b.Customer.Behaviour]++
	c.invoices += len(b.Ledger.Invoices)
	if len(b.Truth) != len(b.Ledger.Invoices) || len(b.Ledger.Customers) != 1 {
		return fmt.Errorf("batch %d: %d truths for %d invoices, %d customers", b.Index, len(b.Truth), len(b.Ledger.Invoices), len(b.Ledger.Customers))
	}
	return nil
}

func TestBehaviourMix(t *testing.T) {
	const customers = 5000
	c := &collect{behaviours: map[string]int{}}
	if _, err := Generate(context.Background(), Config{Customers: customers, Months: 1, Seed: 3}, c); err != nil {
		t.Fatal(err)
	}
	for _, spec := range behaviours {
		got := float64(c.behaviours[spec.name]) / customers
		// Five standard errors of a binomial share.
		if tol := 5 * math.Sqrt(spec.share*(1-spec.share)/customers); math.Abs(got-spec.share) > tol {
			t.Errorf("%s: share %.3f, want %.2f ± %.3f", spec.name, got, spec.share, tol)
		}
	}
}

func TestCustomersForHitsTarget(t *testing.T) {
	for _, tc := range []struct{ invoices, months int }{{40000, 12}, {20000, 3}, {30000, 24}} {
		t.Run(fmt.Sprintf("%d_over_%d_months", tc.invoices, tc.months), func(t *testing.T) {
			c := &collect{behaviours: map[string]int{}}
			cfg := Config{Customers: CustomersFor(tc.invoices, tc.months), Months: tc.months, Seed: 11}
			if _, err := Generate(context.Background(), cfg, c); err != nil {
				t.Fatal(err)
			}
			if ratio := float64(c.invoices) / float64(tc.invoices); ratio < 0.9 || ratio > 1.1 {
				t.Errorf("%d customers gave %d invoices, want about %d", cfg.Customers, c.invoices, tc.invoices)
			}
		})
	}
}

func TestActionEffectsTruth(t *testing.T) {
	f := getFixture(t)
	tb := readTable(t, filepath.Join(f.dir, TruthActionEffectsFile))
	if len(tb.rows) != int(numBehaviours)*numSteps {
		t.Fatalf("%d rows, want %d", len(tb.rows), int(numBehaviours)*numSteps)
	}
	p := map[[2]string]float64{}
	for _, e := range ActionEffects() {
		p[[2]string{e.Behaviour, e.Action}] = e.PRespond
		if e.PRespond < 0 || e.PRespond > 1 || e.TypicalDaysSaved < 0 {
			t.Errorf("implausible effect %+v", e)
		}
	}
	// The stories the data must tell.
	if !(p[[2]string{BehaviourForgetful, ActionReminder}] > 4*p[[2]string{BehaviourChronicLate, ActionReminder}]) {
		t.Error("reminders should work on forgetful customers, not on chronic late payers")
	}
	if !(p[[2]string{BehaviourCashStrapped, ActionCall}] > 2*p[[2]string{BehaviourCashStrapped, ActionReminder}]) {
		t.Error("cash-strapped customers should respond to calls rather than reminders")
	}
}

func TestGenerateStopsOnCancelAndSinkError(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	cfg := Config{Customers: 2000, Months: 6, Seed: 1}
	if _, err := Generate(ctx, cfg, SinkFunc(func(context.Context, *Batch) error { return nil })); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Generate = %v", err)
	}
	boom := errors.New("boom")
	n := 0
	_, err := Generate(context.Background(), cfg, SinkFunc(func(context.Context, *Batch) error {
		if n++; n == 10 {
			return boom
		}
		return nil
	}))
	if !errors.Is(err, boom) || n != 10 {
		t.Fatalf("Generate after sink error = %v after %d batches", err, n)
	}
}

func TestWriteDirReportsUnwritableDir(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := WriteDir(context.Background(), Config{Customers: 1, Months: 1}, filepath.Join(file, "ledger"))
	if err == nil {
		t.Fatal("WriteDir into a path below a file succeeded")
	}
}

func TestAppendRowRoundTrips(t *testing.T) {
	rows := [][]string{{"plain", "", "with,comma", `say "hi"`, "line\nbreak", " lead"}, {"a", "b", "c", "d", "e", "f"}}
	var b []byte
	for _, r := range rows {
		b = appendRow(b, r)
	}
	got, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil || len(got) != len(rows) {
		t.Fatalf("read back: %v, %d rows", err, len(got))
	}
	for i := range rows {
		if !slices.Equal(got[i], rows[i]) {
			t.Errorf("row %d: %q, want %q", i, got[i], rows[i])
		}
	}
}

// The rates file is what the amounts were drawn with: each currency's rate
// to EUR is 1 / its local units per EUR, and it reads back with the rates
// reader that dsopilot kpi uses.
func TestFXRatesFileMatchesTheSimulation(t *testing.T) {
	dir := t.TempDir()
	if _, err := WriteDir(context.Background(), Config{Customers: 20, Months: 3, Seed: 1}, dir); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(dir, FXRatesFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fx, err := datasets.ReadFX(f, FXRatesFile, "EUR")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range countries {
		r, ok := fx.Rate(c.currency)
		if !ok {
			t.Fatalf("no rate for %s", c.currency)
		}
		if got := float64(r) / 1e9 * c.fx; math.Abs(got-1) > 1e-8 {
			t.Errorf("%s: rate %s × %v local units per EUR = %v, want 1", c.currency, r, c.fx, got)
		}
	}
}
