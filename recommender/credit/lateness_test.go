package credit

import (
	"fmt"
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
)

// lateLedger is baseLedger with C1 paying every invoice late days late.
func lateLedger(late int) *datasets.Ledger {
	l := baseLedger()
	l.Invoices, l.Payments = l.Invoices[:0], nil
	n := 0
	for d := asOf.AddDays(-baseHistory); d <= asOf; d = d.AddDays(baseEvery) {
		n++
		inv := datasets.Invoice{ID: fmt.Sprintf("I%04d", n), CustomerID: "C1", IssueDate: d, DueDate: d.AddDays(baseTerms),
			Amount: baseAmount, Currency: "EUR", Segment: "mid_market"}
		if paid := inv.DueDate.AddDays(late); paid <= asOf {
			inv.SettledDate = paid
			l.Payments = append(l.Payments, datasets.Payment{ID: "P" + inv.ID, CustomerID: "C1", InvoiceID: inv.ID, Date: paid,
				Amount: baseAmount, Currency: "EUR"})
		}
		l.Invoices = append(l.Invoices, inv)
	}
	return l
}

// A customer paying later does not earn a larger limit: the need counts
// the days late up to the policy's tolerance, and the exposure floor
// leaves out the debt overdue beyond it. (The need counted every day late:
// a customer paying 45 days late on NET60 was suggested 65% more than one
// paying 15 days late, for the same purchases.)
func TestLatenessEarnsNoLargerLimit(t *testing.T) {
	pol := DefaultPolicy()
	risk := map[string]Risk{"C1": {PD: 0.01, Source: "model"}}
	tolerance := int(pol.Need.LateToleranceDays)
	if tolerance != 15 {
		t.Fatalf("the shipped tolerance is %d days, want 15", tolerance)
	}
	within := suggestOne(t, lateLedger(tolerance), pol, risk, "C1")
	for _, late := range []int{30, 45, 80} {
		t.Run(fmt.Sprintf("%d days late", late), func(t *testing.T) {
			s := suggestOne(t, lateLedger(late), pol, risk, "C1")
			if s.Need.Money() > within.Need.Money()+within.Need.Money()/100 {
				t.Errorf("need %s paying %d days late, %s paying %d: lateness beyond the tolerance raised it", s.Need.Money(), late, within.Need.Money(), tolerance)
			}
			if s.Suggested.Money() > within.Suggested.Money() {
				t.Errorf("suggested %s (%s) paying %d days late, %s (%s) paying %d", s.Suggested.Money(), s.Bound, late, within.Suggested.Money(), within.Bound, tolerance)
			}
			all := strings.Join(s.Reasons, " | ")
			for _, want := range []string{fmt.Sprintf("pays %d days late on average", late), "; 15 days late counted, the policy's tolerance",
				"every day late counted, it would need", "paying late does not earn a larger limit"} {
				if !strings.Contains(all, want) {
					t.Errorf("reasons lack %q:\n%s", want, all)
				}
			}
		})
	}
	if all := strings.Join(within.Reasons, " | "); strings.Contains(all, "every day late counted") {
		t.Errorf("within the tolerance the reasons say what lateness would add:\n%s", all)
	}
}
