package features

import (
	"bytes"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
)

var update = flag.Bool("update", false, "rewrite golden files")

// randomLedger builds a small ledger with every kind of record, dated
// between start and start+days.
func randomLedger(seed uint64, customers int, start datasets.Date, days int) *datasets.Ledger {
	r := rand.New(rand.NewPCG(seed, 7))
	l := &datasets.Ledger{}
	segs := []string{"enterprise", "small_business"}
	for ci := 0; ci < customers; ci++ {
		cid := fmt.Sprintf("C%03d", ci)
		c := datasets.Customer{ID: cid, Segment: segs[ci%2], Country: "DE", Currency: "EUR",
			CreditLimit: datasets.Money(r.IntN(5_000_000)), Terms: datasets.Terms{Days: 30}, Channel: "direct"}
		if ci%3 == 0 {
			c.Since = start.AddDays(-r.IntN(400))
		}
		l.Customers = append(l.Customers, c)
		n := r.IntN(40)
		for k := 0; k < n; k++ {
			issue := start.AddDays(r.IntN(days))
			v := datasets.Invoice{ID: fmt.Sprintf("%s-I%03d", cid, k), CustomerID: cid, IssueDate: issue,
				DueDate: issue.AddDays(30), Amount: datasets.Money(1000 + r.IntN(1_000_000)), Currency: "EUR"}
			if r.Float64() < 0.85 {
				v.SettledDate = issue.AddDays(5 + r.IntN(80))
				pay := datasets.Payment{ID: "P" + v.ID, CustomerID: cid, InvoiceID: v.ID, Date: v.SettledDate, Amount: v.Amount, Currency: "EUR"}
				if r.Float64() < 0.2 {
					half := v.Amount / 2
					mid := issue.AddDays(r.IntN(int(v.SettledDate-issue) + 1))
					l.Payments = append(l.Payments, datasets.Payment{ID: "Q" + v.ID, CustomerID: cid, InvoiceID: v.ID, Date: mid, Amount: half, Currency: "EUR"})
					pay.Amount -= half
				}
				l.Payments = append(l.Payments, pay)
			} else if r.Float64() < 0.5 {
				l.Payments = append(l.Payments, datasets.Payment{ID: "R" + v.ID, CustomerID: cid, InvoiceID: v.ID,
					Date: issue.AddDays(r.IntN(60)), Amount: v.Amount / 3, Currency: "EUR"})
			}
			l.Invoices = append(l.Invoices, v)
			if r.Float64() < 0.1 {
				d := datasets.Dispute{ID: "D" + v.ID, CustomerID: cid, InvoiceID: v.ID, Opened: issue.AddDays(r.IntN(20)), Reason: "price", Amount: v.Amount / 10}
				if r.Float64() < 0.7 {
					d.Resolved = d.Opened.AddDays(r.IntN(40))
					d.Outcome = "credited"
					l.CreditNotes = append(l.CreditNotes, datasets.CreditNote{ID: "N" + v.ID, CustomerID: cid, InvoiceID: v.ID,
						Date: d.Resolved, Amount: d.Amount, Kind: datasets.KindCreditNote})
				}
				l.Disputes = append(l.Disputes, d)
			}
			if r.Float64() < 0.3 {
				outcomes := []string{"no_response", "promise", "paid"}
				a := datasets.Action{ID: "A" + v.ID, CustomerID: cid, InvoiceID: v.ID, Date: v.DueDate.AddDays(7), Type: "reminder",
					Channel: "email", Outcome: outcomes[r.IntN(3)]}
				l.Actions = append(l.Actions, a)
				if a.Outcome == "promise" {
					st := []string{datasets.PromiseKept, datasets.PromiseBroken}[r.IntN(2)]
					l.Promises = append(l.Promises, datasets.Promise{ID: "PR" + v.ID, CustomerID: cid, InvoiceID: v.ID,
						Made: a.Date, PromisedDate: a.Date.AddDays(10), Amount: v.Amount, Status: st})
				}
			}
		}
		if r.Float64() < 0.3 {
			l.Payments = append(l.Payments, datasets.Payment{ID: "U" + cid, CustomerID: cid, Date: start.AddDays(r.IntN(days)), Amount: 777, Currency: "EUR"})
		}
		if r.Float64() < 0.3 {
			l.CreditDecisions = append(l.CreditDecisions, datasets.CreditDecision{ID: "CD" + cid, CustomerID: cid,
				Date: start.AddDays(r.IntN(days)), OldLimit: c.CreditLimit / 2, NewLimit: c.CreditLimit, Reason: "review"})
		}
	}
	return l
}

