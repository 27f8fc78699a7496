package model

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
)

// Prediction is what dsopilot says about one open invoice as of a date.
// Dates are YYYY-MM-DD in JSON, empty when unset.
type Prediction struct {
	CustomerID string        `json:"customer_id"`
	InvoiceID  string        `json:"invoice_id"`
	AsOf       datasets.Date `json:"as_of"`
	DueDate    datasets.Date `json:"due_date"`
	// PLate is the calibrated probability of payment after due date + grace.
	PLate      float64 `json:"p_late"`
	POnTime    float64 `json:"p_on_time"`
	PLate1To30 float64 `json:"p_late_1_30"`
	PVeryLate  float64 `json:"p_very_late"`
	// PDefault90 is the probability of ending 90+ days overdue or written
	// off; nil when the bundle has no such model.
	PDefault90 *float64 `json:"p_90_plus"`
	// PaidBy[k] is the probability of payment by the end of week k+1.
	PaidBy []float64 `json:"paid_by_week"`
	// Pay dates: median, P10 and P90; unset when beyond the 13-week horizon.
	PayDate    datasets.Date `json:"pay_date"`
	PayDateP10 datasets.Date `json:"pay_date_p10"`
	PayDateP90 datasets.Date `json:"pay_date_p90"`
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

// ErrBadRow means a feature row does not have the shape the model was
// trained on.
var ErrBadRow = errors.New("feature row does not fit the model")

// Evidence looks up the ledger facts that reason sentences quote, as known
// at the as-of date. *features.Index implements it.
type Evidence interface {
	OpenDisputes(customerID, invoiceID string, t datasets.Date) []datasets.Dispute
}

var _ Evidence = (*features.Index)(nil)

// Scorer scores invoice feature rows with a bundle. It is safe for
// concurrent use.
type Scorer struct {
	b        *Bundle
	cols     []string
	evidence Evidence
	// colFeature[j] is the feature (index into featNames) encoded column j
	// comes from; reasons are summed per feature.
	colFeature []int
	featNames  []string
	numPos     map[string]int // numeric feature → position in Row.Num
	catPos     map[string]int // categorical feature → position in Row.Cat
	width      int            // encoded columns of the classifiers
	payWidth   int            // encoded columns of the pay-date hazard
	periods    int            // weeks of the pay-date curve
	nNum, nCat int            // feature row shape
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
	for _, c := range []*Classifier{b.VeryLate, b.Default90} {
		if c != nil && c.Family != b.Late.Family {
			return nil, fmt.Errorf("model bundle mixes %s and %s classifiers", b.Late.Family, c.Family)
		}
	}
	s := &Scorer{b: b, daysToDue: -1, settledLong: -1, segment: -1,
		numPos: map[string]int{}, catPos: map[string]int{}}
	s.cols = b.Encoder.columns(b.Late.Family)
	s.width = len(s.cols)
	s.payWidth = len(b.PayDateEnc.LinearColumns())
	s.periods = b.PayDate.Periods
	if len(b.PayDate.Coef) != s.payWidth || len(b.PayDate.Alpha) != s.periods || s.periods < 1 {
		return nil, fmt.Errorf("pay-date model reads %d columns over %d weeks, its encoder gives %d columns", len(b.PayDate.Coef), len(b.PayDate.Alpha), s.payWidth)
	}
	for name, c := range map[string]*Classifier{"late": b.Late, "very-late": b.VeryLate, "90+": b.Default90} {
		if c != nil {
			if w := c.width(); w != s.width {
				return nil, fmt.Errorf("%s model reads %d columns, the encoder gives %d", name, w, s.width)
			}
		}
	}
	w := b.Options.Features.WithDefaults().Windows
	s.longest = w[0]
	for _, x := range w {
		s.longest = max(s.longest, x)
	}
	ni, ci := 0, 0
	for _, sp := range specs {
		if sp.Kind == features.Numeric {
			s.numPos[sp.Name] = ni
			ni++
		} else {
			s.catPos[sp.Name] = ci
			ci++
		}
	}
	var ok bool
	if s.daysToDue, ok = s.numPos["inv_days_to_due"]; !ok {
		return nil, fmt.Errorf("feature specs lack inv_days_to_due: not invoice features")
	}
	if i, ok := s.numPos[fmt.Sprintf("invoices_settled_%dd", s.longest)]; ok {
		s.settledLong = i
	}
	if i, ok := s.catPos["inv_segment"]; ok {
		s.segment = i
	}
	s.nNum, s.nCat = ni, ci
	if len(b.Encoder.Numeric) != ni || len(b.Encoder.Categorical) != ci {
		return nil, fmt.Errorf("model expects %d numeric and %d categorical features, rows have %d and %d: score with the feature options the model was trained with",
			len(b.Encoder.Numeric), len(b.Encoder.Categorical), ni, ci)
	}
	s.colFeature, s.featNames = featuresOf(s.cols)
	return s, nil
}

// featuresOf maps encoded columns to the features they come from:
// colFeature[j] indexes names, the features in order of first column.
// Contributions are summed per feature with it.
func featuresOf(cols []string) (colFeature []int, names []string) {
	byName := map[string]int{}
	colFeature = make([]int, len(cols))
	for j, c := range cols {
		f := sourceFeature(c)
		k, ok := byName[f]
		if !ok {
			k = len(names)
			byName[f] = k
			names = append(names, f)
		}
		colFeature[j] = k
	}
	return colFeature, names
}

// WithEvidence lets reason sentences quote ledger facts (dispute dates);
// e may be nil.
func (s *Scorer) WithEvidence(e Evidence) *Scorer {
	c := *s
	c.evidence = e
	return &c
}

// scoreBlock is the number of rows encoded and scored together: enough for
// each tree to meet many rows while it is in cache, few enough that the
// encoded block stays in L2.
const scoreBlock = 64

// scratch holds one worker's buffers.
type scratch struct {
	x, payX               []float64
	late, veryLate, def90 []float64
	contrib, byFeature    []float64
}

// newScratch sizes buffers for blocks of up to rows rows.
func (s *Scorer) newScratch(rows int) *scratch {
	return &scratch{
		x:    make([]float64, rows*s.width),
		payX: make([]float64, s.payWidth),
		late: make([]float64, rows), veryLate: make([]float64, rows), def90: make([]float64, rows),
		contrib:   make([]float64, s.width),
		byFeature: make([]float64, len(s.featNames)),
	}
}

// Score predicts one invoice row. reasons is how many factors to explain
// (0 for none, which is faster). Use ScoreBatch for many rows.
func (s *Scorer) Score(r *features.Row, reasons int) (Prediction, error) {
	var p [1]Prediction
	if err := s.check(r); err != nil {
		return p[0], err
	}
	s.scoreRows(s.newScratch(1), []features.Row{*r}, reasons, p[:])
	return p[0], nil
}

// check reports a row whose shape is not the model's.
func (s *Scorer) check(r *features.Row) error {
	if len(r.Num) != s.nNum || len(r.Cat) != s.nCat {
		return fmt.Errorf("%w: invoice %s has %d numeric and %d categorical features, the model %d and %d",
			ErrBadRow, r.InvoiceID, len(r.Num), len(r.Cat), s.nNum, s.nCat)
	}
	return nil
}

// ScoreBatch predicts every row into out (len(out) must equal len(rows)),
// in blocks spread over GOMAXPROCS goroutines. It checks every row first
// and scores none if one does not fit the model.
func (s *Scorer) ScoreBatch(rows []features.Row, reasons int, out []Prediction) error {
	if len(out) != len(rows) {
		return fmt.Errorf("%w: %d outputs for %d rows", ErrBadRow, len(out), len(rows))
	}
	for i := range rows {
		if err := s.check(&rows[i]); err != nil {
			return fmt.Errorf("row %d: %w", i, err)
		}
	}
	blocks := (len(rows) + scoreBlock - 1) / scoreBlock
	workers := min(runtime.GOMAXPROCS(0), blocks)
	if workers <= 1 {
		sc := s.newScratch(scoreBlock)
		for lo := 0; lo < len(rows); lo += scoreBlock {
			hi := min(len(rows), lo+scoreBlock)
			s.scoreRows(sc, rows[lo:hi], reasons, out[lo:hi])
		}
		return nil
	}
	var wg sync.WaitGroup
	next := make(chan int, blocks)
	for b := range blocks {
		next <- b
	}
	close(next)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sc := s.newScratch(scoreBlock)
			for b := range next {
				lo, hi := b*scoreBlock, min(len(rows), (b+1)*scoreBlock)
				s.scoreRows(sc, rows[lo:hi], reasons, out[lo:hi])
			}
		}()
	}
	wg.Wait()
	return nil
}

