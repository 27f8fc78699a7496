package chstore

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"testing"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/dsopilot/dsopilot/datasets"
)

// streamConn answers every query with the next of its scripted streams: a
// stream hands out ids, then ends with its error (nil: a clean end).
type streamConn struct {
	driver.Conn
	streams []fakeStream
	queries int
}

type fakeStream struct {
	ids []string
	err error
}

func (c *streamConn) Query(ctx context.Context, q string, args ...any) (driver.Rows, error) {
	if c.queries >= len(c.streams) {
		return nil, fmt.Errorf("unexpected query %d", c.queries+1)
	}
	s := c.streams[c.queries]
	c.queries++
	return &fakeRows{s: s, i: -1}, nil
}

type fakeRows struct {
	driver.Rows
	s fakeStream
	i int
}

func (r *fakeRows) Next() bool { r.i++; return r.i < len(r.s.ids) }
func (r *fakeRows) Scan(dest ...any) error {
	*(dest[0].(*string)) = r.s.ids[r.i]
	return nil
}
func (r *fakeRows) Err() error   { return r.s.err }
func (r *fakeRows) Close() error { return nil }

// TestEachIDReadsAgainWhenTheStreamBreaks is the CI flake of 2026-12-02: a
// pooled connection closed while the import streamed the stored invoice
// ids ("use of closed network connection") failed the whole import. A
// broken stream is read again once; a query error or a second break is
// returned.
func TestEachIDReadsAgainWhenTheStreamBreaks(t *testing.T) {
	closed := &net.OpError{Op: "read", Net: "tcp", Err: net.ErrClosed}
	cases := []struct {
		name    string
		streams []fakeStream
		wantErr bool
		want    []string
		queries int
	}{
		{"clean read", []fakeStream{{ids: []string{"a", "b"}}}, false, []string{"a", "b"}, 1},
		{"broken once, read again", []fakeStream{{ids: []string{"a"}, err: closed}, {ids: []string{"a", "b", "c"}}}, false, []string{"a", "b", "c"}, 2},
		{"broken twice", []fakeStream{{ids: []string{"a"}, err: closed}, {ids: []string{"a"}, err: closed}}, true, nil, 2},
		{"not a connection error", []fakeStream{{ids: []string{"a"}, err: fmt.Errorf("code: 241, memory limit exceeded")}}, true, nil, 1},
	}
	all, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	tables, err := ledgerTables(shardKeys(all))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			conn := &streamConn{streams: tc.streams}
			s := &Store{entry: &node{name: "fake", conn: conn}, log: slog.New(slog.DiscardHandler), tables: tables}
			s.schemaOK.Store(true)
			seen := map[string]bool{}
			err := s.EachID(context.Background(), datasets.EntityInvoices, func(id string) { seen[id] = true })
			if conn.queries != tc.queries {
				t.Errorf("queries = %d, want %d", conn.queries, tc.queries)
			}
			if tc.wantErr {
				if err == nil {
					t.Fatal("want an error, got none")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for id := range seen {
				got = append(got, id)
			}
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Errorf("ids = %v, want %v", got, tc.want)
			}
		})
	}
}
