package chstore

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/dsopilot/dsopilot/datasets/chstore/chtest"
)

// testCluster is the two-shard cluster the cluster tests share: the one
// chtest.EnvCluster names (.ci/run starts it), or one this test binary
// starts on first use and stops in TestMain.
var testCluster struct {
	once sync.Once
	dsn  string
	c    *chtest.Cluster
	dir  string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if testCluster.c != nil {
		testCluster.c.Close()
		os.RemoveAll(testCluster.dir)
	}
	os.Exit(code)
}

// clusterDSN returns the DSN, database aside, of the shared cluster. Like
// every ClickHouse test it skips without DSOPILOT_TEST_CLICKHOUSE; with it,
// a cluster that cannot be started fails the test.
func clusterDSN(tb testing.TB) string {
	tb.Helper()
	testServer(tb)
	testCluster.once.Do(func() {
		if dsn := os.Getenv(chtest.EnvCluster); dsn != "" {
			testCluster.dsn = dsn
			return
		}
		testCluster.dir, testCluster.err = os.MkdirTemp("", "dsopilot-cluster-")
		if testCluster.err != nil {
			return
		}
		testCluster.c, testCluster.err = chtest.Start(context.Background(), testCluster.dir, "dsopilot_test", 2)
		if testCluster.err == nil {
			testCluster.dsn = testCluster.c.DSN("")
		}
	})
	if testCluster.err != nil {
		tb.Fatalf("start a two-shard cluster: %v", testCluster.err)
	}
	return testCluster.dsn
}

// ownCluster starts a two-shard cluster for this test alone, for tests that
// stop a server.
func ownCluster(tb testing.TB) *chtest.Cluster {
	tb.Helper()
	testServer(tb)
	c, err := chtest.Start(context.Background(), tb.TempDir(), "own", 2)
	if err != nil {
		tb.Fatalf("start a two-shard cluster: %v", err)
	}
	tb.Cleanup(func() { c.Close() })
	return c
}

// newClusterDatabase returns the DSN of a uniquely named database on the
// cluster of base, dropped (with its shard tables) on every server when the
// test ends.
func newClusterDatabase(tb testing.TB, base string) string {
	tb.Helper()
	cfg, err := ParseDSN(base)
	if err != nil {
		tb.Fatalf("cluster dsn %q: %v", base, err)
	}
	cfg.Database = fmt.Sprintf("dsopilot_test_%d_%d", os.Getpid(), testDatabases.Add(1))
	dsn := dsnOf(cfg) + "?cluster=" + cfg.Cluster
	tb.Cleanup(func() { dropEverywhere(tb, dsn) })
	return dsn
}

// dropEverywhere drops the store's database and its shard database on
// every server of its cluster.
func dropEverywhere(tb testing.TB, dsn string) {
	tb.Helper()
	s, err := Open(context.Background(), dsn, nil)
	if err != nil {
		tb.Logf("drop the test databases of %s: %v", dsn, err)
		return
	}
	defer s.Close()
	for _, n := range s.nodes() {
		for _, db := range []string{s.cfg.Database, s.cfg.LocalDatabase()} {
			adminExec(tb, n.cfg, "DROP DATABASE IF EXISTS "+db)
		}
	}
}

// openMigratedCluster returns a migrated store on a fresh database of the
// shared cluster.
func openMigratedCluster(tb testing.TB) (*Store, string) {
	tb.Helper()
	dsn := newClusterDatabase(tb, clusterDSN(tb))
	s := open(tb, dsn)
	if _, err := s.Migrate(context.Background()); err != nil {
		tb.Fatalf("migrate: %v", err)
	}
	return s, dsn
}
