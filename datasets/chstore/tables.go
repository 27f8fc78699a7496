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

	"github.com/ClickHouse/clickhouse-go/v2"

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
	// load reads the table, or with part != nil that part of it.
	load(ctx context.Context, s *Store, l *datasets.Ledger, part *ledgerPart) error
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
	list      string // the columns, comma-separated, version excluded
	selectSQL string
	partSQL   string // selectSQL of one part of the customers (LoadPart)
	// shardKey returns the value of the column the migrations shard the
	// table by.
	shardKey func(*T) string
	versions slicePool[uint64]
	gathered slicePool[T]
}

// slicePool hands out slices of V reused across chunks: the driver copies
// what it is given, so a slice is free again once Append returns, and
// reusing it spares the garbage collector most of a chunk's size.
type slicePool[V any] struct{ pool sync.Pool }

// get returns a slice of n elements (their values left over) and a function
// releasing it, which zeroes it first so that it holds no references.
func (p *slicePool[V]) get(n int) ([]V, func()) {
	sp, _ := p.pool.Get().(*[]V)
	if sp == nil {
		sp = new([]V)
	}
	out := slices.Grow((*sp)[:0], n)[:n]
	*sp = out
	return out, func() {
		clear(out)
		p.pool.Put(sp)
	}
}

// newTable describes the table of schema's entity: named after it, with the
// columns of its fields in store order (the natural id first), sharded on a
// cluster by the field stored in column shardBy.
func newTable[T any](schema *datasets.Schema[T], shardKeys map[string]string) (ledgerTable, error) {
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
	shardBy := shardKeys[name]
	t := &table[T]{
		name:   name,
		schema: schema,
		cols:   cols,
		list:   list,
		// FINAL merges the versions of each id at read time. Ordering by the
		// String id sorts bytewise, which is Go's string order.
		selectSQL: fmt.Sprintf("SELECT %s FROM %s FINAL ORDER BY %s", list, name, cols[0].name),
		partSQL: fmt.Sprintf("SELECT %s FROM %s FINAL WHERE %s ORDER BY %s", list, name,
			partWhere("customer_id"), cols[0].name),
	}
	if name == string(datasets.EntityCreditNotes) {
		// A credit note belongs to the part of its invoice's customer, which
		// may be another customer than the note's (the feature index files
		// notes under their invoice); a note on no known invoice to its own
		// customer's. GLOBAL: on a cluster both tables are Distributed.
		t.partSQL = fmt.Sprintf("SELECT %s FROM %s FINAL GLOBAL ANY LEFT JOIN "+
			"(SELECT invoice_id, customer_id AS part_invoice_customer FROM %s FINAL) USING invoice_id "+
			"WHERE %s ORDER BY %s", list, name, string(datasets.EntityInvoices),
			partWhere("if(part_invoice_customer != '', part_invoice_customer, customer_id)"), cols[0].name)
	}
	for _, f := range schema.StoreOrder() {
		if f.StoreName() == shardBy && f.Kind == datasets.KindText {
			t.shardKey = func(r *T) string { return *f.Text(r) }
		}
	}
	if t.shardKey == nil {
		return nil, fmt.Errorf("table %s: the migrations shard it by %q, which is not one of its text columns", name, shardBy)
	}
	return t, nil
}

func (t *table[T]) tableName() string { return t.name }

// insertSQL inserts into the table in database db.
func (t *table[T]) insertSQL(db string) string {
	return fmt.Sprintf("INSERT INTO %s.%s (%s, %s)", db, t.name, t.list, versionColumn)
}

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

// destination is the part of a Put's rows that goes to one server: the
// rows at idx, or all of them in order when idx is nil.
type destination struct {
	node *node
	idx  []int32
	n    int
}

// destinations splits rows by server: on a single server all go to it; on
// a cluster each goes to the shard of its shard key, as the Distributed
// table would send it, except a row that a later row of its id replaces
// (which may go to another shard, see moves.go).
func (t *table[T]) destinations(s *Store, rows []T) []destination {
	if s.cfg.Cluster == "" || s.throughDistributed {
		return []destination{{node: s.entry, n: len(rows)}}
	}
	latest := t.latest(rows)
	idx := make([][]int32, len(s.shards))
	for i := range rows {
		if !latest[i] {
			continue
		}
		k := s.shardOf(t.shardKey(&rows[i]))
		idx[k] = append(idx[k], int32(i))
	}
	out := make([]destination, 0, len(s.shards))
	for k, sh := range s.shards {
		if len(idx[k]) > 0 {
			out = append(out, destination{node: sh.node, idx: idx[k], n: len(idx[k])})
		}
	}
	return out
}

