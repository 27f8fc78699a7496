// Package embedded is dsopilot's default store: the ledger kept on local disk
// in a bbolt database (one B+tree bucket per entity, keyed by natural id), so
// that dsopilot runs with no server. bbolt is transactional and crash-safe:
// a Put either lands whole or not at all, and survives restarts. Open takes
// the file's exclusive lock (one writer); OpenReadOnly a shared one, so that
// readers run side by side, and it refuses a store that does not exist.
// Records are encoded from the datasets schemas (codec.go); a store written
// by an older build is read as it is and upgraded when opened for writing.
package embedded

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/dsopilot/dsopilot/datasets"
)

// initialMmapSize is the address space mapped when a store opens: 1 GiB on
// 64-bit platforms, where it costs nothing until used; bbolt's default on
// others.
const initialMmapSize = (strconv.IntSize / 64) << 30

// FileName is the database file inside the store directory.
const FileName = "ledger.db"

// schemaVersion is bumped when the layout changes: version 2 added the
// financials bucket and records with a field count (codec.go). A store of
// version 1 is upgraded when opened for writing; read-only it is read as it
// is (a missing bucket is empty).
const schemaVersion = 2

const (
	metaBucket       = "meta"
	schemaVersionKey = "schema_version"
)

// Store is a ledger in a bbolt file.
type Store struct {
	db       *bolt.DB
	log      *slog.Logger
	tables   []bucket
	readOnly bool
}

var _ datasets.Store = (*Store)(nil)

// Open opens (creating if needed) the store in directory dir for reading
// and writing. It holds the file's exclusive lock until Close.
func Open(ctx context.Context, dir string, log *slog.Logger) (*Store, error) {
	return open(ctx, dir, log, false)
}

// OpenReadOnly opens the existing store in directory dir for reading. It
// takes a shared lock, so several readers may run at once (and no writer),
// and works on a read-only file. A missing store is an error wrapping
// datasets.ErrNotFound: reading it would show an empty ledger.
func OpenReadOnly(ctx context.Context, dir string, log *slog.Logger) (*Store, error) {
	return open(ctx, dir, log, true)
}

