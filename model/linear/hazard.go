package linear

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// HazardOptions configures TrainHazard.
type HazardOptions struct {
	// Periods is the horizon K in periods (weeks); default 13.
	Periods int
	// L2 is the ridge strength on the standardised shared coefficients
	// (never on the period intercepts), added to the mean negative
	// log-likelihood per person-period row, exactly as Options.L2 for
	// TrainLogistic on the person-period expansion. Zero selects 1.0; use a
	// tiny positive value for an essentially unpenalised fit.
	L2 float64
	// MaxRows caps the number of person-period rows Σ_i min(durations_i, K)
	// used for fitting. When the cap is exceeded, whole invoices are
	// subsampled uniformly at random (seeded by Seed) until the cap is
	// reached. Zero selects 3,000,000; negative disables the cap.
	MaxRows int
	// Seed seeds the deterministic subsampling.
	Seed uint64
	// MaxIter and Tol are as in Options (defaults 500 and 1e-7).
	MaxIter int
	Tol     float64
}

// alphaRidge is a tiny ridge on the period intercepts that keeps them
// finite for periods in which no event is observed.
const alphaRidge = 1e-8

// Hazard is a fitted discrete-time hazard model. The probability that an
// invoice with features x, still open at the start of period k (1-based),
// is paid during period k is
//
//	h_k(x) = sigmoid(Alpha[k−1] + Σ_j Coef_j x_j),  k = 1..Periods.
//
// Means holds the training feature means. Rows is the number of invoices
// actually used for fitting (after any MaxRows subsampling).
type Hazard struct {
	Periods int       `json:"periods"`
	Alpha   []float64 `json:"alpha"`
	Coef    []float64 `json:"coef"`
	Means   []float64 `json:"means"`
	Rows    int       `json:"rows"`
}

// TrainHazard fits a discrete-time logistic hazard model with
// period-specific intercepts and shared coefficients by penalised maximum
// likelihood, handling right-censoring.
//
// Row i is an invoice observed for durations[i] periods since its snapshot
// date. If events[i] is true it was paid in period durations[i] (1-based,
// so durations[i] ≥ 1); otherwise it was still open after durations[i]
// periods (censored; durations[i] ≥ 0, where 0 contributes nothing). A
// censored invoice contributes "not paid" for each period it was observed
// and nothing afterwards. Invoices observed beyond the horizon K
// (durations[i] > K) are treated as censored at K, whether or not paid
// later.
//
// The likelihood is computed directly from (x, duration, event) without
// materialising the person-period table; cost per evaluation is
// O(Σ_i (p + min(d_i, K))). Features are standardised as in TrainLogistic
// (unweighted); the returned coefficients are on the original scale.
// Periods at which no invoice is at risk inherit the intercept of the
// preceding period. The fit is deterministic for any GOMAXPROCS.
func TrainHazard(ctx context.Context, X [][]float64, durations []int, events []bool, o HazardOptions) (*Hazard, error) {
	if o.Periods == 0 {
		o.Periods = 13
	}
	if o.Periods < 0 {
		return nil, fmt.Errorf("linear: Periods = %d must be positive", o.Periods)
	}
	if o.MaxRows == 0 {
		o.MaxRows = 3_000_000
	}
	fo, err := Options{L2: o.L2, MaxIter: o.MaxIter, Tol: o.Tol}.withDefaults()
	if err != nil {
		return nil, err
	}
	p, err := checkX(X)
	if err != nil {
		return nil, err
	}
	n := len(X)
	if len(durations) != n || len(events) != n {
		return nil, fmt.Errorf("linear: len(durations) = %d, len(events) = %d, want %d", len(durations), len(events), n)
	}
	K := o.Periods
	// Effective (clamped) duration and event indicator.
	dur := make([]int, n)
	ev := make([]bool, n)
	var total int
	for i, d := range durations {
		switch {
		case d < 0:
			return nil, fmt.Errorf("linear: durations[%d] = %d is negative", i, d)
		case d == 0 && events[i]:
			return nil, fmt.Errorf("linear: durations[%d] = 0 with an event; events are 1-based", i)
		}
		dur[i] = min(d, K)
		ev[i] = events[i] && d <= K
		total += dur[i]
	}
	rows := subsample(dur, total, o.MaxRows, o.Seed)
	if rows != nil {
		total = 0
		for _, i := range rows {
			total += dur[i]
		}
	} else {
		rows = make([]int, n)
		for i := range rows {
			rows[i] = i
		}
	}
	if total == 0 {
		return nil, errors.New("linear: no invoice is observed for at least one period")
	}
	var events1 int
	atRisk := make([]int, K)
	for _, i := range rows {
		if ev[i] {
			events1++
		}
		for k := range dur[i] {
			atRisk[k]++
		}
	}
	if events1 == 0 {
		return nil, errors.New("linear: no payment events within the horizon")
	}

	sc := newScaler(X, rows, nil, p)
	act := sc.active
	dim := K + len(act)
	be := newBlockEval(len(rows), dim)
	lambda := fo.L2
	N := float64(total)

	// As in TrainLogistic, the standardised objective is evaluated on
	// centred rows: e0 = Σ θ_k z_k = Σ β_j (x_j − mean_j), and the feature
	// gradient is invStd_j · Σ rs·(x_j − mean_j).
	beta := make([]float64, p)
	rawGrads := make([][]float64, len(be.loss))
	for k := range rawGrads {
		rawGrads[k] = make([]float64, p)
	}
	eval := func(theta, grad []float64) float64 {
		clear(beta)
		for k, j := range act {
			beta[j] = theta[K+k] * sc.invStd[j]
		}
		f := be.run(ctx, grad, func(lo, hi int, g []float64) float64 {
			raw := rawGrads[lo/blockRows]
			clear(raw)
			var loss float64
			for r := lo; r < hi; r++ {
				i := rows[r]
				d := dur[i]
				if d == 0 {
					continue
				}
				x := X[i][:len(beta)]
				mean := sc.mean[:len(x)]
				var e0 float64
				for j, b := range beta {
					e0 += b * (x[j] - mean[j])
				}
				var rs float64
				for k := range d {
					eta := theta[k] + e0
					sp, res := lossAndProb(eta)
					loss += sp
					if k == d-1 && ev[i] {
						loss -= eta
						res--
					}
					g[k] += res
					rs += res
				}
				for j, v := range x {
					raw[j] += rs * (v - mean[j])
				}
			}
			for k, j := range act {
				g[K+k] = sc.invStd[j] * raw[j]
			}
			return loss
		})
		f /= N
		for k := range grad {
			grad[k] /= N
		}
		for k := range K {
			f += alphaRidge / 2 * theta[k] * theta[k]
			grad[k] += alphaRidge * theta[k]
		}
		for k := K; k < dim; k++ {
			f += lambda / 2 * theta[k] * theta[k]
			grad[k] += lambda * theta[k]
		}
		return f
	}

	// Start the intercepts at the empirical (Kaplan–Meier style) hazards.
	theta0 := make([]float64, dim)
	evAt := make([]int, K)
	for _, i := range rows {
		if ev[i] {
			evAt[dur[i]-1]++
		}
	}
	for k := range K {
		h := 0.5
		if atRisk[k] > 0 {
			h = (float64(evAt[k]) + 0.5) / (float64(atRisk[k]) + 1)
		}
		theta0[k] = math.Log(h / (1 - h))
	}

	theta, err := minimize(ctx, theta0, fo.MaxIter, fo.Tol, eval)
	if err != nil {
		return nil, err
	}
	m := &Hazard{
		Periods: K,
		Alpha:   make([]float64, K),
		Coef:    make([]float64, p),
		Means:   sc.mean,
		Rows:    len(rows),
	}
	var shift float64
	for k, j := range act {
		m.Coef[j] = theta[K+k] * sc.invStd[j]
		shift += m.Coef[j] * sc.mean[j]
	}
	for k := range K {
		if atRisk[k] == 0 && k > 0 {
			m.Alpha[k] = m.Alpha[k-1]
			continue
		}
		m.Alpha[k] = theta[k] - shift
	}
	return m, nil
}

