package gbdt

import (
	"bytes"
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
)

// auc is the ROC AUC of scores against 0/1 labels (ties count one half).
func auc(scores, y []float64) float64 {
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return scores[idx[a]] < scores[idx[b]] })
	var rankSum, npos float64
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && scores[idx[j]] == scores[idx[i]] {
			j++
		}
		avg := float64(i+j+1) / 2 // ranks i+1..j
		for k := i; k < j; k++ {
			if y[idx[k]] == 1 {
				rankSum += avg
				npos++
			}
		}
		i = j
	}
	nneg := float64(len(y)) - npos
	return (rankSum - npos*(npos+1)/2) / (npos * nneg)
}

func predictAll(m *Model, X [][]float64) []float64 {
	out := make([]float64, len(X))
	m.PredictBatch(X, out)
	return out
}

// logisticData draws rows with nf features: standard normal, a fraction
// missing of values NaN in features >= 2; the label follows
// sigmoid(0.3 + 1.2 x0 - 0.8 x1 + 0.9 x0 x1 + 0.5 x2(if present)).
// It returns the true probabilities too.
func logisticData(seed uint64, n, nf int, missing float64) (X [][]float64, y, p []float64) {
	rng := rand.New(rand.NewPCG(seed, 1))
	X = make([][]float64, n)
	y = make([]float64, n)
	p = make([]float64, n)
	for i := range X {
		row := make([]float64, nf)
		for j := range row {
			row[j] = rng.NormFloat64()
		}
		z := 0.3 + 1.2*row[0] - 0.8*row[1] + 0.9*row[0]*row[1]
		if nf > 2 {
			z += 0.5 * row[2]
		}
		if nf > 3 {
			z += 0.7 * math.Sin(2*row[3])
		}
		for j := 2; j < nf; j++ {
			if rng.Float64() < missing {
				row[j] = math.NaN()
			}
		}
		p[i] = sigmoid(z)
		if rng.Float64() < p[i] {
			y[i] = 1
		}
		X[i] = row
	}
	return X, y, p
}

func mustTrain(t testing.TB, X [][]float64, y, w []float64, valid *Set, p Params) *Model {
	t.Helper()
	m, err := Train(context.Background(), X, y, w, valid, p)
	if err != nil {
		t.Fatalf("Train: %v", err)
	}
	return m
}

func TestHandComputedStump(t *testing.T) {
	X := [][]float64{{1}, {2}, {3}, {4}, {5}}
	y := []float64{0, 0, 1, 1, 1}
	const lr, lam = 0.5, 1.0
	m := mustTrain(t, X, y, nil, nil, Params{Trees: 1, MaxDepth: 1, LearningRate: lr, Lambda: lam, MinChildWeight: 0.1})

	// Expected values from the formulas.
	mean := 3.0 / 5
	base := math.Log(mean / (1 - mean))
	g := make([]float64, 5)
	h := make([]float64, 5)
	var G, H float64
	for i := range y {
		g[i], h[i] = mean-y[i], mean*(1-mean)
		G += g[i]
		H += h[i]
	}
	bestGain, bestK := math.Inf(-1), -1
	for k := 1; k < 5; k++ { // left = rows 0..k-1
		var gl, hl float64
		for i := 0; i < k; i++ {
			gl += g[i]
			hl += h[i]
		}
		gain := 0.5 * (gl*gl/(hl+lam) + (G-gl)*(G-gl)/(H-hl+lam) - G*G/(H+lam))
		if gain > bestGain {
			bestGain, bestK = gain, k
		}
	}
	var gl, hl float64
	for i := 0; i < bestK; i++ {
		gl += g[i]
		hl += h[i]
	}
	wantThr := (X[bestK-1][0] + X[bestK][0]) / 2
	wantL := -gl / (hl + lam) * lr
	wantR := -(G - gl) / (H - hl + lam) * lr

	if m.Trees() != 1 || m.Features() != 1 {
		t.Fatalf("Trees, Features = %d, %d; want 1, 1", m.Trees(), m.Features())
	}
	if math.Abs(m.base-base) > 1e-12 {
		t.Errorf("base = %v, want %v", m.base, base)
	}
	nodes := m.trees[0].nodes
	if len(nodes) != 3 || nodes[0].feature != 0 {
		t.Fatalf("tree = %+v, want one split on feature 0", nodes)
	}
	root := nodes[0]
	if root.threshold != wantThr {
		t.Errorf("threshold = %v, want %v", root.threshold, wantThr)
	}
	if math.Abs(root.gain-bestGain) > 1e-12 {
		t.Errorf("gain = %v, want %v", root.gain, bestGain)
	}
	const tol = 1e-12
	if l := nodes[root.left].value; math.Abs(l-wantL) > tol {
		t.Errorf("left leaf = %v, want %v", l, wantL)
	}
	if r := nodes[root.right].value; math.Abs(r-wantR) > tol {
		t.Errorf("right leaf = %v, want %v", r, wantR)
	}
	for i, x := range X {
		want := base + wantR
		if x[0] < wantThr {
			want = base + wantL
		}
		if got := m.Margin(x); math.Abs(got-want) > tol {
			t.Errorf("Margin(%v) = %v, want %v", x, got, want)
		}
		if got := m.Predict(x); math.Abs(got-sigmoid(want)) > tol {
			t.Errorf("Predict(%v) = %v, want %v", x, got, sigmoid(want))
		}
		_ = i
	}
	// No missing values in training: NaN goes to the heavier (right) child.
	if got := m.Margin([]float64{math.NaN()}); math.Abs(got-(base+wantR)) > tol {
		t.Errorf("Margin(NaN) = %v, want %v", got, base+wantR)
	}
	if imp := m.Importance(); math.Abs(imp[0]-bestGain) > 1e-12 {
		t.Errorf("Importance = %v, want [%v]", imp, bestGain)
	}
}

