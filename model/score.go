package model

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
	"github.com/dsopilot/dsopilot/model/peers"
)

// Prediction is what dsopilot says about one open invoice as of a date.
// Dates are YYYY-MM-DD in JSON, empty when unset.
type Prediction struct {
	CustomerID string        `json:"customer_id"`
	InvoiceID  string        `json:"invoice_id"`
	AsOf       datasets.Date `json:"as_of"`
	DueDate    datasets.Date `json:"due_date"`
	// Currency, Amount and Outstanding are the invoice's amount and what
	// is still owed on it at AsOf, in the currency the model scored in (its
	// training currency, else the invoice's own): what a treasurer weighs
	// the probabilities by. The commands that read the ledger set them; a
	// Scorer scores feature rows only and leaves them out.
	Currency    string            `json:"currency,omitempty"`
	Amount      features.KPIMoney `json:"amount,omitempty"`
	Outstanding features.KPIMoney `json:"outstanding,omitempty"`
	// InvoiceCurrency, InvoiceAmount and InvoiceOutstanding are the same
	// in the invoice's own currency, set only when it is not Currency: a
	// collector quotes the customer's 11,591.92 GBP, not the model's
	// 13,330.71 EUR.
	InvoiceCurrency    string            `json:"invoice_currency,omitempty"`
	InvoiceAmount      features.KPIMoney `json:"invoice_amount,omitempty"`
	InvoiceOutstanding features.KPIMoney `json:"invoice_outstanding,omitempty"`
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
	// Late is the model's call: PLate at or above the bundle's threshold
	// (chosen in training, see threshold.go; always so when KnownLate).
	Late bool `json:"late"`
	// ColdStart: the customer has no settled invoice in the history window,
	// so the score rests on segment, country and invoice behaviour.
	ColdStart bool     `json:"cold_start"`
	Reasons   []Reason `json:"reasons"`
}

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
	evidence Evidence
	// colFeature[j] is the feature (index into feats) encoded column j comes
	// from; reasons are summed per feature.
	colFeature []int
	feats      []features.Spec
	// groupOf[k] is the reason group (index into groups) of feature k:
	// features one sentence describes are explained together.
	groupOf    []int
	groups     []string
	at         map[specKey]int // a feature's position in Row.Num or Row.Cat
	width      int             // encoded columns of the classifiers
	payWidth   int             // encoded columns of the pay-date hazard
	periods    int             // weeks of the pay-date curve
	nNum, nCat int             // feature row shape
	// feature positions used at scoring time
	daysToDue, settledLong, segment int
	// past90 is the position of invoices_past_90 when the bundle has a
	// 90+ share by the customer's 90+ history.
	past90  int
	longest int
	// With a cold-start prior, rows are extended by it (after the catalogue's
	// features) before encoding; peersAt gives the peers known at a date.
	peerOn  bool
	rr      rowReader
	peersAt func(datasets.Date) *peers.Set
	// The overdue survival's use (paydate_overdue.go): the model curve's
	// weight where its tail is too thin, and from how many days overdue.
	overdueW    float64
	overdueFrom int
	// scaleAt is the position of the scaled overdue survival's feature
	// among the numeric values; −1 without one.
	scaleAt int
	// after90[d] is the overdue survival's share of debts open 90 days
	// past due settled within d more days, d = 0 .. 7·periods; nil without
	// a survival or when none was open that long (paydate.go).
	after90 []float64
}

// specKey names a feature by its base and window.
type specKey struct {
	base   string
	window int
}

