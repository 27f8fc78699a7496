package gbdt

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
)

func TestPathContributionsAddUpAndShareTheBias(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	n, f := 3000, 6
	X := make([][]float64, n)
	y := make([]float64, n)
	for i := range X {
		X[i] = make([]float64, f)
		for j := range X[i] {
			X[i][j] = r.NormFloat64()
		}
		if r.IntN(7) == 0 {
			X[i][2] = math.NaN()
		}
		if r.Float64() < 1/(1+math.Exp(-(X[i][0]-X[i][1]*X[i][3]))) {
			y[i] = 1
		}
	}
	m, err := Train(context.Background(), X, y, nil, nil, Params{Trees: 40, MaxDepth: 4, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	path, shap := make([]float64, f), make([]float64, f)
	for _, x := range X[:200] {
		pb := m.PathContributions(x, path)
		sb := m.Contributions(x, shap)
		if math.Abs(pb-sb) > 1e-9 {
			t.Fatalf("path bias %v, Tree SHAP bias %v", pb, sb)
		}
		sum := pb
		for _, c := range path {
			sum += c
		}
		if got := m.Margin(x); math.Abs(sum-got) > 1e-9 {
			t.Fatalf("path contributions sum to %v, margin %v", sum, got)
		}
		if path[5] != 0 && m.Importance()[5] == 0 {
			t.Fatal("an unused feature got credit")
		}
	}
	// The unmarshalled model computes the same contributions.
	b, _ := m.MarshalBinary()
	var u Model
	if err := u.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	again := make([]float64, f)
	u.PathContributions(X[0], again)
	m.PathContributions(X[0], path)
	for j := range path {
		if path[j] != again[j] {
			t.Fatalf("feature %d: %v after a round trip, %v before", j, again[j], path[j])
		}
	}
}

// The compiled (padded, branch-free) trees must give exactly the margins of
// the trees as trained, including missing values sent by default either way
// and trees of uneven depth.
func TestCompiledMarginsEqualTrees(t *testing.T) {
	X, y, _ := logisticData(31, 3000, 8, 0.3)
	for i := range X {
		if i%7 == 0 {
			X[i][i%8] = math.NaN()
		}
	}
	for _, depth := range []int{1, 3, 6} {
		m := mustTrain(t, X, y, nil, nil, Params{Trees: 40, MaxDepth: depth, MinChildWeight: 20})
		if m.fl == nil {
			t.Fatalf("depth %d: model not compiled", depth)
		}
		flatX := make([]float64, 0, len(X)*8)
		for _, x := range X {
			flatX = append(flatX, x...)
		}
		batch := make([]float64, len(X))
		m.MarginsFlat(flatX, 8, batch)
		for i, x := range X {
			want := m.base
			for k := range m.trees {
				want += m.trees[k].value(x)
			}
			if got := m.Margin(x); got != want {
				t.Fatalf("depth %d row %d: Margin %v, trees %v", depth, i, got, want)
			}
			// Sums in another order may differ in the last bits.
			if math.Abs(batch[i]-want) > 1e-12 {
				t.Fatalf("depth %d row %d: MarginsFlat %v, trees %v", depth, i, batch[i], want)
			}
		}
	}
}