func TestLearnsKnownFunctions(t *testing.T) {
	t.Run("logistic with interaction", func(t *testing.T) {
		X, y, _ := logisticData(1, 60000, 6, 0)
		Xt, yt, pt := logisticData(2, 40000, 6, 0)
		m := mustTrain(t, X, y, nil, nil, Params{Trees: 300, MaxDepth: 3, LearningRate: 0.05, Seed: 1})
		got, best := auc(predictAll(m, Xt), yt), auc(pt, yt)
		t.Logf("AUC model %.4f, true probabilities %.4f", got, best)
		if math.Abs(got-best) > 0.01 {
			t.Errorf("AUC %.4f not within 0.01 of the true-probability AUC %.4f", got, best)
		}
	})
	t.Run("xor", func(t *testing.T) {
		gen := func(seed uint64, n int) ([][]float64, []float64) {
			rng := rand.New(rand.NewPCG(seed, 3))
			X := make([][]float64, n)
			y := make([]float64, n)
			for i := range X {
				a, b := rng.Float64()*2-1, rng.Float64()*2-1
				X[i] = []float64{a, b, rng.NormFloat64()}
				if (a > 0) != (b > 0) {
					y[i] = 1
				}
				if rng.Float64() < 0.02 {
					y[i] = 1 - y[i]
				}
			}
			return X, y
		}
		X, y := gen(5, 20000)
		Xt, yt := gen(6, 10000)
		m := mustTrain(t, X, y, nil, nil, Params{Trees: 50, MaxDepth: 3})
		got := auc(predictAll(m, Xt), yt)
		// Any linear score of the inputs is near chance on XOR.
		lin := make([]float64, len(Xt))
		for i, x := range Xt {
			lin[i] = x[0] + x[1]
		}
		t.Logf("AUC model %.4f, linear x0+x1 %.4f", got, auc(lin, yt))
		if got <= 0.95 {
			t.Errorf("XOR AUC %.4f, want > 0.95", got)
		}
	})
}

func TestMissingnessIsUsed(t *testing.T) {
	// Feature 1 is missing for 30% of rows, and missingness carries the
	// signal; its present values are noise. Feature 0 is noise.
	rng := rand.New(rand.NewPCG(9, 9))
	n := 20000
	X := make([][]float64, n)
	y := make([]float64, n)
	for i := range X {
		X[i] = []float64{rng.NormFloat64(), rng.NormFloat64()}
		p := 0.2
		if rng.Float64() < 0.3 {
			X[i][1] = math.NaN()
			p = 0.8
		}
		if rng.Float64() < p {
			y[i] = 1
		}
	}
	m := mustTrain(t, X, y, nil, nil, Params{Trees: 60, MaxDepth: 2})
	imp := m.Importance()
	if !(imp[1] > 10*imp[0]) {
		t.Errorf("importance %v: want feature 1 (missingness) to dominate", imp)
	}
	pMiss := m.Predict([]float64{0, math.NaN()})
	pPres := m.Predict([]float64{0, 0.5})
	t.Logf("P(y=1 | missing) = %.3f, P(y=1 | present) = %.3f", pMiss, pPres)
	if math.Abs(pMiss-0.8) > 0.05 || math.Abs(pPres-0.2) > 0.05 {
		t.Errorf("P(missing) = %.3f, P(present) = %.3f; want about 0.8 and 0.2", pMiss, pPres)
	}
}

