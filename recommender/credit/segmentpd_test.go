package credit

import (
	"fmt"
	"math"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
)

// TestATinySegmentTakesThePortfoliosRate: a segment of one customer with
// no default got (0 + 0.5)/(1 + 1) = 25%, the prior's half default
// rather than anything observed, and with it the high class and quarterly
// reviews (a customer ingested without a segment, in a new-user trial).
// Segments with enough active customers keep their own rate.
func TestATinySegmentTakesThePortfoliosRate(t *testing.T) {
	asOf := datasets.NewDate(2024, 6, 30)
	var list []*account
	for i := range 10 {
		a := &account{c: datasets.Customer{ID: fmt.Sprintf("A%d", i), Segment: "mid_market"}, issued: 3}
		if i == 0 {
			a.defaulted = asOf.AddDays(-40)
		}
		list = append(list, a)
	}
	list = append(list, &account{c: datasets.Customer{ID: "Z1"}, issued: 1})
	got := segmentPD(list, nil, asOf).rate
	cases := []struct {
		seg  string
		want float64
	}{
		{"mid_market", (1 + 0.5) / (10 + 1.0)},
		{"", (1 + 0.5) / (11 + 1.0)}, // the portfolio's, not 0.25
	}
	for _, c := range cases {
		if math.Abs(got[c.seg]-c.want) > 1e-12 {
			t.Errorf("segment %q: PD %.4f, want %.4f", c.seg, got[c.seg], c.want)
		}
	}
}
