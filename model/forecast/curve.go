package forecast

import (
	"github.com/dsopilot/dsopilot/datasets"
)

// weekOf returns the forecast week (0-based) of day d after the as-of date
// t: week k covers t+7k+1 … t+7k+7. Days up to t fall in week 0 (what is
// overdue is expected at once); -1 means beyond weeks.
func weekOf(t, d datasets.Date, weeks int) int {
	if d <= t {
		return 0
	}
	k := int(d-t-1) / 7
	if k >= weeks {
		return -1
	}
	return k
}

// WeeklyFromPaidBy turns a pay-date curve into the probabilities that the
// invoice is paid in each forecast week, written to q (len(q) weeks).
//
// paidBy[k] is the model's probability of payment by the end of its week
// k+1, its weeks counted from the as-of day itself (days t … t+6, then
// t+7 … t+13, ...), while forecast weeks start the day after (t+1 … t+7):
// each forecast week takes six days of the model's week and the first day
// of the next, spread evenly. Beyond the curve's last week, its last
// week's hazard is assumed to continue. q must not be longer than paidBy.
func WeeklyFromPaidBy(paidBy []float64, q []float64) {
	n := len(paidBy)
	at := func(k int) float64 { // P(paid during model week k), 0-based
		switch {
		case k < 0:
			return 0
		case k == 0:
			return paidBy[0]
		case k < n:
			return max(0, paidBy[k]-paidBy[k-1])
		}
		// Extend with the last week's hazard.
		prev := min(paidBy[n-1], 1)
		var h float64
		if n >= 2 && paidBy[n-2] < 1 {
			h = max(0, (paidBy[n-1]-paidBy[n-2])/(1-paidBy[n-2]))
		} else if n == 1 {
			h = paidBy[0]
		}
		return (1 - prev) * h
	}
	for k := range q {
		if k == 0 {
			q[0] = at(0) + at(1)/7
			continue
		}
		q[k] = at(k)*6/7 + at(k+1)/7
	}
	clampCurve(q)
}

// clampCurve makes q a valid set of weekly probabilities: each in [0,1],
// their sum at most 1.
func clampCurve(q []float64) {
	s := 0.0
	for k, v := range q {
		v = min(max(v, 0), 1-s)
		q[k] = v
		s += v
	}
}

// Schedule is money per forecast week, in cents.
type Schedule []datasets.Money

// DueDateSchedule is the treasurer's first baseline: each open invoice's
// outstanding in the week of its due date, or in week 1 when already due.
func DueDateSchedule(t datasets.Date, book []Item, weeks int) Schedule {
	out := make(Schedule, weeks)
	for i := range book {
		out.addDue(t, &book[i])
	}
	return out
}

// addDue adds it's outstanding to the week of its due date as of t (week
// 1 when already due), when that week is one of s's.
func (s Schedule) addDue(t datasets.Date, it *Item) {
	if k := weekOf(t, it.DueDate, len(s)); k >= 0 {
		s[k] += it.Outstanding
	}
}

// AverageDelaySchedule is the second baseline: each open invoice's
// outstanding in the week of its due date plus the customer's mean delay
// known at t (the portfolio's for a customer without history), or in week
// 1 when that day has passed.
func AverageDelaySchedule(t datasets.Date, book []Item, r *Rates, weeks int) Schedule {
	out := make(Schedule, weeks)
	for i := range book {
		it := &book[i]
		d := it.DueDate.AddDays(int(roundHalfAway(r.Delay(it.CustomerID))))
		if k := weekOf(t, d, weeks); k >= 0 {
			out[k] += it.Outstanding
		}
	}
	return out
}

func roundHalfAway(x float64) float64 {
	if x < 0 {
		return -float64(int64(-x + 0.5))
	}
	return float64(int64(x + 0.5))
}
