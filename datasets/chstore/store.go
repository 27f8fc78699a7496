// Package chstore is the ClickHouse implementation of datasets.Store.
//
// # Connection
//
// Open takes a DSN clickhouse://[user[:password]@]host[:port][/database]
// (see ParseDSN) and talks the native protocol through clickhouse-go/v2; the
// HTTP interface of the oldest supported server (18.16) does not work with
// the driver. The SQL runs on 18.16 and on current releases alike: no
// LowCardinality, Nullable, DateTime64, Bool or Map, no window functions.
//
// # Schema
//
// The schema is versioned by the embedded migrations/NNNN_name.sql files and
// recorded in the table schema_migrations. Open does not touch the schema,
// and succeeds even when the database does not exist yet, so that the same
// Store can run Migrate ("dsopilot db migrate", also run before imports).
// Put, Load, Counts and CustomerIDs first check that the database holds
// exactly this build's migrations and otherwise fail with an error wrapping
// datasets.ErrSchema that says what to do.
//
// There is one table per entity, ReplacingMergeTree(version) ORDER BY the
// natural id (on a cluster, on each shard; see Cluster). Unset dates are stored as 1970-01-01, which is day 0 for both
// ClickHouse and datasets.Date; money is Decimal(18, 2), booleans UInt8.
//
// # Upserts
//
// Put only ever inserts. Every row gets a version from a per-Store counter
// that starts at the wall clock in nanoseconds and only grows, one value per
// row, so a later Put outranks an earlier one, in this process or (clocks
// permitting) another, and within one Put a later duplicate of an id
// outranks an earlier one. Readers use FINAL, which keeps the highest version
// of each id whether or not the background merges have run yet.
//
// The tables are deliberately not partitioned: FINAL only collapses rows
// within one partition, and every candidate key (issue month, customer...) can
// change between two exports of the same id, which would leave both versions
// visible. A ledger of a few million rows per table is small for ClickHouse.
//
// Put is not atomic across tables or chunks (ClickHouse has no transactions):
// after a failure some records may be stored, and the error is a
// *datasets.PartialError counting those the server acknowledged. Because
// writing a record twice changes nothing, the remedy is to run the same Put
// again.
//
// # Deadlines
//
// Every round trip has a deadline, the DSN's timeout (DefaultTimeout): the
// driver's read timeout bounds each wait for the server, and each INSERT
// chunk runs under a context with that deadline, which also bounds its
// writes. A chunk that times out or meets a broken connection is sent again
// with the same row versions (idempotent); errors name the server.
//
// # Cluster
//
// With ?cluster=NAME the ledger is sharded over the shards of cluster NAME
// as the server the DSN names knows it (system.clusters, from its
// remote_servers): one server per shard (replicas need ZooKeeper, which
// dsopilot does not use, and are refused with ErrCluster). On every shard
// the tables are in database <db>_local; on every server, the DSN's
// included, database <db> holds a Distributed table of the same name over
// them, sharded by sipHash64(customer_id): all rows about a customer live
// on one shard.
//
// Put sends each row straight to its shard's local table, computing the
// Distributed table's own routing (sipHash64, then the shards' weights), so
// that a row the server acknowledged is on its shard; the Distributed
// tables, written to, acknowledge once they queued the rows on the server
// that took them. An id whose customer changes moves to the new customer's
// shard and is deleted from the old (see moves.go): every id lives on one
// shard, so FINAL, which ClickHouse applies on each shard, deduplicates it
// as on a single server, and Load, Counts, CustomerIDs and EachID read the
// Distributed tables with the single server's SQL and give its results.
//
// Every shard must answer. Open connects to each; a read or write that
// fails while one does not answer returns ErrShardDown naming it ("shard 2
// (host:9000)"), and Distributed reads never skip a shard
// (skip_unavailable_shards = 0). What a failed Put wrote is counted in its
// *datasets.PartialError, and putting the batch again once the shard is
// back completes it.
//
// # Migrations on a cluster
//
// 18.16 runs ON CLUSTER DDL only with ZooKeeper, so Migrate runs each
// migration on each server itself and records it in that server's
// schema_migrations. It pings every server before it changes anything.
// Reads and imports refuse a cluster whose servers recorded different
// versions (a Migrate interrupted by a shard going down), naming each;
// Migrate brings the late ones forward.
//
// A migration is written once, for a single server, and its statements on
// a cluster are derived from it (ddl.go). Each CREATE TABLE IF NOT EXISTS
// carries a comment saying how a cluster shards the table,
//
//	-- cluster: shard by customer_id
//
// naming one of its String columns; the only other statements allowed are
// ALTER TABLE ... ADD|DROP|MODIFY COLUMN, applied to the shards' tables and
// the Distributed ones alike. Anything else fails to load (and the tests),
// not a customer's cluster.
//
// # Queries from other packages
//
// *Store implements chsql.Querier, which code that runs its own SQL on the
// ledger (features, model) uses without linking the driver: Query,
// QueryRow and Exec on the Distributed tables (or the single server's),
// and Shards for a Querier per shard over its local tables.
package chstore

