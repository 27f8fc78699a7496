package chstore

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/dsopilot/dsopilot/datasets"
)

// migrationFiles holds the schema, one file per version: NNNN_name.sql with
// versions 1, 2, 3... Every statement in them must be idempotent (IF NOT
// EXISTS), because ClickHouse cannot apply a migration and record it
// atomically: one applied but not recorded is run again.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

//go:embed queries/create_schema_migrations.sql
var createSchemaMigrationsSQL string

//go:embed queries/applied_versions.sql
var appliedVersionsSQL string

//go:embed queries/record_migration.sql
var recordMigrationSQL string

// ClickHouse error codes that mean "no schema here yet".
const (
	codeUnknownTable    = 60
	codeUnknownDatabase = 81
	// codeIllegalColumn is also what an ADD COLUMN of an existing column gets.
	codeIllegalColumn = 44
)

type migration struct {
	version    int
	name       string
	statements []ddl
}

// label names the migration as its file does.
func (m migration) label() string { return fmt.Sprintf("%04d_%s", m.version, m.name) }

// migrations returns the embedded migrations in version order.
func migrations() ([]migration, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, fmt.Errorf("list migrations: %w", err)
	}
	slices.Sort(names)
	out := make([]migration, 0, len(names))
	for i, name := range names {
		m, err := readMigration(name)
		if err != nil {
			return nil, err
		}
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: version %d, want %d (versions are consecutive from 1)", name, m.version, i+1)
		}
		out = append(out, m)
	}
	return out, nil
}

func readMigration(name string) (migration, error) {
	base := strings.TrimSuffix(path.Base(name), ".sql")
	num, label, ok := strings.Cut(base, "_")
	version, err := strconv.Atoi(num)
	if !ok || err != nil || len(num) != 4 || label == "" {
		return migration{}, fmt.Errorf("migration %s: want a name like 0001_ledger.sql", name)
	}
	text, err := migrationFiles.ReadFile(name)
	if err != nil {
		return migration{}, fmt.Errorf("read migration %s: %w", name, err)
	}
	stmts := splitStatements(string(text))
	if len(stmts) == 0 {
		return migration{}, fmt.Errorf("migration %s has no statement", name)
	}
	m := migration{version: version, name: label}
	for i, stmt := range stmts {
		d, err := parseDDL(stmt)
		if err != nil {
			return migration{}, fmt.Errorf("migration %s statement %d: %w", name, i+1, err)
		}
		m.statements = append(m.statements, d)
	}
	return m, nil
}

// shardKeys returns the shard key column the migrations declare for each
// table they create.
func shardKeys(ms []migration) map[string]string {
	keys := map[string]string{}
	for _, m := range ms {
		for _, d := range m.statements {
			if d.kind == ddlCreate {
				keys[d.table] = d.shardBy
			}
		}
	}
	return keys
}

// Migrate creates the database if needed and applies every migration the
// database lacks, in order. It returns the versions it applied: none when the
// schema is current. A database whose schema is newer than this build is left
// alone and reported as datasets.ErrSchema.
//
// On a cluster it does so on every server, each recording what it applied
// (ClickHouse 18.16 runs ON CLUSTER only with ZooKeeper, which dsopilot
// does not need): the local tables on each shard, the Distributed tables on
// each server. Every server must answer before anything is changed. A
// cluster left at different versions by an interrupted Migrate is brought
// to this build's version, each server from where it stopped, and says so.
func (s *Store) Migrate(ctx context.Context) (applied []int, err error) {
	all, err := migrations()
	if err != nil {
		return nil, err
	}
	nodes := s.nodes()
	for _, n := range nodes {
		if err := n.conn.Ping(ctx); err != nil && !hasCode(err, codeUnknownDatabase) {
			return nil, s.unreachable(n, fmt.Errorf("db migrate: ping %s: %w", n.name, err))
		}
	}
	done := make([][]int, len(nodes))
	for i, n := range nodes {
		if err := s.prepare(ctx, n); err != nil {
			return nil, err
		}
		if done[i], err = appliedVersions(ctx, n); err != nil {
			return nil, err
		}
		if err := s.checkNotNewer(n, done[i], len(all)); err != nil {
			return nil, err
		}
	}
	if mixed := s.versionMismatch(nodes, done, len(all)); mixed != "" {
		s.log.Warn("clickhouse servers at different schema versions; migrating each to the latest", "cluster", s.cfg.Cluster, "versions", mixed, "latest", len(all))
	}
	applied = []int{}
	for _, m := range all {
		ran := false
		for i, n := range nodes {
			if slices.Contains(done[i], m.version) {
				continue
			}
			if err := s.apply(ctx, n, m); err != nil {
				if s.cfg.Cluster != "" {
					err = fmt.Errorf("%w; the servers of cluster %s may now be at different schema versions, which reads and imports refuse: run `dsopilot db migrate` again once %s answers",
						err, s.cfg.Cluster, n.name)
				}
				return applied, s.unreachable(n, err)
			}
			ran = true
		}
		if ran {
			applied = append(applied, m.version)
		}
	}
	if slices.Contains(applied, matchMigration) || slices.Contains(applied, matchCreditsMigration) ||
		slices.Contains(applied, customerMatchMigration) {
		// The match of a ledger stored before it existed, before it
		// held the credit notes, or before it was gathered per customer
		// (matchFormat makes this sync rebuild it whole).
		if err := s.syncMatch(ctx); err != nil {
			return applied, err
		}
	}
	s.schemaOK.Store(true)
	s.log.Info("clickhouse schema migrated", "database", s.cfg.Database, "cluster", s.cfg.Cluster, "applied", applied, "version", len(all))
	return applied, nil
}

