package gbdt

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// These tests compare against Debian's xgboost CLI (1.7.x, `apt-get install
// xgboost`), skipping when the binary is not on PATH.

func xgboostBin(tb testing.TB) string {
	tb.Helper()
	path, err := exec.LookPath("xgboost")
	if err != nil {
		tb.Skip("xgboost binary not on PATH (apt-get install -y xgboost); skipping the comparison")
	}
	return path
}

// float32Data is logisticData with values rounded to float32, the precision
// XGBoost stores, so both trainers see the same matrix.
func float32Data(seed uint64, n, nf int, missing float64) ([][]float64, []float64) {
	X, y, _ := logisticData(seed, n, nf, missing)
	for _, row := range X {
		for j, v := range row {
			row[j] = float64(float32(v))
		}
	}
	return X, y
}

// writeLibSVM writes rows in 1-based LibSVM format, leaving NaN out
// (XGBoost's missing value).
func writeLibSVM(path string, X [][]float64, y []float64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	var buf []byte
	for i, row := range X {
		buf = strconv.AppendFloat(buf[:0], y[i], 'g', -1, 64)
		for j, v := range row {
			if math.IsNaN(v) {
				continue
			}
			buf = append(buf, ' ')
			buf = strconv.AppendInt(buf, int64(j+1), 10)
			buf = append(buf, ':')
			buf = strconv.AppendFloat(buf, v, 'g', -1, 32)
		}
		buf = append(buf, '\n')
		w.Write(buf)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

type xgbRun struct {
	bin, dir        string
	trees, depth    int
	eta, lambda     float64
	maxBin          int
	minChildWeight  float64
	baseScore       float64
	trainFile, test string
}

func (r *xgbRun) config(rounds int) (string, error) {
	cfg := fmt.Sprintf(`booster = gbtree
objective = binary:logistic
tree_method = hist
eta = %g
max_depth = %d
num_round = %d
max_bin = %d
lambda = %g
alpha = 0
gamma = 0
min_child_weight = %g
subsample = 1
colsample_bytree = 1
base_score = %.17g
nthread = 2
seed = 0
`, r.eta, r.depth, rounds, r.maxBin, r.lambda, r.minChildWeight, r.baseScore)
	path := filepath.Join(r.dir, fmt.Sprintf("train%d.conf", rounds))
	return path, os.WriteFile(path, []byte(cfg), 0o644)
}

func (r *xgbRun) exec(args ...string) error {
	cmd := exec.Command(r.bin, args...)
	cmd.Dir = r.dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("xgboost %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

func libsvmURI(path string) string { return path + "?format=libsvm&indexing_mode=1" }

// train runs `xgboost task=train` with the given number of rounds and
// returns its wall time (data loading included).
func (r *xgbRun) train(rounds int) (time.Duration, error) {
	cfg, err := r.config(rounds)
	if err != nil {
		return 0, err
	}
	start := time.Now()
	err = r.exec(cfg, "task=train", "data="+libsvmURI(r.trainFile), "model_out=model.bin")
	return time.Since(start), err
}

func (r *xgbRun) predict() ([]float64, error) {
	cfg, err := r.config(r.trees)
	if err != nil {
		return nil, err
	}
	if err := r.exec(cfg, "task=pred", "model_in=model.bin", "test:data="+libsvmURI(r.test), "name_pred=pred.txt"); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(filepath.Join(r.dir, "pred.txt"))
	if err != nil {
		return nil, err
	}
	fields := strings.Fields(string(data))
	out := make([]float64, len(fields))
	for i, f := range fields {
		if out[i], err = strconv.ParseFloat(f, 64); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func meanLabel(y []float64) float64 {
	s := 0.0
	for _, v := range y {
		s += v
	}
	return s / float64(len(y))
}

func pearson(a, b []float64) float64 {
	n := float64(len(a))
	var ma, mb float64
	for i := range a {
		ma += a[i]
		mb += b[i]
	}
	ma /= n
	mb /= n
	var sab, saa, sbb float64
	for i := range a {
		da, db := a[i]-ma, b[i]-mb
		sab += da * db
		saa += da * da
		sbb += db * db
	}
	return sab / math.Sqrt(saa*sbb)
}

// compareXGBoost trains both on the same matrix and returns the holdout
// AUCs, the prediction correlation and the two training times.
func compareXGBoost(tb testing.TB, n, nt, nf, trees, depth, maxBin int) (aucOurs, aucXGB, corr float64, ours, xgb, xgbLoad time.Duration) {
	bin := xgboostBin(tb)
	X, y := float32Data(31, n, nf, 0.15)
	Xt, yt := float32Data(32, nt, nf, 0.15)
	r := &xgbRun{bin: bin, dir: tb.TempDir(), trees: trees, depth: depth, eta: 0.1, lambda: 1,
		maxBin: maxBin, minChildWeight: 1, baseScore: meanLabel(y)}
	r.trainFile = filepath.Join(r.dir, "train.libsvm")
	r.test = filepath.Join(r.dir, "test.libsvm")
	if err := writeLibSVM(r.trainFile, X, y); err != nil {
		tb.Fatal(err)
	}
	if err := writeLibSVM(r.test, Xt, yt); err != nil {
		tb.Fatal(err)
	}

	start := time.Now()
	m := mustTrain(tb, X, y, nil, nil, Params{Trees: trees, MaxDepth: depth, LearningRate: 0.1, Lambda: 1,
		MinChildWeight: 1, MaxBins: maxBin})
	ours = time.Since(start)

	var err error
	if xgbLoad, err = r.train(1); err != nil { // loading + one round
		tb.Fatal(err)
	}
	if xgb, err = r.train(trees); err != nil {
		tb.Fatal(err)
	}
	px, err := r.predict()
	if err != nil {
		tb.Fatal(err)
	}
	if len(px) != nt {
		tb.Fatalf("xgboost wrote %d predictions, want %d", len(px), nt)
	}
	po := predictAll(m, Xt)
	return auc(po, yt), auc(px, yt), pearson(po, px), ours, xgb, xgbLoad
}

func TestMatchesXGBoost(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode")
	}
	aucOurs, aucXGB, corr, ours, xgb, _ := compareXGBoost(t, 50_000, 20_000, 20, 100, 4, 64)
	t.Logf("holdout AUC ours %.4f, xgboost %.4f; prediction correlation %.4f; train time ours %v, xgboost CLI %v",
		aucOurs, aucXGB, corr, ours.Round(time.Millisecond), xgb.Round(time.Millisecond))
	if math.Abs(aucOurs-aucXGB) > 0.005 {
		t.Errorf("AUC ours %.4f vs xgboost %.4f: differ by more than 0.005", aucOurs, aucXGB)
	}
	if corr <= 0.99 {
		t.Errorf("prediction correlation %.4f, want > 0.99", corr)
	}
}

// BenchmarkVsXGBoost times both trainers on the same matrix (default 200k
// rows × 50 features, 15% missing in 48 of them, 100 trees of depth 6,
// max_bin 256; override with GBDT_XGB_ROWS, GBDT_XGB_FEATURES,
// GBDT_XGB_TREES, GBDT_XGB_DEPTH). xgboost-s is the CLI's wall time for
// task=train including parsing the LibSVM file; xgboost-load-s is the same
// for a single round, an upper bound on the parsing part.
func BenchmarkVsXGBoost(b *testing.B) {
	n := envInt("GBDT_XGB_ROWS", 200_000)
	nf := envInt("GBDT_XGB_FEATURES", 50)
	trees := envInt("GBDT_XGB_TREES", 100)
	depth := envInt("GBDT_XGB_DEPTH", 6)
	for i := 0; i < b.N; i++ {
		aucOurs, aucXGB, corr, ours, xgb, load := compareXGBoost(b, n, 50_000, nf, trees, depth, 256)
		b.ReportMetric(ours.Seconds(), "ours-s")
		b.ReportMetric(xgb.Seconds(), "xgboost-s")
		b.ReportMetric(load.Seconds(), "xgboost-load-s")
		b.ReportMetric(aucOurs, "auc-ours")
		b.ReportMetric(aucXGB, "auc-xgb")
		b.ReportMetric(corr, "pred-corr")
	}
}
