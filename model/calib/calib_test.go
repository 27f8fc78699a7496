package calib

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/model/metrics"
)

func TestIsotonicHand(t *testing.T) {
	for _, tc := range []struct {
		name         string
		p, y, w      []float64
		wantX, wantY []float64
	}{
		{
			name:  "unweighted",
			p:     []float64{0.5, 0.1, 0.3, 0.2, 0.4},
			y:     []float64{1, 1, 1, 0, 0},
			wantX: []float64{0.15, 0.35, 0.5},
			wantY: []float64{0.5, 0.5, 1},
		},
		{
			// (1,0) (2,1) (3,0)×3 (4,1): blocks {1}, {2,3} pooled to
			// (1·1+3·0)/4 = 0.25 with centre (2+9)/4 = 2.75, and {4}.
			name:  "weighted",
			p:     []float64{1, 2, 3, 4},
			y:     []float64{0, 1, 0, 1},
			w:     []float64{1, 1, 3, 1},
			wantX: []float64{1, 2.75, 4},
			wantY: []float64{0, 0.25, 1},
		},
		{
			// Ties in p are pooled before PAV; zero weights are ignored.
			name:  "ties and zero weight",
			p:     []float64{0.2, 0.2, 0.6, 0.9, 0.6},
			y:     []float64{1, 0, 1, 0, 0},
			w:     []float64{1, 1, 1, 0, 1},
			wantX: []float64{0.2, 0.6},
			wantY: []float64{0.5, 0.5},
		},
		{
			// Cascade: 0 after 0.6 pools to 0.3, which then violates
			// 0.4 and pools to 1/3; 0.2 ≤ 1/3 stops the cascade.
			name:  "cascade",
			p:     []float64{1, 2, 3, 4},
			y:     []float64{0.2, 0.4, 0.6, 0},
			wantX: []float64{1, 3},
			wantY: []float64{0.2, 1.0 / 3},
		},
	} {
		c, err := FitIsotonic(tc.p, tc.y, tc.w)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !close(c.X, tc.wantX, 1e-12) || !close(c.Y, tc.wantY, 1e-12) {
			t.Errorf("%s: got X=%v Y=%v, want X=%v Y=%v", tc.name, c.X, c.Y, tc.wantX, tc.wantY)
		}
	}
	c, _ := FitIsotonic([]float64{1, 2, 3, 4}, []float64{0, 1, 0, 1}, []float64{1, 1, 3, 1})
	for _, tc := range []struct{ p, want float64 }{
		{0, 0}, {1, 0}, {2.75, 0.25}, {1.875, 0.125}, {3.375, 0.625}, {4, 1}, {9, 1},
	} {
		if got := c.Apply(tc.p); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("Apply(%v) = %v, want %v", tc.p, got, tc.want)
		}
	}
	if !math.IsNaN(c.Apply(math.NaN())) {
		t.Errorf("Apply(NaN) should be NaN")
	}
}

func close(a, b []float64, tol float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(a[i]-b[i]) > tol {
			return false
		}
	}
	return true
}

// miscalibrated returns labels drawn from sigmoid(z) and an overconfident,
// shifted predictor sigmoid(3z + 1).
func miscalibrated(n int, seed uint64) (p, y []float64) {
	rng := rand.New(rand.NewPCG(seed, 3))
	p = make([]float64, n)
	y = make([]float64, n)
	for i := range n {
		z := 1.5 * rng.NormFloat64()
		if rng.Float64() < sigmoid(z) {
			y[i] = 1
		}
		p[i] = sigmoid(3*z + 1)
	}
	return p, y
}

