//go:build forecastexp

package forecast

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/embedded"
	"github.com/dsopilot/dsopilot/datasets/importer"
	"github.com/dsopilot/dsopilot/model/forecast/realformat"
)

// loadExport imports export e, written in dir, into an embedded store of
// the test's and returns the ledger it holds, as `dsopilot forecast
// backtest --input` would read it.
func loadExport(t *testing.T, dir string, e realformat.Export) *datasets.Ledger {
	t.Helper()
	ctx := context.Background()
	st, err := embedded.Open(ctx, filepath.Join(t.TempDir(), "store"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := importer.Import(ctx, st, []string{filepath.Join(dir, e.Name)}, importer.Options{Kind: datasets.EntityInvoices,
		Columns: e.Columns(), DateFormat: e.DateFormat, RejectsPath: filepath.Join(t.TempDir(), "rejects.csv")}); err != nil {
		t.Fatal(err)
	}
	l, err := st.Load(ctx)
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	return l
}