import (
	"context"
	_ "embed"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/dsopilot/dsopilot/datasets"
)

//go:embed queries/customer_ids.sql
var customerIDsSQL string

const (
	// defaultChunkRows is how many rows Put sends per INSERT: large enough to
	// amortise a round trip and a part, small enough to bound the columnar
	// copies in memory.
	defaultChunkRows = 100_000
	// defaultInserters is how many INSERTs of one table run at once. Two let
	// the client encode a chunk while the server writes the previous one;
	// on 1M invoices that cut Put from 2.6 s to 1.5 s, and a third did not help.
	defaultInserters = 2
)

var _ datasets.Store = (*Store)(nil)

// Store is a ledger in a ClickHouse database. It is safe for concurrent use.
type Store struct {
	// entry is the server the DSN names; on a cluster it runs the queries
	// over the Distributed tables.
	entry     *node
	cfg       Config
	log       *slog.Logger
	tables    []ledgerTable
	chunkRows int
	inserters int
	// schemaOK caches a successful schema check.
	schemaOK atomic.Bool
	// lastVersion is the highest row version handed out.
	lastVersion atomic.Uint64
	// closed makes Close idempotent.
	closed atomic.Bool
	// shards are the cluster's shards in shard order, and slots maps
	// sipHash64(shard key) mod len(slots) to an index in shards, as the
	// Distributed tables do. Both nil on a single server.
	shards []shard
	slots  []int
	// throughDistributed makes Put write through the Distributed tables
	// of the server the DSN names, with insert_distributed_sync = 1,
	// instead of straight to each shard: the alternative the cluster
	// benchmark measures (see put).
	throughDistributed bool
	// matchMu keeps Puts (read-locked) and SyncMatch (locked) apart, so
	// that a sync never misses rows a Put of this process is writing;
	// matchPending is the lowest version a Put reserved since the last
	// sync (0: none).
	matchMu      sync.RWMutex
	matchPending atomic.Uint64
	// matchChunk is how many customers one rebuild statement takes at
	// most (matchRebuildCustomers; tests set fewer).
	matchChunk int
}

