package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/storetest"
	"github.com/dsopilot/dsopilot/datasets/synth"
	"github.com/dsopilot/dsopilot/model/forecast"
	"github.com/dsopilot/dsopilot/model/forecast/realformat"
)

// forecast backtest --store reads a ClickHouse ledger in parts of whole
// customers (its span once, then at each origin the training set and the
// forecast's two passes) and prints what forecast backtest --input prints
// for the same export, predictions included (the run's duration aside),
// on one server in one part and in three, and on two shards; origins
// stepped from the ledger's span too. The embedded store reads the whole
// ledger as --input does.
func TestForecastBacktestFromTheStoreInPartsIsWhole(t *testing.T) {
	single, cluster := chStore(t), chCluster(t)
	dir := t.TempDir()
	path, fx, source := realFormatExport(t, dir)
	embedded := filepath.Join(dir, "store")
	for _, spec := range []string{embedded, single, cluster} {
		args := append([]string{"import", "--store", spec, "--rejects", filepath.Join(t.TempDir(), "r.csv")}, source...)
		if _, _, err := call(t, nil, append(args, path)...); err != nil {
			t.Fatalf("import into %s: %v", spec, err)
		}
	}
	for _, spec := range []string{single, cluster} {
		sameSpan(t, spec)
	}
	// The duration differs from run to run.
	seconds := regexp.MustCompile(`"seconds": *[0-9.e+-]+`)
	backtest := func(origins []string, args ...string) (string, string) {
		t.Helper()
		pred := filepath.Join(t.TempDir(), "pred.csv")
		args = append(append([]string{"forecast", "backtest", "--families", "logistic", "--paths", "300", "--currency", "EUR", "--fx", fx,
			"--json", "--predictions", pred}, origins...), args...)
		out, _, err := call(t, nil, args...)
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		p, err := os.ReadFile(pred)
		if err != nil {
			t.Fatal(err)
		}
		return seconds.ReplaceAllString(out, `"seconds":0`), string(p)
	}
	for _, origins := range [][]string{
		{"--origins", "2024-03-31,2024-06-30"},
		{"--from", "2024-05-31", "--every", "61"},
	} {
		want, wantPred := backtest(origins, append([]string{"--input", path}, source...)...)
		if !strings.Contains(want, `"wape_vs_best_baseline"`) || strings.Count(wantPred, "\n") < 1+2*13*2 {
			t.Fatalf("forecast backtest --input %v printed\n%s\nand %d predictions", origins, want, strings.Count(wantPred, "\n"))
		}
		for _, c := range [][]string{{"--store", embedded}, {"--store", single, "--parts", "1"}, {"--store", single, "--parts", "3"}, {"--store", cluster, "--parts", "2"}} {
			got, gotPred := backtest(origins, c...)
			if got != want || gotPred != wantPred {
				t.Errorf("forecast backtest %v %v:\n%s\nwant, as with --input:\n%s\npredictions equal: %v", origins, c, got, want, gotPred == wantPred)
			}
		}
	}
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--input", path, "--store", single, "--origins", "2024-03-31"}, 2, "give --input or --store"},
		{[]string{"--store", single, "--parts", "2", "--origins", "2022-01-31"}, 1, "before"},
		{[]string{"--store", single, "--parts", "2", "--origins", "2030-01-31"}, 1, "after the data (the last record"},
		{[]string{"--store", single, "--from", "2030-01-31", "--every", "30"}, 1, "no origin from 2030-01-31"},
		{[]string{"--store", single, "--origins", "2024-03-31", "--currency", "EUR"}, 2, "--fx"},
		{[]string{"--store", single, "--origins", "2024-03-31", "--date-format", "%d.%m.%Y"}, 2, "describe an --input file"},
		{[]string{"--store", single, "--parts", "-1", "--origins", "2024-03-31"}, 2, "want 0 or more"},
		{append([]string{"--parts", "2", "--origins", "2024-03-31", "--input", path}, source...), 2, "--parts reads a --store"},
		{[]string{"--store", single, "--origins", "2024-03-31", "--weeks", "-1"}, 2, "--weeks -1: want 1 to 13"},
		{[]string{"--store", single, "--origins", "2024-03-31", "--weeks", "14"}, 2, "--weeks 14: want 1 to 13"},
		{[]string{"--store", single, "--origins", "2024-03-31", "--paths", "50"}, 2, "--paths 50: want at least 100"},
		{[]string{"--store", single, "--origins", "2024-03-31,2024-06-30,2024-03-31"}, 2, "2024-03-31 is given twice"},
		{[]string{"--store", single, "--origins", "2024-03-31", "--to", "2024-06-30"}, 2, "--to ends the origins --from steps"},
		{[]string{"--store", single, "--from", "2024-06-30", "--every", "30", "--to", "2024-03-31"}, 2, "--to 2024-03-31 comes before --from 2024-06-30"},
		{[]string{"--store", single, "--origins", "2024-03-31", "--bogus"}, 2, "flag provided but not defined: -bogus"},
	} {
		// "--paths 100" first, so that a case's own --paths wins.
		out, _, err := call(t, nil, append([]string{"forecast", "backtest", "--families", "logistic", "--paths", "100"}, c.args...)...)
		if exitCode(err) != c.code || err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("forecast backtest %v: %v, want exit %d saying %q", c.args, err, c.code, c.want)
		}
		// The error is one line on stderr: stdout, which --json readers
		// parse, stays empty (no usage text after a mistyped flag).
		if out != "" {
			t.Errorf("forecast backtest %v printed to stdout:\n%s", c.args, out)
		}
	}
}

