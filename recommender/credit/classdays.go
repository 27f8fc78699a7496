package credit

import (
	"cmp"
	"context"
	"errors"
	"math"
	"slices"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
	"github.com/dsopilot/dsopilot/recommender"
)

// The review dates read the customers' classes at many month-ends (every
// one from the oldest decision in force to the as-of day). Each month-end
// read on its own re-read the parts and re-indexed every customer's
// records, for the accounts and again for the risk source, which made the
// flags some fifteen times slower than the as-of day alone. Here the parts
// are read once and each part is indexed once; every month-end is then
// evaluated over that index, with what was known by its end only (the
// features' engine and the accounts read nothing dated after the day they
// are asked about), so the classes are those of one month-end at a time,
// value for value (TestSharedClassesAreEachMonthEnds).

// daysRisk is a risk source that answers for several days over one read
// of the parts.
type daysRisk interface {
	customerRiskDays(ctx context.Context, parts features.Parts, days []datasets.Date) (map[datasets.Date]map[string]Risk, error)
}

var (
	_ daysRisk = LearnedRisk{}
	_ daysRisk = ModelRisk{}
)

// LedgerDaysRisk is a risk source that answers for several days of a
// ledger held whole at once: the API's cache of a snapshot's risks, which
// keeps them by day and learns the days it lacks over one read of the
// ledger (RiskDays). Asked a day at a time, it indexed the whole ledger
// again for each month-end, most of a first credit-limit request's time.
type LedgerDaysRisk interface {
	CustomerRiskDaysOf(ctx context.Context, l *datasets.Ledger, days []datasets.Date) (map[datasets.Date]map[string]Risk, error)
}

// RiskDays is src's risk as of each of days on l, over one read of l when
// src can (as the review dates' month-ends are read).
func RiskDays(ctx context.Context, src RiskSource, l *datasets.Ledger, days []datasets.Date) (map[datasets.Date]map[string]Risk, error) {
	return riskDays(ctx, src, features.WholeLedger(l), l, days)
}

// riskDays is src's risk as of each of days: over one read of the parts
// when src can (daysRisk, or LedgerDaysRisk with the ledger held whole),
// else one day at a time, from l when the ledger is held whole (nil: read
// in parts).
func riskDays(ctx context.Context, src RiskSource, parts features.Parts, l *datasets.Ledger, days []datasets.Date) (map[datasets.Date]map[string]Risk, error) {
	if src == nil {
		return map[datasets.Date]map[string]Risk{}, nil
	}
	if ds, ok := src.(LedgerDaysRisk); ok && l != nil {
		return ds.CustomerRiskDaysOf(ctx, l, days)
	}
	if ds, ok := src.(daysRisk); ok {
		return ds.customerRiskDays(ctx, parts, days)
	}
	out := make(map[datasets.Date]map[string]Risk, len(days))
	for _, d := range days {
		var (
			r   map[string]Risk
			err error
		)
		if l != nil {
			r, err = src.CustomerRisk(ctx, l, d)
		} else {
			r, err = riskParts(ctx, src, parts, d)
		}
		if err != nil {
			return nil, err
		}
		out[d] = r
	}
	return out, nil
}

