package model

import (
	"fmt"
	"math"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
)

// Prediction is what dsopilot says about one open invoice as of a date.
type Prediction struct {
	CustomerID string `json:"customer_id"`
	InvoiceID  string `json:"invoice_id"`
	AsOf       string `json:"as_of"`
	DueDate    string `json:"due_date"`
	// PLate is the calibrated probability of payment after due date + grace.
	PLate      float64 `json:"p_late"`
	POnTime    float64 `json:"p_on_time"`
	PLate1To30 float64 `json:"p_late_1_30"`
	PVeryLate  float64 `json:"p_very_late"`
	// PDefault90 is the probability of ending 90+ days overdue or written off.
	PDefault90 *float64 `json:"p_90_plus"`
	// PaidBy[k] is the probability of payment by the end of week k+1.
	PaidBy []float64 `json:"paid_by_week"`
	// Pay dates: median, P10 and P90; empty when beyond the 13-week horizon.
	PayDate    string `json:"pay_date"`
	PayDateP10 string `json:"pay_date_p10"`
	PayDateP90 string `json:"pay_date_p90"`
	// PredictedDaysLate is max(0, median pay date − due date); the horizon
	// end when the median lies beyond it.
	PredictedDaysLate float64 `json:"predicted_days_late"`
	// KnownLate: already past due + grace at the as-of date.
	KnownLate bool `json:"known_late"`
	// ColdStart: the customer has no settled invoice in the history window,
	// so the score rests on segment, country and invoice behaviour.
	ColdStart bool     `json:"cold_start"`
	Reasons   []Reason `json:"reasons"`
}

// Scorer scores invoice feature rows with a bundle.
type Scorer struct {
	b     *Bundle
	specs []features.Spec
	cols  []string
	// feature positions used at scoring time
	daysToDue, settledLong, segment int
	longest                         int
}

// NewScorer prepares b to score rows described by specs (the bundle's
// invoice feature specs).
func NewScorer(b *Bundle, specs []features.Spec) (*Scorer, error) {
	for _, c := range []*Classifier{b.Late, b.VeryLate, b.Default90} {
		if c != nil {
			if err := c.load(); err != nil {
				return nil, err
			}
		}
	}
	if b.Late == nil || b.VeryLate == nil || b.PayDate == nil {
		return nil, fmt.Errorf("model bundle is incomplete")
	}
	s := &Scorer{b: b, specs: specs, daysToDue: -1, settledLong: -1, segment: -1}
	if b.Late.Family == FamilyGBDT {
		s.cols = b.Encoder.TreeColumns()
	} else {
		s.cols = b.Encoder.LinearColumns()
	}
	w := b.Options.Features.WithDefaults().Windows
	s.longest = w[0]
	for _, x := range w {
		s.longest = max(s.longest, x)
	}
	ni, ci := 0, 0
	for _, sp := range specs {
		if sp.Kind == features.Numeric {
			switch sp.Name {
			case "inv_days_to_due":
				s.daysToDue = ni
			case fmt.Sprintf("invoices_settled_%dd", s.longest):
				s.settledLong = ni
			}
			ni++
		} else {
			if sp.Name == "inv_segment" {
				s.segment = ci
			}
			ci++
		}
	}
	if s.daysToDue < 0 {
		return nil, fmt.Errorf("feature specs lack inv_days_to_due: not invoice features")
	}
	return s, nil
}

// Score predicts one invoice row. reasons is how many factors to explain
// (0 for none, which is faster).
func (s *Scorer) Score(r *features.Row, reasons int) Prediction {
	b := s.b
	enc := b.Encoder
	var x []float64
	if b.Late.Family == FamilyGBDT {
		x = enc.EncodeTree(make([]float64, 0, len(s.cols)), r)
	} else {
		x = enc.EncodeLinear(make([]float64, 0, len(s.cols)), r)
	}
	due := r.AsOf.AddDays(int(r.Num[s.daysToDue]))
	p := Prediction{CustomerID: r.CustomerID, InvoiceID: r.InvoiceID, AsOf: r.AsOf.String(), DueDate: due.String()}
	p.PLate = b.Late.Prob(x)
	p.PVeryLate = math.Min(b.VeryLate.Prob(x), p.PLate)
	overdue := int(r.AsOf - due)
	if overdue > b.Options.GraceDays {
		p.KnownLate, p.PLate = true, 1
	}
	if overdue > b.Options.VeryLateDays {
		p.PVeryLate = 1
	}
	if b.Default90 != nil {
		v := b.Default90.Prob(x)
		if overdue > 90 {
			v = 1
		}
		p.PDefault90 = &v
	}
	p.POnTime = 1 - p.PLate
	p.PLate1To30 = math.Max(0, p.PLate-p.PVeryLate)
	s.payDate(&p, r, due)
	if s.settledLong >= 0 && r.Num[s.settledLong] == 0 {
		p.ColdStart = true
	}
	if reasons > 0 {
		contrib := make([]float64, len(x))
		b.Late.Contributions(x, contrib)
		p.Reasons = topReasons(s.cols, contrib, s.specs, r, reasons)
		if p.ColdStart && s.segment >= 0 {
			seg := r.Cat[s.segment]
			p.Reasons = append([]Reason{{Feature: "cold_start", Text: fmt.Sprintf(
				"no settled invoice in the last %d days: the score rests on segment behaviour (%s customers paid %.0f%% of invoices late in training) and the invoice itself",
				s.longest, seg, 100*b.SegmentLate[seg])}}, p.Reasons...)
		}
	}
	return p
}

// payDate fills the weekly payment curve and the P10/median/P90 dates.
func (s *Scorer) payDate(p *Prediction, r *features.Row, due datasets.Date) {
	x := s.b.PayDateEnc.EncodeLinear(nil, r)
	surv := s.b.PayDate.Survival(x)
	p.PaidBy = make([]float64, len(surv))
	for k, v := range surv {
		p.PaidBy[k] = 1 - v
	}
	at := func(q float64) (datasets.Date, bool) {
		for k, v := range p.PaidBy {
			if v >= q {
				// Middle of week k+1 counted from the as-of date.
				return r.AsOf.AddDays(7*k + 3), true
			}
		}
		return 0, false
	}
	if d, ok := at(0.1); ok {
		p.PayDateP10 = d.String()
	}
	if d, ok := at(0.9); ok {
		p.PayDateP90 = d.String()
	}
	d, ok := at(0.5)
	if ok {
		p.PayDate = d.String()
	} else {
		d = r.AsOf.AddDays(7 * len(p.PaidBy))
	}
	p.PredictedDaysLate = math.Max(0, float64(d-due))
}
