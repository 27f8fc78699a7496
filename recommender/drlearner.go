package recommender

import (
	"context"
	"fmt"
	"hash/fnv"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
)

const (
	// MetaDR is the doubly-robust learner (Kennedy's DR-learner): per
	// arm, a model of the uplift over wait fitted on cross-fitted
	// doubly-robust pseudo-outcomes (see drModel).
	MetaDR MetaLearner = "dr"
	// MetaAuto fits the DR-learner and keeps it only when it beats the
	// S-learner on held-out customers (see chooseMeta); otherwise the
	// S-learner's models, fitted on the way, are the effects.
	MetaAuto MetaLearner = "auto"
)

// drScale bounds a pseudo-outcome: |μ_a − μ_w| ≤ 1 and each inverse-
// propensity correction is at most maxWeight, so |φ| ≤ maxWeight + 1.
const drScale = maxWeight + 1

// drModel is the DR-learner's model at one point of the curve, read in
// armInput's layout like the S-learner's: an arm's payment probability is
// the S-learner's (base) plus the arm's correction model tau, clipped to
// [0, 1]; wait's is the S-learner's.
//
// Why: the S-learner shares its trees between arms and splits on an arm's
// one-hot only where the arm explains more than the payment history does,
// so the differences between types come out compressed; the T-learner's
// uplift is the difference of two models' errors. The DR-learner regresses
// doubly-robust pseudo-outcomes, whose mean given x is the true uplift
// whatever the outcome model's errors, because the propensities are the
// logged ones (the randomised holdout), not estimates. What it regresses is
// the pseudo-outcome less the outcome model's own uplift, i.e. the inverse-
// propensity correction terms, so that its heavy regularisation shrinks the
// uplift towards the S-learner's, not towards one constant: regressed
// whole, with leaves large enough to hold the noise of weights of 50, the
// pseudo-outcomes lose the differences between customers the S-learner
// finds. Neither version ordered more measured pairs as the truth than the
// S-learner on any seed measured (README), so it is an option.
type drModel struct {
	nf   int
	base Predictor   // the S-learner at this point of the curve
	tau  []Predictor // per arm (wait's nil): P(z = 1 | x), z the correction mapped to [0, 1]
}

var _ Predictor = drModel{}

// armIndex is the index of the one-hot set in row xa (0, wait, when none).
func armIndex(xa []float64, nf, arms int) int {
	for i := range arms {
		if xa[nf+i] == 1 {
			return i
		}
	}
	return 0
}

// fromUnit maps a model's [0, 1] output back to a correction.
func fromUnit(z float64) float64 { return drScale * (2*z - 1) }

// toUnit maps a correction to [0, 1], where the binary learners fit its
// conditional mean (cross-entropy on soft labels is minimised by the mean).
func toUnit(c float64) float64 { return min(1, max(0, (c+drScale)/(2*drScale))) }

// Predict implements Predictor.
func (d drModel) Predict(xa []float64) float64 {
	p := d.base.Predict(xa)
	if a := armIndex(xa, d.nf, len(d.tau)); a > 0 {
		p = min(1, max(0, p+fromUnit(d.tau[a].Predict(xa[:d.nf]))))
	}
	return p
}

// PredictFlat implements Predictor: the S-learner's probabilities for every
// row at once, then each arm's corrections for its rows at once.
func (d drModel) PredictFlat(X []float64, stride int, out []float64) {
	d.base.PredictFlat(X, stride, out)
	groups := make([][]int, len(d.tau))
	for r := range out {
		a := armIndex(X[r*stride:(r+1)*stride], d.nf, len(d.tau))
		groups[a] = append(groups[a], r)
	}
	var buf, res []float64
	for a, rows := range groups {
		if a == 0 || len(rows) == 0 {
			continue
		}
		buf = buf[:0]
		for _, r := range rows {
			buf = append(buf, X[r*stride:(r+1)*stride]...)
		}
		res = append(res[:0], make([]float64, len(rows))...)
		d.tau[a].PredictFlat(buf, stride, res)
		for i, r := range rows {
			out[r] = min(1, max(0, out[r]+fromUnit(res[i])))
		}
	}
}

// pseudoRow is one decision's doubly-robust pseudo-outcome for one arm.
type pseudoRow struct {
	row int     // index into Effects.rows
	phi float64 // the pseudo-outcome of the arm's uplift over wait
	fit float64 // the outcome model's own uplift μ_a − μ_w (the S-learner's answer)
}