// historyAccounts is, for each of days, what the class of a month-end
// needs of every account as of that day (its customer's id and segment,
// what it issued in the history window, its exposure and its default:
// pdOf, segmentPD, anythingOnRecord), each part indexed once for all days.
// The rest of an account (open items, season, promises) is not kept: 24
// month-ends of whole accounts would hold the portfolio 24 times.
func historyAccounts(parts features.Parts, days []datasets.Date, pol *Policy, fx datasets.FX) (map[datasets.Date]map[string]*account, error) {
	out := make(map[datasets.Date]map[string]*account, len(days))
	for _, d := range days {
		out[d] = map[string]*account{}
	}
	err := parts(func(l *datasets.Ledger, whole features.LedgerFacts) error {
		p, err := newAccountPart(l, whole, pol, fx)
		if err != nil {
			return err
		}
		for _, d := range days {
			// The segments' invoicing is for the season, which no class reads.
			seg := newSegmentInvoicing()
			part, _, err := p.accounts(d, pol, nil, seg, true)
			if err != nil {
				return err
			}
			for id, a := range part {
				out[d][id] = &account{c: datasets.Customer{ID: a.c.ID, Segment: a.c.Segment}, issued: a.issued, exposure: a.exposure, gross: a.gross, defaulted: a.defaulted}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// pdRow is a customer's default-model inputs on a day.
type pdRow struct {
	customer string
	x        []float64
	active   bool
}

// pdSnapshots are the default model's training snapshots and the rows it
// scores, for each of several as-of days, gathered over one read of the
// parts (trainDefaultModel and DefaultModel.CustomerRiskParts, day by day).
type pdSnapshots struct {
	train  map[datasets.Date][]pdSnapshot
	events map[datasets.Date]int
	score  map[datasets.Date][]pdRow // customers not in default by the day
	inDflt map[datasets.Date][]string
}

type pdSnapshot struct {
	k        int
	customer string
	x        []float64
	y        float64
}

// defaultSnapshotsDays reads the parts once: each part is indexed once,
// and a day's table of features, shared by the days whose snapshots fall
// on it, is read once.
func defaultSnapshotsDays(ctx context.Context, parts features.Parts, days []datasets.Date) (*pdSnapshots, error) {
	sn := &pdSnapshots{train: map[datasets.Date][]pdSnapshot{}, events: map[datasets.Date]int{},
		score: map[datasets.Date][]pdRow{}, inDflt: map[datasets.Date][]string{}}
	err := parts(func(l *datasets.Ledger, whole features.LedgerFacts) error {
		eng := features.NewEngine(features.NewPartIndex(l, whole), features.Options{Windows: []int{90, 365}})
		var f *pdFeatures
		tables := map[datasets.Date][]pdRow{} // this part's, by day
		rowsAt := func(t datasets.Date) ([]pdRow, error) {
			if rows, ok := tables[t]; ok {
				return rows, nil
			}
			tab := eng.Customers(t)
			if f == nil {
				pf, err := newPDFeatures(tab.Specs)
				if err != nil {
					return nil, err
				}
				f = &pf
			}
			rows := make([]pdRow, len(tab.Rows))
			for i := range tab.Rows {
				x, active := f.row(&tab.Rows[i])
				rows[i] = pdRow{tab.Rows[i].CustomerID, x, active}
			}
			tables[t] = rows
			return rows, nil
		}
		for _, d := range days {
			dd := defaultDays(l, d)
			for k := 1; k <= pdLookbackMonths; k++ {
				t := d.AddDays(-30 * k)
				rows, err := rowsAt(t)
				if err != nil {
					return err
				}
				for _, r := range rows {
					dday, defaulted := dd[r.customer]
					if defaulted && dday <= t || !r.active {
						continue
					}
					label := 0.0
					if defaulted && dday <= t.AddDays(30) {
						label = 1
						sn.events[d]++
					}
					sn.train[d] = append(sn.train[d], pdSnapshot{k, r.customer, slices.Clone(r.x), label})
				}
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			rows, err := rowsAt(d)
			if err != nil {
				return err
			}
			for _, r := range rows {
				if _, defaulted := dd[r.customer]; defaulted {
					sn.inDflt[d] = append(sn.inDflt[d], r.customer)
					continue
				}
				sn.score[d] = append(sn.score[d], r)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return sn, nil
}

// model fits day d's default model, as trainDefaultModel does: the
// snapshots in the whole ledger's order, then the same trees.
func (sn *pdSnapshots) model(ctx context.Context, d datasets.Date) (*DefaultModel, error) {
	rows := sn.train[d]
	slices.SortStableFunc(rows, func(a, b pdSnapshot) int { return cmp.Or(cmp.Compare(a.k, b.k), cmp.Compare(a.customer, b.customer)) })
	X, y := make([][]float64, len(rows)), make([]float64, len(rows))
	for i, r := range rows {
		X[i], y[i] = r.x, r.y
	}
	return fitDefaultModel(ctx, X, y, sn.events[d], d)
}

// risk is day d's PDs by dm, as DefaultModel.CustomerRiskParts gives them.
func (sn *pdSnapshots) risk(dm *DefaultModel, d datasets.Date) map[string]Risk {
	out := map[string]Risk{}
	for _, id := range sn.inDflt[d] {
		out[id] = Risk{PD: 1, Source: "default"}
	}
	for _, r := range sn.score[d] {
		h := dm.m.Predict(r.x)
		out[r.customer] = Risk{PD: 1 - math.Pow(1-h, pdHorizonMonths), Source: "model"}
	}
	return out
}

// customerRiskDays is CustomerRiskParts as of each of days, over one read
// of the parts (and one of the fallback's, for the days it answers).
func (lr LearnedRisk) customerRiskDays(ctx context.Context, parts features.Parts, days []datasets.Date) (map[datasets.Date]map[string]Risk, error) {
	sn, err := defaultSnapshotsDays(ctx, parts, days)
	if err != nil {
		return nil, err
	}
	out := make(map[datasets.Date]map[string]Risk, len(days))
	var fellBack []datasets.Date
	for _, d := range days {
		dm, err := sn.model(ctx, d)
		if tf := (*tooFewDefaults)(nil); errors.As(err, &tf) && lr.Warn != nil {
			lr.Warn(tf.warning(lr.fallbackWords()))
		}
		switch {
		case errors.Is(err, errTooFewDefaults) && lr.Fallback != nil:
			fellBack = append(fellBack, d)
		case errors.Is(err, errTooFewDefaults):
			out[d] = nil
		case err != nil:
			return nil, err
		default:
			out[d] = sn.risk(dm, d)
		}
	}
	if len(fellBack) > 0 {
		fb, err := riskDays(ctx, lr.Fallback, parts, nil, fellBack)
		if err != nil {
			return nil, err
		}
		for _, d := range fellBack {
			out[d] = fb[d]
		}
	}
	return out, nil
}

// customerRiskDays scores with the bundle only the days at or after its
// training cut-off (Bundle.Options.AsOf). A month-end before it is read
// with the ledger's own default model learnt as of that month-end
// (LearnedRisk, the PD without --model), as a credit manager reconstructing
// the class a customer had at a past decision expects: a bundle trained
// later has learnt from how that customer's invoices ended, after the
// month-end, so its PD says what was not known then (a customer that
// defaulted since looks risky at every earlier month-end, which brought
// its reviews forward to dates nobody could have set). Refusing --model
// instead would refuse nearly every ledger, whose limits in force were
// decided before any bundle was trained.
func (m ModelRisk) customerRiskDays(ctx context.Context, parts features.Parts, days []datasets.Date) (map[datasets.Date]map[string]Risk, error) {
	cut, err := m.cutoff()
	if err != nil {
		return nil, err
	}
	var before []datasets.Date
	out := make(map[datasets.Date]map[string]Risk, len(days))
	for _, d := range days {
		if d < cut {
			before = append(before, d)
			continue
		}
		r, err := m.CustomerRiskParts(ctx, parts, d)
		if err != nil {
			return nil, err
		}
		out[d] = r
	}
	if len(before) > 0 {
		pit, err := LearnedRisk{}.customerRiskDays(ctx, parts, before)
		if err != nil {
			return nil, err
		}
		for _, d := range before {
			out[d] = pit[d]
		}
	}
	return out, nil
}

// cutoff is the last day the bundle learnt from (its as-of day); zero for
// a bundle that does not say (none is before it).
func (m ModelRisk) cutoff() (datasets.Date, error) {
	return recommender.ModelCutoff(m.Bundle)
}
