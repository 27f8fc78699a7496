package forecast

import (
	"context"
	"fmt"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
	"github.com/dsopilot/dsopilot/model"
)

// FromLedger forecasts from a ledger in its own currencies with model b,
// as `dsopilot forecast` does: the open book is scored in the currency the
// model learned in, at its rates, and the amounts are forecast in fx's
// currency (nil: as recorded; o.Currency is then set when the ledger holds
// one currency). mixed lists the currencies added unconverted when there
// are several and no fx.
func FromLedger(ctx context.Context, l *datasets.Ledger, b *model.Bundle, fx *datasets.FX, o Options) (res *Result, mixed []string, err error) {
	r, err := NewRun(l, b, fx, o.AsOf)
	if err != nil {
		return nil, nil, err
	}
	res, err = r.Forecast(ctx, o)
	return res, r.Mixed, err
}

// Run is a ledger and a model made ready to forecast as of one date (see
// FromLedger), so that several forecasts (a report's breakdowns) share the
// scoring of the open book, the history and the shocks estimated from its
// replays, which the first forecast of each horizon estimates.
type Run struct {
	asOf     datasets.Date
	h        *History
	preds    []model.Prediction
	currency string
	// Mixed lists the currencies added unconverted (several, no fx).
	Mixed []string
	// unconverted is what was left out for want of a rate (nil: nothing).
	unconverted *Unconverted
	shocks      map[int]Shocks // by computed horizon in weeks (computedWeeks)
}

// NewRun scores l's open book as of asOf with b and converts the history
// with fx (nil: as recorded). Amounts fx has no rate for are left out and
// named in the forecasts' Unconverted, as FromLedger and FromParts do,
// unless they are most of the open book (LeaveOutUnconverted): the
// report's pages say what was left out.
func NewRun(l *datasets.Ledger, b *model.Bundle, fx *datasets.FX, asOf datasets.Date) (*Run, error) {
	l, u := leaveOutUnconverted(l, fx, asOf)
	h, mixed, err := ReportingHistory(l, fx)
	if err != nil {
		return nil, err
	}
	if err := h.CheckAsOf(asOf); err != nil {
		return nil, err
	}
	if err := u.check(h.openInvoices(asOf)); err != nil {
		return nil, err
	}
	r := &Run{asOf: asOf, h: h, shocks: map[int]Shocks{}, unconverted: u}
	switch {
	case fx != nil:
		r.currency = fx.To
	case len(mixed) == 1:
		r.currency = mixed[0]
	default:
		r.Mixed = mixed
	}
	ml := l
	sfx, err := b.ScoringFX(nil)
	if err != nil {
		return nil, err
	}
	if sfx != nil {
		if ml, err = l.Convert(*sfx); err != nil {
			return nil, fmt.Errorf("the model learned in %s: %w", sfx.To, err)
		}
	}
	if r.preds, err = Predict(features.NewIndex(ml), b, asOf); err != nil {
		return nil, err
	}
	return r, nil
}

// AsOf is the date the run forecasts from.
func (r *Run) AsOf() datasets.Date { return r.asOf }

// Forecast forecasts as of the run's date with o (its AsOf and Currency
// are the run's). Not safe for concurrent use.
func (r *Run) Forecast(ctx context.Context, o Options) (*Result, error) {
	o.AsOf, o.Currency = r.asOf, r.currency
	o, err := o.Validate()
	if err != nil {
		return nil, err
	}
	H := computedWeeks(o.Weeks)
	if s, ok := r.shocks[H]; ok && o.Shocks == nil {
		o.Shocks = &s
	}
	res, err := Forecast(ctx, r.h, r.preds, o)
	if err != nil {
		return nil, err
	}
	if _, ok := r.shocks[H]; !ok {
		r.shocks[H] = res.Shocks
	}
	res.Unconverted = r.unconverted
	return res, nil
}

// ReportingHistory is the history of l converted with fx (nil: as
// recorded), each invoice keeping its own currency for breakdowns; mixed
// lists l's currencies when there is no fx.
func ReportingHistory(l *datasets.Ledger, fx *datasets.FX) (*History, []string, error) {
	rep, mixed, err := l.InCurrency(fx)
	if err != nil {
		return nil, nil, err
	}
	return NewHistory(rep, InvoiceCurrencies(l)), mixed, nil
}
