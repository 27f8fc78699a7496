package model

import (
	"errors"
	"math"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
	"github.com/dsopilot/dsopilot/model/calib"
)

// grid spreads n predictions evenly over [lo, hi].
func grid(n int, lo, hi float64) []float64 {
	p := make([]float64, n)
	for i := range p {
		p[i] = lo + (hi-lo)*float64(i)/float64(n-1)
	}
	return p
}

// lateAbove labels p late where p ≥ cut: a model whose calibration is off
// by cut − 0.5 near the middle.
func lateAbove(p []float64, cut float64) []float64 {
	y := make([]float64, len(p))
	for i, v := range p {
		if v >= cut {
			y[i] = 1
		}
	}
	return y
}

// cycleFolds assigns prediction i to fold i mod k.
func cycleFolds(n, k int) []int {
	f := make([]int, n)
	for i := range f {
		f[i] = i % k
	}
	return f
}

func TestChooseThreshold(t *testing.T) {
	p := grid(1000, 0.2, 0.9)
	// In fold 1 the shift to 0.62 is wrong: every prediction it would call
	// on time there was late.
	splitFolds := make([]int, len(p))
	ySplit := lateAbove(p, 0.62)
	for i, v := range p {
		if v >= 0.5 && v < 0.62 && i%2 == 1 {
			splitFolds[i], ySplit[i] = 1, 1
		}
	}
	// Just above 0.5, three in five on time: a shift up gains a few
	// invoices of the dozen it calls differently.
	pNoise := grid(400, 0.2, 0.9)
	yNoise := lateAbove(pNoise, 0.5)
	for i, v := range pNoise {
		if v >= 0.5 && v < 0.53 && i%5 < 3 {
			yNoise[i] = 0
		}
	}
	for _, c := range []struct {
		name string
		p, y []float64
		fold []int
		want float64
	}{
		{"calibrated at 0.5 keeps 0.5", p, lateAbove(p, 0.5), cycleFolds(len(p), 3), 0.5},
		{"a clear shift in every fold is taken", p, lateAbove(p, 0.62), cycleFolds(len(p), 3), 0.62},
		{"a shift downward is taken too", p, lateAbove(p, 0.40), nil, 0.40},
		{"a shift a fold contradicts is not", p, ySplit, splitFolds, 0.5},
		{"a gain within noise is not", pNoise, yNoise, nil, 0.5},
		{"too few predictions", p[:minThresholdRows-1], lateAbove(p[:minThresholdRows-1], 0.3), nil, 0.5},
		{"one outcome only", p, make([]float64, len(p)), nil, 0.5},
		{"beyond the grid is capped at its edge", p, lateAbove(p, 0.85), nil, thresholdHigh},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := chooseThreshold(c.p, c.y, c.fold)
			// The smoothing may settle a step off the exact cut.
			if math.Abs(got.T-c.want) > thresholdStep+1e-9 {
				t.Fatalf("threshold %.2f, want %.2f (accuracy %.3f, at 0.5 %.3f)", got.T, c.want, got.Acc, got.AccHalf)
			}
			if got.N != len(c.p) {
				t.Fatalf("chosen on %d predictions, want %d", got.N, len(c.p))
			}
			if got.T != defaultThreshold && !(got.Acc > got.AccHalf) {
				t.Fatalf("threshold %.2f kept with accuracy %.3f, no better than 0.5's %.3f", got.T, got.Acc, got.AccHalf)
			}
		})
	}
}

