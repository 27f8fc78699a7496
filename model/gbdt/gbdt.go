// Package gbdt is a compact histogram-based gradient-boosted decision tree
// trainer for binary classification (log loss), in the style of XGBoost's
// "hist" tree method: second-order boosting, per-feature quantile bins, one
// bin for missing values with a learned default direction, depth-wise growth
// and the histogram subtraction trick.
//
// Training is deterministic: the same data, Params and Seed give the same
// model (and the same MarshalBinary bytes) whatever Params.Threads is, since
// every floating-point reduction runs in a fixed order (histograms are built
// per feature, sequentially over the rows of a node in row order).
package gbdt

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
)

// Params configures Train. A zero field takes its default (see
// DefaultParams); in particular Lambda and MinChildWeight cannot be set to
// exactly 0 — use a tiny positive value such as 1e-12 instead.
type Params struct {
	Trees          int     // boosting rounds (default 200)
	MaxDepth       int     // maximum tree depth, 1..30 (default 6)
	LearningRate   float64 // shrinkage (default 0.1)
	MinChildWeight float64 // minimum hessian sum in a child (default 1)
	Lambda         float64 // L2 penalty on leaf weights (default 1)
	Gamma          float64 // minimum split gain (default 0)
	MaxBins        int     // value bins per feature, 2..256 (default 256; at most 255 are used, one byte holds 255 value bins plus the missing bin)
	Subsample      float64 // row subsampling per tree in (0,1] (default 1 = none)
	ColSample      float64 // feature subsampling per tree in (0,1] (default 1 = none)
	Seed           uint64  // seed for subsampling
	Threads        int     // worker goroutines; 0 = GOMAXPROCS. Results do not depend on it.
	EarlyStopping  int     // stop after this many rounds without improvement of validation log loss; 0 = off (needs a validation Set)
}

// DefaultParams returns the defaults used for zero fields of Params.
func DefaultParams() Params {
	return Params{
		Trees:          200,
		MaxDepth:       6,
		LearningRate:   0.1,
		MinChildWeight: 1,
		Lambda:         1,
		Gamma:          0,
		MaxBins:        256,
		Subsample:      1,
		ColSample:      1,
	}
}

// Set is a labelled data set, used for validation / early stopping.
// W may be nil (all weights 1).
type Set struct {
	X    [][]float64
	Y, W []float64
}

const maxDepthLimit = 30

