package forecast

import (
	"context"
	"fmt"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
	"github.com/dsopilot/dsopilot/model"
)

// LedgerSpan is what a backtest needs to know of a whole ledger before it
// starts: the first and last dates it records (History.Span) and how many
// invoices it holds.
type LedgerSpan struct {
	First, Last datasets.Date
	Invoices    int
}

// SpanOfParts reads a ledger in parts once for its span: a read of the
// whole ledger, which a caller that can ask its store (SQL) saves.
func SpanOfParts(ctx context.Context, parts features.Parts) (LedgerSpan, error) {
	var s LedgerSpan
	err := parts(func(l *datasets.Ledger, _ features.LedgerFacts) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		widen(&s.First, &s.Last, NewHistory(l, nil))
		s.Invoices += len(l.Invoices)
		return nil
	})
	return s, err
}

// Trainer learns the model a backtest forecasts with at origin asOf, from
// what was known then (model.TrainOptions.AsOf).
type Trainer func(ctx context.Context, asOf datasets.Date) (*model.Bundle, error)

// BacktestParts is RunBacktest over a ledger read in parts of whole
// customers (features.Parts) in its own currencies, so that a ledger
// larger than memory can be backtested: at each origin train learns the
// model (reading the parts as it likes), FromParts forecasts with it
// (two reads), and the second of those reads also gathers, part by part,
// what the open book and the new business brought in and the baselines'
// schedules, whose sums in whole cents are the whole ledger's. fx
// converts to the reporting currency (nil: as recorded). span, when not
// nil, is the ledger's (SpanOfParts), saving a read. The result is
// RunBacktest's on the whole ledger, value for value, given the same
// models (o.Train and o.Currency are not used: train trains, and fx names
// the currency).
func BacktestParts(ctx context.Context, parts features.Parts, train Trainer, fx *datasets.FX, span *LedgerSpan, o BacktestOptions) (*Backtest, []PredictionRow, error) {
	start := time.Now()
	o = o.withDefaults()
	if span == nil {
		s, err := SpanOfParts(ctx, parts)
		if err != nil {
			return nil, nil, err
		}
		span = &s
	}
	if err := checkOrigins(span.First, span.Last, o.Origins, o.Weeks); err != nil {
		return nil, nil, err
	}
	sc := newBacktestScorer(o.Origins, o.Weeks, span.Invoices, o.Log, start)
	for _, t := range sc.res.Origins {
		b, err := train(ctx, t)
		if err != nil {
			return nil, nil, fmt.Errorf("origin %s: %w", t, err)
		}
		a := newOriginActuals(o.Weeks)
		fc, _, err := FromParts(ctx, parts, b, fx, Options{AsOf: t, Weeks: o.Weeks, Paths: o.Paths, Seed: o.Seed, Log: o.Log, actuals: a})
		if err != nil {
			return nil, nil, fmt.Errorf("origin %s: %w", t, err)
		}
		sc.add(t, b.Champion, fc, a)
	}
	res, rows := sc.result()
	return res, rows, nil
}
