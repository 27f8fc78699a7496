package credit

import (
	"fmt"
	"math"

	"github.com/dsopilot/dsopilot/datasets"
)

// A customer drifting toward default stops paying before its settled
// invoices show it: the trial's customer 100483 paid 10 days late on
// average, 45 on its last 3 settlements, and had 3 more invoices 19-56 days
// overdue, unpaid; 15 of its 25 invoices since April were never paid. Its
// need counted the 12-month mean and the payment model gave it a PD of
// 8.8%, so the rules raised it from 15,000 to 19,000 EUR. The slip is read
// here from the last 3 months: the invoices settled in them at their days
// late, and the invoices open past due by at most that window at their days
// overdue so far (a lower bound of their lateness: counting them is what
// sees a customer that stopped paying). Older overdue debt is the 90-day
// and overdue rules' matter; disputed invoices are no credit matter.

// slip is a customer's recent lateness with its open overdue invoices.
type slip struct {
	late    float64 // the recent mean days late, open overdue invoices at their days overdue
	settled int     // invoices settled in the window
	open    int     // invoices open past due, due within the window
	history float64 // the history window's mean days late (settled only)
}

// slipOf reads a's recent lateness as of t.
func (a *account) slipOf(t datasets.Date) slip {
	s := slip{settled: a.recentSettled, history: a.daysLate}
	sum := a.recentLate * float64(a.recentSettled)
	for i := range a.open {
		it := &a.open[i]
		if d := it.dpd(t); d > 0 && d <= recentDays && !it.disputed {
			sum += float64(d)
			s.open++
		}
	}
	if n := s.settled + s.open; n > 0 {
		s.late = sum / float64(n)
	}
	return s
}

// slipping says a's payments are slipping by the policy's rule: the recent
// lateness at least Days and Share × the history's mean above it, beyond
// the lateness the need counts, on at least MinInvoices invoices.
func (a *account) slipping(t datasets.Date, pol *Policy) (slip, bool) {
	r := pol.Slipping
	s := a.slipOf(t)
	if r.Days <= 0 || s.settled+s.open < max(1, r.MinInvoices) || a.settled == 0 {
		return s, false
	}
	return s, s.late-s.history >= max(r.Days, r.Share*s.history) && s.late > pol.Need.LateToleranceDays
}

// words says how the payments slipped, for a reason.
func (s slip) words() string {
	var on string
	switch {
	case s.open == 0:
		on = plural(s.settled, "invoice") + " settled in the last 3 months"
	case s.settled == 0:
		on = plural(s.open, "invoice") + " open past due, at their days overdue so far"
	default:
		on = fmt.Sprintf("%s settled in the last 3 months and %s open past due, at their days overdue so far", plural(s.settled, "invoice"), plural(s.open, "invoice"))
	}
	return fmt.Sprintf("its payments are slipping: %s late on the %s, against %s on average over the history",
		plural(int(math.Round(s.late)), "day"), on, plural(int(math.Round(s.history)), "day"))
}