// resolve fills defaults and validates p.
func (p Params) resolve() (Params, error) {
	d := DefaultParams()
	if p.Trees == 0 {
		p.Trees = d.Trees
	}
	if p.MaxDepth == 0 {
		p.MaxDepth = d.MaxDepth
	}
	if p.LearningRate == 0 {
		p.LearningRate = d.LearningRate
	}
	if p.MinChildWeight == 0 {
		p.MinChildWeight = d.MinChildWeight
	}
	if p.Lambda == 0 {
		p.Lambda = d.Lambda
	}
	if p.MaxBins == 0 {
		p.MaxBins = d.MaxBins
	}
	if p.Subsample == 0 {
		p.Subsample = d.Subsample
	}
	if p.ColSample == 0 {
		p.ColSample = d.ColSample
	}
	if p.Threads == 0 {
		p.Threads = runtime.GOMAXPROCS(0)
	}
	bad := func(name string, v any, want string) error {
		return fmt.Errorf("gbdt: bad params: %s = %v, want %s", name, v, want)
	}
	finite := func(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
	switch {
	case p.Trees < 0:
		return p, bad("Trees", p.Trees, "> 0")
	case p.MaxDepth < 1 || p.MaxDepth > maxDepthLimit:
		return p, bad("MaxDepth", p.MaxDepth, fmt.Sprintf("in 1..%d", maxDepthLimit))
	case !finite(p.LearningRate) || p.LearningRate <= 0:
		return p, bad("LearningRate", p.LearningRate, "a finite value > 0")
	case !finite(p.MinChildWeight) || p.MinChildWeight < 0:
		return p, bad("MinChildWeight", p.MinChildWeight, "a finite value >= 0")
	case !finite(p.Lambda) || p.Lambda < 0:
		return p, bad("Lambda", p.Lambda, "a finite value >= 0")
	case !finite(p.Gamma) || p.Gamma < 0:
		return p, bad("Gamma", p.Gamma, "a finite value >= 0")
	case p.MaxBins < 2 || p.MaxBins > 256:
		return p, bad("MaxBins", p.MaxBins, "in 2..256")
	case !(p.Subsample > 0 && p.Subsample <= 1):
		return p, bad("Subsample", p.Subsample, "in (0,1]")
	case !(p.ColSample > 0 && p.ColSample <= 1):
		return p, bad("ColSample", p.ColSample, "in (0,1]")
	case p.Threads < 0:
		return p, bad("Threads", p.Threads, ">= 0")
	case p.EarlyStopping < 0:
		return p, bad("EarlyStopping", p.EarlyStopping, ">= 0")
	}
	return p, nil
}

// checkSet validates a design matrix, labels and optional weights and returns
// the number of features.
func checkSet(what string, X [][]float64, y, w []float64, features int) (int, error) {
	if len(X) == 0 {
		return 0, fmt.Errorf("gbdt: %s: X is empty", what)
	}
	if features < 0 {
		features = len(X[0])
	}
	if features == 0 {
		return 0, fmt.Errorf("gbdt: %s: rows have no features", what)
	}
	for i, row := range X {
		if len(row) != features {
			return 0, fmt.Errorf("gbdt: %s: ragged rows: row %d has %d features, want %d", what, i, len(row), features)
		}
	}
	if len(y) != len(X) {
		return 0, fmt.Errorf("gbdt: %s: len(y) = %d, want len(X) = %d", what, len(y), len(X))
	}
	if w != nil && len(w) != len(X) {
		return 0, fmt.Errorf("gbdt: %s: len(w) = %d, want len(X) = %d (or nil)", what, len(w), len(X))
	}
	var w0, w1 float64
	for i, v := range y {
		if v != 0 && v != 1 {
			return 0, fmt.Errorf("gbdt: %s: y[%d] = %v, want 0 or 1", what, i, v)
		}
		wi := 1.0
		if w != nil {
			wi = w[i]
			if math.IsNaN(wi) || math.IsInf(wi, 0) || wi < 0 {
				return 0, fmt.Errorf("gbdt: %s: w[%d] = %v, want a finite value >= 0", what, i, wi)
			}
		}
		if v == 1 {
			w1 += wi
		} else {
			w0 += wi
		}
	}
	if w0+w1 <= 0 {
		return 0, fmt.Errorf("gbdt: %s: total weight is zero", what)
	}
	if what == "train" && (w0 <= 0 || w1 <= 0) {
		return 0, fmt.Errorf("gbdt: train: y has a single class (weight of 0s %v, of 1s %v); need both", w0, w1)
	}
	return features, nil
}

// Train fits a boosted tree model on rows X (NaN = missing), labels y in
// {0,1} and optional non-negative weights w (nil = all 1). valid, if not nil,
// is scored after each round; with p.EarlyStopping > 0 training stops after
// that many rounds without improvement of its weighted log loss and the model
// keeps the best round's trees. The context is checked before every round.
func Train(ctx context.Context, X [][]float64, y []float64, w []float64, valid *Set, p Params) (*Model, error) {
	p, err := p.resolve()
	if err != nil {
		return nil, err
	}
	nf, err := checkSet("train", X, y, w, -1)
	if err != nil {
		return nil, err
	}
	if len(X) > math.MaxInt32 {
		return nil, fmt.Errorf("gbdt: train: %d rows, at most %d supported", len(X), math.MaxInt32)
	}
	if valid != nil {
		if _, err := checkSet("valid", valid.X, valid.Y, valid.W, nf); err != nil {
			return nil, err
		}
	}
	if p.EarlyStopping > 0 && valid == nil {
		return nil, errors.New("gbdt: bad params: EarlyStopping > 0 needs a validation set")
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("gbdt: train: %w", err)
	}
	return train(ctx, X, y, w, valid, p, nf)
}

func sigmoid(m float64) float64 {
	if m >= 0 {
		return 1 / (1 + math.Exp(-m))
	}
	e := math.Exp(m)
	return e / (1 + e)
}

// logLoss1 is the log loss of one example with label y and margin m,
// computed stably from the margin.
func logLoss1(y, m float64) float64 {
	// log(1+exp(m)) - y*m
	var sp float64
	if m > 0 {
		sp = m + math.Log1p(math.Exp(-m))
	} else {
		sp = math.Log1p(math.Exp(m))
	}
	return sp - y*m
}
