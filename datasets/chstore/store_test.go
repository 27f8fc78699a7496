package chstore

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/storetest"
)

// envServer names the server the integration tests use, e.g.
// clickhouse://127.0.0.1:9000. Without it they skip.
const envServer = "DSOPILOT_TEST_CLICKHOUSE"

// testDatabases numbers the databases this test binary creates.
var testDatabases atomic.Int64

// testServer returns the configured server or skips the test.
func testServer(tb testing.TB) Config {
	tb.Helper()
	dsn := os.Getenv(envServer)
	if dsn == "" {
		tb.Skipf("ClickHouse integration test: set %s=clickhouse://127.0.0.1:9000 to run it", envServer)
	}
	cfg, err := ParseDSN(dsn)
	if err != nil {
		tb.Fatalf("%s: %v", envServer, err)
	}
	return cfg
}

// newDatabase returns the DSN of a uniquely named database, which the test
// does not create but drops when it ends.
func newDatabase(tb testing.TB) string {
	tb.Helper()
	cfg := testServer(tb)
	cfg.Database = fmt.Sprintf("dsopilot_test_%d_%d", os.Getpid(), testDatabases.Add(1))
	tb.Cleanup(func() { adminExec(tb, cfg, "DROP DATABASE IF EXISTS "+cfg.Database) })
	return dsnOf(cfg)
}

func dsnOf(c Config) string {
	u := url.URL{Scheme: "clickhouse", User: url.UserPassword(c.Username, c.Password), Host: c.Addr, Path: "/" + c.Database}
	return u.String()
}

// adminExec runs query over a connection to the user's default database.
func adminExec(tb testing.TB, cfg Config, query string) {
	tb.Helper()
	conn, err := clickhouse.Open(options(cfg, ""))
	if err != nil {
		tb.Fatalf("admin connection: %v", err)
	}
	defer conn.Close()
	if err := conn.Exec(context.Background(), query); err != nil {
		tb.Fatalf("%s: %v", query, err)
	}
}

