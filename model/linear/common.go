package linear

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"

	"gonum.org/v1/gonum/optimize"
)

// blockRows is the number of rows per parallel block. It is fixed (it does
// not depend on GOMAXPROCS) so that the floating-point reduction order, and
// therefore the fitted model, is the same on every machine.
const blockRows = 1024

// constTol is the relative standard deviation below which a column is
// treated as constant and given a zero coefficient.
const constTol = 1e-12

// sigmoid returns 1/(1+exp(-z)) without overflow.
func sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}

// lossAndProb returns softplus(z) = log(1+exp(z)) and sigmoid(z) with a
// single exponential, without overflow.
func lossAndProb(z float64) (sp, sig float64) {
	e := math.Exp(-math.Abs(z))
	if z >= 0 {
		return z + math.Log1p(e), 1 / (1 + e)
	}
	return math.Log1p(e), e / (1 + e)
}

// checkX validates the design matrix and returns its number of columns.
func checkX(X [][]float64) (int, error) {
	if len(X) == 0 {
		return 0, errors.New("linear: no rows")
	}
	p := len(X[0])
	for i, row := range X {
		if len(row) != p {
			return 0, fmt.Errorf("linear: row %d has %d columns, want %d", i, len(row), p)
		}
		for j, v := range row {
			if math.IsNaN(v) {
				return 0, fmt.Errorf("linear: X[%d][%d] is NaN", i, j)
			}
			if math.IsInf(v, 0) {
				return 0, fmt.Errorf("linear: X[%d][%d] is %v", i, j, v)
			}
		}
	}
	return p, nil
}

// scaler holds the weighted column means and standard deviations of X and
// the list of non-constant ("active") columns.
type scaler struct {
	mean   []float64
	invStd []float64 // 1/std for active columns, 0 otherwise
	active []int
}

// newScaler computes weighted column statistics over the given rows (all
// rows when rows is nil). w may be nil (unit weights). Two passes are used
// for numerical stability.
func newScaler(X [][]float64, rows []int, w []float64, p int) scaler {
	n := len(X)
	if rows != nil {
		n = len(rows)
	}
	row := func(k int) int {
		if rows != nil {
			return rows[k]
		}
		return k
	}
	wt := func(i int) float64 {
		if w == nil {
			return 1
		}
		return w[i]
	}
	s := scaler{mean: make([]float64, p), invStd: make([]float64, p)}
	var sw float64
	for k := range n {
		i := row(k)
		wi := wt(i)
		sw += wi
		for j, v := range X[i] {
			s.mean[j] += wi * v
		}
	}
	for j := range s.mean {
		s.mean[j] /= sw
	}
	vr := make([]float64, p)
	for k := range n {
		i := row(k)
		wi := wt(i)
		for j, v := range X[i] {
			d := v - s.mean[j]
			vr[j] += wi * d * d
		}
	}
	for j := range vr {
		sd := math.Sqrt(vr[j] / sw)
		if sd > constTol*(1+math.Abs(s.mean[j])) {
			s.invStd[j] = 1 / sd
			s.active = append(s.active, j)
		}
	}
	return s
}

// blockEval evaluates a separable objective over n rows in fixed blocks of
// blockRows rows, in parallel, and reduces the per-block loss and gradient
// in block order. fn writes its block's gradient into grad, which has
// length dim and is zeroed before each block (so it may add or assign).
type blockEval struct {
	n, dim  int
	loss    []float64
	grads   []float64
	workers int
}

func newBlockEval(n, dim int) *blockEval {
	nb := (n + blockRows - 1) / blockRows
	return &blockEval{
		n:       n,
		dim:     dim,
		loss:    make([]float64, nb),
		grads:   make([]float64, nb*dim),
		workers: min(runtime.GOMAXPROCS(0), nb),
	}
}

func (b *blockEval) run(ctx context.Context, grad []float64, fn func(lo, hi int, grad []float64) float64) float64 {
	nb := len(b.loss)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range b.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				k := int(next.Add(1)) - 1
				if k >= nb || ctx.Err() != nil {
					return
				}
				g := b.grads[k*b.dim : (k+1)*b.dim]
				clear(g)
				lo := k * blockRows
				b.loss[k] = fn(lo, min(lo+blockRows, b.n), g)
			}
		}()
	}
	wg.Wait()
	clear(grad)
	var f float64
	for k := range nb {
		f += b.loss[k]
		g := b.grads[k*b.dim : (k+1)*b.dim]
		for j, v := range g {
			grad[j] += v
		}
	}
	return f
}

// minimize runs L-BFGS on an objective whose value and gradient are computed
// together by eval. It returns ctx.Err() if the context is cancelled.
func minimize(ctx context.Context, x0 []float64, maxIter int, tol float64, eval func(x, grad []float64) float64) ([]float64, error) {
	dim := len(x0)
	var (
		cx    = make([]float64, dim)
		cg    = make([]float64, dim)
		cf    float64
		valid bool
	)
	at := func(x []float64) {
		if valid && equal(cx, x) {
			return
		}
		copy(cx, x)
		cf = eval(cx, cg)
		valid = ctx.Err() == nil
	}
	prob := optimize.Problem{
		Func: func(x []float64) float64 { at(x); return cf },
		Grad: func(grad, x []float64) { at(x); copy(grad, cg) },
		Status: func() (optimize.Status, error) {
			if err := ctx.Err(); err != nil {
				return optimize.Failure, err
			}
			return optimize.NotTerminated, nil
		},
	}
	settings := &optimize.Settings{
		GradientThreshold: tol,
		MajorIterations:   maxIter,
		Converger:         &optimize.FunctionConverge{Absolute: 1e-15, Relative: 1e-15, Iterations: 20},
	}
	res, err := optimize.Minimize(prob, x0, settings, &optimize.LBFGS{})
	if cerr := ctx.Err(); cerr != nil {
		return nil, cerr
	}
	if res == nil || !finite(res.X) || math.IsNaN(res.F) || math.IsInf(res.F, 0) {
		if err == nil {
			err = errors.New("non-finite solution")
		}
		return nil, fmt.Errorf("linear: optimisation failed: %w", err)
	}
	if err != nil {
		// gonum reports a line search that cannot decrease the objective
		// any further as an error. Close to the optimum that is only
		// rounding, and the location found is the answer; anywhere else
		// (a gradient still far from zero) it is a failure.
		lineSearch := errors.Is(err, optimize.ErrLinesearcherFailure) || errors.Is(err, optimize.ErrNoProgress) || errors.Is(err, optimize.ErrNonDescentDirection)
		grad := make([]float64, dim)
		eval(res.X, grad)
		if g := maxAbs(grad); !lineSearch || !(g <= nearOptimum*max(tol, 1e-8)) {
			return nil, fmt.Errorf("linear: optimisation failed with gradient %.3g: %w", g, err)
		}
	}
	return res.X, nil
}

// nearOptimum is how many times the convergence tolerance the gradient may
// still be when a line search gives up, for the location to be accepted.
const nearOptimum = 100

func maxAbs(x []float64) float64 {
	m := 0.0
	for _, v := range x {
		m = max(m, math.Abs(v))
	}
	return m
}

func equal(a, b []float64) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func finite(x []float64) bool {
	for _, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}
