{{/*
kpi_fx.sql: kpi_rows converted to one reporting currency, as
datasets.Ledger.Convert converts a ledger before the Go engine reports on it
(kpi --currency CUR --fx FILE): the KPIs are then computed from the
converted amounts, the implied write-offs included (kpi_implied reads these
rows when .FX): convert, then imply.

Query parameters besides kpi.sql's: @fx_currencies and @fx_rates, the
currencies with a rate (the reporting currency itself at 1) and their rates
in billionths (datasets.Rate). The caller has made sure that every currency
an amount can be in has a rate (SQLRatesCover); an amount with no currency
anywhere is left as it is, as Convert leaves it.

Each amount takes the currency Convert gives it (datasets.AmountCurrencies):
an invoice its own, else its customer's (the master's, else that of its
customer's lowest invoice id that has one: kpi_customer_currency); a
payment its own, else its invoice's, else its customer's; a credit note
naming no invoice of the ledger its customer's. The payments in the
invoice's currency and the credit notes on an invoice in a currency are
converted as running totals (datasets.ConvertRunning): in order of date,
then "p" or "n" and the record id, each takes the converted running total
less what the earlier ones took, so that what settled an invoice in full
still does. Every other amount is converted on its own, rounded to the cent,
halves away from zero (datasets.Money.Convert), in Decimal128: an amount
times a rate fits 38 digits.

A payment naming an invoice of another customer takes that invoice's
currency, looked up across the ledger (fx_cross_invoices); if that currency
is also the payment's own, Convert would run it with that invoice's records
on the other customer's row, while here it is converted on its own: the two
can differ by a cent's rounding on such payments only. Go's part reader
(datasets.PartConverter) converts such a payment in its own customer's part,
with neither.
*/}}

{{/* fx_cross_invoices: per invoice id named by a payment without a currency
of this shard that no invoice of the payment's customer has, that invoice's
currency (its own, else its customer's), wherever it is. Usually empty. */}}
{{define "fx_cross_ids"}}
    SELECT invoice_id FROM {{.DB}}payments FINAL
    WHERE currency = '' AND invoice_id != '' AND toInt32(payment_date) <= @to
        AND (customer_id, invoice_id) NOT IN (SELECT customer_id, invoice_id FROM {{.DB}}invoices FINAL)
{{end}}
{{define "fx_cross_invoices"}}
    SELECT invoice_id, toUInt8(1) AS x_known, if(i_cur != '', i_cur, o_cur) AS x_cur
    FROM
    (
        SELECT invoice_id, customer_id, currency AS i_cur
        FROM {{.AllDB}}invoices FINAL
        WHERE invoice_id GLOBAL IN ({{template "fx_cross_ids" .}})
    ) AS x
    ANY LEFT JOIN
    (
        SELECT customer_id, if(m_cur != '', m_cur, i_first) AS o_cur
        FROM
        (
            SELECT customer_id, argMin(currency, invoice_id) AS i_first
            FROM {{.AllDB}}invoices FINAL
            WHERE currency != '' AND customer_id GLOBAL IN
                (SELECT customer_id FROM {{.AllDB}}invoices FINAL WHERE invoice_id GLOBAL IN ({{template "fx_cross_ids" .}}))
            GROUP BY customer_id
        ) AS fi
        ANY FULL OUTER JOIN
        (
            SELECT customer_id, any(currency) AS m_cur FROM {{.AllDB}}customers FINAL
            WHERE currency != '' AND customer_id GLOBAL IN
                (SELECT customer_id FROM {{.AllDB}}invoices FINAL WHERE invoice_id GLOBAL IN ({{template "fx_cross_ids" .}}))
            GROUP BY customer_id
        ) AS fm
        USING customer_id
    ) AS owner
    USING customer_id
{{end}}