// Each fold's predictions are calibrated by a calibration fitted on the
// other folds only.
func TestCrossCalibratedLeavesEachFoldOut(t *testing.T) {
	n := 300
	margins, y := make([]float64, n), make([]float64, n)
	X := make([][]float64, n)
	rows := make([]int, n)
	for i := range margins {
		margins[i] = float64(i%50)/10 - 2.5
		// Folds 0 and 1 are late above margin 0, fold 2 (the last 100)
		// the other way round: its own calibration would flip the sign.
		late := margins[i] > 0
		if i >= 200 {
			late = !late
		}
		if late {
			y[i] = 1
		}
		if i%7 == 0 { // not separable
			y[i] = 1 - y[i]
		}
		X[i], rows[i] = []float64{0}, i
	}
	ch := &chosen{cv: &cvFit{s: setting{family: FamilyLogistic}, margins: margins, y: y, rows: rows, ends: []int{100, 200, 300}, folds: 3},
		model: &Classifier{Family: FamilyLogistic}, d: design{X: X, y: y}}
	got := ch.crossCalibrated(TrainOptions{}.withDefaults())
	want, err := calib.FitPlatt(margins[:200], y[:200], nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 200; i < n; i++ {
		if w := want.ApplyMargin(margins[i]); math.Abs(got[i]-w) > 1e-9 {
			t.Fatalf("prediction %d (fold 2): %.6f, want %.6f from the calibration of folds 0 and 1", i, got[i], w)
		}
	}
	// Fold 2's own labels run against the margin, so the others'
	// calibration, pulled by them, is flatter than fold 2's would be, but
	// still rising.
	if !(got[49] > got[0]) || !(got[249] > got[200]) {
		t.Fatalf("cross-calibrated probabilities do not rise with the margin: %.3f..%.3f, %.3f..%.3f", got[0], got[49], got[200], got[249])
	}
}

func TestIssueDateRowsAndTheirFolds(t *testing.T) {
	d := datasets.NewDate(2024, 1, 1)
	xs := []features.Example{
		{Row: features.Row{AsOf: d}, IssueDate: d},
		{Row: features.Row{AsOf: d + 20}, IssueDate: d},
		{Row: features.Row{AsOf: d + 3}, IssueDate: d + 3},
		{Row: features.Row{AsOf: d + 5}, IssueDate: d + 5},
	}
	p, y := []float64{0.1, 0.2, 0.3, 0.4}, []float64{0, 1, 0, 1}
	ip, iy, fold := issueDateRows(xs, []int{0, 1, 2, 3}, p, y, []int{2, 4})
	if want := []float64{0.1, 0.3, 0.4}; !equalFloats(ip, want) {
		t.Fatalf("predictions %v, want %v (the issue-date snapshots)", ip, want)
	}
	if want := []float64{0, 0, 1}; !equalFloats(iy, want) {
		t.Fatalf("outcomes %v, want %v", iy, want)
	}
	if want := []int{0, 1, 1}; len(fold) != 3 || fold[0] != want[0] || fold[1] != want[1] || fold[2] != want[2] {
		t.Fatalf("folds %v, want %v", fold, want)
	}
}

func equalFloats(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Metrics call late at the threshold they are given.
func TestScoreCallsAtTheThreshold(t *testing.T) {
	p := []float64{0.2, 0.45, 0.55, 0.8}
	y := []float64{0, 1, 0, 1}
	for _, c := range []struct {
		threshold float64
		acc       float64
	}{{0.5, 0.5}, {0.4, 0.75}, {0.6, 0.75}, {0.9, 0.5}} {
		m := score(p, y, 0.5, c.threshold, nil, nil)
		if m.Accuracy != c.acc || m.Threshold != c.threshold {
			t.Fatalf("at %.2f: accuracy %.3f (threshold recorded %.2f), want %.3f", c.threshold, m.Accuracy, m.Threshold, c.acc)
		}
	}
}

// Training records the threshold it chose, and the score's late call is
// p_late at or above the bundle's threshold, whatever it is; a threshold
// outside [0, 1) marks a damaged bundle.
func TestScoresCallLateAtTheBundlesThreshold(t *testing.T) {
	sc, tab, _ := trainedScorer(t)
	b := sc.b
	if b.ThresholdExamples < minThresholdRows || b.LateThreshold < thresholdLow || b.LateThreshold > thresholdHigh {
		t.Fatalf("trained threshold %.2f on %d predictions, want one of the grid %.2f..%.2f chosen on at least %d", b.LateThreshold, b.ThresholdExamples, thresholdLow, thresholdHigh, minThresholdRows)
	}
	lateCalls := map[float64]int{}
	for _, th := range []float64{0, 0.3, 0.7} {
		bb := *b
		bb.LateThreshold = th
		s, err := NewScorer(&bb, tab.Specs)
		if err != nil {
			t.Fatal(err)
		}
		preds := make([]Prediction, len(tab.Rows))
		if err := s.ScoreBatch(tab.Rows, 0, preds); err != nil {
			t.Fatal(err)
		}
		want := th
		if th == 0 {
			want = defaultThreshold // a bundle from before thresholds
		}
		for _, p := range preds {
			if p.Late != (p.PLate >= want) {
				t.Fatalf("threshold %.2f: invoice %s p_late %.3f called late=%v", want, p.InvoiceID, p.PLate, p.Late)
			}
			if p.Late {
				lateCalls[th]++
			}
		}
	}
	if !(lateCalls[0.3] > lateCalls[0] && lateCalls[0] > lateCalls[0.7]) {
		t.Fatalf("late calls at 0.3, 0.5, 0.7: %d, %d, %d; want fewer as the threshold rises", lateCalls[0.3], lateCalls[0], lateCalls[0.7])
	}
	for _, th := range []float64{-0.1, 1, 1.5} {
		bb := *b
		bb.LateThreshold = th
		if _, err := NewScorer(&bb, tab.Specs); !errors.Is(err, ErrBadBundle) {
			t.Fatalf("threshold %v: err %v, want ErrBadBundle", th, err)
		}
	}
}
