-- The customers whose invoice_match rows a batch touched (match.go): those
-- of the rows written since version @since on this server, and those whose
-- match rows hold a record id written since, anywhere (a record that moved
-- to another customer, perhaps on another shard). The first argument is
-- the database of this server's tables, the second the one whose tables
-- hold every shard's rows.
--
-- A credit note written since touches the customers whose match rows name
-- its invoice id now, and those whose rows hold its id (it named another
-- invoice before): the rows carry the notes of their invoice id
-- (match_rebuild.sql), whoever's the note is and wherever it is stored.
SELECT DISTINCT customer_id
FROM
(
        SELECT customer_id FROM %[1]s.invoices WHERE version >= @since
        UNION ALL
        SELECT customer_id FROM %[1]s.payments WHERE version >= @since
        UNION ALL
        SELECT customer_id FROM %[1]s.actions WHERE version >= @since
        UNION ALL
        SELECT customer_id FROM %[1]s.promises WHERE version >= @since
        UNION ALL
        SELECT customer_id FROM %[1]s.invoice_match ARRAY JOIN source_ids AS source_id
        WHERE source_id IN
        (
            SELECT invoice_id FROM %[2]s.invoices WHERE version >= @since
            UNION ALL
            SELECT payment_id FROM %[2]s.payments WHERE version >= @since
            UNION ALL
            SELECT action_id FROM %[2]s.actions WHERE version >= @since
            UNION ALL
            SELECT promise_id FROM %[2]s.promises WHERE version >= @since
        )
        UNION ALL
        SELECT customer_id FROM %[1]s.invoice_match
        WHERE invoice_id != '' AND invoice_id IN (SELECT invoice_id FROM %[2]s.credit_notes WHERE version >= @since)
        UNION ALL
        SELECT customer_id FROM %[1]s.invoice_match ARRAY JOIN credit_ids AS credit_id
        WHERE credit_id IN (SELECT credit_note_id FROM %[2]s.credit_notes WHERE version >= @since)
)
