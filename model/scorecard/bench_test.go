package scorecard

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
)

// wideData draws n rows of p columns cycling through four kinds of
// informative feature (linear, step, skewed with 10% missing, integer with
// a U shape) with every fifth column pure noise; each informative column
// adds a small effect to the log-odds so that the bad rate is ~25%.
func wideData(n, p int, seed uint64) (X [][]float64, y []float64) {
	r := rand.New(rand.NewPCG(seed, 3))
	back := make([]float64, n*p)
	X, y = make([][]float64, n), make([]float64, n)
	scale := 3 / math.Sqrt(float64(p))
	for i := range X {
		row := back[i*p : (i+1)*p : (i+1)*p]
		eta := -1.1
		for j := range row {
			var v, e float64
			switch {
			case j%5 == 4:
				v = r.NormFloat64()
			case j%4 == 0:
				v = r.Float64()
				e = v - 0.5
			case j%4 == 1:
				v = r.NormFloat64()
				if v > 0.3 {
					e = -0.6
				}
			case j%4 == 2:
				v = r.ExpFloat64() * 500
				e = -0.3 * math.Log1p(v/500)
				if r.Float64() < 0.1 {
					v, e = math.NaN(), 0.4
				}
			default:
				v = float64(r.IntN(90))
				e = math.Pow((v-45)/45, 2) - 0.33
			}
			row[j] = v
			eta += scale * e
		}
		X[i] = row
		if r.Float64() < 1/(1+math.Exp(-eta)) {
			y[i] = 1
		}
	}
	return X, y
}

type dataset struct {
	X [][]float64
	y []float64
}

// datasets caches generated data across benchmark runs (generation of the
// large sets takes longer than a fit).
var datasets sync.Map

func wide(n, p int) dataset {
	key := fmt.Sprint(n, "x", p)
	if d, ok := datasets.Load(key); ok {
		return d.(dataset)
	}
	X, y := wideData(n, p, 1)
	d := dataset{X, y}
	datasets.Store(key, d)
	return d
}

func benchFit(b *testing.B, n, p int) {
	d := wide(n, p)
	b.ResetTimer()
	var s *Scorecard
	for b.Loop() {
		var err error
		if s, err = Fit(context.Background(), d.X, d.y, nil, Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/fit")
	kept := 0
	for _, f := range s.Features {
		if f.Dropped == "" {
			kept++
		}
	}
	b.ReportMetric(float64(kept), "kept")
}

// BenchmarkFit: 200k rows × 20 columns.
func BenchmarkFit(b *testing.B) { benchFit(b, 200_000, 20) }

// BenchmarkFitLarge: 500k rows × 60 columns, the size the defaults were
// chosen for (target: under ~5 s on 2 cores).
func BenchmarkFitLarge(b *testing.B) { benchFit(b, 500_000, 60) }

// BenchmarkChiMergeCuts measures one column's binning (sampling, sorting
// and the merge passes) on 500k rows for several MaxRows.
func BenchmarkChiMergeCuts(b *testing.B) {
	d := wide(500_000, 60)
	x := make([]float64, len(d.X))
	for i, row := range d.X {
		x[i] = row[0]
	}
	for _, rows := range []int{5_000, 10_000, 20_000, 50_000, 100_000} {
		b.Run(fmt.Sprint("MaxRows=", rows), func(b *testing.B) {
			c := ChiMerge{MaxRows: rows}
			var cuts []float64
			for b.Loop() {
				var err error
				if cuts, err = c.Cuts(context.Background(), x, d.y); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(b.Elapsed().Seconds()*1e3/float64(b.N), "ms/column")
			b.ReportMetric(float64(len(cuts)), "cuts")
		})
	}
}

// BenchmarkMargin scores rows of a 20-column scorecard one at a time.
func BenchmarkMargin(b *testing.B) {
	d := wide(200_000, 20)
	s, err := Fit(context.Background(), d.X, d.y, nil, Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	var sink float64
	i := 0
	for b.Loop() {
		sink += s.Margin(d.X[i])
		if i++; i == len(d.X) {
			i = 0
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	if math.IsNaN(sink) {
		b.Fatal("NaN margin")
	}
}
