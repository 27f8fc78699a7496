-- The ledger's span (Store.Span): the first and last days, since
-- 1970-01-01, that its invoices (issued, settled), payments, credit notes,
-- disputes (opened, resolved) and promises (made) record; 0 and 0 on an
-- empty ledger. Dunning actions, credit decisions and credit reports are
-- left out, as datasets.Ledger.LastDay leaves them: dsopilot records them
-- itself, today, whatever the date of the receivables. A date never set
-- is stored as day 0 and left out. The argument is the database whose
-- tables hold every shard's rows.
SELECT toInt32(minIf(d, d > 0)), toInt32(max(d))
FROM
(
    SELECT toInt32(issue_date) AS d FROM %[1]s.invoices FINAL
    UNION ALL
    SELECT toInt32(settled_date) AS d FROM %[1]s.invoices FINAL
    UNION ALL
    SELECT toInt32(payment_date) AS d FROM %[1]s.payments FINAL
    UNION ALL
    SELECT toInt32(note_date) AS d FROM %[1]s.credit_notes FINAL
    UNION ALL
    SELECT toInt32(opened_date) AS d FROM %[1]s.disputes FINAL
    UNION ALL
    SELECT toInt32(resolved_date) AS d FROM %[1]s.disputes FINAL
    UNION ALL
    SELECT toInt32(made_date) AS d FROM %[1]s.promises FINAL
)
