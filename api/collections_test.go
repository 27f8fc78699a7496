package api

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/recommender"
)

// TestRecommenderCollectionsServesTheRecommendersList checks the wiring of
// the real recommender behind the worklist and next-action routes: the
// list the API serves is the recommender's own for that day, in its order
// and with its amounts, filtered by collector and channel.
func TestRecommenderCollectionsServesTheRecommendersList(t *testing.T) {
	opts := recommender.RecommendOptions{FX: recommender.SimFX(), Holdout: -1, Seed: 1}
	rc := NewRecommenderCollections(recommender.NewDaily(opts))
	ts := newTestServer(t, func(c *Config) { c.Collections = rc })
	snap := ts.srv.snap.Load()
	day := datasets.NewDate(2024, time.April, 2)
	want, err := recommender.Recommend(context.Background(), snap.ledger, day, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(want.Recommendations) < 3 {
		t.Fatalf("the fixture gives only %d recommendations on %s; the test needs a few", len(want.Recommendations), day)
	}
	got := decode[Worklist](t, ts.do(req{method: "GET", path: "/v1/worklist?date=2024-04-02&limit=10000", role: "viewer"}))
	if len(got.Actions) != len(want.Recommendations) {
		t.Fatalf("served %d actions, the recommender lists %d", len(got.Actions), len(want.Recommendations))
	}
	for i, a := range got.Actions {
		r := want.Recommendations[i]
		if a.CustomerID != r.CustomerID || a.Type != r.Action || a.Channel != r.Channel || a.Amount != r.Amount ||
			a.Currency != want.Currency || a.Basis != r.Basis || a.Policy != r.Policy || len(a.InvoiceIDs) != len(r.Invoices) {
			t.Fatalf("action %d: served %+v, recommender %+v", i, a, r)
		}
	}
	first := want.Recommendations[0]
	byColl := decode[Worklist](t, ts.do(req{method: "GET", path: "/v1/worklist?date=2024-04-02&limit=10000&channel=" + first.Channel + "&collector=" + first.Collector, role: "viewer"}))
	n := 0
	for _, r := range want.Recommendations {
		if r.Channel == first.Channel && r.Collector == first.Collector {
			n++
		}
	}
	if len(byColl.Actions) != n || byColl.Actions[0].CustomerID != first.CustomerID {
		t.Fatalf("filtered by %s/%s: served %d actions, want %d starting with %s", first.Collector, first.Channel, len(byColl.Actions), n, first.CustomerID)
	}
	na := decode[NextActionView](t, ts.do(req{method: "GET", path: "/v1/customers/" + first.CustomerID + "/next-action?date=2024-04-02", role: "viewer"}))
	if na.Action == nil || na.Action.Type != first.Action || na.Action.Amount != first.Amount {
		t.Fatalf("next action of %s: %+v, want %+v", first.CustomerID, na.Action, first)
	}
}

// TestRecommenderCollectionsBeforeALedger checks that a request before the
// first snapshot is 503, not an empty list that looks like "nothing to do".
func TestRecommenderCollectionsBeforeALedger(t *testing.T) {
	rc := NewRecommenderCollections(recommender.NewDaily(recommender.RecommendOptions{}))
	_, err := rc.Worklist(context.Background(), WorklistQuery{Date: datasets.NewDate(2024, time.April, 2)})
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
}
