-- The invoice_match rows of the customers a batch touched, rebuilt from
-- the ledger tables (see migrations/0005_invoice_match.sql). A format
-- string (match.go): its first argument is the database of the tables
-- written (a shard's local database on a cluster), the second the one
-- whose tables hold every shard's rows (the Distributed tables on a
-- cluster, the same database on a single server).
--
-- touched is an external table of the customers to rebuild
-- (match_touched.sql). Their every row is written again: the match of
-- their records, and an empty row for a row they had and no longer have.
--
-- Each row also carries the credit notes that name its invoice id
-- (migrations/0007_invoice_match_credits.sql), from the whole ledger (%[2]s):
-- a note is linked to its invoice by invoice_id alone, whatever customer it
-- is filed under, which on a cluster may live on another shard.
INSERT INTO %[1]s.invoice_match (customer_id, invoice_id, invoice, issue_day, due_day, settled_day, cents,
    disputed, country, segment, channel, pay_days, pay_cents, action_days, promise_days, promised_days, promise_cents, source_ids, records,
    credit_days, credit_cents, credit_ids, version)
SELECT
    customer_id, invoice_id, invoice, issue_day, due_day, settled_day, cents,
    disputed, country, segment, channel, pay_days, pay_cents, action_days, promise_days, promised_days, promise_cents, source_ids, records,
    credit_days, credit_cents, credit_ids, version
FROM
(
SELECT
    customer_id,
    invoice_id,
    max(kind = 0) AS invoice,
    maxIf(r_issue, kind = 0) AS issue_day,
    maxIf(r_due, kind = 0) AS due_day,
    maxIf(r_settled, kind = 0) AS settled_day,
    sumIf(r_cents, kind = 0) AS cents,
    maxIf(r_disputed, kind = 0) AS disputed,
    anyIf(r_country, kind = 0) AS country,
    anyIf(r_segment, kind = 0) AS segment,
    anyIf(r_channel, kind = 0) AS channel,
    groupArrayIf(r_day, kind = 1) AS pay_days,
    groupArrayIf(r_cents, kind = 1) AS pay_cents,
    groupArrayIf(r_day, kind = 2 AND r_counts = 1) AS action_days,
    groupArrayIf(r_day, kind = 3) AS promise_days,
    groupArrayIf(r_until, kind = 3) AS promised_days,
    groupArrayIf(r_cents, kind = 3) AS promise_cents,
    groupArrayIf(r_id, kind != 4) AS source_ids,
    toUInt32(countIf(kind != 4)) AS records,
    toUInt64(@version) AS version
FROM
(
    SELECT toUInt8(0) AS kind, customer_id, invoice_id, invoice_id AS r_id, toInt32(issue_date) AS r_issue,
        toInt32(due_date) AS r_due, toInt32(settled_date) AS r_settled, toInt64(toDecimal128(amount, 2) * 100) AS r_cents,
        toInt32(0) AS r_day, toInt32(0) AS r_until, toUInt8(1) AS r_counts,
        disputed AS r_disputed, country AS r_country, segment AS r_segment, channel AS r_channel
    FROM %[1]s.invoices FINAL
    WHERE customer_id IN (SELECT customer_id FROM touched)
    UNION ALL
    SELECT toUInt8(1) AS kind, customer_id, invoice_id, payment_id AS r_id, toInt32(0) AS r_issue,
        toInt32(0) AS r_due, toInt32(0) AS r_settled, toInt64(toDecimal128(amount, 2) * 100) AS r_cents,
        toInt32(payment_date) AS r_day, toInt32(0) AS r_until, toUInt8(1) AS r_counts,
        toUInt8(0) AS r_disputed, '' AS r_country, '' AS r_segment, '' AS r_channel
    FROM %[1]s.payments FINAL
    WHERE customer_id IN (SELECT customer_id FROM touched)
    UNION ALL
    SELECT toUInt8(2) AS kind, customer_id, invoice_id, action_id AS r_id, toInt32(0) AS r_issue,
        toInt32(0) AS r_due, toInt32(0) AS r_settled, toInt64(0) AS r_cents,
        toInt32(action_date) AS r_day, toInt32(0) AS r_until, toUInt8(action_type != @wait) AS r_counts,
        toUInt8(0) AS r_disputed, '' AS r_country, '' AS r_segment, '' AS r_channel
    FROM %[1]s.actions FINAL
    WHERE customer_id IN (SELECT customer_id FROM touched)
    UNION ALL
    SELECT toUInt8(3) AS kind, customer_id, invoice_id, promise_id AS r_id, toInt32(0) AS r_issue,
        toInt32(0) AS r_due, toInt32(0) AS r_settled, toInt64(toDecimal128(amount, 2) * 100) AS r_cents,
        toInt32(made_date) AS r_day, toInt32(promised_date) AS r_until, toUInt8(1) AS r_counts,
        toUInt8(0) AS r_disputed, '' AS r_country, '' AS r_segment, '' AS r_channel
    FROM %[1]s.promises FINAL
    WHERE customer_id IN (SELECT customer_id FROM touched)
    UNION ALL
    SELECT DISTINCT toUInt8(4) AS kind, customer_id, invoice_id, '' AS r_id, toInt32(0) AS r_issue,
        toInt32(0) AS r_due, toInt32(0) AS r_settled, toInt64(0) AS r_cents,
        toInt32(0) AS r_day, toInt32(0) AS r_until, toUInt8(0) AS r_counts,
        toUInt8(0) AS r_disputed, '' AS r_country, '' AS r_segment, '' AS r_channel
    FROM %[1]s.invoice_match
    WHERE customer_id IN (SELECT customer_id FROM touched)
)
GROUP BY customer_id, invoice_id
) AS rebuilt
-- join_use_nulls is 0 (the default): a row without credit notes gets
-- empty arrays.
ANY LEFT JOIN
(
    SELECT
        invoice_id,
        groupArray(toInt32(note_date)) AS credit_days,
        groupArray(toInt64(toDecimal128(amount, 2) * 100)) AS credit_cents,
        groupArray(credit_note_id) AS credit_ids
    FROM %[2]s.credit_notes FINAL
    WHERE invoice_id != ''
    GROUP BY invoice_id
) AS credits
USING invoice_id
