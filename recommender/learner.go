package recommender

import (
	"context"
	"math"

	"github.com/dsopilot/dsopilot/model/gbdt"
	"github.com/dsopilot/dsopilot/model/linear"
)

// Learner fits a probability model on weighted rows (NaN = missing). It
// keeps the recommender's use of the model packages behind one small
// interface, so that a change of their APIs touches only the adapters below.
type Learner interface {
	Fit(ctx context.Context, X [][]float64, y, w []float64, seed uint64) (Predictor, error)
}

// Predictor is a fitted probability model. PredictFlat predicts the rows
// of X (row i is X[i*stride:], len(out) rows) at once, which is how
// worklists of a million invoices stay fast.
type Predictor interface {
	Predict(x []float64) float64
	PredictFlat(X []float64, stride int, out []float64)
}

// GBDTLearner fits small gradient-boosted tree ensembles (model/gbdt).
type GBDTLearner struct{ Params gbdt.Params }

var _ Learner = GBDTLearner{}

// DefaultLearner is the outcome model: shallow trees, few rounds, a minimum
// leaf weight that keeps thin arms from over-fitting.
func DefaultLearner() Learner {
	return GBDTLearner{Params: gbdt.Params{Trees: 80, MaxDepth: 4, LearningRate: 0.1, MinChildWeight: 20, Lambda: 5, MaxBins: 64}}
}

// DefaultDRLearner regresses the DR-learner's pseudo-outcomes: few
// stumps of depth 2 with leaves of at least 2,000 decisions (a minimum
// hessian of 500, each decision a soft-labelled pair of hessian 1/4) and a
// heavy L2, because a pseudo-outcome of a randomised decision carries an
// inverse propensity of up to 50 and a leaf of a few hundred such rows is
// noise. Chosen on synthetic rows with known effects (drlearner_test.go's
// confounded rows, held-out loss of chooseMeta), never on the simulator's
// truth: the first settings tried (40 trees of depth 3, leaves of 200)
// lost to the S-learner there by 4–5 standard errors, these won by 2–3.
func DefaultDRLearner() Learner {
	return GBDTLearner{Params: gbdt.Params{Trees: 30, MaxDepth: 2, LearningRate: 0.05, MinChildWeight: 500, Lambda: 200, MaxBins: 32}}
}

// Fit implements Learner.
func (g GBDTLearner) Fit(ctx context.Context, X [][]float64, y, w []float64, seed uint64) (Predictor, error) {
	p := g.Params
	p.Seed = seed
	m, err := gbdt.Train(ctx, X, y, w, nil, p)
	if err != nil {
		return nil, err
	}
	return trees{m}, nil
}

type trees struct{ m *gbdt.Model }

func (t trees) Predict(x []float64) float64 { return t.m.Predict(x) }

func (t trees) PredictFlat(X []float64, stride int, out []float64) {
	t.m.MarginsFlat(X, stride, out)
	for i, v := range out {
		out[i] = 1 / (1 + math.Exp(-v))
	}
}

// LogisticLearner fits an L2-regularised logistic regression (model/linear),
// with missing values replaced by the column's weighted mean.
type LogisticLearner struct{ L2 float64 }

var _ Learner = LogisticLearner{}

// Fit implements Learner.
func (g LogisticLearner) Fit(ctx context.Context, X [][]float64, y, w []float64, _ uint64) (Predictor, error) {
	if len(X) == 0 {
		return constant(0.5), nil
	}
	means := make([]float64, len(X[0]))
	ws := make([]float64, len(X[0]))
	for i, row := range X {
		for j, v := range row {
			if !math.IsNaN(v) {
				means[j] += w[i] * v
				ws[j] += w[i]
			}
		}
	}
	for j := range means {
		if ws[j] > 0 {
			means[j] /= ws[j]
		}
	}
	fill := func(x []float64) []float64 {
		out := make([]float64, len(x))
		for j, v := range x {
			if math.IsNaN(v) {
				v = means[j]
			}
			out[j] = v
		}
		return out
	}
	Xf := make([][]float64, len(X))
	for i := range X {
		Xf[i] = fill(X[i])
	}
	m, err := linear.TrainLogistic(ctx, Xf, y, w, linear.Options{L2: g.L2})
	if err != nil {
		return nil, err
	}
	return imputed{m: m, fill: fill}, nil
}

type imputed struct {
	m    *linear.Logistic
	fill func([]float64) []float64
}

func (i imputed) Predict(x []float64) float64 { return i.m.Predict(i.fill(x)) }

func (i imputed) PredictFlat(X []float64, stride int, out []float64) {
	n := len(i.m.Coef)
	for r := range out {
		out[r] = i.Predict(X[r*stride : r*stride+n])
	}
}

// constant predicts one probability: the outcome rate of an arm too thin to
// learn more from.
type constant float64

func (c constant) Predict([]float64) float64 { return float64(c) }

func (c constant) PredictFlat(_ []float64, _ int, out []float64) {
	for i := range out {
		out[i] = float64(c)
	}
}
