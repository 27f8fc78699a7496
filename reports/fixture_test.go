package reports

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/synth"
	"github.com/dsopilot/dsopilot/features"
	"github.com/dsopilot/dsopilot/model"
)

// simulated returns a simulated ledger and the simulator's rates to EUR.
func simulated(tb testing.TB, customers, months int, seed uint64) (*datasets.Ledger, *datasets.FX) {
	tb.Helper()
	l, _, err := synth.Collect(context.Background(), synth.Config{Customers: customers, Months: months, Seed: seed, Start: datasets.NewDate(2023, 1, 1)})
	if err != nil {
		tb.Fatal(err)
	}
	fx := &datasets.FX{To: "EUR", Rates: map[string]datasets.Rate{}}
	for _, r := range synth.FXRates() {
		fx.Rates[r.Currency] = r.Rate
	}
	return l, fx
}

// trained is a simulated ledger with a model registered and promoted,
// built once per test binary (training takes seconds).
var trained struct {
	once sync.Once
	in   Input
	dir  string
	err  error
}

// modelInput returns an Input over a 100-customer, 15-month ledger with a
// promoted model in a registry and a backtest, in EUR, as of 2024-03-31.
func modelInput(tb testing.TB) Input {
	tb.Helper()
	trained.once.Do(func() {
		l, fx := simulated(tb, 100, 15, 7)
		asOf := datasets.NewDate(2024, 3, 31)
		conv, err := l.Convert(*fx)
		if err != nil {
			trained.err = err
			return
		}
		start := time.Now()
		b, err := model.Train(context.Background(), features.NewIndex(conv), model.TrainOptions{AsOf: asOf, Seed: 1, MaxInvoices: 8_000, FX: fx})
		if err != nil {
			trained.err = err
			return
		}
		tb.Logf("trained the fixture's model in %.1fs", time.Since(start).Seconds())
		dir, err := os.MkdirTemp("", "dsopilot-reports-registry-")
		if err != nil {
			trained.err = err
			return
		}
		trained.dir = dir
		reg := model.Registry{Dir: filepath.Join(dir, "models")}
		m, err := reg.Register(b, model.Fingerprint(l), "test", time.Unix(0, 0))
		if err == nil {
			err = reg.Promote(m.ID)
		}
		trained.err = err
		trained.in = Input{Ledger: l, FX: fx, AsOf: asOf, Models: reg, Build: "test"}
		// The backtest the evidence page draws: trained on what was known
		// at its cut-off, tested on later invoices.
		start = time.Now()
		bt, rows, err := model.RunBacktest(context.Background(), conv, model.BacktestOptions{Split: 0.7,
			Train: model.TrainOptions{Seed: 1, MaxInvoices: 8_000, FX: fx}})
		if err != nil {
			trained.err = err
			return
		}
		tb.Logf("backtested the fixture in %.1fs", time.Since(start).Seconds())
		trained.in.Backtest, trained.in.BacktestRows = bt, rows
	})
	if trained.err != nil {
		tb.Fatal(trained.err)
	}
	return trained.in
}

func TestMain(m *testing.M) {
	code := m.Run()
	if trained.dir != "" {
		os.RemoveAll(trained.dir)
	}
	os.Exit(code)
}
