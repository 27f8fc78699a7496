package chstore

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// flakyConn fails its first failures calls with err, then answers.
type flakyConn struct {
	driver.Conn
	failures int
	err      error
	calls    int
}

type errRow struct {
	driver.Row
	err error
}

func (r errRow) Err() error { return r.err }

func (c *flakyConn) Query(context.Context, string, ...any) (driver.Rows, error) {
	c.calls++
	if c.calls <= c.failures {
		return nil, c.err
	}
	return nil, nil
}

func (c *flakyConn) QueryRow(context.Context, string, ...any) driver.Row {
	c.calls++
	if c.calls <= c.failures {
		return errRow{err: c.err}
	}
	return errRow{}
}

func TestReadsAreSentAgainOnceAfterABrokenConnection(t *testing.T) {
	closed := fmt.Errorf("read: %w", net.ErrClosed)
	syntax := errors.New("code: 62, message: Syntax error")
	for _, tc := range []struct {
		name      string
		failures  int
		err       error
		wantCalls int
		wantErr   bool
	}{
		{"broken once, then answered", 1, closed, 2, false},
		{"broken twice: reported", 2, closed, 2, true},
		{"a query error is not retried", 1, syntax, 1, true},
		{"no failure", 0, nil, 1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := &flakyConn{failures: tc.failures, err: tc.err}
			_, err := readRetry{q}.Query(context.Background(), "SELECT 1")
			if q.calls != tc.wantCalls || (err != nil) != tc.wantErr {
				t.Errorf("Query: %d calls, err %v; want %d calls, error %v", q.calls, err, tc.wantCalls, tc.wantErr)
			}
			r := &flakyConn{failures: tc.failures, err: tc.err}
			row := readRetry{r}.QueryRow(context.Background(), "SELECT 1")
			if r.calls != tc.wantCalls || (row.Err() != nil) != tc.wantErr {
				t.Errorf("QueryRow: %d calls, err %v; want %d calls, error %v", r.calls, row.Err(), tc.wantCalls, tc.wantErr)
			}
		})
	}
	t.Run("a cancelled context is not retried", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		q := &flakyConn{failures: 1, err: closed}
		if _, err := (readRetry{q}).Query(ctx, "SELECT 1"); err == nil || q.calls != 1 {
			t.Errorf("%d calls, err %v; want 1 call and the error", q.calls, err)
		}
	})
}
