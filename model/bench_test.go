package model

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/synth"
	"github.com/dsopilot/dsopilot/features"
)

// benchInvoices is the simulated ledger size of the model benchmarks:
// DSOPILOT_BENCH_INVOICES, default 1M.
func benchInvoices() int {
	if n, err := strconv.Atoi(os.Getenv("DSOPILOT_BENCH_INVOICES")); err == nil && n > 0 {
		return n
	}
	return 1_000_000
}

// BenchmarkTrain trains every model on a simulated ledger of about
// benchInvoices invoices over 24 months (target: under 60 s for 1M on 2 cores).
func BenchmarkTrain(b *testing.B) {
	n := benchInvoices()
	l, _ := simulate(b, synth.CustomersFor(n, 24), 24, 2)
	asOf := datasets.NewDate(2024, 12, 31)
	for range b.N {
		start := time.Now()
		ix := features.NewIndex(l)
		bundle, err := Train(context.Background(), ix, TrainOptions{AsOf: asOf, Seed: 1})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(time.Since(start).Seconds(), "train-s")
		b.ReportMetric(float64(len(l.Invoices)), "invoices")
		b.ReportMetric(float64(bundle.TrainExample+bundle.ValidExample), "examples")
		b.ReportMetric(bundle.Validation.AUC, "valid-auc")
	}
}

// BenchmarkScore measures batch scoring throughput on one core (target at
// least 200,000 invoices/s), without reasons and with 3 reasons.
func BenchmarkScore(b *testing.B) {
	l, _ := simulate(b, 300, 18, 4)
	asOf := datasets.NewDate(2024, 5, 31)
	ix := features.NewIndex(l)
	bundle, err := Train(context.Background(), ix, TrainOptions{AsOf: asOf, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	_, ex, err := features.NewEngine(ix, bundle.Options.Features).TrainingSet(features.TrainingOptions{From: asOf.AddDays(-365), To: asOf})
	if err != nil {
		b.Fatal(err)
	}
	sc, err := NewScorer(bundle, features.InvoiceSpecs(bundle.Options.Features))
	if err != nil {
		b.Fatal(err)
	}
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	for _, reasons := range []int{0, 3} {
		b.Run("reasons="+strconv.Itoa(reasons), func(b *testing.B) {
			rows := 0
			start := time.Now()
			for range b.N {
				for i := range ex {
					sc.Score(&ex[i].Row, reasons)
					rows++
				}
			}
			b.ReportMetric(float64(rows)/time.Since(start).Seconds(), "invoices/s")
		})
	}
}
