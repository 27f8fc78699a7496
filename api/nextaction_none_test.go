package api

import (
	"fmt"
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/recommender"
)

// TestNextActionSaysWhyThereIsNone: a customer's next action that is
// null with no exclusion says why (no_action): the answer was a bare
// null, so after recording a dispute on a customer's only open invoice a
// client could not tell whether the dispute was taken into account.
// A dispute dated on the day asked about counts from the next day's
// worklist, which then names the rule (excluded, dispute).
func TestNextActionSaysWhyThereIsNone(t *testing.T) {
	opts := recommender.RecommendOptions{FX: recommender.SimFX(), Holdout: -1, Seed: 1}
	ts := newTestServer(t, func(c *Config) { c.Collections = NewRecommenderCollections(recommender.NewDaily(opts)) })
	snap := ts.srv.snap.Load()
	day, next := snap.asOf, snap.asOf.AddDays(1)
	nextAction := func(cust string, d datasets.Date) NextActionView {
		t.Helper()
		return decode[NextActionView](t, ts.do(req{method: "GET", path: fmt.Sprintf("/v1/customers/%s/next-action?date=%s", cust, d), role: "viewer"}))
	}
	open := map[string][]string{}
	for _, v := range snap.ledger.Invoices {
		if v.IssueDate <= day && (v.SettledDate.IsZero() || v.SettledDate > day) {
			open[v.CustomerID] = append(open[v.CustomerID], v.ID)
		}
	}
	// A customer with open invoices and nothing to do on the day: the
	// answer says so.
	cust := ""
	for _, c := range snap.ledger.Customers {
		if len(open[c.ID]) == 0 || len(open[c.ID]) > 3 {
			continue
		}
		if na := nextAction(c.ID, day); na.Action == nil && na.Excluded == nil {
			if na.NoAction == nil || na.NoAction.Reason != NoActionNothingDue || !strings.Contains(na.NoAction.Detail, "nothing to do on "+day.String()) {
				t.Fatalf("next action of %s: %+v, want no_action nothing_due", c.ID, na.NoAction)
			}
			cust = c.ID
			break
		}
	}
	if cust == "" {
		t.Fatal("the fixture has no customer with nothing to do; the test needs one")
	}
	for i, inv := range open[cust] {
		body := fmt.Sprintf(`{"dispute_id":"D-NA-%d","customer_id":%q,"invoice_id":%q,"opened_date":%q,"reason":"price"}`, i, cust, inv, day)
		expect(t, ts.do(req{method: "POST", path: "/v1/disputes", role: "collector", body: body}), 201)
	}
	ts.settle()
	// On the dispute's own day the worklist does not know it yet.
	na := nextAction(cust, day)
	if na.Action != nil || na.Excluded != nil || na.NoAction == nil || na.NoAction.Reason != NoActionKnownTomorrow ||
		!strings.Contains(na.NoAction.Detail, `dispute "D-NA-0" (opened `+day.String()+")") || !strings.Contains(na.NoAction.Detail, "date="+next.String()) {
		t.Fatalf("next action of %s on the dispute's day: %+v %+v", cust, na, na.NoAction)
	}
	// The next day names the rule.
	na = nextAction(cust, next)
	if na.Action != nil || na.Excluded == nil || na.Excluded.Rule == "" || na.Excluded.Detail == "" || na.NoAction != nil {
		t.Fatalf("next action of %s the day after its disputes: %+v", cust, na)
	}
	if na.Excluded.Rule == recommender.RuleDispute && len(na.Excluded.BlockedBy) != len(open[cust]) {
		t.Fatalf("excluded for disputes %+v, want one block per open invoice %v", na.Excluded, open[cust])
	}
}

// TestNoActionNamesTheWritesNotYetInTheWorklist: records of the customer
// waiting for a snapshot are named first: the worklist does not know
// them yet, whatever their date.
func TestNoActionNamesTheWritesNotYetInTheWorklist(t *testing.T) {
	day, err := datasets.ParseDate("2026-12-01")
	if err != nil {
		t.Fatal(err)
	}
	l := &datasets.Ledger{Disputes: []datasets.Dispute{{ID: "D1", CustomerID: "C1", Opened: day},
		{ID: "D4", CustomerID: "C4", InvoiceID: "I4", Opened: day.AddDays(-29)},
		{ID: "D5", CustomerID: "C5", InvoiceID: "I5", Opened: day.AddDays(-29), Resolved: day.AddDays(-3)}}}
	pending := []*datasets.Ledger{{Disputes: []datasets.Dispute{{ID: "D2", CustomerID: "C1", Opened: day.AddDays(-1)}, {ID: "D3", CustomerID: "C2", Opened: day.AddDays(-1)}}}}
	for _, c := range []struct {
		name    string
		pending []*datasets.Ledger
		cust    string
		reason  string
		detail  string
	}{
		{"waiting", pending, "C1", NoActionPending, `dispute "D2" (opened 2026-11-30) of the customer was written since the worklist was computed`},
		{"same day", nil, "C1", NoActionKnownTomorrow, `dispute "D1" (opened 2026-12-01) of the customer is dated on or after 2026-12-01: the worklist of 2026-12-01 knows the ledger up to 2026-11-30, so it counts from the worklist of 2026-12-02 on`},
		{"nothing", pending, "C3", NoActionNothingDue, "nothing to do on 2026-12-01: no open invoice of the customer reaches a dunning step, and no rule"},
		{"only disputed", nil, "C4", NoActionNothingDue, `nothing to do on 2026-12-01: no open invoice of the customer reaches a dunning step that no rule holds back; invoice "I4" is in dispute (dispute "D4" opened 2026-11-02), handled as a dispute and not dunned`},
		{"dispute resolved", nil, "C5", NoActionNothingDue, "and no rule (dispute, promise, hold, contact cap) excludes the customer"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := noActionOf(l, c.pending, c.cust, day)
			if got.Reason != c.reason || !strings.Contains(got.Detail, c.detail) {
				t.Fatalf("got %+v, want %s %q", got, c.reason, c.detail)
			}
		})
	}
}