// addEventsAfter returns a copy of l with what happened after t: new
// invoices, payments, disputes (when l has dispute records), actions,
// promises and decisions dated after t; open items settled, paid or
// resolved after t; and every status written as an export after t would
// write it: each dunning outcome rewritten to "paid", each promise's status
// to "kept", and each invoice's disputed flag turned over. Nothing known at
// t changes.
func addEventsAfter(l *datasets.Ledger, t datasets.Date) *datasets.Ledger {
	cp := *l
	cp.Invoices = append([]datasets.Invoice(nil), l.Invoices...)
	cp.Disputes = append([]datasets.Dispute(nil), l.Disputes...)
	cp.Payments = append([]datasets.Payment(nil), l.Payments...)
	cp.Actions = append([]datasets.Action(nil), l.Actions...)
	cp.Promises = append([]datasets.Promise(nil), l.Promises...)
	cp.CreditNotes = append([]datasets.CreditNote(nil), l.CreditNotes...)
	cp.CreditDecisions = append([]datasets.CreditDecision(nil), l.CreditDecisions...)
	for i := range cp.Invoices {
		v := &cp.Invoices[i]
		v.Disputed = !v.Disputed
		if v.SettledDate == 0 && v.IssueDate <= t {
			v.SettledDate = t.AddDays(3)
			cp.Payments = append(cp.Payments, datasets.Payment{ID: v.ID + "-PAID", CustomerID: v.CustomerID, InvoiceID: v.ID, Date: t.AddDays(1), Amount: v.Amount})
		}
	}
	for i := range cp.Disputes {
		if d := &cp.Disputes[i]; d.Resolved == 0 && d.Opened <= t {
			d.Resolved, d.Outcome = t.AddDays(1), "credited"
		}
	}
	for i := range cp.Actions {
		cp.Actions[i].Outcome = "paid"
	}
	for i := range cp.Promises {
		cp.Promises[i].Status = datasets.PromiseKept
	}
	limitAt := NewIndex(l)
	for _, c := range l.Customers {
		id := c.ID
		v := datasets.Invoice{ID: id + "-LATE", CustomerID: id, IssueDate: t.AddDays(1), DueDate: t.AddDays(31), Amount: 5000, SettledDate: t.AddDays(2)}
		cp.Invoices = append(cp.Invoices, v)
		cp.Payments = append(cp.Payments, datasets.Payment{ID: id + "-PL", CustomerID: id, InvoiceID: v.ID, Date: t.AddDays(2), Amount: 5000},
			datasets.Payment{ID: id + "-UL", CustomerID: id, Date: t.AddDays(1), Amount: 9})
		if len(l.Disputes) > 0 {
			cp.Disputes = append(cp.Disputes, datasets.Dispute{ID: id + "-DL", CustomerID: id, InvoiceID: v.ID, Opened: t.AddDays(1)})
		}
		cp.Actions = append(cp.Actions, datasets.Action{ID: id + "-AL", CustomerID: id, Date: t.AddDays(1), Type: "call", Outcome: "paid"})
		cp.Promises = append(cp.Promises, datasets.Promise{ID: id + "-PRL", CustomerID: id, Made: t.AddDays(1), PromisedDate: t.AddDays(4), Status: datasets.PromiseKept})
		cp.CreditNotes = append(cp.CreditNotes, datasets.CreditNote{ID: id + "-NL", CustomerID: id, InvoiceID: v.ID, Date: t.AddDays(1), Amount: 1, Kind: datasets.KindCreditNote})
		// A later decision records, as its old limit, the limit in force at t.
		cp.CreditDecisions = append(cp.CreditDecisions, datasets.CreditDecision{ID: id + "-CDL", CustomerID: id, Date: t.AddDays(1),
			OldLimit: limitAt.byID[id].creditLimitAt(t), NewLimit: 1})
	}
	return &cp
}

// clearedLedger is l as a cleared-items export shows it: no dispute
// records, a disputed flag on the invoices that had a dispute.
func clearedLedger(l *datasets.Ledger) *datasets.Ledger {
	cp := *l
	cp.Invoices = append([]datasets.Invoice(nil), l.Invoices...)
	disputed := map[string]bool{}
	for _, d := range l.Disputes {
		disputed[d.InvoiceID] = true
	}
	for i := range cp.Invoices {
		cp.Invoices[i].Disputed = disputed[cp.Invoices[i].ID]
	}
	cp.Disputes = nil
	return &cp
}

func sameFloat(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(a))
}