// bruteShap is the path-dependent Shapley value by enumerating coalitions:
// f_S(x) follows x on features in S and averages both children by cover
// otherwise. It returns phi and the bias f_{}(x).
func bruteShap(m *Model, x []float64) ([]float64, float64) {
	M := m.nFeatures
	var fS func(t *tree, i int, S uint) float64
	fS = func(t *tree, i int, S uint) float64 {
		nd := &t.nodes[i]
		if nd.feature < 0 {
			return nd.value
		}
		if S&(1<<uint(nd.feature)) != 0 {
			v := x[nd.feature]
			left := v < nd.threshold
			if v != v {
				left = nd.defaultLeft
			}
			if left {
				return fS(t, int(nd.left), S)
			}
			return fS(t, int(nd.right), S)
		}
		l, r := &t.nodes[nd.left], &t.nodes[nd.right]
		return (l.cover*fS(t, int(nd.left), S) + r.cover*fS(t, int(nd.right), S)) / (l.cover + r.cover)
	}
	f := func(S uint) float64 {
		s := m.base
		for ti := range m.trees {
			s += fS(&m.trees[ti], 0, S)
		}
		return s
	}
	fact := func(k int) float64 {
		r := 1.0
		for i := 2; i <= k; i++ {
			r *= float64(i)
		}
		return r
	}
	phi := make([]float64, M)
	for j := 0; j < M; j++ {
		for S := uint(0); S < 1<<uint(M); S++ {
			if S&(1<<uint(j)) != 0 {
				continue
			}
			k := 0
			for b := S; b != 0; b &= b - 1 {
				k++
			}
			wt := fact(k) * fact(M-k-1) / fact(M)
			phi[j] += wt * (f(S|1<<uint(j)) - f(S))
		}
	}
	return phi, f(0)
}

func TestContributions(t *testing.T) {
	t.Run("sum to margin and match brute force", func(t *testing.T) {
		X, y, _ := logisticData(3, 3000, 5, 0.2)
		for i := range X { // feature 4 is constant: never used
			X[i][4] = 1
		}
		m := mustTrain(t, X, y, nil, nil, Params{Trees: 15, MaxDepth: 4, Seed: 3})
		out := make([]float64, 5)
		rng := rand.New(rand.NewPCG(4, 4))
		for k := 0; k < 200; k++ {
			x := X[rng.IntN(len(X))]
			bias := m.Contributions(x, out)
			sum := bias
			for _, v := range out {
				sum += v
			}
			if mg := m.Margin(x); math.Abs(sum-mg) > 1e-9 {
				t.Fatalf("bias + Σ contributions = %v, Margin = %v", sum, mg)
			}
			if out[4] != 0 {
				t.Fatalf("unused feature has contribution %v", out[4])
			}
			if k < 20 {
				want, wantBias := bruteShap(m, x)
				if math.Abs(bias-wantBias) > 1e-9 {
					t.Fatalf("bias = %v, brute force %v", bias, wantBias)
				}
				for j := range want {
					if math.Abs(out[j]-want[j]) > 1e-9 {
						t.Fatalf("x=%v: contributions %v, brute-force Shapley %v", x, out, want)
					}
				}
			}
		}
	})
	t.Run("one stump by hand", func(t *testing.T) {
		X := [][]float64{{1, 7}, {2, 7}, {3, 7}, {4, 7}, {5, 7}}
		y := []float64{0, 0, 1, 1, 1}
		m := mustTrain(t, X, y, nil, nil, Params{Trees: 1, MaxDepth: 1, LearningRate: 0.5, MinChildWeight: 0.1})
		nd := m.trees[0].nodes
		l, r := nd[nd[0].left], nd[nd[0].right]
		expect := (l.cover*l.value + r.cover*r.value) / (l.cover + r.cover)
		// Rows 0,1 go left and 2..4 right, each with hessian p(1-p).
		if math.Abs(l.cover/(l.cover+r.cover)-0.4) > 1e-12 {
			t.Fatalf("left cover share %v, want 0.4", l.cover/(l.cover+r.cover))
		}
		out := make([]float64, 2)
		for _, x := range X {
			bias := m.Contributions(x, out)
			leaf := r.value
			if x[0] < nd[0].threshold {
				leaf = l.value
			}
			if math.Abs(bias-(m.base+expect)) > 1e-12 || math.Abs(out[0]-(leaf-expect)) > 1e-12 || out[1] != 0 {
				t.Errorf("x=%v: bias %v, out %v; want %v, [%v 0]", x, bias, out, m.base+expect, leaf-expect)
			}
		}
	})
}

