// Command chcluster runs a local ClickHouse cluster for CI and benchmarks:
// -shards clickhouse-server processes on free loopback ports, with their
// data under -dir and a remote_servers configuration naming them all as
// cluster -name (see datasets/chstore/chtest). It writes the cluster's DSN
// (clickhouse://127.0.0.1:PORT/?cluster=NAME, through the first server) to
// -dsn-file once every server answers, and stops the servers when it gets
// SIGINT or SIGTERM; they die with it in any case.
//
//	go build -o /tmp/chcluster ./scripts/chcluster
//	/tmp/chcluster -dir /tmp/cluster -dsn-file /tmp/cluster/dsn &
//	DSOPILOT_TEST_CLUSTER=$(cat /tmp/cluster/dsn) go test ./datasets/chstore
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/dsopilot/dsopilot/datasets/chstore/chtest"
)

func main() {
	dir := flag.String("dir", "", "directory for the servers' data and configuration (required)")
	name := flag.String("name", "dsopilot_ci", "cluster name in remote_servers")
	shards := flag.Int("shards", 2, "number of servers, one shard each")
	dsnFile := flag.String("dsn-file", "", "file to write the DSN to once the cluster answers (default: stdout only)")
	flag.Parse()
	if *dir == "" {
		fmt.Fprintln(os.Stderr, "chcluster: -dir is required")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	c, err := chtest.Start(ctx, *dir, *name, *shards)
	if err != nil {
		fmt.Fprintln(os.Stderr, "chcluster:", err)
		os.Exit(1)
	}
	defer c.Close()
	dsn := c.DSN("")
	fmt.Printf("chcluster: %d shards of cluster %s: %s\n", c.Shards(), *name, dsn)
	for i := range c.Shards() {
		// To take shard i down and up by hand: kill the pid; restart chcluster.
		fmt.Printf("chcluster: shard %d on %s, pid file %s\n", i+1, c.Addr(i), chtest.PIDFile(c.ServerDir(i)))
	}
	if *dsnFile != "" {
		// Written whole under another name, then renamed: a reader polling
		// for the file never sees half of it.
		tmp := *dsnFile + ".tmp"
		if err := os.WriteFile(tmp, []byte(dsn+"\n"), 0o644); err == nil {
			err = os.Rename(tmp, *dsnFile)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "chcluster:", err)
			c.Close()
			os.Exit(1)
		}
	}
	<-ctx.Done()
	fmt.Println("chcluster: stopping")
}
