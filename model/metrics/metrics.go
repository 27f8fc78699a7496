// Package metrics provides evaluation metrics for binary probabilistic
// classifiers and simple regression errors.
//
// All functions operate on plain slices. Unless stated otherwise:
//
//   - p holds predicted probabilities in [0, 1];
//   - y holds binary labels, 0 (negative) or 1 (positive);
//   - w holds optional non-negative sample weights; a nil w means every
//     sample has weight 1.
//
// Functions panic when slice lengths do not match (a programming error, in
// the style of gonum/floats) and return NaN when a metric is undefined for
// the data (for example an empty input or AUC with a single class).
package metrics

import (
	"fmt"
	"math"
	"sort"
)

// Clip is the probability clipping used by LogLoss: probabilities are
// clamped to [Clip, 1-Clip] before taking logarithms.
const Clip = 1e-15

func checkLen(name string, p, y, w []float64) {
	if len(p) != len(y) {
		panic(fmt.Sprintf("metrics: %s: len(p)=%d != len(y)=%d", name, len(p), len(y)))
	}
	if w != nil && len(w) != len(p) {
		panic(fmt.Sprintf("metrics: %s: len(w)=%d != len(p)=%d", name, len(w), len(p)))
	}
}

func weight(w []float64, i int) float64 {
	if w == nil {
		return 1
	}
	return w[i]
}

func isPositive(name string, v float64) bool {
	switch v {
	case 1:
		return true
	case 0:
		return false
	}
	panic(fmt.Sprintf("metrics: %s: label %v is not 0 or 1", name, v))
}

// AUC returns the (weighted) area under the ROC curve of scores p for binary
// labels y, computed from ranks as the weighted Mann–Whitney statistic
//
//	AUC = Σ_{i∈pos} Σ_{j∈neg} w_i w_j (1[p_i > p_j] + ½·1[p_i = p_j]) / (W₊ W₋)
//
// so tied scores count one half. p may be any real-valued score. y values
// must be exactly 0 or 1 (AUC panics otherwise). w may be nil. AUC returns
// NaN if either class has zero total weight. It panics if the lengths of p,
// y and w (when non-nil) differ. The cost is O(n log n).
func AUC(p, y, w []float64) float64 {
	checkLen("AUC", p, y, w)
	idx := make([]int, len(p))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return p[idx[a]] < p[idx[b]] })
	var negBelow, num, wPos, wNeg float64
	for s := 0; s < len(idx); {
		e := s
		var gPos, gNeg float64
		for e < len(idx) && p[idx[e]] == p[idx[s]] {
			i := idx[e]
			if isPositive("AUC", y[i]) {
				gPos += weight(w, i)
			} else {
				gNeg += weight(w, i)
			}
			e++
		}
		num += gPos * (negBelow + 0.5*gNeg)
		negBelow += gNeg
		wPos += gPos
		wNeg += gNeg
		s = e
	}
	if wPos == 0 || wNeg == 0 {
		return math.NaN()
	}
	return num / (wPos * wNeg)
}

// Brier returns the mean squared difference between p and y. Labels may be
// any value in [0, 1] (soft labels are allowed). It returns NaN for empty
// input and panics on mismatched lengths.
func Brier(p, y []float64) float64 { return WeightedBrier(p, y, nil) }

// WeightedBrier is Brier with optional weights w (nil means unit weights).
// It returns NaN if the total weight is zero.
func WeightedBrier(p, y, w []float64) float64 {
	checkLen("Brier", p, y, w)
	var s, sw float64
	for i := range p {
		wi := weight(w, i)
		d := p[i] - y[i]
		s += wi * d * d
		sw += wi
	}
	if sw == 0 {
		return math.NaN()
	}
	return s / sw
}

// LogLoss returns the mean negative log-likelihood (natural log)
//
//	−(1/n) Σ [y_i log p_i + (1−y_i) log(1−p_i)]
//
// with p clipped to [Clip, 1−Clip]. Labels may be any value in [0, 1]. It
// returns NaN for empty input and panics on mismatched lengths.
func LogLoss(p, y []float64) float64 { return WeightedLogLoss(p, y, nil) }

// WeightedLogLoss is LogLoss with optional weights w (nil means unit
// weights): −Σ w_i [y_i log p_i + (1−y_i) log(1−p_i)] / Σ w_i. It returns
// NaN if the total weight is zero.
func WeightedLogLoss(p, y, w []float64) float64 {
	checkLen("LogLoss", p, y, w)
	var s, sw float64
	for i := range p {
		wi := weight(w, i)
		pi := math.Min(math.Max(p[i], Clip), 1-Clip)
		s -= wi * (y[i]*math.Log(pi) + (1-y[i])*math.Log1p(-pi))
		sw += wi
	}
	if sw == 0 {
		return math.NaN()
	}
	return s / sw
}

// MAE returns the mean absolute difference between a and b. It returns NaN
// for empty inputs and panics if the lengths differ.
func MAE(a, b []float64) float64 {
	if len(a) != len(b) {
		panic(fmt.Sprintf("metrics: MAE: len(a)=%d != len(b)=%d", len(a), len(b)))
	}
	if len(a) == 0 {
		return math.NaN()
	}
	var s float64
	for i := range a {
		s += math.Abs(a[i] - b[i])
	}
	return s / float64(len(a))
}