func assertTablesEqual(t *testing.T, got, want *Table) {
	t.Helper()
	if len(got.Rows) != len(want.Rows) || len(want.Rows) == 0 {
		t.Fatalf("%d rows, want %d (and more than none)", len(got.Rows), len(want.Rows))
	}
	nums, cats := split(want.Specs)
	for i := range want.Rows {
		g, w := got.Rows[i], want.Rows[i]
		if g.CustomerID != w.CustomerID || g.InvoiceID != w.InvoiceID {
			t.Fatalf("row %d is %s/%s, want %s/%s", i, g.CustomerID, g.InvoiceID, w.CustomerID, w.InvoiceID)
		}
		for k := range w.Num {
			if !sameFloat(g.Num[k], w.Num[k]) {
				t.Errorf("%s/%s %s = %v, want %v", w.CustomerID, w.InvoiceID, nums[k].Name, g.Num[k], w.Num[k])
			}
		}
		for k := range w.Cat {
			if g.Cat[k] != w.Cat[k] {
				t.Errorf("%s/%s %s = %q, want %q", w.CustomerID, w.InvoiceID, cats[k].Name, g.Cat[k], w.Cat[k])
			}
		}
	}
}

func TestEventsAfterTheAsOfDateChangeNothing(t *testing.T) {
	start := datasets.NewDate(2023, 1, 1)
	full := randomLedger(1, 60, start, 540)
	for _, lc := range []struct {
		name string
		l    *datasets.Ledger
	}{{"records", full}, {"cleared-items", clearedLedger(full)}} {
		for _, asOf := range []datasets.Date{start.AddDays(30), start.AddDays(200), start.AddDays(400)} {
			l := lc.l
			base := NewEngine(NewIndex(l), Options{})
			later := NewEngine(NewIndex(addEventsAfter(l, asOf)), Options{})
			name := lc.name + "/" + asOf.String()
			t.Run(name+"/customers", func(t *testing.T) {
				assertTablesEqual(t, later.Customers(asOf), base.Customers(asOf))
			})
			t.Run(name+"/open-invoices", func(t *testing.T) {
				assertTablesEqual(t, later.OpenInvoices(asOf), base.OpenInvoices(asOf))
			})
			t.Run(name+"/training", func(t *testing.T) {
				o := TrainingOptions{From: start, To: asOf, DaysBeforeDue: []int{5}}
				_, a, err := base.TrainingSet(o)
				if err != nil {
					t.Fatal(err)
				}
				_, b, err := later.TrainingSet(o)
				if err != nil {
					t.Fatal(err)
				}
				if len(a) != len(b) || len(a) == 0 {
					t.Fatalf("%d examples after adding later events, %d before", len(b), len(a))
				}
				for i := range a {
					if a[i].Late != b[i].Late || a[i].LateKnown != b[i].LateKnown || a[i].DaysLate != b[i].DaysLate || a[i].Censored != b[i].Censored {
						t.Fatalf("example %d label changed: %+v vs %+v", i, b[i], a[i])
					}
				}
				specs := InvoiceSpecs(Options{})
				assertTablesEqual(t, &Table{Specs: specs, Rows: rowsOf(b)}, &Table{Specs: specs, Rows: rowsOf(a)})
			})
		}
	}
}

func rowsOf(xs []Example) []Row {
	out := make([]Row, len(xs))
	for i := range xs {
		out[i] = xs[i].Row
	}
	return out
}

