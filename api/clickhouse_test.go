package api

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/dsopilot/dsopilot/datasets/chstore"
)

// chServer is a clickhouse-server of the test's own, on free loopback
// ports and in a temporary directory, which the test may kill and
// restart. (The shared server on 9000 is never touched.)
type chServer struct {
	t      testing.TB
	dir    string
	port   int
	cmd    *exec.Cmd
	exited chan struct{}
}

// needClickHouseBinary skips without clickhouse-server, except in CI,
// where a missing server is a failure.
func needClickHouseBinary(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath("clickhouse-server")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("clickhouse-server is not installed (apt-get install clickhouse-server): %v", err)
		}
		t.Skip("clickhouse-server is not installed; this test starts and kills its own")
	}
	return bin
}

func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startClickHouse writes a config of its own and starts the server.
func startClickHouse(t testing.TB) *chServer {
	t.Helper()
	bin := needClickHouseBinary(t)
	dir := t.TempDir()
	s := &chServer{t: t, dir: dir, port: freePort(t)}
	users := `<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>4000000000</max_memory_usage></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip><ip>::1</ip></networks><profile>default</profile><quota>default</quota></default></users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
`
	config := fmt.Sprintf(`<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>%[1]s/server.log</log><errorlog>%[1]s/error.log</errorlog><size>10M</size><count>1</count></logger>
  <listen_host>127.0.0.1</listen_host>
  <tcp_port>%[2]d</tcp_port>
  <http_port>%[3]d</http_port>
  <interserver_http_port>%[4]d</interserver_http_port>
  <path>%[1]s/data/</path>
  <tmp_path>%[1]s/tmp/</tmp_path>
  <user_files_path>%[1]s/user_files/</user_files_path>
  <format_schema_path>%[1]s/format_schemas/</format_schema_path>
  <users_config>%[1]s/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>268435456</mark_cache_size>
  <max_concurrent_queries>50</max_concurrent_queries>
</yandex>
`, dir, s.port, freePort(t), freePort(t))
	writeFile(t, filepath.Join(dir, "users.xml"), []byte(users))
	writeFile(t, filepath.Join(dir, "config.xml"), []byte(config))
	s.start(bin)
	t.Cleanup(func() { s.kill() })
	return s
}

func (s *chServer) dsn(db string) string {
	return fmt.Sprintf("clickhouse://127.0.0.1:%d/%s", s.port, db)
}

func (s *chServer) start(bin string) {
	s.t.Helper()
	s.cmd = exec.Command(bin, "--config-file="+filepath.Join(s.dir, "config.xml"))
	s.cmd.Dir = s.dir
	out, err := os.Create(filepath.Join(s.dir, "stdout.log"))
	if err != nil {
		s.t.Fatal(err)
	}
	s.cmd.Stdout, s.cmd.Stderr = out, out
	if err := s.cmd.Start(); err != nil {
		s.t.Fatalf("start clickhouse-server: %v", err)
	}
	s.exited = make(chan struct{})
	go func() { s.cmd.Wait(); out.Close(); close(s.exited) }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		st, err := chstore.Open(ctx, s.dsn("default"), nil)
		cancel()
		if err == nil {
			st.Close()
			return
		}
		select {
		case <-s.exited:
			log, _ := os.ReadFile(filepath.Join(s.dir, "error.log"))
			s.t.Fatalf("clickhouse-server exited: %s", log)
		default:
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("clickhouse-server on port %d did not answer: %v", s.port, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// kill stops the server at once (SIGKILL), as a crash would.
func (s *chServer) kill() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	select {
	case <-s.exited:
		return
	default:
	}
	s.cmd.Process.Kill()
	<-s.exited
}

// restart starts the killed server again on the same port and data.
func (s *chServer) restart() {
	s.t.Helper()
	s.start(s.cmd.Path)
}

func (s *chServer) pid() string { return strconv.Itoa(s.cmd.Process.Pid) }
