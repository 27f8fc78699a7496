package reports

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/synth"
	"github.com/dsopilot/dsopilot/recommender"
)

// TestRecommenderCollectionsSource checks the report's view of the
// recommender: the first working day after the report's date with someone
// to contact, amounts converted to the report's currency, a missing rate
// an error rather than amounts in the wrong currency, and a list that
// follows the scenario marked as not valued.
func TestRecommenderCollectionsSource(t *testing.T) {
	ctx := context.Background()
	l, _, err := synth.Collect(ctx, synth.Config{Customers: 120, Months: 8, Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	d := recommender.NewDaily(recommender.RecommendOptions{FX: recommender.SimFX(), Holdout: -1, Seed: 1})
	asOf := datasets.NewDate(2023, time.August, 18) // a Friday: the list is Monday's
	want, err := d.Worklist(ctx, l, datasets.NewDate(2023, time.August, 21))
	if err != nil {
		t.Fatal(err)
	}
	if len(want.Recommendations) == 0 {
		t.Fatal("no recommendation on Monday 2023-08-21; the test needs some")
	}
	usd, err := datasets.ParseRate("0.5")
	if err != nil {
		t.Fatal(err)
	}
	src := RecommenderCollections(d, l, &datasets.FX{To: "USD", Rates: map[string]datasets.Rate{"EUR": usd}})
	got, err := src.Worklist(ctx, asOf)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Actions) != len(want.Recommendations) {
		t.Fatalf("%d actions, want Monday's %d", len(got.Actions), len(want.Recommendations))
	}
	if n := len(want.Deferred) + len(want.ExcludedCustomers); len(got.KeptOff) != n || n == 0 {
		t.Fatalf("%d kept off the list, want Monday's %d deferred and excluded (the test needs some)", len(got.KeptOff), n)
	}
	for i, a := range got.Actions {
		r := want.Recommendations[i]
		wantAmt, _ := r.Amount.Money().Convert(usd)
		if a.CustomerID != r.CustomerID || a.Date != r.Date || a.Amount != wantAmt || a.Valued || a.HasUplift {
			t.Fatalf("action %d: %+v, want %s on %s for %s (not valued: the list follows the scenario)", i, a, r.CustomerID, r.Date, wantAmt)
		}
	}
	if _, err := src.Effects(ctx, asOf); err == nil || !strings.Contains(err.Error(), "randomised") {
		t.Fatalf("effects of a scenario-based list: err %v, want why none were measured", err)
	}
	noRate := RecommenderCollections(d, l, &datasets.FX{To: "GBP"})
	if _, err := noRate.Worklist(ctx, asOf); err == nil || !strings.Contains(err.Error(), "no EUR") {
		t.Fatalf("a report in GBP without an EUR rate: err %v", err)
	}
}