// A ledger whose payments, disputes, promises and credit notes sometimes
// name another customer than their invoice's (storetest.WithStrays) gives
// the same forecast backtest read in parts from ClickHouse as read whole
// from the embedded store.
func TestForecastBacktestInPartsWithStrays(t *testing.T) {
	single := chStore(t)
	dir := t.TempDir()
	l, _, err := synth.Collect(context.Background(), synth.Config{Customers: 40, Months: 20, Seed: 17, Start: datasets.NewDate(2023, 1, 1)})
	if err != nil {
		t.Fatal(err)
	}
	ledger := filepath.Join(dir, "ledger")
	if err := datasets.WriteDir(ledger, storetest.WithStrays(l)); err != nil {
		t.Fatal(err)
	}
	fx := filepath.Join(dir, "fx_rates.csv")
	rates := "currency,rate\n"
	for _, r := range synth.FXRates() {
		rates += fmt.Sprintf("%s,%s\n", r.Currency, r.Rate)
	}
	if err := os.WriteFile(fx, []byte(rates), 0o644); err != nil {
		t.Fatal(err)
	}
	embedded := filepath.Join(dir, "store")
	for _, spec := range []string{embedded, single} {
		if _, _, err := call(t, nil, "import", "--store", spec, "--rejects", filepath.Join(t.TempDir(), "r.csv"), ledger); err != nil {
			t.Fatalf("import into %s: %v", spec, err)
		}
	}
	sameSpan(t, single)
	seconds := regexp.MustCompile(`"seconds": *[0-9.e+-]+`)
	backtest := func(args ...string) string {
		t.Helper()
		out, _, err := call(t, nil, append([]string{"forecast", "backtest", "--origins", "2024-03-31,2024-05-31", "--families", "logistic",
			"--paths", "200", "--currency", "EUR", "--fx", fx, "--json"}, args...)...)
		if err != nil {
			t.Fatalf("forecast backtest %v: %v", args, err)
		}
		return seconds.ReplaceAllString(out, `"seconds":0`)
	}
	want := backtest("--store", embedded)
	if !strings.Contains(want, `"wape_vs_best_baseline"`) {
		t.Fatalf("the whole ledger's backtest printed\n%s", want)
	}
	if got := backtest("--store", single, "--parts", "3"); got != want {
		t.Errorf("in 3 parts:\n%s\nwant, as the whole ledger:\n%s", got, want)
	}
}

// landingStore is a store in parts that lets an import land when the
// at-th part is read.
type landingStore struct {
	storeInParts
	reads, at int
	land      func() error
}

type storeInParts interface {
	datasets.Store
	partLoader
}

func (s *landingStore) LoadPart(ctx context.Context, k, n int) (*datasets.Ledger, error) {
	if s.reads++; s.reads == s.at {
		if err := s.land(); err != nil {
			return nil, err
		}
	}
	return s.storeInParts.LoadPart(ctx, k, n)
}