// NewScorer prepares b to score rows described by specs (the bundle's
// invoice feature specs). It refuses a bundle whose parts do not fit each
// other or the specs, as a damaged registry entry would have them, rather
// than failing while scoring.
func NewScorer(b *Bundle, specs []features.Spec) (*Scorer, error) {
	if b.Late == nil || b.VeryLate == nil || b.PayDate == nil || b.Encoder == nil || b.PayDateEnc == nil {
		return nil, fmt.Errorf("%w: a model, the pay-date model or an encoder is missing", ErrBadBundle)
	}
	for _, c := range []*Classifier{b.Late, b.VeryLate, b.Default90} {
		if c != nil {
			if err := c.load(); err != nil {
				return nil, fmt.Errorf("%w: %w", ErrBadBundle, err)
			}
		}
	}
	if b.Late.Family == FamilyPrior {
		return nil, fmt.Errorf("%w: the late-payment model is a prior", ErrBadBundle)
	}
	for _, c := range []*Classifier{b.VeryLate, b.Default90} {
		if c != nil && c.Family != b.Late.Family && c.Family != FamilyPrior {
			return nil, fmt.Errorf("%w: it mixes %s and %s classifiers", ErrBadBundle, b.Late.Family, c.Family)
		}
	}
	if r := b.Default90OfVeryLate; r != nil && (b.Default90 == nil || !(*r >= 0 && *r <= 1)) {
		return nil, fmt.Errorf("%w: the 90+ share of the very-late probability is %v (want 0 to 1, beside a 90+ prior)", ErrBadBundle, *r)
	}
	if r := b.Default90OfVeryLatePast90; r != nil && (b.Default90OfVeryLate == nil || !(*r >= 0 && *r <= 1)) {
		return nil, fmt.Errorf("%w: the 90+ share of the very-late probability after a 90+ invoice is %v (want 0 to 1, beside the others' share)", ErrBadBundle, *r)
	}
	if c := b.Default90Customer; c != nil {
		if b.Default90OfVeryLate == nil {
			return nil, fmt.Errorf("%w: a per-customer 90+ share without the ledger's", ErrBadBundle)
		}
		if err := c.prepare(specs); err != nil {
			return nil, err
		}
	}
	if st := b.Default90Stopped; st != nil {
		if b.Default90 == nil {
			return nil, fmt.Errorf("%w: a stopped-paying 90+ share without a 90+ model", ErrBadBundle)
		}
		if err := st.prepare(specs); err != nil {
			return nil, err
		}
	}
	if t := b.LateThreshold; !(t >= 0 && t < 1) {
		return nil, fmt.Errorf("%w: the late threshold is %v (want 0 to 1)", ErrBadBundle, t)
	}
	if b.OverdueSurvival != nil {
		if err := b.OverdueSurvival.check(); err != nil {
			return nil, err
		}
	}
	if b.OverdueScaled != nil {
		if err := b.OverdueScaled.check(); err != nil {
			return nil, err
		}
	}
	s := &Scorer{b: b, daysToDue: -1, settledLong: -1, segment: -1, at: map[specKey]int{}, longest: b.Options.Features.Longest(),
		overdueW: overdueBlend, overdueFrom: overdueFromDays, scaleAt: -1}
	var nums, cats []string
	for _, sp := range specs {
		if sp.Kind == features.Numeric {
			s.at[specKey{sp.Base, sp.Window}] = len(nums)
			nums = append(nums, sp.Name)
		} else {
			s.at[specKey{sp.Base, sp.Window}] = len(cats)
			cats = append(cats, sp.Name)
		}
	}
	s.nNum, s.nCat = len(nums), len(cats)
	if b.Prior != "" && b.Prior != PriorOff {
		if b.Prior != PriorSegment && b.Prior != PriorPeers {
			return nil, fmt.Errorf("%w: cold-start prior %q", ErrBadBundle, b.Prior)
		}
		var ok bool
		if s.rr, ok = newRowReader(specs, s.longest); !ok {
			return nil, fmt.Errorf("%w: the cold-start prior needs invoice features the rows lack", ErrBadBundle)
		}
		if b.Peers != nil {
			if err := b.Peers.Prepare(); err != nil {
				return nil, fmt.Errorf("%w: peers: %w", ErrBadBundle, err)
			}
		}
		s.peerOn, s.peersAt = true, func(datasets.Date) *peers.Set { return b.Peers }
		s.at[specKey{b.Prior.name(), 0}] = len(nums)
		nums = append(nums, b.Prior.name())
		specs = append(specs[:len(specs):len(specs)], b.Prior.spec())
	}
	if err := b.Encoder.check(nums, cats); err != nil {
		return nil, err
	}
	if err := b.PayDateEnc.check(nums, cats); err != nil {
		return nil, fmt.Errorf("pay-date encoder: %w", err)
	}
	cols := b.Encoder.columnSources(b.Late.Family)
	s.width = len(cols)
	s.payWidth = len(b.PayDateEnc.columnSources(FamilyLogistic))
	s.periods = b.PayDate.Periods
	if len(b.PayDate.Coef) != s.payWidth || len(b.PayDate.Alpha) != s.periods || s.periods < 1 {
		return nil, fmt.Errorf("%w: the pay-date model reads %d columns over %d weeks, its encoder gives %d columns", ErrBadBundle, len(b.PayDate.Coef), len(b.PayDate.Alpha), s.payWidth)
	}
	if ov := b.OverdueSurvival; ov != nil {
		// Computed once: every invoice that turns 90+ within the horizon
		// reads it.
		s.after90 = make([]float64, 7*s.periods+1)
		if !ov.conditional(default90Days, s.after90) {
			s.after90 = nil
		}
	}
	for name, c := range map[string]*Classifier{"late": b.Late, "very-late": b.VeryLate, "90+": b.Default90} {
		if c != nil && c.Family != FamilyPrior {
			if w := c.width(); w != s.width {
				return nil, fmt.Errorf("%w: the %s model reads %d columns, the encoder gives %d", ErrBadBundle, name, w, s.width)
			}
		}
	}
	if h := b.Late.History; h != nil && (h.Late < 0 || h.Late >= s.width || h.Settled < 0 || h.Settled >= s.width) {
		return nil, fmt.Errorf("%w: the late model's history stack reads columns %d and %d of %d", ErrBadBundle, h.Late, h.Settled, s.width)
	}
	if h := b.Late.History; h != nil && h.FlagWeight != 0 && (h.Flag < 0 || h.Flag >= s.width) {
		return nil, fmt.Errorf("%w: the late model's history stack weighs column %d of %d as a flag", ErrBadBundle, h.Flag, s.width)
	}
	if st := b.OverdueScaled; st != nil {
		s.overdueW, s.overdueFrom = overdueScaledBlend, overdueScaledFromDays
		i, ok := features.Find(specs, st.Base, st.Window)
		if !ok {
			return nil, fmt.Errorf("%w: the scaled overdue survival reads %s at %d days, which the feature specs lack", ErrBadBundle, st.Base, st.Window)
		}
		s.scaleAt = i
	}
	var ok bool
	if s.daysToDue, ok = features.Find(specs, "inv_days_to_due", 0); !ok {
		return nil, fmt.Errorf("feature specs lack inv_days_to_due: not invoice features")
	}
	if i, ok := features.Find(specs, "invoices_settled", s.longest); ok {
		s.settledLong = i
	}
	if i, ok := features.Find(specs, "inv_segment", 0); ok {
		s.segment = i
	}
	if b.Default90OfVeryLatePast90 != nil {
		if s.past90, ok = features.Find(specs, "invoices_past_90", 0); !ok {
			return nil, fmt.Errorf("%w: the 90+ share by the customer's 90+ history reads invoices_past_90, which the feature specs lack", ErrBadBundle)
		}
	}
	byName := map[string]features.Spec{}
	for _, sp := range specs {
		byName[sp.Name] = sp
	}
	var names []string
	s.colFeature, names = featuresOf(cols)
	for _, n := range names {
		s.feats = append(s.feats, byName[n])
	}
	s.groupOf, s.groups = reasonGroups(s.feats)
	return s, nil
}