// open opens dsn and closes the store when the test ends.
func open(tb testing.TB, dsn string) *Store {
	tb.Helper()
	s, err := Open(context.Background(), dsn, nil)
	if err != nil {
		tb.Fatalf("open %s: %v", dsn, err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// openMigrated returns a store on a fresh, migrated database.
func openMigrated(tb testing.TB) (*Store, string) {
	tb.Helper()
	dsn := newDatabase(tb)
	s := open(tb, dsn)
	if _, err := s.Migrate(context.Background()); err != nil {
		tb.Fatalf("migrate: %v", err)
	}
	return s, dsn
}

func TestConformance(t *testing.T) {
	testServer(t)
	conformance(t, openMigrated)
}

// conformance runs the stores' conformance suite on the stores migrated
// opens.
func conformance(t *testing.T, migrated func(testing.TB) (*Store, string)) {
	storetest.Run(t, func(t *testing.T) (datasets.Store, func() datasets.Store) {
		s, dsn := migrated(t)
		reopen := func() datasets.Store {
			if err := s.Close(); err != nil {
				t.Fatalf("close: %v", err)
			}
			return open(t, dsn)
		}
		return s, reopen
	})
}

func TestMigrateTwiceIsNoop(t *testing.T) {
	ctx := context.Background()
	s := open(t, newDatabase(t))
	first, err := s.Migrate(ctx)
	if err != nil {
		t.Fatalf("first migrate: %v", err)
	}
	all, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	var want []int
	for _, m := range all {
		want = append(want, m.version)
	}
	if !reflect.DeepEqual(first, want) {
		t.Fatalf("first migrate applied %v, want %v", first, want)
	}
	second, err := s.Migrate(ctx)
	if err != nil || len(second) != 0 {
		t.Fatalf("second migrate applied %v, %v; want nothing", second, err)
	}
	versions, err := appliedVersions(ctx, s.entry)
	if err != nil || !reflect.DeepEqual(versions, first) {
		t.Fatalf("recorded versions = %v, %v; want %v", versions, err, first)
	}
}

// TestMigrationRerunAfterPartialApply covers a migration that ran but was
// not recorded (the process died in between): every statement is run
// again, an ADD COLUMN included, and the migration succeeds.
func TestMigrationRerunAfterPartialApply(t *testing.T) {
	ctx := context.Background()
	s, _ := openMigrated(t)
	all, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	adds := 0
	for _, m := range all {
		for _, stmt := range m.statements {
			if strings.Contains(stmt.text, "ADD COLUMN") {
				adds++
			}
		}
		if err := s.apply(ctx, s.entry, m); err != nil {
			t.Fatalf("re-applying %04d_%s: %v", m.version, m.name, err)
		}
	}
	if adds == 0 {
		t.Skip("no migration adds a column")
	}
}

// TestColumnsMatchMigrations keeps the Go column lists and the DDL in step.
// Order does not matter (INSERT and SELECT name their columns), and 18.16's
// system.columns has no position to order by.
func TestColumnsMatchMigrations(t *testing.T) {
	s, _ := openMigrated(t)
	for _, tbl := range s.tables {
		if got, want := tableColumns(t, s.entry, s.cfg.Database, tbl.tableName()), sortedColumnTypes(tbl); !reflect.DeepEqual(got, want) {
			t.Errorf("%s columns:\n got  %v\n want %v", tbl.tableName(), got, want)
		}
	}
}

func TestMissingSchemaIsErrSchema(t *testing.T) {
	testServer(t)
	ctx := context.Background()
	check := func(t *testing.T, s *Store) {
		t.Helper()
		errs := map[string]error{}
		errs["put"] = s.Put(ctx, storetest.Sample())
		_, errs["load"] = s.Load(ctx)
		_, errs["counts"] = s.Counts(ctx)
		_, errs["customer ids"] = s.CustomerIDs(ctx)
		for op, err := range errs {
			if !errors.Is(err, datasets.ErrSchema) || !strings.Contains(err.Error(), "dsopilot db migrate") {
				t.Errorf("%s: %v; want ErrSchema telling to run dsopilot db migrate", op, err)
			}
		}
	}
	t.Run("NoDatabase", func(t *testing.T) {
		check(t, open(t, newDatabase(t)))
	})
	t.Run("NoTables", func(t *testing.T) {
		dsn := newDatabase(t)
		cfg, _ := ParseDSN(dsn)
		adminExec(t, cfg, "CREATE DATABASE "+cfg.Database)
		check(t, open(t, dsn))
	})
	t.Run("MigrateFixesIt", func(t *testing.T) {
		s := open(t, newDatabase(t))
		if _, err := s.Load(ctx); !errors.Is(err, datasets.ErrSchema) {
			t.Fatalf("load before migrate: %v, want ErrSchema", err)
		}
		if _, err := s.Migrate(ctx); err != nil {
			t.Fatalf("migrate: %v", err)
		}
		if _, err := s.Load(ctx); err != nil {
			t.Fatalf("load after migrate: %v", err)
		}
	})
}

func TestNewerSchemaIsErrSchema(t *testing.T) {
	ctx := context.Background()
	old, dsn := openMigrated(t)
	// Not conn.Exec("INSERT ... VALUES"): on 18.16 the driver then waits for
	// the server until its read timeout.
	if err := old.apply(ctx, old.entry, migration{version: 9999, name: "future"}); err != nil {
		t.Fatalf("record a future migration: %v", err)
	}
	s := open(t, dsn)
	if _, err := s.Counts(ctx); !errors.Is(err, datasets.ErrSchema) || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("counts: %v; want ErrSchema about a newer schema", err)
	}
	if applied, err := s.Migrate(ctx); !errors.Is(err, datasets.ErrSchema) {
		t.Fatalf("migrate = %v, %v; want ErrSchema", applied, err)
	}
}

func TestPutRejectsUnstorableValues(t *testing.T) {
	ctx := context.Background()
	s, _ := openMigrated(t)
	bad := []struct {
		name string
		l    *datasets.Ledger
	}{
		{"amount", &datasets.Ledger{Invoices: []datasets.Invoice{{ID: "I1", Amount: maxMoney + 1}}}},
		{"negative amount", &datasets.Ledger{Payments: []datasets.Payment{{ID: "P1", Amount: -maxMoney - 1}}}},
		{"date", &datasets.Ledger{Invoices: []datasets.Invoice{{ID: "I1", DueDate: datasets.MaxDate + 1}}}},
		{"date before 1970", &datasets.Ledger{Disputes: []datasets.Dispute{{ID: "D1", Opened: -1}}}},
		{"terms", &datasets.Ledger{Customers: []datasets.Customer{{ID: "C1", Terms: datasets.Terms{Days: -1}}}}},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			// A valid record of an earlier table must not be written either.
			tt.l.Customers = append(tt.l.Customers, datasets.Customer{ID: "C0"})
			if err := s.Put(ctx, tt.l); !errors.Is(err, datasets.ErrInvalid) {
				t.Fatalf("put: %v, want ErrInvalid", err)
			}
			if c, err := s.Counts(ctx); err != nil || c != (datasets.Counts{}) {
				t.Fatalf("counts after rejected put = %+v, %v; want nothing stored", c, err)
			}
		})
	}
	edge := &datasets.Ledger{Invoices: []datasets.Invoice{
		{ID: "max", Amount: maxMoney, IssueDate: datasets.MaxDate},
		{ID: "min", Amount: -maxMoney, IssueDate: datasets.MinDate},
	}}
	if err := s.Put(ctx, edge); err != nil {
		t.Fatalf("put extremes: %v", err)
	}
	got, err := s.Load(ctx)
	if err != nil || !reflect.DeepEqual(got.Invoices, edge.Invoices) {
		t.Fatalf("extremes loaded as %+v, %v; want %+v", got.Invoices, err, edge.Invoices)
	}
}

