package linear

import (
	"context"
	"errors"
	"fmt"
	"math"
)

// Options configures TrainLogistic.
type Options struct {
	// L2 is the ridge strength λ ≥ 0 on the standardised coefficients (never
	// on the intercept). The objective minimised is
	//
	//	Σ_i w_i ℓ(y_i, η_i) / Σ_i w_i  +  λ/2 · Σ_j γ_j²
	//
	// where ℓ is the logistic loss and γ_j is the coefficient of the j-th
	// standardised feature (x_j − mean_j)/std_j. Because the data term is a
	// weighted mean, λ does not scale with the number of rows: λ = 1 is a
	// strong penalty (standardised coefficients shrink several-fold), while
	// values around 1/n approximate scikit-learn's C = 1. Zero selects the
	// default 1.0; use a tiny positive value (e.g. 1e-12) for an
	// essentially unpenalised fit.
	L2 float64
	// MaxIter bounds the number of L-BFGS iterations (default 500).
	MaxIter int
	// Tol is the convergence threshold on the infinity norm of the gradient
	// of the objective above (default 1e-7).
	Tol float64
}

func (o Options) withDefaults() (Options, error) {
	if o.L2 < 0 || math.IsNaN(o.L2) {
		return o, fmt.Errorf("linear: L2 = %v must be non-negative", o.L2)
	}
	if o.L2 == 0 {
		o.L2 = 1.0
	}
	if o.MaxIter <= 0 {
		o.MaxIter = 500
	}
	if o.Tol <= 0 {
		o.Tol = 1e-7
	}
	return o, nil
}

// Logistic is a fitted logistic regression
//
//	P(y = 1 | x) = sigmoid(Intercept + Σ_j Coef_j x_j)
//
// on the original feature scale. Means holds the weighted training means of
// the features, used as the reference point of Contributions.
type Logistic struct {
	Intercept float64   `json:"intercept"`
	Coef      []float64 `json:"coef"`
	Means     []float64 `json:"means"`
}

