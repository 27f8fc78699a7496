package chstore

import (
	"context"
	"database/sql"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/datasets/chstore/chsql"
	"github.com/dsopilot/dsopilot/datasets/storetest"
)

// TestChsqlLinksNoDriver: code that runs SQL through chsql.Querier does not
// link the ClickHouse driver.
func TestChsqlLinksNoDriver(t *testing.T) {
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	out, err := exec.Command(gobin, "list", "-deps", "github.com/dsopilot/dsopilot/datasets/chstore/chsql").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.Contains(dep, "clickhouse-go") || strings.HasSuffix(dep, "/chstore") {
			t.Errorf("chsql depends on %s", dep)
		}
	}
}

func TestBindArgs(t *testing.T) {
	args := []any{1, sql.Named("t", int32(5))}
	got := bindArgs(args)
	if _, ok := args[1].(sql.NamedArg); !ok {
		t.Fatalf("bindArgs changed its argument: %#v", args)
	}
	if len(got) != 2 || got[0] != 1 {
		t.Fatalf("bindArgs = %#v", got)
	}
	if _, ok := got[1].(sql.NamedArg); ok {
		t.Fatalf("bindArgs kept a database/sql named argument: %#v", got[1])
	}
	plain := []any{1, "a"}
	if got := bindArgs(plain); &got[0] != &plain[0] {
		t.Fatalf("bindArgs copied arguments with no named one")
	}
}

// TestQuerier runs the chsql.Querier methods on a single server and on the
// cluster: named arguments, settings in the context, and per-shard
// queries whose results add up to the whole.
func TestQuerier(t *testing.T) {
	ctx := context.Background()
	single, _ := openMigrated(t)
	cluster, _ := openMigratedCluster(t)
	for _, s := range []*Store{single, cluster} {
		t.Run(map[bool]string{true: "cluster", false: "single"}[s.Cluster() != ""], func(t *testing.T) {
			var q chsql.Querier = s
			if err := s.Put(ctx, storetest.Sample()); err != nil {
				t.Fatal(err)
			}
			var n int64
			if err := q.QueryRow(ctx, "SELECT toInt32(@x) + ?", sql.Named("x", int32(41)), int32(1)).Scan(&n); err == nil {
				t.Fatalf("mixing named and positional arguments was accepted")
			}
			if err := q.QueryRow(ctx, "SELECT toInt32(@x) + toInt32(@y)", sql.Named("x", int32(41)), sql.Named("y", int32(1))).Scan(&n); err != nil || n != 42 {
				t.Fatalf("named arguments: %d, %v; want 42", n, err)
			}
			var v string
			sctx := chsql.WithSettings(ctx, chsql.Settings{"max_block_size": 1234})
			if err := q.QueryRow(sctx, "SELECT value FROM system.settings WHERE name = 'max_block_size'").Scan(&v); err != nil || v != "1234" {
				t.Fatalf("settings: max_block_size = %q, %v; want 1234", v, err)
			}
			var whole uint64
			if err := q.QueryRow(ctx, "SELECT count() FROM "+q.Database()+".invoices FINAL").Scan(&whole); err != nil || whole == 0 {
				t.Fatalf("count: %d, %v", whole, err)
			}
			shards := q.Shards()
			if want := max(1, len(s.shards)); len(shards) != want {
				t.Fatalf("%d shard queriers, want %d", len(shards), want)
			}
			var sum uint64
			for _, sh := range shards {
				rows, err := sh.Query(ctx, "SELECT count() FROM "+sh.Database()+".invoices FINAL")
				if err != nil {
					t.Fatal(err)
				}
				for rows.Next() {
					var c uint64
					if err := rows.Scan(&c); err != nil {
						t.Fatal(err)
					}
					sum += c
				}
				if err := rows.Err(); err != nil {
					t.Fatal(err)
				}
				rows.Close()
				if sh.Cluster() != q.Cluster() {
					t.Errorf("shard cluster %q, want %q", sh.Cluster(), q.Cluster())
				}
			}
			if sum != whole {
				t.Fatalf("shards hold %d invoices between them, the whole %d", sum, whole)
			}
			if err := q.Exec(ctx, "SELECT 1 FROM no_such_table"); err == nil || !strings.Contains(err.Error(), "no_such_table") {
				t.Fatalf("exec of a bad query: %v", err)
			}
		})
	}
}
