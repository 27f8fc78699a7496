package importer_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dsopilot/dsopilot/datasets/chstore"
	"github.com/dsopilot/dsopilot/datasets/importer"
)

// ownServer is a ClickHouse server this test starts on its own ports and
// directory, to freeze and kill it; the shared test server is never
// touched.
type ownServer struct {
	t    *testing.T
	dir  string
	port int
	cmd  *exec.Cmd
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
	dir := t.TempDir()
	users, err := os.ReadFile("/etc/clickhouse-server/users.xml")
	if err != nil {
		t.Skipf("no users.xml to start a server with: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "users.xml"), users, 0o644); err != nil {
		t.Fatal(err)
	}
	s := &ownServer{t: t, dir: dir, port: freePort(t)}
	config := fmt.Sprintf(`<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>%[1]s/server.log</log><errorlog>%[1]s/err.log</errorlog></logger>
  <tcp_port>%[2]d</tcp_port>
  <http_port>%[3]d</http_port>
  <listen_host>127.0.0.1</listen_host>
  <path>%[1]s/data/</path>
  <tmp_path>%[1]s/tmp/</tmp_path>
  <user_files_path>%[1]s/user_files/</user_files_path>
  <format_schema_path>%[1]s/format_schemas/</format_schema_path>
  <users_config>%[1]s/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>53687091</mark_cache_size>
</yandex>
`, dir, s.port, freePort(t))
	if err := os.WriteFile(filepath.Join(dir, "config.xml"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	s.start()
	t.Cleanup(s.stop)
	return s
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func (s *ownServer) start() {
	s.t.Helper()
	s.cmd = exec.Command("clickhouse-server", "--config-file="+filepath.Join(s.dir, "config.xml"))
	s.cmd.Dir = s.dir
	if err := s.cmd.Start(); err != nil {
		s.t.Fatalf("start clickhouse-server: %v", err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		st, err := chstore.Open(ctx, s.patientDSN("default"), nil)
		cancel()
		if err == nil {
			st.Close()
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	s.t.Fatalf("clickhouse-server on port %d did not come up", s.port)
}

// dsn names database db on the server with short deadlines (2s), for the
// imports that meet the outage.
func (s *ownServer) dsn(db string) string {
	return fmt.Sprintf("clickhouse://127.0.0.1:%d/%s?timeout=2s", s.port, db)
}

// patientDSN names db with deadlines a loaded machine meets (a test under
// the race detector on two busy cores), for the work outside the outage.
func (s *ownServer) patientDSN(db string) string {
	return fmt.Sprintf("clickhouse://127.0.0.1:%d/%s?timeout=2m", s.port, db)
}

func (s *ownServer) signal(sig syscall.Signal) {
	if err := s.cmd.Process.Signal(sig); err != nil {
		s.t.Errorf("signal %v: %v", sig, err)
	}
}

// stop ends the server (thawing it first) and waits for it.
func (s *ownServer) stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGCONT)
	s.cmd.Process.Kill()
	s.cmd.Wait()
	s.cmd = nil
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
			if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("127.0.0.1:%d", srv.port)) {
				t.Fatalf("import through an outage: %v; want an error naming the server", err)
			}
			if took > time.Minute {
				t.Errorf("the import took %v to give up; the deadlines are 2s", took)
			}
			t.Logf("%s server: %v after %v; summary: %d loaded", c.name, err, took.Round(time.Millisecond), sum.Loaded)
			if c.sig == syscall.SIGKILL {
				srv.stop()
				srv.start()
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