// crossFold is the fold (0 or 1) of a customer: a hash of its id and salt,
// so that every decision of a customer falls in the same fold.
func crossFold(customer string, salt byte) int {
	h := fnv.New64a()
	h.Write([]byte{salt})
	h.Write([]byte(customer))
	// FNV-1a's lowest bit is the parity of the bytes' lowest bits, so a
	// salt would only swap the folds: mix first (murmur3's finaliser).
	x := h.Sum64()
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	return int(x % 2)
}

// pseudoOutcomes computes, cross-fitted over two folds of customers, the
// pseudo-outcomes at point k of the curve of every arm but wait on the rows
// idx:
//
//	φ_a = μ_a(x) − μ_w(x) + 1{A=a}/p·(Y − μ_a(x)) − 1{A=wait}/p·(Y − μ_w(x)),
//
// μ the S-learner fitted on the other fold's customers, so that no
// decision's pseudo-outcome uses a model trained on it. Only decisions
// where the arm had support enter: the scenario's own contact covered the
// invoice (only then would wait have been logged for it, see
// decisionRow.planned), it was randomised (propensity below 1) and the rules
// allowed the type for the invoice. It also returns the fold of each row of
// idx.
func (e *Effects) pseudoOutcomes(ctx context.Context, idx []int, k int, o EffectsOptions, rng *rand.Rand, seed uint64, salt byte) ([][]pseudoRow, map[int]int, error) {
	var models [2]Predictor // models[f], fitted on the other fold, scores fold f
	fold := make(map[int]int, len(idx))
	var byFold [2][]int
	for _, i := range idx {
		f := crossFold(e.rows[i].customer, salt)
		fold[i] = f
		byFold[f] = append(byFold[f], i)
	}
	for f := range models {
		m, err := e.fitBags(ctx, byFold[1-f], k, 1, o, rng, seed*7+uint64(f)+uint64(salt)*97)
		if err != nil {
			return nil, nil, fmt.Errorf("cross-fitted outcome model for fold %d: %w", f, err)
		}
		models[f] = m[0]
	}
	out := make([][]pseudoRow, len(e.Arms))
	buf := make([]float64, 0, len(e.Features)+len(e.Arms))
	for _, i := range idx {
		r := &e.rows[i]
		if !r.planned || r.propensity >= 1 {
			continue
		}
		m := models[fold[i]]
		buf = e.armInput(r.x, ActionWait, buf)
		muW := m.Predict(buf)
		y := float64(r.paid[k])
		w := min(maxWeight, 1/r.propensity)
		for a := 1; a < len(e.Arms); a++ {
			arm := e.Arms[a]
			if !slices.Contains(r.allowed, arm) {
				continue
			}
			buf = e.armInput(r.x, arm, buf)
			muA := m.Predict(buf)
			phi := muA - muW
			switch r.arm {
			case arm:
				phi += w * (y - muA)
			case ActionWait:
				phi -= w * (y - muW)
			}
			out[a] = append(out[a], pseudoRow{row: i, phi: phi, fit: muA - muW})
		}
	}
	return out, fold, nil
}

// fitTau regresses an arm's corrections, pseudo-outcome less the outcome
// model's uplift, on the features with o.DRLearner: each row becomes a
// positive and a negative example weighted by its mapped correction z and
// 1 − z (times its count in a customer bootstrap, mult; nil counts every
// row once). Too few rows: the mean.
func (e *Effects) fitTau(ctx context.Context, ps []pseudoRow, mult map[string]float64, o EffectsOptions, seed uint64) (Predictor, error) {
	var X [][]float64
	var y, w []float64
	sum, n := 0.0, 0.0
	for _, p := range ps {
		r := &e.rows[p.row]
		m := 1.0
		if mult != nil {
			m = mult[r.customer]
		}
		if m == 0 {
			continue
		}
		z := toUnit(p.phi - p.fit)
		X = append(X, r.x, r.x)
		y = append(y, 1, 0)
		w = append(w, m*z, m*(1-z))
		sum += m * z
		n += m
	}
	if n < minArmRows {
		if n == 0 {
			return constant(0.5), nil // no support: no correction
		}
		return constant(sum / n), nil
	}
	return o.DRLearner.Fit(ctx, X, y, w, seed)
}

// customerBootstrap draws the customers of the pseudo-outcomes with
// replacement: the multiplicity of each.
func customerBootstrap(ps [][]pseudoRow, rows []decisionRow, rng *rand.Rand) map[string]float64 {
	seen := map[string]bool{}
	var ids []string
	for _, arm := range ps {
		for _, p := range arm {
			if c := rows[p.row].customer; !seen[c] {
				seen[c] = true
				ids = append(ids, c)
			}
		}
	}
	mult := make(map[string]float64, len(ids))
	for range ids {
		mult[ids[rng.IntN(len(ids))]]++
	}
	return mult
}

