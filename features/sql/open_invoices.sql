{{/*
open_invoices.sql: the features of every invoice open at t (issued by t,
outstanding > 0), InvoiceSpecs: the invoice's own features, then its
customer's (customer_features in customers.sql).
*/}}

{{/* invoice_features: the features of every invoice open at t (one row
each, from customer_features with .Unfold), then its customer's. The
invoice's own fields come from invoice_match, as the rest: no second read
of the invoices. A dispute
on the invoice is open at t, or, when the ledger has no dispute records at
all, the invoice's disputed flag stands in where it is known. */}}
{{define "invoice_features"}}
    WITH
        -- Due within 2 days of its month's last day.
        multiIf(toMonth(inv_due_date) IN (4, 6, 9, 11), 30,
                toMonth(inv_due_date) != 2, 31,
                (toYear(inv_due_date) % 4 = 0 AND toYear(inv_due_date) % 100 != 0) OR toYear(inv_due_date) % 400 = 0, 29,
                28) - toDayOfMonth(inv_due_date) <= 2 AS due_at_month_end
    SELECT
        customer_id,
        invoice_id,
        inv_cents / 100 AS inv_amount,
        -- amount / (amount_issued / invoices_issued) over the longest window.
        if(invoices_issued_{{.Long.Sfx}} = 0 OR amount_issued_{{.Long.Sfx}} = 0, nan,
            inv_amount / (amount_issued_{{.Long.Sfx}} / invoices_issued_{{.Long.Sfx}})) AS inv_amount_vs_usual,
        outstanding_cents / 100 AS inv_outstanding,
        toFloat64(due - issue) AS inv_terms_days,
        toFloat64(due - @t) AS inv_days_to_due,
        toFloat64(@t - issue) AS inv_age_days,
        toFloat64(toDayOfMonth(inv_due_date)) AS inv_due_day_of_month,
        toFloat64(toMonth(inv_due_date)) AS inv_due_month,
        toFloat64(due_at_month_end) AS inv_due_month_end,
        toFloat64(due_at_month_end AND toMonth(inv_due_date) % 3 = 0) AS inv_due_quarter_end,
        -- Without dispute records the undated flag stands in where it is
        -- known: at the ledger's own date, or from the assumed day on.
        toFloat64(if(@has_disputes = 1, open_disputes_on_invoice > 0,
            inv_flag_disputed != 0 AND (@t >= @flags_from OR (@disp_after >= 0 AND @t >= issue + @disp_after)))) AS inv_disputed,
        if(sale_channel != '', sale_channel, channel) AS inv_channel,
        if(sale_country != '', sale_country, country) AS inv_country,
        if(sale_segment != '', sale_segment, segment) AS inv_segment
        {{- range .CustomerNames}}, {{.}}{{end}}
    FROM ({{template "customer_features" .}}) AS open_master
    ANY LEFT JOIN
    (
        SELECT customer_id, invoice_id, count() AS open_disputes_on_invoice
        FROM {{.DB}}disputes FINAL
        WHERE toInt32(opened_date) <= @t AND (toInt32(resolved_date) = 0 OR toInt32(resolved_date) > @t){{template "selected" .}}
        GROUP BY customer_id, invoice_id
    ) AS open_disp
    USING (customer_id, invoice_id)
{{end}}

{{define "open_invoices"}}
{{- if .Filter}}
SELECT customer_id, invoice_id{{range .InvoiceNames}}, {{.}}{{end}}
FROM ({{template "requested" .}}) AS requested_ids
ALL INNER JOIN ({{template "invoice_features" .}}) AS features
USING customer_id
ORDER BY requested, inv_age_days DESC, invoice_id
{{- else}}
{{- /* Not nested in another SELECT (as customers.sql): the engine checks
the columns. Unordered: the engine sorts the rows (sortOpenInvoices). */}}
{{template "invoice_features" .}}
{{- end}}
{{end}}
