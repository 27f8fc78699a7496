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

const simK = 13

var (
	simBeta = []float64{0.6, -0.4}
)

func simAlpha(k int) float64 { return -1.9 + 0.06*float64(k) } // k is 1-based

func trueHazard(x []float64, k int) float64 {
	return sigmoid(simAlpha(k) + simBeta[0]*x[0] + simBeta[1]*x[1])
}

func trueSurvival(x []float64) []float64 {
	s := make([]float64, simK)
	surv := 1.0
	for k := 1; k <= simK; k++ {
		surv *= 1 - trueHazard(x, k)
		s[k-1] = surv
	}
	return s
}

// simHazard simulates invoices with a known logistic hazard (extended beyond
// the horizon up to 20 periods) and independent random censoring.
func simHazard(n int, seed uint64) (X [][]float64, dur []int, ev []bool) {
	rng := rand.New(rand.NewPCG(seed, 2))
	X = make([][]float64, n)
	dur = make([]int, n)
	ev = make([]bool, n)
	for i := range X {
		x := []float64{rng.NormFloat64(), float64(rng.IntN(2))}
		X[i] = x
		T := 0 // payment period, 0 = not within 20 periods
		for k := 1; k <= 20; k++ {
			if rng.Float64() < trueHazard(x, min(k, simK)) {
				T = k
				break
			}
		}
		C := 20 // censoring: 45% of invoices are cut off uniformly in 1..13
		if rng.Float64() < 0.45 {
			C = 1 + rng.IntN(simK)
		}
		switch {
		case T != 0 && T <= C:
			dur[i], ev[i] = T, true
		default:
			dur[i] = C
		}
	}
	return X, dur, ev
}

var probeX = [][]float64{{0, 0}, {1, 0}, {-1, 1}, {2, 1}, {-2, 0}}

func TestHazardRecoversKnownHazard(t *testing.T) {
	X, dur, ev := simHazard(30000, 1)
	var cens int
	for i := range ev {
		if !ev[i] || dur[i] > simK {
			cens++
		}
	}
	frac := float64(cens) / float64(len(ev))
	if frac < 0.25 || frac > 0.45 {
		t.Fatalf("censoring fraction %.2f, want about 0.3", frac)
	}
	m, err := TrainHazard(context.Background(), X, dur, ev, HazardOptions{L2: 1e-9})
	if err != nil {
		t.Fatal(err)
	}
	for j, want := range simBeta {
		if math.Abs(m.Coef[j]-want) > 0.05 {
			t.Errorf("coef[%d] = %.4f, want %.4f", j, m.Coef[j], want)
		}
	}
	var worst float64
	for _, x := range probeX[:3] {
		h := m.Hazards(x)
		for k := 1; k <= simK; k++ {
			worst = math.Max(worst, math.Abs(h[k-1]-trueHazard(x, k)))
		}
	}
	if worst > 0.03 {
		t.Errorf("max |ĥ − h| = %.4f, want ≤ 0.03", worst)
	}

	// Naive approach: drop censored invoices. It over-represents fast payers
	// and must be clearly worse than the censoring-aware fit.
	var nX [][]float64
	var nd []int
	var ne []bool
	for i := range X {
		if ev[i] {
			nX, nd, ne = append(nX, X[i]), append(nd, dur[i]), append(ne, true)
		}
	}
	naive, err := TrainHazard(context.Background(), nX, nd, ne, HazardOptions{L2: 1e-9})
	if err != nil {
		t.Fatal(err)
	}
	var errFit, errNaive float64
	for _, x := range probeX {
		s, sn, st := m.Survival(x), naive.Survival(x), trueSurvival(x)
		for k := range st {
			errFit += math.Abs(s[k] - st[k])
			errNaive += math.Abs(sn[k] - st[k])
		}
	}
	n := float64(len(probeX) * simK)
	errFit /= n
	errNaive /= n
	t.Logf("mean |S − S_true|: censoring-aware %.4f, drop-censored %.4f", errFit, errNaive)
	if errFit > 0.015 || errNaive < 4*errFit {
		t.Errorf("censoring-aware survival error %.4f should be small and ≪ naive %.4f", errFit, errNaive)
	}
}

func TestHazardCurves(t *testing.T) {
	X, dur, ev := simHazard(5000, 2)
	m, err := TrainHazard(context.Background(), X, dur, ev, HazardOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(9, 9))
	for range 200 {
		x := []float64{5 * rng.NormFloat64(), 5 * rng.NormFloat64()}
		s, pb := m.Survival(x), m.PaidBy(x)
		if len(s) != simK {
			t.Fatalf("len = %d", len(s))
		}
		prev := 1.0
		for k := range s {
			if s[k] > prev || s[k] < 0 || math.Abs(s[k]+pb[k]-1) > 1e-15 {
				t.Fatalf("x=%v: survival not monotone/in range: %v", x, s)
			}
			prev = s[k]
		}
		for _, q := range []float64{0.1, 0.5, 0.9} {
			k, ok := m.Quantile(x, q)
			switch {
			case ok && (pb[k-1] < q || (k > 1 && pb[k-2] >= q)):
				t.Fatalf("Quantile(%v) = %d inconsistent with %v", q, k, pb)
			case !ok && (k != 0 || pb[simK-1] >= q):
				t.Fatalf("Quantile(%v) not found but PaidBy = %v", q, pb)
			}
		}
	}
	if k, ok := m.Quantile([]float64{0, 0}, 0); k != 1 || !ok {
		t.Errorf("Quantile(q=0) = %d, %v", k, ok)
	}
	if _, ok := m.Quantile([]float64{0, 0}, 1.1); ok {
		t.Errorf("Quantile(q>1) should not be found")
	}
}

