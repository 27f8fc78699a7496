// Package calib fits probability calibrators on a held-out validation
// slice: Platt scaling (a two-parameter logistic map of the margin) and
// isotonic regression (weighted pool-adjacent-violators).
//
// Both calibrators are plain structs with exported fields, so they can be
// stored in a model registry with encoding/json, and both satisfy
// Calibrator. Fitting functions validate their inputs and return errors
// (see the Err constants) rather than panicking.
package calib

import (
	"fmt"
	"math"
	"slices"
	"sort"
)

// Calibrator maps a raw probability to a calibrated probability.
type Calibrator interface {
	Apply(p float64) float64
}

// Error is the type of the sentinel errors returned by this package; it is a
// string type so that the sentinels are immutable constants. Match them with
// errors.Is.
type Error string

func (e Error) Error() string { return string(e) }

const (
	// ErrEmpty is returned when there are no samples with positive weight.
	ErrEmpty = Error("calib: no samples with positive weight")
	// ErrOneClass is returned when all (weighted) labels belong to one class.
	ErrOneClass = Error("calib: labels contain a single class")
)

// Clip bounds probabilities away from 0 and 1 before taking the logit.
const Clip = 1e-15

// Logit returns log(p/(1−p)) with p clipped to [Clip, 1−Clip].
func Logit(p float64) float64 {
	p = math.Min(math.Max(p, Clip), 1-Clip)
	return math.Log(p / (1 - p))
}

func sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}

func softplus(z float64) float64 {
	if z > 0 {
		return z + math.Log1p(math.Exp(-z))
	}
	return math.Log1p(math.Exp(z))
}

// check validates x (scores), y (labels in [0, 1]) and optional weights w,
// and returns the total weight of positives and negatives.
func check(xname string, x, y, w []float64) (pos, neg float64, err error) {
	if len(y) != len(x) {
		return 0, 0, fmt.Errorf("calib: len(y) = %d, want len(%s) = %d", len(y), xname, len(x))
	}
	if w != nil && len(w) != len(x) {
		return 0, 0, fmt.Errorf("calib: len(w) = %d, want %d", len(w), len(x))
	}
	for i := range x {
		if math.IsNaN(x[i]) || math.IsInf(x[i], 0) {
			return 0, 0, fmt.Errorf("calib: %s[%d] = %v is not finite", xname, i, x[i])
		}
		if !(y[i] >= 0 && y[i] <= 1) {
			return 0, 0, fmt.Errorf("calib: y[%d] = %v not in [0, 1]", i, y[i])
		}
		wi := 1.0
		if w != nil {
			wi = w[i]
			if !(wi >= 0) || math.IsInf(wi, 0) {
				return 0, 0, fmt.Errorf("calib: w[%d] = %v must be finite and non-negative", i, wi)
			}
		}
		pos += wi * y[i]
		neg += wi * (1 - y[i])
	}
	if pos+neg == 0 {
		return 0, 0, ErrEmpty
	}
	if pos == 0 || neg == 0 {
		return 0, 0, ErrOneClass
	}
	return pos, neg, nil
}

// ApplyAll stores c.Apply(p[i]) in out[i]. It panics if len(out) != len(p).
func ApplyAll(c Calibrator, p, out []float64) {
	if len(out) != len(p) {
		panic(fmt.Sprintf("calib: len(out) = %d, want %d", len(out), len(p)))
	}
	for i, v := range p {
		out[i] = c.Apply(v)
	}
}

// Platt is a fitted Platt scaling P(y=1 | m) = sigmoid(A·m + B) of a margin
// (log-odds) m.
type Platt struct {
	A float64 `json:"a"`
	B float64 `json:"b"`
}

// PlattRidge is the ridge strength on (A, B), relative to the weighted mean
// log loss, that keeps the fit finite when the classes are separable.
const PlattRidge = 1e-6

// FitPlatt fits A and B by minimising the weighted mean log loss of
// sigmoid(A·margins_i + B) against y plus PlattRidge/2·(A² + B²), using
// Newton's method with backtracking (the problem is strictly convex).
//
// margins must be finite and must be on the same scale that Apply will see:
// Apply(p) uses Logit(p) as the margin, so pass Logit of the model's
// probabilities (or the raw log-odds of a logistic/boosted model). y
// must be in [0, 1] (soft labels allowed) and w is nil or non-negative.
// It returns ErrEmpty if the total weight is zero and ErrOneClass if one
// class has zero weight; other precondition violations are also errors.
func FitPlatt(margins, y, w []float64) (Platt, error) {
	pos, neg, err := check("margins", margins, y, w)
	if err != nil {
		return Platt{}, err
	}
	sw := pos + neg
	wt := func(i int) float64 {
		if w == nil {
			return 1
		}
		return w[i]
	}
	obj := func(a, b float64) float64 {
		var f float64
		for i, m := range margins {
			eta := a*m + b
			f += wt(i) * (softplus(eta) - y[i]*eta)
		}
		return f/sw + PlattRidge/2*(a*a+b*b)
	}
	// Start from the identity map on the margin scale (A=1, B=0) unless the
	// intercept-only model is better.
	a, b := 1.0, 0.0
	pb := pos / sw
	if b0 := math.Log(pb / (1 - pb)); obj(0, b0) < obj(a, b) {
		a, b = 0, b0
	}
	f := obj(a, b)
	for range 200 {
		var ga, gb, haa, hab, hbb float64
		for i, m := range margins {
			wi := wt(i)
			s := sigmoid(a*m + b)
			r := wi * (s - y[i])
			v := wi * s * (1 - s)
			ga += r * m
			gb += r
			haa += v * m * m
			hab += v * m
			hbb += v
		}
		ga = ga/sw + PlattRidge*a
		gb = gb/sw + PlattRidge*b
		haa = haa/sw + PlattRidge
		hab /= sw
		hbb = hbb/sw + PlattRidge
		if math.Max(math.Abs(ga), math.Abs(gb)) < 1e-12 {
			break
		}
		det := haa*hbb - hab*hab
		da := -(hbb*ga - hab*gb) / det
		db := -(haa*gb - hab*ga) / det
		t := 1.0
		var fn float64
		for range 60 {
			fn = obj(a+t*da, b+t*db)
			if fn <= f+1e-4*t*(ga*da+gb*db) {
				break
			}
			t /= 2
		}
		if fn > f { // no decrease representable: converged
			break
		}
		a, b = a+t*da, b+t*db
		if f-fn <= 1e-16*math.Abs(f) && t*math.Max(math.Abs(da), math.Abs(db)) < 1e-12 {
			break
		}
		f = fn
	}
	if math.IsNaN(a) || math.IsNaN(b) {
		return Platt{}, fmt.Errorf("calib: Platt fit did not converge")
	}
	return Platt{A: a, B: b}, nil
}

