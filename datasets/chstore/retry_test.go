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

// A stream that breaks before its first row is read again once; one that
// breaks after a row was handed out is reported (the caller has seen part
// of the answer).
func TestAStreamBrokenBeforeItsFirstRowIsReadAgain(t *testing.T) {
	closed := &net.OpError{Op: "read", Net: "tcp", Err: net.ErrClosed}
	for _, tc := range []struct {
		name    string
		streams []fakeStream
		want    []string
		wantErr bool
		queries int
	}{
		{"broken before the first row", []fakeStream{{err: closed}, {ids: []string{"a", "b"}}}, []string{"a", "b"}, false, 2},
		{"broken after a row", []fakeStream{{ids: []string{"a"}, err: closed}, {ids: []string{"a", "b"}}}, []string{"a"}, true, 1},
		{"broken twice before the first row", []fakeStream{{err: closed}, {err: closed}}, nil, true, 2},
		{"a query error", []fakeStream{{err: errors.New("code: 241, memory limit exceeded")}}, nil, true, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conn := &streamConn{streams: tc.streams}
			rows, err := readRetry{conn}.Query(context.Background(), "SELECT id")
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for rows.Next() {
				var id string
				if err := rows.Scan(&id); err != nil {
					t.Fatal(err)
				}
				got = append(got, id)
			}
			if (rows.Err() != nil) != tc.wantErr {
				t.Errorf("err = %v, want error %v", rows.Err(), tc.wantErr)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) || conn.queries != tc.queries {
				t.Errorf("rows %v after %d queries, want %v after %d", got, conn.queries, tc.want, tc.queries)
			}
		})
	}
}

// scanRow fails its Scan with err.
type scanRow struct {
	driver.Row
	err error
}

func (r scanRow) Err() error             { return nil }
func (r scanRow) Scan(dest ...any) error { return r.err }

type rowConn struct {
	driver.Conn
	errs  []error
	calls int
}

func (c *rowConn) QueryRow(context.Context, string, ...any) driver.Row {
	c.calls++
	return scanRow{err: c.errs[c.calls-1]}
}

func TestARowBrokenInItsScanIsReadAgain(t *testing.T) {
	closed := fmt.Errorf("query processing: read: %w", net.ErrClosed)
	for _, tc := range []struct {
		name      string
		errs      []error
		wantErr   bool
		wantCalls int
	}{
		{"broken once", []error{closed, nil}, false, 2},
		{"broken twice", []error{closed, closed}, true, 2},
		{"a query error", []error{errors.New("code: 60, unknown table")}, true, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &rowConn{errs: tc.errs}
			var n int
			err := readRetry{c}.QueryRow(context.Background(), "SELECT 1").Scan(&n)
			if (err != nil) != tc.wantErr || c.calls != tc.wantCalls {
				t.Errorf("err %v after %d queries, want error %v after %d", err, c.calls, tc.wantErr, tc.wantCalls)
			}
		})
	}
}
