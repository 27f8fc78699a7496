package chstore

import (
	"context"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// readRetry sends a read again, once, when it failed on a broken pooled
// connection rather than on the query: the pool can hand out a connection
// the server or an earlier cancelled call already closed ("use of closed
// network connection"), and a read is safe to repeat. Writes are not
// wrapped; putChunk retries them with the versions that make a resend
// harmless.
type readRetry struct {
	driver.Conn
}

var _ driver.Conn = readRetry{}

func (c readRetry) Query(ctx context.Context, query string, args ...any) (driver.Rows, error) {
	rows, err := c.Conn.Query(ctx, query, args...)
	if err != nil && brokenConnection(err) && ctx.Err() == nil {
		return c.Conn.Query(ctx, query, args...)
	}
	return rows, err
}

func (c readRetry) QueryRow(ctx context.Context, query string, args ...any) driver.Row {
	row := c.Conn.QueryRow(ctx, query, args...)
	if err := row.Err(); err != nil && brokenConnection(err) && ctx.Err() == nil {
		return c.Conn.QueryRow(ctx, query, args...)
	}
	return row
}
