// Package chsql is the boundary between code that runs its own SQL on the
// ledger (the SQL feature engine, model training sets) and the ClickHouse
// store that holds it. It declares what such code may ask of the store,
// in standard-library types only: this package imports no driver, so a
// package that runs SQL through a Querier neither imports nor links
// clickhouse-go. datasets/chstore implements Querier (*chstore.Store).
//
// # Arguments and settings
//
// Query, QueryRow and Exec take positional arguments for ? placeholders, or
// named ones as database/sql's sql.Named("t", v) for @t placeholders (the
// store binds them as the driver's named parameters). Per-query ClickHouse
// settings travel in the context: WithSettings(ctx, Settings{...}).
//
// # Single server and cluster
//
// Database names the database that holds the ledger tables as whole
// tables: on a single server the tables themselves, on a cluster the
// Distributed tables, which read every shard (FINAL applies on each shard,
// which is right because all rows of an id live on one shard) and merge on
// the server the store connected to. Cluster is "" on a single server.
//
// Shards returns one Querier per shard, whose Database holds that shard's
// local tables under the same names: a query with per-customer GROUP BY
// (the tables are sharded by customer_id) can run on each shard and the
// results be concatenated, with no cross-shard merge. On a single server
// Shards returns the store itself, so code written for shards runs
// unchanged there. Table names must be qualified with Database(): the
// connections' default database is the store's, whatever the Querier.
package chsql

import "context"

// MatchSyncer is a Querier whose derived table invoice_match can lag the
// ledger tables after a write (chstore builds it lazily, see its match.go):
// code that reads invoice_match calls SyncMatch first.
type MatchSyncer interface {
	SyncMatch(ctx context.Context) error
}

// Querier runs SQL on the ledger's database.
type Querier interface {
	// Query runs a query and returns its rows, which the caller must close.
	Query(ctx context.Context, query string, args ...any) (Rows, error)
	// QueryRow runs a query that returns one row; errors surface in Scan.
	QueryRow(ctx context.Context, query string, args ...any) Row
	// Exec runs a statement that returns no rows.
	Exec(ctx context.Context, query string, args ...any) error
	// Database is the database holding the tables this Querier reads.
	Database() string
	// Cluster is the ClickHouse cluster's name, "" on a single server.
	Cluster() string
	// Shards returns a Querier per shard, in shard order; on a single
	// server, the Querier itself.
	Shards() []Querier
}

// Rows is a query's result, read row by row.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Columns() []string
	Err() error
	Close() error
}

// Row is the result of QueryRow.
type Row interface {
	Scan(dest ...any) error
	Err() error
}

// Settings are ClickHouse settings for one query, by name.
type Settings map[string]any

type settingsKey struct{}

// WithSettings returns ctx carrying settings for the queries run with it,
// added to (and overriding) any it already carries.
func WithSettings(ctx context.Context, s Settings) context.Context {
	merged := Settings{}
	for k, v := range SettingsOf(ctx) {
		merged[k] = v
	}
	for k, v := range s {
		merged[k] = v
	}
	return context.WithValue(ctx, settingsKey{}, merged)
}

// SettingsOf returns the settings ctx carries, nil when none. The store
// reads them; callers need not.
func SettingsOf(ctx context.Context) Settings {
	s, _ := ctx.Value(settingsKey{}).(Settings)
	return s
}
