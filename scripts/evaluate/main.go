// Command evaluate runs dsopilot's out-of-time backtest on simulated
// ledgers over several seeds and prints, per seed, the figures the model
// targets are stated in: AUC against the simulator's own (the oracle's) AUC,
// the mean gap to the true probability, accuracy and Brier against the
// customer-history baseline, and the same on the cold-start share of the
// test invoices, with their mean predicted and mean true probability (how
// far the cold-start gap is a bias). It is a measuring tool, not part of
// make test:
//
//	go run ./scripts/evaluate -seeds 3,8,9,11,21
//	go run ./scripts/evaluate -seeds 3,8 -cleared   # invoices only, as a cleared-items export
//	go run ./scripts/evaluate -seeds 3,8 -cleared -customers 150 -peer-prior off
package main

import (
	"context"
	"flag"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/synth"
	"github.com/dsopilot/dsopilot/model"
	"github.com/dsopilot/dsopilot/model/metrics"
)

func main() {
	seeds := flag.String("seeds", "3,8", "comma-separated simulator seeds")
	customers := flag.Int("customers", 600, "customers per ledger")
	months := flag.Int("months", 24, "months per ledger")
	split := flag.Float64("split", 0.7, "backtest split quantile of issue dates")
	cleared := flag.Bool("cleared", false, "keep only the invoices (flags on the invoice, no dispute, payment or action records), as a cleared-items export")
	currency := flag.String("currency", "EUR", "convert amounts to this currency at the simulator's rates first, as --currency and --fx do (empty: leave them)")
	peerPrior := flag.String("peer-prior", string(model.DefaultPrior), "the cold-start prior on small windows: peers, segment or off (false)")
	disputeAfter := flag.Int("dispute-opened-after-days", -1, "assume a flagged invoice's dispute opened this many days after issue (-1: no assumption)")
	flag.Parse()
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "seed\tn test\tchampion\tAUC\toracle AUC\tgap\t|p−p_true|\taccuracy\tBrier\thist AUC\thist acc\thist Brier\tcold n\tcold AUC\tcold |p−p_true|\tcold mean p\tcold mean p_true\tseconds\t")
	for _, s := range strings.Split(*seeds, ",") {
		seed, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
		if err != nil {
			fatal(err)
		}
		prior, err := model.ParseColdPrior(*peerPrior)
		if err != nil {
			fatal(err)
		}
		o := model.TrainOptions{Seed: 1, Prior: prior}
		if *disputeAfter >= 0 {
			o.Features.DisputeOpenedAfterDays = disputeAfter
		}
		if err := one(tw, seed, *customers, *months, *split, *cleared, *currency, o); err != nil {
			fatal(fmt.Errorf("seed %d: %w", seed, err))
		}
		tw.Flush()
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "evaluate:", err)
	os.Exit(1)
}

func one(tw *tabwriter.Writer, seed uint64, customers, months int, split float64, cleared bool, currency string, o model.TrainOptions) error {
	ctx := context.Background()
	l, tr, err := synth.Collect(ctx, synth.Config{Customers: customers, Months: months, Seed: seed, Start: datasets.NewDate(2023, 1, 1)})
	if err != nil {
		return err
	}
	truth := make(map[string]float64, len(tr))
	for _, x := range tr {
		truth[x.InvoiceID] = x.PLate
	}
	if currency != "" {
		fx := datasets.FX{To: currency, Rates: map[string]datasets.Rate{}}
		for _, r := range synth.FXRates() {
			fx.Rates[r.Currency] = r.Rate
		}
		if l, err = l.Convert(fx); err != nil {
			return err
		}
		o.FX = &fx
	}
	if cleared {
		l = clearedItems(l)
	}
	start := time.Now()
	res, rows, err := model.RunBacktest(ctx, l, model.BacktestOptions{Split: split, Train: o})
	if err != nil {
		return err
	}
	var p, tp, y, cp, ctp, cy []float64
	gap, cgap := 0.0, 0.0
	for _, r := range rows {
		yy := 0.0
		if r.ActualLate {
			yy = 1
		}
		p, tp, y = append(p, r.PLate), append(tp, truth[r.InvoiceID]), append(y, yy)
		gap += math.Abs(r.PLate - truth[r.InvoiceID])
		if r.ColdStart {
			cp, ctp, cy = append(cp, r.PLate), append(ctp, truth[r.InvoiceID]), append(cy, yy)
			cgap += math.Abs(r.PLate - truth[r.InvoiceID])
		}
	}
	oracle := metrics.AUC(tp, y, nil)
	coldAUC := math.NaN()
	if len(cp) > 0 {
		coldAUC = metrics.AUC(cp, cy, nil)
		cgap /= float64(len(cp))
	}
	h := res.Baselines.CustomerHistory
	fmt.Fprintf(tw, "%d\t%d\t%s\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%d\t%.3f\t%.3f\t%.3f\t%.3f\t%.0f\t\n",
		seed, res.NTest, res.Champion, res.AUC, oracle, oracle-float64(res.AUC), gap/float64(len(rows)), res.Accuracy, res.Brier,
		h.AUC, h.Accuracy, h.Brier, len(cp), coldAUC, cgap, mean(cp), mean(ctp), time.Since(start).Seconds())
	return nil
}

// mean is the mean of xs (NaN when empty).
func mean(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// clearedItems keeps only what a cleared-items export holds: the invoices
// (with their clearing date and disputed flag) and customers derived from
// them.
func clearedItems(l *datasets.Ledger) *datasets.Ledger {
	out := &datasets.Ledger{Invoices: l.Invoices}
	seen := map[string]bool{}
	for _, v := range l.Invoices {
		if !seen[v.CustomerID] {
			seen[v.CustomerID] = true
			out.Customers = append(out.Customers, datasets.Customer{ID: v.CustomerID, Country: v.Country, Segment: v.Segment, Channel: v.Channel, Currency: v.Currency})
		}
	}
	return out
}
