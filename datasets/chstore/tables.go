package chstore

import (
	"cmp"
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
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
	// put returns the number of rows the server acknowledged.
	put(ctx context.Context, s *Store, l *datasets.Ledger) (int, error)
	load(ctx context.Context, s *Store, l *datasets.Ledger) error
	counter(c *datasets.Counts) *uint64
	columnTypes() [][2]string // name and type, version included
	idsSQL() string
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

func (t *table[T]) tableName() string { return t.name }

// idsSQL selects the table's distinct ids.
func (t *table[T]) idsSQL() string {
	return fmt.Sprintf("SELECT %s FROM %s FINAL", t.cols[0].name, t.name)
}

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
// time, and returns how many rows the server acknowledged. Chunks because
// one INSERT of a huge block would hold its whole columnar copy in memory
// (and ClickHouse makes a part per block anyway); concurrent ones so that the
// client encodes while the server writes. The versions are reserved for all
// rows first, in slice order, so that a later duplicate of an id wins
// whichever chunk reaches the server first.
func (t *table[T]) put(ctx context.Context, s *Store, l *datasets.Ledger) (int, error) {
	rows := *t.schema.Rows(l)
	if len(rows) == 0 {
		return 0, nil
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
		acked int
	)
	starts := make(chan int)
	var wg sync.WaitGroup
	for range min(s.inserters, (len(rows)+size-1)/size) {
		wg.Go(func() {
			for start := range starts {
				chunk := rows[start:min(start+size, len(rows))]
				err := t.putChunk(ctx, s, chunk, base+uint64(start))
				mu.Lock()
				if err == nil {
					acked += len(chunk)
				} else {
					first = cmp.Or(first, err)
					cancel()
				}
				mu.Unlock()
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
		return acked, first
	}
	if err := ctx.Err(); err != nil {
		return acked, fmt.Errorf("put %s: %w", t.name, err)
	}
	return acked, nil
}

// putChunk sends rows as one INSERT, column by column, with the versions
// firstVersion, firstVersion+1, ... Each attempt has its own deadline
// (the store's timeout), so that a server that stops answering fails the
// chunk instead of hanging the import. Sending the same rows with the same
// versions again changes nothing (FINAL keeps one row per id and version),
// so a chunk is sent again after a broken connection or a timeout.
func (t *table[T]) putChunk(ctx context.Context, s *Store, rows []T, firstVersion uint64) error {
	var err error
	timeouts := 0
	for attempt := 1; attempt <= sendAttempts; attempt++ {
		actx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
		err = t.sendChunk(actx, s, rows, firstVersion)
		timedOut := actx.Err() == context.DeadlineExceeded || isTimeout(err)
		cancel()
		if err == nil || ctx.Err() != nil {
			return err
		}
		if timedOut {
			timeouts++
			err = fmt.Errorf("no answer within %s to an insert of %d rows into %s (raise ?timeout= in the DSN for a slow server): %w",
				s.cfg.Timeout, len(rows), t.name, err)
			if timeouts == timeoutAttempts {
				return err
			}
		} else if !brokenConnection(err) {
			return err
		}
		s.log.Warn("clickhouse insert failed; sending the chunk again", "server", s.cfg.String(), "table", t.name, "attempt", attempt, "err", err)
	}
	return err
}

// sendAttempts bounds the sends of a chunk after broken connections, and
// timeoutAttempts those that time out: a server that did not answer twice
// is reported rather than waited for.
const (
	sendAttempts    = 3
	timeoutAttempts = 2
)

// isTimeout reports whether err is a read or write that hit its deadline.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
}

// brokenConnection reports whether err means the connection, not the data,
// failed.
func brokenConnection(err error) bool {
	if errors.Is(err, net.ErrClosed) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, driver.ErrBadConn) {
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
