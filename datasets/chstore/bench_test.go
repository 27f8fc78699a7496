package chstore

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
)

// benchInvoices is the size of BenchmarkPutInvoices' batch.
const benchInvoices = 1_000_000

// envBenchCSV, when set to a path, makes BenchmarkPutInvoices also write its
// invoices there as CSV in the column order of the invoices table, to compare
// with `clickhouse-client --query "INSERT INTO db.invoices FORMAT CSV" < path`.
const envBenchCSV = "DSOPILOT_BENCH_CSV"

// BenchmarkPutInvoices puts a million synthetic invoices into a fresh
// database per iteration and reports rows/s.
func BenchmarkPutInvoices(b *testing.B) {
	testServer(b)
	ctx := context.Background()
	invoices := syntheticInvoices(benchInvoices)
	if path := os.Getenv(envBenchCSV); path != "" {
		if err := writeInvoicesCSV(path, invoices); err != nil {
			b.Fatal(err)
		}
	}
	batch := &datasets.Ledger{Invoices: invoices}
	var elapsed time.Duration
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		s, _ := openMigrated(b)
		b.StartTimer()
		start := time.Now()
		if err := s.Put(ctx, batch); err != nil {
			b.Fatalf("put: %v", err)
		}
		elapsed += time.Since(start)
	}
	b.ReportMetric(float64(b.N*len(invoices))/elapsed.Seconds(), "rows/s")
}

// syntheticInvoices returns n plausible invoices in random id order, the
// same ones on every call.
func syntheticInvoices(n int) []datasets.Invoice {
	rng := rand.New(rand.NewPCG(1, 2))
	segments := []string{"enterprise", "mid_market", "small_business", "public_sector"}
	countries := []string{"DE", "FR", "NL", "IT", "ES", "GB", "US"}
	channels := []string{"direct", "partner", "online"}
	start := datasets.NewDate(2020, 1, 1)
	out := make([]datasets.Invoice, n)
	for i, k := range rng.Perm(n) {
		issue := start.AddDays(rng.IntN(1500))
		inv := datasets.Invoice{
			ID:         fmt.Sprintf("INV%08d", k),
			CustomerID: fmt.Sprintf("C%05d", rng.IntN(20_000)),
			IssueDate:  issue,
			DueDate:    issue.AddDays(30),
			Amount:     datasets.Money(rng.Int64N(5_000_000_00)),
			Currency:   "EUR",
			Disputed:   rng.IntN(40) == 0,
			Country:    countries[rng.IntN(len(countries))],
			Segment:    segments[rng.IntN(len(segments))],
			Channel:    channels[rng.IntN(len(channels))],
		}
		if rng.IntN(10) < 7 {
			inv.SettledDate = issue.AddDays(20 + rng.IntN(60))
		}
		out[i] = inv
	}
	return out
}

// writeInvoicesCSV writes invoices as clickhouse-client's CSV input, with
// the version column last.
func writeInvoicesCSV(path string, invoices []datasets.Invoice) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w := bufio.NewWriter(f)
	version := time.Now().UnixNano()
	for i, v := range invoices {
		disputed := 0
		if v.Disputed {
			disputed = 1
		}
		fmt.Fprintf(w, "%s,%s,%s,%s,%s,%s,%s,%d,%s,%s,%s,%d\n", v.ID, v.CustomerID,
			csvDate(v.IssueDate), csvDate(v.DueDate), v.Amount, v.Currency, csvDate(v.SettledDate),
			disputed, v.Country, v.Segment, v.Channel, version+int64(i))
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

func csvDate(d datasets.Date) string {
	if d == 0 {
		return "1970-01-01"
	}
	return d.String()
}
