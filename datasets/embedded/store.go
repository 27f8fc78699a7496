// Package embedded is dsopilot's default store: the ledger kept on local disk
// in a bbolt database (one B+tree bucket per entity, keyed by natural id), so
// that dsopilot runs with no server. bbolt is transactional and crash-safe:
// a Put either lands whole or not at all, and survives restarts.
package embedded

import (
	"cmp"
	"context"
	"errors"
	"fmt"
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

// schemaVersion is bumped when the record layout changes incompatibly.
const schemaVersion = 1

const (
	metaBucket       = "meta"
	schemaVersionKey = "schema_version"
)

// Store is a ledger in a bbolt file.
type Store struct {
	db  *bolt.DB
	log *slog.Logger
}

var _ datasets.Store = (*Store)(nil)

// Open opens (creating if needed) the store in directory dir.
func Open(ctx context.Context, dir string, log *slog.Logger) (*Store, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create store directory: %w", err)
	}
	path := filepath.Join(dir, FileName)
	// A short lock timeout: a second dsopilot on the same directory should
	// fail with a clear message rather than hang.
	db, err := bolt.Open(path, 0o644, &bolt.Options{
		Timeout: 2 * time.Second,
		// Reserve address space (not disk) up front, so that a growing
		// store is rarely re-mapped: each re-map copies every key and value
		// the open write transaction touched out of the old mapping.
		InitialMmapSize: initialMmapSize,
		// The free list's in-memory form only; the file is the same.
		FreelistType: bolt.FreelistMapType,
	})
	if err != nil {
		if errors.Is(err, bolt.ErrTimeout) {
			return nil, fmt.Errorf("open store %s: locked by another dsopilot process", path)
		}
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	s := &Store{db: db, log: log}
	if err := s.init(); err != nil {
		db.Close()
		return nil, err
	}
	log.Debug("embedded store opened", "path", path)
	return s, nil
}

func (s *Store) init() error {
	return s.db.Update(func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucketIfNotExists([]byte(metaBucket))
		if err != nil {
			return fmt.Errorf("create meta bucket: %w", err)
		}
		if v := meta.Get([]byte(schemaVersionKey)); v != nil {
			n, err := strconv.Atoi(string(v))
			if err != nil || n > schemaVersion {
				return fmt.Errorf("%w: store schema version %q, this build reads up to %d", datasets.ErrSchema, v, schemaVersion)
			}
		} else if err := meta.Put([]byte(schemaVersionKey), []byte(strconv.Itoa(schemaVersion))); err != nil {
			return fmt.Errorf("write schema version: %w", err)
		}
		for _, e := range datasets.Entities() {
			if _, err := tx.CreateBucketIfNotExists([]byte(e)); err != nil {
				return fmt.Errorf("create bucket %s: %w", e, err)
			}
		}
		return nil
	})
}

// Close closes the database file.
func (s *Store) Close() error { return s.db.Close() }

// table ties an entity's bucket to its id and codec.
type table[T any] struct {
	entity datasets.Entity
	id     func(*T) string
	enc    func([]byte, *T) []byte
	dec    func([]byte) (T, error)
}

// The tables are built by functions so that no mutable state lives at package level.
func customers() table[datasets.Customer] {
	return table[datasets.Customer]{datasets.EntityCustomers, func(x *datasets.Customer) string { return x.ID }, encodeCustomer, decodeCustomer}
}
func invoices() table[datasets.Invoice] {
	return table[datasets.Invoice]{datasets.EntityInvoices, func(x *datasets.Invoice) string { return x.ID }, encodeInvoice, decodeInvoice}
}
func payments() table[datasets.Payment] {
	return table[datasets.Payment]{datasets.EntityPayments, func(x *datasets.Payment) string { return x.ID }, encodePayment, decodePayment}
}
func creditNotes() table[datasets.CreditNote] {
	return table[datasets.CreditNote]{datasets.EntityCreditNotes, func(x *datasets.CreditNote) string { return x.ID }, encodeCreditNote, decodeCreditNote}
}
func disputes() table[datasets.Dispute] {
	return table[datasets.Dispute]{datasets.EntityDisputes, func(x *datasets.Dispute) string { return x.ID }, encodeDispute, decodeDispute}
}
func actions() table[datasets.Action] {
	return table[datasets.Action]{datasets.EntityActions, func(x *datasets.Action) string { return x.ID }, encodeAction, decodeAction}
}
func promises() table[datasets.Promise] {
	return table[datasets.Promise]{datasets.EntityPromises, func(x *datasets.Promise) string { return x.ID }, encodePromise, decodePromise}
}
func creditDecisions() table[datasets.CreditDecision] {
	return table[datasets.CreditDecision]{datasets.EntityCreditDecisions, func(x *datasets.CreditDecision) string { return x.ID }, encodeCreditDecision, decodeCreditDecision}
}

