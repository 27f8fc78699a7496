-- 0012: customer_match, the invoice match (0005, 0007) gathered per
-- customer, so that the SQL feature engine reads one row per customer
-- instead of grouping the match's rows by customer at every query
-- (features/sql/ledger.sql; on the 1M-invoice benchmark ledger that GROUP
-- BY and the per-row work under it cost the server about 0.9 s of CPU of
-- the customer query's 3.2 s).
--
-- One row per customer of the match: its match rows that have records, as
-- parallel arrays in the match's key order (r_invoice_id, r_invoice,
-- r_issue, ...: one element per row, the row's arrays as nested arrays),
-- and per row the recorded write-off notes naming its invoice id (dates
-- and cents, from the whole ledger as the match's credit notes, whoever's
-- they are), which the feature queries joined row by row before. Nothing
-- in it is a state as of a date: a feature as of t filters the dates
-- itself, as it did on the match. known is 1 when any of the customer's
-- match rows has records (0: every row was emptied, and the customer is
-- known, if at all, from the other tables).
--
-- chstore writes it with the match: each sync that rebuilds a customer's
-- match rows writes its row again from them, with the same version
-- (match.go, customer_match_rebuild.sql), so FINAL reads the newest. A
-- store migrated to this version rebuilds its whole match (the match's
-- layout mark, matchFormat, changed with it), and so this table.

-- cluster: shard by customer_id
CREATE TABLE IF NOT EXISTS customer_match
(
    customer_id       String,
    known             UInt8,
    r_invoice_id      Array(String),
    r_invoice         Array(UInt8),
    r_issue           Array(Int32),
    r_due             Array(Int32),
    r_settled         Array(Int32),
    r_cents           Array(Int64),
    r_disputed        Array(UInt8),
    r_country         Array(String),
    r_segment         Array(String),
    r_channel         Array(String),
    r_pay_days        Array(Array(Int32)),
    r_pay_cents       Array(Array(Int64)),
    r_action_days     Array(Array(Int32)),
    r_promise_days    Array(Array(Int32)),
    r_promised_days   Array(Array(Int32)),
    r_promise_cents   Array(Array(Int64)),
    r_credit_days     Array(Array(Int32)),
    r_credit_cents    Array(Array(Int64)),
    r_wo_days         Array(Array(Int32)),
    r_wo_cents        Array(Array(Int64)),
    version           UInt64
)
ENGINE = ReplacingMergeTree(version)
ORDER BY customer_id;