// chunkJob is one INSERT of a put: rows [start, end) of destination d.
type chunkJob struct {
	d          *destination
	start, end int
}

// put writes the rows in chunks of s.chunkRows, s.inserters INSERTs at a
// time (one per server at least), and returns how many rows the servers
// acknowledged.
// Chunks because one INSERT of a huge block would hold its whole columnar
// copy in memory (and ClickHouse makes a part per block anyway); concurrent
// ones so that the client encodes while the server writes. The versions are
// reserved for all rows first, in slice order, so that a later duplicate of
// an id wins whichever chunk reaches the server first.
//
// On a cluster each row goes straight to its shard's local table, not
// through the Distributed table: an acknowledged row is then on its shard
// (a Distributed INSERT is acknowledged once the server that took it has
// queued the rows on its disk, unless insert_distributed_sync makes it wait
// for every shard), the rows are not decoded and encoded again on the way,
// a failure names the shard and counts what the other shards acknowledged,
// and every shard is written at once from the client.
func (t *table[T]) put(ctx context.Context, s *Store, l *datasets.Ledger) (int, error) {
	rows := *t.schema.Rows(l)
	if len(rows) == 0 {
		return 0, nil
	}
	base := s.reserveVersions(len(rows))
	dests := t.destinations(s, rows)
	// The inserters are shared among the servers, one each at least, and a
	// server's rows, up to its inserters' chunkRows each, are split evenly
	// over them: the client encodes one chunk while a server writes
	// another, and every server's cores work. Chunks stay at least
	// minSplitRows, so small Puts make one part per server. The chunks of
	// the servers are interleaved, so that all of them work at once. (Two
	// inserters per shard of a cluster on one machine were slower than
	// writing through the Distributed table: 151k-245k rows/s against
	// 310k-318k; shared, they are faster.)
	perDest := max(1, s.inserters/len(dests))
	workers := max(s.inserters, len(dests))
	chunks := make([][]chunkJob, len(dests))
	for i := range dests {
		d := &dests[i]
		size := min(s.chunkRows, max((d.n+perDest-1)/perDest, minSplitRows))
		for start := 0; start < d.n; start += size {
			chunks[i] = append(chunks[i], chunkJob{d: d, start: start, end: min(start+size, d.n)})
		}
	}
	var jobs []chunkJob
	for k, added := 0, true; added; k++ {
		added = false
		for _, js := range chunks {
			if k < len(js) {
				jobs, added = append(jobs, js[k]), true
			}
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu    sync.Mutex
		first error // the first failure; the others follow from cancel
		acked int
	)
	// On a cluster, the ids that moved shard are looked for while the
	// batch is written (moves.go).
	var (
		moved    map[int][]string
		moveErr  error
		searched = make(chan struct{})
	)
	if s.cfg.Cluster != "" && !s.throughDistributed {
		go func() {
			defer close(searched)
			moved, moveErr = t.moves(ctx, s, rows, dests)
		}()
	} else {
		close(searched)
	}
	queue := make(chan chunkJob)
	var wg sync.WaitGroup
	for range min(workers, len(jobs)) {
		wg.Go(func() {
			for j := range queue {
				err := t.putJob(ctx, s, rows, base, j)
				mu.Lock()
				if err == nil {
					acked += j.end - j.start
				} else {
					first = cmp.Or(first, err)
					cancel()
				}
				mu.Unlock()
			}
		})
	}
	for _, j := range jobs {
		if ctx.Err() != nil {
			break
		}
		select {
		case queue <- j:
		case <-ctx.Done():
		}
	}
	close(queue)
	wg.Wait()
	if first != nil {
		cancel()
		<-searched
		return acked, first
	}
	<-searched
	if moveErr != nil {
		return acked, moveErr
	}
	if err := ctx.Err(); err != nil {
		return acked, fmt.Errorf("put %s: %w", t.name, err)
	}
	return acked, t.deleteMoved(ctx, s, moved)
}

// putJob gathers the rows of job j and their versions (base + the row's
// index in the batch) and sends them.
func (t *table[T]) putJob(ctx context.Context, s *Store, rows []T, base uint64, j chunkJob) error {
	versions, releaseVersions := t.versions.get(j.end - j.start)
	defer releaseVersions()
	chunk := rows[j.start:j.end]
	if j.d.idx == nil {
		for i := range versions {
			versions[i] = base + uint64(j.start+i)
		}
	} else {
		idx := j.d.idx[j.start:j.end]
		gathered, release := t.gathered.get(len(idx))
		defer release()
		for i, k := range idx {
			gathered[i] = rows[k]
			versions[i] = base + uint64(k)
		}
		chunk = gathered
	}
	return t.putChunk(ctx, s, j.d.node, chunk, versions)
}

// putChunk sends rows to server n as one INSERT, column by column, with
// the given versions. Each attempt has its own deadline (the store's
// timeout), so that a server that stops answering fails the chunk instead
// of hanging the import. Sending the same rows with the same versions again
// changes nothing (FINAL keeps one row per id and version), so a chunk is
// sent again after a broken connection or a timeout.
func (t *table[T]) putChunk(ctx context.Context, s *Store, n *node, rows []T, versions []uint64) error {
	var err error
	timeouts := 0
	for attempt := 1; attempt <= sendAttempts; attempt++ {
		actx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
		err = t.sendChunk(actx, s, n, rows, versions)
		timedOut := actx.Err() == context.DeadlineExceeded || isTimeout(err)
		cancel()
		if err == nil || ctx.Err() != nil {
			return err
		}
		if timedOut {
			timeouts++
			err = fmt.Errorf("no answer%s within %s to an insert of %d rows into %s (raise ?timeout= in the DSN for a slow server): %w",
				s.from(n), s.cfg.Timeout, len(rows), t.name, err)
			if timeouts == timeoutAttempts {
				return s.unreachable(n, err)
			}
		} else if !brokenConnection(err) {
			return err
		}
		s.log.Warn("clickhouse insert failed; sending the chunk again", "server", n.name, "table", t.name, "attempt", attempt, "err", err)
	}
	return s.unreachable(n, err)
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

func (t *table[T]) sendChunk(ctx context.Context, s *Store, n *node, rows []T, versions []uint64) error {
	db := s.cfg.LocalDatabase()
	if s.throughDistributed {
		db = s.cfg.Database
		ctx = clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{"insert_distributed_sync": 1}))
	}
	batch, err := n.conn.PrepareBatch(ctx, t.insertSQL(db))
	if err != nil {
		return fmt.Errorf("prepare %s batch%s: %w", t.name, s.on(n), err)
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
	if err := batch.Column(len(t.cols)).Append(versions); err != nil {
		return fmt.Errorf("append %s.%s: %w", t.name, versionColumn, err)
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("send %s batch%s: %w", t.name, s.on(n), err)
	}
	return nil
}

// ledgerPart is part K of a ledger read in N parts of its customers.
type ledgerPart struct{ k, n int }

// partWhere is the condition that the customer id expr falls in part @part
// of @parts: a hash, so that the parts are about equal in size.
func partWhere(expr string) string {
	return "cityHash64(" + expr + ") % @parts = @part"
}

// load reads the deduplicated table (or one part of it) into its ledger
// slice, sorted by id.
func (t *table[T]) load(ctx context.Context, s *Store, l *datasets.Ledger, part *ledgerPart) error {
	q, args := t.selectSQL, []any(nil)
	if part != nil {
		q, args = t.partSQL, []any{clickhouse.Named("parts", uint64(part.n)), clickhouse.Named("part", uint64(part.k))}
	}
	var out []T
	if err := t.query(ctx, s, q, args, &out); err != nil {
		return err
	}
	*t.schema.Rows(l) = out
	return nil
}

// query appends the rows q (with args) selects from t to out, scanned by
// t's columns; on an error out is as it was, so that a retry reads them
// all again.
func (t *table[T]) query(ctx context.Context, s *Store, q string, args []any, out *[]T) error {
	n := len(*out)
	rows, err := s.entry.conn.Query(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("query %s: %w", t.name, err)
	}
	defer rows.Close()
	dests := make([]any, len(t.cols))
	sets := make([]func(*T), len(t.cols))
	for i, c := range t.cols {
		dests[i], sets[i] = c.scan()
	}
	for rows.Next() {
		if err := rows.Scan(dests...); err != nil {
			*out = (*out)[:n]
			return fmt.Errorf("scan %s: %w", t.name, err)
		}
		var r T
		for _, set := range sets {
			set(&r)
		}
		*out = append(*out, r)
	}
	if err := rows.Err(); err != nil {
		*out = (*out)[:n]
		return fmt.Errorf("read %s: %w", t.name, err)
	}
	return nil
}
