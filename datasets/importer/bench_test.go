package importer_test

import (
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/chstore"
	"github.com/dsopilot/dsopilot/datasets/embedded"
	"github.com/dsopilot/dsopilot/datasets/importer"
	"github.com/dsopilot/dsopilot/datasets/synth"
)

// benchLedger simulates a ledger of about a million invoices (12 months)
// once per benchmark process, in a directory removed at the end.
func benchLedger(b *testing.B) string {
	b.Helper()
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("dsopilot-bench-ledger-%d", os.Getpid()))
	if _, err := os.Stat(filepath.Join(dir, "invoices.csv")); err == nil {
		return dir
	}
	cfg := synth.Config{Customers: synth.CustomersFor(1_000_000, 12), Months: 12, Seed: 1}
	start := time.Now()
	sum, err := synth.WriteDir(context.Background(), cfg, dir)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("simulated %d invoices, %d customers in %.1fs", sum.Invoices, sum.Customers, time.Since(start).Seconds())
	return dir
}

func TestMain(m *testing.M) {
	code := m.Run()
	os.RemoveAll(filepath.Join(os.TempDir(), fmt.Sprintf("dsopilot-bench-ledger-%d", os.Getpid())))
	os.Exit(code)
}

func reportImport(b *testing.B, st importer.Store, paths []string) {
	b.Helper()
	sum, err := importer.Import(context.Background(), st, paths, importer.Options{RejectsPath: filepath.Join(b.TempDir(), "rejects.csv")})
	if err != nil {
		b.Fatal(err)
	}
	if sum.Rejected != 0 {
		b.Fatalf("%d rows rejected", sum.Rejected)
	}
	b.ReportMetric(float64(sum.Loaded)/sum.Seconds, "rows/s")
	b.ReportMetric(float64(sum.Loaded), "rows")
}

// benchImports runs the import of the whole simulated ledger (every file)
// and then of its invoices alone, each into the store open returns.
func benchImports(b *testing.B, open func(b *testing.B) (importer.Store, func())) {
	dir := benchLedger(b)
	for _, c := range []struct {
		name  string
		paths []string
	}{{"ledger", []string{dir}}, {"invoices", []string{filepath.Join(dir, "invoices.csv")}}} {
		b.Run(c.name, func(b *testing.B) {
			for range b.N {
				st, done := open(b)
				reportImport(b, st, c.paths)
				done()
			}
		})
	}
}

// BenchmarkImportEmbedded imports into a fresh embedded store.
func BenchmarkImportEmbedded(b *testing.B) {
	benchImports(b, func(b *testing.B) (importer.Store, func()) {
		st, err := embedded.Open(context.Background(), b.TempDir(), nil)
		if err != nil {
			b.Fatal(err)
		}
		return st, func() { st.Close() }
	})
}

func chServer(b *testing.B) string {
	addr := os.Getenv("DSOPILOT_TEST_CLICKHOUSE")
	if addr == "" {
		b.Skip("set DSOPILOT_TEST_CLICKHOUSE=clickhouse://127.0.0.1:9000 to benchmark ClickHouse")
	}
	return strings.TrimSuffix(addr, "/")
}

func freshCH(b *testing.B, addr, name string) (*chstore.Store, string) {
	b.Helper()
	db := fmt.Sprintf("dsopilot_bench_%d_%s", os.Getpid(), name)
	st, err := chstore.Open(context.Background(), addr+"/"+db, nil)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := st.Migrate(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		st.Close()
		exec.Command("clickhouse-client", "--query", "DROP DATABASE IF EXISTS "+db).Run()
	})
	return st, db
}

// BenchmarkImportClickHouse imports the simulated ledger into ClickHouse, and
// compares the invoices alone with the floor: clickhouse-client inserting the
// same invoices from CSV in its own format into the same table.
func BenchmarkImportClickHouse(b *testing.B) {
	addr := chServer(b)
	dir := benchLedger(b)
	b.Run("ledger", func(b *testing.B) {
		for i := range b.N {
			st, _ := freshCH(b, addr, fmt.Sprintf("ledger%d", i))
			reportImport(b, st, []string{dir})
		}
	})
	b.Run("invoices", func(b *testing.B) {
		for i := range b.N {
			st, _ := freshCH(b, addr, fmt.Sprintf("inv%d", i))
			reportImport(b, st, []string{filepath.Join(dir, "invoices.csv")})
		}
	})
	b.Run("clickhouse-client-floor", func(b *testing.B) {
		if _, err := exec.LookPath("clickhouse-client"); err != nil {
			b.Skip("clickhouse-client not installed")
		}
		native := filepath.Join(b.TempDir(), "invoices-native.csv")
		n, err := nativeInvoicesCSV(filepath.Join(dir, "invoices.csv"), native)
		if err != nil {
			b.Fatal(err)
		}
		for i := range b.N {
			_, db := freshCH(b, addr, fmt.Sprintf("floor%d", i))
			in, err := os.Open(native)
			if err != nil {
				b.Fatal(err)
			}
			cmd := exec.Command("clickhouse-client", "--query", "INSERT INTO "+db+
				".invoices (invoice_id, customer_id, issue_date, due_date, amount, currency, settled_date, disputed, country, segment, channel, version) FORMAT CSV")
			cmd.Stdin = in
			start := time.Now()
			out, err := cmd.CombinedOutput()
			el := time.Since(start)
			in.Close()
			if err != nil {
				b.Fatalf("clickhouse-client: %v: %s", err, out)
			}
			b.ReportMetric(float64(n)/el.Seconds(), "rows/s")
		}
	})
}

// nativeInvoicesCSV rewrites canonical invoices.csv in the column order and
// spellings clickhouse-client reads natively (unset dates 1970-01-01, 0/1).
func nativeInvoicesCSV(src, dst string) (int, error) {
	f, err := os.Open(src)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	out, err := os.Create(dst)
	if err != nil {
		return 0, err
	}
	defer out.Close()
	r := csv.NewReader(bufio.NewReader(f))
	r.ReuseRecord = true
	w := csv.NewWriter(out)
	head, err := r.Read()
	if err != nil {
		return 0, err
	}
	at := map[string]int{}
	for i, h := range head {
		at[h] = i
	}
	n := 0
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return n, err
		}
		get := func(c string) string { return rec[at[c]] }
		date := func(c string) string {
			if v := get(c); v != "" {
				return v
			}
			return "1970-01-01"
		}
		disputed := "0"
		if get("disputed") == "true" {
			disputed = "1"
		}
		if err := w.Write([]string{get("invoice_id"), get("customer_id"), get("issue_date"), get("due_date"), get("amount"),
			get("currency"), date("settled_date"), disputed, get("country"), get("segment"), get("channel"), fmt.Sprint(n + 1)}); err != nil {
			return n, err
		}
		n++
	}
	w.Flush()
	return n, w.Error()
}

// discardStore acknowledges every batch without keeping it, so that
// BenchmarkImportParse measures reading, parsing and checking alone.
type discardStore struct{}

func (discardStore) Put(context.Context, *datasets.Ledger) error   { return nil }
func (discardStore) CustomerIDs(context.Context) ([]string, error) { return nil, nil }

// BenchmarkImportParse imports the simulated ledger into a store that keeps
// nothing: the importer's own speed (read, split, parse, check, dedupe).
func BenchmarkImportParse(b *testing.B) {
	benchImports(b, func(*testing.B) (importer.Store, func()) { return discardStore{}, func() {} })
}
