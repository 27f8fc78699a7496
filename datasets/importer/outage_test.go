package importer_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dsopilot/dsopilot/datasets/chstore"
	"github.com/dsopilot/dsopilot/datasets/chstore/chtest"
	"github.com/dsopilot/dsopilot/datasets/importer"
)

// ownServer is a ClickHouse server this test starts on its own ports and
// directory (chtest), to freeze and kill it; the shared test server is
// never touched.
type ownServer struct {
	t    *testing.T
	c    *chtest.Cluster
	addr string
}

// startOwnServer starts clickhouse-server, or skips the test when there is
// none or the ClickHouse tests are off.
func startOwnServer(t *testing.T) *ownServer {
	t.Helper()
	if os.Getenv("DSOPILOT_TEST_CLICKHOUSE") == "" {
		t.Skip("ClickHouse outage test: set DSOPILOT_TEST_CLICKHOUSE to run it (it starts its own server)")
	}
	if _, err := exec.LookPath("clickhouse-server"); err != nil {
		t.Skip("clickhouse-server not installed")
	}
	c, err := chtest.Start(context.Background(), t.TempDir(), "outage", 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Kill(0) })
	return &ownServer{t: t, c: c, addr: c.Addr(0)}
}

// dsn names database db on the server with short deadlines (2s), for the
// imports that meet the outage.
func (s *ownServer) dsn(db string) string { return s.c.ServerDSN(0, db) + "?timeout=2s" }

// patientDSN names db with deadlines a loaded machine meets (a test under
// the race detector on two busy cores), for the work outside the outage.
func (s *ownServer) patientDSN(db string) string { return s.c.ServerDSN(0, db) + "?timeout=2m" }

func (s *ownServer) signal(sig syscall.Signal) {
	if err := s.c.Signal(0, sig); err != nil {
		s.t.Errorf("signal %v: %v", sig, err)
	}
}

// restart kills the server (frozen or not) and starts it again on the same
// data.
func (s *ownServer) restart() {
	s.t.Helper()
	if err := s.c.Kill(0); err != nil {
		s.t.Fatal(err)
	}
	if err := s.c.Start(context.Background(), 0); err != nil {
		s.t.Fatal(err)
	}
}

// count is the number of distinct invoices the server holds.
func (s *ownServer) count(t *testing.T, db string) uint64 {
	t.Helper()
	st, err := chstore.Open(context.Background(), s.patientDSN(db), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c, err := st.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return c.Invoices
}

// outageLedger writes n invoices of customer C1 and the customer.
func outageLedger(t *testing.T, n int) string {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("customer_id,invoice_id,issue_date,due_date,amount,currency\n")
	for i := range n {
		fmt.Fprintf(&b, "C1,I%07d,2024-01-05,2024-02-04,%d.%02d,EUR\n", i, 100+i%900, i%100)
	}
	if err := os.WriteFile(filepath.Join(dir, "invoices.csv"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestClickHouseOutages freezes the server in the middle of an import and,
// in a second import, kills it: the import fails within its deadlines with
// a message naming the server, and the summary counts exactly what the
// server acknowledged (the server holds at least that, and at most the
// chunks that were in flight more).
func TestClickHouseOutages(t *testing.T) {
	srv := startOwnServer(t)
	const rows, batch = 300_000, 40_000
	dir := outageLedger(t, rows)
	inFlight := 2 * batch // the writer's batch: at most this many rows unacknowledged
	for _, c := range []struct {
		name string
		sig  syscall.Signal
	}{{"frozen", syscall.SIGSTOP}, {"killed", syscall.SIGKILL}} {
		t.Run(c.name, func(t *testing.T) {
			db := "outage_" + c.name
			st, err := chstore.Open(context.Background(), srv.dsn(db), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			if _, err := st.Migrate(context.Background()); err != nil {
				t.Fatal(err)
			}
			hit := false
			opts := importer.Options{BatchSize: batch, RejectsPath: filepath.Join(t.TempDir(), "rejects.csv"),
				Progress: func(p importer.Progress) {
					if !hit && p.Rows >= 3*batch {
						hit = true
						srv.signal(c.sig)
					}
				}}
			start := time.Now()
			sum, err := importer.Import(context.Background(), st, []string{dir}, opts)
			took := time.Since(start)
			if !hit {
				t.Fatal("the import ended before the outage")
			}
			if err == nil || !strings.Contains(err.Error(), srv.addr) {
				t.Fatalf("import through an outage: %v; want an error naming the server", err)
			}
			if took > time.Minute {
				t.Errorf("the import took %v to give up; the deadlines are 2s", took)
			}
			t.Logf("%s server: %v after %v; summary: %d loaded", c.name, err, took.Round(time.Millisecond), sum.Loaded)
			if c.sig == syscall.SIGKILL {
				srv.restart()
			} else {
				srv.signal(syscall.SIGCONT)
			}
			got := srv.count(t, db)
			if sum.Loaded <= 0 || uint64(sum.Loaded) > got || got > uint64(sum.Loaded+inFlight) {
				t.Fatalf("summary says %d rows stored, the server holds %d; want between %d and %d",
					sum.Loaded, got, sum.Loaded, sum.Loaded+inFlight)
			}
			// Importing again stores the rest and duplicates nothing.
			again, err := chstore.Open(context.Background(), srv.patientDSN(db), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer again.Close()
			if _, err := importer.Import(context.Background(), again, []string{dir}, importer.Options{RejectsPath: opts.RejectsPath}); err != nil {
				t.Fatalf("import again: %v", err)
			}
			if got := srv.count(t, db); got != rows {
				t.Fatalf("after importing again the server holds %d invoices, want %d", got, rows)
			}
		})
	}
}
