package model

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/dsopilot/dsopilot/model/gbdt"
)

// TestRefitBagsBoosters checks that a booster refitted on fewer than
// bagWindow rows is the mean of smallBag boosters fitted with consecutive
// seeds, each of which differs from the others, and that a linear model, or
// a booster on bagWindow rows, is refitted alone.
func TestRefitBagsBoosters(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var large design
	for range bagWindow {
		x := []float64{rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64()}
		y := 0.0
		if rng.Float64() < sigmoid(0.8*x[0]-0.5*x[1]*x[2]) {
			y = 1
		}
		large.X, large.y = append(large.X, x), append(large.y, y)
	}
	small := design{X: large.X[:600], y: large.y[:600]}
	cols := []string{"a", "b", "c"}
	o := TrainOptions{Seed: 9}.withDefaults()
	params := gbdt.Params{Trees: 30, MaxDepth: 3, LearningRate: 0.1, Subsample: 0.8, ColSample: 0.7, EarlyStopping: 10}
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		s     setting
		d     design
		folds []int // boosting rounds kept per fold
		bag   int   // boosters averaged
	}{
		{"booster, fold rounds", setting{family: FamilyGBDT, gbdt: params}, small, []int{12, 18}, smallBag},
		{"booster, no fold rounds", setting{family: FamilyGBDT, gbdt: params}, small, nil, smallBag},
		{"booster, large window", setting{family: FamilyGBDT, gbdt: params}, large, []int{12, 18}, 1},
		{"logistic", setting{family: FamilyLogistic, l2: 1e-3}, small, nil, 1},
	} {
		d := tc.d
		t.Run(tc.name, func(t *testing.T) {
			c, err := refit(ctx, tc.s, tc.folds, d, nil, nil, nil, cols, o)
			if err != nil {
				t.Fatal(err)
			}
			s := tc.s
			if s.family == FamilyGBDT {
				s.gbdt.EarlyStopping = 0
				if len(tc.folds) > 0 {
					s.gbdt.Trees = 15 // the folds' mean
				}
			}
			var members []*Classifier
			for j := range tc.bag {
				m, err := trainClassifier(ctx, s, d.X, d.y, nil, nil, cols, o.Seed+uint64(j))
				if err != nil {
					t.Fatal(err)
				}
				members = append(members, m)
			}
			if tc.bag > 1 && members[0].Margin(d.X[0]) == members[1].Margin(d.X[0]) {
				t.Fatal("two seeds gave the same booster: the bag would average copies")
			}
			for i, x := range d.X[:50] {
				want := 0.0
				for _, m := range members {
					want += m.Margin(x)
				}
				want /= float64(len(members))
				if got := c.Margin(x); math.Abs(got-want) > 1e-9 {
					t.Fatalf("row %d: margin %v, want the mean of %d members' %v", i, got, tc.bag, want)
				}
			}
			if c.Family == FamilyGBDT {
				var back Classifier
				back.Family, back.Trees = c.Family, c.Trees
				if err := back.load(); err != nil {
					t.Fatal(err)
				}
				if back.Margin(d.X[0]) != c.Margin(d.X[0]) {
					t.Error("the stored trees are not the averaged booster")
				}
			}
		})
	}
}
