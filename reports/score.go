package reports

import (
	"errors"
	"fmt"
	"maps"

	"github.com/dsopilot/dsopilot/features"
	"github.com/dsopilot/dsopilot/model"
)

// reasonsPerInvoice is how many reasons the customer pages quote.
const reasonsPerInvoice = 3

// evidence is what the model evidence page shows.
type evidence struct {
	list     []model.Meta
	promoted string
	bundle   *model.Bundle // the promoted model; nil when none
	meta     model.Meta
	err      string // why there is no model, for the page
}

// score scores every open invoice with the promoted model, as `dsopilot
// score` does: in the currency the model learned in, at its own rates. ix
// is the reporting ledger's index, reused when the model's conversion is
// the report's.
func (b *book) score(ix *features.Index) {
	if b.in.Models == nil {
		b.scoreErr = "no model registry was given"
		return
	}
	bundle, meta, err := b.in.Models.Load("")
	if err != nil {
		b.scoreErr = "no model in service: " + err.Error()
		if errors.Is(err, model.ErrNoPromoted) {
			b.scoreErr = "no model has been trained and promoted yet (dsopilot train)"
			if err != model.ErrNoPromoted { //nolint:errorlint // wrapped: the registry says where it looked and what to do
				b.scoreErr = err.Error()
			}
		}
		return
	}
	b.ev.bundle, b.ev.meta = bundle, meta
	l := b.ledger // without what the report's rates lack
	switch fx := bundle.Options.FX; {
	case fx == nil && b.in.FX == nil:
		l = nil // the report's own ledger and index
	case fx != nil && b.in.FX != nil && fx.To == b.in.FX.To && maps.Equal(fx.Rates, b.in.FX.Rates):
		l = nil
	case fx != nil:
		l, err = l.Convert(*fx)
		if err != nil {
			b.scoreErr = fmt.Sprintf("model %s learned in %s and cannot score this ledger: %v", meta.ID, fx.To, err)
			return
		}
	}
	if l != nil {
		ix = features.NewIndex(l)
	}
	tab := features.NewEngine(ix, bundle.Options.Features).OpenInvoices(b.asOf)
	sc, err := model.NewScorer(bundle, tab.Specs)
	if err != nil {
		b.scoreErr = fmt.Sprintf("model %s cannot score: %v", meta.ID, err)
		return
	}
	preds := make([]model.Prediction, len(tab.Rows))
	if err := sc.WithEvidence(ix).ScoreBatch(tab.Rows, reasonsPerInvoice, preds); err != nil {
		b.scoreErr = fmt.Sprintf("model %s failed to score: %v", meta.ID, err)
		return
	}
	for i := range preds {
		p := &preds[i]
		v := b.invByID[p.InvoiceID]
		if v == nil || !v.isOpen() {
			continue
		}
		v.score = p
		b.scores++
		pd := p.PVeryLate
		if p.PDefault90 != nil {
			pd = *p.PDefault90
		}
		v.risk = expected(v.Open, pd)
		v.cust.risk += v.risk
	}
	for _, s := range b.allSlices() {
		for _, v := range s.open {
			s.risk += v.risk
		}
	}
}

// allSlices lists the portfolio and every segment, country and currency.
func (b *book) allSlices() []*slice {
	out := []*slice{b.portfolio}
	for _, kind := range []string{kindSegment, kindCountry, kindCurrency} {
		out = append(out, b.dims[kind]...)
	}
	return out
}

// evidence reads the registry's history for the model page.
func (b *book) evidence() {
	if b.in.Models == nil {
		b.ev.err = "no model registry was given (dsopilot report --registry DIR)"
		return
	}
	list, promoted, err := b.in.Models.List()
	if err != nil {
		b.ev.err = err.Error()
		return
	}
	b.ev.list, b.ev.promoted = list, promoted
	if len(list) == 0 {
		b.ev.err = "the registry holds no model yet (dsopilot train)"
	} else if b.ev.bundle == nil {
		b.ev.err = b.scoreErr
	}
}