// Open connects to the ClickHouse server and database named by dsn. A
// missing database is not an error (Migrate creates it); a server that
// cannot be reached or refuses the credentials is. With ?cluster=NAME it
// also reads the cluster's shards from the server's remote_servers and
// connects to each: an unknown cluster is ErrCluster, a shard that does
// not answer ErrShardDown, both naming it. log may be nil.
func Open(ctx context.Context, dsn string, log *slog.Logger) (*Store, error) {
	cfg, err := ParseDSN(dsn)
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	all, err := migrations()
	if err != nil {
		return nil, err
	}
	tables, err := ledgerTables(shardKeys(all))
	if err != nil {
		return nil, err
	}
	entry, err := openNode(ctx, cfg.String(), cfg, log)
	if err != nil {
		return nil, err
	}
	s := &Store{entry: entry, cfg: cfg, log: log, tables: tables, chunkRows: defaultChunkRows, inserters: defaultInserters,
		matchChunk: matchRebuildCustomers}
	if cfg.Cluster == "" {
		if err := s.refuseClusterDatabase(ctx); err != nil {
			s.Close()
			return nil, err
		}
	}
	if cfg.Cluster != "" {
		if s.shards, err = discoverShards(ctx, cfg, entry, log); err == nil {
			s.slots, err = slotMap(s.shards)
		}
		if err != nil {
			s.Close()
			return nil, err
		}
		log.Debug("clickhouse cluster", "cluster", cfg.Cluster, "shards", len(s.shards))
	}
	log.Debug("clickhouse store opened", "dsn", cfg.String())
	return s, nil
}

// options returns the driver options for cfg connecting to database; ""
// means the user's default database.
func options(cfg Config, database string) *clickhouse.Options {
	o := &clickhouse.Options{
		Protocol: clickhouse.Native,
		Addr:     []string{cfg.Addr},
		Auth:     clickhouse.Auth{Database: database, Username: cfg.Username, Password: cfg.Password},
		ClientInfo: clickhouse.ClientInfo{Products: []struct {
			Name    string
			Version string
		}{{Name: "dsopilot"}}},
		Compression: compression(cfg.Addr),
		DialTimeout: min(10*time.Second, cfg.Timeout),
		// Every read from the server has this deadline (longer than a round
		// trip's by default: see DefaultQueryTimeout); writes get theirs
		// from the context of each INSERT chunk (putChunk).
		ReadTimeout: cfg.ReadTimeout(),
	}
	if cfg.Cluster != "" {
		o.Settings = clickhouse.Settings{
			// A profile may let Distributed reads skip a shard that is down
			// and return what the others hold; a ledger read must fail.
			"skip_unavailable_shards": 0,
			// 18.16 reads the shard on the server that takes the query in
			// process, and there loses the columns FINAL needs when the query
			// does not select them and sorts or limits ("Cannot find column
			// version in source stream"). Over the network every shard
			// runs the query as a query of its own.
			"prefer_localhost_replica": 0,
		}
	}
	return o
}

// compression returns LZ4 for a server across a network, where it costs
// little CPU and shrinks the String-heavy blocks severalfold, and none for
// one on this machine (as clickhouse-client does): there the bytes are
// free, while compressing and decompressing every block takes CPU from
// the import and the server alike.
func compression(addr string) *clickhouse.Compression {
	if isLoopback(addr) {
		return &clickhouse.Compression{Method: clickhouse.CompressionNone}
	}
	return &clickhouse.Compression{Method: clickhouse.CompressionLZ4}
}

// isLoopback reports whether host:port names this machine by a loopback
// address or as localhost; any other name is taken for a remote one.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Close releases the connections. It may be called more than once.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	closeShards(s.shards, s.entry)
	if err := s.entry.conn.Close(); err != nil {
		return fmt.Errorf("close clickhouse %s: %w", s.cfg, err)
	}
	return nil
}

