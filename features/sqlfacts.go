package features

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/chstore/chsql"
)

// disputeBasis says how open_invoices.sql reads disputes: whether the
// ledger has dispute records and, when it has none, from which date the
// invoices' undated disputed flag is known (as Index.DisputeFlags); and
// whether it has payment records, without which no settlement implies a
// write-off (LedgerFacts.PaymentsKnown).
type disputeBasis struct {
	has      bool
	from     datasets.Date
	payments bool
}

// disputeBasis asks the database what Index.DisputeFlags computes in Go.
// The latest date is only looked up when the flag is needed.
func (e *SQLEngine) disputeBasis(ctx context.Context) (disputeBasis, error) {
	f, err := ledgerFacts(ctx, e.q, false)
	return disputeBasis{has: f.DisputesKnown, from: f.FlagsAsOf, payments: f.PaymentsKnown}, err
}

// saleFieldsEmpty says whether no row of the invoice match, in any of its
// versions, has a sale field (country, segment, channel): then the rows
// FINAL reads have none either, and the open-invoice query need not carry
// them (sqlData.NoSale). Read without FINAL, which reads every version on
// every shard and stops at the first such row; the match is synced first.
func (e *SQLEngine) saleFieldsEmpty(ctx context.Context) (bool, error) {
	if err := syncMatch(ctx, e.q); err != nil {
		return false, err
	}
	db := ""
	if e.q.Database() != "" {
		db = quoteIdentifier(e.q.Database()) + "."
	}
	var n uint64
	if err := e.q.QueryRow(ctx, "SELECT count() FROM (SELECT 1 FROM "+db+"invoice_match WHERE country != '' OR segment != '' OR channel != '' LIMIT 1)").Scan(&n); err != nil {
		return false, fmt.Errorf("look for the invoices' own sale fields: %w", err)
	}
	return n == 0, nil
}

// SQLLedgerFacts returns the facts of the ledger in q's database, for
// indexes of its parts (NewPartIndex).
func SQLLedgerFacts(ctx context.Context, q chsql.Querier) (LedgerFacts, error) {
	return ledgerFacts(ctx, q, true)
}

// ledgerFacts reads the facts of the ledger in q's database; FlagsAsOf only
// when the ledger has no dispute records, unless always.
func ledgerFacts(ctx context.Context, q chsql.Querier, always bool) (LedgerFacts, error) {
	db := ""
	if q.Database() != "" {
		db = quoteIdentifier(q.Database()) + "."
	}
	var n uint64
	if err := q.QueryRow(ctx, "SELECT count() FROM (SELECT 1 FROM "+db+"disputes FINAL LIMIT 1)").Scan(&n); err != nil {
		return LedgerFacts{}, fmt.Errorf("look for dispute records: %w", err)
	}
	f := LedgerFacts{DisputesKnown: n > 0}
	if err := q.QueryRow(ctx, "SELECT count() FROM (SELECT 1 FROM "+db+"payments FINAL LIMIT 1)").Scan(&n); err != nil {
		return LedgerFacts{}, fmt.Errorf("look for payment records: %w", err)
	}
	f.PaymentsKnown = n > 0
	if f.DisputesKnown && !always {
		return f, nil
	}
	// The ledger's last day, as datasets.Ledger.LastDay (and the store's
	// span) counts it: the latest day any receivables record gives.
	var from int32
	last := "SELECT toInt32(max(d)) FROM (" +
		"SELECT greatest(toInt32(issue_date), toInt32(settled_date)) AS d FROM " + db + "invoices FINAL" +
		" UNION ALL SELECT toInt32(payment_date) AS d FROM " + db + "payments FINAL" +
		" UNION ALL SELECT toInt32(note_date) AS d FROM " + db + "credit_notes FINAL" +
		" UNION ALL SELECT greatest(toInt32(opened_date), toInt32(resolved_date)) AS d FROM " + db + "disputes FINAL" +
		" UNION ALL SELECT toInt32(made_date) AS d FROM " + db + "promises FINAL)"
	if err := q.QueryRow(ctx, last).Scan(&from); err != nil {
		return LedgerFacts{}, fmt.Errorf("the ledger's last day: %w", err)
	}
	f.FlagsAsOf = datasets.Date(from)
	return f, nil
}

// params binds the query parameters of the feature queries; d only
// matters to the open-invoice queries.
func (e *SQLEngine) params(t datasets.Date, ids []string, d disputeBasis) []any {
	after := -1
	if e.opts.DisputeOpenedAfterDays != nil {
		after = *e.opts.DisputeOpenedAfterDays
	}
	args := []any{
		sql.Named("t", int32(t)),
		sql.Named("grace", e.opts.GraceDays),
		sql.Named("wmax", e.opts.Longest()),
		sql.Named("respond", e.opts.ResponseDays),
		sql.Named("has_disputes", b2i(d.has)),
		sql.Named("flags_from", int32(d.from)),
		sql.Named("disp_after", after),
		sql.Named("wait", datasets.ActionWait),
		sql.Named("write_off", datasets.KindWriteOff),
		sql.Named("payments_known", b2i(d.payments)),
	}
	for k, w := range e.opts.Windows {
		args = append(args, sql.Named(fmt.Sprintf("w%d", k), w))
	}
	if len(ids) > 0 {
		args = append(args, sql.Named("ids", ids))
	}
	return args
}
