{{/*
open_invoices.sql: the features of every invoice open at t (issued by t,
outstanding > 0), InvoiceSpecs: the invoice's own features, then its
customer's (customer_features in customers.sql).

The query returns one row per customer with an open invoice, not one per
invoice: the invoices' own features come packed in one column, one record
per open invoice of the customer's (invoice_columns, which
customer_features puts before the customer's features with .Unfold), and
the engine unfolds them (readOpenInvoices in sqlunfold.go). Most of an open
invoice's columns are its customer's features, the same on each of the
customer's invoices: unfolded on the server, the 1M-invoice benchmark
ledger's 175k open invoices came out as 175k rows of 130 columns, which
cost the server and the read more than the customer features themselves.

The invoice's own fields come from invoice_match, as the rest: no second
read of the invoices. A dispute on the invoice is open at t, or, when the
ledger has no dispute records at all, the invoice's disputed flag stands in
where it is known.
*/}}

{{/* invoice_columns: the open invoices' own features (the InvoiceSpecs
before the customer's) as one String column, invoice_records: one record
after another in the order of open_invoice_rows (customer_ledger), each
(readOpenInvoices in sqlunfold.go reads them back, with openRecord):
  - the 11 numeric features in catalogue order (inv_amount ..
    inv_disputed), each as its 8 bytes (as stored, little-endian;
    toFixedString puts back the zero bytes reinterpretAsString drops): the
    very bits, nan and -0 included, and cheaper than the text of a number
    (writing 1.9M numbers as text cost the server 0.2 s);
  - the invoice id and the invoice's own channel, country and segment, each
    as its length in bytes, a colon and its bytes. The sale's fields come
    as they are: '' (none) is replaced by the customer's value as the
    rows are unfolded, from the customer's own columns of the same row.
One record per invoice, in one column: each column packed apart (15, as
lists of one kind each) cost the server an arrayMap and an
arrayStringConcat apiece, 0.16 s on the 1M-invoice benchmark ledger. The
driver reads an array element by element through reflection, which on
that ledger cost more than the rest of the read; a String is one value.

The record reads the customer's features by their aliases in
customer_features, whose SELECT this is part of.
open_dispute_invoice_ids (disputes in ledger.sql) is handed to the lambda
as an argument (replicate: one copy per invoice), since 18.16 does not see
a subquery column that only a lambda uses. */}}
{{define "float_bytes"}}toFixedString(reinterpretAsString(toFloat64({{.}})), 8){{end}}
{{define "text_bytes"}}toString(length({{.}})), ':', {{.}}{{end}}
{{define "due_date"}}(toDate('1970-01-01') + v_due){{end}}
{{/* Due within 2 days of its month's last day. */}}
{{define "due_at_month_end"}}(multiIf(toMonth({{template "due_date"}}) IN (4, 6, 9, 11), 30,
                toMonth({{template "due_date"}}) != 2, 31,
                (toYear({{template "due_date"}}) % 4 = 0 AND toYear({{template "due_date"}}) % 100 != 0) OR toYear({{template "due_date"}}) % 400 = 0, 29,
                28) - toDayOfMonth({{template "due_date"}}) <= 2){{end}}
{{define "invoice_columns"}}
        arrayStringConcat(arrayMap((v_row, v_due, v_owed, v_disputed_ids) -> concat(
            {{template "float_bytes" "tupleElement(v_row, 3) / 100"}},
            -- amount / (amount_issued / invoices_issued) over the longest window.
            {{template "float_bytes" (printf "if(invoices_issued_%s = 0 OR amount_issued_%s = 0, nan, (tupleElement(v_row, 3) / 100) / (amount_issued_%s / invoices_issued_%s))" .Long.Sfx .Long.Sfx .Long.Sfx .Long.Sfx)}},
            {{template "float_bytes" "v_owed / 100"}},
            {{template "float_bytes" "v_due - tupleElement(v_row, 2)"}},
            {{template "float_bytes" "v_due - @t"}},
            {{template "float_bytes" "@t - tupleElement(v_row, 2)"}},
            {{template "float_bytes" "toDayOfMonth(toDate('1970-01-01') + v_due)"}},
            {{template "float_bytes" "toMonth(toDate('1970-01-01') + v_due)"}},
            toFixedString(reinterpretAsString(toFloat64({{template "due_at_month_end"}})), 8),
            toFixedString(reinterpretAsString(toFloat64({{template "due_at_month_end"}} AND toMonth({{template "due_date"}}) % 3 = 0)), 8),
            -- Without dispute records the undated flag stands in where it is
            -- known: at the ledger's own date, or from the assumed day on.
            {{template "float_bytes" `if(@has_disputes = 1, has(v_disputed_ids, tupleElement(v_row, 1)),
                tupleElement(v_row, 4) != 0 AND (@t >= @flags_from OR (@disp_after >= 0 AND @t >= tupleElement(v_row, 2) + @disp_after)))`}},
            {{template "text_bytes" "tupleElement(v_row, 1)"}}, {{template "text_bytes" "tupleElement(v_row, 7)"}}, {{template "text_bytes" "tupleElement(v_row, 5)"}}, {{template "text_bytes" "tupleElement(v_row, 6)"}}),
            open_invoice_rows, open_due_days, open_amounts, replicate(open_dispute_invoice_ids, open_amounts))) AS invoice_records
{{- end}}

{{define "open_invoices"}}
{{- if .Filter}}
SELECT customer_id, invoice_records{{range .CustomerNames}}, {{.}}{{end}}
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
