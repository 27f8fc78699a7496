package api

import (
	"fmt"
	"maps"
	"slices"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
	"github.com/dsopilot/dsopilot/model"
)

// This file is the one place the API calls the model and feature
// packages to score: if their interfaces change, only it changes.

// Models is what the API needs of the model registry; model.Registry
// implements it.
type Models interface {
	List() ([]model.Meta, string, error)
	Load(id string) (*model.Bundle, model.Meta, error)
	Promote(id string) error
	Promoted() (string, error)
}

var _ Models = model.Registry{}

// Reason is one factor behind a score, in words with the customer's own
// numbers.
type Reason struct {
	Feature      string  `json:"feature"`
	Contribution float64 `json:"contribution"`
	Text         string  `json:"text"`
}

// Score is what the model says about one invoice as of a date.
type Score struct {
	InvoiceID  string        `json:"invoice_id"`
	CustomerID string        `json:"customer_id"`
	AsOf       datasets.Date `json:"as_of"`
	DueDate    datasets.Date `json:"due_date"`
	// PLate is the calibrated probability of payment after the due date
	// plus the model's grace days; POnTime + PLate1To30 + PVeryLate = 1.
	PLate      float64 `json:"p_late"`
	POnTime    float64 `json:"p_on_time"`
	PLate1To30 float64 `json:"p_late_1_30"`
	PVeryLate  float64 `json:"p_very_late"`
	// P90Plus is the probability of ending 90+ days overdue or written off;
	// null when the model has none.
	P90Plus *float64 `json:"p_90_plus"`
	// PaidByWeek[k] is the probability of payment by the end of week k+1.
	PaidByWeek []float64 `json:"paid_by_week"`
	// Pay dates: median, P10 and P90; null when beyond the 13-week
	// horizon.
	PayDate           NullDate `json:"pay_date" doc:"the median pay date; null when beyond the 13-week horizon"`
	PayDateP10        NullDate `json:"pay_date_p10" doc:"the pay date's 10th percentile; null when beyond the 13-week horizon"`
	PayDateP90        NullDate `json:"pay_date_p90" doc:"the pay date's 90th percentile; null when beyond the 13-week horizon"`
	PredictedDaysLate float64  `json:"predicted_days_late"`
	KnownLate         bool     `json:"known_late"`
	// Late is the model's call: p_late at or above its late threshold,
	// chosen in training (models show prints it).
	Late      bool `json:"late" doc:"the model's late call: p_late at or above the bundle's late threshold (chosen on the training folds; 0.5 unless another beat it clearly)"`
	ColdStart bool `json:"cold_start"`
	// Reasons are at most ?reasons= long: first the statements that
	// qualify the score (known_late, cold_start, beyond_horizon; also in
	// the fields above), then the model's factors, largest first.
	Reasons []Reason `json:"reasons" doc:"at most ?reasons= entries: first the statements that qualify the score (feature known_late, cold_start or beyond_horizon, contribution 0; known_late and cold_start are also the fields of those names, beyond_horizon a null pay_date), then the model's factors with the largest net contributions, largest first"`
}

// withReasons returns s with its first n reasons: n bounds the list, the
// leading statements included (they were on top of n, so ?reasons=1
// could answer three).
func (s *Score) withReasons(n int) Score {
	out := *s
	out.Reasons = s.Reasons[:min(len(s.Reasons), max(n, 0))]
	return out
}

func scoreOf(p *model.Prediction) Score {
	s := Score{InvoiceID: p.InvoiceID, CustomerID: p.CustomerID, AsOf: p.AsOf, DueDate: p.DueDate, PLate: p.PLate,
		POnTime: p.POnTime, PLate1To30: p.PLate1To30, PVeryLate: p.PVeryLate, P90Plus: p.PDefault90, PaidByWeek: p.PaidBy,
		PayDate: NullDate(p.PayDate), PayDateP10: NullDate(p.PayDateP10), PayDateP90: NullDate(p.PayDateP90), PredictedDaysLate: p.PredictedDaysLate,
		KnownLate: p.KnownLate, Late: p.Late, ColdStart: p.ColdStart, Reasons: make([]Reason, len(p.Reasons))}
	for i, r := range p.Reasons {
		s.Reasons[i] = Reason{Feature: r.Feature, Contribution: r.Contribution, Text: r.Text}
	}
	return s
}

