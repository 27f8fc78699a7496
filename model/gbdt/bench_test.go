package gbdt

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// envInt reads a benchmark size override such as GBDT_BENCH_ROWS.
func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// BenchmarkTrain trains on a simulated matrix (default 100k rows × 50
// features, 50 trees of depth 6; override with GBDT_BENCH_ROWS,
// GBDT_BENCH_FEATURES, GBDT_BENCH_TREES, GBDT_BENCH_DEPTH).
func BenchmarkTrain(b *testing.B) {
	n := envInt("GBDT_BENCH_ROWS", 100_000)
	nf := envInt("GBDT_BENCH_FEATURES", 50)
	trees := envInt("GBDT_BENCH_TREES", 50)
	depth := envInt("GBDT_BENCH_DEPTH", 6)
	X, y, _ := logisticData(21, n, nf, 0.1)
	p := Params{Trees: trees, MaxDepth: depth, MaxBins: 256}
	b.ResetTimer()
	var secs float64
	for i := 0; i < b.N; i++ {
		start := time.Now()
		if _, err := Train(context.Background(), X, y, nil, nil, p); err != nil {
			b.Fatal(err)
		}
		secs += time.Since(start).Seconds()
	}
	b.ReportMetric(secs/float64(b.N), "train-s")
	b.ReportMetric(float64(n)*float64(trees)*float64(b.N)/secs, "row-trees/s")
}

// BenchmarkPredictBatch scores rows on one core (GOMAXPROCS=1) with a
// 200-tree depth-6 model.
func BenchmarkPredictBatch(b *testing.B) {
	X, y, _ := logisticData(22, 50_000, 30, 0.1)
	m := mustTrain(b, X, y, nil, nil, Params{Trees: 200, MaxDepth: 6})
	out := make([]float64, len(X))
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.PredictBatch(X, out)
	}
	b.ReportMetric(float64(len(X))*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkMarginsFlat scores blocks of rows on one core with a 300-tree
// depth-5 model over 145 features, the shape of dsopilot's late-payment
// model (GBDT_BENCH_BLOCK sets the block size, default 32).
func BenchmarkMarginsFlat(b *testing.B) {
	const nf = 145
	block := envInt("GBDT_BENCH_BLOCK", 32)
	X, y, _ := logisticData(23, 50_000, nf, 0.1)
	m := mustTrain(b, X, y, nil, nil, Params{Trees: 300, MaxDepth: 5})
	flatX := make([]float64, 0, len(X)*nf)
	for _, x := range X {
		flatX = append(flatX, x...)
	}
	out := make([]float64, block)
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	b.ResetTimer()
	rows := 0
	for i := 0; i < b.N; i++ {
		for lo := 0; lo+block <= len(X); lo += block {
			m.MarginsFlat(flatX[lo*nf:(lo+block)*nf], nf, out)
			rows += block
		}
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}
