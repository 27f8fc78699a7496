package recommender

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/floats"

	"github.com/dsopilot/dsopilot/datasets"
)

// curveDays are the horizons of the payment curve the effects model fits:
// P(paid within h days of the decision) for each h.
var curveDays = [...]int{7, 14, 30, 60}

// maxWeight clips inverse-propensity weights: a row chosen with
// probability 1% counts for at most 50 rows.
const maxWeight = 50

// EffectsOptions configure LearnEffects.
type EffectsOptions struct {
	Bags          int     // bootstrap bags per horizon (default 5)
	MaxRowsPerArm int     // rows drawn per bag (default 30000)
	MinRows       int     // fewer decisions with a known outcome: ErrNoRandomisation (default 30)
	MinRandomised int     // fewer randomised decisions: ErrNoRandomisation (default 50)
	Seed          uint64  // bootstrap and tree seeds
	Learner       Learner // default DefaultLearner()
	// Meta is the meta-learner (default MetaS; see tlearner.go and
	// drlearner.go).
	Meta MetaLearner
	// DRLearner regresses the DR-learner's pseudo-outcomes (default
	// DefaultDRLearner()).
	DRLearner Learner
}

func (o EffectsOptions) withDefaults() EffectsOptions {
	if o.Bags <= 0 {
		o.Bags = 5
	}
	if o.MaxRowsPerArm <= 0 {
		o.MaxRowsPerArm = 30000
	}
	if o.MinRows <= 0 {
		o.MinRows = 30
	}
	if o.MinRandomised <= 0 {
		o.MinRandomised = 50
	}
	if o.Learner == nil {
		o.Learner = DefaultLearner()
	}
	if o.Meta == "" {
		o.Meta = MetaS
	}
	if o.DRLearner == nil {
		o.DRLearner = DefaultDRLearner()
	}
	return o
}

// Effects are the learnt effects of each action type: a payment curve
// P(paid within h days | arm, x) for h in 7, 14, 30 and 60 days, one model
// per point of the curve fitted on the logged decisions of every arm, the
// arm one of the inputs (an S-learner), each decision weighted by its
// inverse propensity so that every arm's decisions stand for the same mix
// of situations. At the horizon H the model is a bag of fits on bootstrap
// resamples; their spread is the uplift's interval. Separate models per
// arm (a T-learner) were tried first: the thin arms (wait is chosen only by
// the holdout) could not learn how the natural payment varies with days
// past due, and their errors became the uplift (a courtesy reminder
// "lowered" chronic late payers' payments by 28 points). The uplift of a
// type is its curve less wait's. "Wait" means skipping this decision and
// carrying on as the logging policy does, so the uplift is that of acting
// now against the process's next step, not against never acting.
type Effects struct {
	Horizon    int            `json:"horizon_days"`
	Arms       []string       `json:"arms"` // ActionWait first
	Features   []string       `json:"features"`
	Rows       map[string]int `json:"rows"` // training decisions per arm
	Randomised int            `json:"randomised"`
	Cutoff     datasets.Date  `json:"cutoff"`
	// ATE is the doubly-robust average uplift of each type over wait on
	// P(paid within Horizon days), over the logged decisions where the type
	// was allowed, with a bootstrap interval.
	ATE map[string]Estimate `json:"ate"`
	// Meta is the meta-learner the models are; Choice, with MetaAuto,
	// how it was chosen.
	Meta   MetaLearner   `json:"meta"`
	Choice *MetaChoice   `json:"meta_choice,omitempty"`
	models [][]Predictor // per horizon, the bags
	hIndex int
	rows   []decisionRow
}

// Estimate is a point estimate with a 95% interval.
type Estimate struct {
	Mean float64 `json:"mean"`
	Low  float64 `json:"low"`
	High float64 `json:"high"`
	N    int     `json:"n"`
}

// decisionRow is one logged decision about one invoice.
type decisionRow struct {
	customer, invoice string
	day               datasets.Date
	arm               string
	propensity        float64
	x                 []float64
	paid              [len(curveDays)]int8 // 1 paid within h, 0 not, -1 unknown at the cut-off
	feasible          []string             // arms the rules allowed for the account
	allowed           []string             // of those, the types whose window and earlier steps fit this invoice
	value             datasets.Money       // the invoice's outstanding value
	// planned is true when the scenario's own contact of the day covered
	// the invoice: only then would every arm of the scenario's logging
	// policy, wait included, have recorded a decision about it (an
	// alternative drawn at random records the invoices it may cover, wait
	// the plan's), so only those rows compare the arms on the same
	// invoices.
	planned bool
}

