package credit

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/synth"
	"github.com/dsopilot/dsopilot/features"
	"github.com/dsopilot/dsopilot/recommender"
)

// BenchmarkFlagsReviewClasses times the flags of a simulated ledger of 150
// customers over two years with the learnt default model, whose review
// dates read the classes at every month-end since the decisions in force
// (learnClasses): go test -run XXX -bench FlagsReviewClasses -benchtime 3x
// ./recommender/credit/. cpu-s/op is the process's CPU time (user and
// system) an operation, steadier than the wall time on a shared machine.
// When each month-end re-read and re-indexed the ledger (the accounts and
// the default model's snapshots and scores apart) the same flags took 2.4
// cpu-s/op; over one index a part for every month-end, 0.77.
func BenchmarkFlagsReviewClasses(b *testing.B) {
	ctx := context.Background()
	l, _, err := synth.Collect(ctx, synth.Config{Customers: 150, Months: 24, Seed: 42, Start: datasets.NewDate(2023, 1, 1)})
	if err != nil {
		b.Fatal(err)
	}
	asOf := datasets.NewDate(2024, 12, 31)
	fx := recommender.SimFX()
	parts := features.WholeLedger(l)
	svc := &Service{Risk: LearnedRisk{}}
	start := cpuTime()
	for b.Loop() {
		o := Options{FX: fx}
		if o.Risk, err = svc.Risk.CustomerRisk(ctx, l, asOf); err != nil {
			b.Fatal(err)
		}
		o.RiskAtDays = svc.riskAtDays(ctx, parts, l)
		as, err := assessParts(parts, asOf, DefaultPolicy(), o)
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := as.flagged(false); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric((cpuTime()-start).Seconds()/float64(b.N), "cpu-s/op")
}

// cpuTime is the process's CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
