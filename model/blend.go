package model

import (
	"errors"
	"fmt"
	"math"

	"github.com/dsopilot/dsopilot/model/calib"
)

// FamilyBlend is a stacked blend of a booster and a logistic regression
// (and, when the features carry it, the customer's own late ratio shrunk
// toward the training rate): a logistic regression on the members' margins,
// fitted on out-of-fold predictions. It reads the tree encoding followed by
// the linear one.
const FamilyBlend = "blend"

// Blend is the stacked model of a FamilyBlend classifier. Its margin is
// Intercept + Coef[0]·tree margin + Coef[1]·linear margin + Coef[2]·history
// margin; a zero weight leaves a member out. The history margin is the
// log-odds of (late + Shrink·Base) / (settled + Shrink), the customer's
// settled-late and settled counts read from tree columns HistLate and
// HistSettled (-1: no history member).
type Blend struct {
	Tree        *Classifier `json:"tree"`
	Linear      *Classifier `json:"linear"`
	TreeWidth   int         `json:"tree_width"`
	HistLate    int         `json:"hist_late"`
	HistSettled int         `json:"hist_settled"`
	Shrink      float64     `json:"shrink"`
	Base        float64     `json:"base"`
	Coef        [3]float64  `json:"coef"`
	Intercept   float64     `json:"intercept"`
}

// blendMembers is the number of a blend's members.
const blendMembers = 3

// histShrink is the pseudo-count of settled invoices the history member's
// late ratio is shrunk by toward the training rate.
const histShrink = 2

// histMargin is the history member's margin of tree-encoded row x.
func (b *Blend) histMargin(x []float64) float64 {
	late, n := 0.0, 0.0
	if b.HistLate >= 0 && b.HistSettled >= 0 {
		late, n = x[b.HistLate], x[b.HistSettled]
		if math.IsNaN(late) || math.IsNaN(n) || n < 0 {
			late, n = 0, 0
		}
	}
	return shrunkLogit(late, n, b.Shrink, b.Base)
}

// shrunkLogit is the log-odds of (late + k·base) / (n + k), kept off 0 and 1.
func shrunkLogit(late, n, k, base float64) float64 {
	p := (late + k*base) / (n + k)
	if n+k <= 0 {
		p = base
	}
	return calib.Logit(min(max(p, 1e-3), 1-1e-3))
}

// members writes the members' margins of x (tree encoding, then linear).
func (b *Blend) members(x []float64, m *[blendMembers]float64) {
	m[0] = b.Tree.Margin(x[:b.TreeWidth])
	m[1] = b.Linear.Margin(x[b.TreeWidth:])
	m[2] = 0
	if b.Coef[2] != 0 {
		m[2] = b.histMargin(x)
	}
}

// Margin is the stacked log-odds of x.
func (b *Blend) Margin(x []float64) float64 {
	var m [blendMembers]float64
	b.members(x, &m)
	s := b.Intercept
	for j, c := range b.Coef {
		s += c * m[j]
	}
	return s
}

// Contributions writes each column's additive share of the margin into out
// (len = the blend's width) and returns the base: the members' own
// contributions weighted by their coefficients, the history member's
// departure from the training rate put on the late-count column.
func (b *Blend) Contributions(x, out []float64) float64 {
	base := b.Intercept
	base += b.Coef[0] * b.Tree.Contributions(x[:b.TreeWidth], out[:b.TreeWidth])
	base += b.Coef[1] * b.Linear.Contributions(x[b.TreeWidth:], out[b.TreeWidth:])
	for j := range out[:b.TreeWidth] {
		out[j] *= b.Coef[0]
	}
	for j := range out[b.TreeWidth:] {
		out[b.TreeWidth+j] *= b.Coef[1]
	}
	if b.Coef[2] != 0 {
		prior := b.Coef[2] * shrunkLogit(0, 0, b.Shrink, b.Base)
		base += prior
		if b.HistLate >= 0 {
			out[b.HistLate] += b.Coef[2]*b.histMargin(x) - prior
		} else {
			base += b.Coef[2]*b.histMargin(x) - prior
		}
	}
	return base
}

func (b *Blend) load() error {
	if b.Tree == nil || b.Linear == nil || b.Tree.Family != FamilyGBDT || b.Linear.Family != FamilyLogistic {
		return errors.New("blend: members must be a booster and a logistic regression")
	}
	return b.Tree.load()
}

// stackRidge is the ridge penalty (on the mean log loss) of the stacking
// regression: enough to keep two nearly collinear margins apart.
const stackRidge = 1e-3