// featureNames lists the learner's inputs, in featurize's order.
func featureNames() []string {
	names := []string{"days_past_due", "log_value", "value_vs_mean_invoice", "terms_days", "contacts_on_invoice"}
	for _, t := range builtinOrder {
		names = append(names, "contacts_"+t)
	}
	names = append(names, "days_since_contact", "open_invoices", "log_overdue", "late_share_365d",
		"median_days_late_365d", "p90_days_late_365d", "settled_365d", "tenure_days", "disputed_open")
	for _, t := range builtinOrder {
		names = append(names, "response_rate_"+t, "responses_"+t)
	}
	return names
}

var builtinOrder = []string{ActionCourtesyReminder, ActionReminder, ActionCall, ActionFinalNotice, ActionCollectionAgency}

// featurize describes an invoice of an account on the account's day.
func featurize(acc *Account, it *Item, day datasets.Date) []float64 {
	nan := math.NaN()
	h := &acc.History
	x := make([]float64, 0, 40)
	ratio := nan
	if m := h.MeanInvoice(); m > 0 {
		ratio = it.Value.Float() / m
	}
	total := 0
	for _, n := range it.Attempts {
		total += n
	}
	x = append(x, float64(it.DPD), math.Log1p(max(0, it.Value.Float())), ratio,
		float64(it.Invoice.DueDate-it.Invoice.IssueDate), float64(total))
	for _, t := range builtinOrder {
		x = append(x, float64(it.Attempts[t]))
	}
	since := nan
	if acc.LastContact != 0 {
		since = float64(day - acc.LastContact)
	}
	late, p90 := nan, nan
	if s, ok := h.LateShare(); ok {
		late = s
		p90 = float64(h.DaysLate[len(h.DaysLate)*9/10])
	}
	median := nan
	if len(h.DaysLate) > 0 {
		median = float64(h.MedianDaysLate())
	}
	disputed := 0
	for _, o := range acc.Open {
		if o.Disputed {
			disputed++
		}
	}
	x = append(x, since, float64(len(acc.Open)), math.Log1p(max(0, acc.Overdue().Float())), late, median, p90,
		float64(h.Settled), float64(h.DaysSinceFirst), float64(disputed))
	for _, t := range builtinOrder {
		rs := h.Responses[t]
		rate := nan
		if len(rs) > 0 {
			n := 0
			for _, d := range rs {
				if d >= 0 {
					n++
				}
			}
			rate = float64(n) / float64(len(rs))
		}
		x = append(x, rate, float64(len(rs)))
	}
	return x
}

// collectDecisions reads the logged decisions with a recorded propensity
// made by cutoff−7 (so at least the first horizon can be known), each
// described as of its day, with its outcome as known at cutoff.
func collectDecisions(ctx context.Context, l *datasets.Ledger, cutoff datasets.Date, s *Scenarios, fx datasets.FX) ([]decisionRow, error) {
	conv := newConverter(s.Currency, fx)
	ix := &ledgerIndex{}
	ix.sync(l)
	rows, err := ix.decisions(ctx, cutoff, s, conv)
	if err != nil {
		return nil, err
	}
	return rows, conv.err()
}

