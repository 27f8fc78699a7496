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
