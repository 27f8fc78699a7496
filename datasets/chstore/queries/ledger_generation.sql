-- The ledger's generation (Store.Generation): the newest version of any
-- ledger row, 0 on an empty ledger. Every Put writes its rows with versions
-- above every earlier one, so the generation grows with each import. The
-- argument is the database whose tables hold every shard's rows.
SELECT max(version)
FROM
(
    SELECT max(version) AS version FROM %[1]s.customers
    UNION ALL
    SELECT max(version) AS version FROM %[1]s.invoices
    UNION ALL
    SELECT max(version) AS version FROM %[1]s.payments
    UNION ALL
    SELECT max(version) AS version FROM %[1]s.credit_notes
    UNION ALL
    SELECT max(version) AS version FROM %[1]s.disputes
    UNION ALL
    SELECT max(version) AS version FROM %[1]s.actions
    UNION ALL
    SELECT max(version) AS version FROM %[1]s.promises
    UNION ALL
    SELECT max(version) AS version FROM %[1]s.credit_decisions
    UNION ALL
    SELECT max(version) AS version FROM %[1]s.financials
)
