-- The customer_match rows (migrations/0012_customer_match.sql) of the
-- customers a sync rebuilt, from their invoice_match rows, just rewritten
-- with the same @version (match.go). A format string: its first argument
-- is the database of the tables written (a shard's local database on a
-- cluster), the second the one whose tables hold every shard's rows.
--
-- touched is the same external table of customers as match_rebuild.sql's.
-- The rows are gathered in no particular order (the feature queries sum,
-- count and sort them, never read them by position). Emptied rows (no records) are left out; a customer all of whose rows
-- are emptied is written with known 0 and no rows, replacing its old row.
-- The recorded write-off notes (kind @write_off) naming each row's invoice
-- id come from the whole ledger (%[2]s), as the match's credit notes do.
INSERT INTO %[1]s.customer_match (customer_id, known, r_invoice_id, r_invoice, r_issue, r_due, r_settled, r_cents,
    r_disputed, r_country, r_segment, r_channel, r_pay_days, r_pay_cents, r_action_days, r_promise_days, r_promised_days,
    r_promise_cents, r_credit_days, r_credit_cents, r_wo_days, r_wo_cents, version)
SELECT
    customer_id,
    toUInt8(max(records > 0)),
    groupArrayIf(invoice_id, records > 0),
    groupArrayIf(invoice, records > 0),
    groupArrayIf(issue_day, records > 0),
    groupArrayIf(due_day, records > 0),
    groupArrayIf(settled_day, records > 0),
    groupArrayIf(cents, records > 0),
    groupArrayIf(disputed, records > 0),
    groupArrayIf(country, records > 0),
    groupArrayIf(segment, records > 0),
    groupArrayIf(channel, records > 0),
    groupArrayIf(pay_days, records > 0),
    groupArrayIf(pay_cents, records > 0),
    groupArrayIf(action_days, records > 0),
    groupArrayIf(promise_days, records > 0),
    groupArrayIf(promised_days, records > 0),
    groupArrayIf(promise_cents, records > 0),
    groupArrayIf(credit_days, records > 0),
    groupArrayIf(credit_cents, records > 0),
    groupArrayIf(wo_days, records > 0),
    groupArrayIf(wo_cents, records > 0),
    toUInt64(@version)
FROM
(
    SELECT
        customer_id, invoice_id, invoice, issue_day, due_day, settled_day, cents, disputed, country, segment, channel,
        pay_days, pay_cents, action_days, promise_days, promised_days, promise_cents, credit_days, credit_cents, records
    FROM %[1]s.invoice_match FINAL
    WHERE customer_id IN (SELECT customer_id FROM touched) AND customer_id != ''
) AS rows
-- join_use_nulls is 0 (match.go sets it): a row without write-off notes
-- gets empty arrays.
ANY LEFT JOIN
(
    SELECT
        invoice_id,
        groupArray(toInt32(note_date)) AS wo_days,
        groupArray(toInt64(toDecimal128(amount, 2) * 100)) AS wo_cents
    FROM %[2]s.credit_notes FINAL
    WHERE kind = @write_off AND invoice_id != ''
    GROUP BY invoice_id
) AS write_offs
USING invoice_id
GROUP BY customer_id