func open(ctx context.Context, dir string, log *slog.Logger, readOnly bool) (*Store, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, FileName)
	if readOnly {
		if _, err := os.Stat(path); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("store %s: %w (no %s there: import into it first, or check --store)", dir, datasets.ErrNotFound, FileName)
			}
			return nil, fmt.Errorf("open store %s: %w", path, err)
		}
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create store directory: %w", err)
	}
	// A short lock timeout: a second dsopilot on the same directory should
	// fail with a clear message rather than hang.
	db, err := bolt.Open(path, 0o644, &bolt.Options{
		Timeout:  2 * time.Second,
		ReadOnly: readOnly,
		// Reserve address space (not disk) up front, so that a growing
		// store is rarely re-mapped: each re-map copies every key and value
		// the open write transaction touched out of the old mapping.
		InitialMmapSize: initialMmapSize,
		// The free list's in-memory form only; the file is the same.
		FreelistType: bolt.FreelistMapType,
	})
	if err != nil {
		if errors.Is(err, bolt.ErrTimeout) {
			// Name the holder when the system tells, and what to do.
			who := ""
			if h := lockHolder(path); h != "" {
				who = " (" + h + ")"
			}
			if readOnly {
				wait := "wait until it is done"
				if isServe(who) {
					// A server holds its store for as long as it runs: a
					// treasurer's kpi or forecast beside it would wait for
					// ever. Say where the same answers are.
					wait = "a server holds its embedded store while it runs: ask it (GET /v1/kpi, /v1/forecast, /v1/worklist, POST /v1/score), " +
						"or stop it; a ClickHouse store is shared by servers and commands alike"
				}
				return nil, fmt.Errorf("open store %s: another dsopilot process is writing to it%s: %s", path, who, wait)
			}
			return nil, fmt.Errorf("open store %s: locked by another dsopilot process%s: an embedded store has one writer at a time; "+
				"stop that process or wait until it is done (several servers share a ClickHouse store, not an embedded one)", path, who)
		}
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	s := &Store{db: db, log: log, tables: buckets(), readOnly: readOnly}
	if readOnly {
		err = db.View(s.checkVersion)
	} else {
		err = s.init()
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	log.Debug("embedded store opened", "path", path, "read_only", readOnly)
	return s, nil
}

// isServe says whether the lock holder's command line (lockHolder's
// "pid N: dsopilot serve ...") is a dsopilot server.
func isServe(holder string) bool {
	f := strings.Fields(holder)
	for i, w := range f {
		if w == "serve" && i > 0 && strings.Contains(f[i-1], "dsopilot") {
			return true
		}
	}
	return false
}

// checkVersion refuses a store written by a newer build.
func (s *Store) checkVersion(tx *bolt.Tx) error {
	_, err := storedVersion(tx)
	return err
}

// storedVersion is the store's schema version, 0 for a new file; a newer
// one than this build's is an error.
func storedVersion(tx *bolt.Tx) (int, error) {
	meta := tx.Bucket([]byte(metaBucket))
	if meta == nil {
		return 0, nil
	}
	v := meta.Get([]byte(schemaVersionKey))
	if v == nil {
		return 0, nil
	}
	n, err := strconv.Atoi(string(v))
	if err != nil || n > schemaVersion {
		return 0, fmt.Errorf("%w: store schema version %q, this build reads up to %d; upgrade dsopilot", datasets.ErrSchema, v, schemaVersion)
	}
	return n, nil
}

func (s *Store) init() error {
	return s.db.Update(func(tx *bolt.Tx) error {
		was, err := storedVersion(tx)
		if err != nil {
			return err
		}
		meta, err := tx.CreateBucketIfNotExists([]byte(metaBucket))
		if err != nil {
			return fmt.Errorf("create meta bucket: %w", err)
		}
		for _, t := range s.tables {
			if _, err := tx.CreateBucketIfNotExists([]byte(t.entity())); err != nil {
				return fmt.Errorf("create bucket %s: %w", t.entity(), err)
			}
		}
		// The credit workflow's buckets (credit.go): new buckets only, which
		// older builds ignore, so the schema version stays.
		for _, name := range creditBuckets {
			if _, err := tx.CreateBucketIfNotExists([]byte(name)); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		if was == schemaVersion {
			return nil
		}
		if was != 0 {
			s.log.Info("embedded store upgraded", "from", was, "to", schemaVersion)
		}
		if err := meta.Put([]byte(schemaVersionKey), []byte(strconv.Itoa(schemaVersion))); err != nil {
			return fmt.Errorf("write schema version: %w", err)
		}
		return nil
	})
}

// Close closes the database file.
func (s *Store) Close() error { return s.db.Close() }

// bucket is the part of an entity's table that Put, Load and Counts need,
// whatever the record type.
type bucket interface {
	entity() datasets.Entity
	put(tx *bolt.Tx, l *datasets.Ledger, a *arena) error
	load(tx *bolt.Tx, l *datasets.Ledger) error
	count(tx *bolt.Tx, c *datasets.Counts)
}

// table ties an entity's bucket to its schema and codec.
type table[T any] struct {
	schema *datasets.Schema[T]
	codec  codec[T]
}

func newTable[T any](s *datasets.Schema[T], v1Fields int) *table[T] {
	return &table[T]{schema: s, codec: newCodec(s, v1Fields)}
}

// buckets lists the entity tables with the number of fields their
// version-1 records hold: every field but those added since (customers'
// collector; actions' policy and propensity; financials came with
// version 2).
func buckets() []bucket {
	return []bucket{
		newTable(datasets.CustomersSchema(), 9),
		newTable(datasets.InvoicesSchema(), 11),
		newTable(datasets.PaymentsSchema(), 6),
		newTable(datasets.CreditNotesSchema(), 7),
		newTable(datasets.DisputesSchema(), 8),
		newTable(datasets.ActionsSchema(), 7),
		newTable(datasets.PromisesSchema(), 7),
		newTable(datasets.CreditDecisionsSchema(), 7),
		newTable(datasets.FinancialsSchema(), 0),
	}
}

func (t *table[T]) entity() datasets.Entity { return t.schema.Entity() }

func (t *table[T]) count(tx *bolt.Tx, c *datasets.Counts) {
	if b := tx.Bucket([]byte(t.entity())); b != nil {
		*t.schema.Count(c) = uint64(b.Stats().KeyN)
	}
}

func (t *table[T]) put(tx *bolt.Tx, l *datasets.Ledger, a *arena) error {
	return put(tx, t, *t.schema.Rows(l), a)
}

func (t *table[T]) load(tx *bolt.Tx, l *datasets.Ledger) error {
	rows, err := load(tx, t)
	*t.schema.Rows(l) = rows
	return err
}

// put writes items in id order: bbolt inserts far faster into sorted
// positions than at random ones. Keys and values are copied into a; bbolt
// references them until the transaction ends.
func put[T any](tx *bolt.Tx, t *table[T], items []T, a *arena) error {
	if len(items) == 0 {
		return nil
	}
	id := t.schema.ID
	b := tx.Bucket([]byte(t.entity()))
	// Exports are usually sorted by id already: sort only when not.
	var order []int
	for i := 1; i < len(items); i++ {
		if id(&items[i-1]) > id(&items[i]) {
			order = make([]int, len(items))
			for i := range order {
				order[i] = i
			}
			slices.SortStableFunc(order, func(i, j int) int {
				// Equal ids in one batch: the later row wins, as in a later batch.
				return cmp.Or(strings.Compare(id(&items[i]), id(&items[j])), i-j)
			})
			break
		}
	}
	at := func(k int) *T {
		if order != nil {
			return &items[order[k]]
		}
		return &items[k]
	}
	// Keys arriving after every stored one (a first import, or the next
	// batch of a sorted export) are appended: fill the pages completely
	// rather than half, since no later insert will land between them.
	if last, _ := b.Cursor().Last(); last == nil || string(last) < id(at(0)) {
		b.FillPercent = 1.0
	}
	var buf []byte
	for k := range items {
		item := at(k)
		key := id(item)
		if key == "" {
			return fmt.Errorf("put %s: %w: empty id", t.entity(), datasets.ErrInvalid)
		}
		buf = t.codec.encode(buf, item)
		if err := b.Put(a.copyString(key), a.copy(buf)); err != nil {
			return fmt.Errorf("put %s %s: %w", t.entity(), key, err)
		}
	}
	return nil
}

// arena hands out copies of keys and values that stay valid until the
// transaction commits, from a few large blocks instead of one allocation
// each.
type arena struct{ block []byte }

const arenaBlock = 1 << 20

func (a *arena) alloc(n int) []byte {
	if cap(a.block)-len(a.block) < n {
		a.block = make([]byte, 0, max(n, arenaBlock))
	}
	start := len(a.block)
	a.block = a.block[:start+n]
	return a.block[start : start+n : start+n]
}

func (a *arena) copy(b []byte) []byte {
	out := a.alloc(len(b))
	copy(out, b)
	return out
}

func (a *arena) copyString(s string) []byte {
	out := a.alloc(len(s))
	copy(out, s)
	return out
}

func load[T any](tx *bolt.Tx, t *table[T]) ([]T, error) {
	b := tx.Bucket([]byte(t.entity()))
	if b == nil {
		return nil, nil // a version-1 store opened read-only
	}
	out := make([]T, 0, b.Stats().KeyN)
	err := b.ForEach(func(k, v []byte) error {
		x, err := t.codec.decode(v)
		if err != nil {
			return fmt.Errorf("decode %s %q: %w", t.entity(), k, err)
		}
		out = append(out, x)
		return nil
	})
	return out, err
}

// Put upserts batch in one transaction.
func (s *Store) Put(ctx context.Context, batch *datasets.Ledger) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.readOnly {
		return fmt.Errorf("embedded put: store opened read-only")
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		var a arena
		for _, t := range s.tables {
			if err := t.put(tx, batch, &a); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("embedded put: %w", err)
	}
	return nil
}

// Load reads the whole ledger in one read transaction, each slice in id order.
func (s *Store) Load(ctx context.Context) (*datasets.Ledger, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	l := &datasets.Ledger{}
	err := s.db.View(func(tx *bolt.Tx) error {
		for _, t := range s.tables {
			if err := t.load(tx, l); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("embedded load: %w", err)
	}
	return l, nil
}

// Counts returns the number of keys in each bucket; keys are natural ids, so
// these are distinct counts.
func (s *Store) Counts(ctx context.Context) (datasets.Counts, error) {
	var c datasets.Counts
	if err := ctx.Err(); err != nil {
		return c, err
	}
	err := s.db.View(func(tx *bolt.Tx) error {
		for _, t := range s.tables {
			t.count(tx, &c)
		}
		return nil
	})
	return c, err
}

// CustomerIDs returns the stored customer ids in order.
func (s *Store) CustomerIDs(ctx context.Context) ([]string, error) {
	ids := []string{}
	err := s.EachID(ctx, datasets.EntityCustomers, func(id string) { ids = append(ids, id) })
	return ids, err
}

// EachID calls fn with the id of every stored record of e, in order.
func (s *Store) EachID(ctx context.Context, e datasets.Entity, fn func(id string)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(e))
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, _ []byte) error {
			fn(string(k))
			return nil
		})
	})
}
