//go:build forecastexp

// Experiments on ledgers on disk: go test -tags forecastexp ./model/forecast -run Experiment -v
// with FC_EXP=DIR (a synth output directory holding store/ and ledger/) or
// FC_REAL=1, and FC_ORIGINS=D1,D2,...
package forecast

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/embedded"
	"github.com/dsopilot/dsopilot/datasets/importer"
	"github.com/dsopilot/dsopilot/model"
	"github.com/dsopilot/dsopilot/model/forecast/realformat"
	"path/filepath"
)

func TestExperiment(t *testing.T) {
	dir := os.Getenv("FC_EXP")
	if dir == "" {
		t.Skip()
	}
	ctx := context.Background()
	st, err := embedded.Open(ctx, dir+"/store", nil)
	if err != nil {
		t.Fatal(err)
	}
	l, err := st.Load(ctx)
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	if f, err := os.Open(dir + "/ledger/fx_rates.csv"); err == nil {
		fx, err := datasets.ReadFX(f, "fx", "EUR")
		if err != nil {
			t.Fatal(err)
		}
		l, err = l.Convert(fx)
		if err != nil {
			t.Fatal(err)
		}
	}
	var origins []datasets.Date
	for _, o := range strings.Split(os.Getenv("FC_ORIGINS"), ",") {
		d, _ := datasets.ParseDate(o)
		origins = append(origins, d)
	}
	res, _, err := RunBacktest(ctx, l, nil, BacktestOptions{Origins: origins, Paths: 1000, Train: model.TrainOptions{Families: []string{model.FamilyLogistic}}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.MarshalIndent(res, "", " ")
	fmt.Println(string(b))
}

func TestExperimentReal(t *testing.T) {
	if os.Getenv("FC_REAL") == "" {
		t.Skip()
	}
	ctx := context.Background()
	dir := t.TempDir()
	fxPath, _ := realformat.WriteFX(dir)
	for _, e := range realformat.Exports() {
		path, err := realformat.Write(ctx, dir, e)
		if err != nil {
			t.Fatal(err)
		}
		st, err := embedded.Open(ctx, filepath.Join(dir, e.Name+".store"), nil)
		if err != nil {
			t.Fatal(err)
		}
		sum, err := importer.Import(ctx, st, []string{path}, importer.Options{Kind: datasets.EntityInvoices, Columns: e.Columns(), DateFormat: e.DateFormat, RejectsPath: filepath.Join(dir, "rej.csv")})
		if err != nil {
			t.Fatal(err)
		}
		fmt.Println(e.Name, "loaded", sum.Loaded, "rejected", sum.Rejected)
		l, err := st.Load(ctx)
		st.Close()
		if err != nil {
			t.Fatal(err)
		}
		f, _ := os.Open(fxPath)
		fx, err := datasets.ReadFX(f, "fx", "EUR")
		if err != nil {
			t.Fatal(err)
		}
		l, err = l.Convert(fx)
		if err != nil {
			t.Fatal(err)
		}
		var origins []datasets.Date
		for _, o := range strings.Split(os.Getenv("FC_ORIGINS"), ",") {
			d, _ := datasets.ParseDate(o)
			origins = append(origins, d)
		}
		res, _, err := RunBacktest(ctx, l, nil, BacktestOptions{Origins: origins, Paths: 1000, Train: model.TrainOptions{Families: []string{model.FamilyLogistic}}})
		if err != nil {
			t.Fatal(err)
		}
		fmt.Printf("%s: wape %.3f vs best %.3f (due %.3f avg %.3f) bias %.3f cov %.3f mean %.3f meanbias %.3f timing %.3f new %+v\n", e.Name, res.WAPE, res.VsBestBaseline,
			res.Baselines.DueDate.WAPE, res.Baselines.AvgDelay.WAPE, res.Bias, res.Coverage, res.Mean.WAPE, res.Mean.Bias, res.TimingOnly.WAPE, res.New)
		fmt.Println("  by week", res.WAPEByWeek[:4], "avg", res.Baselines.AvgDelay.WAPEByWeek[:4])
		for _, o := range res.PerOrig {
			fmt.Println("  ", o.Origin, o.Invoices, o.Shocks)
		}
	}
}
