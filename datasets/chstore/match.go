package chstore

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/ext"

	"github.com/dsopilot/dsopilot/datasets"
)

// The invoice match (migrations/0005_invoice_match.sql) is what the SQL
// feature engine reads instead of matching every invoice to its payments,
// dunning actions and promises at each query. It is derived from the
// ledger tables and brought up to them by SyncMatch, which readers call
// before they read it (the feature engine through chsql.MatchSyncer) and
// the import calls once at its end: a Put only notes that it wrote match
// sources, so that an import of several files pays for one rebuild, and
// none when nobody reads features. A sync rebuilds whole the customers
// whose records were written since the match was last built, which makes
// the match a function of the stored ledger whatever the order and
// repetition of the imports: a re-import writes the same rows again (with
// a newer version, which FINAL reads as one), and a later import that adds
// a payment to an old invoice touches its customer, whose rows are rebuilt
// with it.
//
// How far the match is built is kept with it, per server: each sync ends
// by writing the row of customer id "" (an id no ledger record may have,
// datasets.Check refuses it), with no records and, as its version, the
// highest version of any ledger row it has seen. A server whose match
// has a lower version than the newest match-source row of the ledger is
// behind. That holds across processes: a reader in one process syncs what
// an import in another wrote. One race remains, between processes only:
// rows whose version was reserved before a sync began but that reached the
// server after it read; the importing process's own sync, from the first
// version it reserved, covers them, so only an import killed between its
// writes and its sync leaves them out, and importing the files again puts
// them in.

// matchRebuildCustomers is how many customers one rebuild statement
// takes at most: on the 1M-invoice benchmark ledger (about 60 invoices and
// 170 records a customer) 16,384 customers are 2.8M records, which the
// server groups within a few hundred MB.
const matchRebuildCustomers = 16384

// matchMigration is the schema version that creates the match,
// matchCreditsMigration the one that adds the credit notes to it, and
// customerMatchMigration the one that gathers it per customer
// (customer_match): migrating to any builds the match of the ledger
// already stored.
const (
	matchMigration         = 5
	matchCreditsMigration  = 7
	customerMatchMigration = 12
)

// matchFormat names the layout of the match rows this build writes, as
// the mark of a sync records it (match_mark.sql): a match marked in no
// layout or an earlier one (before the credit notes, matchCreditsMigration;
// before customer_match, customerMatchMigration) reads as not built, and
// the next sync rebuilds it whole, even after a migration whose own
// rebuild was interrupted.
const matchFormat = "customers"

//go:embed queries/match_rebuild.sql
var matchRebuildSQL string

//go:embed queries/customer_match_rebuild.sql
var customerMatchRebuildSQL string

//go:embed queries/match_touched.sql
var matchTouchedSQL string

//go:embed queries/match_latest.sql
var matchLatestSQL string

//go:embed queries/match_built.sql
var matchBuiltSQL string

//go:embed queries/match_mark.sql
var matchMarkSQL string

// matchSources are the tables the match is built from: a batch without
// any of their records leaves it as it is.
func matchSources(l *datasets.Ledger) bool {
	return len(l.Invoices)+len(l.Payments)+len(l.Actions)+len(l.Promises)+len(l.CreditNotes) > 0
}

// notePending records that a Put reserved version since for rows the
// match is built from: the next sync rebuilds from there at the latest.
func (s *Store) notePending(since uint64) {
	for {
		p := s.matchPending.Load()
		if p != 0 && p <= since {
			return
		}
		if s.matchPending.CompareAndSwap(p, since) {
			return
		}
	}
}

// SyncMatch brings the invoice match of every server up to the ledger
// tables: it rebuilds the match rows of the customers whose invoices,
// payments, actions or promises were written since the server's match was
// last built (or since the first Put of this process that it has not
// synced yet), and of those whose rows hold such a record's id (it moved
// to another customer or invoice). On a cluster each shard rebuilds its
// own customers from its local tables, side by side; the ids written
// anywhere are read through the Distributed tables, so that a record that
// moved shard leaves its old customer's rows too. A match already current
// costs two small queries. Puts of this Store wait while it runs.
func (s *Store) SyncMatch(ctx context.Context) error {
	if err := s.ensureSchema(ctx); err != nil {
		return err
	}
	return s.syncMatch(ctx)
}

