package credit

import (
	"context"
	"testing"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
)

// dayRisk gives C1 the class from its day on, and before before it.
type dayRisk struct {
	from          datasets.Date
	before, after string
}

func (r dayRisk) CustomerRisk(_ context.Context, _ *datasets.Ledger, day datasets.Date) (map[string]Risk, error) {
	c := r.before
	if day >= r.from {
		c = r.after
	}
	return map[string]Risk{"C1": {PD: classPD[c], Source: "model"}}, nil
}

// A new proposal's review date follows the customer's class at the
// decision, the proposal's day, read as a recorded decision's is: at the
// last month-end whose day is whole by then. It took the class of the day
// the suggestion was asked about: yesterday's, a class first seen after the
// month-end, or with --as-of that of any earlier day, its cadence counted
// from today.
func TestProposalReviewFollowsTheClassAtTheDecision(t *testing.T) {
	day := datasets.NewDate(2024, 6, 16) // the proposal's day; May 31 is the last month-end before it
	cases := []struct {
		name       string
		risk       dayRisk
		asOf       datasets.Date // the suggestion's day (0: yesterday)
		wantClass  string
		wantReview datasets.Date
	}{
		// The worse of the month-end's and the suggestion's (yesterday's):
		// a customer turned high since is not given a low class's year.
		{"a worse class seen after the month-end", dayRisk{datasets.NewDate(2024, 6, 10), "low", "high"}, 0, "high", day.AddMonths(3)},
		{"a better class seen after the month-end", dayRisk{datasets.NewDate(2024, 6, 10), "high", "low"}, 0, "high", day.AddMonths(3)},
		{"the suggestion asked about an earlier day", dayRisk{datasets.NewDate(2024, 4, 1), "high", "medium"}, datasets.NewDate(2024, 3, 31), "medium", day.AddMonths(6)},
		{"the class on the month-end and since", dayRisk{datasets.NewDate(2024, 1, 1), "low", "medium"}, 0, "medium", day.AddMonths(6)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			sc := stores(t)[0]
			st, _ := openWorkflow(t, sc)
			c := &clock{t: day.Time().Add(9 * time.Hour)}
			svc := &Service{Store: st, Policy: DefaultPolicy(), Risk: tc.risk, Now: c.now}
			p, err := svc.Propose(ctx, ProposeRequest{CustomerID: "C1", Limit: 60_000_00, Reason: "new contract", By: "ann", AsOf: tc.asOf})
			if err != nil {
				t.Fatal(err)
			}
			if p.RiskClass != tc.wantClass || p.Review != tc.wantReview {
				t.Errorf("proposal with class %s, review on %s; want %s, %s", p.RiskClass, p.Review, tc.wantClass, tc.wantReview)
			}
			got, err := svc.Approve(ctx, p.ID, DecideRequest{By: "bob", Role: "credit_manager"})
			if err != nil {
				t.Fatal(err)
			}
			if got.Review != tc.wantReview {
				t.Errorf("approved the same day with review on %s, want %s", got.Review, tc.wantReview)
			}
		})
	}
}
