package credit

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
)

// A customer is not raised with material debt overdue beyond the overdue
// flag's days, nor while it is over its limit in arrears; the reason says
// so. A stray small invoice of a large customer does not block the raise,
// and a customer over its limit because its business grew (paying within
// the lateness tolerance) is still raised to hold what it owes. Before,
// only debt 90+ days overdue blocked a raise: a trial's customer owing
// 44,404 against 2,687, 43,210 of it 64 days overdue, was told +4,813.
func TestNoRaiseOverdueOrOverLimitInArrears(t *testing.T) {
	pol := DefaultPolicy()
	own := map[string]Risk{"C1": {PD: 0.005, Source: "model"}}
	unpaid := func(id string, amount datasets.Money, overdue int) func(*datasets.Ledger) {
		return func(l *datasets.Ledger) {
			due := asOf.AddDays(-overdue)
			l.Invoices = append(l.Invoices, datasets.Invoice{ID: id, CustomerID: "C1", IssueDate: due.AddDays(-baseTerms), DueDate: due,
				Amount: amount, Currency: "EUR", Segment: "mid_market"})
		}
	}
	cases := []struct {
		name   string
		change func(*datasets.Ledger)
		bound  string // "" : raised
		reason string
	}{
		{"over its limit on time", nil, "", ""},
		{"material debt beyond the overdue flag's days", unpaid("X1", 40_000_00, pol.Flags.OverdueDays+4), BoundOverdue, "more than 60 days overdue (the overdue flag's threshold)"},
		{"a stray small invoice", unpaid("X2", 300_00, pol.Flags.OverdueDays+4), "", ""},
		{"over its limit in arrears", unpaid("X3", 20_000_00, 30), BoundOverLimit, "over its limit of 50,000 EUR"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := baseLedger()
			if c.change != nil {
				c.change(l)
			}
			s := suggestOne(t, l, pol, own, "C1")
			if s.Exposure.Money() <= baseLimit {
				t.Fatalf("C1 owes %v, want over its limit %v", s.Exposure, baseLimit)
			}
			if c.bound == "" {
				if s.Change.Money() <= 0 || s.Bound == BoundOverdue || s.Bound == BoundOverLimit {
					t.Fatalf("change %v (%s), want a raise: %v", s.Change, s.Bound, s.Reasons)
				}
				return
			}
			if s.Bound != c.bound || s.Change.Money() != 0 || !strings.Contains(strings.Join(s.Reasons, "; "), c.reason) {
				t.Fatalf("bound %s change %v, want %s and no change, with %q in %v", s.Bound, s.Change, c.bound, c.reason, s.Reasons)
			}
		})
	}
}

// A customer with nothing open gets its segment's observed default rate,
// not the mean of the PDs the payment model gave the segment's customers
// who owe; a scored customer keeps its own. Before, it got that mean: a
// trial's prompt payers with nothing owed were rated 21-24%, "high".
func TestCleanHistoryGetsTheObservedRate(t *testing.T) {
	l := &datasets.Ledger{}
	risk := map[string]Risk{}
	add := func(id string, paidLate int, open bool) {
		l.Customers = append(l.Customers, datasets.Customer{ID: id, Segment: "retail", Currency: "EUR", CreditLimit: 5_000_00,
			Terms: datasets.Terms{Days: 30}, Since: asOf.AddDays(-400)})
		for k := range 6 {
			issue := asOf.AddDays(-300 + 40*k)
			inv := datasets.Invoice{ID: fmt.Sprintf("%s-%d", id, k), CustomerID: id, IssueDate: issue, DueDate: issue.AddDays(30),
				Amount: 1_000_00, Currency: "EUR", Segment: "retail"}
			paid := inv.DueDate.AddDays(paidLate)
			last := k == 5
			if open && last || paid > asOf {
				// the last one is still open and not yet due
				inv.IssueDate, inv.DueDate = asOf.AddDays(-5), asOf.AddDays(25)
			} else {
				inv.SettledDate = paid
				l.Payments = append(l.Payments, datasets.Payment{ID: "P" + inv.ID, CustomerID: id, InvoiceID: inv.ID, Date: paid, Amount: inv.Amount, Currency: "EUR"})
			}
			l.Invoices = append(l.Invoices, inv)
		}
		if open {
			risk[id] = Risk{PD: 0.3, Source: "payment_model"}
		}
	}
	for i := range 6 {
		add(fmt.Sprintf("P%d", i), 0, true) // scored peers with nothing overdue
	}
	add("CLEAN", 2, false)
	add("LATE", 40, false)
	s, err := Suggest(l, asOf, DefaultPolicy(), Options{Risk: risk})
	if err != nil {
		t.Fatal(err)
	}
	pd := map[string]Suggestion{}
	for _, r := range s.Rows {
		pd[r.CustomerID] = r
	}
	observed := 0.5 / (8 + 1.0) // no default among 8 active customers, half a default of prior
	if got := pd["CLEAN"]; math.Abs(got.PD-round4(observed)) > 1e-9 || got.PDSource != "segment" || got.CreditRiskClass == "high" {
		t.Errorf("CLEAN: PD %v (%s, %s), want the observed rate %.4f", got.PD, got.PDSource, got.CreditRiskClass, observed)
	}
	if got := pd["P0"]; math.Abs(got.PD-0.3) > 1e-9 || got.PDSource != "payment_model" {
		t.Errorf("P0: PD %v (%s), want its own 0.3", got.PD, got.PDSource)
	}
}
