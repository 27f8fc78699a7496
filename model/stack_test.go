package model

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/dsopilot/dsopilot/features"
	"github.com/dsopilot/dsopilot/model/gbdt"
)

func TestShrunkLogit(t *testing.T) {
	for _, tc := range []struct {
		late, n, k, base, want float64
	}{
		{3, 4, 2, 0.5, math.Log(2)},             // (3+1)/6 = 2/3
		{0, 0, 2, 0.3, math.Log(0.3 / 0.7)},     // no history: the base rate
		{5, 5, 0, 0.3, math.Log(0.999 / 0.001)}, // kept off 1
		{1, 9, 10, 0.2, math.Log(3.0 / 16)},     // (1+2)/19
		{0, 0, 0, 0.4, math.Log(0.4 / 0.6)},     // nothing to shrink by
	} {
		if got := shrunkLogit(tc.late, tc.n, tc.k, tc.base); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("shrunkLogit(%v, %v, %v, %v) = %v, want %v", tc.late, tc.n, tc.k, tc.base, got, tc.want)
		}
	}
}

// TestNewtonLogisticRecoversWeights draws labels from a known logistic
// model of two inputs and checks the fitted weights and intercept.
func TestNewtonLogisticRecoversWeights(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, tc := range []struct {
		name string
		beta []float64 // weights, then the intercept
	}{
		{"both count", []float64{0.8, 0.5, -0.4}},
		{"one counts", []float64{1.2, 0, 0.3}},
		{"strong", []float64{2, 1, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const n = 40_000
			a, b, y := make([]float64, n), make([]float64, n), make([]float64, n)
			for i := range y {
				a[i], b[i] = rng.NormFloat64(), 0.5*rng.NormFloat64()+0.3
				if rng.Float64() < sigmoid(tc.beta[0]*a[i]+tc.beta[1]*b[i]+tc.beta[2]) {
					y[i] = 1
				}
			}
			got := newtonLogistic([][]float64{a, b}, y, []float64{0, 0})
			for j := range got {
				if math.Abs(got[j]-tc.beta[j]) > 0.08 {
					t.Errorf("fitted %v, want %v ± 0.08", got, tc.beta)
				}
			}
		})
	}
}

