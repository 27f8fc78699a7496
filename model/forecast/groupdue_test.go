package forecast

import (
	"context"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/synth"
)

// TestGroupsHaveTheirOwnDueSchedule: each group of a breakdown carries the
// due-date schedule of its own open invoices, week by week, and the
// groups' schedules add up to the portfolio's, whatever the breakdown and
// the horizon; the result says how many weeks its total sums. (Until stop
// 31 a group had no due schedule, so a treasurer could not set a group's
// forecast against its due dates, and total_13w did not say that it
// summed fewer weeks under --weeks.)
func TestGroupsHaveTheirOwnDueSchedule(t *testing.T) {
	ctx := context.Background()
	// Unconverted, so that the invoices keep their currencies: the sums
	// mix them, which the schedules' arithmetic does not mind.
	l, _, err := synth.Collect(ctx, synth.Config{Customers: 60, Months: 20, Seed: 61})
	if err != nil {
		t.Fatal(err)
	}
	h := NewHistory(l, nil)
	cases := []struct {
		by    string
		weeks int
	}{
		{ByCustomer, 13},
		{BySegment, 4},
		{ByCurrency, 13},
		{ByCountry, 1},
	}
	for _, c := range cases {
		t.Run(c.by, func(t *testing.T) {
			res, err := Forecast(ctx, h, nil, Options{AsOf: datasets.NewDate(2024, 6, 30), Weeks: c.weeks, Paths: 100, Seed: 2, By: c.by, replaySample: 40})
			if err != nil {
				t.Fatal(err)
			}
			if res.TotalWeeks != c.weeks {
				t.Errorf("total_weeks %d, want %d", res.TotalWeeks, c.weeks)
			}
			if len(res.Groups) < 2 {
				t.Fatalf("%d groups", len(res.Groups))
			}
			sum := make([]Money, c.weeks)
			nonzero := 0
			for _, g := range res.Groups {
				if len(g.DueSchedule) != c.weeks {
					t.Fatalf("group %s: %d due weeks, want %d", g.Key, len(g.DueSchedule), c.weeks)
				}
				var gsum Money
				for k, d := range g.DueSchedule {
					if d.Start != res.DueSchedule[k].Start || d.End != res.DueSchedule[k].End {
						t.Errorf("group %s week %d runs %s..%s, the portfolio's %s..%s", g.Key, k+1, d.Start, d.End, res.DueSchedule[k].Start, res.DueSchedule[k].End)
					}
					sum[k] += d.Amount
					gsum += d.Amount
				}
				if gsum != 0 {
					nonzero++
				}
			}
			for k := range sum {
				if sum[k] != res.DueSchedule[k].Amount {
					t.Errorf("week %d: the groups' due dates add up to %v, the portfolio's are %v", k+1, sum[k], res.DueSchedule[k].Amount)
				}
			}
			if nonzero < 2 {
				t.Errorf("only %d groups have anything due", nonzero)
			}
		})
	}
}
