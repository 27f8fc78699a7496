package recommender

import (
	"context"
	"fmt"
	"math"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
	"github.com/dsopilot/dsopilot/model"
)

// CustomerRisk is what a payment model says about a customer's open
// invoices: the amount-weighted mean probability of paying late and of
// ending 90+ days overdue or written off (for an invoice already past 90
// days, of staying unpaid: see defaultForecast).
type CustomerRisk struct {
	PLate      float64
	PDefault90 float64 // 0 when the model has no 90+ classifier
}

// ModelRisk scores the invoices open at the end of asOf with a payment
// model bundle (dsopilot train) and sums them up per customer. It is the
// recommender's only use of the model package, kept in this one function
// so that a change of that API touches nothing else.
func ModelRisk(ctx context.Context, l *datasets.Ledger, b *model.Bundle, asOf datasets.Date) (map[string]CustomerRisk, error) {
	return ModelRiskParts(ctx, features.WholeLedger(l), b, asOf)
}

// ModelRiskParts is ModelRisk over a ledger read in parts of whole
// customers (features.Parts).
func ModelRiskParts(ctx context.Context, parts features.Parts, b *model.Bundle, asOf datasets.Date) (map[string]CustomerRisk, error) {
	out := map[string]CustomerRisk{}
	conv := modelConverter(b)
	err := parts(func(l *datasets.Ledger, whole features.LedgerFacts) error {
		return addModelRisk(ctx, l, whole, b, conv, asOf, out)
	})
	if err == nil {
		err = modelConvertErr(b, conv)
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// modelConverter converts the parts of a ledger to the currency b learned
// in (nil: b learned in the ledger's own amounts).
func modelConverter(b *model.Bundle) *datasets.PartConverter {
	if fx := b.Options.FX; fx != nil {
		return datasets.NewPartConverter(fx)
	}
	return nil
}

// modelConvertErr is the amounts of every part conv could not convert to
// b's currency, or nil.
func modelConvertErr(b *model.Bundle, conv *datasets.PartConverter) error {
	if conv == nil {
		return nil
	}
	if err := conv.Err(); err != nil {
		return fmt.Errorf("score with the model: it learned in %s: %w", b.Options.FX.To, err)
	}
	return nil
}

// addModelRisk is ModelRisk over l, a part of a ledger holding whole
// customers (see Parts), whose risks it adds to out: a customer's risk
// depends on its own invoices only, so the parts' risks are the whole's.
func addModelRisk(ctx context.Context, l *datasets.Ledger, whole features.LedgerFacts, b *model.Bundle, conv *datasets.PartConverter, asOf datasets.Date, out map[string]CustomerRisk) error {
	if conv != nil {
		c, ok, err := conv.Convert(l)
		if err != nil {
			return fmt.Errorf("score with the model: it learned in %s: %w", b.Options.FX.To, err)
		}
		if !ok {
			return nil // missing rates: modelConvertErr reports every part's
		}
		l = c
	}
	tab := features.NewEngine(features.NewPartIndex(l, whole), b.Options.Features).OpenInvoices(asOf)
	sc, err := model.NewScorer(b, tab.Specs)
	if err != nil {
		return fmt.Errorf("score with the model: %w", err)
	}
	preds := make([]model.Prediction, len(tab.Rows))
	if err := sc.ScoreBatch(tab.Rows, 0, preds); err != nil {
		return fmt.Errorf("score with the model: %w", err)
	}
	amount := map[string]datasets.Money{}
	for i := range l.Invoices {
		amount[l.Invoices[i].ID] = l.Invoices[i].Amount
	}
	type acc struct{ w, late, d90 float64 }
	sums := map[string]*acc{}
	for i, p := range preds {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		id := tab.Rows[i].CustomerID
		a := sums[id]
		if a == nil {
			a = &acc{}
			sums[id] = a
		}
		w := math.Max(1, amount[tab.Rows[i].InvoiceID].Float())
		a.w += w
		a.late += w * p.PLate
		if p.PDefault90 != nil {
			a.d90 += w * defaultForecast(&p)
		}
	}
	for id, a := range sums {
		out[id] = CustomerRisk{PLate: a.late / a.w, PDefault90: a.d90 / a.w}
	}
	return nil
}

// default90Days is the days past due from which an open invoice has ended
// 90+ days overdue whatever happens next (the model's label).
const default90Days = 90

// defaultForecast is an open invoice's share in its customer's probability
// of default: its probability of ending 90+ days overdue, except for an
// invoice already open 90 days past due. For that one the model says 1,
// which is no forecast but the label's definition met: taken as the
// customer's PD it made a prompt payer with one stray invoice at 92 days
// (40 paid on time, one that was to be paid at day 95) a PD of 1, its
// only open invoice, or 0.75 and more beside a few small ones, and a
// default hazard of 7.7% a day. What is still uncertain is whether it
// will be paid at all: the model's chance that it is still unpaid at the
// end of its horizon (13 weeks on, from the overdue survival: 0.07 for
// that invoice in TestModelRiskOfAPromptPayerWithOneStrayInvoice). That
// survival reads the days overdue, not the customer: a customer unpaid
// for seven months gets 0.20 from the ages of its invoices (was 1), the
// same 0.07 as the prompt payer for its youngest one.
func defaultForecast(p *model.Prediction) float64 {
	d := *p.PDefault90
	if int(p.AsOf-p.DueDate) >= default90Days && len(p.PaidBy) > 0 {
		d = 1 - p.PaidBy[len(p.PaidBy)-1]
	}
	return min(1, max(0, d))
}

// ModelCutoff is the last day bundle b learnt from (its training cut-off,
// model.BundleOptions.AsOf); zero for a bundle that does not say.
func ModelCutoff(b *model.Bundle) (datasets.Date, error) {
	if b == nil || b.Options.AsOf == "" {
		return 0, nil
	}
	d, err := datasets.ParseDate(b.Options.AsOf)
	if err != nil {
		return 0, fmt.Errorf("%w: the model's training cut-off %q: %w", ErrInput, b.Options.AsOf, err)
	}
	return d, nil
}

// ModelCutoffError refuses to score with a model what was known by a day
// before its training cut-off: the model learnt how the ledger went on
// after that day (which invoices ended late or written off), so its
// scores would say what was not known then, a point-in-time leak. It
// wraps ErrInput: the day or the model asked for is the fault.
type ModelCutoffError struct {
	// Known is the last day the answer may know of; Cutoff the model's.
	Known, Cutoff datasets.Date
}

func (e *ModelCutoffError) Error() string {
	return fmt.Sprintf("the model was trained on what was known by %s (its training cut-off), after %s, the last day this answer may know of: "+
		"it has seen what happened in between", e.Cutoff, e.Known)
}

func (e *ModelCutoffError) Unwrap() error { return ErrInput }

// CheckModelKnownBy is nil when b may score what was known by the end of
// day known (its cut-off is on or before it), else a *ModelCutoffError.
// It is the one check of the commands and services that score with a
// model bundle as of a day (recommend, the credit limits).
func CheckModelKnownBy(b *model.Bundle, known datasets.Date) error {
	cut, err := ModelCutoff(b)
	if err != nil {
		return err
	}
	if cut != 0 && known < cut {
		return &ModelCutoffError{Known: known, Cutoff: cut}
	}
	return nil
}
