package chstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/dsopilot/dsopilot/datasets/chstore/chsql"
)

var (
	_ chsql.Querier = (*Store)(nil)
	_ chsql.Querier = (*shardQuerier)(nil)

	_ chsql.MatchSyncer = (*Store)(nil)
)

// Conn returns the connection to the server the DSN names, for code that
// queries the ledger tables directly. The Store keeps owning it: callers
// must not close it.
//
// Deprecated: run SQL through the store's chsql.Querier methods (Query,
// QueryRow, Exec, Shards), which do not tie the caller to the driver.
func (s *Store) Conn() driver.Conn { return s.entry.conn }

// Ping checks that the server the DSN names answers (api.Pinger: /readyz
// and the ingest spool ask it).
func (s *Store) Ping(ctx context.Context) error {
	if err := s.entry.conn.Ping(ctx); err != nil {
		return fmt.Errorf("clickhouse %s: ping: %w", s.cfg, err)
	}
	return nil
}

// Database returns the name of the database that holds the ledger tables:
// on a cluster, the Distributed tables over every shard.
func (s *Store) Database() string { return s.cfg.Database }

// Cluster returns the name of the store's cluster, "" on a single server.
func (s *Store) Cluster() string { return s.cfg.Cluster }

// Query runs query on the server the DSN names (on a cluster, through it on
// every shard the Distributed tables reach). A failure on a cluster names
// the shards that do not answer.
func (s *Store) Query(ctx context.Context, query string, args ...any) (chsql.Rows, error) {
	rows, err := s.entry.conn.Query(queryContext(ctx), query, bindArgs(args)...)
	if err != nil {
		return nil, s.explain(ctx, fmt.Errorf("clickhouse %s: %w", s.cfg, err))
	}
	return &explainedRows{Rows: rows, explain: func(err error) error {
		return s.explain(ctx, fmt.Errorf("clickhouse %s: %w", s.cfg, err))
	}}, nil
}

// explainedRows are rows whose error, which the server may send after the
// first blocks, is explained as the query's would be.
type explainedRows struct {
	driver.Rows
	explain func(error) error
}

func (r *explainedRows) Err() error {
	if err := r.Rows.Err(); err != nil {
		return r.explain(err)
	}
	return nil
}

// QueryRow runs a query returning one row; errors surface in Scan.
func (s *Store) QueryRow(ctx context.Context, query string, args ...any) chsql.Row {
	return s.entry.conn.QueryRow(queryContext(ctx), query, bindArgs(args)...)
}

// Exec runs a statement that returns no rows.
func (s *Store) Exec(ctx context.Context, query string, args ...any) error {
	if err := s.entry.conn.Exec(queryContext(ctx), query, bindArgs(args)...); err != nil {
		return s.explain(ctx, fmt.Errorf("clickhouse %s: %w", s.cfg, err))
	}
	return nil
}

// Shards returns a Querier per shard, reading the shard's local tables in
// its Database; on a single server, the store itself.
func (s *Store) Shards() []chsql.Querier {
	if s.cfg.Cluster == "" {
		return []chsql.Querier{s}
	}
	out := make([]chsql.Querier, len(s.shards))
	for i, sh := range s.shards {
		out[i] = &shardQuerier{s: s, n: sh.node}
	}
	return out
}

// shardQuerier runs queries on one shard's server, over its local tables.
type shardQuerier struct {
	s *Store
	n *node
}

func (q *shardQuerier) Query(ctx context.Context, query string, args ...any) (chsql.Rows, error) {
	rows, err := q.n.conn.Query(queryContext(ctx), query, bindArgs(args)...)
	if err != nil {
		return nil, q.s.unreachable(q.n, fmt.Errorf("clickhouse %s: %w", q.n.name, err))
	}
	return &explainedRows{Rows: rows, explain: func(err error) error {
		return q.s.unreachable(q.n, fmt.Errorf("clickhouse %s: %w", q.n.name, err))
	}}, nil
}

func (q *shardQuerier) QueryRow(ctx context.Context, query string, args ...any) chsql.Row {
	return q.n.conn.QueryRow(queryContext(ctx), query, bindArgs(args)...)
}

func (q *shardQuerier) Exec(ctx context.Context, query string, args ...any) error {
	if err := q.n.conn.Exec(queryContext(ctx), query, bindArgs(args)...); err != nil {
		return q.s.unreachable(q.n, fmt.Errorf("clickhouse %s: %w", q.n.name, err))
	}
	return nil
}

func (q *shardQuerier) Database() string        { return q.s.cfg.LocalDatabase() }
func (q *shardQuerier) Cluster() string         { return q.s.cfg.Cluster }
func (q *shardQuerier) Shards() []chsql.Querier { return []chsql.Querier{q} }

// queryContext carries the chsql settings of ctx as the driver's.
func queryContext(ctx context.Context) context.Context {
	set := chsql.SettingsOf(ctx)
	if len(set) == 0 {
		return ctx
	}
	return clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings(set)))
}

// bindArgs turns database/sql's named arguments into the driver's.
func bindArgs(args []any) []any {
	var out []any // a copy, made at the first named argument
	for i, a := range args {
		if na, ok := a.(sql.NamedArg); ok {
			if out == nil {
				out = slices.Clone(args)
			}
			out[i] = clickhouse.Named(na.Name, na.Value)
		}
	}
	if out == nil {
		return args
	}
	return out
}