// scoreRows scores at most scoreBlock rows that passed check.
func (s *Scorer) scoreRows(sc *scratch, rows []features.Row, reasons int, out []Prediction) {
	b := s.b
	n := len(rows)
	w := s.width
	for i := range rows {
		if got := b.Encoder.encode(b.Late.Family, sc.x[i*w:i*w:(i+1)*w], &rows[i]); len(got) != w {
			panic(fmt.Sprintf("model: encoded %d columns, want %d", len(got), w)) // check makes this unreachable
		}
	}
	x := sc.x[:n*w]
	b.Late.Margins(x, w, sc.late[:n])
	b.VeryLate.Margins(x, w, sc.veryLate[:n])
	if b.Default90 != nil {
		b.Default90.Margins(x, w, sc.def90[:n])
	}
	// One allocation per block for the slices every prediction keeps.
	paidBy := make([]float64, n*s.periods)
	var d90 []float64
	if b.Default90 != nil {
		d90 = make([]float64, n)
	}
	for i := range rows {
		r := &rows[i]
		p := &out[i]
		due := r.AsOf.AddDays(int(r.Num[s.daysToDue]))
		*p = Prediction{CustomerID: r.CustomerID, InvoiceID: r.InvoiceID, AsOf: r.AsOf, DueDate: due}
		p.PLate = b.Late.Calibrate(sc.late[i])
		p.PVeryLate = math.Min(b.VeryLate.Calibrate(sc.veryLate[i]), p.PLate)
		overdue := int(r.AsOf - due)
		if overdue > b.Options.GraceDays {
			p.KnownLate, p.PLate = true, 1
		}
		if overdue > b.Options.VeryLateDays {
			p.PVeryLate = 1
		}
		if d90 != nil {
			v := b.Default90.Calibrate(sc.def90[i])
			if overdue > 90 {
				v = 1
			}
			d90[i] = v
			p.PDefault90 = &d90[i]
		}
		p.POnTime = 1 - p.PLate
		p.PLate1To30 = math.Max(0, p.PLate-p.PVeryLate)
		p.PaidBy = paidBy[i*s.periods : (i+1)*s.periods : (i+1)*s.periods]
		s.payDate(sc, p, r, due)
		if s.settledLong >= 0 && r.Num[s.settledLong] == 0 {
			p.ColdStart = true
		}
		if reasons > 0 {
			s.reasons(sc, p, r, x[i*w:(i+1)*w], reasons)
		}
	}
}

