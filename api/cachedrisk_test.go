package api

import (
	"context"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/recommender/credit"
)

// countingRisk counts the days it is asked about.
type countingRisk struct{ asked map[datasets.Date]int }

func (c *countingRisk) CustomerRisk(_ context.Context, _ *datasets.Ledger, asOf datasets.Date) (map[string]credit.Risk, error) {
	c.asked[asOf]++
	if asOf.Time().Day() == 1 { // a day the model falls back: no PDs, cached all the same
		return nil, nil
	}
	return map[string]credit.Risk{"C1": {PD: float64(asOf) / 1e6}}, nil
}

// The served ledger's risks are learnt once a day asked about: every
// credit-limit request asks for the month-ends its review dates look at,
// and asking for one day must not drop another's (the cache kept one day,
// so a request for the as-of day and its month-ends learnt them all again
// each time). Another ledger starts again.
func TestCachedRiskKeepsEveryDayOfTheLedger(t *testing.T) {
	ctx := context.Background()
	src := &countingRisk{asked: map[datasets.Date]int{}}
	c := &cachedRisk{src: src}
	l, other := &datasets.Ledger{}, &datasets.Ledger{}
	days := []datasets.Date{datasets.NewDate(2024, 10, 31), datasets.NewDate(2024, 11, 30), datasets.NewDate(2024, 12, 1), datasets.NewDate(2024, 12, 15)}
	for range 3 {
		for _, d := range days {
			r, err := c.CustomerRisk(ctx, l, d)
			if err != nil {
				t.Fatal(err)
			}
			if want := float64(d) / 1e6; d.Time().Day() != 1 && r["C1"].PD != want {
				t.Fatalf("%s: PD %v, want %v", d, r["C1"].PD, want)
			}
		}
	}
	for _, d := range days {
		if src.asked[d] != 1 {
			t.Errorf("%s asked %d times, want once", d, src.asked[d])
		}
	}
	if _, err := c.CustomerRisk(ctx, other, days[0]); err != nil || src.asked[days[0]] != 2 {
		t.Errorf("another ledger: asked %d times (%v), want learnt again", src.asked[days[0]], err)
	}
}