// modelRow is r as the bundle's models read it: the catalogue's features,
// then, when the bundle reads it, the cold-start prior, written into dst (of
// length nNum+1 then).
func (s *Scorer) modelRow(dst []float64, r *features.Row) (features.Row, error) {
	if !s.peerOn {
		return *r, nil
	}
	copy(dst, r.Num)
	v, err := s.b.Prior.prior(s.rr, s.peersAt(r.AsOf), r)
	if err != nil {
		return features.Row{}, fmt.Errorf("invoice %s: %s prior: %w", r.InvoiceID, s.b.Prior, err)
	}
	dst[s.nNum] = v
	return features.Row{CustomerID: r.CustomerID, InvoiceID: r.InvoiceID, AsOf: r.AsOf, Num: dst, Cat: r.Cat}, nil
}

// featuresOf maps encoded columns, given by the feature each comes from, to
// their features: colFeature[j] indexes names, the features in order of
// first column. Contributions are summed per feature with it.
func featuresOf(sources []string) (colFeature []int, names []string) {
	byName := map[string]int{}
	colFeature = make([]int, len(sources))
	for j, f := range sources {
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
	days                  []float64      // the daily pay-date curve
	survival              []float64      // the overdue survival's curve
	ext                   []float64      // rows extended by the cold-start prior
	rows                  []features.Row // the extended rows
	late, veryLate, def90 []float64
	contrib, byFeature    []float64
	byGroup               []float64
}

// newScratch sizes buffers for blocks of up to rows rows.
func (s *Scorer) newScratch(rows int) *scratch {
	return &scratch{
		x:    make([]float64, rows*s.width),
		ext:  make([]float64, rows*(s.nNum+1)),
		rows: make([]features.Row, rows),
		payX: make([]float64, s.payWidth),
		days: make([]float64, 7*s.periods+1), survival: make([]float64, 7*s.periods+1),
		late: make([]float64, rows), veryLate: make([]float64, rows), def90: make([]float64, rows),
		contrib:   make([]float64, s.width),
		byFeature: make([]float64, len(s.feats)),
		byGroup:   make([]float64, len(s.groups)),
	}
}

// Score predicts one invoice row. reasons is how many factors to explain
// (0 for none, which is faster). Use ScoreBatch for many rows.
func (s *Scorer) Score(r *features.Row, reasons int) (Prediction, error) {
	var p [1]Prediction
	if err := s.check(r); err != nil {
		return p[0], err
	}
	err := s.scoreRows(s.newScratch(1), []features.Row{*r}, reasons, p[:])
	return p[0], err
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
			if err := s.scoreRows(sc, rows[lo:hi], reasons, out[lo:hi]); err != nil {
				return err
			}
		}
		return nil
	}
	errs := make([]error, blocks)
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
				errs[b] = s.scoreRows(sc, rows[lo:hi], reasons, out[lo:hi])
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// scoreRows scores at most scoreBlock rows that passed check.
func (s *Scorer) scoreRows(sc *scratch, rows []features.Row, reasons int, out []Prediction) error {
	b := s.b
	n := len(rows)
	w := s.width
	if s.peerOn {
		// The rows extended by the cold-start prior, in the block's scratch.
		m := s.nNum + 1
		for i := range rows {
			var err error
			if sc.rows[i], err = s.modelRow(sc.ext[i*m:(i+1)*m:(i+1)*m], &rows[i]); err != nil {
				return err
			}
		}
		rows = sc.rows[:n]
	}
	for i := range rows {
		if got := b.Encoder.encode(b.Late.Family, sc.x[i*w:i*w:(i+1)*w], &rows[i]); len(got) != w {
			return fmt.Errorf("%w: encoded %d columns, want %d", ErrBadBundle, len(got), w) // check makes this unreachable
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
	threshold := b.Threshold()
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
		p.Late = p.PLate >= threshold
		if overdue > b.Options.VeryLateDays {
			p.PVeryLate = 1
		}
		if d90 != nil {
			// Ending 90+ days overdue is being very late: the 90+ share
			// cannot exceed the very-late share.
			v := math.Min(b.Default90.Calibrate(sc.def90[i]), p.PVeryLate)
			if r := b.Default90OfVeryLate; r != nil {
				share := *r
				if c := b.Default90Customer; c != nil && c.Kept {
					share = c.share(rows[i].Num)
				} else if h := b.Default90OfVeryLatePast90; h != nil && rows[i].Num[s.past90] > 0 {
					share = *h
				}
				v = math.Min(math.Max(b.Default90.Base, share*p.PVeryLate), p.PVeryLate)
			}
			if overdue >= default90Days {
				// Open at the end of its 90th day past due, it is paid
				// more than 90 days late if at all.
				v = 1
			}
			d90[i] = v
			p.PDefault90 = &d90[i]
			// A stopped payer's invoice is raised to the share its
			// state learnt (default90_stopped.go), p_late with it.
			b.Default90Stopped.raise(p, r.Num, overdue)
			p.Late = p.PLate >= threshold
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
	return nil
}