// payDate fills the weekly payment curve and the P10/median/P90 dates.
func (s *Scorer) payDate(sc *scratch, p *Prediction, r *features.Row, due datasets.Date) {
	x := s.b.PayDateEnc.EncodeLinear(sc.payX[:0], r)
	s.b.PayDate.PaidByInto(x, p.PaidBy)
	at := func(q float64) datasets.Date {
		for k, v := range p.PaidBy {
			if v >= q {
				// Middle of week k+1 counted from the as-of date.
				return r.AsOf.AddDays(7*k + 3)
			}
		}
		return 0
	}
	p.PayDateP10 = at(0.1)
	p.PayDateP90 = at(0.9)
	p.PayDate = at(0.5)
	d := p.PayDate
	if d == 0 {
		d = r.AsOf.AddDays(7 * len(p.PaidBy))
	}
	p.PredictedDaysLate = math.Max(0, float64(d-due))
}

// reasons explains p's late-payment score by its largest factors.
func (s *Scorer) reasons(sc *scratch, p *Prediction, r *features.Row, x []float64, n int) {
	s.b.Late.Contributions(x, sc.contrib)
	clear(sc.byFeature)
	for j, c := range sc.contrib {
		sc.byFeature[s.colFeature[j]] += c
	}
	top := s.topFeatures(sc.byFeature, n)
	fv := featureValues{s: s, r: r}
	p.Reasons = make([]Reason, 0, len(top)+2)
	if p.KnownLate {
		// Past due + grace, the invoice is late by definition: say so first,
		// since the factors below only explain what the model would have
		// said before.
		p.Reasons = append(p.Reasons, Reason{Feature: "known_late", Text: fmt.Sprintf(
			"already %d days past its due date of %s: late whatever happens next", int(p.AsOf-p.DueDate), longDate(p.DueDate))})
	}
	if p.ColdStart && s.segment >= 0 {
		seg := r.Cat[s.segment]
		p.Reasons = append(p.Reasons, Reason{Feature: "cold_start", Text: fmt.Sprintf(
			"no settled invoice in the last %d days: the score rests on segment behaviour (%s customers paid %.0f%% of invoices late in training) and the invoice itself",
			s.longest, seg, 100*s.b.SegmentLate[seg])})
	}
	for _, k := range top {
		f, c := s.featNames[k], sc.byFeature[k]
		p.Reasons = append(p.Reasons, Reason{Feature: f, Contribution: c, Text: sentence(f, c, fv)})
	}
}

// topFeatures returns the indices of the n largest non-zero contributions
// by absolute size (ties by feature name), largest first.
func (s *Scorer) topFeatures(by []float64, n int) []int {
	top := make([]int, 0, n+1)
	better := func(a, b int) bool {
		if x, y := math.Abs(by[a]), math.Abs(by[b]); x != y {
			return x > y
		}
		return s.featNames[a] < s.featNames[b]
	}
	for k, c := range by {
		if c == 0 {
			continue
		}
		if len(top) == n && !better(k, top[n-1]) {
			continue
		}
		// Insert in order; n is small.
		i := len(top)
		if i == n {
			i--
		} else {
			top = append(top, 0)
		}
		for i > 0 && better(k, top[i-1]) {
			top[i] = top[i-1]
			i--
		}
		top[i] = k
	}
	return top
}