func TestCalibrationReducesECE(t *testing.T) {
	pv, yv := miscalibrated(20000, 1) // validation slice
	pt, yt := miscalibrated(20000, 2) // test slice
	mv := make([]float64, len(pv))
	for i, v := range pv {
		mv[i] = Logit(v)
	}
	platt, err := FitPlatt(mv, yv, nil)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(platt.A-1.0/3) > 0.03 || math.Abs(platt.B+1.0/3) > 0.05 {
		t.Errorf("Platt = %+v, want A≈1/3, B≈−1/3", platt)
	}
	iso, err := FitIsotonic(pv, yv, nil)
	if err != nil {
		t.Fatal(err)
	}
	before := metrics.ECE(pt, yt, 10)
	for _, c := range []struct {
		name string
		c    Calibrator
	}{{"platt", platt}, {"isotonic", iso}} {
		out := make([]float64, len(pt))
		ApplyAll(c.c, pt, out)
		after := metrics.ECE(out, yt, 10)
		t.Logf("%s: ECE %.4f -> %.4f, logloss %.4f -> %.4f", c.name, before, after,
			metrics.LogLoss(pt, yt), metrics.LogLoss(out, yt))
		if after > 0.25*before || after > 0.02 {
			t.Errorf("%s: ECE %.4f -> %.4f, want a substantial reduction", c.name, before, after)
		}
		if a0, a1 := metrics.AUC(pt, yt, nil), metrics.AUC(out, yt, nil); a1 < a0-0.005 {
			t.Errorf("%s: AUC dropped %.4f -> %.4f", c.name, a0, a1)
		}
	}
}

func TestMonotone(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	n := 2000
	p := make([]float64, n)
	y := make([]float64, n)
	w := make([]float64, n)
	for i := range n {
		p[i] = rng.Float64()
		if rng.Float64() < 0.3+0.4*math.Sin(6*p[i])*p[i] {
			y[i] = 1
		}
		w[i] = rng.Float64() * 3
	}
	iso, err := FitIsotonic(p, y, w)
	if err != nil {
		t.Fatal(err)
	}
	for k := 1; k < len(iso.X); k++ {
		if !(iso.X[k] > iso.X[k-1]) || iso.Y[k] < iso.Y[k-1] {
			t.Fatalf("points not monotone at %d: X=%v Y=%v", k, iso.X[k-1:k+1], iso.Y[k-1:k+1])
		}
	}
	platt, err := FitPlatt(p, y, w)
	if err != nil {
		t.Fatal(err)
	}
	prevI, prevP := math.Inf(-1), math.Inf(-1)
	for k := 0; k <= 1000; k++ {
		x := -0.1 + 1.2*float64(k)/1000
		vi := iso.Apply(x)
		vp := platt.ApplyMargin(x)
		if vi < prevI || vi < 0 || vi > 1 {
			t.Fatalf("isotonic not monotone at %v: %v < %v", x, vi, prevI)
		}
		if platt.A > 0 && vp < prevP {
			t.Fatalf("platt not monotone at %v", x)
		}
		prevI, prevP = vi, vp
	}
}

func TestPlattSeparableStaysFinite(t *testing.T) {
	m := []float64{-3, -2, -1, 1, 2, 3}
	y := []float64{0, 0, 0, 1, 1, 1}
	c, err := FitPlatt(m, y, nil)
	if err != nil {
		t.Fatal(err)
	}
	if math.IsNaN(c.A) || math.IsInf(c.A, 0) || c.A <= 0 || c.A > 100 {
		t.Errorf("separable Platt A = %v", c.A)
	}
	if c.ApplyMargin(-1) > 0.01 || c.ApplyMargin(1) < 0.99 {
		t.Errorf("separable Platt predictions %v %v", c.ApplyMargin(-1), c.ApplyMargin(1))
	}
}

func TestPlattHand(t *testing.T) {
	// Margins 0 and 1 with P(y|0) = 1/4 and P(y|1) = 4/5 (weighted): the
	// unpenalised solution is B = log(1/3), A = log 12; the ridge moves it
	// by O(1e-6).
	c, err := FitPlatt([]float64{0, 0, 1, 1}, []float64{0, 1, 0, 1}, []float64{3, 1, 1, 4})
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(c.B-math.Log(1.0/3)) > 1e-4 || math.Abs(c.A-math.Log(12)) > 1e-4 {
		t.Errorf("got %+v, want A=%v B=%v", c, math.Log(12), math.Log(1.0/3))
	}
	// Apply uses the logit of p as the margin.
	if got, want := c.Apply(0.5), c.ApplyMargin(0); got != want {
		t.Errorf("Apply(0.5) = %v, ApplyMargin(0) = %v", got, want)
	}
	if got := c.Apply(0); math.IsNaN(got) || got < 0 || got > 1 {
		t.Errorf("Apply(0) = %v", got)
	}
}

