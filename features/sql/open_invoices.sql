{{/*
open_invoices.sql: the features of every invoice open at t (issued by t,
outstanding > 0), InvoiceSpecs: the invoice's own features, then its
customer's (customer_features in customers.sql).

The query returns one row per customer with an open invoice, not one per
invoice: the invoice's own features come as lists, one item per open
invoice of the customer's (invoice_columns, which customer_features puts
before the customer's features with .Unfold), and the engine unfolds them
(readOpenInvoices in sqlunfold.go). Most of an open invoice's columns are
its customer's features, the same on each of the customer's invoices:
unfolded on the server, the 1M-invoice benchmark ledger's 175k open
invoices came out as 175k rows of 130 columns, which cost the server and
the read more than the customer features themselves.

The invoice's own fields come from invoice_match, as the rest: no second
read of the invoices. A dispute on the invoice is open at t, or, when the
ledger has no dispute records at all, the invoice's disputed flag stands in
where it is known.
*/}}

{{/* packed: a list of strings (an Array(String) expression) as one
String: each item as its length in bytes, a colon and its bytes
(unpackList in sqlunfold.go reads it back). packed_floats: a list of
Float64 as one String, each number as its 8 bytes (as stored,
little-endian; toFixedString puts back the zero bytes reinterpretAsString
drops, and concat with '' keeps them in a String, which toString would
cut), 8 bytes each (unpackFloats): the very bits, nan and -0 included, and
cheaper than the text of a number (writing 1.9M numbers as text cost the
server 0.2 s) or its hex (twice the bytes to send and to copy into Go
strings, and a decoding step). The driver reads an array element by
element through reflection, which on the 1M-invoice benchmark ledger cost
more than the rest of the read; a String is one value. */}}
{{define "packed"}}arrayStringConcat(arrayMap(v -> concat(toString(length(v)), ':', v), {{.}})){{end}}
{{define "packed_floats"}}arrayStringConcat(arrayMap(x -> concat(toFixedString(reinterpretAsString(x), 8), ''), {{.}})){{end}}

{{/* invoice_with: the WITH clause of customer_features with .Unfold. */}}
{{define "invoice_with"}}
        arrayMap(c -> c / 100, open_inv_cents) AS open_inv_amounts,
        arrayMap(d -> toDate('1970-01-01') + d, open_due_days) AS open_due_dates,
        -- Due within 2 days of its month's last day.
        arrayMap(x -> multiIf(toMonth(x) IN (4, 6, 9, 11), 30,
                toMonth(x) != 2, 31,
                (toYear(x) % 4 = 0 AND toYear(x) % 100 != 0) OR toYear(x) % 400 = 0, 29,
                28) - toDayOfMonth(x) <= 2, open_due_dates) AS due_at_month_end
{{- end}}

{{/* invoice_columns: the open invoices' own features (the InvoiceSpecs
before the customer's), named after them, each a list with one item per
open invoice (packed), in the order of open_invoice_ids (customer_ledger).
They read the customer's features by their aliases in customer_features,
whose SELECT this is part of. open_dispute_invoice_ids (disputes in
ledger.sql) is handed to its lambda as an argument (replicate: one copy
per invoice), since 18.16 does not see a subquery column that only a
lambda uses. */}}
{{define "invoice_columns"}}
        {{template "packed" "open_invoice_ids"}} AS invoice_id,
        {{template "packed_floats" "open_inv_amounts"}} AS inv_amount,
        -- amount / (amount_issued / invoices_issued) over the longest window.
        {{template "packed_floats" (printf "arrayMap(a -> if(invoices_issued_%s = 0 OR amount_issued_%s = 0, nan, a / (amount_issued_%s / invoices_issued_%s)), open_inv_amounts)" .Long.Sfx .Long.Sfx .Long.Sfx .Long.Sfx)}} AS inv_amount_vs_usual,
        {{template "packed_floats" "arrayMap(c -> c / 100, open_amounts)"}} AS inv_outstanding,
        {{template "packed_floats" "arrayMap((d, i) -> toFloat64(d - i), open_due_days, open_issue_days)"}} AS inv_terms_days,
        {{template "packed_floats" "arrayMap(d -> toFloat64(d - @t), open_due_days)"}} AS inv_days_to_due,
        {{template "packed_floats" "arrayMap(i -> toFloat64(@t - i), open_issue_days)"}} AS inv_age_days,
        {{template "packed_floats" "arrayMap(x -> toFloat64(toDayOfMonth(x)), open_due_dates)"}} AS inv_due_day_of_month,
        {{template "packed_floats" "arrayMap(x -> toFloat64(toMonth(x)), open_due_dates)"}} AS inv_due_month,
        {{template "packed_floats" "arrayMap(f -> toFloat64(f), due_at_month_end)"}} AS inv_due_month_end,
        {{template "packed_floats" "arrayMap((f, x) -> toFloat64(f AND toMonth(x) % 3 = 0), due_at_month_end, open_due_dates)"}} AS inv_due_quarter_end,
        -- Without dispute records the undated flag stands in where it is
        -- known: at the ledger's own date, or from the assumed day on.
        {{template "packed_floats" `arrayMap((id, f, i, disputed_ids) -> toFloat64(if(@has_disputes = 1, has(disputed_ids, id),
            f != 0 AND (@t >= @flags_from OR (@disp_after >= 0 AND @t >= i + @disp_after)))),
            open_invoice_ids, open_flags_disputed, open_issue_days, replicate(open_dispute_invoice_ids, open_invoice_ids))`}} AS inv_disputed,
        {{template "packed" "arrayMap(s -> if(s != '', s, channel), open_sale_channels)"}} AS inv_channel,
        {{template "packed" "arrayMap(s -> if(s != '', s, country), open_sale_countries)"}} AS inv_country,
        {{template "packed" "arrayMap(s -> if(s != '', s, segment), open_sale_segments)"}} AS inv_segment
{{- end}}

{{define "open_invoices"}}
{{- if .Filter}}
SELECT customer_id, invoice_id{{range .InvoiceNames}}, {{.}}{{end}}
FROM ({{template "requested" .}}) AS requested_ids
ALL INNER JOIN ({{template "customer_features" .}}) AS features
USING customer_id
ORDER BY requested
{{- else}}
{{- /* Not nested in another SELECT (as customers.sql): the engine checks
the columns. Unordered: the engine sorts the rows (sortOpenInvoices). */}}
{{template "customer_features" .}}
{{- end}}
{{end}}
