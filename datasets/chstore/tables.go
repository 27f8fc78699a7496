package chstore

import (
	"cmp"
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"sync"
	"syscall"

	"github.com/dsopilot/dsopilot/datasets"
)

// minSplitRows is the smallest chunk put splits a batch into.
const minSplitRows = 8192

// versionColumn is the ReplacingMergeTree version every table ends with. It is
// written by Put and never read back.
const versionColumn = "version"

// ledgerTable is the part of an entity table that Put, Load and Counts need,
// independent of the record type.
type ledgerTable interface {
	tableName() string
	check(l *datasets.Ledger) error
	put(ctx context.Context, s *Store, l *datasets.Ledger) error
	load(ctx context.Context, s *Store, l *datasets.Ledger) error
	counter(c *datasets.Counts) *uint64
	columnTypes() [][2]string // name and type, version included
}

// table maps one record type to its table. cols[0] is the natural id, which
// is also the table's ORDER BY key.
type table[T any] struct {
	name      string
	schema    *datasets.Schema[T]
	cols      []column[T]
	insertSQL string
	selectSQL string
	versions  func(n int, first uint64) ([]uint64, func())
}

// versionSequence returns a function giving the n versions first, first+1,
// ... in a slice reused across chunks, and a function releasing it.
func versionSequence() func(n int, first uint64) ([]uint64, func()) {
	var pool sync.Pool
	return func(n int, first uint64) ([]uint64, func()) {
		p, _ := pool.Get().(*[]uint64)
		if p == nil {
			p = new([]uint64)
		}
		out := slices.Grow((*p)[:0], n)[:n]
		for i := range out {
			out[i] = first + uint64(i)
		}
		*p = out
		return out, func() { pool.Put(p) }
	}
}

// newTable describes the table of schema's entity: named after it, with the
// columns of its fields in store order (the natural id first).
func newTable[T any](schema *datasets.Schema[T]) *table[T] {
	var cols []column[T]
	for _, f := range schema.StoreOrder() {
		cols = append(cols, columnsOf(f)...)
	}
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.name
	}
	list := strings.Join(names, ", ")
	name := string(schema.Entity())
	return &table[T]{
		name:      name,
		schema:    schema,
		cols:      cols,
		versions:  versionSequence(),
		insertSQL: fmt.Sprintf("INSERT INTO %s (%s, %s)", name, list, versionColumn),
		// FINAL merges the versions of each id at read time. Ordering by the
		// String id sorts bytewise, which is Go's string order.
		selectSQL: fmt.Sprintf("SELECT %s FROM %s FINAL ORDER BY %s", list, name, cols[0].name),
	}
}

func (t *table[T]) tableName() string                  { return t.name }
func (t *table[T]) counter(c *datasets.Counts) *uint64 { return t.schema.Count(c) }

func (t *table[T]) columnTypes() [][2]string {
	out := make([][2]string, 0, len(t.cols)+1)
	for _, c := range t.cols {
		out = append(out, [2]string{c.name, c.chType})
	}
	return append(out, [2]string{versionColumn, "UInt64"})
}

// check validates every row before anything is written, so that an invalid
// record fails the whole Put instead of leaving half of it stored.
func (t *table[T]) check(l *datasets.Ledger) error {
	rows := *t.schema.Rows(l)
	for _, c := range t.cols {
		if c.check == nil {
			continue
		}
		for i := range rows {
			if err := c.check(&rows[i]); err != nil {
				return fmt.Errorf("%s %q: %w: %v", t.name, t.schema.ID(&rows[i]), datasets.ErrInvalid, err)
			}
		}
	}
	return nil
}

