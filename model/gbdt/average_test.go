package gbdt

import (
	"math"
	"strings"
	"testing"
)

// TestAverage checks that the averaged model's margin, flat-batch margin and
// contributions are the mean of its members', that it survives the binary
// round trip, and that it refuses what cannot be averaged.
func TestAverage(t *testing.T) {
	X, y, _ := logisticData(3, 4000, 6, 0.1)
	Xv, _, _ := logisticData(4, 200, 6, 0.1)
	for _, tc := range []struct {
		name  string
		seeds []uint64
		p     Params
	}{
		{"one model", []uint64{1}, Params{Trees: 15, MaxDepth: 3, Subsample: 0.8, ColSample: 0.8}},
		{"three sampled", []uint64{1, 2, 3}, Params{Trees: 15, MaxDepth: 3, Subsample: 0.8, ColSample: 0.8}},
		{"five deep", []uint64{5, 6, 7, 8, 9}, Params{Trees: 8, MaxDepth: 6, Subsample: 0.7, ColSample: 0.5}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var ms []*Model
			trees := 0
			for _, s := range tc.seeds {
				p := tc.p
				p.Seed = s
				m := mustTrain(t, X, y, nil, nil, p)
				ms = append(ms, m)
				trees += m.Trees()
			}
			avg, err := Average(ms)
			if err != nil {
				t.Fatal(err)
			}
			if avg.Trees() != trees {
				t.Errorf("%d trees, want the members' %d", avg.Trees(), trees)
			}
			b, err := avg.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			var back Model
			if err := back.UnmarshalBinary(b); err != nil {
				t.Fatal(err)
			}
			nf := len(Xv[0])
			flat := make([]float64, 0, len(Xv)*nf)
			for _, x := range Xv {
				flat = append(flat, x...)
			}
			batch := make([]float64, len(Xv))
			back.MarginsFlat(flat, nf, batch)
			contrib := make([]float64, nf)
			for i, x := range Xv {
				want := 0.0
				for _, m := range ms {
					want += m.Margin(x)
				}
				want /= float64(len(ms))
				for what, got := range map[string]float64{"Margin": avg.Margin(x), "decoded Margin": back.Margin(x), "MarginsFlat": batch[i]} {
					if math.Abs(got-want) > 1e-9 {
						t.Fatalf("row %d: %s %v, want the members' mean %v", i, what, got, want)
					}
				}
				sum := avg.PathContributions(x, contrib)
				for _, c := range contrib {
					sum += c
				}
				if math.Abs(sum-want) > 1e-9 {
					t.Fatalf("row %d: contributions sum to %v, want %v", i, sum, want)
				}
			}
		})
	}
	m := mustTrain(t, X, y, nil, nil, Params{Trees: 2, MaxDepth: 2})
	Xn, yn, _ := logisticData(3, 500, 4, 0)
	other := mustTrain(t, Xn, yn, nil, nil, Params{Trees: 2, MaxDepth: 2})
	for _, tc := range []struct {
		name   string
		models []*Model
		want   string
	}{
		{"none", nil, "no models"},
		{"different widths", []*Model{m, other}, "reads 6 features, another 4"},
	} {
		if _, err := Average(tc.models); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}
