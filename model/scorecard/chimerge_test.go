package scorecard

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// stepData draws x uniform on [lo, lo+100) and y with P(y=1) = 0.1 below
// lo+30, 0.5 on [lo+30, lo+70) and 0.9 above.
func stepData(n int, lo float64, seed uint64) (x, y []float64) {
	r := rand.New(rand.NewPCG(seed, 7))
	x, y = make([]float64, n), make([]float64, n)
	for i := range x {
		x[i] = lo + 100*r.Float64()
		p := 0.1
		switch {
		case x[i] >= lo+70:
			p = 0.9
		case x[i] >= lo+30:
			p = 0.5
		}
		if r.Float64() < p {
			y[i] = 1
		}
	}
	return x, y
}

func TestChiMergeRecoversStep(t *testing.T) {
	const tol = 2.0 // one pre-quantisation interval is ~1.6 wide at 64 intervals
	for _, tc := range []struct {
		name string
		lo   float64
		seed uint64
		n    int
	}{
		{"positive", 0, 1, 3000},
		{"positive-other-seed", 0, 2, 5000},
		// All values negative.
		{"negative", -200, 3, 4000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x, y := stepData(tc.n, tc.lo, tc.seed)
			cuts, err := ChiMerge{}.Cuts(context.Background(), x, y)
			if err != nil {
				t.Fatal(err)
			}
			want := []float64{tc.lo + 30, tc.lo + 70}
			if len(cuts) != len(want) {
				t.Fatalf("cuts = %v, want two cuts near %v", cuts, want)
			}
			for k := range want {
				if math.Abs(cuts[k]-want[k]) > tol {
					t.Errorf("cut %d = %v, want %v ± %v", k, cuts[k], want[k], tol)
				}
			}
		})
	}
}

// TestChiMergeStepRate checks the statistical behaviour behind the
// defaults: over many samples the step is recovered with no extra cut most
// of the time. (ChiMerge is a greedy search, so a spurious split in a flat
// region is not a 1-in-1000 event even at Significance 0.999.)
func TestChiMergeStepRate(t *testing.T) {
	const (
		samples = 40
		tol     = 2.5
	)
	ok := 0
	for seed := uint64(100); seed < 100+samples; seed++ {
		x, y := stepData(4000, 0, seed)
		cuts, err := ChiMerge{}.Cuts(context.Background(), x, y)
		if err != nil {
			t.Fatal(err)
		}
		near30, near70, other := 0, 0, 0
		for _, c := range cuts {
			switch {
			case math.Abs(c-30) <= tol:
				near30++
			case math.Abs(c-70) <= tol:
				near70++
			default:
				other++
			}
		}
		if near30 == 1 && near70 == 1 && other == 0 {
			ok++
		} else {
			t.Logf("seed %d: cuts %v", seed, cuts)
		}
	}
	if ok < samples*8/10 {
		t.Errorf("step recovered exactly on %d of %d samples, want at least 80%%", ok, samples)
	}
}

func TestChiMergeIgnoresNaN(t *testing.T) {
	x, y := stepData(4000, 0, 11)
	want, err := ChiMerge{}.Cuts(context.Background(), x, y)
	if err != nil {
		t.Fatal(err)
	}
	// Interleave NaN rows with arbitrary labels: below MaxRows nothing is
	// sampled, so the cuts must be exactly those of the non-NaN rows.
	var xn, yn []float64
	for i := range x {
		xn, yn = append(xn, x[i]), append(yn, y[i])
		if i%3 == 0 {
			xn, yn = append(xn, math.NaN()), append(yn, float64(i%2))
		}
	}
	got, err := ChiMerge{}.Cuts(context.Background(), xn, yn)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Errorf("with NaN rows: cuts = %v, want %v", got, want)
	}
}

func TestChiMergeNoSignal(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		r := rand.New(rand.NewPCG(seed, 9))
		x, y := make([]float64, 5000), make([]float64, 5000)
		for i := range x {
			x[i] = r.NormFloat64()
			if r.Float64() < 0.3 {
				y[i] = 1
			}
		}
		cuts, err := ChiMerge{Significance: 0.99}.Cuts(context.Background(), x, y)
		if err != nil {
			t.Fatal(err)
		}
		if len(cuts) > 1 {
			t.Errorf("seed %d: pure noise gave %d cuts %v, want at most 1 (a 1%% false split)", seed, len(cuts), cuts)
		}
	}
}

func TestChiMergeMaxBins(t *testing.T) {
	// A smooth monotone risk: every split is significant, so only MaxBins
	// limits the number of bins.
	r := rand.New(rand.NewPCG(5, 5))
	x, y := make([]float64, 20000), make([]float64, 20000)
	for i := range x {
		x[i] = r.Float64()
		if r.Float64() < 0.05+0.9*x[i] {
			y[i] = 1
		}
	}
	for _, maxBins := range []int{1, 2, 3, 5, 8} {
		cuts, err := ChiMerge{MaxBins: maxBins}.Cuts(context.Background(), x, y)
		if err != nil {
			t.Fatal(err)
		}
		// The first merge phase stops at 3 bins; the second pass must go on.
		if len(cuts) != maxBins-1 {
			t.Errorf("MaxBins %d: %d cuts %v, want %d", maxBins, len(cuts), cuts, maxBins-1)
		}
		if !slices.IsSorted(cuts) {
			t.Errorf("MaxBins %d: cuts %v not sorted", maxBins, cuts)
		}
	}
}