// Dunning outcomes and promise states come from dated events, whatever the
// export recorded: an action is answered by a payment or a promise within
// ResponseDays, a promise is kept when the payments by its date cover it,
// and neither is known before it happens.
func TestOutcomesFromDatedEvents(t *testing.T) {
	d := datasets.NewDate
	day := d(2024, 3, 1)
	l := &datasets.Ledger{
		Customers: []datasets.Customer{{ID: "C"}},
		Invoices: []datasets.Invoice{
			{ID: "I1", CustomerID: "C", IssueDate: d(2024, 1, 1), DueDate: d(2024, 1, 31), Amount: 10_000, SettledDate: day.AddDays(3)},
			{ID: "I2", CustomerID: "C", IssueDate: d(2024, 1, 1), DueDate: d(2024, 1, 31), Amount: 10_000, SettledDate: day.AddDays(9)},
			{ID: "I3", CustomerID: "C", IssueDate: d(2024, 1, 1), DueDate: d(2024, 1, 31), Amount: 10_000},
			{ID: "I4", CustomerID: "C", IssueDate: d(2024, 1, 1), DueDate: d(2024, 1, 31), Amount: 10_000},
		},
		Payments: []datasets.Payment{
			{ID: "p1", CustomerID: "C", InvoiceID: "I1", Date: day.AddDays(3), Amount: 10_000},
			{ID: "p2", CustomerID: "C", InvoiceID: "I2", Date: day.AddDays(9), Amount: 10_000},
			// Two parts that cover I4's promise only together.
			{ID: "p3", CustomerID: "C", InvoiceID: "I4", Date: day.AddDays(1), Amount: 4_000},
			{ID: "p4", CustomerID: "C", InvoiceID: "I4", Date: day.AddDays(2), Amount: 6_000},
		},
		Actions: []datasets.Action{
			// Paid 3 days later, though recorded as unanswered.
			{ID: "a1", CustomerID: "C", InvoiceID: "I1", Date: day, Type: "reminder", Outcome: "no_response"},
			// Paid 9 days later, beyond the response window, though recorded as paid.
			{ID: "a2", CustomerID: "C", InvoiceID: "I2", Date: day, Type: "reminder", Outcome: "paid"},
			// Answered by a promise the same day.
			{ID: "a3", CustomerID: "C", InvoiceID: "I3", Date: day, Type: "call", Outcome: "no_response"},
			// On the account: answered by any payment or promise.
			{ID: "a4", CustomerID: "C", Date: day, Type: "letter", Outcome: "no_response"},
			// A holdout's decision to wait, answered by I1's payment as a
			// reminder would be: no dunning action, so neither counted nor
			// answered.
			{ID: "a5", CustomerID: "C", InvoiceID: "I1", Date: day, Type: datasets.ActionWait, Policy: "holdout", Propensity: 0.2},
		},
		Promises: []datasets.Promise{
			// Kept by the settlement, recorded as broken; it also answers a1.
			{ID: "r1", CustomerID: "C", InvoiceID: "I1", Made: day.AddDays(1), PromisedDate: day.AddDays(5), Amount: 10_000, Status: datasets.PromiseBroken},
			// Paid after the promised date: broken, recorded as kept.
			{ID: "r2", CustomerID: "C", InvoiceID: "I3", Made: day, PromisedDate: day.AddDays(4), Amount: 10_000, Status: datasets.PromiseKept},
			// Kept by two partial payments.
			{ID: "r3", CustomerID: "C", InvoiceID: "I4", Made: day, PromisedDate: day.AddDays(2), Amount: 10_000, Status: datasets.PromiseOpen},
		},
	}
	ix := NewIndex(l)
	cases := []struct {
		asOf                  datasets.Date
		responded, kept, brok float64
	}{
		{day, 2, 0, 0},             // a3 and a4 by the promises of the day
		{day.AddDays(1), 3, 0, 0},  // and a1 by r1
		{day.AddDays(3), 3, 1, 0},  // r3 came due on day+2 and is kept
		{day.AddDays(5), 3, 1, 1},  // r2 broken
		{day.AddDays(6), 3, 2, 1},  // r1 kept
		{day.AddDays(30), 3, 2, 1}, // a2's payment came too late to count
	}
	for _, c := range cases {
		tab := NewEngine(ix, Options{Windows: []int{90}}).Customers(c.asOf)
		got := map[string]float64{}
		nums, _ := split(tab.Specs)
		for k, s := range nums {
			got[s.Name] = tab.Rows[0].Num[k]
		}
		if got["dunning_actions_90d"] != 4 || !sameFloat(got["dunning_response_rate_90d"], c.responded/4) ||
			got["promises_kept_90d"] != c.kept || got["promises_broken_90d"] != c.brok {
			t.Errorf("as of %s: %v actions, response rate %v, %v kept, %v broken; want 4, %v, %v, %v", c.asOf,
				got["dunning_actions_90d"], got["dunning_response_rate_90d"], got["promises_kept_90d"], got["promises_broken_90d"], c.responded/4, c.kept, c.brok)
		}
	}
}

// Without dispute records, the invoices' undated disputed flag is known only
// as of the ledger's own date, or from issue + N days under a stated
// assumption.
func TestDisputedFlagIsKnownOnlyWhereItIsCurrent(t *testing.T) {
	d := datasets.NewDate
	l := &datasets.Ledger{Invoices: []datasets.Invoice{
		{ID: "F", CustomerID: "C", IssueDate: d(2024, 3, 1), DueDate: d(2024, 4, 30), Amount: 100, Disputed: true},
		{ID: "G", CustomerID: "C", IssueDate: d(2024, 3, 20), DueDate: d(2024, 4, 19), Amount: 100, SettledDate: d(2024, 4, 2)},
	}}
	ix := NewIndex(l)
	if used, from := ix.DisputeFlags(); !used || from != d(2024, 4, 2) {
		t.Fatalf("DisputeFlags() = %v, %s; want true, 2024-04-02", used, from)
	}
	ten := 10
	for _, c := range []struct {
		asOf  datasets.Date
		after *int
		want  float64
	}{
		{d(2024, 3, 5), nil, 0}, {d(2024, 4, 1), nil, 0}, {d(2024, 4, 2), nil, 1}, {d(2024, 4, 20), nil, 1},
		{d(2024, 3, 10), &ten, 0}, {d(2024, 3, 11), &ten, 1},
	} {
		tab := NewEngine(ix, Options{DisputeOpenedAfterDays: c.after}).OpenInvoices(c.asOf, "C")
		nums, _ := split(tab.Specs)
		for k, s := range nums {
			if s.Name == "inv_disputed" && tab.Rows[0].InvoiceID == "F" && tab.Rows[0].Num[k] != c.want {
				t.Errorf("as of %s (assumption %v): inv_disputed = %v, want %v", c.asOf, c.after != nil, tab.Rows[0].Num[k], c.want)
			}
		}
	}
}

