package model

import (
	"fmt"
	"math"

	"github.com/dsopilot/dsopilot/features"
	"github.com/dsopilot/dsopilot/model/calib"
)

// HistoryStack calibrates a small window's late-payment model together
// with the customer's own record: the probability is the logistic of
// Intercept + Model·margin + History·h, where h is the log-odds of the
// customer's settled-late count plus Shrink·Base over its settled count plus
// Shrink (its late ratio shrunk toward the training rate Base; Base itself
// for a customer with none). The counts are read from encoded columns Late
// and Settled, which are the same in the tree and the linear encoding. The
// weights are fitted, like Platt scaling, on out-of-fold predictions.
//
// On small ledgers the customer's late ratio alone ranks some draws better
// than the model (see the README's "Small ledgers"): the model learns the
// same ratio among a hundred other features, from too few rows to weigh it
// steadily. Stacked, over 16 real-format draws (scripts/smallledgers.sh
// seeds 0, 7, 13, 29) it brought the mean gap to the simulator's true
// probabilities from 0.1216 to 0.1198; a blend with the logistic regression
// as well did not (0.1207), nor one without the history (0.1228).
type HistoryStack struct {
	Late      int     `json:"late_column"`
	Settled   int     `json:"settled_column"`
	Shrink    float64 `json:"shrink"`
	Base      float64 `json:"base"`
	Model     float64 `json:"model_weight"`
	History   float64 `json:"history_weight"`
	Intercept float64 `json:"intercept"`
	// Flag is the encoded column of the invoice's disputed flag and
	// FlagWeight its weight, when the stack learnt one (zero: none, as in
	// bundles from before it). A rare flag gets no split of its own in a
	// small window's trees: a node needs a hessian sum of 10 or 20 (about
	// 50 or 100 invoices) on each side, more than the flagged invoices of
	// a 2,000-invoice export, so without it the flag a user vouched for
	// (--dispute-opened-after-days) moved no score. One weight, fitted with
	// the others on out-of-fold margins, is what the flagged invoices
	// themselves say about it.
	Flag       int     `json:"flag_column,omitempty"`
	FlagWeight float64 `json:"flag_weight,omitempty"`
	// withFlag: fit FlagWeight (the template's choice, see newHistoryStack).
	withFlag bool
}

// minFlagged is the fewest flagged out-of-fold rows the flag's weight is
// fitted on; with fewer it stays zero.
const minFlagged = 10

// historyShrink is the pseudo-count of settled invoices a customer's late
// ratio is shrunk by toward the training rate.
const historyShrink = 2

// newHistoryStack is the stack's input for an encoding of specs (the
// numeric specs are the encoded row's first columns, in order: Encoder),
// without weights: the columns of the customer's settled and settled-late
// counts over the longest history window, and the training rate base. ok
// is false when the encoding lacks them.
//
// flag is the invoice's flag feature the stack weighs too (nil: none):
// the disputed flag when the user stated when an undated one is known.
// Features are found by their spec (base statistic and window), not by
// a name formatted here: a catalogue renaming a window's suffix could not
// leave the stack silently without its columns.
func newHistoryStack(specs []features.Spec, longest int, base float64, flag *specKey) (HistoryStack, bool) {
	late, okLate := numericPos(specs, specKey{"invoices_settled_late", longest})
	settled, okSettled := numericPos(specs, specKey{"invoices_settled", longest})
	h := HistoryStack{Late: late, Settled: settled, Shrink: historyShrink, Base: base}
	if flag != nil {
		if j, ok := numericPos(specs, *flag); ok {
			h.Flag, h.withFlag = j, true
		}
	}
	return h, okLate && okSettled
}

// numericPos is the column of the numeric feature k in a row encoded from
// specs; ok is false when specs lack it or hold it as categorical.
func numericPos(specs []features.Spec, k specKey) (int, bool) {
	for _, s := range specs {
		if s.Base == k.base && s.Window == k.window {
			if s.Kind != features.Numeric {
				return -1, false
			}
			return features.Find(specs, k.base, k.window)
		}
	}
	return -1, false
}

// flag is the flag term of encoded row x: zero without a weight, and for
// a missing value.
func (h *HistoryStack) flag(x []float64) float64 {
	if h.FlagWeight == 0 || math.IsNaN(x[h.Flag]) {
		return 0
	}
	return h.FlagWeight * x[h.Flag]
}

// flags is the flag column of rows X (nil when the stack weighs none).
func (h *HistoryStack) flags(X [][]float64) []float64 {
	if !h.withFlag {
		return nil
	}
	out := make([]float64, len(X))
	for i, x := range X {
		if v := x[h.Flag]; !math.IsNaN(v) {
			out[i] = v
		}
	}
	return out
}

// history is the customer-history log-odds h of encoded row x.
func (h *HistoryStack) history(x []float64) float64 {
	late, n := x[h.Late], x[h.Settled]
	if math.IsNaN(late) || math.IsNaN(n) || n <= 0 {
		late, n = 0, 0
	}
	return shrunkLogit(late, n, h.Shrink, h.Base)
}

// shrunkLogit is the log-odds of (late + k·base) / (n + k), kept within
// [0.001, 0.999]; base when n + k is 0.
func shrunkLogit(late, n, k, base float64) float64 {
	p := base
	if n+k > 0 {
		p = (late + k*base) / (n + k)
	}
	return calib.Logit(min(max(p, 1e-3), 1-1e-3))
}