// decisions is collectDecisions over an index synced with its ledger,
// counting in conv the amounts it found no rate for. The rows are by
// customer id, each customer's in the order of its actions.
func (ix *ledgerIndex) decisions(ctx context.Context, cutoff datasets.Date, s *Scenarios, conv *converter) ([]decisionRow, error) {
	l := ix.l
	toolbox := s.ActionTypes()
	arms := map[string]bool{ActionWait: true}
	for _, t := range toolbox {
		arms[t] = true
	}
	written := map[string]bool{}
	for i := range l.CreditNotes {
		if cn := &l.CreditNotes[i]; cn.Kind == datasets.KindWriteOff {
			written[cn.InvoiceID] = true
		}
	}
	var rows []decisionRow
	for ci, c := range ix.customers {
		if ci%256 == 0 && ctx.Err() != nil {
			return nil, fmt.Errorf("collect decisions: %w", ctx.Err())
		}
		var acc *Account
		var a *assessment
		var feasible []string
		var cands []candidate
		var plan map[string]bool
		accDay := datasets.Date(0)
		for _, al := range c.actions {
			act := &l.Actions[al.rec]
			if act.Propensity <= 0 || !arms[act.Type] || act.Date > cutoff-datasets.Date(curveDays[0]) || al.inv < 0 {
				continue
			}
			if act.Date != accDay {
				acc, _, _ = c.account(l, ix.facts, act.Date, conv)
				accDay = act.Date
				b := &Book{Day: act.Date, Currency: conv.currency}
				a = s.assess(b, acc)
				feasible = []string{ActionWait}
				cands = s.candidates(a, toolbox)
				for _, cand := range cands {
					feasible = append(feasible, cand.typ.Name)
				}
				plan = map[string]bool{}
				if a.stop.Rule == "" {
					if pc, _, ok := s.scenarioPlan(a); ok {
						for _, it := range pc.items {
							plan[it.Invoice.ID] = true
						}
					}
				}
			}
			inv := &l.Invoices[c.invoices[al.inv]]
			var it *Item
			for _, o := range a.eligible {
				if o.Invoice.ID == inv.ID {
					it = o
					break
				}
			}
			if it == nil {
				continue // paid, disputed or promised by the morning of the decision
			}
			// A courtesy reminder allowed for another, not yet due invoice
			// is no alternative for an overdue one.
			var allowed []string
			for _, cand := range cands {
				if cand.typ.feasible(it) {
					allowed = append(allowed, cand.typ.Name)
				}
			}
			r := decisionRow{customer: c.id, invoice: inv.ID, day: act.Date, arm: act.Type, propensity: act.Propensity,
				x: featurize(acc, it, act.Date), feasible: feasible, allowed: allowed, value: it.Value, planned: plan[inv.ID]}
			paid := inv.SettledDate
			if written[inv.ID] || paid > cutoff {
				paid = 0
			}
			for k, h := range curveDays {
				end := act.Date.AddDays(h)
				switch {
				case paid != 0 && paid <= end:
					r.paid[k] = 1
				case end <= cutoff:
					r.paid[k] = 0
				default:
					r.paid[k] = -1
				}
			}
			rows = append(rows, r)
		}
	}
	return rows, nil
}

// LearnEffects learns the effects of the scenario file's action types from
// the ledger's logged decisions up to cutoff (the last day whose events are
// known). It returns ErrNoRandomisation when fewer than MinRandomised
// decisions were randomised: effects cannot then be told from the
// collectors' choices.
func LearnEffects(ctx context.Context, l *datasets.Ledger, cutoff datasets.Date, s *Scenarios, fx datasets.FX, o EffectsOptions) (*Effects, error) {
	o = o.withDefaults()
	rows, err := collectDecisions(ctx, l, cutoff, s, fx)
	if err != nil {
		return nil, err
	}
	return learnRows(ctx, rows, cutoff, s, o)
}

