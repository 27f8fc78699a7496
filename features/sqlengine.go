package features

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/chstore/chsql"
)

// SQLEngine computes the same features as Engine, as ClickHouse SQL over the
// ledger tables of a chstore database, so that a large ledger never leaves
// the database. Tests hold the two engines equal value for value.
//
// The queries run on ClickHouse 18.16 and on current releases: no window
// functions, one JOIN per SELECT, ANY LEFT JOIN with join_use_nulls = 0 (a
// customer missing from a summary reads as zeros, so every mean, ratio and
// quantile is guarded by its count and is nan over nothing).
//
// The engine runs its queries through a chsql.Querier, which the store
// owns: this package does not link the ClickHouse driver.
type SQLEngine struct {
	q                   chsql.Querier
	opts                Options
	custNames, invNames []string
	data                sqlData // the template data (one part), for stageSQL
	// err is set when the options cannot be expressed in SQL.
	err error

	// queries are the rendered queries, in one part; the whole-ledger ones
	// run as shards' queries once the server has said how many threads a
	// query may use (split).
	mu      sync.Mutex
	queries sqlQueries
	split   bool
	// parts, when above 0, is the number of parts instead of the server's
	// max_threads (tests split a small ledger in many parts).
	parts int
	// shards run the whole-ledger queries, each over its own customers
	// (set with split; one, the engine's Querier, on a single server).
	shards []shardQueries
}

// shardQueries are the whole-ledger queries rendered for one shard's
// tables, and the Querier that runs them there.
type shardQueries struct {
	q chsql.Querier
	// qs are the whole-ledger queries of each of the shard's slices of
	// the customers, run side by side (queryData): together they cover
	// its customers once.
	qs []sqlQueries
	// parts is the number of parts of the summary, whose bounds
	// (partBounds) are asked of the shard with each query.
	parts int
}

// sqlQueries are the rendered feature queries, by level and whether the
// ids filter is on.
type sqlQueries struct {
	customers, customersByID       string
	openInvoices, openInvoicesByID string
	// openInvoicesNoSale is openInvoices for a match without sale fields
	// (sqlData.NoSale).
	openInvoicesNoSale string
}

// maxParts bounds the parts of the per-customer summary: the server runs
// no more at once than its threads, and each part costs a SELECT to
// analyse and a boundary granule of the match to read.
const maxParts = 16

// maxQueries bounds how many queries a whole-ledger query runs as on one
// server, side by side (queryData): few enough to leave the store's pool
// of connections (10 per server by default) room for others.
const maxQueries = 4

// NewSQLEngine returns an engine that reads the ledger tables in
// q.Database() (the connection's default database when empty) through q.
// Options are those of NewEngine; the SQL engine also needs the windows to
// be positive and distinct, since each becomes a set of columns named after
// it, and reports otherwise from every query.
func NewSQLEngine(q chsql.Querier, o Options) *SQLEngine {
	e := &SQLEngine{q: q, opts: o.WithDefaults()}
	e.custNames = specNames(CustomerSpecs(e.opts))
	e.invNames = specNames(InvoiceSpecs(e.opts))
	e.err = e.render(q.Database())
	return e
}

// Options returns the engine's options with defaults filled.
func (e *SQLEngine) Options() Options { return e.opts }

// splitQueries renders the whole-ledger queries for every shard, in as
// many parts as the server runs threads for one query (max_threads, at
// most maxParts), asking it once. The queries by id stay in one part, run
// by the engine's Querier (on a cluster, through the Distributed tables).
func (e *SQLEngine) splitQueries(ctx context.Context) (sqlQueries, []shardQueries, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.split {
		return e.queries, e.shards, nil
	}
	d := e.data
	d.Parts = e.parts
	if d.Parts <= 0 {
		var v string
		if err := e.q.QueryRow(ctx, "SELECT value FROM system.settings WHERE name = 'max_threads'").Scan(&v); err != nil {
			return sqlQueries{}, nil, fmt.Errorf("ask the server for max_threads: %w", err)
		}
		d.Parts = min(serverThreads(v), maxParts)
	}
	var shards []shardQueries
	for _, q := range e.q.Shards() {
		dd := d
		dd.AllDB = e.data.AllDB
		if dd.DB = ""; q.Database() != "" {
			dd.DB = quoteIdentifier(q.Database()) + "."
		}
		sh := shardQueries{q: q, parts: d.Parts}
		for _, qd := range dd.queryData() {
			qs, err := renderQueries(qd)
			if err != nil {
				return sqlQueries{}, nil, err
			}
			sh.qs = append(sh.qs, qs)
		}
		shards = append(shards, sh)
	}
	e.shards, e.split = shards, true
	return e.queries, shards, nil
}