// apply is the stacked log-odds of a row x whose model margin is m.
func (h *HistoryStack) apply(m float64, x []float64) float64 {
	return h.Intercept + h.Model*m + h.History*h.history(x) + h.flag(x)
}

// contributions turns the model's contributions (out, returning base) into
// the stack's: scaled by the model's weight, the history's departure from
// the training rate put on the settled-late column.
func (h *HistoryStack) contributions(x, out []float64, base float64) float64 {
	for j := range out {
		out[j] *= h.Model
	}
	h0 := h.History * shrunkLogit(0, 0, h.Shrink, h.Base)
	out[h.Late] += h.History*h.history(x) - h0
	if f := h.flag(x); f != 0 {
		out[h.Flag] += f
	}
	return h.Intercept + h.Model*base + h0
}

// histories is the customer-history log-odds of rows X.
func (h *HistoryStack) histories(X [][]float64) []float64 {
	out := make([]float64, len(X))
	for i, x := range X {
		out[i] = h.history(x)
	}
	return out
}

// fit fits the stack's weights on out-of-sample margins, the rows'
// histories, their flags (nil: none) and labels y. The flag's weight is
// fitted only when at least minFlagged rows carry it. It fails when the
// history's weight comes out zero or negative (the customer's record adds
// nothing the margin lacks), so that the caller keeps Platt scaling.
func (h *HistoryStack) fit(margins, hist, flags, y []float64) error {
	if len(margins) != len(y) || len(hist) != len(y) || len(y) == 0 || (flags != nil && len(flags) != len(y)) {
		return fmt.Errorf("history stack: %d margins, %d histories, %d flags, %d labels", len(margins), len(hist), len(flags), len(y))
	}
	pos := positives(y)
	if pos == 0 || pos == len(y) {
		return fmt.Errorf("history stack: %w", calib.ErrOneClass)
	}
	cols := [][]float64{margins, hist}
	flagged := 0
	for _, v := range flags {
		if v != 0 {
			flagged++
		}
	}
	if flagged >= minFlagged {
		cols = append(cols, flags)
	}
	lambda := []float64{stackRidge, stackRidge}
	if len(cols) == 3 {
		// A prior of N(0, 1) on the flag's log-odds shift, whatever the
		// window's size: the ridge of the other weights is on the mean
		// loss, and would shrink a rare flag the harder the more invoices
		// are not flagged.
		lambda = append(lambda, 1/float64(len(y)))
	}
	beta := newtonLogistic(cols, y, lambda)
	if !(beta[1] > 0) || !(beta[0] > 0) {
		return fmt.Errorf("history stack: weights %.3g (model), %.3g (history): no gain over Platt scaling", beta[0], beta[1])
	}
	h.Model, h.History, h.Intercept, h.FlagWeight = beta[0], beta[1], beta[len(beta)-1], 0
	if len(cols) == 3 {
		h.FlagWeight = beta[2]
	}
	return nil
}

// stackRidge is the ridge penalty (on the mean log loss) of the stack's
// weights: it keeps two nearly collinear inputs apart.
const stackRidge = 1e-3

// newtonLogistic fits the logistic regression of y on the columns cols and
// an intercept by Newton's method with ridge lambda[j] (on the mean loss)
// on weight j (none on the intercept), and returns the weights followed by
// the intercept.
func newtonLogistic(cols [][]float64, y []float64, lambda []float64) []float64 {
	k := len(cols) + 1
	n := float64(len(y))
	beta := make([]float64, k)
	pb := float64(positives(y)) / n
	beta[k-1] = math.Log(pb / (1 - pb))
	z := make([]float64, k)
	for range 100 {
		g := make([]float64, k)
		hs := make([][]float64, k)
		for a := range hs {
			hs[a] = make([]float64, k)
		}
		for i := range y {
			for j, c := range cols {
				z[j] = c[i]
			}
			z[k-1] = 1
			eta := 0.0
			for j := range k {
				eta += beta[j] * z[j]
			}
			s := sigmoid(eta)
			v := max(s*(1-s), 1e-12)
			for a := range k {
				g[a] += (s - y[i]) * z[a] / n
				for b := range k {
					hs[a][b] += v * z[a] * z[b] / n
				}
			}
		}
		for j := range k - 1 {
			g[j] += lambda[j] * beta[j]
			hs[j][j] += lambda[j]
		}
		step := solveDense(hs, g)
		moved := 0.0
		for j := range k {
			if math.IsNaN(step[j]) || math.IsInf(step[j], 0) {
				return beta
			}
			beta[j] -= step[j]
			moved = max(moved, math.Abs(step[j]))
		}
		if moved < 1e-10 {
			break
		}
	}
	return beta
}

// solveDense solves a·x = g (a square, non-singular) by Gaussian
// elimination with partial pivoting; a and g are overwritten.
func solveDense(a [][]float64, g []float64) []float64 {
	k := len(g)
	for c := range k {
		p := c
		for r := c + 1; r < k; r++ {
			if math.Abs(a[r][c]) > math.Abs(a[p][c]) {
				p = r
			}
		}
		a[c], a[p] = a[p], a[c]
		g[c], g[p] = g[p], g[c]
		for r := c + 1; r < k; r++ {
			f := a[r][c] / a[c][c]
			for j := c; j < k; j++ {
				a[r][j] -= f * a[c][j]
			}
			g[r] -= f * g[c]
		}
	}
	x := make([]float64, k)
	for c := k - 1; c >= 0; c-- {
		s := g[c]
		for j := c + 1; j < k; j++ {
			s -= a[c][j] * x[j]
		}
		x[c] = s / a[c][c]
	}
	return x
}
