package chstore

import (
	"context"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// readRetry sends a read again, once, when it failed on a broken pooled
// connection rather than on the query: the pool can hand out a connection
// the server or an earlier cancelled call already closed ("use of closed
// network connection"), and a read is safe to repeat. The break can come
// when the query starts or while its answer streams: an aggregation sends
// its first row only at the end, so a break before the caller has seen any
// row is also sent again (a break after it is the caller's to handle, as
// EachID does). Writes are not wrapped; putChunk retries them with the
// versions that make a resend harmless.
type readRetry struct {
	driver.Conn
}

var _ driver.Conn = readRetry{}

func (c readRetry) Query(ctx context.Context, query string, args ...any) (driver.Rows, error) {
	rows, err := c.Conn.Query(ctx, query, args...)
	if err != nil && brokenConnection(err) && ctx.Err() == nil {
		return c.Conn.Query(ctx, query, args...)
	}
	if err != nil {
		return rows, err
	}
	return &retryRows{Rows: rows, again: func() (driver.Rows, error) { return c.Conn.Query(ctx, query, args...) }, ctx: ctx}, nil
}

func (c readRetry) QueryRow(ctx context.Context, query string, args ...any) driver.Row {
	row := c.Conn.QueryRow(ctx, query, args...)
	if err := row.Err(); err != nil && brokenConnection(err) && ctx.Err() == nil {
		return c.Conn.QueryRow(ctx, query, args...)
	}
	return &retryRow{Row: row, again: func() driver.Row { return c.Conn.QueryRow(ctx, query, args...) }, ctx: ctx}
}

// retryRows are a query's rows that are read again, once, when the stream
// breaks before the first row.
type retryRows struct {
	driver.Rows
	again   func() (driver.Rows, error)
	ctx     context.Context
	seen    bool // a row was handed out
	retried bool
	err     error // the second query's own failure
}

func (r *retryRows) Next() bool {
	if r.err != nil {
		return false
	}
	if r.Rows.Next() {
		r.seen = true
		return true
	}
	err := r.Rows.Err()
	if r.seen || r.retried || err == nil || !brokenConnection(err) || r.ctx.Err() != nil {
		return false
	}
	r.retried = true
	r.Rows.Close()
	rows, err := r.again()
	if err != nil {
		r.err = err
		return false
	}
	r.Rows = rows
	return r.Next()
}

func (r *retryRows) Err() error {
	if r.err != nil {
		return r.err
	}
	return r.Rows.Err()
}

// retryRow is a QueryRow whose Scan reads again, once, when the answer
// broke off on the connection.
type retryRow struct {
	driver.Row
	again func() driver.Row
	ctx   context.Context
}

func (r *retryRow) Scan(dest ...any) error {
	err := r.Row.Scan(dest...)
	if err != nil && brokenConnection(err) && r.ctx.Err() == nil {
		r.Row = r.again()
		return r.Row.Scan(dest...)
	}
	return err
}

func (r *retryRow) ScanStruct(dest any) error {
	err := r.Row.ScanStruct(dest)
	if err != nil && brokenConnection(err) && r.ctx.Err() == nil {
		r.Row = r.again()
		return r.Row.ScanStruct(dest)
	}
	return err
}