func TestDeterminism(t *testing.T) {
	X, y, _ := logisticData(7, 30000, 8, 0.1)
	Xv, yv, _ := logisticData(8, 5000, 8, 0.1)
	for _, tc := range []struct {
		name string
		p    Params
	}{
		{"plain", Params{Trees: 20, MaxDepth: 5, Seed: 11}},
		{"sampled", Params{Trees: 20, MaxDepth: 5, Subsample: 0.7, ColSample: 0.6, Seed: 11}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var ref []byte
			for _, threads := range []int{1, 2, 3} {
				p := tc.p
				p.Threads = threads
				m := mustTrain(t, X, y, nil, &Set{X: Xv, Y: yv}, p)
				b, err := m.MarshalBinary()
				if err != nil {
					t.Fatal(err)
				}
				if ref == nil {
					ref = b
					// Round trip.
					var m2 Model
					if err := m2.UnmarshalBinary(b); err != nil {
						t.Fatal(err)
					}
					b2, _ := m2.MarshalBinary()
					if !bytes.Equal(b, b2) {
						t.Fatal("re-marshalled bytes differ")
					}
					p1, p2 := predictAll(m, Xv), predictAll(&m2, Xv)
					for i := range p1 {
						if p1[i] != p2[i] || p1[i] != m.Predict(Xv[i]) {
							t.Fatalf("row %d: predictions %v / %v / %v differ", i, p1[i], p2[i], m.Predict(Xv[i]))
						}
					}
					continue
				}
				if !bytes.Equal(ref, b) {
					t.Fatalf("Threads=%d gives different model bytes than Threads=1", threads)
				}
			}
			p := tc.p
			p.Seed++
			m := mustTrain(t, X, y, nil, nil, p)
			b, _ := m.MarshalBinary()
			if tc.p.Subsample > 0 && tc.p.Subsample < 1 && bytes.Equal(ref, b) {
				t.Error("a different seed gave the same sampled model")
			}
		})
	}
	var bad Model
	if err := bad.UnmarshalBinary([]byte("nonsense")); err == nil {
		t.Error("UnmarshalBinary accepted garbage")
	}
}

func TestEarlyStopping(t *testing.T) {
	// Few noisy rows and deep trees overfit quickly.
	X, y, _ := logisticData(12, 600, 6, 0)
	Xv, yv, _ := logisticData(13, 4000, 6, 0)
	valid := &Set{X: Xv, Y: yv}
	p := Params{Trees: 300, MaxDepth: 6, LearningRate: 0.3, MinChildWeight: 0.5, Seed: 2}
	full := mustTrain(t, X, y, nil, valid, p)
	p.EarlyStopping = 10
	es := mustTrain(t, X, y, nil, valid, p)

	// Validation loss of every prefix of the full model.
	margins := make([]float64, len(Xv))
	for i := range margins {
		margins[i] = full.base
	}
	best, bestK, lastImp := math.Inf(1), 0, 0
	for k := 1; k <= full.Trees(); k++ {
		for i, x := range Xv {
			margins[i] += full.trees[k-1].value(x)
		}
		if l := setLogLoss(valid, margins); l < best {
			best, bestK, lastImp = l, k, k
		}
		if k-lastImp >= 10 {
			break
		}
	}
	if full.Trees() != 300 {
		t.Fatalf("without early stopping got %d trees, want 300", full.Trees())
	}
	if es.Trees() != bestK || bestK >= 300 {
		t.Fatalf("early stopping kept %d trees, want the best round %d (< 300)", es.Trees(), bestK)
	}
	for k := 0; k < es.Trees(); k++ {
		if !slices.Equal(es.trees[k].nodes, full.trees[k].nodes) {
			t.Fatalf("tree %d differs from the full run's", k)
		}
	}
}

