package recommender

import (
	"context"
	"fmt"
	"math/rand/v2"
)

// MetaLearner names how LearnEffects turns outcome models into per-type
// effects.
type MetaLearner string

const (
	// MetaS fits one model per point of the curve on every arm's
	// decisions, the arm one of the inputs (the default; see Effects).
	MetaS MetaLearner = "s"
	// MetaT fits one model per arm and point of the curve, each on the
	// decisions that took the arm only, with the inverse-propensity
	// weights rescaled to a mean of 1 within the arm (see tModel).
	MetaT MetaLearner = "t"
)

// minArmRows is the number of decisions below which a T-learner's arm gets
// its smoothed payment rate instead of a model: with fewer, a tree of
// MinChildWeight 20 has nothing to split.
const minArmRows = 60

// tModel is a T-learner's outcome model at one point of the curve: one
// model per arm on the raw features. It reads the S-learner's layout (the
// features, then the arm's one-hot, as armInput writes it), so that the
// curve, the worklist's flat predictions and the ranking use either meta-
// learner unchanged.
//
// Why a T-learner at all: the S-learner shares its trees between arms, and
// its shallow, regularised trees split on an arm's one-hot only where the
// arm explains more than days past due or the payment history does; the
// differences between types come out compressed (forgetful payers'
// courtesy reminders 0.39–0.42 against a truth of 0.70). Separate models
// cannot shrink one arm towards another. Their risk is the opposite one:
// each arm's model errs on its own, and the uplift is the difference of
// two errors. The weights are rescaled within each arm because the
// clipped inverse propensities of the holdout's rows (up to 50) would
// otherwise let MinChildWeight hold a leaf of two rows. Measured against
// the S-learner (README, "Proof in the closed-loop simulator"), it orders
// more of the measured (behaviour, type) pairs as the truth on the seeds
// it was not chosen on, but its policy calls more, is no better on DSO
// and its outcome model makes the off-policy estimate err more: it is not
// the default.
type tModel struct {
	nf   int         // features before the one-hot
	arms []Predictor // in Effects.Arms order
}

var _ Predictor = tModel{}

// armOf is the index of the one-hot set in row xa.
func (t tModel) armOf(xa []float64) int {
	for i := range t.arms {
		if xa[t.nf+i] == 1 {
			return i
		}
	}
	return 0 // no arm set: wait
}

// Predict implements Predictor on a row in armInput's layout.
func (t tModel) Predict(xa []float64) float64 { return t.arms[t.armOf(xa)].Predict(xa[:t.nf]) }

// PredictFlat implements Predictor: the rows are grouped by arm, and each
// arm's model predicts its rows at once.
func (t tModel) PredictFlat(X []float64, stride int, out []float64) {
	groups := make([][]int, len(t.arms))
	for r := range out {
		a := t.armOf(X[r*stride : (r+1)*stride])
		groups[a] = append(groups[a], r)
	}
	var buf, res []float64
	for a, rows := range groups {
		if len(rows) == 0 {
			continue
		}
		buf = buf[:0]
		for _, r := range rows {
			buf = append(buf, X[r*stride:(r+1)*stride]...)
		}
		res = append(res[:0], make([]float64, len(rows))...)
		t.arms[a].PredictFlat(buf, stride, res)
		for i, r := range rows {
			out[r] = res[i]
		}
	}
}

// fitTBags is fitBags for the T-learner: per bag, each arm's rows are
// resampled on their own (a stratified bootstrap: an arm's model is fitted
// on as many rows as it has) and fitted on their own.
func (e *Effects) fitTBags(ctx context.Context, idx []int, k, nbags int, o EffectsOptions, rng *rand.Rand, seed uint64) ([]Predictor, error) {
	if len(idx) < o.MinRows {
		return nil, fmt.Errorf("%w: %d decisions with a known outcome, at least %d needed", ErrNoRandomisation, len(idx), o.MinRows)
	}
	byArm := make([][]int, len(e.Arms))
	armIndex := map[string]int{}
	for i, a := range e.Arms {
		armIndex[a] = i
	}
	pooled := 0.0
	for _, i := range idx {
		a, ok := armIndex[e.rows[i].arm]
		if !ok {
			continue
		}
		byArm[a] = append(byArm[a], i)
		pooled += float64(e.rows[i].paid[k])
	}
	pooled = (pooled + 0.5) / (float64(len(idx)) + 1)
	nf := len(e.Features)
	bags := make([]Predictor, nbags)
	for b := range bags {
		m := tModel{nf: nf, arms: make([]Predictor, len(e.Arms))}
		for a, rows := range byArm {
			p, err := e.fitArm(ctx, rows, k, nbags, o, rng, seed*131+uint64(b)*17+uint64(a), pooled)
			if err != nil {
				return nil, fmt.Errorf("arm %s: %w", e.Arms[a], err)
			}
			m.arms[a] = p
		}
		bags[b] = m
	}
	return bags, nil
}

// fitArm fits one arm's model on a resample of its rows (the rows
// themselves when nbags is 1), weights rescaled to a mean of 1. An arm with
// fewer than minArmRows rows, or one class only, gets its smoothed rate
// (the pooled rate of every arm when it has no rows at all).
func (e *Effects) fitArm(ctx context.Context, rows []int, k, nbags int, o EffectsOptions, rng *rand.Rand, seed uint64, pooled float64) (Predictor, error) {
	if len(rows) == 0 {
		return constant(pooled), nil
	}
	size := min(len(rows), o.MaxRowsPerArm)
	X := make([][]float64, size)
	y := make([]float64, size)
	w := make([]float64, size)
	pos, sw := 0.0, 0.0
	for j := range size {
		pick := rows[j]
		if nbags > 1 || size < len(rows) {
			pick = rows[rng.IntN(len(rows))]
		}
		r := &e.rows[pick]
		X[j], y[j], w[j] = r.x, float64(r.paid[k]), min(maxWeight, 1/r.propensity)
		pos += y[j]
		sw += w[j]
	}
	if size < minArmRows || pos == 0 || pos == float64(size) {
		return constant((pos + 0.5) / (float64(size) + 1)), nil
	}
	for j := range w {
		w[j] *= float64(size) / sw
	}
	return o.Learner.Fit(ctx, X, y, w, seed)
}