// The flag is known as of the ledger's last day, whichever record gives it:
// payments three weeks past the last invoice put it three weeks later (it
// was the latest issue or settled date alone, so a worklist or report of
// those three weeks read the export's flags early).
func TestDisputedFlagWaitsForTheLedgersLastRecord(t *testing.T) {
	d := datasets.NewDate
	l := &datasets.Ledger{
		Invoices: []datasets.Invoice{
			{ID: "F", CustomerID: "C", IssueDate: d(2024, 3, 1), DueDate: d(2024, 4, 30), Amount: 100, Disputed: true},
			{ID: "G", CustomerID: "C", IssueDate: d(2024, 3, 20), DueDate: d(2024, 4, 19), Amount: 100},
		},
		Payments: []datasets.Payment{{ID: "P", CustomerID: "C", InvoiceID: "G", Date: d(2024, 4, 10), Amount: 40}},
	}
	if used, from := NewIndex(l).DisputeFlags(); !used || from != d(2024, 4, 10) {
		t.Fatalf("DisputeFlags() = %v, %s; want true, 2024-04-10 (the payment)", used, from)
	}
	f := FactsOf(l)
	for _, c := range []struct {
		t    datasets.Date
		want bool
	}{{d(2024, 3, 20), false}, {d(2024, 4, 9), false}, {d(2024, 4, 10), true}} {
		if got := f.FlagsStandIn(c.t); got != c.want {
			t.Errorf("FlagsStandIn(%s) = %v, want %v", c.t, got, c.want)
		}
	}
	l.Disputes = []datasets.Dispute{{ID: "D", CustomerID: "C", InvoiceID: "G", Opened: d(2024, 4, 1)}}
	if FactsOf(l).FlagsStandIn(d(2025, 1, 1)) {
		t.Error("flags stand in beside dispute records")
	}
}

// FactsOf tells what an index of the ledger tells, without indexing it:
// whether disputes are recorded, and the latest date an invoice records
// (the date an undated disputed flag stands as of).
func TestFactsOfIsTheIndexsFacts(t *testing.T) {
	l := randomLedger(4, 30, datasets.NewDate(2023, 1, 1), 400)
	d := datasets.NewDate
	for _, c := range []struct {
		name string
		l    *datasets.Ledger
	}{
		{"random", l},
		{"cleared items", clearedLedger(l)},
		{"settled last", &datasets.Ledger{Invoices: []datasets.Invoice{
			{ID: "A", CustomerID: "C", IssueDate: d(2024, 3, 1), SettledDate: d(2024, 5, 9)},
			{ID: "B", CustomerID: "C", IssueDate: d(2024, 4, 1)},
		}}},
		{"empty", &datasets.Ledger{}},
	} {
		got, want := FactsOf(c.l), NewIndex(c.l).Facts()
		if got != want {
			t.Errorf("%s: FactsOf %+v, NewIndex(l).Facts() %+v", c.name, got, want)
		}
	}
	if f := FactsOf(&datasets.Ledger{Invoices: []datasets.Invoice{{ID: "A", CustomerID: "C", IssueDate: d(2024, 3, 1), SettledDate: d(2024, 5, 9)}}}); f.FlagsAsOf != d(2024, 5, 9) || f.DisputesKnown {
		t.Errorf("FactsOf one settled invoice: %+v, want flags as of 2024-05-09 and no disputes", f)
	}
}

