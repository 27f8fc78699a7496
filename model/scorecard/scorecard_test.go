package scorecard

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/dsopilot/dsopilot/model/metrics"
)

var simNames = []string{"util", "score", "amount", "dpd", "noise"}

// simulate draws n rows from a known logistic model in four features plus
// one pure-noise feature, and returns X, labels and the true P(y=1):
//
//   - util: uniform on [0, 1), linear effect;
//   - score: standard normal, step effect above 0.5;
//   - amount: exponential, log effect, 15% missing with extra risk;
//   - dpd: integer days 0..60, U-shaped effect;
//   - noise: standard normal, no effect.
func simulate(n int, seed uint64) (X [][]float64, y, truth []float64) {
	r := rand.New(rand.NewPCG(seed, 1))
	X, y, truth = make([][]float64, n), make([]float64, n), make([]float64, n)
	for i := range X {
		util := r.Float64()
		score := r.NormFloat64()
		amount := r.ExpFloat64() * 1000
		dpd := float64(r.IntN(61))
		noise := r.NormFloat64()
		eta := -1.2 + 2*(util-0.5) - 0.4*math.Log1p(amount/1000) + 1.2*math.Pow((dpd-30)/30, 2)
		if score > 0.5 {
			eta -= 1
		}
		if r.Float64() < 0.15 {
			amount = math.NaN()
			eta += 0.7
		}
		X[i] = []float64{util, score, amount, dpd, noise}
		truth[i] = 1 / (1 + math.Exp(-eta))
		if r.Float64() < truth[i] {
			y[i] = 1
		}
	}
	return X, y, truth
}

// fitted caches one fit on the simulated data for the tests that only read
// it (Scorecard is safe for concurrent use).
var fitted = sync.OnceValues(func() (*Scorecard, error) {
	X, y, _ := simulate(30000, 1)
	return Fit(context.Background(), X, y, simNames, Options{Seed: 7})
})

