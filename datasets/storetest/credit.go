package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
)

// CreditStore is a store with the credit workflow.
type CreditStore interface {
	datasets.Store
	datasets.CreditStore
}

// CreditOpener returns a new, empty store and a function giving another
// handle on the same data (another connection, or the same store where a
// second handle cannot be opened), for the race.
type CreditOpener func(t *testing.T) (s CreditStore, another func() CreditStore)

// Racers is how many callers race to decide one proposal.
const Racers = 12

// proposal returns a proposal event of customer c.
func proposal(id, customer string, at time.Time, old, next datasets.Money) datasets.CreditEvent {
	return datasets.CreditEvent{ProposalID: id, Kind: datasets.CreditProposed, At: at, CustomerID: customer, Currency: "EUR",
		OldLimit: old, NewLimit: next, Secured: 1_000_00, Reason: "needs 'more' \\ room\nsecond line: Jörg's €", Source: "manual",
		RiskClass: "medium", Review: datasets.NewDate(2024, 9, 30), Expires: datasets.NewDate(2024, 4, 30), By: "ann", Role: "credit_analyst",
		PolicyCurrency: "USD"}
}

// decision returns the terminal event of p.
func decision(p datasets.CreditEvent, kind string, claim int, by string, at time.Time) datasets.CreditEvent {
	d := p
	d.Kind, d.Claim, d.By, d.Role, d.Comment, d.At = kind, claim, by, "credit_manager", "ok by "+by, at
	// A business day apart from the time: the stores keep both.
	d.Day = datasets.NewDate(2024, 3, 29)
	if kind == datasets.CreditApproved {
		d.DecisionID = "CD-" + p.ProposalID
	}
	return d
}

// snapshot is everything a refused call must leave alone.
type snapshot struct {
	ledger *datasets.Ledger
	events []datasets.CreditEvent
}

func take(t *testing.T, s CreditStore) snapshot {
	t.Helper()
	ctx := context.Background()
	l, err := s.Load(ctx)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	ev, err := s.CreditEvents(ctx, "")
	if err != nil {
		t.Fatalf("credit events: %v", err)
	}
	return snapshot{l, ev}
}