// syncMatch is SyncMatch on a store whose schema is known to be current.
func (s *Store) syncMatch(ctx context.Context) error {
	s.matchMu.Lock()
	defer s.matchMu.Unlock()
	start := time.Now()
	pending := s.matchPending.Load()
	local, all := s.cfg.LocalDatabase(), s.cfg.Database
	var latest uint64
	if err := s.entry.conn.QueryRow(queryContext(ctx), fmt.Sprintf(matchLatestSQL, all)).Scan(&latest); err != nil {
		return s.explain(ctx, fmt.Errorf("clickhouse %s: the ledger's latest version: %w", s.cfg, err))
	}
	version := s.reserveVersions(1)
	nodes := []*node{s.entry}
	if s.cfg.Cluster != "" {
		nodes = nodes[:0]
		for _, sh := range s.shards {
			nodes = append(nodes, sh.node)
		}
	}
	touchedQ := fmt.Sprintf(matchTouchedSQL, local, all)
	rebuildQ := []string{fmt.Sprintf(matchRebuildSQL, local, all), fmt.Sprintf(customerMatchRebuildSQL, local, all)}
	markQ := fmt.Sprintf(matchMarkSQL, local)
	errs := make([]error, len(nodes))
	rebuilt := make([]int, len(nodes))
	var wg sync.WaitGroup
	for i, n := range nodes {
		wg.Go(func() {
			var err error
			rebuilt[i], err = s.syncMatchOn(ctx, n, pending, latest, version, touchedQ, rebuildQ, markQ)
			if err != nil && brokenConnection(err) && ctx.Err() == nil {
				// A pooled connection closed under it; the rebuild writes
				// the rows again with a version of their own: the feature
				// queries take a customer's customer_match row of its
				// highest version without FINAL (features/sql/ledger.sql,
				// latest_customer_rows), so no two of its rows may share
				// one.
				rebuilt[i], err = s.syncMatchOn(ctx, n, pending, latest, s.reserveVersions(1), touchedQ, rebuildQ, markQ)
			}
			if err != nil {
				errs[i] = s.unreachable(n, fmt.Errorf("clickhouse %s: bring the invoice match up to the ledger%s: %w", s.cfg, s.on(n), err))
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	// No Put ran meanwhile (matchMu): what they noted is built.
	s.matchPending.Store(0)
	var n int
	for _, r := range rebuilt {
		n += r
	}
	if n > 0 {
		s.log.Debug("clickhouse invoice match rebuilt", "customers", n, "elapsed", time.Since(start))
	}
	return nil
}

// syncMatchOn brings the match of server n up to version latest of the
// ledger (and to pending, the first version this process wrote unsynced,
// when not 0), writing its rows with version; it returns how many
// customers it rebuilt.
func (s *Store) syncMatchOn(ctx context.Context, n *node, pending, latest, version uint64, touchedQ string, rebuildQ []string, markQ string) (int, error) {
	var built uint64
	if err := n.conn.QueryRow(ctx, fmt.Sprintf(matchBuiltSQL, s.cfg.LocalDatabase()), clickhouse.Named("format", matchFormat)).Scan(&built); err != nil {
		return 0, fmt.Errorf("how far the match is built: %w", err)
	}
	if pending == 0 && latest <= built {
		return 0, nil
	}
	since := built + 1
	if pending != 0 {
		since = min(since, pending)
	}
	args := []any{
		clickhouse.Named("since", since),
		clickhouse.Named("version", version),
		clickhouse.Named("wait", datasets.ActionWait),
		clickhouse.Named("write_off", datasets.KindWriteOff),
	}
	count, err := s.rebuildMatchOn(ctx, n, touchedQ, rebuildQ, args)
	if err != nil {
		return count, err
	}
	if err := n.conn.Exec(ctx, markQ, clickhouse.Named("mark", max(version, latest)), clickhouse.Named("format", matchFormat)); err != nil {
		return count, fmt.Errorf("record how far the match is built: %w", err)
	}
	return count, nil
}

// rebuildMatchOn rebuilds the match rows on server n: it asks which
// customers the batch touched there (touchedQ), once, and hands them to
// each rebuild statement of qs in turn (the invoice match's rows, then
// the customer rows gathered from them) as the external table touched.
func (s *Store) rebuildMatchOn(ctx context.Context, n *node, touchedQ string, qs []string, args []any) (int, error) {
	rows, err := n.conn.Query(ctx, touchedQ, args...)
	if err != nil {
		return 0, fmt.Errorf("customers touched: %w", err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, fmt.Errorf("scan a customer touched: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("customers touched: %w", err)
	}
	if len(ids) == 0 {
		return 0, nil
	}
	// In runs of neighbouring customers: one GROUP BY over a whole large
	// ledger's records outgrows the server's memory limit for a query (10M
	// invoices needed 9.3 GiB), and the tables are ordered by customer_id,
	// so a run of sorted ids reads only its own granules.
	slices.Sort(ids)
	for chunk := range slices.Chunk(ids, s.matchChunk) {
		for _, q := range qs {
			touched, err := ext.NewTable("touched", ext.Column("customer_id", "String"))
			if err == nil {
				_, err = touched.Block().Columns[0].Append(chunk)
			}
			if err != nil {
				return 0, fmt.Errorf("customers touched: %w", err)
			}
			// join_use_nulls 0: a row without credit notes gets empty
			// arrays (match_rebuild.sql), whatever the user's profile says.
			cctx := clickhouse.Context(ctx, clickhouse.WithExternalTable(touched),
				clickhouse.WithSettings(clickhouse.Settings{"join_use_nulls": 0}))
			if err := n.conn.Exec(cctx, q, args...); err != nil {
				return 0, fmt.Errorf("rebuild customers %s … %s (%d of %d): %w", chunk[0], chunk[len(chunk)-1], len(chunk), len(ids), err)
			}
		}
	}
	return len(ids), nil
}