// binOf returns the equal-width bin of probability v in [0, 1]; values
// outside [0, 1] are clamped, and v = 1 falls into the last bin.
func binOf(v float64, bins int) int {
	b := int(v * float64(bins))
	if b < 0 || math.IsNaN(v) {
		return 0
	}
	if b >= bins {
		return bins - 1
	}
	return b
}

// CalibrationBin summarises one equal-width probability bin.
type CalibrationBin struct {
	Lo            float64 `json:"lo"`             // inclusive lower edge
	Hi            float64 `json:"hi"`             // upper edge (exclusive except for the last bin)
	MeanPredicted float64 `json:"mean_predicted"` // mean of p in the bin
	Observed      float64 `json:"observed"`       // mean of y in the bin
	Count         int     `json:"count"`          // number of samples in the bin
}

// CalibrationTable splits [0, 1] into bins equal-width bins, bin b covering
// [b/bins, (b+1)/bins) with the last bin closed, and returns for each
// non-empty bin the mean prediction, the observed rate and the count, in
// increasing order of probability. Empty bins are omitted so that the result
// contains no NaN and is JSON-encodable. Predictions outside [0, 1] are
// clamped into the first or last bin. It panics if bins < 1 or the lengths
// of p and y differ.
func CalibrationTable(p, y []float64, bins int) []CalibrationBin {
	checkLen("CalibrationTable", p, y, nil)
	if bins < 1 {
		panic("metrics: CalibrationTable: bins < 1")
	}
	sumP := make([]float64, bins)
	sumY := make([]float64, bins)
	cnt := make([]int, bins)
	for i, v := range p {
		b := binOf(v, bins)
		sumP[b] += v
		sumY[b] += y[i]
		cnt[b]++
	}
	var out []CalibrationBin
	for b := range bins {
		if cnt[b] == 0 {
			continue
		}
		n := float64(cnt[b])
		out = append(out, CalibrationBin{
			Lo:            float64(b) / float64(bins),
			Hi:            float64(b+1) / float64(bins),
			MeanPredicted: sumP[b] / n,
			Observed:      sumY[b] / n,
			Count:         cnt[b],
		})
	}
	return out
}

// ECE returns the expected calibration error with bins equal-width bins
// (see CalibrationTable):
//
//	ECE = Σ_b (n_b / n) |mean(p in b) − mean(y in b)|
//
// It returns NaN for empty input and panics if bins < 1 or the lengths of p
// and y differ.
func ECE(p, y []float64, bins int) float64 {
	tab := CalibrationTable(p, y, bins)
	if len(p) == 0 {
		return math.NaN()
	}
	var s float64
	for _, b := range tab {
		s += float64(b.Count) * math.Abs(b.MeanPredicted-b.Observed)
	}
	return s / float64(len(p))
}

// ConfusionMatrix is a binary confusion matrix (counts).
type ConfusionMatrix struct {
	TP int `json:"tp"`
	FP int `json:"fp"`
	TN int `json:"tn"`
	FN int `json:"fn"`
}

// Confusion returns the confusion matrix obtained by predicting positive
// when p_i ≥ threshold. y values must be 0 or 1; Confusion panics
// otherwise or if the lengths differ.
func Confusion(p, y []float64, threshold float64) ConfusionMatrix {
	checkLen("Confusion", p, y, nil)
	var c ConfusionMatrix
	for i, v := range p {
		pos := isPositive("Confusion", y[i])
		pred := v >= threshold
		switch {
		case pred && pos:
			c.TP++
		case pred && !pos:
			c.FP++
		case !pred && pos:
			c.FN++
		default:
			c.TN++
		}
	}
	return c
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// Total returns the number of samples.
func (c ConfusionMatrix) Total() int { return c.TP + c.FP + c.TN + c.FN }

// Accuracy returns (TP+TN)/total, or 0 for an empty matrix.
func (c ConfusionMatrix) Accuracy() float64 { return ratio(c.TP+c.TN, c.Total()) }

// Precision returns TP/(TP+FP) for the positive class, or 0 if nothing was
// predicted positive.
func (c ConfusionMatrix) Precision() float64 { return ratio(c.TP, c.TP+c.FP) }

// Recall returns TP/(TP+FN) for the positive class, or 0 if there are no
// positives.
func (c ConfusionMatrix) Recall() float64 { return ratio(c.TP, c.TP+c.FN) }

// F1 returns the F1 score of the positive class, 2TP/(2TP+FP+FN), or 0 when
// undefined.
func (c ConfusionMatrix) F1() float64 { return ratio(2*c.TP, 2*c.TP+c.FP+c.FN) }

// MacroF1 returns the unweighted mean of the F1 scores of the positive and
// the negative class. An undefined per-class F1 (class absent and never
// predicted) counts as 0, as in scikit-learn's default.
func (c ConfusionMatrix) MacroF1() float64 {
	neg := ratio(2*c.TN, 2*c.TN+c.FN+c.FP)
	return (c.F1() + neg) / 2
}