// TestHistoryStackFitsOnlyWhatAdds checks that the stack's history weight
// is found when the customer's record carries signal the margin lacks, and
// that the stack is refused (Platt scaling kept) when it carries none.
func TestHistoryStackFitsOnlyWhatAdds(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	const n = 20_000
	h := HistoryStack{Late: 0, Settled: 1, Shrink: 2, Base: 0.4}
	for _, tc := range []struct {
		name        string
		histWeight  float64 // in the truth
		wantStacked bool
	}{
		{"record adds", 0.7, true},
		{"record adds nothing", -0.4, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			margins, hist, y := make([]float64, n), make([]float64, n), make([]float64, n)
			for i := range y {
				settled := float64(rng.IntN(8))
				late := float64(rng.IntN(int(settled) + 1))
				margins[i] = rng.NormFloat64()
				hist[i] = h.history([]float64{late, settled})
				if rng.Float64() < sigmoid(0.9*margins[i]+tc.histWeight*hist[i]+0.1) {
					y[i] = 1
				}
			}
			s := h
			err := s.fit(margins, hist, nil, y)
			if (err == nil) != tc.wantStacked {
				t.Fatalf("fit error %v, want stacked %v", err, tc.wantStacked)
			}
			if !tc.wantStacked {
				return
			}
			if math.Abs(s.Model-0.9) > 0.06 || math.Abs(s.History-tc.histWeight) > 0.06 || math.Abs(s.Intercept-0.1) > 0.06 {
				t.Errorf("weights model %v, history %v, intercept %v; want 0.9, %v, 0.1 (± 0.06)", s.Model, s.History, s.Intercept, tc.histWeight)
			}
		})
	}
	// A rare flag (2% of rows) with a weight of its own in the truth: the
	// stack recovers it; with fewer than minFlagged flagged rows it is left
	// out (weight zero), however the few rows fell.
	for _, tc := range []struct {
		name   string
		share  float64
		weight float64 // in the truth
		tol    float64
	}{
		{"flag adds", 0.02, 1.5, 0.35}, // 3 standard errors on 400 flagged rows
		{"flag adds, other way", 0.02, -1.2, 0.35},
		{"too few flagged", float64(minFlagged-1) / n, 3, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			margins, hist, flags, y := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
			flagged := 0
			for i := range y {
				settled := float64(rng.IntN(8))
				late := float64(rng.IntN(int(settled) + 1))
				margins[i] = rng.NormFloat64()
				hist[i] = h.history([]float64{late, settled})
				if flagged < minFlagged-1 || tc.share > float64(minFlagged)/n {
					if rng.Float64() < tc.share {
						flags[i] = 1
						flagged++
					}
				}
				if rng.Float64() < sigmoid(0.9*margins[i]+0.7*hist[i]+tc.weight*flags[i]+0.1) {
					y[i] = 1
				}
			}
			s := h
			s.withFlag = true
			if err := s.fit(margins, hist, flags, y); err != nil {
				t.Fatal(err)
			}
			want := tc.weight
			if flagged < minFlagged {
				want = 0
			}
			if math.Abs(s.FlagWeight-want) > tc.tol {
				t.Errorf("%d flagged rows: flag weight %v, want %v (± %v)", flagged, s.FlagWeight, want, tc.tol)
			}
		})
	}
	s := h
	if err := s.fit([]float64{1, 2}, []float64{0, 0}, nil, []float64{1, 1}); err == nil {
		t.Error("a stack fitted on one class")
	}
}

// TestStackedClassifierMarginAndContributions checks a stacked booster's
// margin, batch margins and contributions against the stack's formula,
// before and after a JSON round trip.
func TestStackedClassifierMarginAndContributions(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var X [][]float64
	var y []float64
	for range 800 {
		settled := float64(rng.IntN(6))
		late := math.Floor((settled + 1) * rng.Float64())
		late = min(late, settled)
		x := []float64{late, settled, rng.NormFloat64()}
		if settled == 0 {
			x[0] = math.NaN()
		}
		v := 0.0
		if rng.Float64() < sigmoid(x[2]+0.3*late) {
			v = 1
		}
		X, y = append(X, x), append(y, v)
	}
	c, err := trainClassifier(context.Background(), setting{family: FamilyGBDT, gbdt: gbdt.Params{Trees: 20, MaxDepth: 3, LearningRate: 0.1}}, X, y, nil, nil, []string{"late", "settled", "signal"}, 1)
	if err != nil {
		t.Fatal(err)
	}
	// Column 2 stands in for a flag too: the formula only multiplies it.
	c.History = &HistoryStack{Late: 0, Settled: 1, Shrink: 2, Base: 0.4, Model: 0.6, History: 0.5, Intercept: -0.1, Flag: 2, FlagWeight: 0.8}
	raw, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var back Classifier
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	if err := back.load(); err != nil {
		t.Fatal(err)
	}
	flat := make([]float64, 0, 50*3)
	for _, x := range X[:50] {
		flat = append(flat, x...)
	}
	for _, cl := range []*Classifier{c, &back} {
		batch := make([]float64, 50)
		cl.Margins(flat, 3, batch)
		for i, x := range X[:50] {
			late, settled := x[0], x[1]
			if math.IsNaN(late) {
				late, settled = 0, 0
			}
			// The shrunk ratio (late + 0.8) / (settled + 2) as log-odds.
			want := -0.1 + 0.6*cl.rawMargin(x) + 0.5*math.Log((late+0.8)/(settled+2-late-0.8)) + 0.8*x[2]
			if got := cl.Margin(x); math.Abs(got-want) > 1e-9 {
				t.Fatalf("row %d: margin %v, want %v", i, got, want)
			}
			if math.Abs(batch[i]-want) > 1e-9 {
				t.Fatalf("row %d: batch margin %v, want %v", i, batch[i], want)
			}
			out := make([]float64, 3)
			sum := cl.Contributions(x, out)
			for _, v := range out {
				sum += v
			}
			if math.Abs(sum-want) > 1e-9 {
				t.Fatalf("row %d: contributions sum to %v, margin %v", i, sum, want)
			}
			if p := cl.Calibrate(cl.Margin(x)); math.Abs(p-sigmoid(want)) > 1e-12 {
				t.Fatalf("row %d: probability %v, want the stack's %v", i, p, sigmoid(want))
			}
		}
	}
	if raw2, _ := json.Marshal(&back); string(raw2) != string(raw) {
		t.Error("the stacked classifier does not survive a JSON round trip")
	}
}

