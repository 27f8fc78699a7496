package metrics

import (
	"encoding/json"
	"fmt"
	"math"
	"testing"
)

const tol = 1e-12

func near(a, b, tol float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Abs(a-b) <= tol
}

func TestAUC(t *testing.T) {
	for _, tc := range []struct {
		name    string
		p, y, w []float64
		want    float64
	}{
		{"classic", []float64{0.1, 0.4, 0.35, 0.8}, []float64{0, 0, 1, 1}, nil, 0.75},
		{"tie across classes", []float64{0.1, 0.5, 0.5, 0.9}, []float64{0, 1, 0, 1}, nil, 0.875},
		{"all tied", []float64{0.2, 0.2, 0.2, 0.2}, []float64{0, 1, 0, 1}, nil, 0.5},
		{"perfect", []float64{0.1, 0.2, 0.3, 0.4}, []float64{0, 0, 1, 1}, nil, 1},
		{"reversed", []float64{0.4, 0.3, 0.2, 0.1}, []float64{0, 0, 1, 1}, nil, 0},
		{"weighted", []float64{0.1, 0.4, 0.35, 0.8}, []float64{0, 0, 1, 1}, []float64{1, 2, 1, 1}, 4.0 / 6},
		{"weights equal duplication", []float64{0.1, 0.4, 0.4, 0.35, 0.8}, []float64{0, 0, 0, 1, 1}, nil, 4.0 / 6},
		{"zero weight ignored", []float64{0.1, 0.4, 0.35, 0.8, 0.99}, []float64{0, 0, 1, 1, 0}, []float64{1, 1, 1, 1, 0}, 0.75},
		{"one class", []float64{0.1, 0.2}, []float64{1, 1}, nil, math.NaN()},
		{"empty", nil, nil, nil, math.NaN()},
	} {
		if got := AUC(tc.p, tc.y, tc.w); !near(got, tc.want, tol) {
			t.Errorf("%s: AUC = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestAUCMatchesPairCount(t *testing.T) {
	// Brute-force O(n²) pair counting on data with many ties.
	n := 200
	p := make([]float64, n)
	y := make([]float64, n)
	w := make([]float64, n)
	for i := range n {
		p[i] = float64((i*37)%11) / 10
		y[i] = float64((i * 13) % 3 % 2)
		w[i] = 0.5 + float64(i%4)
	}
	var num, den float64
	for i := range n {
		for j := range n {
			if y[i] == 1 && y[j] == 0 {
				ww := w[i] * w[j]
				den += ww
				switch {
				case p[i] > p[j]:
					num += ww
				case p[i] == p[j]:
					num += ww / 2
				}
			}
		}
	}
	if got, want := AUC(p, y, w), num/den; !near(got, want, 1e-12) {
		t.Errorf("AUC = %v, brute force %v", got, want)
	}
}

func TestScores(t *testing.T) {
	for _, tc := range []struct {
		name string
		got  float64
		want float64
	}{
		{"brier", Brier([]float64{0.1, 0.9, 0.8}, []float64{0, 1, 0}), 0.22},
		{"brier weighted", WeightedBrier([]float64{0.1, 0.9, 0.8}, []float64{0, 1, 0}, []float64{1, 1, 2}), (0.01 + 0.01 + 1.28) / 4},
		{"brier empty", Brier(nil, nil), math.NaN()},
		{"logloss", LogLoss([]float64{0.5, 0.5}, []float64{1, 0}), math.Ln2},
		{"logloss mixed", WeightedLogLoss([]float64{0.8, 0.25}, []float64{1, 0}, []float64{3, 1}), -(3*math.Log(0.8) + math.Log(0.75)) / 4},
		{"logloss clipped", LogLoss([]float64{0, 1}, []float64{1, 0}), -(math.Log(1e-15) + math.Log1p(-(1 - 1e-15))) / 2},
		{"mae", MAE([]float64{1, 2, 3}, []float64{2, 2, 5}), 1},
		{"mae empty", MAE(nil, nil), math.NaN()},
		{"ece", ECE([]float64{0.1, 0.2, 0.7, 0.9}, []float64{0, 1, 1, 1}, 2), 0.275},
		{"ece p=1 in last bin", ECE([]float64{1, 1}, []float64{1, 1}, 10), 0},
		{"ece perfect bins", ECE([]float64{0.25, 0.25, 0.25, 0.25}, []float64{1, 0, 0, 0}, 10), 0},
		{"ece empty", ECE(nil, nil, 10), math.NaN()},
	} {
		if !near(tc.got, tc.want, 1e-12) {
			t.Errorf("%s: got %v, want %v", tc.name, tc.got, tc.want)
		}
	}
}

func TestCalibrationTable(t *testing.T) {
	tab := CalibrationTable([]float64{0.1, 0.2, 0.7, 0.9, 1}, []float64{0, 1, 1, 1, 0}, 4)
	want := []CalibrationBin{
		{Lo: 0, Hi: 0.25, MeanPredicted: 0.15, Observed: 0.5, Count: 2},
		{Lo: 0.5, Hi: 0.75, MeanPredicted: 0.7, Observed: 1, Count: 1},
		{Lo: 0.75, Hi: 1, MeanPredicted: 0.95, Observed: 0.5, Count: 2},
	}
	if len(tab) != len(want) {
		t.Fatalf("got %d bins, want %d: %+v", len(tab), len(want), tab)
	}
	for i := range want {
		g, w := tab[i], want[i]
		if g.Count != w.Count || !near(g.Lo, w.Lo, tol) || !near(g.Hi, w.Hi, tol) ||
			!near(g.MeanPredicted, w.MeanPredicted, tol) || !near(g.Observed, w.Observed, tol) {
			t.Errorf("bin %d: got %+v, want %+v", i, g, w)
		}
	}
	if _, err := json.Marshal(tab); err != nil {
		t.Errorf("table not JSON-encodable: %v", err)
	}
}

func TestConfusion(t *testing.T) {
	c := Confusion([]float64{0.9, 0.8, 0.3, 0.6, 0.1}, []float64{1, 0, 1, 0, 0}, 0.5)
	if c != (ConfusionMatrix{TP: 1, FP: 2, TN: 1, FN: 1}) {
		t.Fatalf("got %+v", c)
	}
	for _, tc := range []struct {
		name      string
		got, want float64
	}{
		{"accuracy", c.Accuracy(), 0.4},
		{"precision", c.Precision(), 1.0 / 3},
		{"recall", c.Recall(), 0.5},
		{"f1", c.F1(), 0.4},
		{"macro f1", c.MacroF1(), 0.4},
	} {
		if !near(tc.got, tc.want, tol) {
			t.Errorf("%s: got %v, want %v", tc.name, tc.got, tc.want)
		}
	}
	// Threshold is inclusive.
	if c := Confusion([]float64{0.5}, []float64{1}, 0.5); c.TP != 1 {
		t.Errorf("threshold should be inclusive: %+v", c)
	}
	// Degenerate: no positives predicted or present.
	z := Confusion([]float64{0.1, 0.2}, []float64{0, 0}, 0.5)
	if z.Precision() != 0 || z.Recall() != 0 || z.Accuracy() != 1 || z.MacroF1() != 0.5 {
		t.Errorf("degenerate: %+v prec=%v rec=%v acc=%v macro=%v", z, z.Precision(), z.Recall(), z.Accuracy(), z.MacroF1())
	}
	var empty ConfusionMatrix
	if empty.Accuracy() != 0 {
		t.Errorf("empty accuracy = %v", empty.Accuracy())
	}
}

func TestPanics(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    func()
	}{
		{"auc len", func() { AUC([]float64{1}, []float64{1, 0}, nil) }},
		{"auc wlen", func() { AUC([]float64{1, 0}, []float64{1, 0}, []float64{1}) }},
		{"auc label", func() { AUC([]float64{1, 0}, []float64{2, 0}, nil) }},
		{"brier len", func() { Brier([]float64{1}, nil) }},
		{"brier wlen", func() { WeightedBrier([]float64{1}, []float64{1}, []float64{1, 2}) }},
		{"logloss len", func() { LogLoss([]float64{1}, nil) }},
		{"logloss wlen", func() { WeightedLogLoss([]float64{1}, []float64{1}, []float64{}) }},
		{"mae len", func() { MAE([]float64{1}, nil) }},
		{"ece bins", func() { ECE([]float64{1}, []float64{1}, 0) }},
		{"ece len", func() { ECE([]float64{1}, nil, 10) }},
		{"confusion label", func() { Confusion([]float64{1}, []float64{0.5}, 0.5) }},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: expected panic", tc.name)
				}
			}()
			tc.f()
		}()
	}
}

func ExampleAUC() {
	p := []float64{0.1, 0.5, 0.5, 0.9}
	y := []float64{0, 1, 0, 1}
	fmt.Printf("%.3f\n", AUC(p, y, nil))
	// Output: 0.875
}

func ExampleConfusion() {
	c := Confusion([]float64{0.9, 0.8, 0.3, 0.6, 0.1}, []float64{1, 0, 1, 0, 0}, 0.5)
	fmt.Printf("%+v acc=%.2f prec=%.2f rec=%.2f macroF1=%.2f\n",
		c, c.Accuracy(), c.Precision(), c.Recall(), c.MacroF1())
	// Output: {TP:1 FP:2 TN:1 FN:1} acc=0.40 prec=0.33 rec=0.50 macroF1=0.40
}

func ExampleECE() {
	p := []float64{0.1, 0.2, 0.7, 0.9}
	y := []float64{0, 1, 1, 1}
	fmt.Printf("%.3f\n", ECE(p, y, 2))
	// Output: 0.275
}