// put writes the rows in chunks of s.chunkRows, s.inserters INSERTs at a
// time. Chunks because one INSERT of a huge block would hold its whole
// columnar copy in memory (and ClickHouse makes a part per block anyway);
// concurrent ones so that the client encodes while the server writes. The
// versions are reserved for all rows first, in slice order, so that a later
// duplicate of an id wins whichever chunk reaches the server first.
func (t *table[T]) put(ctx context.Context, s *Store, l *datasets.Ledger) error {
	rows := *t.schema.Rows(l)
	if len(rows) == 0 {
		return nil
	}
	base := s.reserveVersions(len(rows))
	// A batch of up to inserters*chunkRows rows is split evenly over the
	// inserters, so that they all work on it: the client encodes one chunk
	// while the server writes another, and the server's two cores both
	// work. Chunks stay at least minSplitRows, so small Puts make one part.
	size := min(s.chunkRows, max((len(rows)+s.inserters-1)/s.inserters, minSplitRows))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu    sync.Mutex
		first error // the first failure; the others follow from cancel
	)
	starts := make(chan int)
	var wg sync.WaitGroup
	for range min(s.inserters, (len(rows)+size-1)/size) {
		wg.Go(func() {
			for start := range starts {
				chunk := rows[start:min(start+size, len(rows))]
				if err := t.putChunk(ctx, s, chunk, base+uint64(start)); err != nil {
					mu.Lock()
					first = cmp.Or(first, err)
					mu.Unlock()
					cancel()
				}
			}
		})
	}
	for start := 0; start < len(rows) && ctx.Err() == nil; start += size {
		select {
		case starts <- start:
		case <-ctx.Done():
		}
	}
	close(starts)
	wg.Wait()
	if first != nil {
		return first
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("put %s: %w", t.name, err)
	}
	return nil
}

// putChunk sends rows as one INSERT, column by column, with the versions
// firstVersion, firstVersion+1, ...
func (t *table[T]) putChunk(ctx context.Context, s *Store, rows []T, firstVersion uint64) error {
	// The driver's pool can hand out a connection the server has already
	// closed (seen with 18.16 after DDL). Sending the same rows with the same
	// versions again changes nothing, so a broken connection is retried.
	var err error
	for attempt := 1; attempt <= sendAttempts; attempt++ {
		err = t.sendChunk(ctx, s, rows, firstVersion)
		if err == nil || !brokenConnection(err) || ctx.Err() != nil {
			return err
		}
		s.log.Warn("clickhouse connection broken; sending the chunk again", "table", t.name, "attempt", attempt, "err", err)
	}
	return err
}

// sendAttempts bounds the retries of a chunk on a broken connection.
const sendAttempts = 3

// brokenConnection reports whether err means the connection, not the data,
// failed.
func brokenConnection(err error) bool {
	if errors.Is(err, net.ErrClosed) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, driver.ErrBadConn) {
		return true
	}
	return strings.Contains(err.Error(), "use of closed network connection")
}

func (t *table[T]) sendChunk(ctx context.Context, s *Store, rows []T, firstVersion uint64) error {
	batch, err := s.conn.PrepareBatch(ctx, t.insertSQL)
	if err != nil {
		return fmt.Errorf("prepare %s batch: %w", t.name, err)
	}
	defer batch.Close()
	for i, c := range t.cols {
		v, release := c.values(rows)
		err := batch.Column(i).Append(v)
		release()
		if err != nil {
			return fmt.Errorf("append %s.%s: %w", t.name, c.name, err)
		}
	}
	versions, release := t.versions(len(rows), firstVersion)
	err = batch.Column(len(t.cols)).Append(versions)
	release()
	if err != nil {
		return fmt.Errorf("append %s.%s: %w", t.name, versionColumn, err)
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("send %s batch: %w", t.name, err)
	}
	return nil
}

// load reads the deduplicated table into its ledger slice, sorted by id.
func (t *table[T]) load(ctx context.Context, s *Store, l *datasets.Ledger) error {
	rows, err := s.conn.Query(ctx, t.selectSQL)
	if err != nil {
		return fmt.Errorf("query %s: %w", t.name, err)
	}
	defer rows.Close()
	dests := make([]any, len(t.cols))
	sets := make([]func(*T), len(t.cols))
	for i, c := range t.cols {
		dests[i], sets[i] = c.scan()
	}
	var out []T
	for rows.Next() {
		if err := rows.Scan(dests...); err != nil {
			return fmt.Errorf("scan %s: %w", t.name, err)
		}
		var r T
		for _, set := range sets {
			set(&r)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read %s: %w", t.name, err)
	}
	*t.schema.Rows(l) = out
	return nil
}