// TestTrainedSmallWindowStacksOrPlatts checks that a small window's
// late-payment model is calibrated one way only, and that a bundle whose
// history stack reads past the encoding is refused rather than scored.
func TestTrainedSmallWindowStacksOrPlatts(t *testing.T) {
	sc, tab, _ := trainedScorer(t)
	late := sc.b.Late
	if (late.History == nil) == (late.Platt == nil) {
		t.Fatalf("history stack %v and Platt scaling %v: want exactly one", late.History, late.Platt)
	}
	if late.History != nil && (late.History.Model <= 0 || late.History.History <= 0) {
		t.Fatalf("a stack kept with weights %+v", late.History)
	}
	b := *sc.b
	bad := *late
	for _, h := range []HistoryStack{
		{Late: sc.width, Settled: 0, Shrink: 2, Base: 0.5, Model: 1, History: 1},
		{Late: 0, Settled: 0, Shrink: 2, Base: 0.5, Model: 1, History: 1, Flag: sc.width, FlagWeight: 1},
	} {
		bad.History = &h
		b.Late = &bad
		if _, err := NewScorer(&b, tab.Specs); !errors.Is(err, ErrBadBundle) {
			t.Fatalf("NewScorer of a stack past the columns (%+v): %v, want ErrBadBundle", h, err)
		}
	}
}

// The stack finds its columns by spec, whatever windows the catalogue is
// given: with custom windows the longest one's counts are read, a flag
// only when asked for and numeric, and an encoding without the longest
// window's counts has no stack.
func TestHistoryStackFindsItsColumnsBySpec(t *testing.T) {
	flag := &specKey{base: "inv_disputed"}
	for _, c := range []struct {
		name     string
		windows  []int
		longest  int
		flag     *specKey
		ok, with bool
	}{
		{"default windows", nil, 365, flag, true, true},
		{"custom windows", []int{60, 120}, 120, flag, true, true},
		{"no flag asked", nil, 365, nil, true, false},
		{"window not encoded", []int{60, 120}, 365, flag, false, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			specs := features.InvoiceSpecs(features.Options{Windows: c.windows})
			h, ok := newHistoryStack(specs, c.longest, 0.3, c.flag)
			if ok != c.ok || h.withFlag != c.with {
				t.Fatalf("ok %v, flag %v; want %v, %v", ok, h.withFlag, c.ok, c.with)
			}
			var names []string
			for _, s := range specs {
				if s.Kind == features.Numeric {
					names = append(names, s.Name)
				}
			}
			if ok {
				if got, want := names[h.Late], fmt.Sprintf("invoices_settled_late_%dd", c.longest); got != want {
					t.Errorf("late column %q, want %q", got, want)
				}
				if got, want := names[h.Settled], fmt.Sprintf("invoices_settled_%dd", c.longest); got != want {
					t.Errorf("settled column %q, want %q", got, want)
				}
			}
			if h.withFlag && names[h.Flag] != "inv_disputed" {
				t.Errorf("flag column %q, want inv_disputed", names[h.Flag])
			}
		})
	}
}