// fitStack fits the stacking regression of y on the members' margins m
// (row i: m[i]) by Newton's method, using only the members use marks.
// A member whose weight comes out negative is dropped and the rest refitted,
// so that every kept member pushes the score its own way. It returns the
// weights (zero for a member left out) and the intercept.
func fitStack(m [][blendMembers]float64, y []float64, use [blendMembers]bool) ([blendMembers]float64, float64, error) {
	if len(m) != len(y) || len(y) == 0 {
		return [blendMembers]float64{}, 0, fmt.Errorf("stack: %d margins, %d labels", len(m), len(y))
	}
	pos := positives(y)
	if pos == 0 || pos == len(y) {
		return [blendMembers]float64{}, 0, fmt.Errorf("stack: %w", calib.ErrOneClass)
	}
	for {
		w, c := newtonStack(m, y, use)
		worst, at := 0.0, -1
		for j, v := range w {
			if use[j] && v < worst {
				worst, at = v, j
			}
		}
		if at < 0 {
			return w, c, nil
		}
		use[at] = false
	}
}

// newtonStack fits the logistic regression of y on the used columns of m
// (and an intercept) with ridge stackRidge on the weights.
func newtonStack(m [][blendMembers]float64, y []float64, use [blendMembers]bool) ([blendMembers]float64, float64) {
	const k = blendMembers + 1 // weights, then the intercept
	var beta [k]float64
	pb := float64(positives(y)) / float64(len(y))
	beta[blendMembers] = math.Log(pb / (1 - pb))
	n := float64(len(y))
	for range 100 {
		var g [k]float64
		var h [k][k]float64
		for i, row := range m {
			var z [k]float64
			for j := range blendMembers {
				if use[j] {
					z[j] = row[j]
				}
			}
			z[blendMembers] = 1
			eta := 0.0
			for j := range k {
				eta += beta[j] * z[j]
			}
			s := sigmoid(eta)
			v := max(s*(1-s), 1e-12)
			for a := range k {
				g[a] += (s - y[i]) * z[a] / n
				for b := range k {
					h[a][b] += v * z[a] * z[b] / n
				}
			}
		}
		for j := range blendMembers {
			g[j] += stackRidge * beta[j]
			h[j][j] += stackRidge
			if !use[j] {
				g[j], beta[j] = 0, 0
				for b := range k {
					h[j][b], h[b][j] = 0, 0
				}
				h[j][j] = 1
			}
		}
		step := solve(h, g)
		moved := 0.0
		for j := range k {
			beta[j] -= step[j]
			moved = max(moved, math.Abs(step[j]))
		}
		if moved < 1e-10 {
			break
		}
	}
	var w [blendMembers]float64
	copy(w[:], beta[:blendMembers])
	return w, beta[blendMembers]
}

// solve solves h·x = g (h symmetric positive definite) by Gaussian
// elimination with partial pivoting.
func solve(h [blendMembers + 1][blendMembers + 1]float64, g [blendMembers + 1]float64) [blendMembers + 1]float64 {
	const k = blendMembers + 1
	for c := range k {
		p := c
		for r := c + 1; r < k; r++ {
			if math.Abs(h[r][c]) > math.Abs(h[p][c]) {
				p = r
			}
		}
		h[c], h[p] = h[p], h[c]
		g[c], g[p] = g[p], g[c]
		for r := c + 1; r < k; r++ {
			f := h[r][c] / h[c][c]
			for j := c; j < k; j++ {
				h[r][j] -= f * h[c][j]
			}
			g[r] -= f * g[c]
		}
	}
	var x [k]float64
	for c := k - 1; c >= 0; c-- {
		s := g[c]
		for j := c + 1; j < k; j++ {
			s -= h[c][j] * x[j]
		}
		x[c] = s / h[c][c]
	}
	return x
}

// fitAverage is the stack that averages the used members' Platt-calibrated
// log-odds with equal weights: each member calibrated on m and y, nothing
// else fitted.
func fitAverage(m [][blendMembers]float64, y []float64, use [blendMembers]bool) ([blendMembers]float64, float64, error) {
	var w [blendMembers]float64
	var ic float64
	k := 0
	for _, u := range use {
		if u {
			k++
		}
	}
	col := make([]float64, len(m))
	for j := range blendMembers {
		if !use[j] {
			continue
		}
		for i := range m {
			col[i] = m[i][j]
		}
		pl, err := calib.FitPlatt(col, y, nil)
		if err != nil {
			return w, 0, fmt.Errorf("stack: member %d: %w", j, err)
		}
		w[j], ic = pl.A/float64(k), ic+pl.B/float64(k)
	}
	return w, ic, nil
}