// A hand-built customer whose every feature value is worked out by hand.
func TestCustomerFeaturesByHand(t *testing.T) {
	d := datasets.NewDate
	l := &datasets.Ledger{
		Customers: []datasets.Customer{{ID: "C1", CreditLimit: 100_000, Terms: datasets.Terms{Days: 30}, Since: d(2023, 1, 1)}},
		Invoices: []datasets.Invoice{
			// settled 10 days late, 40 days to pay
			{ID: "A", CustomerID: "C1", IssueDate: d(2024, 1, 1), DueDate: d(2024, 1, 31), Amount: 10_000, SettledDate: d(2024, 2, 10)},
			// settled on time (5 days early): 0 days late, 25 to pay
			{ID: "B", CustomerID: "C1", IssueDate: d(2024, 2, 1), DueDate: d(2024, 3, 2), Amount: 30_000, SettledDate: d(2024, 2, 26)},
			// open, 20,000 of 50,000 paid, 9 days overdue at t
			{ID: "C", CustomerID: "C1", IssueDate: d(2024, 2, 20), DueDate: d(2024, 3, 21), Amount: 50_000},
			// issued after t: invisible
			{ID: "D", CustomerID: "C1", IssueDate: d(2024, 4, 1), DueDate: d(2024, 5, 1), Amount: 1},
		},
		Payments: []datasets.Payment{
			// A and B paid in full on their settlement days (settled
			// without cash they would be written off: settled is not paid)
			{ID: "pA", CustomerID: "C1", InvoiceID: "A", Date: d(2024, 2, 10), Amount: 10_000},
			{ID: "pB", CustomerID: "C1", InvoiceID: "B", Date: d(2024, 2, 26), Amount: 30_000},
			{ID: "p1", CustomerID: "C1", InvoiceID: "C", Date: d(2024, 3, 1), Amount: 20_000},
			{ID: "p2", CustomerID: "C1", Date: d(2024, 3, 5), Amount: 500},
		},
	}
	tab := NewEngine(NewIndex(l), Options{Windows: []int{90}}).Customers(d(2024, 3, 30))
	want := map[string]float64{
		"invoices_issued_90d": 3, "amount_issued_90d": 900, "invoices_settled_90d": 2, "amount_settled_90d": 400,
		"invoices_settled_late_90d": 1, "late_ratio_90d": 0.5, "late_amount_ratio_90d": 0.25,
		"days_late_mean_90d": 5, "days_late_median_90d": 10, "days_late_p90_90d": 10, "days_late_std_90d": 5,
		"days_to_pay_mean_90d": 32.5, "open_invoices": 1, "open_amount": 300, "overdue_amount": 300, "aging_1_30": 300,
		"oldest_overdue_days": 9, "credit_limit": 1000, "credit_utilisation": 0.3, "tenure_days": 454,
		"days_since_last_payment": 25, "unallocated_cash": 5, "partial_payment_share_90d": 1.0 / 3,
		"invoices_written_off_90d": 0, "write_off_rate_90d": 0,
		"last3_days_late_mean": 5, "dispute_rate_90d": 0, "promise_kept_rate_90d": math.NaN(),
	}
	nums, _ := split(tab.Specs)
	seen := 0
	for k, s := range nums {
		if w, ok := want[s.Name]; ok {
			seen++
			if !sameFloat(tab.Rows[0].Num[k], w) {
				t.Errorf("%s = %v, want %v", s.Name, tab.Rows[0].Num[k], w)
			}
		}
	}
	if seen != len(want) {
		t.Fatalf("checked %d features, want %d: a name is wrong", seen, len(want))
	}
}

func TestNewCustomerHasMissingHistoryNotErrors(t *testing.T) {
	l := &datasets.Ledger{Customers: []datasets.Customer{{ID: "NEW"}}}
	tab := NewEngine(NewIndex(l), Options{}).Customers(datasets.NewDate(2024, 1, 1))
	nums, _ := split(tab.Specs)
	for k, s := range nums {
		v := tab.Rows[0].Num[k]
		if math.IsInf(v, 0) {
			t.Errorf("%s is infinite", s.Name)
		}
		if s.Name == "late_ratio_365d" && !math.IsNaN(v) {
			t.Errorf("late_ratio_365d of a new customer = %v, want missing", v)
		}
	}
}

