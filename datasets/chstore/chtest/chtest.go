// Package chtest starts ClickHouse clusters for tests and CI: N
// clickhouse-server processes (from the installed package, e.g. Debian's)
// on free loopback ports, each with its own data directory under a
// directory the caller gives, and a remote_servers configuration naming
// them all as the shards of one cluster, on every server. No ZooKeeper:
// dsopilot applies its schema to each server itself.
//
// The servers are children of the process that starts them and are killed
// with it (Linux's parent-death signal), so a test that dies leaves none
// behind. Stop (or Kill) and Start stop one server and start it again on
// the same ports and data, to test a shard that goes down and comes back.
//
// The servers never touch the system's server: they share nothing with it
// but the binary and a copy of its users.xml (the default user).
package chtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
)

// EnvCluster names, in tests, a cluster to use instead of starting one: a
// DSN clickhouse://host:port/?cluster=NAME whose server knows the cluster.
// .ci/run sets it to the cluster it starts with cmd chcluster.
const EnvCluster = "DSOPILOT_TEST_CLUSTER"

// usersFile is the users configuration the servers copy.
const usersFile = "/etc/clickhouse-server/users.xml"

// startTimeout bounds the wait for a server to answer after it starts; a
// loaded two-core machine takes seconds.
const startTimeout = 90 * time.Second

// Cluster is a running cluster of local servers.
type Cluster struct {
	Name    string
	dir     string
	servers []*server
}

type server struct {
	mu        sync.Mutex
	dir       string
	tcp, http int
	cmd       *exec.Cmd
	exited    chan struct{} // closed when cmd has exited
}

// Start starts a cluster named name of shards servers in dir (created if
// needed; each server gets dir/shardN) and waits until each answers.
func Start(ctx context.Context, dir, name string, shards int) (*Cluster, error) {
	if shards < 1 {
		return nil, fmt.Errorf("chtest: %d shards, want at least 1", shards)
	}
	if _, err := exec.LookPath("clickhouse-server"); err != nil {
		return nil, fmt.Errorf("chtest: clickhouse-server is not installed (apt-get install clickhouse-server): %w", err)
	}
	users, err := os.ReadFile(usersFile)
	if err != nil {
		return nil, fmt.Errorf("chtest: the servers copy the system's users: %w", err)
	}
	c := &Cluster{Name: name, dir: dir}
	for i := range shards {
		sdir := filepath.Join(dir, fmt.Sprintf("shard%d", i+1))
		if err := os.MkdirAll(sdir, 0o755); err != nil {
			return nil, fmt.Errorf("chtest: %w", err)
		}
		if err := os.WriteFile(filepath.Join(sdir, "users.xml"), users, 0o644); err != nil {
			return nil, fmt.Errorf("chtest: %w", err)
		}
		tcp, err := freePort()
		if err != nil {
			return nil, err
		}
		http, err := freePort()
		if err != nil {
			return nil, err
		}
		c.servers = append(c.servers, &server{dir: sdir, tcp: tcp, http: http})
	}
	for _, s := range c.servers {
		if err := os.WriteFile(filepath.Join(s.dir, "config.xml"), []byte(c.config(s)), 0o644); err != nil {
			return nil, fmt.Errorf("chtest: %w", err)
		}
	}
	for i := range c.servers {
		if err := c.Start(ctx, i); err != nil {
			c.Close()
			return nil, err
		}
	}
	return c, nil
}

// config is a server's configuration: its ports and paths, and the cluster.
func (c *Cluster) config(s *server) string {
	var shards strings.Builder
	for _, o := range c.servers {
		fmt.Fprintf(&shards, "      <shard><replica><host>127.0.0.1</host><port>%d</port></replica></shard>\n", o.tcp)
	}
	return fmt.Sprintf(`<?xml version="1.0"?>
<yandex>
  <logger><level>information</level><log>%[1]s/server.log</log><errorlog>%[1]s/err.log</errorlog><size>10M</size><count>2</count></logger>
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
  <mark_cache_size>268435456</mark_cache_size>
  <max_concurrent_queries>50</max_concurrent_queries>
  <remote_servers>
    <%[4]s>
%[5]s    </%[4]s>
  </remote_servers>
</yandex>
`, s.dir, s.tcp, s.http, c.Name, shards.String())
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("chtest: free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Shards returns the number of servers.
func (c *Cluster) Shards() int { return len(c.servers) }

// Addr returns server i's native-protocol address (i from 0).
func (c *Cluster) Addr(i int) string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(c.servers[i].tcp))
}

// DSN returns the DSN of database db on the cluster through server 0, with
// the given extra parameters (e.g. "timeout=5s").
func (c *Cluster) DSN(db string, params ...string) string {
	q := url.Values{"cluster": {c.Name}}
	for _, p := range params {
		k, v, _ := strings.Cut(p, "=")
		q.Set(k, v)
	}
	u := url.URL{Scheme: "clickhouse", Host: c.Addr(0), Path: "/" + db, RawQuery: q.Encode()}
	return u.String()
}