func TestHazardKaplanMeier(t *testing.T) {
	// Without features the MLE is the life-table estimator:
	// h1 = 1/5 (5 at risk), h2 = 1/4 (4 at risk), h3 = 1/2 (2 at risk).
	X := [][]float64{{}, {}, {}, {}, {}}
	dur := []int{1, 2, 2, 3, 3}
	ev := []bool{true, true, false, true, false}
	m, err := TrainHazard(context.Background(), X, dur, ev, HazardOptions{Periods: 5, Tol: 1e-10})
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{0.2, 0.25, 0.5, 0.5, 0.5} // periods 4, 5 inherit period 3
	h := m.Hazards(nil)
	for k := range want {
		if math.Abs(h[k]-want[k]) > 1e-5 {
			t.Errorf("h[%d] = %.6f, want %.6f", k+1, h[k], want[k])
		}
	}
}

func TestHazardDeterminismAndSubsample(t *testing.T) {
	X, dur, ev := simHazard(6000, 4)
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	fit := func(procs int, o HazardOptions) string {
		runtime.GOMAXPROCS(procs)
		m, err := TrainHazard(context.Background(), X, dur, ev, o)
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	o := HazardOptions{L2: 1e-6}
	if a, b := fit(1, o), fit(3, o); a != b {
		t.Errorf("GOMAXPROCS changes the model:\n%s\n%s", a, b)
	}
	sub := HazardOptions{L2: 1e-6, MaxRows: 10000, Seed: 42}
	a, b := fit(1, sub), fit(4, sub)
	if a != b {
		t.Errorf("subsampled fit not deterministic")
	}
	var m Hazard
	if err := json.Unmarshal([]byte(a), &m); err != nil {
		t.Fatal(err)
	}
	if m.Rows >= len(X) || m.Rows < 1000 {
		t.Errorf("subsample kept %d of %d invoices", m.Rows, len(X))
	}
	if c := fit(2, HazardOptions{L2: 1e-6, MaxRows: 10000, Seed: 43}); c == a {
		t.Errorf("different seeds gave identical subsamples")
	}
}

func TestHazardErrors(t *testing.T) {
	ctx := context.Background()
	X := [][]float64{{1}, {2}}
	for _, tc := range []struct {
		name string
		X    [][]float64
		d    []int
		e    []bool
		want string
	}{
		{"len", X, []int{1}, []bool{true, false}, "len(durations)"},
		{"neg", X, []int{-1, 2}, []bool{false, true}, "negative"},
		{"zero event", X, []int{0, 2}, []bool{true, true}, "1-based"},
		{"no events", X, []int{3, 2}, []bool{false, false}, "no payment events"},
		{"no exposure", X, []int{0, 0}, []bool{false, false}, "at least one period"},
		{"nan", [][]float64{{1}, {math.NaN()}}, []int{1, 2}, []bool{true, true}, "X[1][0] is NaN"},
	} {
		_, err := TrainHazard(ctx, tc.X, tc.d, tc.e, HazardOptions{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want containing %q", tc.name, err, tc.want)
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	Xs, d, e := simHazard(500, 1)
	if _, err := TrainHazard(cctx, Xs, d, e, HazardOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v", err)
	}
}

func ExampleHazard_Survival() {
	// Five invoices without features: paid in weeks 1, 2 and 3, one still
	// open after week 2 and one still open after week 3.
	X := [][]float64{{}, {}, {}, {}, {}}
	durations := []int{1, 2, 2, 3, 3}
	events := []bool{true, true, false, true, false}
	m, err := TrainHazard(context.Background(), X, durations, events, HazardOptions{Periods: 3})
	if err != nil {
		panic(err)
	}
	s := m.Survival(nil)
	k, ok := m.Quantile(nil, 0.5)
	fmt.Printf("S = [%.3f %.3f %.3f], median week %d (%v)\n", s[0], s[1], s[2], k, ok)
	// Output: S = [0.800 0.600 0.300], median week 3 (true)
}

func BenchmarkTrainHazard(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	n, p := 200000, 20
	X, dur, ev := simHazard(n, 8)
	for i := range X {
		row := make([]float64, p)
		copy(row, X[i])
		for j := 2; j < p; j++ {
			row[j] = rng.NormFloat64()
		}
		X[i] = row
	}
	b.ResetTimer()
	for range b.N {
		if _, err := TrainHazard(context.Background(), X, dur, ev, HazardOptions{L2: 1e-6}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTrainLogistic(b *testing.B) {
	X, y, _, _ := simLogistic(200000, 8)
	b.ResetTimer()
	for range b.N {
		if _, err := TrainLogistic(context.Background(), X, y, nil, Options{L2: 1e-6}); err != nil {
			b.Fatal(err)
		}
	}
}
