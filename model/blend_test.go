package model

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"

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

// TestFitStackRecoversWeights draws labels from a known stack of three
// margins and checks that the fit finds its weights, and that a member
// whose weight would be negative is left out.
func TestFitStackRecoversWeights(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const n = 40_000
	for _, tc := range []struct {
		name      string
		coef      [blendMembers]float64
		intercept float64
		use       [blendMembers]bool
		want      [blendMembers]float64
		tol       float64
	}{
		{"all three", [3]float64{0.8, 0.5, 0.3}, -0.4, [3]bool{true, true, true}, [3]float64{0.8, 0.5, 0.3}, 0.06},
		{"history unused", [3]float64{0.8, 0.5, 0.3}, -0.4, [3]bool{true, true, false}, [3]float64{0.8, 0.5, 0}, -1},
		// Member 1 counts against lateness: it is dropped, and member 0's
		// weight is then what it is without it (about 1/√(1+0.25·π²/8)).
		{"negative member dropped", [3]float64{1, -0.5, 0}, 0.2, [3]bool{true, true, true}, [3]float64{0.96, 0, 0}, 0.05},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := make([][blendMembers]float64, n)
			y := make([]float64, n)
			for i := range m {
				a := rng.NormFloat64()
				b := rng.NormFloat64()
				m[i] = [blendMembers]float64{a, b, rng.NormFloat64()}
				s := tc.intercept
				for j, c := range tc.coef {
					s += c * m[i][j]
				}
				if rng.Float64() < sigmoid(s) {
					y[i] = 1
				}
			}
			w, ic, err := fitStack(m, y, tc.use)
			if err != nil {
				t.Fatal(err)
			}
			for j := range w {
				if (!tc.use[j] || tc.want[j] == 0 && tc.coef[j] < 0) && w[j] != 0 {
					t.Errorf("unused member %d has weight %v", j, w[j])
				}
				if w[j] < 0 {
					t.Errorf("member %d has negative weight %v", j, w[j])
				}
			}
			if tc.tol < 0 {
				// Leaving out a real member biases the rest; only its
				// absence and the signs are checked.
				if w[0] <= 0 || w[1] <= 0 {
					t.Errorf("weights %v: both members should count", w)
				}
				return
			}
			for j := range w {
				if math.Abs(w[j]-tc.want[j]) > tc.tol {
					t.Errorf("weights %v, want %v ± %v", w, tc.want, tc.tol)
				}
			}
			if math.Abs(ic-tc.intercept) > tc.tol {
				t.Errorf("intercept %v, want %v ± %v", ic, tc.intercept, tc.tol)
			}
		})
	}
	if _, _, err := fitStack(make([][blendMembers]float64, 3), []float64{1, 1, 1}, [3]bool{true, true, true}); err == nil {
		t.Error("a stack of one class fitted")
	}
}

// TestBlendMarginAndContributions checks a blend's margin against its
// members' and that its contributions add up to it, before and after a
// JSON round trip.
func TestBlendMarginAndContributions(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	// Tree columns: settled late, settled, a signal; linear columns: the
	// signal and a missing indicator.
	var dt, dl design
	for range 800 {
		settled := float64(rng.IntN(6))
		late := math.Floor(settled * rng.Float64())
		sig := rng.NormFloat64()
		xt := []float64{late, settled, sig}
		if settled == 0 {
			xt[0] = math.NaN()
		}
		y := 0.0
		if rng.Float64() < sigmoid(sig+0.3*late) {
			y = 1
		}
		dt.X, dt.y = append(dt.X, xt), append(dt.y, y)
		dl.X, dl.y = append(dl.X, []float64{sig, 0}), append(dl.y, y)
	}
	ctx := context.Background()
	tree, err := trainClassifier(ctx, setting{family: FamilyGBDT, gbdt: gbdt.Params{Trees: 20, MaxDepth: 3, LearningRate: 0.1}}, dt.X, dt.y, nil, nil, []string{"a", "b", "c"}, 1)
	if err != nil {
		t.Fatal(err)
	}
	lin, err := trainClassifier(ctx, setting{family: FamilyLogistic, l2: 1e-3}, dl.X, dl.y, nil, nil, []string{"c", "m"}, 1)
	if err != nil {
		t.Fatal(err)
	}
	c := &Classifier{Family: FamilyBlend, Blend: &Blend{Tree: tree, Linear: lin, TreeWidth: 3, HistLate: 0, HistSettled: 1, Shrink: 2, Base: 0.4,
		Coef: [3]float64{0.6, 0.5, 0.4}, Intercept: -0.1}}
	var back Classifier
	raw, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	if err := back.load(); err != nil {
		t.Fatal(err)
	}
	if back.width() != 5 {
		t.Fatalf("width %d, want 5", back.width())
	}
	for i := range 50 {
		x := append(append([]float64(nil), dt.X[i]...), dl.X[i]...)
		late, settled := dt.X[i][0], dt.X[i][1]
		if math.IsNaN(late) {
			late, settled = 0, 0
		}
		want := -0.1 + 0.6*tree.Margin(dt.X[i]) + 0.5*lin.Margin(dl.X[i]) + 0.4*math.Log((late+0.8)/(settled+2-late-0.8))
		for _, cl := range []*Classifier{c, &back} {
			if got := cl.Margin(x); math.Abs(got-want) > 1e-9 {
				t.Fatalf("row %d: margin %v, want %v", i, got, want)
			}
			out := make([]float64, 5)
			sum := cl.Contributions(x, out)
			for _, v := range out {
				sum += v
			}
			if math.Abs(sum-want) > 1e-9 {
				t.Fatalf("row %d: contributions sum to %v, margin %v", i, sum, want)
			}
		}
	}
}
