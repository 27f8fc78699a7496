package recommender

import (
	"context"
	"fmt"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/synth"
)

// bigBook is a ledger of customers with open invoices each (due from 30
// days ahead to 120 days ago), a year of settled history and a few contacts
// per customer, in EUR.
func bigBook(customers, open int, asOf datasets.Date) *datasets.Ledger {
	r := rand.New(rand.NewPCG(1, 2))
	l := &datasets.Ledger{}
	countries := []string{"DE", "FR", "NL", "IT", "ES"}
	for c := range customers {
		id := fmt.Sprintf("C%07d", c)
		l.Customers = append(l.Customers, datasets.Customer{ID: id, Country: countries[c%len(countries)], Currency: "EUR",
			Segment: "mid_market", Collector: fmt.Sprintf("col%02d", c%40)})
		for k := range 6 { // history
			due := asOf.AddDays(-60 - 50*k)
			l.Invoices = append(l.Invoices, datasets.Invoice{ID: fmt.Sprintf("%s-H%d", id, k), CustomerID: id, IssueDate: due - 30,
				DueDate: due, Amount: datasets.Money(50000 + r.IntN(2000000)), Currency: "EUR", SettledDate: due.AddDays(r.IntN(40) - 5)})
		}
		for k := range open {
			due := asOf.AddDays(30 - r.IntN(150))
			inv := datasets.Invoice{ID: fmt.Sprintf("%s-O%d", id, k), CustomerID: id, IssueDate: due - 30, DueDate: due,
				Amount: datasets.Money(50000 + r.IntN(2000000)), Currency: "EUR"}
			l.Invoices = append(l.Invoices, inv)
			if due < asOf-10 && r.IntN(3) == 0 {
				l.Actions = append(l.Actions, datasets.Action{ID: inv.ID + "-A", CustomerID: id, InvoiceID: inv.ID,
					Date: due.AddDays(7), Type: ActionReminder, Channel: "email", Policy: PolicyScenario, Propensity: 0.95})
			}
		}
	}
	return l
}

// BenchmarkWorklist100k prices the worklist of 100,000 customers with
// 1,000,000 open invoices, with effects learnt on a simulated history
// (the learning is not timed: it runs once, the worklist every morning):
// go test ./recommender -run '^$' -bench Worklist100k -benchtime 1x
func BenchmarkWorklist100k(b *testing.B) {
	s := DefaultScenarios()
	env, err := synth.NewEnv(synth.EnvConfig{Config: synth.Config{Customers: 400, Months: 9, Seed: 8}})
	if err != nil {
		b.Fatal(err)
	}
	if err := env.RunUntil(context.Background(), env.End(), NewScenarioPolicy(s, SimFX(), nil, 0.1, 8)); err != nil {
		b.Fatal(err)
	}
	eff, err := LearnEffects(context.Background(), env.Ledger(), env.End()-1, s, SimFX(), EffectsOptions{Seed: 8})
	if err != nil {
		b.Fatal(err)
	}
	asOf := datasets.NewDate(2025, 3, 4) // a Tuesday
	l := bigBook(100_000, 10, asOf)
	for _, basis := range []string{BasisEffects, BasisScenario} {
		b.Run(basis, func(b *testing.B) {
			recs := 0
			for b.Loop() {
				r := &Recommender{S: s, Capacity: map[string]int{"phone": 2000, "email": 40000}, Holdout: -1, Seed: 1}
				if basis == BasisEffects {
					r.Effects = eff
				}
				t0, c0 := time.Now(), cpuSeconds()
				w, err := r.Worklist(l, asOf)
				if err != nil {
					b.Fatal(err)
				}
				recs = len(w.Recommendations)
				// CPU seconds too: on a shared machine the wall time says
				// more about the neighbours than about the code.
				b.Logf("%s: %d recommendations, %d deferred, in %.2f s (%.2f CPU s)", basis, recs, len(w.Deferred),
					time.Since(t0).Seconds(), cpuSeconds()-c0)
			}
			b.ReportMetric(float64(recs), "recommendations")
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/worklist")
		})
	}
}

// cpuSeconds is the process's user and system CPU time so far.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