// Put upserts every record of batch by its natural id. Nothing is written
// when a record cannot be stored (a date or amount out of the column's
// range); the error wraps datasets.ErrInvalid. A failure after the server
// acknowledged some chunks is a *datasets.PartialError counting them: they
// stay stored (ClickHouse has no transaction across INSERTs), and putting
// the batch again stores the rest and changes nothing else.
func (s *Store) Put(ctx context.Context, batch *datasets.Ledger) error {
	if batch == nil {
		batch = &datasets.Ledger{}
	}
	if err := s.ensureSchema(ctx); err != nil {
		return err
	}
	for _, t := range s.tables {
		if err := t.check(batch); err != nil {
			return err
		}
	}
	start := time.Now()
	s.matchMu.RLock()
	defer s.matchMu.RUnlock()
	// Every row of this batch gets a higher version than since: the next
	// SyncMatch rebuilds the invoice match of the customers of the rows
	// from since on.
	since := s.reserveVersions(1)
	if matchSources(batch) {
		s.notePending(since)
	}
	var stored datasets.Counts
	for _, t := range s.tables {
		n, err := t.put(ctx, s, batch)
		*t.counter(&stored) = uint64(n)
		if err != nil {
			return &datasets.PartialError{Stored: stored, Err: fmt.Errorf("clickhouse %s: %w", s.cfg, err)}
		}
	}
	s.log.Debug("clickhouse put", "records", batch.Len(), "elapsed", time.Since(start))
	return nil
}

// Load reads the whole deduplicated ledger, each slice sorted by id.
func (s *Store) Load(ctx context.Context) (*datasets.Ledger, error) {
	if err := s.ensureSchema(ctx); err != nil {
		return nil, err
	}
	l := &datasets.Ledger{}
	for _, t := range s.tables {
		if err := t.load(ctx, s, l, nil); err != nil {
			return nil, s.explain(ctx, err)
		}
	}
	return l, nil
}

// LoadPart reads part k (from 0) of the ledger split in n parts by a hash
// of the customer id: every record of a customer, and the credit notes on
// its invoices, are in one part, and every record is in exactly one. A
// computation over whole customers (KPIs, features) can so read a ledger
// larger than memory one part at a time. Each slice is sorted by id.
func (s *Store) LoadPart(ctx context.Context, k, n int) (*datasets.Ledger, error) {
	if n < 1 || k < 0 || k >= n {
		return nil, fmt.Errorf("clickhouse %s: load part %d of %d: %w", s.cfg, k, n, ErrBadPart)
	}
	if err := s.ensureSchema(ctx); err != nil {
		return nil, err
	}
	l := &datasets.Ledger{}
	for _, t := range s.tables {
		if err := t.load(ctx, s, l, &ledgerPart{k: k, n: n}); err != nil {
			return nil, s.explain(ctx, fmt.Errorf("part %d of %d: %w", k, n, err))
		}
	}
	return l, nil
}

// Counts returns the number of distinct records of each entity.
func (s *Store) Counts(ctx context.Context) (datasets.Counts, error) {
	var c datasets.Counts
	if err := s.ensureSchema(ctx); err != nil {
		return c, err
	}
	for _, t := range s.tables {
		// FINAL makes count() count ids, not rows awaiting a merge.
		q := "SELECT count() FROM " + t.tableName() + " FINAL"
		if err := s.entry.conn.QueryRow(ctx, q).Scan(t.counter(&c)); err != nil {
			return datasets.Counts{}, s.explain(ctx, fmt.Errorf("count %s: %w", t.tableName(), err))
		}
	}
	return c, nil
}

// Generation returns the ledger's generation: the newest version of any
// of its rows, which every Put raises, clocks permitting (see version
// above; 0 on an empty ledger). A reader
// that reads the ledger in several queries (parts, passes) compares it
// before and after to notice an import that landed in between.
func (s *Store) Generation(ctx context.Context) (uint64, error) {
	if err := s.ensureSchema(ctx); err != nil {
		return 0, err
	}
	var g uint64
	if err := s.entry.conn.QueryRow(queryContext(ctx), fmt.Sprintf(ledgerGenerationSQL, s.cfg.Database)).Scan(&g); err != nil {
		return 0, s.explain(ctx, fmt.Errorf("clickhouse %s: the ledger's generation: %w", s.cfg, err))
	}
	return g, nil
}

//go:embed queries/ledger_generation.sql
var ledgerGenerationSQL string

