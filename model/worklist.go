package model

import (
	"cmp"
	"fmt"
	"maps"
	"slices"

	"github.com/dsopilot/dsopilot/datasets"
)

// SortWorklist orders predictions riskiest first, as a collector works
// them: by probability of late payment, then of very late payment, then by
// invoice id.
func SortWorklist(preds []Prediction) {
	slices.SortStableFunc(preds, func(a, b Prediction) int {
		return cmp.Or(cmp.Compare(b.PLate, a.PLate), cmp.Compare(b.PVeryLate, a.PVeryLate), cmp.Compare(a.InvoiceID, b.InvoiceID))
	})
}

// ScoringFX is the conversion an open book goes through before b scores
// it: the rates b learned with, completed by extra's for currencies b has
// none for (extra's rates for b's own currencies are ignored, so that the
// model reads amounts as it learned them). It is nil when b learned from
// unconverted amounts, and extra must then be nil.
func (b *Bundle) ScoringFX(extra *datasets.FX) (*datasets.FX, error) {
	fx := b.Options.FX
	if fx == nil {
		if extra != nil {
			return nil, fmt.Errorf("%w: the model learned from unconverted amounts: rates do not apply", datasets.ErrFX)
		}
		return nil, nil
	}
	if extra != nil && extra.To != fx.To {
		return nil, fmt.Errorf("%w: rates to %s for a model that learned in %s", datasets.ErrFX, extra.To, fx.To)
	}
	rates := maps.Clone(fx.Rates)
	if rates == nil {
		rates = map[string]datasets.Rate{}
	}
	if extra != nil {
		for c, r := range extra.Rates {
			if _, ok := rates[c]; !ok {
				rates[c] = r
			}
		}
	}
	return &datasets.FX{To: fx.To, Rates: rates}, nil
}
