package forecast

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/model"
)

// bigBook builds a ledger with open open invoices over customers
// customers as of asOf, each customer with a year of settled history, and
// a pay-date curve per open invoice as a model would give it.
func bigBook(customers, open int, asOf datasets.Date) (*datasets.Ledger, []model.Prediction) {
	r := rand.New(rand.NewPCG(1, 2))
	l := &datasets.Ledger{}
	var preds []model.Prediction
	curves := make([]float64, open*13)
	perCust := open / customers
	for c := range customers {
		id := fmt.Sprintf("C%07d", c)
		delay := 20 * r.NormFloat64()
		size := math.Exp(8 + r.NormFloat64())
		l.Customers = append(l.Customers, datasets.Customer{ID: id, Segment: []string{"smb", "mid", "ent"}[c%3], Country: "DE", Currency: "EUR"})
		for m := range 12 {
			issue := asOf.AddDays(-365 + 30*m)
			due := issue.AddDays(30)
			l.Invoices = append(l.Invoices, datasets.Invoice{ID: fmt.Sprintf("S%07d-%02d", c, m), CustomerID: id, IssueDate: issue, DueDate: due,
				SettledDate: min(due.AddDays(int(delay+5*r.NormFloat64())), asOf-1), Amount: datasets.Money(size * math.Exp(r.NormFloat64()) * 100)})
		}
		for k := range perCust {
			issue := asOf.AddDays(-r.IntN(90))
			inv := datasets.Invoice{ID: fmt.Sprintf("O%07d-%02d", c, k), CustomerID: id, IssueDate: issue, DueDate: issue.AddDays(30 + r.IntN(30)),
				Amount: datasets.Money(size * math.Exp(r.NormFloat64()) * 100)}
			l.Invoices = append(l.Invoices, inv)
			n := len(preds)
			pb := curves[n*13 : (n+1)*13 : (n+1)*13]
			h := 0.05 + 0.2*r.Float64()
			left := 1.0
			for w := range pb {
				left *= 1 - h
				pb[w] = 1 - left
			}
			preds = append(preds, model.Prediction{CustomerID: id, InvoiceID: inv.ID, AsOf: asOf, PaidBy: pb})
		}
	}
	// The feature engine lists open invoices by customer, issue date and
	// id: so do the predictions.
	slices.SortFunc(preds, func(a, b model.Prediction) int { return cmp.Compare(a.InvoiceID, b.InvoiceID) })
	issue := map[string]datasets.Date{}
	for _, v := range l.Invoices {
		issue[v.ID] = v.IssueDate
	}
	slices.SortStableFunc(preds, func(a, b model.Prediction) int {
		return cmp.Or(cmp.Compare(a.CustomerID, b.CustomerID), cmp.Compare(issue[a.InvoiceID], issue[b.InvoiceID]))
	})
	return l, preds
}

// cpuTime is the process's CPU time so far (user and system): on a
// machine shared with other work it shows what the forecast itself cost.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkForecast1M times the forecast with bands for a million open
// invoices (100,000 customers, 2.2M invoices in all) on one core, 1,000
// paths: preparing the book (outstanding, timing records, the model's
// level), estimating the shocks from 52 past weeks, and simulating.
func BenchmarkForecast1M(b *testing.B) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	asOf := datasets.NewDate(2024, 12, 31)
	start := time.Now()
	l, preds := bigBook(100_000, 1_000_000, asOf)
	h := NewHistory(l, nil)
	b.Logf("ledger of %d invoices built and arranged in %.1fs", len(l.Invoices), time.Since(start).Seconds())
	ctx := context.Background()
	for b.Loop() {
		cpu0 := cpuTime()
		t0 := time.Now()
		in, err := h.Prepare(asOf, 13, preds)
		if err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		s := h.EstimateShocks(asOf, 13)
		// The silence factors are learned from the same sample of
		// customers at a year of past origins (silence.go).
		in.applySilence(h.learnSilence(asOf, 13, replayCustomers))
		t2 := time.Now()
		nb := h.newBusiness(asOf, 13, in.timing)
		res, err := in.simulate(ctx, nb, s, Options{AsOf: asOf, Weeks: 13, Paths: 1000, Log: nil})
		if err != nil {
			b.Fatal(err)
		}
		t3 := time.Now()
		cpu := cpuTime() - cpu0
		b.ReportMetric(t3.Sub(t0).Seconds(), "s/forecast")
		b.ReportMetric(cpu.Seconds(), "cpu-s/forecast")
		fmt.Printf("forecast with bands, %d open invoices, 1,000 paths, one core: %.2fs wall, %.2fs CPU (book and curves %.2fs, shocks from %d replays and silence factors %.2fs, new business and simulation %.2fs wall); week 1 open P50 %s\n",
			len(in.Book), t3.Sub(t0).Seconds(), cpu.Seconds(), t1.Sub(t0).Seconds(), s.Replays, t2.Sub(t1).Seconds(), t3.Sub(t2).Seconds(), res.Weeks[0].Open.P50)
		if os.Getenv("DSOPILOT_BENCH_DIGEST") != "" {
			// Untimed: a digest of the result and its exact floats, to
			// compare two builds' forecasts (the speed-ups keep it).
			j, err := json.Marshal([]any{res, in.Q, in.Mean, nb.total.mean})
			if err != nil {
				b.Fatal(err)
			}
			fmt.Printf("forecast digest %x\n", sha256.Sum256(j))
		}
	}
}