// subsample returns the sorted indices of a seeded uniform random subset of
// invoices whose person-period count reaches maxRows, or nil if total does
// not exceed maxRows (or maxRows < 0).
func subsample(dur []int, total, maxRows int, seed uint64) []int {
	if maxRows < 0 || total <= maxRows {
		return nil
	}
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	perm := make([]int, len(dur))
	for i := range perm {
		perm[i] = i
	}
	var sum, k int
	// Partial Fisher–Yates: draw invoices until the budget is reached.
	for k = 0; k < len(perm) && sum < maxRows; k++ {
		r := k + rng.IntN(len(perm)-k)
		perm[k], perm[r] = perm[r], perm[k]
		sum += dur[perm[k]]
	}
	sel := perm[:k]
	slices.Sort(sel)
	return sel
}

func (m *Hazard) linear(x []float64) float64 {
	if len(x) != len(m.Coef) {
		panic(fmt.Sprintf("linear: len(x) = %d, want %d", len(x), len(m.Coef)))
	}
	var s float64
	for j, c := range m.Coef {
		s += c * x[j]
	}
	return s
}

// Hazards returns h_k(x), k = 1..Periods, the conditional probabilities of
// payment in period k given the invoice is still open at its start. It
// panics if len(x) != len(m.Coef).
func (m *Hazard) Hazards(x []float64) []float64 {
	e := m.linear(x)
	h := make([]float64, m.Periods)
	for k := range h {
		h[k] = sigmoid(m.Alpha[k] + e)
	}
	return h
}

// Survival returns S_k(x) = P(not paid by the end of period k) = Π_{j≤k}
// (1 − h_j(x)) for k = 1..Periods (index k−1). The result is
// non-increasing in k and lies in [0, 1].
func (m *Hazard) Survival(x []float64) []float64 {
	s := m.Hazards(x)
	surv := 1.0
	for k, h := range s {
		surv *= 1 - h
		s[k] = surv
	}
	return s
}

// PaidBy returns 1 − Survival(x): the probability of being paid by the end
// of each period k = 1..Periods (non-decreasing).
func (m *Hazard) PaidBy(x []float64) []float64 {
	s := m.Survival(x)
	for k := range s {
		s[k] = 1 - s[k]
	}
	return s
}

// PaidByInto writes PaidBy(x) to out (len(out) must be Periods) without
// allocating.
func (m *Hazard) PaidByInto(x, out []float64) {
	if len(out) != m.Periods {
		panic(fmt.Sprintf("linear: len(out) = %d, want %d periods", len(out), m.Periods))
	}
	e := m.linear(x)
	surv := 1.0
	for k := range out {
		surv *= 1 - sigmoid(m.Alpha[k]+e)
		out[k] = 1 - surv
	}
}

// Quantile returns the first period k (1-based) at which PaidBy(x)[k−1] ≥ q,
// and ok = false (with period 0) if that does not happen within the
// horizon. q ≤ 0 returns period 1.
func (m *Hazard) Quantile(x []float64, q float64) (period int, ok bool) {
	for k, v := range m.PaidBy(x) {
		if v >= q {
			return k + 1, true
		}
	}
	return 0, false
}
