package features

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/synth"
)

// simulatedLedger generates about n invoices over 12 months in memory.
func simulatedLedger(tb testing.TB, n int) (*datasets.Ledger, datasets.Date) {
	tb.Helper()
	cfg := synth.Config{Customers: synth.CustomersFor(n, 12), Months: 12, Seed: 11, Start: datasets.NewDate(2023, 1, 1)}
	l, _, err := synth.Collect(context.Background(), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return l, cfg.Start.AddDays(300)
}

// BenchmarkGoCustomers times customer features as of one date on simulated
// ledgers of 1M and (with DSOPILOT_BENCH_10M=1) 10M invoices, on one core
// (the engine is single-threaded; GOMAXPROCS=1 keeps the GC on that core too).
func BenchmarkGoCustomers(b *testing.B) {
	sizes := []int{1_000_000}
	if os.Getenv("DSOPILOT_BENCH_10M") != "" {
		sizes = append(sizes, 10_000_000)
	}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("%dM", n/1_000_000), func(b *testing.B) {
			l, t := simulatedLedger(b, n)
			prev := runtime.GOMAXPROCS(1)
			defer runtime.GOMAXPROCS(prev)
			start := time.Now()
			ix := NewIndex(l)
			indexTime := time.Since(start)
			e := NewEngine(ix, Options{})
			b.ResetTimer()
			var rows int
			for range b.N {
				rows = len(e.Customers(t).Rows)
			}
			b.StopTimer()
			perOp := b.Elapsed().Seconds() / float64(b.N)
			b.ReportMetric(float64(len(l.Invoices)), "invoices")
			b.ReportMetric(float64(rows), "customers")
			b.ReportMetric(indexTime.Seconds(), "index-s")
			b.ReportMetric(perOp/(float64(len(l.Invoices))/1e6), "s/1M-invoices")
		})
	}
}