// unreachable marks err, met on server n, as a shard down when n does not
// answer a ping.
func (s *Store) unreachable(n *node, err error) error {
	if s.cfg.Cluster == "" || errors.Is(err, ErrShardDown) {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), min(s.cfg.Timeout, pingTimeout))
	defer cancel()
	if perr := n.conn.Ping(ctx); perr != nil && !hasCode(perr, codeUnknownDatabase) {
		return fmt.Errorf("%w: %s: %w", ErrShardDown, n.name, err)
	}
	return err
}

// prepare creates on n the databases it holds and the migration
// bookkeeping table.
func (s *Store) prepare(ctx context.Context, n *node) error {
	if err := s.createDatabase(ctx, n); err != nil {
		return err
	}
	if s.cfg.Cluster != "" && n.shard != 0 {
		// The name was checked by ParseDSN to be a plain identifier.
		if err := n.conn.Exec(ctx, "CREATE DATABASE IF NOT EXISTS "+s.cfg.LocalDatabase()); err != nil {
			return fmt.Errorf("create database %s on %s: %w", s.cfg.LocalDatabase(), n.name, err)
		}
	}
	if err := n.conn.Exec(ctx, createSchemaMigrationsSQL); err != nil {
		return fmt.Errorf("create schema_migrations on %s: %w", n.name, err)
	}
	return nil
}

// createDatabase creates the store's database on n over a connection to the
// user's default database, since n's own connections cannot be opened while
// their database does not exist.
func (s *Store) createDatabase(ctx context.Context, n *node) error {
	err := n.conn.Ping(ctx)
	if err == nil {
		return nil
	}
	if !hasCode(err, codeUnknownDatabase) {
		return fmt.Errorf("ping %s: %w", n.name, err)
	}
	boot, err := clickhouse.Open(options(n.cfg, ""))
	if err != nil {
		return fmt.Errorf("connect to %s to create database %s: %w", n.name, n.cfg.Database, err)
	}
	defer boot.Close()
	// The name was checked by ParseDSN to be a plain identifier.
	if err := boot.Exec(ctx, "CREATE DATABASE IF NOT EXISTS "+n.cfg.Database); err != nil {
		return fmt.Errorf("create database %s on %s: %w", n.cfg.Database, n.name, err)
	}
	s.log.Info("clickhouse database created", "database", n.cfg.Database, "server", n.name)
	// The pool may keep connections whose handshake failed while the
	// database was missing; a later INSERT on one of them fails with "use of
	// closed network connection". Start a fresh pool now that it exists.
	fresh, err := clickhouse.Open(options(n.cfg, n.cfg.Database))
	if err != nil {
		return fmt.Errorf("reconnect to %s: %w", n.name, err)
	}
	if err := fresh.Ping(ctx); err != nil {
		fresh.Close()
		return fmt.Errorf("ping %s: %w", n.name, err)
	}
	old := n.conn
	n.conn = readRetry{fresh}
	old.Close()
	return nil
}

// statementsFor returns what server n runs for d: the statement as written
// on a single server; on a cluster, its shard's and Distributed variants.
func (s *Store) statementsFor(n *node, d ddl) []string {
	switch {
	case s.cfg.Cluster == "":
		return d.single()
	case n.shard != 0:
		return d.onShard(s.cfg.Database, s.cfg.LocalDatabase(), s.cfg.Cluster)
	default:
		return d.onQueryNode(s.cfg.Database, s.cfg.LocalDatabase(), s.cfg.Cluster)
	}
}

// apply runs migration m on server n and records it there.
func (s *Store) apply(ctx context.Context, n *node, m migration) error {
	for i, d := range m.statements {
		for _, stmt := range s.statementsFor(n, d) {
			err := n.conn.Exec(ctx, stmt)
			if err != nil && addsExistingColumn(stmt, err) {
				// Applied before, but not recorded: 18.16 has no ADD COLUMN IF
				// NOT EXISTS to make the statement itself idempotent.
				s.log.Info("clickhouse column already added", "server", n.name, "statement", stmt)
				continue
			}
			if err != nil {
				return fmt.Errorf("migration %s statement %d on %s: %w", m.label(), i+1, n.name, err)
			}
		}
	}
	batch, err := n.conn.PrepareBatch(ctx, recordMigrationSQL)
	if err != nil {
		return fmt.Errorf("prepare schema_migrations batch on %s: %w", n.name, err)
	}
	defer batch.Close()
	if err := batch.Append(uint32(m.version), m.name, time.Now()); err != nil {
		return fmt.Errorf("record migration %d on %s: %w", m.version, n.name, err)
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("record migration %d on %s: %w", m.version, n.name, err)
	}
	s.log.Info("clickhouse migration applied", "server", n.name, "database", s.cfg.Database, "version", m.version, "name", m.name)
	return nil
}