// ApplyMargin returns sigmoid(A·m + B).
func (c Platt) ApplyMargin(m float64) float64 { return sigmoid(c.A*m + c.B) }

// Apply returns the calibrated probability of a raw probability p, using
// Logit(p) (clipped) as the margin.
func (c Platt) Apply(p float64) float64 { return c.ApplyMargin(Logit(p)) }

// Isotonic is a fitted isotonic calibration: a non-decreasing piecewise
// linear function through the points (X[i], Y[i]), where X (strictly
// increasing) holds the weighted mean raw probability of each block found
// by pool-adjacent-violators and Y the weighted mean label of that block.
// Inputs below X[0] map to Y[0] and above X[len−1] to Y[len−1].
type Isotonic struct {
	X []float64 `json:"x"`
	Y []float64 `json:"y"`
}

// FitIsotonic fits a weighted isotonic (monotone non-decreasing) regression
// of y on p with the pool-adjacent-violators algorithm. Samples with equal
// p are pooled first, so the fit is a function of p; zero-weight samples
// are ignored. Adjacent blocks are merged only on a strict violation, so
// neighbouring blocks may share a value.
//
// Apply interpolates linearly between block centres (rather than returning
// a step function) to keep ties in the calibrated scores rare; it is still
// non-decreasing and equals the PAV value at every block centre.
//
// p must be finite (any real score works, not only probabilities), y in
// [0, 1] and w nil or non-negative. It returns ErrEmpty if there is no
// positive weight and ErrOneClass if one class has zero weight.
func FitIsotonic(p, y, w []float64) (Isotonic, error) {
	if _, _, err := check("p", p, y, w); err != nil {
		return Isotonic{}, err
	}
	idx := make([]int, 0, len(p))
	for i := range p {
		if w == nil || w[i] > 0 {
			idx = append(idx, i)
		}
	}
	sort.SliceStable(idx, func(a, b int) bool { return p[idx[a]] < p[idx[b]] })
	type block struct{ sw, swx, swy float64 }
	var st []block
	for s := 0; s < len(idx); {
		var g block
		e := s
		for ; e < len(idx) && p[idx[e]] == p[idx[s]]; e++ {
			i := idx[e]
			wi := 1.0
			if w != nil {
				wi = w[i]
			}
			g.sw += wi
			g.swx += wi * p[i]
			g.swy += wi * y[i]
		}
		s = e
		// Pool while the previous block's mean exceeds the current one.
		for len(st) > 0 {
			top := st[len(st)-1]
			if top.swy*g.sw <= g.swy*top.sw {
				break
			}
			g = block{g.sw + top.sw, g.swx + top.swx, g.swy + top.swy}
			st = st[:len(st)-1]
		}
		st = append(st, g)
	}
	c := Isotonic{X: make([]float64, len(st)), Y: make([]float64, len(st))}
	for k, b := range st {
		c.X[k] = b.swx / b.sw
		c.Y[k] = b.swy / b.sw
	}
	// Guard against rounding making the means marginally non-monotone.
	for k := 1; k < len(st); k++ {
		c.Y[k] = math.Max(c.Y[k], c.Y[k-1])
	}
	return c, nil
}

// Apply returns the calibrated value at p (see Isotonic); NaN maps to NaN.
// It panics if c has no points.
func (c Isotonic) Apply(p float64) float64 {
	n := len(c.X)
	if n == 0 {
		panic("calib: Apply on an empty Isotonic")
	}
	if math.IsNaN(p) {
		return p
	}
	if p <= c.X[0] {
		return c.Y[0]
	}
	if p >= c.X[n-1] {
		return c.Y[n-1]
	}
	k, _ := slices.BinarySearch(c.X, p) // c.X[k-1] < p <= c.X[k]
	x0, x1 := c.X[k-1], c.X[k]
	t := (p - x0) / (x1 - x0)
	return c.Y[k-1] + t*(c.Y[k]-c.Y[k-1])
}
