package chstore

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/dsopilot/dsopilot/datasets/importer"
	"github.com/dsopilot/dsopilot/datasets/synth"
)

// envBenchInvoices sets the size of BenchmarkImportCluster's ledger in
// invoices (default 1,000,000 over 12 months).
const envBenchInvoices = "DSOPILOT_BENCH_INVOICES"

// BenchmarkImportCluster imports the same simulated invoices into a single
// server and into the two-shard cluster (straight to the shards, as Put
// does, and through the Distributed tables), imports them into the cluster
// again (the re-import, which also looks for ids that moved shard), and
// times clickhouse-client inserting the same rows: the floor. All servers
// run on this machine, so two shards share its cores with each other and
// with the client; the figure is the cost of sharding, not its speed-up.
//
//	DSOPILOT_TEST_CLICKHOUSE=clickhouse://127.0.0.1:9000 go test ./datasets/chstore -run '^$' -bench ImportCluster -benchtime 1x
func BenchmarkImportCluster(b *testing.B) {
	ctx := context.Background()
	cluster := clusterDSN(b)
	n := 1_000_000
	if v := os.Getenv(envBenchInvoices); v != "" {
		if _, err := fmt.Sscan(v, &n); err != nil {
			b.Fatalf("%s=%q: %v", envBenchInvoices, v, err)
		}
	}
	dir := b.TempDir()
	cfg := synth.Config{Customers: synth.CustomersFor(n, 12), Months: 12, Seed: 1}
	if _, err := synth.WriteDir(ctx, cfg, dir); err != nil {
		b.Fatal(err)
	}
	invoices := []string{filepath.Join(dir, "invoices.csv")}
	// The floor's input: the same invoices as ClickHouse's own CSV, read
	// back from a single server after an import.
	native := filepath.Join(dir, "native.csv")
	{
		s, _ := openMigrated(b)
		importInto(b, s, invoices)
		out, err := os.Create(native)
		if err != nil {
			b.Fatal(err)
		}
		cmd := exec.Command("clickhouse-client", "--host", host(s.cfg.Addr), "--port", port(s.cfg.Addr), "--query",
			"SELECT "+invoiceColumns+" FROM "+s.cfg.Database+".invoices FINAL FORMAT CSV")
		cmd.Stdout = out
		if err := cmd.Run(); err != nil {
			b.Fatalf("export the invoices: %v", err)
		}
		out.Close()
	}

	b.Run("single", func(b *testing.B) {
		for range b.N {
			s, _ := openMigrated(b)
			reportRate(b, importInto(b, s, invoices))
		}
	})
	b.Run("cluster-direct", func(b *testing.B) {
		for range b.N {
			s, _ := openMigratedCluster(b)
			reportRate(b, importInto(b, s, invoices))
		}
	})
	b.Run("cluster-distributed", func(b *testing.B) {
		for range b.N {
			s, _ := openMigratedCluster(b)
			s.throughDistributed = true
			reportRate(b, importInto(b, s, invoices))
		}
	})
	b.Run("cluster-reimport", func(b *testing.B) {
		for range b.N {
			s, _ := openMigratedCluster(b)
			importInto(b, s, invoices)
			reportRate(b, importInto(b, s, invoices))
		}
	})
	floor := func(b *testing.B, dsn string, settings ...string) {
		for range b.N {
			s := open(b, dsn)
			if _, err := s.Migrate(ctx); err != nil {
				b.Fatal(err)
			}
			args := append([]string{"--host", host(s.cfg.Addr), "--port", port(s.cfg.Addr)}, settings...)
			args = append(args, "--query", "INSERT INTO "+s.cfg.Database+".invoices ("+invoiceColumns+") FORMAT CSV")
			in, err := os.Open(native)
			if err != nil {
				b.Fatal(err)
			}
			cmd := exec.Command("clickhouse-client", args...)
			cmd.Stdin = in
			start := time.Now()
			out, err := cmd.CombinedOutput()
			el := time.Since(start)
			in.Close()
			if err != nil {
				b.Fatalf("clickhouse-client: %v: %s", err, out)
			}
			c, err := s.Counts(ctx)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(c.Invoices)/el.Seconds(), "rows/s")
			b.ReportMetric(float64(c.Invoices), "rows")
		}
	}
	b.Run("clickhouse-client-single", func(b *testing.B) { floor(b, newDatabase(b)) })
	b.Run("clickhouse-client-cluster-sync", func(b *testing.B) {
		floor(b, newClusterDatabase(b, cluster), "--insert_distributed_sync=1")
	})
}

// invoiceColumns lists the invoices table's columns in the order the
// floor's CSV holds them.
var invoiceColumns = "invoice_id, customer_id, issue_date, due_date, amount, currency, settled_date, disputed, country, segment, channel, version"

func importInto(b *testing.B, s *Store, paths []string) *importer.Summary {
	b.Helper()
	sum, err := importer.Import(context.Background(), s, paths, importer.Options{RejectsPath: filepath.Join(b.TempDir(), "rejects.csv")})
	if err != nil {
		b.Fatalf("import into %s: %v", s.cfg, err)
	}
	if sum.Rejected != 0 {
		b.Fatalf("%d rows rejected", sum.Rejected)
	}
	return sum
}

func reportRate(b *testing.B, sum *importer.Summary) {
	b.ReportMetric(float64(sum.Loaded)/sum.Seconds, "rows/s")
	b.ReportMetric(float64(sum.Loaded), "rows")
}

func host(addr string) string { h, _, _ := net.SplitHostPort(addr); return h }
func port(addr string) string { _, p, _ := net.SplitHostPort(addr); return p }