{{define "kpi_fx_rows"}}
    SELECT
        customer_id, invoice_id, has_inv, issue, due, settled, disputed, issue_month, inv_attr,
        pay_days, dsp_opened, dsp_resolved, prm_promised, prm_kept, ucn_days, cn_days, cn_wo, cn_disc
        {{- if .Attr}}, c_attr{{end}},
        if(inv_own_cur != '', inv_own_cur, cust_cur) AS inv_cur,
        if(has_inv, inv_cur, if(x_known = 1, x_cur, cust_cur)) AS pay_fallback,
        has_inv AND inv_cur != '' AS runs,
        -- (The slices below read outside a lambda, by their lengths, what
        -- the lambda reads, so that 18.16 keeps it: every slice is whole.)
        arrayMap(c -> if(c != '', c, pay_fallback), arraySlice(pay_curs, 1, length(pay_curs) + length(pay_fallback))) AS p_curs,
        arrayMap(c -> runs AND c = inv_cur, arraySlice(p_curs, 1, length(p_curs) + runs + length(inv_cur))) AS p_run,
        arraySort(arrayConcat(
            arrayFilter((t, r) -> r, arrayMap((d, i, c, k) -> (d, concat('p', i), c, toInt64(k)), pay_days, pay_ids, raw_pay, arrayEnumerate(raw_pay)), p_run),
            arrayFilter(t -> runs, arraySlice(arrayMap((d, i, c, k) -> (d, concat('n', i), c, -toInt64(k)), cn_days, cn_ids, raw_cn, arrayEnumerate(raw_cn)),
                1, length(raw_cn) + runs)))) AS run_recs,
        arrayMap(t -> tupleElement(t, 4), run_recs) AS run_slots,
        arrayCumSum(arrayMap(t -> tupleElement(t, 3), run_recs)) AS run_raw,
        arrayMap(s -> {{fx "s" "inv_cur"}}, arraySlice(run_raw, 1, length(run_raw) + length(inv_cur))) AS run_conv,
        arrayMap(i -> run_conv[i] - if(i = 1, toInt64(0), run_conv[i - 1]), arraySlice(arrayEnumerate(run_conv), 1, length(run_conv))) AS run_delta,
        if(has_inv, {{fx "raw_cents" "inv_cur"}}, raw_cents) AS cents,
        arrayMap((c, cur, r, k) -> if(r, run_delta[indexOf(run_slots, toInt64(k))], {{fx "c" "cur"}}),
            raw_pay, p_curs, p_run, arraySlice(arrayEnumerate(raw_pay), 1, length(raw_pay) + length(run_delta) + length(run_slots))) AS pay_cents,
        arrayMap((c, k) -> if(runs, run_delta[indexOf(run_slots, -toInt64(k))], c),
            raw_cn, arraySlice(arrayEnumerate(raw_cn), 1, length(raw_cn) + length(run_delta) + length(run_slots) + runs)) AS cn_cents,
        arrayMap(c -> {{fx "c" "cust_cur"}}, arraySlice(raw_ucn, 1, length(raw_ucn) + length(cust_cur))) AS ucn_cents
    FROM
    (
        SELECT
            customer_id, invoice_id, has_inv, issue, due, settled, disputed, issue_month, inv_attr,
            pay_days, dsp_opened, dsp_resolved, prm_promised, prm_kept, ucn_days, cn_days, cn_wo, cn_disc
            {{- if .Attr}}, c_attr{{end}},
            cents AS raw_cents, pay_cents AS raw_pay, cn_cents AS raw_cn, ucn_cents AS raw_ucn,
            inv_own_cur, pay_ids, pay_curs, cn_ids, cust_cur, x_known, x_cur
        FROM
        (
            SELECT
                customer_id, invoice_id, has_inv, issue, due, settled, cents, disputed, issue_month, inv_attr,
                pay_days, pay_cents, dsp_opened, dsp_resolved, prm_promised, prm_kept, ucn_days, ucn_cents, cn_days, cn_cents, cn_wo, cn_disc
                {{- if .Attr}}, c_attr{{end}},
                inv_own_cur, pay_ids, pay_curs, cn_ids, cust_cur
            FROM ({{template "kpi_rows" .}}) AS kr
            ANY LEFT JOIN ({{template "kpi_shard_customer_currency" .}}) AS cc
            USING customer_id
        ) AS kc
        ANY LEFT JOIN ({{template "fx_cross_invoices" .}}) AS xl
        USING invoice_id
    )
{{end}}

{{/* kpi_shard_customer_currency: kpi_customer_currency over this shard's
tables, which hold every invoice and master record of its customers. */}}
{{define "kpi_shard_customer_currency"}}{{template "customer_currency_in" .DB}}{{end}}

{{/* fx_currencies: every currency an amount of the ledger can be in: the
records' own, the customers' masters'. Convert's currencies are among them;
when each has a rate, nothing lacks one. */}}
{{define "fx_currencies"}}
    SELECT DISTINCT cur
    FROM
    (
        SELECT currency AS cur FROM {{.AllDB}}invoices FINAL WHERE currency != ''
        UNION ALL
        SELECT currency AS cur FROM {{.AllDB}}payments FINAL WHERE currency != ''
        UNION ALL
        SELECT currency AS cur FROM {{.AllDB}}customers FINAL WHERE currency != ''
    )
    ORDER BY cur
{{end}}