// Span returns the first and last days the ledger records: the dates of
// its invoices (issued, settled), payments, credit notes, disputes
// (opened, resolved) and promises (made), as the cash forecast's history
// sees them; zeros on an empty ledger. One query, where reading the
// ledger in parts for them would read it all.
func (s *Store) Span(ctx context.Context) (first, last datasets.Date, err error) {
	if err := s.ensureSchema(ctx); err != nil {
		return 0, 0, err
	}
	var f, l int32
	if err := s.entry.conn.QueryRow(queryContext(ctx), fmt.Sprintf(ledgerSpanSQL, s.cfg.Database)).Scan(&f, &l); err != nil {
		return 0, 0, s.explain(ctx, fmt.Errorf("clickhouse %s: the ledger's span: %w", s.cfg, err))
	}
	return datasets.Date(f), datasets.Date(l), nil
}

//go:embed queries/ledger_span.sql
var ledgerSpanSQL string

// EachID calls fn with the id of every stored record of e. The ids stream
// from the server; when the connection breaks before the stream ends (a
// pooled connection closed under it, "use of closed network connection"),
// the read starts over once, so fn may see an id a second time: callers
// must treat the ids as a set, as the importer does.
func (s *Store) EachID(ctx context.Context, e datasets.Entity, fn func(id string)) error {
	if err := s.ensureSchema(ctx); err != nil {
		return err
	}
	for _, t := range s.tables {
		if t.tableName() != string(e) {
			continue
		}
		err := s.streamIDs(ctx, e, t.idsSQL(), fn)
		if err != nil && brokenConnection(err) && ctx.Err() == nil {
			s.log.Warn("the id read broke mid-stream; reading again", "entity", string(e), "err", err)
			err = s.streamIDs(ctx, e, t.idsSQL(), fn)
		}
		return err
	}
	return fmt.Errorf("clickhouse: no table for %q", e)
}

// streamIDs runs one read of ids, passing each to fn as it arrives.
func (s *Store) streamIDs(ctx context.Context, e datasets.Entity, q string, fn func(id string)) error {
	rows, err := s.entry.conn.Query(ctx, q)
	if err != nil {
		return s.explain(ctx, fmt.Errorf("clickhouse %s: query %s ids: %w", s.cfg, e, err))
	}
	defer rows.Close()
	var id string
	for rows.Next() {
		if err := rows.Scan(&id); err != nil {
			return fmt.Errorf("scan %s id: %w", e, err)
		}
		fn(id)
	}
	if err := rows.Err(); err != nil {
		return s.explain(ctx, fmt.Errorf("clickhouse %s: read %s ids: %w", s.cfg, e, err))
	}
	return nil
}

// CustomerIDs returns the ids of all stored customers, sorted. Like EachID
// it reads once more when the stream breaks before its end.
func (s *Store) CustomerIDs(ctx context.Context) ([]string, error) {
	if err := s.ensureSchema(ctx); err != nil {
		return nil, err
	}
	ids := []string{}
	read := func() error {
		ids = ids[:0]
		return s.streamIDs(ctx, datasets.EntityCustomers, customerIDsSQL, func(id string) { ids = append(ids, id) })
	}
	err := read()
	if err != nil && brokenConnection(err) && ctx.Err() == nil {
		s.log.Warn("the customer id read broke mid-stream; reading again", "err", err)
		err = read()
	}
	if err != nil {
		return nil, err
	}
	return ids, nil
}

// reserveVersions returns the first of n consecutive row versions, all above
// every version this Store handed out before and none below the wall clock
// in nanoseconds.
func (s *Store) reserveVersions(n int) uint64 {
	for {
		last := s.lastVersion.Load()
		base := max(uint64(time.Now().UnixNano()), last+1)
		if s.lastVersion.CompareAndSwap(last, base+uint64(n)-1) {
			return base
		}
	}
}