// RunCredit runs the credit workflow's conformance suite.
func RunCredit(t *testing.T, open CreditOpener) {
	t.Helper()
	ctx := context.Background()
	at := time.Date(2024, 3, 12, 9, 30, 15, 0, time.UTC)
	seed := func(t *testing.T, s CreditStore) {
		t.Helper()
		if err := s.Put(ctx, Sample()); err != nil {
			t.Fatalf("put: %v", err)
		}
	}

	t.Run("ProposeDecideRoundTrip", func(t *testing.T) {
		s, _ := open(t)
		seed(t, s)
		p := proposal("P1", "C1", at, 5_000_000, 6_500_000)
		if err := s.AddCreditProposal(ctx, p); err != nil {
			t.Fatalf("propose: %v", err)
		}
		got, err := s.CreditEvents(ctx, "C1")
		if err != nil || len(got) != 1 || !reflect.DeepEqual(got[0], p) {
			t.Fatalf("events %+v, %v; want %+v", got, err, p)
		}
		if none, err := s.CreditEvents(ctx, "C2"); err != nil || len(none) != 0 {
			t.Fatalf("C2's events: %+v, %v", none, err)
		}
		d := decision(p, datasets.CreditApproved, 1, "bob", at.Add(time.Hour))
		cd := datasets.CreditDecision{ID: d.DecisionID, CustomerID: "C1", Date: datasets.DateOf(d.At), OldLimit: 5_000_000,
			NewLimit: 6_500_000, Reason: p.Reason, DecidedBy: "bob"}
		if err := s.DecideCredit(ctx, d, &cd); err != nil {
			t.Fatalf("approve: %v", err)
		}
		got, err = s.CreditEvents(ctx, "")
		if err != nil || len(got) != 2 || !reflect.DeepEqual(got[1], d) {
			t.Fatalf("events after approval %+v, %v", got, err)
		}
		l, err := s.Load(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if l.Customers[0].CreditLimit != 6_500_000 || l.Customers[0].Name != Sample().Customers[0].Name {
			t.Fatalf("customer after approval: %+v", l.Customers[0])
		}
		if !containsDecision(l.CreditDecisions, cd) {
			t.Fatalf("decision %+v not among %+v", cd, l.CreditDecisions)
		}
		c, err := s.Customer(ctx, "C1")
		if err != nil || c.CreditLimit != 6_500_000 || c.Terms != (datasets.Terms{Days: 30}) {
			t.Fatalf("Customer(C1) = %+v, %v", c, err)
		}
		if _, err := s.Customer(ctx, "nobody"); !errors.Is(err, datasets.ErrNotFound) {
			t.Fatalf("Customer(nobody): %v, want ErrNotFound", err)
		}
		// A rejection writes its event and nothing else.
		p2 := proposal("P2", "C1", at.Add(2*time.Hour), 6_500_000, 0)
		if err := s.AddCreditProposal(ctx, p2); err != nil {
			t.Fatal(err)
		}
		before := take(t, s)
		r := decision(p2, datasets.CreditRejected, 2, "carl", at.Add(3*time.Hour))
		if err := s.DecideCredit(ctx, r, nil); err != nil {
			t.Fatalf("reject: %v", err)
		}
		after := take(t, s)
		if !reflect.DeepEqual(before.ledger, after.ledger) || len(after.events) != len(before.events)+1 {
			t.Fatalf("a rejection changed the ledger or wrote %d events", len(after.events)-len(before.events))
		}
	})

	t.Run("RefusalsChangeNothing", func(t *testing.T) {
		s, _ := open(t)
		seed(t, s)
		p := proposal("P1", "C1", at, 5_000_000, 7_000_000)
		if err := s.AddCreditProposal(ctx, p); err != nil {
			t.Fatal(err)
		}
		d := decision(p, datasets.CreditApproved, 1, "bob", at.Add(time.Minute))
		cd := datasets.CreditDecision{ID: d.DecisionID, CustomerID: "C1", Date: datasets.DateOf(d.At), OldLimit: 5_000_000, NewLimit: 7_000_000, DecidedBy: "bob"}
		if err := s.DecideCredit(ctx, d, &cd); err != nil {
			t.Fatal(err)
		}
		before := take(t, s)
		bad := datasets.CreditEvent{ProposalID: "P9", Kind: datasets.CreditProposed, CustomerID: "C1", At: at, NewLimit: -1}
		unknown := decision(proposal("NOPE", "C1", at, 0, 1), datasets.CreditApproved, 2, "bob", at)
		for name, try := range map[string]struct {
			err  error
			call func() error
		}{
			"same proposal id again": {datasets.ErrConflict, func() error { return s.AddCreditProposal(ctx, p) }},
			"decided twice":          {datasets.ErrConflict, func() error { return s.DecideCredit(ctx, decision(p, datasets.CreditApproved, 2, "eve", at), &cd) }},
			"rejected after approval": {datasets.ErrConflict, func() error {
				return s.DecideCredit(ctx, decision(p, datasets.CreditRejected, 2, "eve", at), nil)
			}},
			"unknown proposal": {datasets.ErrNotFound, func() error { return s.DecideCredit(ctx, unknown, nil) }},
			"negative limit":   {datasets.ErrInvalid, func() error { return s.AddCreditProposal(ctx, bad) }},
		} {
			if err := try.call(); !errors.Is(err, try.err) {
				t.Errorf("%s: %v, want %v", name, err, try.err)
			}
		}
		// A stale claim: a second proposal decided as if the first were not.
		p2 := proposal("P2", "C1", at, 7_000_000, 8_000_000)
		if err := s.AddCreditProposal(ctx, p2); err != nil {
			t.Fatal(err)
		}
		before = take(t, s)
		for _, claim := range []int{1, 3} {
			if err := s.DecideCredit(ctx, decision(p2, datasets.CreditRejected, claim, "eve", at), nil); !errors.Is(err, datasets.ErrConflict) {
				t.Errorf("claim %d when the customer has 1 decision: %v, want ErrConflict", claim, err)
			}
		}
		if after := take(t, s); !reflect.DeepEqual(before, after) {
			t.Fatalf("refused calls changed the store:\nbefore %+v\nafter  %+v", before.events, after.events)
		}
	})

	// C2's master limit is blank: an approval records a limit and clears
	// the blank, and the event and the decision keep that there was none
	// before (the days before the approval still had none recorded).
	t.Run("BlankOldLimitRoundTrip", func(t *testing.T) {
		s, _ := open(t)
		seed(t, s)
		p := proposal("PB", "C2", at, 0, 2_000_000)
		p.OldLimitBlank = true
		if err := s.AddCreditProposal(ctx, p); err != nil {
			t.Fatalf("propose: %v", err)
		}
		d := decision(p, datasets.CreditApproved, 1, "bob", at.Add(time.Hour))
		cd := datasets.CreditDecision{ID: d.DecisionID, CustomerID: "C2", Date: d.Day, NewLimit: 2_000_000, DecidedBy: "bob", OldLimitBlank: true}
		if err := s.DecideCredit(ctx, d, &cd); err != nil {
			t.Fatalf("approve: %v", err)
		}
		got, err := s.CreditEvents(ctx, "C2")
		if err != nil || len(got) != 2 || !reflect.DeepEqual(got[0], p) || !reflect.DeepEqual(got[1], d) {
			t.Fatalf("events %+v, %v; want %+v and %+v", got, err, p, d)
		}
		l, err := s.Load(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !containsDecision(l.CreditDecisions, cd) {
			t.Fatalf("decision %+v not among %+v", cd, l.CreditDecisions)
		}
		c, err := s.Customer(ctx, "C2")
		if err != nil || c.CreditLimitBlank || c.CreditLimit != 2_000_000 {
			t.Fatalf("Customer(C2) = %+v, %v: want a recorded limit of 20000.00", c, err)
		}
	})

	t.Run("ConcurrentApprovalsOneWins", func(t *testing.T) {
		s, another := open(t)
		seed(t, s)
		handles := make([]CreditStore, Racers)
		for i := range handles {
			handles[i] = another()
		}
		const rounds = 5
		limit := datasets.Money(5_000_000)
		for round := range rounds {
			id := fmt.Sprintf("R%d", round)
			p := proposal(id, "C1", at, limit, limit+100_000)
			if err := s.AddCreditProposal(ctx, p); err != nil {
				t.Fatal(err)
			}
			var (
				wg    sync.WaitGroup
				mu    sync.Mutex
				wins  []int
				other []error
			)
			start := make(chan struct{})
			for i, h := range handles {
				wg.Go(func() {
					kind := datasets.CreditApproved
					if i%3 == 2 {
						kind = datasets.CreditRejected // a rejection races the approvals too
					}
					d := decision(p, kind, round+1, fmt.Sprintf("approver%d", i), at.Add(time.Duration(round)*time.Minute))
					var cd *datasets.CreditDecision
					if kind == datasets.CreditApproved {
						cd = &datasets.CreditDecision{ID: d.DecisionID, CustomerID: "C1", Date: datasets.DateOf(d.At),
							OldLimit: p.OldLimit, NewLimit: p.NewLimit, DecidedBy: d.By}
					}
					<-start
					err := h.DecideCredit(ctx, d, cd)
					mu.Lock()
					defer mu.Unlock()
					if err == nil {
						wins = append(wins, i)
					} else if !errors.Is(err, datasets.ErrConflict) {
						other = append(other, err)
					}
				})
			}
			close(start)
			wg.Wait()
			if len(other) > 0 || len(wins) != 1 {
				t.Fatalf("round %d: %d winners %v, other errors %v; want exactly one winner and conflicts", round, len(wins), wins, other)
			}
			events, err := s.CreditEvents(ctx, "C1")
			if err != nil {
				t.Fatal(err)
			}
			terminal := 0
			for _, e := range events {
				if e.ProposalID == id && e.Terminal() {
					terminal++
					if e.By != fmt.Sprintf("approver%d", wins[0]) {
						t.Fatalf("round %d: stored decision by %s, the winner was approver%d", round, e.By, wins[0])
					}
				}
			}
			if terminal != 1 {
				t.Fatalf("round %d: %d terminal events", round, terminal)
			}
			if wins[0]%3 != 2 {
				limit = p.NewLimit
			}
			c, err := s.Customer(ctx, "C1")
			if err != nil || c.CreditLimit != limit {
				t.Fatalf("round %d: customer limit %v (%v), want %v", round, c.CreditLimit, err, limit)
			}
		}
	})
}

func containsDecision(ds []datasets.CreditDecision, d datasets.CreditDecision) bool {
	for _, x := range ds {
		if x == d {
			return true
		}
	}
	return false
}
