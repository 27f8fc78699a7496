package chstore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/chstore/chsql"
	"github.com/dsopilot/dsopilot/datasets/chstore/chtest"
	"github.com/dsopilot/dsopilot/datasets/storetest"
)

// TestClusterShardDown kills one server of a two-shard cluster: every read
// and write fails with ErrShardDown naming the shard, a write counts what
// the other shard acknowledged, and once the server is back everything
// works again with nothing lost.
func TestClusterShardDown(t *testing.T) {
	ctx := context.Background()
	c := ownCluster(t)
	dsn := c.DSN("ledger", "timeout=10s")
	s := open(t, dsn)
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	sample := storetest.Sample()
	if err := s.Put(ctx, sample); err != nil {
		t.Fatalf("put: %v", err)
	}
	want, err := s.Load(ctx)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	down := "shard 2 (" + c.Addr(1) + ")"
	// The pid file names the running server (for whoever stops a shard by
	// hand, as this test does), and goes with it.
	pidFile := chtest.PIDFile(c.ServerDir(1))
	pid, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatalf("shard 2 runs without its pid file: %v", err)
	}
	if _, err := os.Stat(fmt.Sprintf("/proc/%s", strings.TrimSpace(string(pid)))); err != nil {
		t.Fatalf("pid file %s says %q, no such process: %v", pidFile, pid, err)
	}
	if err := c.Kill(1); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(pidFile); !os.IsNotExist(err) {
		t.Errorf("shard 2 was killed, its pid file %s is still there (%v)", pidFile, err)
	}
	more := &datasets.Ledger{}
	for _, id := range []string{"N1", "N2", "N3", "N4", "N5", "N6", "N7", "N8"} {
		more.Customers = append(more.Customers, datasets.Customer{ID: id, Name: "new"})
	}
	errs := map[string]error{}
	_, errs["load"] = s.Load(ctx)
	_, errs["counts"] = s.Counts(ctx)
	_, errs["customer ids"] = s.CustomerIDs(ctx)
	errs["each id"] = s.EachID(ctx, datasets.EntityInvoices, func(string) {})
	errs["query"] = drain(s.Query(ctx, "SELECT count() FROM invoices"))
	errs["put"] = s.Put(ctx, more)
	_, errs["open"] = Open(ctx, dsn, nil)
	for op, err := range errs {
		if !errors.Is(err, ErrShardDown) || !strings.Contains(err.Error(), down) {
			t.Errorf("%s with shard 2 stopped: %v; want ErrShardDown naming %s", op, err, down)
		}
	}
	var partial *datasets.PartialError
	if !errors.As(errs["put"], &partial) || partial.Stored.Customers == uint64(len(more.Customers)) {
		t.Errorf("put with shard 2 stopped: %v; want a PartialError counting what shard 1 took", errs["put"])
	}

	if err := c.Start(ctx, 1); err != nil {
		t.Fatal(err)
	}
	got, err := s.Load(ctx)
	if err != nil {
		t.Fatalf("load after the shard came back: %v", err)
	}
	// What the failed Put stored on shard 1 is there; the rest is as it was.
	got.Customers = slices.DeleteFunc(got.Customers, func(c datasets.Customer) bool { return c.Name == "new" })
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("load after the shard came back: the ledger differs from before")
	}
	// The interrupted write, written again, completes.
	if err := s.Put(ctx, more); err != nil {
		t.Fatalf("put again: %v", err)
	}
	again := open(t, dsn)
	counts, err := again.Counts(ctx)
	wantCustomers := uint64(len(sample.Customers) + len(more.Customers))
	if err != nil || counts.Customers != wantCustomers || counts.Invoices != uint64(len(sample.Invoices)) {
		t.Fatalf("counts after the shard came back = %+v, %v; want %d customers and the sample's invoices", counts, err, wantCustomers)
	}
}

// TestClusterMigrateShardDown: a shard that does not answer at migrate time
// fails Migrate before anything changes on any server.
func TestClusterMigrateShardDown(t *testing.T) {
	ctx := context.Background()
	c := ownCluster(t)
	dsn := c.DSN("ledger", "timeout=10s")
	s := open(t, dsn)
	if err := c.Kill(1); err != nil {
		t.Fatal(err)
	}
	down := "shard 2 (" + c.Addr(1) + ")"
	if _, err := s.Migrate(ctx); !errors.Is(err, ErrShardDown) || !strings.Contains(err.Error(), down) {
		t.Fatalf("migrate with shard 2 stopped: %v; want ErrShardDown naming %s", err, down)
	}
	boot, err := clickhouse.Open(options(s.cfg, ""))
	if err != nil {
		t.Fatal(err)
	}
	defer boot.Close()
	var dbs uint64
	if err := boot.QueryRow(ctx, "SELECT count() FROM system.databases WHERE name IN ('ledger', 'ledger_local')").Scan(&dbs); err != nil || dbs != 0 {
		t.Fatalf("shard 1 has %d of the store's databases (%v); want none", dbs, err)
	}
	if err := c.Start(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := open(t, dsn).Migrate(ctx); err != nil {
		t.Fatalf("migrate once the shard is back: %v", err)
	}
}

// TestClusterSchemaMismatch: servers left at different schema versions (a
// migration applied to one and not recorded on another) make every read
// and write refuse, naming each server's version, until Migrate brings the
// late one forward; a server newer than this build makes Migrate refuse.
func TestClusterSchemaMismatch(t *testing.T) {
	ctx := context.Background()
	s, dsn := openMigratedCluster(t)
	all, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	late := s.shards[1].node
	if err := late.conn.Exec(ctx, "TRUNCATE TABLE schema_migrations"); err != nil {
		t.Fatal(err)
	}
	for _, m := range all[:len(all)-1] {
		if err := s.apply(ctx, late, migration{version: m.version, name: m.name}); err != nil {
			t.Fatal(err)
		}
	}
	fresh := open(t, dsn)
	_, err = fresh.Counts(ctx)
	if !errors.Is(err, datasets.ErrSchema) || !strings.Contains(err.Error(), "different schema versions") ||
		!strings.Contains(err.Error(), late.name) || !strings.Contains(err.Error(), "dsopilot db migrate") {
		t.Fatalf("counts on mixed versions: %v; want ErrSchema naming %s", err, late.name)
	}
	if err := fresh.Put(ctx, storetest.Sample()); !errors.Is(err, datasets.ErrSchema) {
		t.Fatalf("put on mixed versions: %v; want ErrSchema", err)
	}
	applied, err := fresh.Migrate(ctx)
	if err != nil || !reflect.DeepEqual(applied, []int{all[len(all)-1].version}) {
		t.Fatalf("migrate on mixed versions applied %v, %v; want the last version on the late server", applied, err)
	}
	if _, err := open(t, dsn).Counts(ctx); err != nil {
		t.Fatalf("counts after migrate: %v", err)
	}

	if err := s.apply(ctx, late, migration{version: 9999, name: "future"}); err != nil {
		t.Fatal(err)
	}
	if _, err := open(t, dsn).Migrate(ctx); !errors.Is(err, datasets.ErrSchema) || !strings.Contains(err.Error(), "newer") || !strings.Contains(err.Error(), late.name) {
		t.Fatalf("migrate with a newer server: %v; want ErrSchema naming %s", err, late.name)
	}
}

// drain reads every row of a query and returns the first error.
func drain(rows chsql.Rows, err error) error {
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
	}
	return rows.Err()
}