// serverThreads reads the value of the max_threads setting: a number, or
// on current releases 'auto(N)'; 1 when it says neither.
func serverThreads(v string) int {
	v = strings.TrimSuffix(strings.TrimPrefix(strings.Trim(v, "'"), "auto("), ")")
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 1
	}
	return n
}

// Customers returns the features of every customer known at t, as
// Engine.Customers does: customers by id, or in the order of ids (repeats
// included, unknown ids left out) when ids are given.
func (e *SQLEngine) Customers(ctx context.Context, t datasets.Date, ids ...string) (*Table, error) {
	tab := &Table{Level: "customer", AsOf: t, Specs: CustomerSpecs(e.opts)}
	if e.err != nil {
		return nil, e.err
	}
	d, err := e.disputeBasis(ctx)
	if err != nil {
		return nil, fmt.Errorf("customer features as of %s: %w", t, err)
	}
	if err := e.query(ctx, tab, func(q sqlQueries) string {
		if len(ids) > 0 {
			return q.customersByID
		}
		return q.customers
	}, readFeatures, len(ids) > 0, e.params(t, ids, d)); err != nil {
		return nil, fmt.Errorf("customer features as of %s: %w", t, err)
	}
	if len(ids) == 0 {
		// By id, as String's order in ClickHouse (bytes): sorted here,
		// not by the server (see sortOpenInvoices).
		slices.SortFunc(tab.Rows, func(a, b Row) int { return strings.Compare(a.CustomerID, b.CustomerID) })
	}
	return tab, nil
}

// OpenInvoices returns the features of every invoice open at the end of day
// t, as Engine.OpenInvoices does: ordered by customer (or by ids), issue
// date and invoice id.
func (e *SQLEngine) OpenInvoices(ctx context.Context, t datasets.Date, ids ...string) (*Table, error) {
	tab := &Table{Level: "invoice", AsOf: t, Specs: InvoiceSpecs(e.opts)}
	if e.err != nil {
		return nil, e.err
	}
	d, err := e.disputeBasis(ctx)
	if err != nil {
		return nil, fmt.Errorf("open invoice features as of %s: %w", t, err)
	}
	noSale := false
	if len(ids) == 0 {
		if noSale, err = e.saleFieldsEmpty(ctx); err != nil {
			return nil, fmt.Errorf("open invoice features as of %s: %w", t, err)
		}
	}
	if err := e.query(ctx, tab, func(q sqlQueries) string {
		switch {
		case len(ids) > 0:
			return q.openInvoicesByID
		case noSale:
			return q.openInvoicesNoSale
		}
		return q.openInvoices
	}, e.readOpenInvoices, len(ids) > 0, e.params(t, ids, d)); err != nil {
		return nil, fmt.Errorf("open invoice features as of %s: %w", t, err)
	}
	if len(ids) == 0 {
		if err := sortOpenInvoices(tab); err != nil {
			return nil, fmt.Errorf("open invoice features as of %s: %w", t, err)
		}
	}
	return tab, nil
}

// query runs the query pick chooses and reads its rows into tab with
// read (readFeatures, or readOpenInvoices at invoice level).
//
// A query by id runs through the engine's Querier. A whole-ledger query
// runs on every shard at once, over the shard's own tables: a customer's
// features need only its own records, which live on one shard (with the
// credit notes on their invoices, which chstore's match carries from the
// whole ledger), so only the features
// cross the network, not the ledger's rows; the shard is first asked where
// its parts of the customers begin (partBounds), then runs the queries of
// its slices of them side by side (queryData). The rows come in shard and
// slice order; the callers sort them.
func (e *SQLEngine) query(ctx context.Context, tab *Table, pick func(sqlQueries) string, read featureReader, byID bool, args []any) error {
	if e.err != nil {
		return e.err
	}
	qs, shards, err := e.splitQueries(ctx)
	if err != nil {
		return err
	}
	ctx = withFeatureSettings(ctx)
	if err := syncMatch(ctx, e.q); err != nil {
		return err
	}
	if byID {
		tab.Rows, err = read(ctx, e.q, pick(qs), args, tab)
		return err
	}
	rows := make([][][]Row, len(shards))
	errs := make([]error, len(shards))
	var wg sync.WaitGroup
	for i, sh := range shards {
		wg.Go(func() {
			rows[i], errs[i] = readShard(ctx, sh, pick, read, args, tab)
		})
	}
	wg.Wait()
	var all [][]Row
	n := 0
	for i := range shards {
		if errs[i] != nil {
			if len(shards) == 1 {
				return errs[i]
			}
			return fmt.Errorf("shard %d: %w", i+1, errs[i])
		}
		for _, r := range rows[i] {
			n += len(r)
			all = append(all, r)
		}
	}
	if len(all) == 1 {
		// One query: its rows as they are, not copied (175k open
		// invoices on the 1M-invoice benchmark ledger).
		tab.Rows = all[0]
		return nil
	}
	tab.Rows = make([]Row, 0, n)
	for _, r := range all {
		tab.Rows = append(tab.Rows, r...)
	}
	return nil
}