// put writes items in id order: bbolt inserts far faster into sorted
// positions than at random ones. Keys and values are copied into a; bbolt
// references them until the transaction ends.
func put[T any](tx *bolt.Tx, t table[T], items []T, a *arena) error {
	if len(items) == 0 {
		return nil
	}
	b := tx.Bucket([]byte(t.entity))
	// Exports are usually sorted by id already: sort only when not.
	var order []int
	for i := 1; i < len(items); i++ {
		if t.id(&items[i-1]) > t.id(&items[i]) {
			order = make([]int, len(items))
			for i := range order {
				order[i] = i
			}
			slices.SortStableFunc(order, func(i, j int) int {
				// Equal ids in one batch: the later row wins, as in a later batch.
				return cmp.Or(strings.Compare(t.id(&items[i]), t.id(&items[j])), i-j)
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
	if last, _ := b.Cursor().Last(); last == nil || string(last) < t.id(at(0)) {
		b.FillPercent = 1.0
	}
	var buf []byte
	for k := range items {
		item := at(k)
		id := t.id(item)
		if id == "" {
			return fmt.Errorf("put %s: %w: empty id", t.entity, datasets.ErrInvalid)
		}
		buf = t.enc(buf, item)
		if err := b.Put(a.copyString(id), a.copy(buf)); err != nil {
			return fmt.Errorf("put %s %s: %w", t.entity, id, err)
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

func load[T any](tx *bolt.Tx, t table[T]) ([]T, error) {
	b := tx.Bucket([]byte(t.entity))
	out := make([]T, 0, b.Stats().KeyN)
	err := b.ForEach(func(k, v []byte) error {
		x, err := t.dec(v)
		if err != nil {
			return fmt.Errorf("decode %s %q: %w", t.entity, k, err)
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
	err := s.db.Update(func(tx *bolt.Tx) error {
		var a arena
		return errors.Join(
			put(tx, customers(), batch.Customers, &a),
			put(tx, invoices(), batch.Invoices, &a),
			put(tx, payments(), batch.Payments, &a),
			put(tx, creditNotes(), batch.CreditNotes, &a),
			put(tx, disputes(), batch.Disputes, &a),
			put(tx, actions(), batch.Actions, &a),
			put(tx, promises(), batch.Promises, &a),
			put(tx, creditDecisions(), batch.CreditDecisions, &a),
		)
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
		var errs [8]error
		l.Customers, errs[0] = load(tx, customers())
		l.Invoices, errs[1] = load(tx, invoices())
		l.Payments, errs[2] = load(tx, payments())
		l.CreditNotes, errs[3] = load(tx, creditNotes())
		l.Disputes, errs[4] = load(tx, disputes())
		l.Actions, errs[5] = load(tx, actions())
		l.Promises, errs[6] = load(tx, promises())
		l.CreditDecisions, errs[7] = load(tx, creditDecisions())
		return errors.Join(errs[:]...)
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
		n := func(e datasets.Entity) uint64 { return uint64(tx.Bucket([]byte(e)).Stats().KeyN) }
		c = datasets.Counts{
			Customers: n(datasets.EntityCustomers), Invoices: n(datasets.EntityInvoices),
			Payments: n(datasets.EntityPayments), CreditNotes: n(datasets.EntityCreditNotes),
			Disputes: n(datasets.EntityDisputes), Actions: n(datasets.EntityActions),
			Promises: n(datasets.EntityPromises), CreditDecisions: n(datasets.EntityCreditDecisions),
		}
		return nil
	})
	return c, err
}

// CustomerIDs returns the stored customer ids in order.
func (s *Store) CustomerIDs(ctx context.Context) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var ids []string
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(datasets.EntityCustomers)).ForEach(func(k, _ []byte) error {
			ids = append(ids, string(k))
			return nil
		})
	})
	return ids, err
}
