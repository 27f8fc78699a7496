package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
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
	_, err := rc.Worklist(context.Background(), WorklistQuery{Date: datasets.NewDate(2024, time.April, 2), Limit: 10})
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
}

// TestWorklistAccountsForEveryCustomer checks what the review found
// missing: on a scenario basis the values are null, not 0; the deferred
// actions and the excluded customers come with the rule that kept each one
// off the list, as the recommender has them; a limit that cuts the list
// says so; an unknown channel or collector is a 422 naming the parameter
// and the values it may take.
func TestWorklistAccountsForEveryCustomer(t *testing.T) {
	opts := recommender.RecommendOptions{FX: recommender.SimFX(), Holdout: -1, Seed: 1}
	rc := NewRecommenderCollections(recommender.NewDaily(opts))
	ts := newTestServer(t, func(c *Config) { c.Collections = rc })
	snap := ts.srv.snap.Load()
	for _, day := range []string{"2024-04-02", "2024-04-06"} { // a Tuesday and a Saturday
		t.Run(day, func(t *testing.T) {
			d, _ := datasets.ParseISO(day)
			want, err := recommender.Recommend(context.Background(), snap.ledger, d, opts)
			if err != nil {
				t.Fatal(err)
			}
			w := ts.do(req{method: "GET", path: "/v1/worklist?limit=10000&date=" + day, role: "viewer"})
			got := decode[Worklist](t, w)
			if got.Basis != want.Basis || got.Total != len(want.Recommendations) || got.Truncated || got.NextOffset != nil {
				t.Fatalf("basis %s total %d truncated %v, want %s %d false", got.Basis, got.Total, got.Truncated, want.Basis, len(want.Recommendations))
			}
			// Null, not 0, where the recommender knows no value.
			var raw struct {
				Actions, Deferred []map[string]json.RawMessage
			}
			if err := json.Unmarshal(w.Body.Bytes(), &raw); err != nil {
				t.Fatal(err)
			}
			for _, a := range append(raw.Actions, raw.Deferred...) {
				var basis string
				_ = json.Unmarshal(a["basis"], &basis)
				for _, k := range []string{"expected_value", "uplift", "uplift_lo", "uplift_hi"} {
					if isNull := string(a[k]) == "null"; isNull != (basis == recommender.BasisScenario) {
						t.Fatalf("basis %s: %s is %s", basis, k, a[k])
					}
				}
			}
			if len(got.Deferred) != len(want.Deferred) {
				t.Fatalf("%d deferred, the recommender defers %d", len(got.Deferred), len(want.Deferred))
			}
			for i, a := range got.Deferred {
				r := want.Deferred[i]
				if a.CustomerID != r.CustomerID || a.DeferredBy == "" || a.DeferredBy != r.Blocked[len(r.Blocked)-1].Rule || len(a.BlockedBy) != len(r.Blocked) {
					t.Fatalf("deferred %d: %+v, recommender %+v", i, a, r)
				}
			}
			byRule := map[string]int{}
			for _, e := range got.Excluded {
				if e.Rule == "" || e.Detail == "" || e.Currency != want.Currency {
					t.Fatalf("excluded without its rule: %+v", e)
				}
				byRule[e.Rule]++
			}
			if len(byRule) != len(want.Excluded) {
				t.Fatalf("excluded by rule %v, the recommender counts %v", byRule, want.Excluded)
			}
			for rule, n := range want.Excluded {
				if byRule[rule] != n {
					t.Fatalf("excluded by rule %v, the recommender counts %v", byRule, want.Excluded)
				}
			}
			t.Logf("%s basis: %d actions, %d deferred, excluded %v", got.Basis, got.Total, len(got.Deferred), byRule)
			if len(got.Actions)+len(got.Deferred)+len(got.Excluded) == 0 {
				t.Fatalf("the fixture has nothing on %s; the test needs a list", day)
			}
			if day == "2024-04-06" && (len(got.Deferred) == 0 || got.Deferred[0].DeferredBy != recommender.RuleQuietDay) {
				t.Fatalf("a Saturday defers to the next working day: %+v", got.Deferred)
			}
			for _, e := range got.Excluded[:min(3, len(got.Excluded))] {
				na := decode[NextActionView](t, ts.do(req{method: "GET", path: "/v1/customers/" + e.CustomerID + "/next-action?date=" + day, role: "viewer"}))
				if na.Action != nil || na.Excluded == nil || na.Excluded.Rule != e.Rule {
					t.Fatalf("next action of excluded %s: %+v", e.CustomerID, na)
				}
			}
		})
	}
	all := decode[Worklist](t, ts.do(req{method: "GET", path: "/v1/worklist?limit=10000&date=2024-04-02", role: "viewer"}))
	if all.Total < 3 {
		t.Fatalf("the fixture gives %d actions; the test needs a few", all.Total)
	}
	page := decode[Worklist](t, ts.do(req{method: "GET", path: "/v1/worklist?limit=2&date=2024-04-02", role: "viewer"}))
	if len(page.Actions) != 2 || page.Total != all.Total || !page.Truncated || page.NextOffset == nil || *page.NextOffset != 2 {
		t.Fatalf("limit 2 of %d: total %d truncated %v next %v", all.Total, page.Total, page.Truncated, page.NextOffset)
	}
	last := decode[Worklist](t, ts.do(req{method: "GET", path: fmt.Sprintf("/v1/worklist?limit=2&offset=%d&date=2024-04-02", all.Total-1), role: "viewer"}))
	if len(last.Actions) != 1 || last.Actions[0].CustomerID != all.Actions[all.Total-1].CustomerID || last.Truncated || last.NextOffset != nil {
		t.Fatalf("last page: %+v", last)
	}
	for _, tc := range []struct{ query, pointer, allowed string }{
		{"channel=fax", "query:channel", "email"},
		{"collector=nobody", "query:collector", all.Actions[0].Collector},
	} {
		p := problemOf(t, ts.do(req{method: "GET", path: "/v1/worklist?" + tc.query, role: "viewer"}), 422)
		if len(p.Errors) != 1 || p.Errors[0].Where() != tc.pointer || !strings.Contains(p.Errors[0].Detail, tc.allowed) {
			t.Fatalf("%s: %+v, want an error on %s listing %s", tc.query, p, tc.pointer, tc.allowed)
		}
	}
}

