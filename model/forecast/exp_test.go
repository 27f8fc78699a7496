//go:build forecastexp

// Experiments on ledgers on disk, printing what the backtest measures:
//
//	go test -tags forecastexp ./model/forecast -run Experiment -v
//
// with FC_ORIGINS=D1,D2,... and either FC_EXP=DIR (a synth output
// directory holding store/ and ledger/) or FC_REAL=1 (the realformat
// exports). The models are logistic only: the forecast reads the pay-date
// hazard, which is the same whatever family wins.
package forecast

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/embedded"
	"github.com/dsopilot/dsopilot/datasets/importer"
	"github.com/dsopilot/dsopilot/model"
	"github.com/dsopilot/dsopilot/model/forecast/realformat"
)

// experiment backtests the ledger in store (converted with the rates in
// fxPath when it exists) at FC_ORIGINS.
func experiment(t *testing.T, store, fxPath string, imp func(datasets.Store) error) *Backtest {
	ctx := context.Background()
	st, err := embedded.Open(ctx, store, nil)
	if err != nil {
		t.Fatal(err)
	}
	if imp != nil {
		if err := imp(st); err != nil {
			t.Fatal(err)
		}
	}
	l, err := st.Load(ctx)
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	if f, err := os.Open(fxPath); err == nil {
		fx, err := datasets.ReadFX(f, fxPath, "EUR")
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if l, err = l.Convert(fx); err != nil {
			t.Fatal(err)
		}
	}
	var origins []datasets.Date
	for _, o := range strings.Split(os.Getenv("FC_ORIGINS"), ",") {
		d, err := datasets.ParseDate(o)
		if err != nil {
			t.Fatal(err)
		}
		origins = append(origins, d)
	}
	res, _, err := RunBacktest(ctx, l, nil, BacktestOptions{Origins: origins, Paths: 1000, Train: model.TrainOptions{Families: []string{model.FamilyLogistic}}})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestExperiment(t *testing.T) {
	dir := os.Getenv("FC_EXP")
	if dir == "" {
		t.Skip("FC_EXP not set")
	}
	b, _ := json.MarshalIndent(experiment(t, filepath.Join(dir, "store"), filepath.Join(dir, "ledger", "fx_rates.csv"), nil), "", " ")
	fmt.Println(string(b))
}

func TestExperimentReal(t *testing.T) {
	if os.Getenv("FC_REAL") == "" {
		t.Skip("FC_REAL not set")
	}
	dir := t.TempDir()
	fxPath, err := realformat.WriteFX(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range realformat.Exports() {
		path, err := realformat.Write(context.Background(), dir, e)
		if err != nil {
			t.Fatal(err)
		}
		res := experiment(t, filepath.Join(dir, e.Name+".store"), fxPath, func(st datasets.Store) error {
			_, err := importer.Import(context.Background(), st, []string{path}, importer.Options{Kind: datasets.EntityInvoices,
				Columns: e.Columns(), DateFormat: e.DateFormat, RejectsPath: filepath.Join(dir, "rejects.csv")})
			return err
		})
		fmt.Printf("%s: wape %.3f vs best %.3f (due %.3f avg %.3f) bias %.3f (P50 %.3f) cov %.3f mean %.3f timing %.3f new %+v\n",
			e.Name, res.WAPE, res.VsBestBaseline, res.Baselines.DueDate.WAPE, res.Baselines.AvgDelay.WAPE, res.Bias, res.BiasP50,
			res.Coverage, res.Mean.WAPE, res.TimingOnly.WAPE, res.New)
		fmt.Println("  by week", res.WAPEByWeek[:4], "avg", res.Baselines.AvgDelay.WAPEByWeek[:4], "due", res.Baselines.DueDate.WAPEByWeek[:4])
		for _, o := range res.PerOrig {
			fmt.Println("  ", o.Origin, o.Invoices, o.Shocks)
		}
	}
}