// fitDRBags fits the DR-learner at point k of the curve: nbags S-learner
// bags (fitBags) and, per bag, each arm's correction model on the
// cross-fitted pseudo-outcomes of a bootstrap of the customers (the
// pseudo-outcomes themselves when nbags is 1), so that the bags' spread,
// the S-learner's and the corrections', is the uplift's interval.
//
// The S-learner's bags draw from rng exactly as MetaS's do, and everything
// else from drRng, so that MetaAuto reproduces the S-learner when it keeps
// it. pre, when not nil, holds the pseudo-outcomes already computed at k.
func (e *Effects) fitDRBags(ctx context.Context, idx []int, k, nbags int, o EffectsOptions, rng, drRng *rand.Rand, seed uint64, pre *drFit) ([]Predictor, error) {
	base, err := e.fitBags(ctx, idx, k, nbags, o, rng, seed)
	if err != nil {
		return nil, err
	}
	if pre == nil {
		if pre, err = e.crossFit(ctx, idx, k, o, drRng, seed); err != nil {
			return nil, err
		}
	}
	ps := pre.ps
	bags := make([]Predictor, nbags)
	for b := range bags {
		var mult map[string]float64
		if nbags > 1 {
			mult = customerBootstrap(ps, e.rows, drRng)
		}
		d := drModel{nf: len(e.Features), base: base[b], tau: make([]Predictor, len(e.Arms))}
		for a := 1; a < len(e.Arms); a++ {
			if d.tau[a], err = e.fitTau(ctx, ps[a], mult, o, seed*131+uint64(b)*17+uint64(a)); err != nil {
				return nil, fmt.Errorf("DR-learner, arm %s: %w", e.Arms[a], err)
			}
		}
		bags[b] = d
	}
	return bags, nil
}

// drFit holds the cross-fitted pseudo-outcomes at one point of the curve
// and the fold of each decision.
type drFit struct {
	ps   [][]pseudoRow
	fold map[int]int
}

// crossFit is pseudoOutcomes over the folds of salt 0.
func (e *Effects) crossFit(ctx context.Context, idx []int, k int, o EffectsOptions, rng *rand.Rand, seed uint64) (*drFit, error) {
	ps, fold, err := e.pseudoOutcomes(ctx, idx, k, o, rng, seed, 0)
	if err != nil {
		return nil, err
	}
	return &drFit{ps: ps, fold: fold}, nil
}

// MetaChoice records how MetaAuto chose between the S-learner and the
// DR-learner: their held-out doubly-robust losses (mean squared distance
// of each randomised decision's pseudo-outcome to the candidate's uplift, at
// the horizon, summed over the arms the rules allowed), the standard error
// of the difference over customers, and the choice. With MetaDR it records
// what MetaAuto would have chosen; the DR-learner is kept.
type MetaChoice struct {
	LossS     float64     `json:"loss_s"`
	LossDR    float64     `json:"loss_dr"`
	Gain      float64     `json:"gain"` // LossS − LossDR
	GainSE    float64     `json:"gain_se"`
	Customers int         `json:"customers"`
	Decisions int         `json:"decisions"`
	Chosen    MetaLearner `json:"chosen"`
	Note      string      `json:"note,omitempty"`
}