// learnRows fits the effects on decisions already collected.
func learnRows(ctx context.Context, rows []decisionRow, cutoff datasets.Date, s *Scenarios, o EffectsOptions) (*Effects, error) {
	e := &Effects{Horizon: s.HorizonDays, Arms: append([]string{ActionWait}, s.ActionTypes()...), Features: featureNames(),
		Rows: map[string]int{}, Cutoff: cutoff, rows: rows}
	for _, r := range rows {
		e.Rows[r.arm]++
		if r.propensity < 1 {
			e.Randomised++
		}
	}
	if e.Randomised < o.MinRandomised {
		return nil, fmt.Errorf("%w: %d randomised decisions by %s (at least %d needed)", ErrNoRandomisation, e.Randomised, cutoff, o.MinRandomised)
	}
	e.hIndex = horizonIndex(s.HorizonDays)
	rng := rand.New(rand.NewPCG(o.Seed, 0xeffec7))
	known := make([][]int, len(curveDays))
	for k := range curveDays {
		for i := range rows {
			if rows[i].paid[k] >= 0 {
				known[k] = append(known[k], i)
			}
		}
	}
	pre, hRng, err := e.prepareMeta(ctx, known, o)
	if err != nil {
		return nil, err
	}
	e.models = make([][]Predictor, len(curveDays))
	for k := range curveDays {
		// Bootstrap bags at the horizon give the uplift its interval; the
		// other points of the curve need only their mean, one model each.
		nbags := 1
		if k == e.hIndex {
			nbags = o.Bags
		}
		var bags []Predictor
		var err error
		seed := o.Seed + uint64(k)
		switch e.Meta {
		case MetaT:
			bags, err = e.fitTBags(ctx, known[k], k, nbags, o, rng, seed)
		case MetaDR:
			r, p := drRng(o.Seed, k), (*drFit)(nil)
			if k == e.hIndex && pre != nil {
				r, p = hRng, pre
			}
			bags, err = e.fitDRBags(ctx, known[k], k, nbags, o, rng, r, seed, p)
		default:
			bags, err = e.fitBags(ctx, known[k], k, nbags, o, rng, seed)
		}
		if err != nil {
			return nil, fmt.Errorf("learn effects at %d days: %w", curveDays[k], err)
		}
		e.models[k] = bags
	}
	e.ATE = e.doublyRobust(rng)
	return e, nil
}

