-- The newest version of any row the invoice match is built from (match.go),
-- 0 on an empty ledger. The argument is the database whose tables hold
-- every shard's rows.
SELECT max(version)
FROM
(
    SELECT max(version) AS version FROM %[1]s.invoices
    UNION ALL
    SELECT max(version) AS version FROM %[1]s.payments
    UNION ALL
    SELECT max(version) AS version FROM %[1]s.actions
    UNION ALL
    SELECT max(version) AS version FROM %[1]s.promises
    UNION ALL
    SELECT max(version) AS version FROM %[1]s.credit_notes
)
