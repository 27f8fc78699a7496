package linear

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
)

// simLogistic simulates n rows with columns on very different scales, one
// constant column, and a known logistic model.
func simLogistic(n int, seed uint64) (X [][]float64, y []float64, b0 float64, beta []float64) {
	rng := rand.New(rand.NewPCG(seed, 1))
	b0 = -0.5
	beta = []float64{0.4, -1.5, 0, 0.7}
	X = make([][]float64, n)
	y = make([]float64, n)
	for i := range X {
		x := []float64{2 + 3*rng.NormFloat64(), -1 + 0.5*rng.NormFloat64(), 7, 100 + rng.NormFloat64()}
		X[i] = x
		eta := b0 + beta[0]*x[0] + beta[1]*x[1] + beta[3]*(x[3]-100)
		if rng.Float64() < sigmoid(eta) {
			y[i] = 1
		}
	}
	return X, y, b0 - 100*beta[3], beta
}

func TestLogisticRecoversCoefficients(t *testing.T) {
	X, y, b0, beta := simLogistic(20000, 7)
	m, err := TrainLogistic(context.Background(), X, y, nil, Options{L2: 1e-9})
	if err != nil {
		t.Fatal(err)
	}
	for j, want := range beta {
		if math.Abs(m.Coef[j]-want) > 0.05 {
			t.Errorf("coef[%d] = %.4f, want %.4f", j, m.Coef[j], want)
		}
	}
	if m.Coef[2] != 0 {
		t.Errorf("constant column coef = %v, want exactly 0", m.Coef[2])
	}
	// The intercept is large because x3 is centred at 100; compare margins
	// at a typical point instead.
	x := []float64{2, -1, 7, 100}
	want := b0 + beta[0]*2 + beta[1]*-1 + beta[3]*100
	if got := m.Margin(x); math.Abs(got-want) > 0.05 {
		t.Errorf("margin at centre = %.4f, want %.4f", got, want)
	}
}

func TestLogisticHandSolved(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name       string
		X          [][]float64
		y, w       []float64
		l2         float64
		b0, b1, tl float64
	}{
		// Saturated model: P(y|x=0) = 1/2, P(y|x=1) = 2/3.
		{"unweighted", [][]float64{{0}, {0}, {1}, {1}, {1}}, []float64{0, 1, 0, 1, 1}, nil, 1e-12, 0, math.Log(2), 1e-5},
		// Weighted: P(y|x=0) = 1/4, P(y|x=1) = 4/5.
		{"weighted", [][]float64{{0}, {0}, {1}, {1}}, []float64{0, 1, 0, 1}, []float64{3, 1, 1, 4}, 1e-12, math.Log(1.0 / 3), math.Log(12), 1e-5},
		// Penalised: X = ±1 (already standardised), f(γ) = softplus(−γ) + γ²/2,
		// so γ solves γ = sigmoid(−γ).
		{"penalised", [][]float64{{-1}, {1}}, []float64{0, 1}, nil, 1, 0, solveFixed(), 1e-6},
	} {
		m, err := TrainLogistic(ctx, tc.X, tc.y, tc.w, Options{L2: tc.l2, Tol: 1e-10})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if math.Abs(m.Intercept-tc.b0) > tc.tl || math.Abs(m.Coef[0]-tc.b1) > tc.tl {
			t.Errorf("%s: got (%.7f, %.7f), want (%.7f, %.7f)", tc.name, m.Intercept, m.Coef[0], tc.b0, tc.b1)
		}
	}
}

// solveFixed solves γ = sigmoid(−γ) by bisection.
func solveFixed() float64 {
	lo, hi := 0.0, 1.0
	for range 100 {
		mid := (lo + hi) / 2
		if mid-sigmoid(-mid) > 0 {
			hi = mid
		} else {
			lo = mid
		}
	}
	return (lo + hi) / 2
}

func TestLogisticSeparable(t *testing.T) {
	X := [][]float64{{0}, {1}, {2}, {3}}
	y := []float64{0, 0, 1, 1}
	m, err := TrainLogistic(context.Background(), X, y, nil, Options{L2: 1e-4})
	if err != nil {
		t.Fatal(err)
	}
	if math.IsNaN(m.Coef[0]) || math.IsInf(m.Coef[0], 0) || m.Coef[0] <= 0 || m.Coef[0] > 1e3 {
		t.Errorf("separable coef = %v, want finite positive", m.Coef[0])
	}
	if m.Predict([]float64{0}) > 0.05 || m.Predict([]float64{3}) < 0.95 {
		t.Errorf("separable predictions %v %v", m.Predict([]float64{0}), m.Predict([]float64{3}))
	}
}

func TestLogisticDeterministicAcrossGOMAXPROCS(t *testing.T) {
	X, y, _, _ := simLogistic(9000, 3)
	w := make([]float64, len(y))
	for i := range w {
		w[i] = 0.5 + float64(i%3)
	}
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	var ref []byte
	for _, procs := range []int{1, 2, 5} {
		runtime.GOMAXPROCS(procs)
		m, err := TrainLogistic(context.Background(), X, y, w, Options{L2: 1e-3})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(m)
		if ref == nil {
			ref = b
		} else if string(b) != string(ref) {
			t.Errorf("GOMAXPROCS=%d: model differs:\n%s\n%s", procs, b, ref)
		}
	}
}