func TestTrainingLabelsAndCensoring(t *testing.T) {
	d := datasets.NewDate
	cut := d(2024, 3, 31)
	cases := []struct {
		name                      string
		v                         datasets.Invoice
		lateKnown, late, censored bool
		daysLate, daysToPay       int
	}{
		{"paid late", datasets.Invoice{IssueDate: d(2024, 1, 1), DueDate: d(2024, 1, 31), SettledDate: d(2024, 2, 5)}, true, true, false, 5, 35},
		{"paid on time", datasets.Invoice{IssueDate: d(2024, 1, 1), DueDate: d(2024, 1, 31), SettledDate: d(2024, 1, 31)}, true, false, false, 0, 30},
		{"open and overdue", datasets.Invoice{IssueDate: d(2024, 1, 1), DueDate: d(2024, 1, 31)}, true, true, true, 60, 90},
		{"open, not yet due", datasets.Invoice{IssueDate: d(2024, 3, 20), DueDate: d(2024, 4, 19)}, false, false, true, 0, 11},
		{"settled after the cut-off", datasets.Invoice{IssueDate: d(2024, 3, 20), DueDate: d(2024, 4, 19), SettledDate: d(2024, 4, 2)}, false, false, true, 0, 11},
	}
	for _, c := range cases {
		x := label(&c.v, TrainingOptions{Cutoff: cut})
		if x.LateKnown != c.lateKnown || x.Late != c.late || x.Censored != c.censored || x.DaysLate != c.daysLate || x.DaysToPay != c.daysToPay {
			t.Errorf("%s: got %+v", c.name, x)
		}
	}
}

func TestCatalogueDocIsCurrent(t *testing.T) {
	path := filepath.Join("..", "docs", "features.md")
	got := []byte(Markdown(Options{}))
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./features -run Catalogue -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("docs/features.md is out of date: run go test ./features -run Catalogue -update")
	}
}

// A spec's Base and Window name it: Find gives the same position as a
// scan by name, and a windowed feature is its base over its window.
func TestSpecsAreTyped(t *testing.T) {
	o := Options{Windows: []int{30, 120}}
	specs := InvoiceSpecs(o)
	ni, ci := 0, 0
	for _, s := range specs {
		want := s.Base
		if s.Window != 0 {
			want = fmt.Sprintf("%s_%dd", s.Base, s.Window)
		}
		if s.Name != want {
			t.Errorf("%s: base %q window %d", s.Name, s.Base, s.Window)
		}
		pos, ok := Find(specs, s.Base, s.Window)
		at := ni
		if s.Kind == Categorical {
			at = ci
		}
		if !ok || pos != at {
			t.Errorf("Find(%s, %d) = %d, %v; want %d", s.Base, s.Window, pos, ok, at)
		}
		if (s.Kind == Categorical) != (s.Unit == Level) {
			t.Errorf("%s: kind %v with unit %v", s.Name, s.Kind, s.Unit)
		}
		if s.Kind == Numeric {
			ni++
		} else {
			ci++
		}
	}
	if _, ok := Find(specs, "late_ratio", 365); ok {
		t.Error("Find found a window the options do not have")
	}
	if o.Longest() != 120 || o.Shortest() != 30 || (Options{}).Longest() != 365 {
		t.Errorf("Longest/Shortest = %d/%d, default longest %d", o.Longest(), o.Shortest(), Options{}.Longest())
	}
}

func TestSpecNamesAreUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range InvoiceSpecs(Options{}) {
		if seen[s.Name] {
			t.Errorf("duplicate feature %s", s.Name)
		}
		seen[s.Name] = true
		if s.Meaning == "" || s.Definition == "" {
			t.Errorf("feature %s is undocumented", s.Name)
		}
	}
}

// Sampling keeps about the asked share of invoices, the same ones whatever
// the ledger's order, with every snapshot of a kept invoice, and each kept
// example equals the unsampled set's example.
func TestTrainingSetSample(t *testing.T) {
	start := datasets.NewDate(2023, 1, 1)
	l := randomLedger(11, 120, start, 500)
	o := TrainingOptions{From: start, To: start.AddDays(400), Cutoff: start.AddDays(500), DaysBeforeDue: []int{7, -7}}
	_, all, err := NewEngine(NewIndex(l), Options{}).TrainingSet(o)
	if err != nil {
		t.Fatal(err)
	}
	o.Sample, o.SampleSeed = 0.3, 9
	_, part, err := NewEngine(NewIndex(l), Options{}).TrainingSet(o)
	if err != nil {
		t.Fatal(err)
	}
	rev := *l
	rev.Invoices = append([]datasets.Invoice(nil), l.Invoices...)
	for i, j := 0, len(rev.Invoices)-1; i < j; i, j = i+1, j-1 {
		rev.Invoices[i], rev.Invoices[j] = rev.Invoices[j], rev.Invoices[i]
	}
	_, part2, err := NewEngine(NewIndex(&rev), Options{}).TrainingSet(o)
	if err != nil {
		t.Fatal(err)
	}
	if len(part) != len(part2) {
		t.Fatalf("sample depends on ledger order: %d vs %d examples", len(part), len(part2))
	}
	full := map[string]Example{}
	ids := map[string]bool{}
	for _, x := range all {
		full[x.InvoiceID+"@"+x.AsOf.String()] = x
		ids[x.InvoiceID] = true
	}
	kept := map[string]bool{}
	for i, x := range part {
		if part2[i].InvoiceID != x.InvoiceID || part2[i].AsOf != x.AsOf {
			t.Fatalf("example %d differs with the ledger reversed", i)
		}
		want, ok := full[x.InvoiceID+"@"+x.AsOf.String()]
		if !ok || fmt.Sprint(want) != fmt.Sprint(x) {
			t.Fatalf("sampled example %s@%s is not the full set's", x.InvoiceID, x.AsOf)
		}
		kept[x.InvoiceID] = true
	}
	snaps := 0
	for _, x := range all {
		if kept[x.InvoiceID] {
			snaps++
		}
	}
	if snaps != len(part) {
		t.Errorf("kept invoices have %d snapshots in the full set, %d in the sample", snaps, len(part))
	}
	share := float64(len(kept)) / float64(len(ids))
	if math.Abs(share-0.3) > 0.06 {
		t.Errorf("kept %.3f of %d invoices, want about 0.3", share, len(ids))
	}
}

