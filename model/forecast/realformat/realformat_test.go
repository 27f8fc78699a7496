package realformat

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/embedded"
	"github.com/dsopilot/dsopilot/datasets/importer"
)

// TestWriteExportsThatImport writes every export and imports it with its
// column mapping and date format: every row loads, the dates are read
// right and the amounts are heavy-tailed. With REALFORMAT_OUT=DIR the
// exports (and fx_rates.csv) are also written there, for the README's
// commands; REALFORMAT_SEED_OFFSET=N adds N to their seeds there (other
// ledgers of the same shape, for checks on seeds nobody tuned on).
func TestWriteExportsThatImport(t *testing.T) {
	ctx := context.Background()
	dirs := []string{t.TempDir()}
	var offset uint64
	if v := os.Getenv("REALFORMAT_SEED_OFFSET"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("REALFORMAT_SEED_OFFSET: %v", err)
		}
		offset = n
	}
	if out := os.Getenv("REALFORMAT_OUT"); out != "" {
		if err := os.MkdirAll(out, 0o755); err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, out)
	}
	for _, dir := range dirs {
		if _, err := WriteFX(dir); err != nil {
			t.Fatal(err)
		}
		for _, e := range Exports() {
			if dir != dirs[0] {
				e.Seed += offset
			}
			path, err := Write(ctx, dir, e)
			if err != nil {
				t.Fatal(err)
			}
			if dir != dirs[0] {
				continue
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			rows := strings.Count(string(b), "\n") - 1
			if head := strings.SplitN(string(b), "\n", 2)[0]; head != strings.Join(e.Headers[:], string(e.Delim)) {
				t.Errorf("%s header %q", e.Name, head)
			}
			st, err := embedded.Open(ctx, filepath.Join(dir, e.Name+".store"), nil)
			if err != nil {
				t.Fatal(err)
			}
			sum, err := importer.Import(ctx, st, []string{path}, importer.Options{Kind: datasets.EntityInvoices, Columns: e.Columns(),
				DateFormat: e.DateFormat, RejectsPath: filepath.Join(dir, "rejects.csv")})
			if err != nil {
				t.Fatalf("%s: import: %v", e.Name, err)
			}
			l, err := st.Load(ctx)
			st.Close()
			if err != nil {
				t.Fatal(err)
			}
			if sum.Loaded != rows || sum.Rejected != 0 || len(l.Invoices) != rows {
				t.Fatalf("%s: %d rows, loaded %d, rejected %d", e.Name, rows, sum.Loaded, sum.Rejected)
			}
			if len(l.Customers) != e.Customers || len(l.Payments) != 0 {
				t.Errorf("%s: %d customers derived, %d payments; want %d and none", e.Name, len(l.Customers), len(l.Payments), e.Customers)
			}
			// Heavy tails: the largest tenth of the customers hold most of
			// the money.
			byCust := map[string]datasets.Money{}
			var total datasets.Money
			for _, v := range l.Invoices {
				byCust[v.CustomerID] += v.Amount
				total += v.Amount
			}
			var amounts []datasets.Money
			for _, a := range byCust {
				amounts = append(amounts, a)
			}
			top := topShare(amounts, max(1, len(amounts)/10), total)
			if top < 0.3 {
				t.Errorf("%s: the largest tenth of the customers hold %.0f%% of the amounts; want heavy tails", e.Name, 100*top)
			}
		}
	}
}

func topShare(xs []datasets.Money, n int, total datasets.Money) float64 {
	for i := range xs {
		for j := i + 1; j < len(xs); j++ {
			if xs[j] > xs[i] {
				xs[i], xs[j] = xs[j], xs[i]
			}
		}
	}
	var s datasets.Money
	for _, x := range xs[:n] {
		s += x
	}
	return float64(s) / float64(total)
}