// TestLaterDuplicateWins covers duplicates of an id inside one Put, split
// over several INSERTs by a small chunk size.
func TestLaterDuplicateWins(t *testing.T) {
	ctx := context.Background()
	s, _ := openMigrated(t)
	s.chunkRows = 2
	var l datasets.Ledger
	for i := range 7 {
		l.Invoices = append(l.Invoices, datasets.Invoice{ID: fmt.Sprintf("I%d", i%3), Amount: datasets.Money(i)})
	}
	if err := s.Put(ctx, &l); err != nil {
		t.Fatalf("put: %v", err)
	}
	got, err := s.Load(ctx)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	want := []datasets.Invoice{{ID: "I0", Amount: 6}, {ID: "I1", Amount: 4}, {ID: "I2", Amount: 5}}
	if !reflect.DeepEqual(got.Invoices, want) {
		t.Fatalf("invoices = %+v, want %+v", got.Invoices, want)
	}
}

func TestOpenUnreachableServer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if s, err := Open(ctx, "clickhouse://127.0.0.1:1/x", nil); err == nil {
		s.Close()
		t.Fatal("open of a closed port succeeded")
	}
}

func TestPutCanceled(t *testing.T) {
	s, _ := openMigrated(t)
	s.chunkRows = 1000
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	l := &datasets.Ledger{Invoices: syntheticInvoices(5000)}
	if err := s.Put(ctx, l); !errors.Is(err, context.Canceled) {
		t.Fatalf("put with a canceled context: %v, want context.Canceled", err)
	}
}

// TestIDOrderIsGoOrder checks that ClickHouse's ORDER BY on a String sorts
// like Go compares strings: bytewise, without collation.
func TestIDOrderIsGoOrder(t *testing.T) {
	ctx := context.Background()
	s, _ := openMigrated(t)
	ids := []string{"b", "B", "a", "_", "10", "9", "é", "e", "Z", "z\x00", "", "ä", "A-1", "A1", "日本"}
	var l datasets.Ledger
	for _, id := range ids {
		l.Customers = append(l.Customers, datasets.Customer{ID: id})
	}
	if err := s.Put(ctx, &l); err != nil {
		t.Fatalf("put: %v", err)
	}
	got, err := s.CustomerIDs(ctx)
	if want := slices.Sorted(slices.Values(ids)); err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("customer ids = %q, %v; want %q", got, err, want)
	}
}
