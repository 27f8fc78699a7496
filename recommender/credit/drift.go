package credit

import (
	"fmt"
	"math"

	"github.com/dsopilot/dsopilot/features"
)

// A customer's mean lateness over the history window (12 months) hides a
// drift: a trial's customer paying 0-10 days late until May, then 40-83,
// read "pays 14 days late on average" in November, and its next invoices
// were dated 14 days after their due dates. The lateness of the last 3
// months is read beside it (as of the as-of day, like every feature): when
// the two differ materially the reasons give both, and a date predicted
// from the customer's lateness uses the recent one.

const (
	// recentDays is the recent window: 3 months (3 × daysPerMonth, rounded).
	recentDays = 91

	// minRecentSettled is the fewest settlements in the recent window for
	// its mean to stand against the history's: one or two late payments
	// are not a drift.
	minRecentSettled = 3
	// driftDays and driftShare say how far the recent mean must be from
	// the history's (by days, and by share of the history's) to differ
	// materially: a steady customer paying 12-28 days late moves by a few
	// days from one quarter to the next.
	driftDays  = 10
	driftShare = 0.5
)

// lateWindows are the engine's windows: the history's, and the recent one
// when the history is longer.
func lateWindows(historyDays int) []int {
	if historyDays > recentDays {
		return []int{historyDays, recentDays}
	}
	return []int{historyDays}
}

// recentColumns are the positions of the recent window's mean days late
// and settlements among specs; nil when the history is no longer than it.
func recentColumns(specs []features.Spec, historyDays int) ([]int, error) {
	if historyDays <= recentDays {
		return nil, nil
	}
	return columns(specs, fmt.Sprintf("days_late_mean_%dd", recentDays), fmt.Sprintf("invoices_settled_%dd", recentDays))
}

// drifted says the recent lateness differs materially from the history's.
func (a *account) drifted() bool {
	return a.recentSettled >= minRecentSettled &&
		math.Abs(a.recentLate-a.daysLate) >= max(driftDays, driftShare*a.daysLate)
}

// usualLate is the days late a date is predicted with: the recent mean
// when it drifted from the history's, else the history's.
func (a *account) usualLate() int {
	if a.drifted() {
		return int(math.Round(a.recentLate))
	}
	return int(math.Round(a.daysLate))
}

// lateNote says how late the customer pays, in a flag's note: the recent
// lateness beside the history's when they differ materially.
func (a *account) lateNote() string {
	if !a.drifted() {
		return fmt.Sprintf("pays %s late on average", plural(a.usualLate(), "day"))
	}
	return fmt.Sprintf("pays %s late lately, on the %s settled in the last 3 months; %d on average over the last %s",
		plural(a.usualLate(), "day"), plural(a.recentSettled, "invoice"), int(math.Round(a.daysLate)), plural(a.historyMonths, "month"))
}

// lateReason says how late the customer pays, in the need's reason, which
// counts the history's mean (up to the policy's tolerance): the recent
// lateness follows it when they differ materially, with which way it went.
func (a *account) lateReason() string {
	avg := int(math.Round(a.daysLate))
	if !a.drifted() {
		return fmt.Sprintf("pays %s late on average", plural(avg, "day"))
	}
	way := "slipping"
	if a.recentLate < a.daysLate {
		way = "improving"
	}
	return fmt.Sprintf("pays %s late on average over the last %s, but %s late on the %s settled in the last 3 months (its payments are %s; the need counts the %d-month average)",
		plural(avg, "day"), plural(a.historyMonths, "month"), plural(a.usualLate(), "day"), plural(a.recentSettled, "invoice"), way, a.historyMonths)
}
