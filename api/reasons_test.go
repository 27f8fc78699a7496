package api

import (
	"fmt"
	"testing"
)

// ?reasons=N bounds the list: the statements that qualify a score
// (known_late, cold_start, beyond_horizon) count towards N, and come
// first; the list is N long whenever the score has that many.
func TestReasonsBoundTheList(t *testing.T) {
	ts := newTestServer(t, nil)
	snap := ts.srv.snap.Load()
	lead := func(r Reason) bool {
		return r.Feature == "known_late" || r.Feature == "cold_start" || r.Feature == "beyond_horizon"
	}
	// An invoice whose full list (the server's maximum) opens with a
	// statement and has factors after it.
	var pick *Score
	for i := range snap.scores {
		r := snap.scores[i].Reasons
		if len(r) >= 3 && lead(r[0]) && !lead(r[len(r)-1]) {
			pick = &snap.scores[i]
			break
		}
	}
	if pick == nil {
		t.Fatal("the fixture has no open invoice whose reasons open with a statement and go on with factors")
	}
	full := pick.Reasons
	draft := fmt.Sprintf(`{"invoices":[{"invoice_id":"DRAFT-R","customer_id":"NEW-R","issue_date":%q,"due_date":%q,"amount":500}]}`,
		snap.asOf, snap.asOf.AddDays(30))
	for n := 0; n <= ts.srv.cfg.MaxReasons; n++ {
		lists := map[string][]Reason{}
		w := ts.do(req{method: "GET", path: fmt.Sprintf("/v1/invoices/%s/score?reasons=%d", pick.InvoiceID, n), role: "viewer"})
		lists["GET stored"] = decode[InvoiceScore](t, w).Score.Reasons
		w = ts.do(req{method: "GET", path: fmt.Sprintf("/v1/invoices/%s/score?reasons=%d&as_of=%s", pick.InvoiceID, n, snap.asOf.AddDays(-1)), role: "viewer"})
		if w.Code == 200 {
			lists["GET computed"] = decode[InvoiceScore](t, w).Score.Reasons
		}
		w = ts.do(req{method: "POST", path: fmt.Sprintf("/v1/score?reasons=%d", n), role: "viewer", body: fmt.Sprintf(`{"invoice_ids":[%q]}`, pick.InvoiceID)})
		lists["POST ids"] = decode[ScoreResponse](t, w).Scores[0].Reasons
		w = ts.do(req{method: "POST", path: fmt.Sprintf("/v1/score?reasons=%d", n), role: "viewer", body: draft})
		cold := decode[ScoreResponse](t, w).Scores[0].Reasons
		lists["POST cold-start draft"] = cold
		for route, got := range lists {
			if len(got) > n {
				t.Errorf("reasons=%d, %s: %d reasons %v", n, route, len(got), got)
			}
		}
		if got := lists["GET stored"]; len(got) != min(n, len(full)) || n > 0 && got[0].Feature != full[0].Feature {
			t.Errorf("reasons=%d: %d reasons, want the first %d of %v", n, len(got), min(n, len(full)), full)
		}
		if n > 0 && (len(cold) == 0 || cold[0].Feature != "cold_start") {
			t.Errorf("reasons=%d: a cold-start draft's list does not open with cold_start: %v", n, cold)
		}
	}
}
