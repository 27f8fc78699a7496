package api

import (
	"context"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/embedded"
	"github.com/dsopilot/dsopilot/datasets/synth"
	"github.com/dsopilot/dsopilot/recommender"
	"github.com/dsopilot/dsopilot/recommender/credit"
)

// BenchmarkCreditAdviceAfterApproval times GET /customers/{id}/credit-limit
// (CreditWorkflow.CreditLimit) after an approval the served snapshot does
// not hold yet, with the learnt default model as the server has it: a
// simulated ledger of 150 customers over two years in an embedded store:
//
//	go test -run XXX -bench CreditAdviceAfterApproval -benchtime 5x ./api/
//
// When the risk was asked about the snapshot with the approval laid over
// it (a ledger new on each call, which the server's risk cache could not
// know), every call learnt the portfolio's risk again until the snapshot
// reloaded: 510 ms/op; asked about the snapshot (its cache serving every
// call), 136 ms/op (2 shared cores, -benchtime 5x).
func BenchmarkCreditAdviceAfterApproval(b *testing.B) {
	ctx := context.Background()
	l, _, err := synth.Collect(ctx, synth.Config{Customers: 150, Months: 24, Seed: 42, Start: datasets.NewDate(2023, 1, 1)})
	if err != nil {
		b.Fatal(err)
	}
	st, err := embedded.Open(ctx, b.TempDir(), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if err := st.Put(ctx, l); err != nil {
		b.Fatal(err)
	}
	snap, err := st.Load(ctx)
	if err != nil {
		b.Fatal(err)
	}
	asOf := datasets.NewDate(2024, 12, 31)
	w := NewCreditWorkflow(credit.DefaultPolicy(), recommender.SimFX(), credit.LearnedRisk{}, map[string]string{"admin": "finance_director"}, nil)
	w.Day = func() datasets.Date { return asOf }
	w.bindStore(func(context.Context) (Store, error) { return st, nil })
	w.Follow(snap, asOf)
	id := ""
	for _, c := range snap.Customers {
		if c.Currency == "" || c.Currency == "EUR" {
			id = c.ID
			break
		}
	}
	p, err := w.Propose(ctx, ProposalInput{CustomerID: id, NewLimit: 1_000_00, Reason: "bench"}, Actor{Name: "ann", Role: "credit_analyst"})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := w.Decide(ctx, p.ID, Decision{Approve: true}, Actor{Name: "bob", Role: "admin"}); err != nil {
		b.Fatal(err)
	}
	if _, err := w.CreditLimit(ctx, id, asOf); err != nil { // the snapshot's risk learnt once
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		a, err := w.CreditLimit(ctx, id, asOf)
		if err != nil {
			b.Fatal(err)
		}
		if a.LimitSource != credit.LimitFromApproval {
			b.Fatalf("limit_source %q, want the approval's", a.LimitSource)
		}
	}
}