// TestDeferredAndExcludedArePaged walks /v1/worklist/deferred and
// /v1/worklist/excluded two at a time and expects exactly the lists the
// whole worklist gives, in its order, with the totals /v1/worklist
// reports; /v1/worklist itself carries only the first limit of each.
func TestDeferredAndExcludedArePaged(t *testing.T) {
	opts := recommender.RecommendOptions{FX: recommender.SimFX(), Holdout: -1, Seed: 1}
	ts := newTestServer(t, func(c *Config) { c.Collections = NewRecommenderCollections(recommender.NewDaily(opts)) })
	const day = "2024-04-06" // a Saturday: every action is deferred to Monday
	all := decode[Worklist](t, ts.do(req{method: "GET", path: "/v1/worklist?limit=10000&date=" + day, role: "viewer"}))
	if len(all.Deferred) < 3 || len(all.Excluded) < 3 {
		t.Fatalf("the fixture defers %d and excludes %d on %s; the test needs at least 3 of each", len(all.Deferred), len(all.Excluded), day)
	}
	if all.DeferredTotal != len(all.Deferred) || all.ExcludedTotal != len(all.Excluded) {
		t.Fatalf("totals %d and %d for lists of %d and %d", all.DeferredTotal, all.ExcludedTotal, len(all.Deferred), len(all.Excluded))
	}
	first := decode[Worklist](t, ts.do(req{method: "GET", path: "/v1/worklist?limit=2&date=" + day, role: "viewer"}))
	if len(first.Deferred) != 2 || len(first.Excluded) != 2 || first.DeferredTotal != all.DeferredTotal || first.ExcludedTotal != all.ExcludedTotal {
		t.Fatalf("limit 2: %d deferred of %d, %d excluded of %d", len(first.Deferred), first.DeferredTotal, len(first.Excluded), first.ExcludedTotal)
	}

	var deferred []NextAction
	for off, pages := 0, 0; ; pages++ {
		p := decode[DeferredPage](t, ts.do(req{method: "GET", path: fmt.Sprintf("/v1/worklist/deferred?limit=2&offset=%d&date=%s", off, day), role: "viewer"}))
		if p.Total != all.DeferredTotal || p.Offset != off || p.Limit != 2 || p.Basis != all.Basis || len(p.Deferred) > 2 {
			t.Fatalf("deferred page at %d: %+v", off, p)
		}
		deferred = append(deferred, p.Deferred...)
		if p.NextOffset == nil {
			if p.Truncated || len(deferred) != p.Total {
				t.Fatalf("last deferred page at %d: truncated %v, %d gathered of %d", off, p.Truncated, len(deferred), p.Total)
			}
			break
		}
		if !p.Truncated || *p.NextOffset != off+2 || pages > p.Total {
			t.Fatalf("deferred page at %d: truncated %v next %d", off, p.Truncated, *p.NextOffset)
		}
		off = *p.NextOffset
	}
	for i := range deferred {
		if deferred[i].CustomerID != all.Deferred[i].CustomerID || deferred[i].DeferredBy != all.Deferred[i].DeferredBy {
			t.Fatalf("deferred %d: %+v, the whole list has %+v", i, deferred[i], all.Deferred[i])
		}
	}

	var excluded []ExcludedCustomer
	for off := 0; ; {
		p := decode[ExcludedPage](t, ts.do(req{method: "GET", path: fmt.Sprintf("/v1/worklist/excluded?limit=2&offset=%d&date=%s", off, day), role: "viewer"}))
		if p.Total != all.ExcludedTotal || len(p.Excluded) > 2 {
			t.Fatalf("excluded page at %d: %+v", off, p)
		}
		excluded = append(excluded, p.Excluded...)
		if p.NextOffset == nil {
			break
		}
		off = *p.NextOffset
	}
	if len(excluded) != len(all.Excluded) {
		t.Fatalf("%d excluded gathered page by page, %d in the whole list", len(excluded), len(all.Excluded))
	}
	for i := range excluded {
		if excluded[i].CustomerID != all.Excluded[i].CustomerID || excluded[i].Rule != all.Excluded[i].Rule {
			t.Fatalf("excluded %d: %+v, the whole list has %+v", i, excluded[i], all.Excluded[i])
		}
	}

	past := decode[ExcludedPage](t, ts.do(req{method: "GET", path: fmt.Sprintf("/v1/worklist/excluded?offset=%d&date=%s", all.ExcludedTotal+5, day), role: "viewer"}))
	if len(past.Excluded) != 0 || past.Excluded == nil || past.Truncated || past.NextOffset != nil {
		t.Fatalf("a page past the end: %+v (want an empty list, not null)", past)
	}
	for _, tc := range []struct{ path, pointer string }{
		{"/v1/worklist/excluded?channel=email", "query:channel"}, // excluded customers have no channel
		{"/v1/worklist/deferred?limit=0", "query:limit"},
		{"/v1/worklist/deferred?collector=nobody", "query:collector"},
	} {
		p := problemOf(t, ts.do(req{method: "GET", path: tc.path, role: "viewer"}), 422)
		if len(p.Errors) != 1 || p.Errors[0].Where() != tc.pointer {
			t.Fatalf("%s: %+v, want one error on %s", tc.path, p, tc.pointer)
		}
	}
}