// servedModel is a loaded model ready to score.
type servedModel struct {
	meta   model.Meta
	bundle *model.Bundle
	scorer *model.Scorer
}

// loadModel loads model id ("" for the promoted one) from reg.
func loadModel(reg Models, id string) (*servedModel, error) {
	b, meta, err := reg.Load(id)
	if err != nil {
		return nil, err
	}
	sc, err := model.NewScorer(b, features.InvoiceSpecs(b.Options.Features))
	if err != nil {
		return nil, fmt.Errorf("model %s: %w", meta.ID, err)
	}
	return &servedModel{meta: meta, bundle: b, scorer: sc}, nil
}

// convert puts l in the currency the model learned in, at its rates (as
// dsopilot score does); l itself when it learned from amounts as recorded.
func (m *servedModel) convert(l *datasets.Ledger) (*datasets.Ledger, error) {
	fx := m.bundle.Options.FX
	if fx == nil {
		return l, nil
	}
	rates := maps.Clone(fx.Rates)
	if rates == nil {
		rates = map[string]datasets.Rate{}
	}
	conv, err := l.Convert(datasets.FX{To: fx.To, Rates: rates})
	if err != nil {
		return nil, fmt.Errorf("model %s learned in %s: %w", m.meta.ID, fx.To, err)
	}
	return conv, nil
}

// fx returns the model's conversion, nil when it has none.
func (m *servedModel) fx() *datasets.FX { return m.bundle.Options.FX }

// scoreOpen scores the invoices open at the end of t in ix (of the given
// customers only, or all; of those, the invoices keep accepts when it is
// not nil), with up to reasons factors each.
func (m *servedModel) scoreOpen(ix *features.Index, t datasets.Date, reasons int, keep func(invoiceID string) bool, customers ...string) ([]Score, error) {
	tab := features.NewEngine(ix, m.bundle.Options.Features).OpenInvoices(t, customers...)
	if keep != nil {
		tab.Rows = slices.DeleteFunc(tab.Rows, func(r features.Row) bool { return !keep(r.InvoiceID) })
	}
	preds := make([]model.Prediction, len(tab.Rows))
	// The scorer states the leading reasons (known late, cold start, pay
	// dates beyond the horizon) only with at least one factor; withReasons
	// then cuts the list to reasons.
	if err := m.scorer.WithEvidence(ix).ScoreBatch(tab.Rows, max(reasons, 1), preds); err != nil {
		return nil, fmt.Errorf("score: %w", err)
	}
	out := make([]Score, len(preds))
	for i := range preds {
		s := scoreOf(&preds[i])
		out[i] = s.withReasons(reasons)
	}
	return out, nil
}

// customerFeatures returns the customer's features as of t, by name
// (null for a value that is missing, and with nullMoney for every amount:
// they would add up several currencies).
func customerFeatures(ix *features.Index, o features.Options, t datasets.Date, id string, nullMoney bool) map[string]any {
	tab := features.NewEngine(ix, o).Customers(t, id)
	if len(tab.Rows) == 0 {
		return nil
	}
	r := &tab.Rows[0]
	out := make(map[string]any, len(tab.Specs))
	ni, ci := 0, 0
	for _, sp := range tab.Specs {
		if sp.Kind == features.Numeric {
			v := r.Num[ni]
			ni++
			if v != v || nullMoney && sp.Unit == features.Money { // NaN: missing
				out[sp.Name] = nil
			} else {
				out[sp.Name] = v
			}
			continue
		}
		out[sp.Name] = r.Cat[ci]
		ci++
	}
	return out
}
