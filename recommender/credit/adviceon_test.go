package credit

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
)

// countingStore counts the reads of the workflow's events.
type countingStore struct {
	Store
	mu    sync.Mutex
	reads int
}

func (c *countingStore) CreditEvents(ctx context.Context, customerID string) ([]datasets.CreditEvent, error) {
	c.mu.Lock()
	c.reads++
	c.mu.Unlock()
	return c.Store.CreditEvents(ctx, customerID)
}

// ledgerRisk records the ledgers it is asked about.
type ledgerRisk struct {
	mu   sync.Mutex
	seen map[*datasets.Ledger]int
}

func (r *ledgerRisk) CustomerRisk(_ context.Context, l *datasets.Ledger, _ datasets.Date) (map[string]Risk, error) {
	r.mu.Lock()
	r.seen[l]++
	r.mu.Unlock()
	return map[string]Risk{"C1": {PD: 0.01, Source: "model"}}, nil
}

// After an approval the snapshot does not hold yet, AdviceOn reads the
// events once a call and asks the risk about the snapshot it was given
// only, so that a cache of the snapshot's risks (the server's) serves every
// call: it asked about the snapshot with the approval laid over it, a
// ledger new on each call, and so learnt the portfolio's risk again on
// every call until the snapshot reloaded (about 5 s a call), and it read
// the events twice. The approval shows all the same.
func TestAdviceOnAfterAnApprovalReadsOnceAndKeepsTheSnapshotsRisk(t *testing.T) {
	ctx := context.Background()
	st, c := openWorkflow(t, stores(t)[0])
	snap, err := st.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	svc := newService(t, st, c)
	p, err := svc.Propose(ctx, ProposeRequest{CustomerID: "C1", Limit: baseLimit + 10_000_00, Reason: "growth", By: "ann", Role: "credit_analyst"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Approve(ctx, p.ID, DecideRequest{By: "bob", Role: "credit_manager"}); err != nil {
		t.Fatal(err)
	}
	cs := &countingStore{Store: st}
	risk := &ledgerRisk{seen: map[*datasets.Ledger]int{}}
	reader := &Service{Store: cs, Policy: DefaultPolicy(), Risk: risk, Now: c.now}
	day := datasets.DateOf(c.now())
	for call := 1; call <= 3; call++ {
		out, err := reader.AdviceOn(ctx, snap, day, "C1")
		if err != nil || len(out) != 1 {
			t.Fatalf("advice: %v %v", out, err)
		}
		if out[0].LimitSource != LimitFromApproval || out[0].Current.Money() != baseLimit+10_000_00 {
			t.Fatalf("call %d: limit %s from %q, want the approval's", call, out[0].Current.Money(), out[0].LimitSource)
		}
		if cs.reads != call {
			t.Fatalf("call %d: the events were read %d times in all, want once a call", call, cs.reads)
		}
	}
	for l, n := range risk.seen {
		if l != snap {
			t.Fatalf("the risk was asked %d times about a ledger other than the snapshot", n)
		}
	}
}

// A customer's approvals the snapshot lacks are laid over it in the order
// the store settled them (their claims), not by the callers' clocks: the
// last one decided sets the limit. (A clock behind another's put them in
// its order.)
func TestApprovalsAreOverlaidInClaimOrder(t *testing.T) {
	l := baseLedger()
	at := asOf.AddDays(1).Time()
	ev := []datasets.CreditEvent{
		{ProposalID: "P1", Kind: datasets.CreditApproved, CustomerID: "C1", At: at.Add(time.Hour), Claim: 1, NewLimit: 1_000_00, DecisionID: "CD-1"},
		{ProposalID: "P2", Kind: datasets.CreditApproved, CustomerID: "C1", At: at, Claim: 2, NewLimit: 2_000_00, DecisionID: "CD-2"},
	}
	out := withApprovals(l, ev)
	if got := out.Customers[0].CreditLimit; got != 2_000_00 {
		t.Fatalf("limit %s after the overlay, want claim 2's 2000.00", got)
	}
}