// An import landing at any read of a forecast backtest in parts (the span,
// an origin's training, the forecast's passes) fails it instead of mixing
// two versions of the ledger; without one, the same store backtests.
func TestForecastBacktestFailsWhenAnImportLands(t *testing.T) {
	spec := chStore(t)
	dir := t.TempDir()
	path, _, source := realFormatExport(t, dir)
	if _, _, err := call(t, nil, append(append([]string{"import", "--store", spec, "--rejects", filepath.Join(dir, "r.csv")}, source...), path)...); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	sp, quiet := openInParts(t, spec)
	fs := newFlags(quiet, "forecast backtest", "", "")
	tf := newTrainFlags(fs)
	if err := fs.Parse([]string{"--families", "logistic"}); err != nil {
		t.Fatal(err)
	}
	to, err := tf.options("forecast backtest")
	if err != nil {
		t.Fatal(err)
	}
	origins := []datasets.Date{datasets.NewDate(2024, 3, 31), datasets.NewDate(2024, 6, 30)}
	step := func(datasets.Date) ([]datasets.Date, error) { return origins, nil }
	o := forecast.BacktestOptions{Paths: 100, Train: to}
	n := 0
	land := func() error {
		n++
		return sp.Put(ctx, &datasets.Ledger{Customers: []datasets.Customer{{ID: fmt.Sprintf("ZLATE%d", n), Segment: "retail"}}})
	}
	// Two parts a pass, the span asked of the database before them: the
	// first origin's training is reads 1-2 and its forecast 3-6; the
	// second origin's 7-12.
	for _, at := range []int{1, 4, 8, 11} {
		ls := &landingStore{storeInParts: sp, at: at, land: land}
		_, _, err := forecastBacktestFromStore(ctx, quiet, ls, 2, tf, step, o)
		if !errors.Is(err, errLedgerChanged) {
			t.Errorf("an import at read %d: %v, want the backtest refused", at, err)
		}
		if ls.reads < at {
			t.Errorf("an import at read %d: the backtest read %d parts", at, ls.reads)
		}
	}
	ls := &landingStore{storeInParts: sp, land: land}
	res, _, err := forecastBacktestFromStore(ctx, quiet, ls, 2, tf, step, o)
	if err != nil || len(res.PerOrig) != 2 || ls.reads != 12 {
		t.Errorf("without an import: %v, %d parts read", err, ls.reads)
	}
}

// sameSpan checks that the span and the invoice count the database gives
// for the ledger in spec are those its parts give.
func sameSpan(t *testing.T, spec string) {
	t.Helper()
	ctx := context.Background()
	st, _ := openInParts(t, spec)
	got, err := storeSpan(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	want, err := forecast.SpanOfParts(ctx, storeParts(ctx, st, 3))
	if err != nil {
		t.Fatal(err)
	}
	if got != want || want.First == 0 || want.Invoices == 0 {
		t.Errorf("%s: the database gives the span %+v, the parts %+v", spec, got, want)
	}
}

// realFormatExport writes the first real-format export (20 customers,
// %d.%m.%Y, ';', heavy tails) and its rates into dir, and returns their
// paths and the flags that read the export.
func realFormatExport(t *testing.T, dir string) (path, fx string, source []string) {
	t.Helper()
	e := realformat.Exports()[0]
	path, err := realformat.Write(context.Background(), dir, e)
	if err != nil {
		t.Fatal(err)
	}
	if fx, err = realformat.WriteFX(dir); err != nil {
		t.Fatal(err)
	}
	var cols []string
	for k, v := range e.Columns() {
		cols = append(cols, k+"="+v)
	}
	return path, fx, []string{"--columns", strings.Join(cols, ","), "--date-format", e.DateFormat}
}

// openQuiet opens the store spec, closed when the test ends, with an env
// whose messages go nowhere.
func openQuiet(t *testing.T, spec string) (datasets.Store, env) {
	t.Helper()
	quiet := env{stderr: &bytes.Buffer{}, getenv: func(string) string { return "" }}
	st, err := openStore(context.Background(), spec, newLogger(quiet), false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st, quiet
}

// openInParts is openQuiet for a store that must read parts.
func openInParts(t *testing.T, spec string) (storeInParts, env) {
	t.Helper()
	st, quiet := openQuiet(t, spec)
	sp, ok := st.(storeInParts)
	if !ok {
		t.Fatalf("%T does not read parts", st)
	}
	return sp, quiet
}