// appliedVersions returns the migration versions recorded on n, ascending.
func appliedVersions(ctx context.Context, n *node) ([]int, error) {
	rows, err := n.conn.Query(ctx, appliedVersionsSQL)
	if err != nil {
		return nil, fmt.Errorf("read schema_migrations on %s: %w", n.name, err)
	}
	defer rows.Close()
	var out []int
	for rows.Next() {
		var v uint32
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("scan schema_migrations on %s: %w", n.name, err)
		}
		out = append(out, int(v))
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read schema_migrations on %s: %w", n.name, err)
	}
	return out, nil
}

// CheckSchema fails unless the database exists and holds exactly this
// build's schema (on every server of a cluster): what a command that only
// reads checks first, so that a mistyped database is an error rather than
// an empty ledger.
func (s *Store) CheckSchema(ctx context.Context) error {
	if err := s.entry.conn.Ping(ctx); hasCode(err, codeUnknownDatabase) {
		return fmt.Errorf("%w: clickhouse database %s does not exist on %s (check --store, or import into it first)",
			datasets.ErrNotFound, s.cfg.Database, s.cfg.Addr)
	}
	return s.ensureSchema(ctx)
}

// ensureSchema fails with datasets.ErrSchema unless the database holds
// exactly the migrations of this build, on every server. Success is
// remembered; failure is not, so that a Migrate from elsewhere is noticed.
func (s *Store) ensureSchema(ctx context.Context) error {
	if s.schemaOK.Load() {
		return nil
	}
	all, err := migrations()
	if err != nil {
		return err
	}
	nodes := s.nodes()
	done := make([][]int, len(nodes))
	for i, n := range nodes {
		done[i], err = appliedVersions(ctx, n)
		if hasCode(err, codeUnknownDatabase) || hasCode(err, codeUnknownTable) {
			return fmt.Errorf("%w: database %s%s has no dsopilot schema; run `dsopilot db migrate`", datasets.ErrSchema, s.cfg.Database, s.on(n))
		}
		if err != nil {
			return s.unreachable(n, err)
		}
		if err := s.checkNotNewer(n, done[i], len(all)); err != nil {
			return err
		}
	}
	if mixed := s.versionMismatch(nodes, done, len(all)); mixed != "" {
		return fmt.Errorf("%w: the servers of cluster %s are at different schema versions (%s; this build's is %d), as an interrupted migration leaves them; run `dsopilot db migrate`",
			datasets.ErrSchema, s.cfg.Cluster, mixed, len(all))
	}
	if len(done[0]) < len(all) {
		return fmt.Errorf("%w: database %s is at schema version %d of %d; run `dsopilot db migrate`",
			datasets.ErrSchema, s.cfg.Database, len(done[0]), len(all))
	}
	s.schemaOK.Store(true)
	return nil
}

// on and from name server n in a message, on a cluster only: a single
// server's errors are wrapped with its name once, by Put and the reads.
func (s *Store) on(n *node) string {
	if s.cfg.Cluster == "" {
		return ""
	}
	return " on " + n.name
}

func (s *Store) from(n *node) string {
	if s.cfg.Cluster == "" {
		return ""
	}
	return " from " + n.name
}

// versionMismatch describes the schema version of each server when they
// differ, and returns "" when they agree.
func (s *Store) versionMismatch(nodes []*node, done [][]int, latest int) string {
	same := true
	for i := range done {
		same = same && slices.Equal(done[i], done[0])
	}
	if same {
		return ""
	}
	parts := make([]string, len(nodes))
	for i, n := range nodes {
		parts[i] = fmt.Sprintf("%s at %d of %d", n.name, len(done[i]), latest)
	}
	return strings.Join(parts, ", ")
}

// checkNotNewer refuses a database migrated by a later build: this one would
// not know what its extra migrations changed.
func (s *Store) checkNotNewer(n *node, done []int, latest int) error {
	if len(done) > 0 && done[len(done)-1] > latest {
		return fmt.Errorf("%w: database %s%s is at schema version %d, newer than this build's %d; upgrade dsopilot",
			datasets.ErrSchema, s.cfg.Database, s.on(n), done[len(done)-1], latest)
	}
	return nil
}

// addsExistingColumn reports whether err is ClickHouse refusing stmt, an
// ALTER TABLE ... ADD COLUMN, because the column exists.
func addsExistingColumn(stmt string, err error) bool {
	var e *clickhouse.Exception
	return errors.As(err, &e) && e.Code == codeIllegalColumn && strings.Contains(e.Message, "already exists") &&
		strings.Contains(strings.ToUpper(stmt), "ADD COLUMN")
}

func hasCode(err error, code int32) bool {
	var e *clickhouse.Exception
	return errors.As(err, &e) && e.Code == code
}