// chooseMeta compares the S-learner with the DR-learner on held-out
// customers at point k of the curve (the horizon), two-fold: for each fold
// f, the S-learner is the outcome model fitted on the other fold (whose
// uplift fold f's pseudo-outcomes carry as fit), the DR-learner is that
// model plus corrections fitted on the other fold alone (on pseudo-
// outcomes cross-fitted within it), and both are scored on fold f's
// pseudo-outcomes, which neither saw. Because the propensities are the logged ones, a pseudo-outcome's
// mean given x is the true uplift, so the difference of two candidates'
// mean squared distances to it estimates the difference of their squared
// errors against the truth without looking at the truth (the pseudo-
// outcomes' own noise is the same for both and cancels).
//
// The rule: the DR-learner replaces the S-learner only when its loss is
// lower by at least one standard error of the difference (per-customer
// sums, so that a customer's decisions count as one draw). The S-learner is
// the incumbent whose policy figures are measured; a noisy tie keeps it.
func (e *Effects) chooseMeta(ctx context.Context, idx []int, k int, fit *drFit, o EffectsOptions, rng *rand.Rand, seed uint64) (*MetaChoice, error) {
	perCustomer := map[string]float64{}
	var lossS, lossDR float64
	n := 0
	for f := range 2 {
		var train []int
		for _, i := range idx {
			if fit.fold[i] != f {
				train = append(train, i)
			}
		}
		inner, _, err := e.pseudoOutcomes(ctx, train, k, o, rng, seed+uint64(f)*1009, 1)
		if err != nil {
			return nil, fmt.Errorf("held-out choice, fold %d: %w", f, err)
		}
		for a := 1; a < len(e.Arms); a++ {
			tau, err := e.fitTau(ctx, inner[a], nil, o, seed*131+uint64(f)*7+uint64(a))
			if err != nil {
				return nil, fmt.Errorf("held-out choice, fold %d, arm %s: %w", f, e.Arms[a], err)
			}
			for _, p := range fit.ps[a] {
				if fit.fold[p.row] != f {
					continue
				}
				r := &e.rows[p.row]
				// models[f], the S-learner fitted on the other fold, gave
				// p.fit for rows of fold f.
				ds := (p.phi - p.fit) * (p.phi - p.fit)
				dr := p.phi - p.fit - fromUnit(tau.Predict(r.x))
				dd := dr * dr
				lossS += ds
				lossDR += dd
				perCustomer[r.customer] += ds - dd
				n++
			}
		}
	}
	c := &MetaChoice{Customers: len(perCustomer), Decisions: n, Chosen: MetaS}
	if n == 0 || len(perCustomer) < 2 {
		c.Note = "no randomised decision to compare the learners on: the S-learner is kept"
		return c, nil
	}
	c.LossS, c.LossDR = lossS/float64(n), lossDR/float64(n)
	c.Gain = c.LossS - c.LossDR
	// The standard error of the mean gain per decision from the per-
	// customer sums: n_c customers, gain total G = Σ g_c, Var(G) ≈ n_c·s²_g.
	nc := float64(len(perCustomer))
	ids := slices.Sorted(maps.Keys(perCustomer)) // a fixed order: the same sums each run
	mean := 0.0
	for _, id := range ids {
		mean += perCustomer[id]
	}
	mean /= nc
	ss := 0.0
	for _, id := range ids {
		g := perCustomer[id] - mean
		ss += g * g
	}
	c.GainSE = math.Sqrt(nc*ss/(nc-1)) / float64(n)
	if c.Gain >= c.GainSE && c.Gain > 0 {
		c.Chosen = MetaDR
	}
	return c, nil
}

// drRng is the DR-learner's own stream at point k of the curve: its draws
// come from streams of their own, one per point of the curve and one for
// the held-out choice, so that the S-learner's bags are the same whether or
// not the DR-learner is fitted, and MetaAuto's DR-learner is MetaDR's.
func drRng(seed uint64, k int) *rand.Rand { return rand.New(rand.NewPCG(seed, 0xd12+uint64(k))) }

// prepareMeta sets e.Meta from o.Meta. For MetaDR and MetaAuto it cross-
// fits the pseudo-outcomes at the horizon and makes the held-out choice
// (chooseMeta): MetaAuto takes the learner chosen, MetaDR records the
// choice and keeps the DR-learner. It returns those pseudo-outcomes and the
// stream they were drawn from, for fitDRBags to go on with at the horizon.
func (e *Effects) prepareMeta(ctx context.Context, known [][]int, o EffectsOptions) (*drFit, *rand.Rand, error) {
	e.Meta = o.Meta
	var pre *drFit
	var hRng *rand.Rand
	switch o.Meta {
	case MetaS, MetaT:
	case MetaDR, MetaAuto:
		// MetaDR records what MetaAuto would have chosen, and keeps the
		// DR-learner.
		var err error
		hRng = drRng(o.Seed, e.hIndex)
		if len(known[e.hIndex]) >= o.MinRows {
			pre, err = e.crossFit(ctx, known[e.hIndex], e.hIndex, o, hRng, o.Seed+uint64(e.hIndex))
		}
		if err != nil || pre == nil {
			e.Choice = &MetaChoice{Chosen: MetaS, Note: "too few decisions to cross-fit the DR-learner: the S-learner is kept"}
			pre = nil
		} else if e.Choice, err = e.chooseMeta(ctx, known[e.hIndex], e.hIndex, pre, o, rand.New(rand.NewPCG(o.Seed, 0xc40)), o.Seed); err != nil {
			return nil, nil, fmt.Errorf("learn effects: %w", err)
		}
		if o.Meta == MetaAuto {
			e.Meta = e.Choice.Chosen
		}
	default:
		return nil, nil, fmt.Errorf("learn effects: unknown meta-learner %q (want %q, %q, %q or %q)", o.Meta, MetaS, MetaT, MetaDR, MetaAuto)
	}
	return pre, hRng, nil
}