func TestLogisticContributionsAndJSON(t *testing.T) {
	X, y, _, _ := simLogistic(3000, 11)
	m, err := TrainLogistic(context.Background(), X, y, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var m2 Logistic
	if err := json.Unmarshal(b, &m2); err != nil {
		t.Fatal(err)
	}
	out := make([]float64, 4)
	probs := make([]float64, 50)
	m2.PredictBatch(X[:50], probs)
	for i, x := range X[:50] {
		bias := m.Contributions(x, out)
		s := bias
		for _, c := range out {
			s += c
		}
		if math.Abs(s-m.Margin(x)) > 1e-9 {
			t.Errorf("row %d: bias+Σcontrib = %v, margin = %v", i, s, m.Margin(x))
		}
		if probs[i] != m.Predict(x) {
			t.Errorf("row %d: JSON round trip changed prediction", i)
		}
	}
}

func TestLogisticErrors(t *testing.T) {
	ctx := context.Background()
	good := [][]float64{{1, 2}, {3, 4}}
	for _, tc := range []struct {
		name string
		X    [][]float64
		y, w []float64
		o    Options
		want string
	}{
		{"nan", [][]float64{{1, 2}, {math.NaN(), 4}}, []float64{0, 1}, nil, Options{}, "X[1][0] is NaN"},
		{"inf", [][]float64{{1, math.Inf(1)}, {3, 4}}, []float64{0, 1}, nil, Options{}, "X[0][1]"},
		{"ragged", [][]float64{{1, 2}, {3}}, []float64{0, 1}, nil, Options{}, "row 1 has 1 columns"},
		{"empty", nil, nil, nil, Options{}, "no rows"},
		{"ylen", good, []float64{0}, nil, Options{}, "len(y)"},
		{"ylabel", good, []float64{0, 2}, nil, Options{}, "y[1]"},
		{"wlen", good, []float64{0, 1}, []float64{1}, Options{}, "len(w)"},
		{"wneg", good, []float64{0, 1}, []float64{1, -1}, Options{}, "w[1]"},
		{"wzero", good, []float64{0, 1}, []float64{0, 0}, Options{}, "sum to zero"},
		{"l2", good, []float64{0, 1}, nil, Options{L2: -1}, "L2"},
	} {
		_, err := TrainLogistic(ctx, tc.X, tc.y, tc.w, tc.o)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want containing %q", tc.name, err, tc.want)
		}
	}
}

func TestLogisticCancel(t *testing.T) {
	X, y, _, _ := simLogistic(2000, 5)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := TrainLogistic(ctx, X, y, nil, Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func ExampleTrainLogistic() {
	// P(paid late | x=0) = 1/4 and P(paid late | x=1) = 4/5 (weighted).
	X := [][]float64{{0}, {0}, {1}, {1}}
	y := []float64{0, 1, 0, 1}
	w := []float64{3, 1, 1, 4}
	m, err := TrainLogistic(context.Background(), X, y, w, Options{L2: 1e-12})
	if err != nil {
		panic(err)
	}
	fmt.Printf("intercept=%.4f coef=%.4f p(0)=%.3f p(1)=%.3f\n",
		m.Intercept, m.Coef[0], m.Predict([]float64{0}), m.Predict([]float64{1}))
	// Output: intercept=-1.0986 coef=2.4849 p(0)=0.250 p(1)=0.800
}

func TestLogisticOneClassStaysFinite(t *testing.T) {
	X := [][]float64{{1}, {2}, {3}}
	m, err := TrainLogistic(context.Background(), X, []float64{0, 0, 0}, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if p := m.Predict([]float64{2}); math.IsNaN(m.Intercept) || math.IsInf(m.Intercept, 0) || p > 1e-5 {
		t.Errorf("one-class fit: intercept %v, p %v", m.Intercept, p)
	}
}

// A column with a large offset and a tiny spread (an amount near a fixed
// limit, a date as a day number) must fit as well as the same column
// centred: the loss is evaluated on centred values, so no digits cancel.
func TestLogisticOffsetColumnFitsLikeCentred(t *testing.T) {
	X, y, _, _ := simLogistic(20000, 9)
	shifted := make([][]float64, len(X))
	for i, x := range X {
		s := append([]float64(nil), x...)
		s[0] = 1e8 + x[0]*1e-2 // same information as x[0]
		shifted[i] = s
	}
	a, err := TrainLogistic(context.Background(), X, y, nil, Options{L2: 1e-9})
	if err != nil {
		t.Fatal(err)
	}
	b, err := TrainLogistic(context.Background(), shifted, y, nil, Options{L2: 1e-9})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 200; i++ {
		pa, pb := a.Predict(X[i]), b.Predict(shifted[i])
		if math.Abs(pa-pb) > 1e-4 {
			t.Fatalf("row %d: p = %.6f centred, %.6f offset", i, pa, pb)
		}
	}
}
