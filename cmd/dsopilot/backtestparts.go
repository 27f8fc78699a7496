package main

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/chstore/chsql"
	"github.com/dsopilot/dsopilot/features"
	"github.com/dsopilot/dsopilot/model"
)

// backtestOnStore runs the backtest o on the ledger in store. A store that
// reads parts (ClickHouse) is read twice in parts of whole customers: once
// to gather the training set at the cut-off (model.TrainingData), once to
// gather and score the test invoices (model.BacktestTest) with the model
// trained; the cut-off and the end of the data are asked of the database.
// Only examples are held, never the ledger, and the result is the whole
// ledger's. The embedded store reads the whole ledger.
func backtestOnStore(ctx context.Context, e env, store string, parts int, tf trainFlags, o model.BacktestOptions) (*model.Backtest, []model.PredictionRow, error) {
	st, err := openStore(ctx, store, newLogger(e), false)
	if err != nil {
		return nil, nil, err
	}
	defer st.Close()
	pl, ok := st.(partLoader)
	if !ok {
		l, err := loadSettled(ctx, st)
		if err != nil {
			return nil, nil, err
		}
		if l, err = tf.convert(e, "backtest", l, &o.Train); err != nil {
			return nil, nil, err
		}
		return model.RunBacktest(ctx, l, o)
	}
	pc, err := newPartConverter(tf)
	if err != nil {
		return nil, nil, err
	}
	o.Train.FX = pc.fx
	// One guard from the dates and counts asked of the database to the
	// last part of the test pass: they must all read one ledger.
	g := &readGuard{}
	if err := g.begin(ctx, pl); err != nil {
		return nil, nil, err
	}
	cut, end, err := backtestDates(ctx, pl, o)
	if err != nil {
		return nil, nil, err
	}
	to := model.BacktestTrainOptions(o, cut)
	from, asOf := model.TrainingWindow(to)
	n, err := issuedInWindow(ctx, pl, from, asOf, customerSample{})
	if err != nil {
		return nil, nil, err
	}
	d, err := model.NewTrainingData(to, n)
	if err != nil {
		return nil, nil, err
	}
	// Each pass reads the ledger part by part, converted as the model
	// learns it, indexed with the whole ledger's facts.
	eachIndex := func(add func(*features.Index) error) error {
		err := eachSampledPart(ctx, st, parts, customerSample{}, g, func(l *datasets.Ledger, whole features.LedgerFacts) error {
			conv, ok, err := pc.convert(l)
			if err != nil || !ok {
				return err // !ok: missing rates, reported once every part is read
			}
			return add(features.NewPartIndex(conv, whole))
		})
		if err != nil {
			return err
		}
		return pc.err()
	}
	if err := eachIndex(d.Add); err != nil {
		return nil, nil, err
	}
	pc.warn(e, "backtest")
	b, err := d.Train(ctx)
	if err != nil {
		return nil, nil, err
	}
	test := model.NewBacktestTest(b, o, cut, end)
	if err := eachIndex(test.Add); err != nil {
		return nil, nil, err
	}
	return test.Result()
}

// backtestDates asks the database what model.RunBacktest computes from the
// whole ledger: the cut-off (o.Cutoff, or the o.Split quantile of the
// invoices' issue dates) and the end of the data (the latest issue, settled
// or payment date).
func backtestDates(ctx context.Context, q chsql.Querier, o model.BacktestOptions) (cut, end datasets.Date, err error) {
	db := ""
	if q.Database() != "" {
		db = quoteName(q.Database()) + "."
	}
	var (
		n          uint64
		invEnd, pd int32
	)
	if err := q.QueryRow(ctx, "SELECT count(), toInt32(max(greatest(toInt32(issue_date), toInt32(settled_date)))) FROM "+db+"invoices FINAL").Scan(&n, &invEnd); err != nil {
		return 0, 0, fmt.Errorf("backtest: the invoices' dates: %w", err)
	}
	if n == 0 {
		return 0, 0, fmt.Errorf("backtest: %w: the ledger has no invoices", model.ErrTooLittleData)
	}
	if err := q.QueryRow(ctx, "SELECT toInt32(max(toInt32(payment_date))) FROM "+db+"payments FINAL").Scan(&pd); err != nil {
		return 0, 0, fmt.Errorf("backtest: the latest payment date: %w", err)
	}
	end = datasets.Date(max(invEnd, pd))
	if o.Cutoff != 0 {
		return o.Cutoff, end, nil
	}
	if o.Split <= 0 || o.Split >= 1 {
		return 0, 0, fmt.Errorf("backtest: --split %v must be between 0 and 1", o.Split)
	}
	var c int32
	k := uint64(float64(n) * o.Split)
	if err := q.QueryRow(ctx, "SELECT toInt32(issue_date) FROM "+db+"invoices FINAL ORDER BY issue_date LIMIT 1 OFFSET @k", sql.Named("k", k)).Scan(&c); err != nil {
		return 0, 0, fmt.Errorf("backtest: the cut-off at the %v quantile of issue dates: %w", o.Split, err)
	}
	return datasets.Date(c), end, nil
}
