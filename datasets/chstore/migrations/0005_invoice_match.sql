-- 0005: invoice_match, the invoice–payment match the SQL feature engine
-- reads instead of matching invoices, payments, dunning actions and
-- promises at every query (features/sql/ledger.sql).
--
-- One row per customer and invoice id that any of its invoices, payments,
-- actions or promises names; invoice_id '' holds what a customer's
-- payments, actions and promises that name no invoice are. A record is in
-- exactly one row: that of its own customer and the invoice id it names.
-- The row holds everything dated, never a state: the invoice's days
-- (invoice = 1 when the customer has an invoice of that id) and the
-- fields an open invoice's features read (its disputed flag, which
-- readers date themselves, and its sale's country, segment, channel), its linked
-- payments, the days of its dunning actions (a holdout's wait is not one)
-- and its promises, so that a feature as of t filters the dates itself.
-- Days are day numbers (0: unset), money Int64 cents. source_ids lists the
-- ids of the records in the row, so that an import can find the rows a
-- record leaves when it changes customer or invoice; records counts them
-- (0 in an emptied row).
--
-- chstore maintains it: SyncMatch, which readers call before they read
-- it and the import at its end, rebuilds the rows of the customers
-- written since it was last built (match.go). Migrating to this version
-- builds it for the whole ledger. A customer's rows are rebuilt whole, and
-- a row that no longer has records is written back empty (invoice = 0,
-- no elements), which readers take as no row. The row of customer id ''
-- (no ledger record has that id) records how far the match is built.

-- cluster: shard by customer_id
CREATE TABLE IF NOT EXISTS invoice_match
(
    customer_id   String,
    invoice_id    String,
    invoice       UInt8,
    issue_day     Int32,
    due_day       Int32,
    settled_day   Int32,
    cents         Int64,
    disputed      UInt8,
    country       String,
    segment       String,
    channel       String,
    pay_days      Array(Int32),
    pay_cents     Array(Int64),
    action_days   Array(Int32),
    promise_days  Array(Int32),
    promised_days Array(Int32),
    promise_cents Array(Int64),
    source_ids    Array(String),
    records       UInt32,
    version       UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (customer_id, invoice_id);