func mustFit(t testing.TB) *Scorecard {
	t.Helper()
	s, err := fitted()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestFitMatchesTruthAUC(t *testing.T) {
	s := mustFit(t)
	X, y, truth := simulate(30000, 2) // held-out rows
	pred := make([]float64, len(X))
	for i, x := range X {
		pred[i] = s.Margin(x)
	}
	got, want := metrics.AUC(pred, y, nil), metrics.AUC(truth, y, nil)
	t.Logf("held-out AUC: scorecard %.4f, truth %.4f", got, want)
	if math.Abs(got-want) > 0.02 {
		t.Errorf("scorecard AUC %.4f, truth AUC %.4f: differ by more than 0.02", got, want)
	}
}

func TestFitFeatures(t *testing.T) {
	s := mustFit(t)
	if len(s.Features) != len(simNames) {
		t.Fatalf("%d features, want %d", len(s.Features), len(simNames))
	}
	for j, f := range s.Features {
		if f.Name != simNames[j] {
			t.Errorf("feature %d named %q, want %q", j, f.Name, simNames[j])
		}
		if len(f.Bins) != len(f.Cuts)+1 {
			t.Errorf("%s: %d bins for %d cuts", f.Name, len(f.Bins), len(f.Cuts))
		}
		if f.Name != "noise" && (f.Dropped != "" || f.Coef <= 0) {
			// WOE is oriented to risk, so an informative feature's
			// coefficient on it is positive (near 1 when features are
			// independent).
			t.Errorf("%s: dropped %q, coef %v; want kept with positive coef", f.Name, f.Dropped, f.Coef)
		}
	}
	// The noise feature must not move the margin: dropped, or all its bins
	// within 0.05 in log-odds of its average.
	if f := s.Features[4]; f.Dropped == "" {
		for _, b := range f.Bins {
			if d := math.Abs(f.Coef * (b.WOE - f.MeanWOE)); d > 0.05 {
				t.Errorf("noise bin %+v moves the margin by %v", b, d)
			}
		}
	} else if f.Dropped != ReasonSingleBin {
		t.Errorf("noise dropped for %q, want %q", f.Dropped, ReasonSingleBin)
	}
	// util has a linear effect: bad rate must rise bin by bin.
	u := s.Features[0]
	if len(u.Bins) < 3 {
		t.Errorf("util: only %d bins for a linear effect", len(u.Bins))
	}
	for k := 1; k < len(u.Bins); k++ {
		if u.Bins[k].BadRate <= u.Bins[k-1].BadRate || u.Bins[k].WOE <= u.Bins[k-1].WOE {
			t.Errorf("util: bin %d (%+v) not riskier than bin %d (%+v)", k, u.Bins[k], k-1, u.Bins[k-1])
		}
	}
	// amount has a missing bin, riskier than average by construction.
	a := s.Features[2]
	if a.Missing == nil || a.Missing.WOE <= 0 || math.Abs(float64(a.Missing.Count)/30000-0.15) > 0.01 {
		t.Errorf("amount: missing bin %+v, want ~15%% of rows with positive WOE", a.Missing)
	}
	// score has a step at 0.5: some cut within 0.15 of it.
	found := false
	for _, c := range s.Features[1].Cuts {
		found = found || math.Abs(c-0.5) < 0.15
	}
	if !found {
		t.Errorf("score: cuts %v miss the step at 0.5", s.Features[1].Cuts)
	}
	// Every bin keeps at least MinBinShare of the rows.
	for _, f := range s.Features {
		for _, b := range f.Bins {
			if f.Dropped == "" && float64(b.Count) < DefaultMinBinShare*30000 {
				t.Errorf("%s: bin %+v below the minimum share", f.Name, b)
			}
		}
	}
}

func TestContributionsSumToMargin(t *testing.T) {
	s := mustFit(t)
	X, _, _ := simulate(2000, 3)
	X = append(X, []float64{math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN()},
		[]float64{math.Inf(-1), 1e300, math.Inf(1), -5, 0})
	out := make([]float64, len(simNames))
	for _, x := range X {
		bias := s.Contributions(x, out)
		sum := bias
		for _, v := range out {
			sum += v
		}
		if m := s.Margin(x); math.Abs(sum-m) > 1e-9*(1+math.Abs(m)) {
			t.Fatalf("x=%v: bias + Σ contributions = %v, margin = %v", x, sum, m)
		}
	}
}

func TestMissingValues(t *testing.T) {
	s := mustFit(t)
	base := []float64{0.5, 0, 1000, 30, 0}
	// util had no NaN in training: an unseen NaN means WOE 0.
	x := append([]float64(nil), base...)
	x[0] = math.NaN()
	u := s.Features[0]
	if got, want := s.Margin(x)-s.Margin(base), u.Coef*(0-u.woe(0.5)); math.Abs(got-want) > 1e-12 {
		t.Errorf("unseen NaN in util moved the margin by %v, want %v (WOE 0)", got, want)
	}
	// amount had NaN in training: NaN uses the missing bin.
	x = append([]float64(nil), base...)
	x[2] = math.NaN()
	a := s.Features[2]
	if got, want := s.Margin(x)-s.Margin(base), a.Coef*(a.Missing.WOE-a.woe(1000)); math.Abs(got-want) > 1e-12 {
		t.Errorf("NaN in amount moved the margin by %v, want %v (missing bin)", got, want)
	}
}

func TestPoints(t *testing.T) {
	s := mustFit(t)
	X, _, _ := simulate(500, 4)
	X = append(X, []float64{math.NaN(), 0, math.NaN(), 10, 0}) // unseen and seen NaN
	for _, x := range X {
		total, per := s.Points(x)
		// Definition of PDO scaling, from the model's probability.
		oddsGood := math.Exp(-s.Margin(x))
		want := DefaultBasePoints + DefaultPDO*math.Log2(oddsGood/DefaultBaseOdds)
		if math.Abs(total-want) > 1e-9*math.Abs(want) {
			t.Fatalf("x=%v: total %v, want %v", x, total, want)
		}
		var sum float64
		for _, v := range per {
			sum += v
		}
		if math.Abs(sum-total) > 1e-9*math.Abs(total) {
			t.Fatalf("x=%v: per-feature points sum to %v, total %v", x, sum, total)
		}
	}
	// Safer rows get more points: util is the riskier the higher.
	lo, _ := s.Points([]float64{0.05, 0, 1000, 30, 0})
	hi, _ := s.Points([]float64{0.95, 0, 1000, 30, 0})
	if lo <= hi {
		t.Errorf("points at low utilisation %v ≤ at high utilisation %v", lo, hi)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	s := mustFit(t)
	data, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var back Scorecard
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	X, _, _ := simulate(2000, 5)
	X = append(X, []float64{math.NaN(), math.Inf(1), math.NaN(), math.Inf(-1), math.NaN()})
	for _, x := range X {
		if a, b := s.Margin(x), back.Margin(x); a != b {
			t.Fatalf("x=%v: margin %v before, %v after the round trip", x, a, b)
		}
		if a, _ := s.Points(x); a != func() float64 { p, _ := back.Points(x); return p }() {
			t.Fatalf("x=%v: points differ after the round trip", x)
		}
	}
	again, err := json.Marshal(&back)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, again) {
		t.Error("re-encoding the decoded scorecard changed the JSON")
	}
	if !math.IsInf(back.Features[0].Bins[0].Lower, -1) || !math.IsNaN(back.Features[2].Missing.Lower) {
		t.Errorf("bounds not restored: first bin %+v, missing bin %+v", back.Features[0].Bins[0], back.Features[2].Missing)
	}
}

func TestFitIsDeterministic(t *testing.T) {
	X, y, _ := simulate(8000, 6)
	var prev []byte
	for _, procs := range []int{1, 2, 4} {
		old := runtime.GOMAXPROCS(procs)
		s, err := Fit(context.Background(), X, y, simNames, Options{Seed: 3})
		runtime.GOMAXPROCS(old)
		if err != nil {
			t.Fatal(err)
		}
		data, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if prev != nil && !bytes.Equal(prev, data) {
			t.Fatalf("GOMAXPROCS=%d: JSON differs from the previous fit", procs)
		}
		prev = data
	}
}

func TestFitDropsUninformativeColumns(t *testing.T) {
	X, y, _ := simulate(5000, 8)
	nan := math.NaN()
	for i, row := range X {
		extra := []float64{4, nan, 0, nan}
		if i%10 == 0 {
			extra[2] = nan // constant plus some missing: missingness is kept
		}
		X[i] = append(row[:4:4], extra...)
	}
	names := []string{"util", "score", "amount", "dpd", "const", "allnan", "constnan", "allnan2"}
	s, err := Fit(context.Background(), X, y, names, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for j, want := range []string{"", "", "", "", ReasonConstant, ReasonAllMissing, "", ReasonAllMissing} {
		if got := s.Features[j].Dropped; got != want {
			t.Errorf("%s: dropped %q, want %q", names[j], got, want)
		}
	}
	if f := s.Features[6]; f.Missing == nil || len(f.Bins) != 1 {
		t.Errorf("constnan: bins %+v, missing %+v; want one value bin and a missing bin", f.Bins, f.Missing)
	}
	// Dropped columns cannot influence the margin.
	x := append([]float64(nil), X[0]...)
	m := s.Margin(x)
	x[4], x[5] = -1e9, 123
	if s.Margin(x) != m {
		t.Error("a dropped column changed the margin")
	}
	if tab := s.Table(); !strings.Contains(tab, "dropped const: constant") || !strings.Contains(tab, "missing") {
		t.Errorf("table lacks dropped columns or missing bins:\n%s", tab)
	}
}

func TestFitErrors(t *testing.T) {
	ctx := context.Background()
	X := [][]float64{{1, 2}, {2, 3}, {3, 1}}
	y := []float64{0, 1, 0}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	for _, tc := range []struct {
		name  string
		ctx   context.Context
		X     [][]float64
		y     []float64
		names []string
		o     Options
		want  error
	}{
		{"no rows", ctx, nil, nil, nil, Options{}, ErrNoData},
		{"no columns", ctx, [][]float64{{}, {}}, []float64{0, 1}, nil, Options{}, ErrNoData},
		{"short y", ctx, X, y[:2], nil, Options{}, ErrLength},
		{"ragged X", ctx, [][]float64{{1, 2}, {2}, {3, 1}}, y, nil, Options{}, ErrLength},
		{"names", ctx, X, y, []string{"a"}, Options{}, ErrLength},
		{"one class", ctx, X, []float64{1, 1, 1}, nil, Options{}, ErrOneClass},
		{"bad label", ctx, X, []float64{0, 1, 0.5}, nil, Options{}, ErrLabel},
		{"negative L2", ctx, X, y, nil, Options{L2: -1}, ErrOption},
		{"min share", ctx, X, y, nil, Options{MinBinShare: 0.7}, ErrOption},
		{"PDO", ctx, X, y, nil, Options{PDO: -20}, ErrOption},
		{"binner option", ctx, X, y, nil, Options{Binner: ChiMerge{Significance: 2}}, ErrOption},
		{"cancelled", cancelled, X, y, nil, Options{}, context.Canceled},
	} {
		s, err := Fit(tc.ctx, tc.X, tc.y, tc.names, tc.o)
		if !errors.Is(err, tc.want) || s != nil {
			t.Errorf("%s: (%v, %v), want error %v", tc.name, s, err, tc.want)
		}
	}
}

// cutsAt is a Binner with fixed cuts, to test Fit independently of
// ChiMerge.
type cutsAt []float64

func (c cutsAt) Cuts(context.Context, []float64, []float64) ([]float64, error) { return c, nil }

func TestFitMergesSmallBins(t *testing.T) {
	// Cuts at 1 and 2 leave the middle bin with 1% of rows; the NaN and
	// infinite cuts must be ignored.
	n := 1000
	X, y := make([][]float64, n), make([]float64, n)
	for i := range X {
		v := float64(i % 100) // 0..99
		X[i] = []float64{v}
		if v < 50 && int(v)%5 == 0 || v >= 50 && int(v)%2 == 0 {
			y[i] = 1
		}
	}
	s, err := Fit(context.Background(), X, y, []string{"v"}, Options{
		Binner: cutsAt{50, 2, 1, math.NaN(), math.Inf(1), 50}, MinBinShare: 0.05})
	if err != nil {
		t.Fatal(err)
	}
	f := s.Features[0]
	var counts []int
	for _, b := range f.Bins {
		counts = append(counts, b.Count)
	}
	// [1, 2) holds 10 rows (< 50) and is merged; [<1) also (10 rows).
	if len(f.Cuts) != 1 || f.Cuts[0] != 50 || counts[0] != 500 || counts[1] != 500 {
		t.Errorf("cuts %v, counts %v; want [50], [500 500]", f.Cuts, counts)
	}
	if f.Bins[0].BadRate != 0.2 || f.Bins[1].BadRate != 0.5 {
		t.Errorf("bad rates %v, %v; want 0.2, 0.5", f.Bins[0].BadRate, f.Bins[1].BadRate)
	}
}

func TestWOESmoothing(t *testing.T) {
	// One bin has no bad rows at all: its WOE must be finite and negative,
	// the other bin's positive.
	X, y := make([][]float64, 400), make([]float64, 400)
	for i := range X {
		X[i] = []float64{float64(i % 2)}
		if i%2 == 1 && i%4 == 1 {
			y[i] = 1
		}
	}
	s, err := Fit(context.Background(), X, y, nil, Options{Binner: cutsAt{0.5}})
	if err != nil {
		t.Fatal(err)
	}
	b := s.Features[0].Bins
	if s.Features[0].Name != "x0" || len(b) != 2 || math.IsInf(b[0].WOE, 0) || b[0].WOE >= -3 || b[1].WOE <= 0 {
		t.Errorf("feature %q bins %+v: want finite, strongly negative WOE for the all-good bin", s.Features[0].Name, b)
	}
}

func TestMarginDoesNotAllocate(t *testing.T) {
	s := mustFit(t)
	x := []float64{0.3, math.NaN(), 200, 12, 1}
	out := make([]float64, len(x))
	if a := testing.AllocsPerRun(100, func() { s.Margin(x) }); a != 0 {
		t.Errorf("Margin: %v allocations", a)
	}
	if a := testing.AllocsPerRun(100, func() { s.Contributions(x, out) }); a != 0 {
		t.Errorf("Contributions: %v allocations", a)
	}
}

func TestConcurrentScoring(t *testing.T) {
	s := mustFit(t)
	X, _, _ := simulate(1000, 9)
	want := make([]float64, len(X))
	for i, x := range X {
		want[i] = s.Margin(x)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 4)
	for range 4 {
		wg.Go(func() {
			out := make([]float64, len(simNames))
			for i, x := range X {
				s.Contributions(x, out)
				if s.Margin(x) != want[i] {
					errs <- "margin changed under concurrent use"
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func TestSearch(t *testing.T) {
	cuts := []float64{1, 2, 4}
	for _, tc := range []struct {
		v    float64
		want int
	}{{math.Inf(-1), 0}, {0.5, 0}, {1, 1}, {1.5, 1}, {2, 2}, {3.99, 2}, {4, 3}, {math.Inf(1), 3}} {
		if got := search(cuts, tc.v); got != tc.want {
			t.Errorf("search(%v) = %d, want %d", tc.v, got, tc.want)
		}
	}
	if got := search(nil, 5); got != 0 {
		t.Errorf("search on no cuts = %d, want 0", got)
	}
}

// A handful of missing values gets no missing bin of its own, however bad
// they all were: a tiny bin's WOE would be noise with a large weight.
func TestTinyMissingBinIsNotKept(t *testing.T) {
	X, y, _ := simulate(20000, 5)
	for i, n := 0, 0; n < 3; i++ {
		if y[i] == 1 {
			X[i][0] = math.NaN() // util: otherwise never missing
			n++
		}
	}
	s, err := Fit(context.Background(), X, y, simNames, Options{Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	u := s.Features[0]
	if u.Dropped != "" || u.Missing != nil {
		t.Fatalf("util: dropped %q, missing bin %+v; want kept without a missing bin", u.Dropped, u.Missing)
	}
	x := []float64{math.NaN(), 0, 1000, 30, 0}
	base := []float64{0.5, 0, 1000, 30, 0}
	if got, want := s.Margin(x)-s.Margin(base), u.Coef*(0-u.woe(0.5)); math.Abs(got-want) > 1e-12 {
		t.Errorf("NaN util moved the margin by %v, want %v (WOE 0)", got, want)
	}
}
