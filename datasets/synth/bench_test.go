package synth

import (
	"context"
	"testing"
)

// bench1M is a year of about a million invoices.
func bench1M() Config {
	return Config{Customers: CustomersFor(1_000_000, 12), Months: 12, Seed: 1}
}

// BenchmarkWriteDir1M writes about a million invoices to disk:
// go test ./datasets/synth -run '^$' -bench WriteDir1M -benchtime 3x
func BenchmarkWriteDir1M(b *testing.B) {
	cfg := bench1M()
	invoices := 0
	for b.Loop() {
		sum, err := WriteDir(context.Background(), cfg, b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		invoices += sum.Invoices
	}
	b.ReportMetric(float64(invoices)/b.Elapsed().Seconds(), "invoices/s")
	b.ReportMetric(float64(invoices)/float64(b.N), "invoices/op")
}

// BenchmarkGenerate1M simulates the same ledger without formatting or disk.
func BenchmarkGenerate1M(b *testing.B) {
	cfg := bench1M()
	invoices := 0
	sink := SinkFunc(func(_ context.Context, batch *Batch) error {
		invoices += len(batch.Ledger.Invoices)
		return nil
	})
	for b.Loop() {
		if _, err := Generate(context.Background(), cfg, sink); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(invoices)/b.Elapsed().Seconds(), "invoices/s")
}
