package forecast

import (
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/model"
)

// TestPastModelFromTheDayScoringGivesUp: scoring gives an invoice open 90
// days past due p_90_plus 1 and, without an overdue survival, no timing;
// from that very day the customer's record must forecast it, or it falls
// between the two and is forecast never to be paid.
func TestPastModelFromTheDayScoringGivesUp(t *testing.T) {
	due := datasets.NewDate(2024, 3, 1)
	one, half := 1.0, 0.5
	cases := []struct {
		name  string
		p90   *float64
		asOf  datasets.Date
		taken bool
	}{
		{"89 days overdue, certain", &one, due.AddDays(89), false},
		{"90 days overdue, certain", &one, due.AddDays(90), true},
		{"90 days overdue, no 90+ model", nil, due.AddDays(90), true},
		{"120 days overdue, uncertain", &half, due.AddDays(120), false},
		{"not yet due, no 90+ model", nil, due.AddDays(-5), false},
	}
	for _, c := range cases {
		p := &model.Prediction{DueDate: due, PDefault90: c.p90}
		if got := pastModel(p, c.asOf); got != c.taken {
			t.Errorf("%s: pastModel %v, want %v", c.name, got, c.taken)
		}
	}
}