func TestErrors(t *testing.T) {
	X := [][]float64{{1, 2}, {3, 4}, {5, 6}}
	y := []float64{0, 1, 0}
	ctx := context.Background()
	cases := []struct {
		name  string
		X     [][]float64
		y, w  []float64
		valid *Set
		p     Params
		want  string
	}{
		{"empty X", nil, nil, nil, nil, Params{}, "X is empty"},
		{"no features", [][]float64{{}, {}}, []float64{0, 1}, nil, nil, Params{}, "no features"},
		{"ragged", [][]float64{{1, 2}, {3}, {5, 6}}, y, nil, nil, Params{}, "ragged"},
		{"y length", X, []float64{0, 1}, nil, nil, Params{}, "len(y)"},
		{"w length", X, y, []float64{1}, nil, Params{}, "len(w)"},
		{"y not 0/1", X, []float64{0, 2, 1}, nil, nil, Params{}, "want 0 or 1"},
		{"y NaN", X, []float64{0, math.NaN(), 1}, nil, nil, Params{}, "want 0 or 1"},
		{"single class", X, []float64{1, 1, 1}, nil, nil, Params{}, "single class"},
		{"single class by weight", X, y, []float64{1, 0, 1}, nil, Params{}, "single class"},
		{"negative weight", X, y, []float64{1, -1, 1}, nil, Params{}, "w[1]"},
		{"trees", X, y, nil, nil, Params{Trees: -1}, "Trees"},
		{"depth", X, y, nil, nil, Params{MaxDepth: 99}, "MaxDepth"},
		{"lr", X, y, nil, nil, Params{LearningRate: -0.1}, "LearningRate"},
		{"lambda", X, y, nil, nil, Params{Lambda: math.NaN()}, "Lambda"},
		{"gamma", X, y, nil, nil, Params{Gamma: -1}, "Gamma"},
		{"mcw", X, y, nil, nil, Params{MinChildWeight: -1}, "MinChildWeight"},
		{"bins", X, y, nil, nil, Params{MaxBins: 1000}, "MaxBins"},
		{"subsample", X, y, nil, nil, Params{Subsample: 1.5}, "Subsample"},
		{"colsample", X, y, nil, nil, Params{ColSample: -1}, "ColSample"},
		{"threads", X, y, nil, nil, Params{Threads: -2}, "Threads"},
		{"early stopping without valid", X, y, nil, nil, Params{EarlyStopping: 5}, "validation"},
		{"valid features", X, y, nil, &Set{X: [][]float64{{1}}, Y: []float64{1}}, Params{}, "valid: ragged"},
		{"valid labels", X, y, nil, &Set{X: [][]float64{{1, 2}}, Y: []float64{3}}, Params{}, "valid: y[0]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Train(ctx, tc.X, tc.y, tc.w, tc.valid, tc.p)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one mentioning %q", err, tc.want)
			}
		})
	}
	t.Run("cancelled context", func(t *testing.T) {
		c, cancel := context.WithCancel(ctx)
		cancel()
		_, err := Train(c, X, y, nil, nil, Params{})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	})
}

func TestBinning(t *testing.T) {
	for _, tc := range []struct {
		name   string
		vals   []float64
		maxVal int
		check  func([]float64) bool
	}{
		{"distinct midpoints", []float64{3, 1, 2, 2, 1}, 10, func(c []float64) bool { return slices.Equal(c, []float64{1.5, 2.5}) }},
		{"constant", []float64{4, 4, 4}, 10, func(c []float64) bool { return len(c) == 0 }},
		{"infinities", []float64{math.Inf(-1), 0, math.Inf(1)}, 10, func(c []float64) bool {
			return len(c) == 2 && c[0] == 0 && math.IsInf(c[1], 1)
		}},
		{"quantiles", func() []float64 {
			v := make([]float64, 1000)
			for i := range v {
				v[i] = float64(i)
			}
			return v
		}(), 4, func(c []float64) bool { return slices.Equal(c, []float64{250, 500, 750}) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := makeCuts(slices.Clone(tc.vals), tc.maxVal)
			if !tc.check(c) {
				t.Fatalf("cuts = %v", c)
			}
			// Every value's bin agrees with the threshold rule.
			for _, v := range tc.vals {
				b := int(binOf(c, v))
				for k := 1; k <= len(c); k++ {
					if (b <= k) != (v < c[k-1]) {
						t.Fatalf("v=%v bin %d disagrees with cut %d = %v", v, b, k, c[k-1])
					}
				}
			}
		})
	}
	if binOf([]float64{1}, math.NaN()) != missingBin {
		t.Error("NaN not in the missing bin")
	}
}
