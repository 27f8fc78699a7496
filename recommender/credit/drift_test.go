package credit

import (
	"fmt"
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
)

// driftLedger is baseLedger with C1 paying its invoices due before
// asOf − 120 days before days late and the later ones after days late.
func driftLedger(before, after int) *datasets.Ledger {
	l := baseLedger()
	l.Invoices, l.Payments = l.Invoices[:0], nil
	n := 0
	for d := asOf.AddDays(-baseHistory); d <= asOf; d = d.AddDays(baseEvery) {
		n++
		inv := datasets.Invoice{ID: fmt.Sprintf("I%04d", n), CustomerID: "C1", IssueDate: d, DueDate: d.AddDays(baseTerms),
			Amount: baseAmount, Currency: "EUR", Segment: "mid_market"}
		late := after
		if inv.DueDate < asOf.AddDays(-120) {
			late = before
		}
		// Settled whenever it is, after asOf too: the as-of day's
		// reading must not see a settlement dated after it.
		inv.SettledDate = inv.DueDate.AddDays(late)
		l.Payments = append(l.Payments, datasets.Payment{ID: "P" + inv.ID, CustomerID: "C1", InvoiceID: inv.ID, Date: inv.SettledDate,
			Amount: baseAmount, Currency: "EUR"})
		l.Invoices = append(l.Invoices, inv)
	}
	return l
}

// A customer whose lateness drifted from its 12-month average is told
// honestly: the reasons give the last 3 months' lateness beside the
// average, and the flags date its next invoices by the recent lateness.
// Only what was settled by the as-of day counts. (A trial's customer
// paying 40-83 days late since the summer read "pays 14 days late on
// average", its next invoices dated 14 days after due.)
func TestADriftingCustomerIsToldByItsRecentLateness(t *testing.T) {
	pol := DefaultPolicy()
	risk := map[string]Risk{"C1": {PD: 0.01, Source: "model"}}
	for _, c := range []struct {
		name          string
		before, after int
		day           datasets.Date
		says, never   []string
		late          int // the days late the next invoices are dated by (-1: none are)
	}{
		{name: "slipping", before: 5, after: 50, day: asOf,
			says: []string{"but 50 days late on the 10 invoices settled in the last 3 months (its payments are slipping; the need counts the 12-month average)",
				"(it pays 50 days late lately, on the 10 invoices settled in the last 3 months; 17 on average over the last 12 months)"},
			late: 50},
		{name: "improving", before: 50, after: 5, day: asOf,
			says: []string{"(its payments are improving;"}, late: 13},
		// Before the first late payment was made, nothing drifted: the
		// settlements dated after the day are not read (the invoices
		// overdue beyond its lateness leave the next ones undated).
		{name: "not yet known", before: 5, after: 50, day: asOf.AddDays(-71),
			says:  []string{"pays 5 days late on average", "(not dated: it pays 5 days late on average, with 2 invoices overdue well beyond that)"},
			never: []string{"settled in the last 3 months", "lately"}, late: -1},
		// 16 days late against 12 on average is no material drift.
		{name: "steady", before: 10, after: 16, day: asOf,
			says: []string{"pays 12 days late on average", "(it pays 12 days late on average)"}, never: []string{"settled in the last 3 months", "lately"}, late: 12},
	} {
		t.Run(c.name, func(t *testing.T) {
			l := driftLedger(c.before, c.after)
			o := Options{Risk: risk, Customers: []string{"C1"}}
			s, err := Suggest(l, c.day, pol, o)
			if err != nil || len(s.Rows) != 1 {
				t.Fatalf("suggest: %v, %d rows", err, len(s.Rows))
			}
			fs, _, err := Flags(l, c.day, pol, o)
			if err != nil || len(fs) != 1 {
				t.Fatalf("flags: %v, %d customers", err, len(fs))
			}
			over := flagOf(t, fs[0], FlagOverLimit)
			all := strings.Join(s.Rows[0].Reasons, " | ") + " | " + over.Resolution
			for _, want := range c.says {
				if !strings.Contains(all, want) {
					t.Errorf("want %q among:\n%s", want, all)
				}
			}
			for _, not := range c.never {
				if strings.Contains(all, not) {
					t.Errorf("want no %q among:\n%s", not, all)
				}
			}
			if c.late < 0 {
				return
			}
			// The first invoice not yet due is expected its days late after
			// its due date.
			var next datasets.Date
			for _, v := range l.Invoices {
				if v.IssueDate <= c.day && v.DueDate >= c.day && (next == 0 || v.DueDate < next) {
					next = v.DueDate
				}
			}
			if want := "is expected about " + longDate(next.AddDays(c.late)); !strings.Contains(over.Resolution, want) {
				t.Errorf("want %q in the resolution %q", want, over.Resolution)
			}
		})
	}
}
