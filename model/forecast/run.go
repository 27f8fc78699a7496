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
	h, mixed, err := ReportingHistory(l, fx)
	if err != nil {
		return nil, nil, err
	}
	if err := h.CheckAsOf(o.AsOf); err != nil {
		return nil, nil, err
	}
	switch {
	case fx != nil:
		o.Currency = fx.To
	case len(mixed) == 1:
		o.Currency, mixed = mixed[0], nil
	}
	ml := l
	sfx, err := b.ScoringFX(nil)
	if err != nil {
		return nil, nil, err
	}
	if sfx != nil {
		if ml, err = l.Convert(*sfx); err != nil {
			return nil, nil, fmt.Errorf("the model learned in %s: %w", sfx.To, err)
		}
	}
	preds, err := Predict(features.NewIndex(ml), b, o.AsOf)
	if err != nil {
		return nil, nil, err
	}
	res, err = Forecast(ctx, h, preds, o)
	return res, mixed, err
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
