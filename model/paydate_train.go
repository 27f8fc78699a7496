package model

import (
	"context"

	"github.com/dsopilot/dsopilot/features"
	"github.com/dsopilot/dsopilot/model/linear"
)

// Training the pay-date hazard (scored in paydate.go): its examples, its
// features and their encoding.

// trainPayDate fits the weekly hazard of payment from the issue date, with
// invoices still open at the cut-off as censored observations.
func trainPayDate(ctx context.Context, enc *Encoder, xs []features.Example, o TrainOptions) (*linear.Hazard, error) {
	var X [][]float64
	var dur []int
	var ev []bool
	for i := range xs {
		x := &xs[i]
		t := x.AsOf
		if x.Censored {
			weeks := int(o.AsOf-t) / 7
			if weeks < 1 {
				continue // not one full week observed: no information
			}
			X = append(X, enc.EncodeLinear(nil, &x.Row))
			dur = append(dur, min(weeks, payDatePeriods))
			ev = append(ev, false)
			continue
		}
		days := int(x.IssueDate.AddDays(x.DaysToPay) - t)
		week := days/7 + 1
		X = append(X, enc.EncodeLinear(nil, &x.Row))
		if week > payDatePeriods {
			dur, ev = append(dur, payDatePeriods), append(ev, false)
		} else {
			dur, ev = append(dur, week), append(ev, true)
		}
	}
	return linear.TrainHazard(ctx, X, dur, ev, linear.HazardOptions{Periods: payDatePeriods, L2: o.L2, MaxRows: 1_000_000, Seed: o.Seed, MaxIter: 200, Tol: 1e-5})
}

// forPayDate reports whether the pay-date hazard reads feature sp: the
// catalogue's compact set (features.Spec.Core: the customer's payment
// timing over every history window the bundle has, the invoice's age and
// terms, the state of the open book, and what holds payment back), which
// keeps the hazard fit fast on millions of invoice-weeks. A feature the
// catalogue adds to the set is read without a change here.
func forPayDate(sp features.Spec) bool {
	return sp.Kind == features.Numeric && sp.Core
}

// payDateEncoder fits the linear encoding of the pay-date features.
func payDateEncoder(specs []features.Spec, rows []features.Row) (*Encoder, error) {
	var sub []features.Spec
	var keep []int
	ni := 0
	for _, s := range specs {
		if s.Kind != features.Numeric {
			continue
		}
		if forPayDate(s) {
			sub = append(sub, s)
			keep = append(keep, ni)
		}
		ni++
	}
	proj := make([]features.Row, len(rows))
	for i := range rows {
		proj[i] = project(&rows[i], keep)
	}
	enc, err := FitEncoder(sub, proj)
	if err != nil {
		return nil, err
	}
	enc.Keep = keep
	return enc, nil
}

// project keeps the numeric values at positions keep.
func project(r *features.Row, keep []int) features.Row {
	out := features.Row{CustomerID: r.CustomerID, InvoiceID: r.InvoiceID, AsOf: r.AsOf, Num: make([]float64, len(keep))}
	for j, k := range keep {
		out.Num[j] = r.Num[k]
	}
	return out
}

// payDatePeriods is the pay-date horizon in weeks: a 13-week cash forecast.
const payDatePeriods = 13