// PIDFile is the file holding the process id of the server whose
// directory is dir (DIR/shardN of Start), while it runs.
func PIDFile(dir string) string { return filepath.Join(dir, "clickhouse.pid") }

// ServerDir returns the directory of server i: its data, logs and pid file.
func (c *Cluster) ServerDir(i int) string { return c.servers[i].dir }

// ServerDSN returns the DSN of database db on server i alone.
func (c *Cluster) ServerDSN(i int, db string) string {
	return (&url.URL{Scheme: "clickhouse", Host: c.Addr(i), Path: "/" + db}).String()
}

// Start starts server i (again) and waits until it answers.
func (c *Cluster) Start(ctx context.Context, i int) error {
	s := c.servers[i]
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return fmt.Errorf("chtest: server %d is running", i)
	}
	cmd := exec.Command("clickhouse-server", "--config-file="+filepath.Join(s.dir, "config.xml"))
	cmd.Dir = s.dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := os.OpenFile(filepath.Join(s.dir, "stdout.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("chtest: %w", err)
	}
	defer out.Close()
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("chtest: start clickhouse-server %d: %w", i, err)
	}
	s.cmd, s.exited = cmd, make(chan struct{})
	// The pid file lets whoever runs the cluster by hand (chcluster)
	// stop one shard to see a command fail and recover, as the tests do
	// with Stop: kill $(cat DIR/shardN/clickhouse.pid). It goes when the
	// server exits.
	pidFile := PIDFile(s.dir)
	if err := os.WriteFile(pidFile, []byte(strconv.Itoa(cmd.Process.Pid)+"\n"), 0o644); err != nil {
		cmd.Process.Kill()
		return fmt.Errorf("chtest: server %d: %w", i, err)
	}
	go func(exited chan struct{}) {
		cmd.Wait()
		os.Remove(pidFile)
		close(exited)
	}(s.exited)
	if err := s.wait(ctx, c.Addr(i)); err != nil {
		return fmt.Errorf("chtest: server %d on %s: %w (see %s)", i, c.Addr(i), err, filepath.Join(s.dir, "err.log"))
	}
	return nil
}

// wait polls the server until it runs a query, it exits or time is up.
func (s *server) wait(ctx context.Context, addr string) error {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	conn, err := clickhouse.Open(&clickhouse.Options{Addr: []string{addr}, DialTimeout: 2 * time.Second, ReadTimeout: 10 * time.Second})
	if err != nil {
		return err
	}
	defer conn.Close()
	for {
		if err = conn.Exec(ctx, "SELECT 1"); err == nil {
			return nil
		}
		select {
		case <-s.exited:
			return errors.New("clickhouse-server exited")
		case <-ctx.Done():
			return fmt.Errorf("not answering after %s: %w", startTimeout, err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Stop stops server i (SIGTERM, then SIGKILL after 30 s: it waits for
// its clients to leave) and waits until it has exited; its data stays for
// Start.
func (c *Cluster) Stop(i int) error { return c.servers[i].stop(syscall.SIGTERM) }

// Kill kills server i at once, as a crash would, and waits until it has
// exited; what it acknowledged stays for Start.
func (c *Cluster) Kill(i int) error { return c.servers[i].stop(syscall.SIGKILL) }

// Signal sends sig to server i: SIGSTOP freezes it (it keeps its
// connections and answers nothing), SIGCONT thaws it.
func (c *Cluster) Signal(i int, sig syscall.Signal) error {
	s := c.servers[i]
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return fmt.Errorf("chtest: server %d is not running", i)
	}
	if err := s.cmd.Process.Signal(sig); err != nil {
		return fmt.Errorf("chtest: signal %v: %w", sig, err)
	}
	return nil
}

func (s *server) stop(sig syscall.Signal) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return nil
	}
	select {
	case <-s.exited: // killed or crashed already
		s.cmd = nil
		return nil
	default:
	}
	if err := s.cmd.Process.Signal(sig); err != nil {
		if !errors.Is(err, os.ErrProcessDone) {
			return fmt.Errorf("chtest: signal %v: %w", sig, err)
		}
		// Killed a moment ago (a test's own SIGKILL) and reaped before
		// exited was closed: wait for that rather than fail.
	}
	if sig != syscall.SIGKILL {
		s.cmd.Process.Signal(syscall.SIGCONT) // a frozen server cannot stop
	}
	select {
	case <-s.exited:
	case <-time.After(30 * time.Second):
		s.cmd.Process.Kill()
		<-s.exited
	}
	s.cmd = nil
	return nil
}

// Close stops every server. The data directory is the caller's.
func (c *Cluster) Close() error {
	var errs []error
	for i := range c.servers {
		errs = append(errs, c.Stop(i))
	}
	return errors.Join(errs...)
}
