package credit

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
)

// A proposal of 0 where the limit in force is 0 decides nothing: a limit
// of 0 has no review date for a renewal to set. From the suggestion (a
// customer on credit hold, whose suggestion is 0) it was recorded, and its
// approval a decision 0 -> 0; now it is refused as nothing to propose, by
// hand too, and nothing is stored. A limit from 0, or a renewal of a limit
// above 0, is still a proposal.
func TestNoProposalOfZeroOverZero(t *testing.T) {
	ctx := context.Background()
	st := stores(t)[0].open(t)
	l := baseLedger()
	l.Customers[0].CreditLimit = 0
	l.CreditDecisions = nil
	l.Actions = append(l.Actions, datasets.Action{ID: "A1", CustomerID: "C1", Date: asOf.AddDays(-10), Type: "credit_hold", Channel: "email"})
	if err := st.Put(ctx, l); err != nil {
		t.Fatal(err)
	}
	c := &clock{t: asOf.AddDays(1).Time()}
	svc := newService(t, st, c)
	sugg, err := svc.Suggest(ctx, asOf, "C1")
	if err != nil || len(sugg.Rows) != 1 || sugg.Rows[0].Suggested != 0 || sugg.Rows[0].Current != 0 {
		t.Fatalf("the case is not set up: %+v, %v", sugg, err)
	}
	before := snapshot(t, st)
	for _, req := range []ProposeRequest{
		{CustomerID: "C1", FromSuggestion: true, By: "ann"},
		{CustomerID: "C1", Limit: 0, Reason: "keep no credit", By: "ann"},
	} {
		_, err := svc.Propose(ctx, req)
		if !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), "nothing to propose for customer C1") {
			t.Errorf("propose 0 over 0 (from the suggestion: %v): %v", req.FromSuggestion, err)
		}
	}
	if after := snapshot(t, st); after != before {
		t.Fatal("a refused proposal changed the store")
	}
	if _, err := svc.Propose(ctx, ProposeRequest{CustomerID: "C1", Limit: 5_000_00, Reason: "hold lifted", By: "ann"}); err != nil {
		t.Errorf("a limit from 0: %v", err)
	}
}
