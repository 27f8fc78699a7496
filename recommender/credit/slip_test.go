package credit

import (
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
)

// slipLedger is baseLedger with C1's invoices due in the last 3 months
// paid recentLate days late (those whose day has not come are still
// open), and its limit set to limit by a decision.
func slipLedger(recentLate int, limit datasets.Money) *datasets.Ledger {
	l := baseLedger()
	from := asOf.AddDays(-recentDays)
	var pays []datasets.Payment
	for _, p := range l.Payments {
		pays = append(pays, p)
	}
	l.Payments = l.Payments[:0]
	paid := map[string]datasets.Date{}
	for i := range l.Invoices {
		v := &l.Invoices[i]
		if v.CustomerID != "C1" || v.DueDate <= from {
			continue
		}
		v.SettledDate = 0
		if d := v.DueDate.AddDays(recentLate); d <= asOf {
			v.SettledDate = d
			paid[v.ID] = d
		}
	}
	for _, p := range pays {
		v := invoiceByID(l, p.InvoiceID)
		if v.DueDate <= from {
			l.Payments = append(l.Payments, p)
		} else if d, ok := paid[p.InvoiceID]; ok {
			p.Date = d
			l.Payments = append(l.Payments, p)
		}
	}
	l.CreditDecisions[0].NewLimit = limit
	return l
}

func invoiceByID(l *datasets.Ledger, id string) *datasets.Invoice {
	for i := range l.Invoices {
		if l.Invoices[i].ID == id {
			return &l.Invoices[i]
		}
	}
	return nil
}

// A customer whose payments slip (its last 3 months' lateness, the
// invoices still open past due counted at their days overdue so far, well
// above its year's mean) is not raised, and its limit is cut to what it
// owes, rounded up to the grid; a steady customer is sized as before. A
// customer that stopped paying is slipping though it settled nothing in
// the window. Before, only the settled invoices' mean was read, in words:
// the trial's customer 100483, 45 days late lately against 10 on average
// with 3 more invoices overdue, was raised from 15,000 to 19,000 EUR.
func TestSlippingPaymentsBlockARaiseAndCutToTheExposure(t *testing.T) {
	noCut := DefaultPolicy()
	noCut.Slipping.CutToExposure = false
	off := DefaultPolicy()
	off.Slipping.Days = 0
	own := map[string]Risk{"C1": {PD: 0.005, Source: "model"}}
	cases := []struct {
		name       string
		recentLate int
		limit      datasets.Money
		pol        *Policy
		bound      string // "" : not slipping, and raised
		cut        bool   // cut to the exposure rounded up
	}{
		{"steady", baseLate, baseLimit, DefaultPolicy(), "", false},
		{"slipping, over its limit", 40, baseLimit, DefaultPolicy(), BoundSlipping, false},
		{"slipping, limit above what it owes", 40, 400_000_00, DefaultPolicy(), BoundSlipping, true},
		{"stopped paying", 1000, 400_000_00, DefaultPolicy(), BoundSlipping, true},
		{"slipping, the policy does not cut", 40, 20_000_00, noCut, BoundSlipping, false},
		{"the rule turned off", 40, 20_000_00, off, "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := slipLedger(c.recentLate, c.limit)
			s := suggestOne(t, l, c.pol, own, "C1")
			why := strings.Join(s.Reasons, "; ")
			if c.bound == "" {
				// Steady: raised. Turned off: whatever the other rules say.
				if s.Bound == BoundSlipping || strings.Contains(why, "payments are slipping:") || c.recentLate == baseLate && s.Change.Money() <= 0 {
					t.Fatalf("bound %s change %v, want no slip (and a raise when steady): %v", s.Bound, s.Change, s.Reasons)
				}
				return
			}
			if s.Bound != c.bound || s.Change.Money() > 0 || !strings.Contains(why, "its payments are slipping:") {
				t.Fatalf("bound %s change %v, want %s and no raise, with the slip in %v", s.Bound, s.Change, c.bound, s.Reasons)
			}
			want := c.limit
			if c.cut {
				want = c.pol.roundUp(s.Exposure.Money())
			}
			if s.Suggested.Money() != want || s.Suggested.Money() < s.Exposure.Money() && c.cut {
				t.Fatalf("suggested %v (exposure %v), want %v: %v", s.Suggested, s.Exposure, want, s.Reasons)
			}
		})
	}
}

// The slip counts the invoices open past due within the window at their
// days overdue so far, and leaves out those in dispute and those not yet
// due.
func TestSlipCountsOpenOverdueInvoices(t *testing.T) {
	a := &account{daysLate: 5, settled: 40, recentLate: 10, recentSettled: 2, open: []item{
		{id: "A", due: asOf.AddDays(-30), outstanding: 100},
		{id: "B", due: asOf.AddDays(-50), outstanding: 100},
		{id: "D", due: asOf.AddDays(-60), outstanding: 100, disputed: true},
		{id: "N", due: asOf.AddDays(5), outstanding: 100},
		{id: "O", due: asOf.AddDays(-200), outstanding: 100},
	}}
	s, ok := a.slipping(asOf, DefaultPolicy())
	if want := (2*10.0 + 30 + 50) / 4; s.late != want || s.open != 2 || !ok {
		t.Fatalf("slip %+v (%v), want a late mean of %v on 2 settled and 2 open, slipping", s, ok, want)
	}
	a.open = a.open[2:]
	if s, ok := a.slipping(asOf, DefaultPolicy()); ok {
		t.Fatalf("slip %+v: 2 settlements at 10 days are not a slip", s)
	}
}