// TrainLogistic fits an L2-regularised logistic regression of y on the rows
// of X with optional non-negative weights w (nil means unit weights).
//
// Preconditions: X is non-empty and rectangular with no NaN/Inf entries;
// len(y) == len(X) and every y_i is in [0, 1] (fractional values are
// treated as soft labels); w is nil or has len(X) finite non-negative
// entries with a positive sum. Violations are returned as errors.
//
// Features are standardised with the weighted mean and standard deviation
// of the training data; columns with (near-)zero variance get coefficient
// zero. See Options for the objective. The fit is deterministic: the same
// inputs give bit-identical models for any GOMAXPROCS. If ctx is cancelled
// the context error is returned.
func TrainLogistic(ctx context.Context, X [][]float64, y, w []float64, o Options) (*Logistic, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	p, err := checkX(X)
	if err != nil {
		return nil, err
	}
	n := len(X)
	if len(y) != n {
		return nil, fmt.Errorf("linear: len(y) = %d, want %d", len(y), n)
	}
	for i, v := range y {
		if !(v >= 0 && v <= 1) {
			return nil, fmt.Errorf("linear: y[%d] = %v not in [0, 1]", i, v)
		}
	}
	var sw float64
	if w != nil {
		if len(w) != n {
			return nil, fmt.Errorf("linear: len(w) = %d, want %d", len(w), n)
		}
		for i, v := range w {
			if !(v >= 0) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("linear: w[%d] = %v must be finite and non-negative", i, v)
			}
			sw += v
		}
		if sw == 0 {
			return nil, errors.New("linear: weights sum to zero")
		}
	} else {
		sw = float64(n)
	}

	sc := newScaler(X, nil, w, p)
	act := sc.active
	dim := 1 + len(act)
	be := newBlockEval(n, dim)
	lambda := o.L2
	// The objective is defined on standardised features z = (x − mean)·invStd
	// but evaluated on centred rows: η = θ₀ + Σ θ_k z_k = θ₀ + Σ β_j (x_j −
	// mean_j) with β_j = θ_k·invStd_j, and Σ r·z_k = invStd_j·Σ r·(x_j −
	// mean_j). The inner loops are then a plain dot product and axpy over
	// each row; centring (not folding the means into the intercept) keeps
	// offset, nearly constant columns from cancelling every digit.
	beta := make([]float64, p)
	rawGrads := make([][]float64, len(be.loss))
	for k := range rawGrads {
		rawGrads[k] = make([]float64, p)
	}
	eval := func(theta, grad []float64) float64 {
		c := theta[0]
		clear(beta)
		for k, j := range act {
			beta[j] = theta[1+k] * sc.invStd[j]
		}
		f := be.run(ctx, grad, func(lo, hi int, g []float64) float64 {
			raw := rawGrads[lo/blockRows]
			clear(raw)
			var loss, rsum float64
			for i := lo; i < hi; i++ {
				wi := 1.0
				if w != nil {
					wi = w[i]
					if wi == 0 {
						continue
					}
				}
				x := X[i][:len(beta)]
				mean := sc.mean[:len(x)]
				eta := c
				for j, b := range beta {
					eta += b * (x[j] - mean[j])
				}
				sp, pr := lossAndProb(eta)
				loss += wi * (sp - y[i]*eta)
				r := wi * (pr - y[i])
				rsum += r
				for j, v := range x {
					raw[j] += r * (v - mean[j])
				}
			}
			g[0] = rsum
			for k, j := range act {
				g[1+k] = sc.invStd[j] * raw[j]
			}
			return loss
		})
		f /= sw
		for k := range grad {
			grad[k] /= sw
		}
		for k := 1; k < dim; k++ {
			f += lambda / 2 * theta[k] * theta[k]
			grad[k] += lambda * theta[k]
		}
		return f
	}

	theta0 := make([]float64, dim)
	// Start the intercept at the weighted log-odds of y.
	var sy float64
	for i, v := range y {
		if w != nil {
			sy += w[i] * v
		} else {
			sy += v
		}
	}
	pbar := math.Min(math.Max(sy/sw, 1e-6), 1-1e-6)
	theta0[0] = math.Log(pbar / (1 - pbar))

	theta, err := minimize(ctx, theta0, o.MaxIter, o.Tol, eval)
	if err != nil {
		return nil, err
	}
	m := &Logistic{Coef: make([]float64, p), Means: sc.mean}
	m.Intercept = theta[0]
	for k, j := range act {
		m.Coef[j] = theta[1+k] * sc.invStd[j]
		m.Intercept -= m.Coef[j] * sc.mean[j]
	}
	return m, nil
}

func (m *Logistic) check(x []float64) {
	if len(x) != len(m.Coef) {
		panic(fmt.Sprintf("linear: len(x) = %d, want %d", len(x), len(m.Coef)))
	}
}

// Margin returns the log-odds Intercept + Σ_j Coef_j x_j. It panics if
// len(x) != len(m.Coef).
func (m *Logistic) Margin(x []float64) float64 {
	m.check(x)
	s := m.Intercept
	for j, c := range m.Coef {
		s += c * x[j]
	}
	return s
}

// Predict returns the probability sigmoid(Margin(x)).
func (m *Logistic) Predict(x []float64) float64 { return sigmoid(m.Margin(x)) }

// PredictBatch stores Predict(X[i]) in out[i]. It panics if
// len(out) != len(X).
func (m *Logistic) PredictBatch(X [][]float64, out []float64) {
	if len(out) != len(X) {
		panic(fmt.Sprintf("linear: len(out) = %d, want %d", len(out), len(X)))
	}
	for i, x := range X {
		out[i] = m.Predict(x)
	}
}

// Contributions decomposes the margin of x into per-feature terms relative
// to the training means: out[j] = Coef_j·(x_j − Means_j), and returns the
// bias Intercept + Σ_j Coef_j·Means_j (the margin at the mean row), so that
// bias + Σ_j out[j] equals Margin(x) up to rounding. It panics if len(x) or
// len(out) differ from len(m.Coef).
func (m *Logistic) Contributions(x, out []float64) (bias float64) {
	m.check(x)
	if len(out) != len(m.Coef) {
		panic(fmt.Sprintf("linear: len(out) = %d, want %d", len(out), len(m.Coef)))
	}
	bias = m.Intercept
	for j, c := range m.Coef {
		bias += c * m.Means[j]
		out[j] = c * (x[j] - m.Means[j])
	}
	return bias
}
