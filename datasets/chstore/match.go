package chstore

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/ext"

	"github.com/dsopilot/dsopilot/datasets"
)

// The invoice match (migrations/0005_invoice_match.sql) is what the SQL
// feature engine reads instead of matching every invoice to its payments,
// dunning actions and promises at each query. Put keeps it current: once a
// batch is written, the match rows of every customer the batch touched are
// rebuilt from the ledger tables (rebuildMatch). Rebuilding a customer
// whole makes the match a function of the stored ledger, whatever the order
// and repetition of the imports: a re-import writes the same rows again
// (with a newer version, which FINAL reads as one), and a later import that
// adds a payment to an old invoice touches its customer, whose rows are
// rebuilt with it.

// matchMigration is the schema version that creates the match: migrating
// to it builds the match of the ledger already stored.
const matchMigration = 5

//go:embed queries/match_rebuild.sql
var matchRebuildSQL string

//go:embed queries/match_touched.sql
var matchTouchedSQL string

// matchSources are the tables the match is built from: a batch without
// any of their records leaves it as it is.
func matchSources(l *datasets.Ledger) bool {
	return len(l.Invoices)+len(l.Payments)+len(l.Actions)+len(l.Promises) > 0
}

// rebuildMatch rebuilds the match rows of the customers whose invoices,
// payments, actions or promises were written with a version of since or
// above, and of those whose rows hold such a record's id (it moved to
// another customer or invoice). On a cluster each shard rebuilds its own
// customers from its local tables at once; the ids written anywhere are
// read through the Distributed tables, so that a record that moved shard
// leaves its old customer's rows too. since 0 rebuilds every customer.
func (s *Store) rebuildMatch(ctx context.Context, since uint64) error {
	start := time.Now()
	version := s.reserveVersions(1)
	args := []any{
		clickhouse.Named("since", since),
		clickhouse.Named("version", version),
		clickhouse.Named("wait", datasets.ActionWait),
	}
	nodes := []*node{s.entry}
	if s.cfg.Cluster != "" {
		nodes = nodes[:0]
		for _, sh := range s.shards {
			nodes = append(nodes, sh.node)
		}
	}
	local, all := s.cfg.LocalDatabase(), s.cfg.Database
	touchedQ := fmt.Sprintf(matchTouchedSQL, local, all)
	q := fmt.Sprintf(matchRebuildSQL, local, all)
	errs := make([]error, len(nodes))
	var wg sync.WaitGroup
	for i, n := range nodes {
		wg.Go(func() {
			err := s.rebuildMatchOn(ctx, n, touchedQ, q, args)
			if err != nil && brokenConnection(err) && ctx.Err() == nil {
				// A pooled connection closed under it; the rebuild writes
				// the same rows with the same version again, harmlessly.
				err = s.rebuildMatchOn(ctx, n, touchedQ, q, args)
			}
			if err != nil {
				errs[i] = s.unreachable(n, fmt.Errorf("rebuild the invoice match%s: %w", s.on(n), err))
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	s.log.Debug("clickhouse invoice match rebuilt", "since", since, "elapsed", time.Since(start))
	return nil
}

// rebuildMatchOn rebuilds the match rows on server n: it asks which
// customers the batch touched there (touchedQ), once, and hands them to
// the rebuild (q) as the external table touched.
func (s *Store) rebuildMatchOn(ctx context.Context, n *node, touchedQ, q string, args []any) error {
	rows, err := n.conn.Query(ctx, touchedQ, args...)
	if err != nil {
		return fmt.Errorf("customers touched: %w", err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return fmt.Errorf("scan a customer touched: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("customers touched: %w", err)
	}
	if len(ids) == 0 {
		return nil
	}
	touched, err := ext.NewTable("touched", ext.Column("customer_id", "String"))
	if err == nil {
		_, err = touched.Block().Columns[0].Append(ids)
	}
	if err != nil {
		return fmt.Errorf("customers touched: %w", err)
	}
	ctx = clickhouse.Context(ctx, clickhouse.WithExternalTable(touched))
	if err := n.conn.Exec(ctx, q, args...); err != nil {
		return fmt.Errorf("rebuild %d customers: %w", len(ids), err)
	}
	return nil
}