func TestChiMergeSampleIsDeterministic(t *testing.T) {
	x, y := stepData(30000, 0, 4)
	c := ChiMerge{MaxRows: 2000, Seed: 42}
	a, err := c.Cuts(context.Background(), x, y)
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.Cuts(context.Background(), x, y)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a, b) {
		t.Errorf("same seed, different cuts: %v vs %v", a, b)
	}
	// Only 2000 of 30000 rows were used, yet the step is still found.
	if len(a) != 2 || math.Abs(a[0]-30) > 4 || math.Abs(a[1]-70) > 4 {
		t.Errorf("cuts from a 2000-row sample = %v, want near [30 70]", a)
	}
}

func TestChiMergeDegenerate(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		x, y []float64
	}{
		{"empty", nil, nil},
		{"all NaN", []float64{math.NaN(), math.NaN()}, []float64{0, 1}},
		{"constant", []float64{3, 3, 3, 3}, []float64{0, 1, 0, 1}},
		{"one class", []float64{1, 2, 3, 4}, []float64{1, 1, 1, 1}},
	} {
		cuts, err := ChiMerge{}.Cuts(ctx, tc.x, tc.y)
		if err != nil || len(cuts) != 0 {
			t.Errorf("%s: cuts = %v, err = %v; want none, nil", tc.name, cuts, err)
		}
	}
}

func TestChiMergeErrors(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		c    ChiMerge
		x, y []float64
		want error
	}{
		{"length", ChiMerge{}, []float64{1, 2}, []float64{0}, ErrLength},
		{"label", ChiMerge{}, []float64{1, 2}, []float64{0, 2}, ErrLabel},
		{"significance", ChiMerge{Significance: 1}, []float64{1, 2}, []float64{0, 1}, ErrOption},
		{"max bins", ChiMerge{MaxBins: -1}, []float64{1, 2}, []float64{0, 1}, ErrOption},
	} {
		if _, err := tc.c.Cuts(ctx, tc.x, tc.y); !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}
	// A label on a NaN row is never looked at, so it cannot be an error.
	if _, err := (ChiMerge{}).Cuts(ctx, []float64{1, math.NaN()}, []float64{0, 7}); err != nil {
		t.Errorf("label on NaN row: %v", err)
	}
}

func TestQuantise(t *testing.T) {
	for _, tc := range []struct {
		name string
		xs   []float64
		k    int
		want []int
	}{
		{"few distinct", []float64{1, 1, 2, 3, 3, 3}, 10, []int{0, 0, 1, 2, 2, 2}},
		{"equal frequency", []float64{1, 2, 3, 4, 5, 6}, 3, []int{0, 0, 1, 1, 2, 2}},
		// The target size is 2, so the first interval runs to the end of
		// the tie block; the remaining three values share three intervals.
		{"ties stay together", []float64{1, 2, 2, 2, 2, 3, 4, 5}, 4, []int{0, 0, 0, 0, 0, 1, 2, 3}},
		{"one value", []float64{7, 7, 7}, 4, []int{0, 0, 0}},
	} {
		codes, ivs := quantise(tc.xs, tc.k)
		if !slices.Equal(codes, tc.want) {
			t.Errorf("%s: codes = %v, want %v", tc.name, codes, tc.want)
		}
		if len(ivs) > tc.k {
			t.Errorf("%s: %d intervals, at most %d allowed", tc.name, len(ivs), tc.k)
		}
		for i, c := range codes {
			if tc.xs[i] < ivs[c].lo || tc.xs[i] > ivs[c].hi {
				t.Errorf("%s: x=%v outside its interval %+v", tc.name, tc.xs[i], ivs[c])
			}
		}
	}
}

func TestChi2(t *testing.T) {
	for _, tc := range []struct {
		a, b interval
		want float64
	}{
		// [[10 90] [50 50]]: expected 30/70 in both rows.
		{interval{bad: 10, good: 90}, interval{bad: 50, good: 50}, 2*400.0/30 + 2*400.0/70},
		{interval{bad: 5, good: 5}, interval{bad: 10, good: 10}, 0},
		// One class absent from both rows: no evidence, no statistic.
		{interval{good: 4}, interval{good: 9}, 0},
	} {
		if got := chi2(tc.a, tc.b); math.Abs(got-tc.want) > 1e-12*(1+tc.want) {
			t.Errorf("chi2(%+v, %+v) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestCutBetween(t *testing.T) {
	inf := math.Inf(1)
	for _, tc := range []struct{ below, above, want float64 }{
		{1, 3, 2},
		{29, 30, 29.5},
		{-inf, 5, 5},
		{5, inf, math.Nextafter(5, inf)},
		{-inf, inf, 0},
		{1, math.Nextafter(1, 2), math.Nextafter(1, 2)},
	} {
		if got := cutBetween(tc.below, tc.above); got != tc.want {
			t.Errorf("cutBetween(%v, %v) = %v, want %v", tc.below, tc.above, got, tc.want)
		}
	}
}

// Sparse columns, where adjacent pairs often tie exactly on chi², get the
// same cuts on every run (ties are merged in a fixed order).
func TestChiMergeCutsAreRepeatable(t *testing.T) {
	for seed := uint64(1); seed <= 40; seed++ {
		r := rand.New(rand.NewPCG(seed, 3))
		x, y := make([]float64, 640), make([]float64, 640)
		for i := range x {
			x[i] = float64(r.IntN(64))
			if r.Float64() < 0.1+0.01*x[i] {
				y[i] = 1
			}
		}
		first, err := ChiMerge{}.Cuts(context.Background(), x, y)
		if err != nil {
			t.Fatal(err)
		}
		for range 4 {
			again, err := ChiMerge{}.Cuts(context.Background(), x, y)
			if err != nil || !slices.Equal(first, again) {
				t.Fatalf("seed %d: cuts %v, then %v (%v)", seed, first, again, err)
			}
		}
	}
}