// horizonIndex is the curve point nearest H days.
func horizonIndex(h int) int {
	best := 0
	for k, d := range curveDays {
		if abs(d-h) < abs(curveDays[best]-h) {
			best = k
		}
	}
	return best
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// armInput appends the arm's one-hot encoding to x.
func (e *Effects) armInput(x []float64, arm string, buf []float64) []float64 {
	buf = append(buf[:0], x...)
	for _, a := range e.Arms {
		v := 0.0
		if a == arm {
			v = 1
		}
		buf = append(buf, v)
	}
	return buf
}

// fitBags fits nbags outcome models on bootstrap resamples of the rows idx
// (one model on the rows themselves when nbags is 1), each row described
// with its arm and weighted by inverse propensity.
func (e *Effects) fitBags(ctx context.Context, idx []int, k, nbags int, o EffectsOptions, rng *rand.Rand, seed uint64) ([]Predictor, error) {
	rows := e.rows
	bags := make([]Predictor, nbags)
	if len(idx) < o.MinRows {
		return nil, fmt.Errorf("%w: %d decisions with a known outcome, at least %d needed", ErrNoRandomisation, len(idx), o.MinRows)
	}
	pos := 0
	for _, i := range idx {
		pos += int(rows[i].paid[k])
	}
	if pos == 0 || pos == len(idx) {
		// One class only (a short history where every known outcome at a
		// long horizon is a payment): the smoothed rate is all there is.
		for b := range bags {
			bags[b] = constant((float64(pos) + 0.5) / (float64(len(idx)) + 1))
		}
		return bags, nil
	}
	size := min(len(idx), o.MaxRowsPerArm)
	for b := range bags {
		X := make([][]float64, size)
		y := make([]float64, size)
		w := make([]float64, size)
		for j := range size {
			pick := idx[rng.IntN(len(idx))]
			if nbags == 1 && size == len(idx) {
				pick = idx[j] // one model: every row once
			}
			r := &rows[pick]
			X[j], y[j], w[j] = e.armInput(r.x, r.arm, nil), float64(r.paid[k]), min(maxWeight, 1/r.propensity)
		}
		if n := floats.Sum(y); n == 0 || n == float64(size) {
			bags[b] = constant((n + 0.5) / (float64(size) + 1))
			continue
		}
		p, err := o.Learner.Fit(ctx, X, y, w, seed*131+uint64(b))
		if err != nil {
			return nil, err
		}
		bags[b] = p
	}
	return bags, nil
}

// bags is the number of bootstrap fits at point k of the curve.
func (e *Effects) bags(k int) int { return len(e.models[k]) }

// bagPoint writes each bag's P(paid within curveDays[k] | arm, x) to out.
func (e *Effects) bagPoint(arm string, x []float64, k int, out []float64) {
	xa := e.armInput(x, arm, make([]float64, 0, len(x)+len(e.Arms)))
	for b, m := range e.models[k] {
		out[b] = m.Predict(xa)
	}
}

// curve returns an arm's payment curve at x (mean over the bags, made
// non-decreasing in h) and its bags' predictions at the horizon.
func (e *Effects) curve(arm string, x []float64, bagsOut []float64) [len(curveDays)]float64 {
	var c [len(curveDays)]float64
	xa := e.armInput(x, arm, make([]float64, 0, len(x)+len(e.Arms)))
	for k := range curveDays {
		sum := 0.0
		for b, m := range e.models[k] {
			p := m.Predict(xa)
			sum += p
			if k == e.hIndex && bagsOut != nil {
				bagsOut[b] = p
			}
		}
		c[k] = sum / float64(len(e.models[k]))
		if k > 0 {
			c[k] = max(c[k], c[k-1])
		}
	}
	return c
}

// expectedDaysUnpaid is the area under the survival curve 1 − P(paid
// within h) from 0 to the last horizon, by trapezoids from S(0) = 1.
func expectedDaysUnpaid(c [len(curveDays)]float64) float64 {
	area, prevH, prevS := 0.0, 0.0, 1.0
	for k, h := range curveDays {
		s := 1 - c[k]
		area += (float64(h) - prevH) * (prevS + s) / 2
		prevH, prevS = float64(h), s
	}
	return area
}

// Uplift is an action type's estimated effect on one invoice against
// waiting.
type Uplift struct {
	Action string `json:"action"`
	// PaidWithin is P(paid within the horizon | action); PaidWithinWait
	// the same when waiting.
	PaidWithin     float64 `json:"p_paid_within_h"`
	PaidWithinWait float64 `json:"p_paid_within_h_wait"`
	// Uplift = PaidWithin − PaidWithinWait, with its 95% interval over the
	// bootstrap bags.
	Uplift float64 `json:"uplift"`
	Low    float64 `json:"uplift_low"`
	High   float64 `json:"uplift_high"`
	// DaysSaved is the reduction in expected days unpaid over the next 60
	// days.
	DaysSaved float64 `json:"days_saved"`
}

// average turns sums weighted by value (w in all) into means, and sets
// the uplift.
func (u *Uplift) average(w float64) {
	if w <= 0 {
		return
	}
	u.PaidWithin /= w
	u.PaidWithinWait /= w
	u.Low /= w
	u.High /= w
	u.DaysSaved /= w
	u.Uplift = u.PaidWithin - u.PaidWithinWait
}

// UpliftAt estimates an action's uplift for a row of features.
func (e *Effects) UpliftAt(action string, x []float64) Uplift {
	nb := len(e.models[e.hIndex])
	wa, wb := make([]float64, nb), make([]float64, nb)
	cw := e.curve(ActionWait, x, wa)
	ca := e.curve(action, x, wb)
	u := Uplift{Action: action, PaidWithin: ca[e.hIndex], PaidWithinWait: cw[e.hIndex]}
	u.Uplift = u.PaidWithin - u.PaidWithinWait
	d := make([]float64, nb)
	for b := range d {
		d[b] = wb[b] - wa[b]
	}
	u.Low, u.High = intervalAround(u.Uplift, d)
	u.DaysSaved = expectedDaysUnpaid(cw) - expectedDaysUnpaid(ca)
	return u
}

// intervalAround is interval's 95% width centred on est, the uplift of
// the curves: their monotone step (P(paid within h) never below its value
// at a shorter h) can move est off the bags' mean, and an interval around
// that mean could then exclude the estimate it is for.
func intervalAround(est float64, bags []float64) (lo, hi float64) {
	l, h := interval(bags)
	return est - (h-l)/2, est + (h-l)/2
}

// interval is the normal 95% interval of the bags' mean spread: the bags
// are bootstrap replicates, so their standard deviation is the standard
// error of the estimate.
func interval(v []float64) (lo, hi float64) {
	if len(v) == 0 {
		return 0, 0
	}
	mean, ss := 0.0, 0.0
	for _, x := range v {
		mean += x
	}
	mean /= float64(len(v))
	for _, x := range v {
		ss += (x - mean) * (x - mean)
	}
	sd := 0.0
	if len(v) > 1 {
		sd = math.Sqrt(ss / float64(len(v)-1))
	}
	return mean - 1.96*sd, mean + 1.96*sd
}
