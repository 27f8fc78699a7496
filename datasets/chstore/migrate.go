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
	statements []string
}

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
	return migration{version: version, name: label, statements: stmts}, nil
}

// Migrate creates the database if needed and applies every migration the
// database lacks, in order. It returns the versions it applied: none when the
// schema is current. A database whose schema is newer than this build is left
// alone and reported as datasets.ErrSchema.
func (s *Store) Migrate(ctx context.Context) (applied []int, err error) {
	all, err := migrations()
	if err != nil {
		return nil, err
	}
	if err := s.createDatabase(ctx); err != nil {
		return nil, err
	}
	if err := s.conn.Exec(ctx, createSchemaMigrationsSQL); err != nil {
		return nil, fmt.Errorf("create schema_migrations: %w", err)
	}
	done, err := s.appliedVersions(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.checkNotNewer(done, len(all)); err != nil {
		return nil, err
	}
	applied = []int{}
	for _, m := range all {
		if slices.Contains(done, m.version) {
			continue
		}
		if err := s.apply(ctx, m); err != nil {
			return applied, err
		}
		applied = append(applied, m.version)
	}
	s.schemaOK.Store(true)
	s.log.Info("clickhouse schema migrated", "database", s.cfg.Database, "applied", applied, "version", len(all))
	return applied, nil
}

// createDatabase creates the store's database over a connection to the
// user's default database, since the store's own connections cannot be
// opened while their database does not exist.
func (s *Store) createDatabase(ctx context.Context) error {
	err := s.conn.Ping(ctx)
	if err == nil {
		return nil
	}
	if !hasCode(err, codeUnknownDatabase) {
		return fmt.Errorf("ping %s: %w", s.cfg, err)
	}
	boot, err := clickhouse.Open(options(s.cfg, ""))
	if err != nil {
		return fmt.Errorf("connect to create database %s: %w", s.cfg.Database, err)
	}
	defer boot.Close()
	// The name was checked by ParseDSN to be a plain identifier.
	if err := boot.Exec(ctx, "CREATE DATABASE IF NOT EXISTS "+s.cfg.Database); err != nil {
		return fmt.Errorf("create database %s: %w", s.cfg.Database, err)
	}
	s.log.Info("clickhouse database created", "database", s.cfg.Database)
	// The pool may keep connections whose handshake failed while the
	// database was missing; a later INSERT on one of them fails with "use of
	// closed network connection". Start a fresh pool now that it exists.
	fresh, err := clickhouse.Open(options(s.cfg, s.cfg.Database))
	if err != nil {
		return fmt.Errorf("reconnect to %s: %w", s.cfg, err)
	}
	if err := fresh.Ping(ctx); err != nil {
		fresh.Close()
		return fmt.Errorf("ping %s: %w", s.cfg, err)
	}
	old := s.conn
	s.conn = fresh
	old.Close()
	return nil
}

func (s *Store) apply(ctx context.Context, m migration) error {
	for i, stmt := range m.statements {
		err := s.conn.Exec(ctx, stmt)
		if err != nil && addsExistingColumn(stmt, err) {
			// Applied before, but not recorded: 18.16 has no ADD COLUMN IF
			// NOT EXISTS to make the statement itself idempotent.
			s.log.Info("clickhouse column already added", "statement", stmt)
			continue
		}
		if err != nil {
			return fmt.Errorf("migration %04d_%s statement %d: %w", m.version, m.name, i+1, err)
		}
	}
	batch, err := s.conn.PrepareBatch(ctx, recordMigrationSQL)
	if err != nil {
		return fmt.Errorf("prepare schema_migrations batch: %w", err)
	}
	defer batch.Close()
	if err := batch.Append(uint32(m.version), m.name, time.Now()); err != nil {
		return fmt.Errorf("record migration %d: %w", m.version, err)
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("record migration %d: %w", m.version, err)
	}
	s.log.Info("clickhouse migration applied", "database", s.cfg.Database, "version", m.version, "name", m.name)
	return nil
}

// appliedVersions returns the recorded migration versions, ascending.
func (s *Store) appliedVersions(ctx context.Context) ([]int, error) {
	rows, err := s.conn.Query(ctx, appliedVersionsSQL)
	if err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	defer rows.Close()
	var out []int
	for rows.Next() {
		var v uint32
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("scan schema_migrations: %w", err)
		}
		out = append(out, int(v))
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	return out, nil
}

// CheckSchema fails unless the database exists and holds exactly this
// build's schema: what a command that only reads checks first, so that a
// mistyped database is an error rather than an empty ledger.
func (s *Store) CheckSchema(ctx context.Context) error {
	if err := s.conn.Ping(ctx); hasCode(err, codeUnknownDatabase) {
		return fmt.Errorf("%w: clickhouse database %s does not exist on %s (check --store, or import into it first)",
			datasets.ErrNotFound, s.cfg.Database, s.cfg.Addr)
	}
	return s.ensureSchema(ctx)
}

// ensureSchema fails with datasets.ErrSchema unless the database holds
// exactly the migrations of this build. Success is remembered; failure is
// not, so that a Migrate from elsewhere is noticed.
func (s *Store) ensureSchema(ctx context.Context) error {
	if s.schemaOK.Load() {
		return nil
	}
	all, err := migrations()
	if err != nil {
		return err
	}
	done, err := s.appliedVersions(ctx)
	if hasCode(err, codeUnknownDatabase) || hasCode(err, codeUnknownTable) {
		return fmt.Errorf("%w: database %s has no dsopilot schema; run `dsopilot db migrate`", datasets.ErrSchema, s.cfg.Database)
	}
	if err != nil {
		return err
	}
	if err := s.checkNotNewer(done, len(all)); err != nil {
		return err
	}
	if len(done) < len(all) {
		return fmt.Errorf("%w: database %s is at schema version %d of %d; run `dsopilot db migrate`",
			datasets.ErrSchema, s.cfg.Database, len(done), len(all))
	}
	s.schemaOK.Store(true)
	return nil
}

// checkNotNewer refuses a database migrated by a later build: this one would
// not know what its extra migrations changed.
func (s *Store) checkNotNewer(done []int, latest int) error {
	if len(done) > 0 && done[len(done)-1] > latest {
		return fmt.Errorf("%w: database %s is at schema version %d, newer than this build's %d; upgrade dsopilot",
			datasets.ErrSchema, s.cfg.Database, done[len(done)-1], latest)
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

// splitStatements splits a script on the semicolons that end statements,
// skipping those inside quotes and comments, and drops empty statements
// and comment-only ones.
func splitStatements(script string) []string {
	var (
		out   []string
		start int
		quote byte // the open quote: ', " or `; 0 outside quotes
		code  bool // the current statement has more than comments and space
	)
	flush := func(end int) {
		if code {
			out = append(out, strings.TrimSpace(script[start:end]))
		}
		start, code = end+1, false
	}
	for i := 0; i < len(script); i++ {
		c := script[i]
		switch {
		case quote != 0:
			if c == '\\' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"' || c == '`':
			quote, code = c, true
		case c == '-' && strings.HasPrefix(script[i:], "--"):
			i = skipTo(script, i, "\n")
		case c == '/' && strings.HasPrefix(script[i:], "/*"):
			i = skipTo(script, i+2, "*/") + 1
		case c == ';':
			flush(i)
		case c != ' ' && c != '\t' && c != '\n' && c != '\r':
			code = true
		}
	}
	flush(len(script))
	return out
}

// skipTo returns the index of the first byte of the first sep at or after
// from, or the last index of s when there is none.
func skipTo(s string, from int, sep string) int {
	if j := strings.Index(s[from:], sep); j >= 0 {
		return from + j
	}
	return len(s) - 1
}