// readShard runs a whole-ledger query on one shard: it asks where the
// shard's parts of the customers begin (partBounds), then runs the
// queries of its slices side by side and returns each one's rows.
func readShard(ctx context.Context, sh shardQueries, pick func(sqlQueries) string, read featureReader, args []any, tab *Table) ([][]Row, error) {
	bounds, err := partBounds(ctx, sh.q, sh.parts)
	if err != nil {
		return nil, err
	}
	args = append(slices.Clip(args), bounds...)
	// The first failure stops the other queries, and is the one told: a
	// shard that is down fails them all alike.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	rows := make([][]Row, len(sh.qs))
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	for j, qs := range sh.qs {
		wg.Go(func() {
			var err error
			if rows[j], err = read(ctx, sh.q, pick(qs), args, tab); err != nil {
				once.Do(func() { first = err; cancel() })
			}
		})
	}
	wg.Wait()
	return rows, first
}

// featureReader runs a feature query text on q and returns its rows, read
// as tab's (tab is only read: shards read at once).
type featureReader func(ctx context.Context, q chsql.Querier, text string, args []any, tab *Table) ([]Row, error)

// readFeatures is the featureReader of one row per result row. The columns
// must be customer_id, invoice_id at invoice level, then one per spec,
// named after it: Float64 for numeric features (nan is a missing value),
// String for categorical ones.
func readFeatures(ctx context.Context, q chsql.Querier, text string, args []any, tab *Table) ([]Row, error) {
	rows, err := q.Query(ctx, text, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	want := tab.Header()
	if got := rows.Columns(); !slices.Equal(got, want) {
		return nil, fmt.Errorf("query returned columns %v, want %v", got, want)
	}
	nums, cats := split(tab.Specs)
	var r Row
	dest := make([]any, 0, len(want))
	dest = append(dest, &r.CustomerID)
	if tab.Level == "invoice" {
		dest = append(dest, &r.InvoiceID)
	}
	num := make([]float64, len(nums))
	cat := make([]string, len(cats))
	ni, ci := 0, 0
	for _, s := range tab.Specs {
		if s.Kind == Numeric {
			dest = append(dest, &num[ni])
			ni++
		} else {
			dest = append(dest, &cat[ci])
			ci++
		}
	}
	var out []Row
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("scan features: %w", err)
		}
		out = append(out, Row{CustomerID: r.CustomerID, InvoiceID: r.InvoiceID, AsOf: tab.AsOf,
			Num: slices.Clone(num), Cat: slices.Clone(cat)})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read features: %w", err)
	}
	return out, nil
}

// withFeatureSettings sets what the feature queries need of the server.
//
// join_use_nulls = 0: the queries rely on unmatched LEFT JOIN rows reading
// as defaults.
//
// group_by_two_level_threshold(_bytes) = 0: every GROUP BY stays
// single-level. A two-level GROUP BY, which the per-customer arrays
// trigger by their bytes, hands on its result in 256 blocks of a few
// hundred customers each, and every join and projection above it then
// runs once per small block: on the 1M-invoice benchmark ledger the
// customer query took 3.4–3.6 s that way and 2.2 s single-level, the
// projection over the summaries alone costing 1.2 s of the difference
// (0.09 s over the same summaries in one block). The two-level form exists
// to merge the threads' hash tables in parallel; the feature queries'
// GROUP BYs are by customer, at most a few hundred thousand keys per
// server even at 10M invoices, which one thread merges quickly.
//
// max_query_size: the query in maxParts parts is longer than the default.
func withFeatureSettings(ctx context.Context) context.Context {
	return chsql.WithSettings(ctx, chsql.Settings{
		"join_use_nulls":                     0,
		"group_by_two_level_threshold":       0,
		"group_by_two_level_threshold_bytes": 0,
		// The text of a whole-ledger query grows with its parts (about
		// 16 kB each), past the default 256 kB from 15 parts on.
		"max_query_size": 4 << 20,
	})
}

// syncMatch brings the invoice match the feature queries read up to the
// ledger tables when q keeps one that can lag them (chsql.MatchSyncer);
// a no-op otherwise.
func syncMatch(ctx context.Context, q chsql.Querier) error {
	if s, ok := q.(chsql.MatchSyncer); ok {
		if err := s.SyncMatch(ctx); err != nil {
			return fmt.Errorf("sync the invoice match: %w", err)
		}
	}
	return nil
}

func b2i(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}
