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

	"github.com/dsopilot/dsopilot/datasets"
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
	b.Run("clickhouse-client-single", func(b *testing.B) { clientFloor(b, newDatabase(b), native) })
	b.Run("clickhouse-client-cluster-sync", func(b *testing.B) {
		clientFloor(b, newClusterDatabase(b, cluster), native, "--insert_distributed_sync=1")
	})
}

// BenchmarkPutCluster puts a million synthetic invoices (no file to parse)
// into a single server and into the two-shard cluster, straight to the
// shards (into empty tables, and again over the same rows, when Put also
// looks for ids that moved shard) and through the Distributed tables, and
// times clickhouse-client
// inserting the same rows from CSV: the store's write path alone against
// the floor.
//
//	DSOPILOT_TEST_CLICKHOUSE=clickhouse://127.0.0.1:9000 go test ./datasets/chstore -run '^$' -bench PutCluster -benchtime 1x
func BenchmarkPutCluster(b *testing.B) {
	cluster := clusterDSN(b)
	invoices := syntheticInvoices(benchInvoices)
	native := filepath.Join(b.TempDir(), "invoices.csv")
	if err := writeInvoicesCSV(native, invoices); err != nil {
		b.Fatal(err)
	}
	batch := &datasets.Ledger{Invoices: invoices}
	put := func(b *testing.B, s *Store) {
		start := time.Now()
		if err := s.Put(context.Background(), batch); err != nil {
			b.Fatalf("put: %v", err)
		}
		b.ReportMetric(float64(len(invoices))/time.Since(start).Seconds(), "rows/s")
	}
	b.Run("single", func(b *testing.B) {
		for range b.N {
			s, _ := openMigrated(b)
			put(b, s)
		}
	})
	b.Run("cluster-direct", func(b *testing.B) {
		for range b.N {
			s, _ := openMigratedCluster(b)
			put(b, s)
		}
	})
	b.Run("cluster-direct-again", func(b *testing.B) {
		for range b.N {
			s, _ := openMigratedCluster(b)
			if err := s.Put(context.Background(), batch); err != nil {
				b.Fatal(err)
			}
			put(b, s)
		}
	})
	b.Run("cluster-distributed", func(b *testing.B) {
		for range b.N {
			s, _ := openMigratedCluster(b)
			s.throughDistributed = true
			put(b, s)
		}
	})
	b.Run("clickhouse-client-single", func(b *testing.B) { clientFloor(b, newDatabase(b), native) })
	b.Run("clickhouse-client-cluster-sync", func(b *testing.B) {
		clientFloor(b, newClusterDatabase(b, cluster), native, "--insert_distributed_sync=1")
	})
}

// clientFloor times clickhouse-client inserting the CSV at path into the
// invoices of a migrated database dsn, with the given extra options, and
// reports the rows the store then counts per second.
func clientFloor(b *testing.B, dsn, path string, options ...string) {
	ctx := context.Background()
	for range b.N {
		s := open(b, dsn)
		if _, err := s.Migrate(ctx); err != nil {
			b.Fatal(err)
		}
		args := append([]string{"--host", host(s.cfg.Addr), "--port", port(s.cfg.Addr)}, options...)
		args = append(args, "--query", "INSERT INTO "+s.cfg.Database+".invoices ("+invoiceColumns+") FORMAT CSV")
		in, err := os.Open(path)
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

// BenchmarkStorageBytes imports a whole simulated ledger (about a million
// invoices over 12 months, with its customers, payments, actions...) into
// a single server and into the two-shard cluster, merges every table
// (OPTIMIZE ... FINAL) and logs, per table, the rows and the bytes on disk
// per row from system.parts (compressed columns, marks and primary key):
// the figures docs/scaling.md sizes shards with.
//
//	DSOPILOT_TEST_CLICKHOUSE=clickhouse://127.0.0.1:9000 go test ./datasets/chstore -run '^$' -bench StorageBytes -benchtime 1x -v
func BenchmarkStorageBytes(b *testing.B) {
	ctx := context.Background()
	n := 1_000_000
	if v := os.Getenv(envBenchInvoices); v != "" {
		if _, err := fmt.Sscan(v, &n); err != nil {
			b.Fatalf("%s=%q: %v", envBenchInvoices, v, err)
		}
	}
	dir := b.TempDir()
	if _, err := synth.WriteDir(ctx, synth.Config{Customers: synth.CustomersFor(n, 12), Months: 12, Seed: 1}, dir); err != nil {
		b.Fatal(err)
	}
	for range b.N {
		single, _ := openMigrated(b)
		sharded, _ := openMigratedCluster(b)
		for _, s := range []*Store{single, sharded} {
			importInto(b, s, []string{dir})
			var rows, bytes uint64
			b.Logf("%s: table, rows, bytes on disk per row (compressed data + marks + primary key)", s.cfg)
			for _, tbl := range s.tables {
				r, by := tableBytes(b, s, tbl.tableName())
				rows, bytes = rows+r, bytes+by
				if r > 0 {
					b.Logf("  %-16s %10d  %6.1f", tbl.tableName(), r, float64(by)/float64(r))
				}
				if tbl.tableName() == "invoices" && s.cfg.Cluster == "" {
					b.ReportMetric(float64(by)/float64(r), "invoice-bytes/row")
				}
			}
			b.Logf("  %-16s %10d  %6.1f", "all", rows, float64(bytes)/float64(rows))
			if s.cfg.Cluster == "" {
				b.ReportMetric(float64(bytes)/float64(rows), "ledger-bytes/row")
			}
		}
	}
}

// tableBytes merges a table's parts on every shard and returns its rows
// and bytes on disk, summed over the shards.
func tableBytes(b *testing.B, s *Store, table string) (rows, bytes uint64) {
	ctx := context.Background()
	for _, n := range s.nodes() {
		if s.cfg.Cluster != "" && n.shard == 0 {
			continue
		}
		if err := n.conn.Exec(ctx, "OPTIMIZE TABLE "+s.cfg.LocalDatabase()+"."+table+" FINAL"); err != nil {
			b.Fatalf("optimize %s on %s: %v", table, n.name, err)
		}
		var r, by uint64
		q := "SELECT sum(rows), sum(bytes_on_disk) FROM system.parts WHERE active AND database = ? AND table = ?"
		if err := n.conn.QueryRow(ctx, q, s.cfg.LocalDatabase(), table).Scan(&r, &by); err != nil {
			b.Fatalf("parts of %s on %s: %v", table, n.name, err)
		}
		rows, bytes = rows+r, bytes+by
	}
	return rows, bytes
}