func TestDropNotStartedLeavesOutCustomersNotYetStarted(t *testing.T) {
	d := datasets.NewDate
	at := d(2024, 3, 31)
	l := &datasets.Ledger{
		Customers: []datasets.Customer{
			{ID: "MASTER_BEFORE", Name: "a", Since: d(2023, 1, 1)},
			{ID: "MASTER_AFTER", Name: "b", Since: d(2024, 6, 1)},
			{ID: "DERIVED_BEFORE"},
			{ID: "DERIVED_AFTER"},
			{ID: "NOTHING_YET", Name: "c"},
		},
		Invoices: []datasets.Invoice{
			{ID: "1", CustomerID: "DERIVED_BEFORE", IssueDate: d(2024, 3, 31), DueDate: d(2024, 4, 30), Amount: 100},
			{ID: "2", CustomerID: "DERIVED_AFTER", IssueDate: d(2024, 4, 1), DueDate: d(2024, 5, 1), Amount: 100},
			{ID: "3", CustomerID: "MASTER_AFTER", IssueDate: d(2024, 7, 1), DueDate: d(2024, 8, 1), Amount: 100},
		},
	}
	eng := NewEngine(NewIndex(l), Options{Windows: []int{90}})
	tab := eng.Customers(at)
	if got := tab.DropNotStarted(); got != 3 {
		t.Errorf("dropped %d rows, want 3", got)
	}
	var kept []string
	for _, r := range tab.Rows {
		kept = append(kept, r.CustomerID)
	}
	if want := []string{"DERIVED_BEFORE", "MASTER_BEFORE"}; !slices.Equal(kept, want) {
		t.Errorf("kept %v, want %v", kept, want)
	}
	// A day later the derived customer's first invoice is known.
	tab = eng.Customers(at + 1)
	tab.DropNotStarted()
	if len(tab.Rows) != 3 {
		t.Errorf("as of %s kept %d rows, want 3", at+1, len(tab.Rows))
	}
	inv := eng.OpenInvoices(at)
	if n := inv.DropNotStarted(); n != 0 {
		t.Errorf("invoice level: dropped %d rows, want none", n)
	}
}

// Without dispute records and without any invoice flagged disputed there
// is no flag to stand in for them, so nothing is assumed about it; one
// flagged invoice is enough for the flag to stand in.
func TestDisputeFlagsAreUsedOnlyWhenSomeInvoiceIsFlagged(t *testing.T) {
	d := datasets.NewDate
	ledger := func(flag bool) *datasets.Ledger {
		return &datasets.Ledger{Invoices: []datasets.Invoice{
			{ID: "F", CustomerID: "C", IssueDate: d(2024, 3, 1), DueDate: d(2024, 4, 30), Amount: 100},
			{ID: "G", CustomerID: "D", IssueDate: d(2024, 3, 20), DueDate: d(2024, 4, 19), Amount: 100, Disputed: flag},
		}}
	}
	for _, c := range []struct {
		flagged, want bool
	}{{false, false}, {true, true}} {
		if used, _ := NewIndex(ledger(c.flagged)).DisputeFlags(); used != c.want {
			t.Errorf("an invoice flagged %v: DisputeFlags() used = %v, want %v", c.flagged, used, c.want)
		}
	}
	withRecords := ledger(true)
	withRecords.Disputes = []datasets.Dispute{{ID: "X", CustomerID: "D", InvoiceID: "G", Opened: d(2024, 3, 25)}}
	if used, _ := NewIndex(withRecords).DisputeFlags(); used {
		t.Error("a ledger with dispute records: DisputeFlags() used = true, want the records read instead")
	}
}