func TestDegenerate(t *testing.T) {
	for _, tc := range []struct {
		name    string
		x, y, w []float64
		is      error
		msg     string
	}{
		{"empty", nil, nil, nil, ErrEmpty, ""},
		{"zero weights", []float64{0.1, 0.2}, []float64{0, 1}, []float64{0, 0}, ErrEmpty, ""},
		{"one class", []float64{0.1, 0.2}, []float64{1, 1}, nil, ErrOneClass, ""},
		{"one class by weight", []float64{0.1, 0.2}, []float64{0, 1}, []float64{1, 0}, ErrOneClass, ""},
		{"len", []float64{0.1}, []float64{0, 1}, nil, nil, "len(y)"},
		{"wlen", []float64{0.1, 0.2}, []float64{0, 1}, []float64{1}, nil, "len(w)"},
		{"nan", []float64{math.NaN(), 0.2}, []float64{0, 1}, nil, nil, "[0] = NaN"},
		{"label", []float64{0.1, 0.2}, []float64{0, 2}, nil, nil, "y[1]"},
		{"negative weight", []float64{0.1, 0.2}, []float64{0, 1}, []float64{1, -1}, nil, "w[1]"},
	} {
		_, err1 := FitPlatt(tc.x, tc.y, tc.w)
		_, err2 := FitIsotonic(tc.x, tc.y, tc.w)
		for _, err := range []error{err1, err2} {
			switch {
			case err == nil:
				t.Errorf("%s: expected error", tc.name)
			case tc.is != nil && !errors.Is(err, tc.is):
				t.Errorf("%s: err = %v, want %v", tc.name, err, tc.is)
			case tc.msg != "" && !strings.Contains(err.Error(), tc.msg):
				t.Errorf("%s: err = %v, want containing %q", tc.name, err, tc.msg)
			}
		}
	}
}

func TestJSONRoundTrip(t *testing.T) {
	p, y := miscalibrated(500, 9)
	iso, _ := FitIsotonic(p, y, nil)
	platt, _ := FitPlatt(p, y, nil)
	var iso2 Isotonic
	var platt2 Platt
	for _, pair := range []struct{ in, out any }{{iso, &iso2}, {platt, &platt2}} {
		b, err := json.Marshal(pair.in)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, pair.out); err != nil {
			t.Fatal(err)
		}
	}
	for _, v := range []float64{0, 0.01, 0.3, 0.77, 1} {
		if iso.Apply(v) != iso2.Apply(v) || platt.Apply(v) != platt2.Apply(v) {
			t.Errorf("round trip changed Apply(%v)", v)
		}
	}
}

func ExampleFitIsotonic() {
	p := []float64{1, 2, 3, 4}
	y := []float64{0, 1, 0, 1}
	w := []float64{1, 1, 3, 1}
	c, err := FitIsotonic(p, y, w)
	if err != nil {
		panic(err)
	}
	fmt.Println(c.X, c.Y, c.Apply(3.375))
	// Output: [1 2.75 4] [0 0.25 1] 0.625
}

func ExampleFitPlatt() {
	margins := []float64{0, 0, 1, 1}
	y := []float64{0, 1, 0, 1}
	w := []float64{3, 1, 1, 4}
	c, err := FitPlatt(margins, y, w)
	if err != nil {
		panic(err)
	}
	fmt.Printf("A=%.3f B=%.3f P(m=1)=%.3f\n", c.A, c.B, c.ApplyMargin(1))
	// Output: A=2.485 B=-1.099 P(m=1)=0.800
}
