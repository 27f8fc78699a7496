package chstore

import (
	"context"
	"database/sql"
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

//go:embed queries/cluster_shards.sql
var clusterShardsSQL string

//go:embed queries/cluster_names.sql
var clusterNamesSQL string

// node is one server the store talks to: the one its DSN names or a shard
// of its cluster. Its connections' default database is the store's.
type node struct {
	name string // how errors name it: the DSN, or "shard 2 (host:port)"
	cfg  Config // Addr is this server's
	conn driver.Conn
	// shard is the node's shard number, 0 for the server the DSN names
	// when it holds no shard (a query node).
	shard int
}

// shard is a shard of the store's cluster: its server and its weight in
// the Distributed tables' slot map.
type shard struct {
	num    int
	weight int
	*node
}

// openNode connects to cfg.Addr with cfg's database as default. A database
// that does not exist yet is not an error (Migrate creates it).
func openNode(ctx context.Context, name string, cfg Config, log *slog.Logger) (*node, error) {
	conn, err := clickhouse.Open(options(cfg, cfg.Database))
	if err != nil {
		return nil, fmt.Errorf("open clickhouse %s: %w", name, err)
	}
	switch err := conn.Ping(ctx); {
	case hasCode(err, codeUnknownDatabase):
		log.Info("clickhouse database does not exist yet", "server", name, "database", cfg.Database)
	case err != nil:
		conn.Close()
		return nil, fmt.Errorf("%s does not answer%s: %w", name, httpPortHint(cfg.Addr), err)
	}
	return &node{name: name, cfg: cfg, conn: readRetry{conn}}, nil
}

// httpPortHint names the likely mistake when addr's port is one of
// ClickHouse's HTTP ports, which answer the native handshake with a
// timeout rather than a refusal.
func httpPortHint(addr string) string {
	_, port, err := net.SplitHostPort(addr)
	if err != nil || (port != "8123" && port != "8443") {
		return ""
	}
	return fmt.Sprintf(" (port %s is ClickHouse's HTTP interface; dsopilot speaks the native protocol, port 9000 by default)", port)
}

// discoverShards reads the shards of cfg.Cluster from the remote_servers of
// the server cfg names, and connects to each (the server itself serves its
// own shard through entry). Every shard must answer: a cluster with a shard
// down cannot be read or written correctly, and saying which one is down is
// the most useful error.
func discoverShards(ctx context.Context, cfg Config, entry *node, log *slog.Logger) ([]shard, error) {
	boot, err := clickhouse.Open(options(cfg, ""))
	if err != nil {
		return nil, fmt.Errorf("open clickhouse %s: %w", cfg, err)
	}
	defer boot.Close()
	type replica struct {
		num, weight, replica int
		host                 string
		port                 int
		local                bool
	}
	rows, err := boot.Query(ctx, clusterShardsSQL, cfg.Cluster)
	if err != nil {
		return nil, fmt.Errorf("read cluster %s from %s: %w", cfg.Cluster, cfg.Addr, err)
	}
	defer rows.Close()
	var reps []replica
	for rows.Next() {
		var (
			num, weight, rep uint32
			host             string
			port             uint16
			local            uint8
		)
		if err := rows.Scan(&num, &weight, &rep, &host, &port, &local); err != nil {
			return nil, fmt.Errorf("scan system.clusters: %w", err)
		}
		reps = append(reps, replica{int(num), int(weight), int(rep), host, int(port), local == 1})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read cluster %s from %s: %w", cfg.Cluster, cfg.Addr, err)
	}
	if len(reps) == 0 {
		return nil, fmt.Errorf("%w: cluster %q is not in the remote_servers of %s (it knows %s)",
			ErrCluster, cfg.Cluster, cfg.Addr, knownClusters(ctx, boot))
	}
	var shards []shard
	for _, r := range reps {
		if r.replica != 1 {
			return nil, fmt.Errorf("%w: cluster %q has %d replicas of shard %d: dsopilot shards without replicas (replication needs ZooKeeper and Replicated tables; see docs/scaling.md)",
				ErrCluster, cfg.Cluster, r.replica, r.num)
		}
		sc := cfg
		sc.Addr = net.JoinHostPort(r.host, strconv.Itoa(r.port))
		sh := shard{num: r.num, weight: r.weight}
		if r.local {
			sh.node = entry
			entry.name = shardName(r.num, cfg.Addr)
		} else if sh.node, err = openNode(ctx, shardName(r.num, sc.Addr), sc, log); err != nil {
			closeShards(shards, entry)
			return nil, fmt.Errorf("%w: %w", ErrShardDown, err)
		}
		sh.node.shard = r.num
		shards = append(shards, sh)
	}
	return shards, nil
}

func shardName(num int, addr string) string { return fmt.Sprintf("shard %d (%s)", num, addr) }

// knownClusters lists the clusters a server knows, for an error message.
func knownClusters(ctx context.Context, conn driver.Conn) string {
	rows, err := conn.Query(ctx, clusterNamesSQL)
	if err != nil {
		return "no clusters it would tell: " + err.Error()
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if rows.Scan(&n) == nil {
			names = append(names, strconv.Quote(n))
		}
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

func closeShards(shards []shard, entry *node) {
	for _, s := range shards {
		if s.node != entry {
			s.conn.Close()
		}
	}
}

// slotMap returns, for each slot, the index of the shard it sends rows to:
// shard i owns weight(i) consecutive slots in shard order, and a row goes to
// slot sipHash64(key) mod slots, as ClickHouse's Distributed engine sends it.
func slotMap(shards []shard) ([]int, error) {
	var slots []int
	for i, s := range shards {
		for range s.weight {
			slots = append(slots, i)
		}
	}
	if len(slots) == 0 {
		return nil, fmt.Errorf("%w: every shard has weight 0", ErrCluster)
	}
	return slots, nil
}

// shardOf returns the index in s.shards of the shard that holds key's rows.
func (s *Store) shardOf(key string) int {
	return s.slots[sipHash64(key)%uint64(len(s.slots))]
}

// nodes returns every server of the store once: the shards' and, when it
// holds none, the one the DSN names.
func (s *Store) nodes() []*node {
	if s.cfg.Cluster == "" {
		return []*node{s.entry}
	}
	out := make([]*node, 0, len(s.shards)+1)
	for _, sh := range s.shards {
		if !slices.Contains(out, sh.node) {
			out = append(out, sh.node)
		}
	}
	if !slices.Contains(out, s.entry) {
		out = append(out, s.entry)
	}
	return out
}

// explain adds to err, from a query through the Distributed tables, which
// shards do not answer: the server's own message names an address at best.
func (s *Store) explain(ctx context.Context, err error) error {
	if err == nil || s.cfg.Cluster == "" || ctx.Err() != nil {
		return err
	}
	var down []string
	for _, sh := range s.shards {
		pctx, cancel := context.WithTimeout(ctx, min(s.cfg.Timeout, pingTimeout))
		perr := sh.conn.Ping(pctx)
		cancel()
		if perr != nil && !hasCode(perr, codeUnknownDatabase) {
			down = append(down, sh.name)
		}
	}
	if len(down) == 0 {
		return err
	}
	return fmt.Errorf("%w: %s of cluster %s not answering: %w", ErrShardDown, strings.Join(down, ", "), s.cfg.Cluster, err)
}

// distributedArgs reads the cluster out of a Distributed table's
// engine_full: Distributed('NAME', 'db_local', 'table', key).
var distributedArgs = regexp.MustCompile(`^Distributed\('((?:[^'\\]|\\.)*)'`)

// refuseClusterDatabase fails a single-server store whose database holds
// a cluster's Distributed tables (a DSN without ?cluster= over a sharded
// ledger): its import wrote through the Distributed tables, where 18.16
// answered "Cannot find column version in source stream", and its reads
// named no shard when one was down. The error says which cluster to name.
func (s *Store) refuseClusterDatabase(ctx context.Context) error {
	var full string
	q := "SELECT engine_full FROM system.tables WHERE database = currentDatabase() AND name = 'invoices' AND engine = 'Distributed'"
	switch err := s.entry.conn.QueryRow(ctx, q).Scan(&full); {
	case errors.Is(err, sql.ErrNoRows), hasCode(err, codeUnknownDatabase):
		return nil
	case err != nil:
		return fmt.Errorf("read the tables of %s: %w", s.cfg.Database, err)
	}
	name := "NAME"
	if m := distributedArgs.FindStringSubmatch(full); m != nil {
		name = m[1]
	}
	return fmt.Errorf("%w: database %q holds the Distributed tables of cluster %q (a sharded ledger): give the store as %s?cluster=%s",
		ErrCluster, s.cfg.Database, name, s.cfg.String(), name)
}
