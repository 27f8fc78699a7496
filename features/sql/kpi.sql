{{/*
kpi.sql: the sums behind the receivables KPIs (KPIs, kpiAcc in Go), per
group key, over the ledger tables of one shard (or of the single server).
The KPIs are sums over customers and the tables are sharded by customer, so
each shard sums its own customers and only the per-group sums travel; the
caller adds the shards' sums and turns them into KPIs with the Go engine's
own formulas (kpiPlan.kpis), so that the two engines agree to the bit.

Query parameters, bound by the driver:
  @to              the period's last day (day number)
  @bounds          the days receivables are taken at (kpiPlan.bounds)
  @pfrom, @pto     each period's first and last day (kpiPlan.periods)
  @popen, @pclose  each period's opening and closing day, as 0-based
                   positions in @bounds
  @hist_start      the first day of the countback sales histogram
  @hist_base       its first month (year·12 + month − 1)
  @disputes_known  1 when the ledger has dispute records
  @kept, @broken   the promise statuses that count (datasets.PromiseKept,
                   datasets.PromiseBroken)
  @write_off       the credit note kind of a write-off
  @payments_known  1 when the ledger has payment records: only then does a
                   settled invoice imply a write-off (datasets.ImpliedWriteOffs);
                   without them collected sums what the settlements cleared

Template data: .DB is the quoted database of the shard's tables and a dot,
.AllDB the database holding the whole ledger (a credit note may sit on
another shard than its invoice: it is sharded by its own customer id),
.Attr the grouping column (segment, country, currency, collector; empty otherwise),
.CustomerOnly whether only the customer master has it (collector),
.ByCustomer whether the groups are customers.

Money is summed as Decimal128 (38 digits, which no ledger fills) and
returned as text, so that a sum that does not fit a Money is an error in
Go (datasets.ErrOverflow), never a wrapped Int64. What Go computes in
Money without a check (an invoice's outstanding amount) is computed in
Int64 here too.
*/}}

{{/* kpi_links: one row per customer and invoice id, with the invoice (when
the customer has one of that id: has_inv) and the payments, disputes and
promises of the customer that name that id. A record that names no invoice
of its customer lands in a row without one, and counts in its customer's
group, as the Go engine files it. */}}
{{define "kpi_links"}}
    SELECT
        customer_id,
        invoice_id,
        max(kind = 0) AS has_inv,
        anyIf(r_issue, kind = 0) AS issue,
        anyIf(r_due, kind = 0) AS due,
        anyIf(r_settled, kind = 0) AS settled,
        anyIf(r_cents, kind = 0) AS cents,
        anyIf(r_flag, kind = 0) AS disputed,
        anyIf(r_month, kind = 0) AS issue_month,
        anyIf(r_attr, kind = 0) AS inv_attr,
        groupArrayIf(r_day, kind = 1) AS pay_days,
        groupArrayIf(r_cents, kind = 1) AS pay_cents,
        groupArrayIf(r_day, kind = 2) AS dsp_opened,
        groupArrayIf(r_day2, kind = 2) AS dsp_resolved,
        groupArrayIf(r_day, kind = 3) AS prm_promised,
        groupArrayIf(r_flag, kind = 3) AS prm_kept,
        groupArrayIf(r_day, kind = 4) AS ucn_days,
        groupArrayIf(r_cents, kind = 4) AS ucn_cents
        {{- if .FX}},
        anyIf(r_cur, kind = 0) AS inv_own_cur,
        groupArrayIf(r_id, kind = 1) AS pay_ids,
        groupArrayIf(r_cur, kind = 1) AS pay_curs
        {{- end}}
    FROM
    (
        SELECT
            toUInt8(0) AS kind, customer_id, invoice_id,
            toInt32(issue_date) AS r_issue, toInt32(due_date) AS r_due, toInt32(settled_date) AS r_settled,
            {{template "cents" "amount"}} AS r_cents, toUInt8(disputed) AS r_flag,
            toInt32(toYear(issue_date) * 12 + toMonth(issue_date) - 1) AS r_month,
            {{if and .Attr (not .CustomerOnly)}}{{.Attr}}{{else}}''{{end}} AS r_attr, toInt32(0) AS r_day, toInt32(0) AS r_day2{{if .FX}}, currency AS r_cur, invoice_id AS r_id{{end}}
        FROM {{.DB}}invoices FINAL
        UNION ALL
        SELECT
            toUInt8(1) AS kind, customer_id, invoice_id,
            toInt32(0) AS r_issue, toInt32(0) AS r_due, toInt32(0) AS r_settled,
            {{template "cents" "amount"}} AS r_cents, toUInt8(0) AS r_flag, toInt32(0) AS r_month,
            '' AS r_attr, toInt32(payment_date) AS r_day, toInt32(0) AS r_day2{{if .FX}}, currency AS r_cur, payment_id AS r_id{{end}}
        FROM {{.DB}}payments FINAL
        WHERE r_day <= @to
        UNION ALL
        SELECT
            toUInt8(2) AS kind, customer_id, invoice_id,
            toInt32(0) AS r_issue, toInt32(0) AS r_due, toInt32(0) AS r_settled,
            toInt64(0) AS r_cents, toUInt8(0) AS r_flag, toInt32(0) AS r_month,
            '' AS r_attr, toInt32(opened_date) AS r_day, toInt32(resolved_date) AS r_day2{{if .FX}}, '' AS r_cur, '' AS r_id{{end}}
        FROM {{.DB}}disputes FINAL
        WHERE @disputes_known = 1 AND r_day != 0 AND r_day <= @to
        UNION ALL
        SELECT
            toUInt8(3) AS kind, customer_id, invoice_id,
            toInt32(0) AS r_issue, toInt32(0) AS r_due, toInt32(0) AS r_settled,
            toInt64(0) AS r_cents, toUInt8(status = @kept) AS r_flag, toInt32(0) AS r_month,
            '' AS r_attr, toInt32(promised_date) AS r_day, toInt32(0) AS r_day2{{if .FX}}, '' AS r_cur, '' AS r_id{{end}}
        FROM {{.DB}}promises FINAL
        WHERE toInt32(made_date) <= @to AND status IN (@kept, @broken)
        UNION ALL
        -- Unapplied credit notes, of any kind: those naming no invoice of
        -- the ledger (none, or an unknown id). They sit on their own
        -- customer's shard, as in the Go engine's part (a note naming a
        -- known invoice is that invoice's: kpi_rows).
        SELECT
            toUInt8(4) AS kind, customer_id, invoice_id,
            toInt32(0) AS r_issue, toInt32(0) AS r_due, toInt32(0) AS r_settled,
            {{template "cents" "amount"}} AS r_cents, toUInt8(0) AS r_flag, toInt32(0) AS r_month,
            '' AS r_attr, toInt32(note_date) AS r_day, toInt32(0) AS r_day2{{if .FX}}, '' AS r_cur, '' AS r_id{{end}}
        FROM {{.DB}}credit_notes FINAL
        WHERE r_day <= @to AND (invoice_id = '' OR invoice_id NOT IN (SELECT invoice_id FROM {{.AllDB}}invoices FINAL))
    )
    GROUP BY customer_id, invoice_id
{{end}}

{{/* kpi_rows: kpi_links with the credit notes on each invoice (by invoice
id alone, whoever's they are, as the Go index files them) and the
customer's grouping attribute. */}}
{{define "kpi_rows"}}
    SELECT
        customer_id, invoice_id, has_inv, issue, due, settled, cents, disputed, issue_month, inv_attr,
        pay_days, pay_cents, dsp_opened, dsp_resolved, prm_promised, prm_kept, ucn_days, ucn_cents, cn_days, cn_cents, cn_wo, cn_disc
        {{- if .Attr}}, c_attr{{end}}
        {{- if .FX}}, inv_own_cur, pay_ids, pay_curs, cn_ids{{end}}
    FROM
    (
        SELECT
            customer_id, invoice_id, has_inv, issue, due, settled, cents, disputed, issue_month, inv_attr,
            pay_days, pay_cents, dsp_opened, dsp_resolved, prm_promised, prm_kept, ucn_days, ucn_cents, cn_days, cn_cents, cn_wo, cn_disc
            {{- if .FX}}, inv_own_cur, pay_ids, pay_curs, cn_ids{{end}}
        FROM ({{template "kpi_links" .}}) AS links
        ANY LEFT JOIN
        (
            SELECT
                invoice_id,
                groupArray(toInt32(note_date)) AS cn_days,
                groupArray({{template "cents" "amount"}}) AS cn_cents,
                groupArray(toUInt8(kind = @write_off)) AS cn_wo,
                -- A cash discount the importer derived from a payment's
                -- discount column (importer.DiscountPrefix and
                -- DiscountReason; features.derivedDiscount).
                groupArray(toUInt8(substring(credit_note_id, 1, 9) = 'discount:'
                    AND reason = 'cash discount taken with the payment')) AS cn_disc{{if .FX}},
                groupArray(credit_note_id) AS cn_ids{{end}}
            FROM {{.AllDB}}credit_notes FINAL
            WHERE invoice_id != ''
            GROUP BY invoice_id
        ) AS notes
        USING invoice_id
    ) AS noted
    {{- if .Attr}}
    ANY LEFT JOIN
    (
        SELECT customer_id, {{.Attr}} AS c_attr FROM {{.DB}}customers FINAL
    ) AS master
    USING customer_id
    {{- end}}
{{end}}

{{/* kpi_vectors: each row's share of the sums, as arrays: one element per
period (flows), per bound (receivables by aging bucket); the sales histogram as a month
and an amount. An invoice counts once issued by @to (counted); what it
still owes at bound b is outs[b]. */}}
{{define "kpi_vectors"}}
    SELECT
        {{- if .ByCustomer}}
        customer_id AS gkey,
        {{- else if .CustomerOnly}}
        c_attr AS gkey,
        {{- else if .Attr}}
        if(has_inv AND inv_attr != '', inv_attr, c_attr) AS gkey,
        {{- else}}
        '' AS gkey,
        {{- end}}
        has_inv, issue, due, settled, cents, disputed, issue_month,
        pay_days, pay_cents, dsp_opened, dsp_resolved, prm_promised, prm_kept, ucn_days, ucn_cents, cn_days, cn_cents, cn_wo, cn_disc, implied_cents,
        has_inv AND issue <= @to AS counted,
        range(length(@pfrom)) AS periods,
        arrayMap(k -> counted AND issue >= @pfrom[k + 1] AND issue <= @pto[k + 1], periods) AS issued_in,
        arrayMap(k -> counted AND settled != 0 AND settled >= @pfrom[k + 1] AND settled <= @pto[k + 1], periods) AS settled_in,
        -- What of the credit notes dated by each bound counts twice
        -- (customerIndex.coverOverlap): a discount derived from a payment
        -- and a ledger note of the same amount are one credit. Each
        -- discount of amount c > 0 dated by the bound, the k-th of its
        -- amount in the array, duplicates a note when at least k ledger
        -- notes of that amount are dated by it: min(discounts, notes) of
        -- each amount, in Int64 as Go's Money.
        arrayEnumerate(cn_days) AS cn_idx,
        arrayMap(b -> arraySum(arrayMap((d, c, x, k) -> if(x = 1 AND d <= b AND c > 0
                AND arrayCount((d2, c2, x2, k2) -> x2 = 1 AND d2 <= b AND c2 = c AND k2 <= k, cn_days, cn_cents, cn_disc, cn_idx)
                    <= arrayCount((d2, c2, x2) -> x2 = 0 AND d2 <= b AND c2 = c, cn_days, cn_cents, cn_disc),
                c, toInt64(0)), cn_days, cn_cents, cn_disc, cn_idx)), @bounds) AS ovl,
        -- What the invoice owes at each bound: nothing once settled, else its
        -- amount less the linked payments and credit notes by then, what
        -- counts twice counted once, never below zero
        -- (customerIndex.kpiOutstanding).
        arrayMap((b, o) -> if(NOT counted OR issue > b OR (settled != 0 AND settled <= b), toInt64(0),
            greatest(cents + o
                - arraySum(arrayMap((d, c) -> if(d <= b, c, toInt64(0)), pay_days, pay_cents))
                - arraySum(arrayMap((d, c) -> if(d <= b, c, toInt64(0)), cn_days, cn_cents)), toInt64(0))), @bounds, ovl) AS outs,
        -- What the invoice's own records dated by each bound cover beyond
        -- its amount (its amount once issued by then: all of it is on
        -- account before), settled or not, exactly (kpiPlan.overpaid). The
        -- implied write-offs are no cover: they are not among the notes.
        arrayMap((b, o) -> if(has_inv, greatest(
            arrayReduce('sum', arrayMap((d, c) -> toDecimal128(if(d <= b, c, toInt64(0)), 0), pay_days, pay_cents))
            + arrayReduce('sum', arrayMap((d, c) -> toDecimal128(if(d <= b, c, toInt64(0)), 0), cn_days, cn_cents))
            - toDecimal128(o, 0) - toDecimal128(if(issue <= b, cents, toInt64(0)), 0), toDecimal128(0, 0)), toDecimal128(0, 0)),
            @bounds, ovl) AS v_overpaid,
        -- AgingBucket of each bound.
        arrayMap(b -> multiIf(b - due <= 0, 0, b - due <= 30, 1, b - due <= 60, 2, b - due <= 90, 3, 4), @bounds) AS buckets,

        arrayMap(f -> toDecimal128(if(f, cents, toInt64(0)), 0), issued_in) AS v_invoiced,
        arrayMap(f -> toInt64(f), issued_in) AS v_issued,
        arrayMap(f -> toInt64(f AND disputed), issued_in) AS v_issued_disputed,
        -- Collected: the payments dated in the period; on a ledger without
        -- payment records (a cleared-items export), what each settlement in
        -- the period cleared instead: the amount less the linked payments
        -- (none) and credit notes dated by the settlement, never below zero
        -- (customerIndex.cleared, KPIs.CollectedBasis). One of the two
        -- terms is always zero.
        greatest(cents
            - arraySum(arrayMap((d, c) -> if(d <= settled, c, toInt64(0)), pay_days, pay_cents))
            - arraySum(arrayMap((d, c) -> if(d <= settled, c, toInt64(0)), cn_days, cn_cents)), toInt64(0)) AS cleared_cents,
        arrayMap((k, f) -> arrayReduce('sum', arrayMap((d, c) -> toDecimal128(if(d >= @pfrom[k + 1] AND d <= @pto[k + 1], c, toInt64(0)), 0),
            pay_days, pay_cents)) + toDecimal128(if(f AND @payments_known = 0, cleared_cents, toInt64(0)), 0), periods, settled_in) AS v_collected,
        arrayMap(f -> toInt64(f), settled_in) AS v_settled,
        arrayMap(f -> toInt64(f AND settled > due), settled_in) AS v_late,
        -- Mostly written off (datasets.Invoice.MostlyWrittenOff): the
        -- write-off notes on the invoice dated by its settlement, real or
        -- implied (a write-off unless the invoice is flagged disputed),
        -- come to at least half its amount (Go's v.Amount − v.Amount/2;
        -- intDiv truncates as Go does); a sum that does not fit a Money
        -- counts, as Go's overflowing sum does. Settled, late when after
        -- the due date, but never paid: no days to pay.
        arrayReduce('sum', arrayMap((d, c, w) -> toDecimal128(if(w AND d <= settled, c, toInt64(0)), 0), cn_days, cn_cents, cn_wo))
            + toDecimal128(if(NOT disputed, implied_cents, toInt64(0)), 0) AS wo_cents,
        settled != 0 AND (wo_cents > toDecimal128(9223372036854775807, 0) OR wo_cents < toDecimal128(toInt64(-9223372036854775808), 0)
            OR (wo_cents > toDecimal128(0, 0) AND wo_cents >= toDecimal128(cents - intDiv(cents, 2), 0))) AS written_off,
        arrayMap(f -> f AND NOT written_off, settled_in) AS paid_in,
        arrayMap(f -> toInt64(f AND written_off), settled_in) AS v_written_off,
        arrayMap(f -> toInt64(if(f, settled - issue, 0)), paid_in) AS v_pay_days,
        arrayMap(f -> toDecimal128(if(f, cents, toInt64(0)), 0), paid_in) AS v_pay_amount,
        arrayMap(f -> toDecimal128(if(f, cents, toInt64(0)), 0) * (settled - issue), paid_in) AS v_pay_weighted,
        arrayMap(k -> toInt64(arrayCount(o -> o >= @pfrom[k + 1] AND o <= @pto[k + 1], dsp_opened)), periods) AS v_disputes_opened,
        -- A resolution counts when dated on or after the opening.
        arrayMap(k -> toInt64(arrayCount((o, r) -> r >= o AND r >= @pfrom[k + 1] AND r <= @pto[k + 1], dsp_opened, dsp_resolved)),
            periods) AS v_resolved,
        arrayMap(k -> toInt64(arraySum((o, r) -> if(r >= o AND r >= @pfrom[k + 1] AND r <= @pto[k + 1], r - o, 0), dsp_opened, dsp_resolved)),
            periods) AS v_resolution_days,
        arrayMap(k -> toInt64(arrayCount((p, f) -> f AND p >= @pfrom[k + 1] AND p <= @pto[k + 1], prm_promised, prm_kept)), periods) AS v_kept,
        arrayMap(k -> toInt64(arrayCount((p, f) -> NOT f AND p >= @pfrom[k + 1] AND p <= @pto[k + 1], prm_promised, prm_kept)), periods) AS v_broken,
        -- Recovery: over invoices more than 90 days past due at the period's
        -- opening, what was owed then, and what was taken off by its close,
        -- write-offs dated in the period excluded (implied ones too), never
        -- below zero.
        arrayMap(k -> outs[@popen[k + 1] + 1] > 0 AND @bounds[@popen[k + 1] + 1] - due > 90, periods) AS old_debt,
        arrayMap((k, f) -> toDecimal128(if(f, outs[@popen[k + 1] + 1], toInt64(0)), 0), periods, old_debt) AS v_rec_base,
        arrayMap((k, f) -> if(f,
            greatest(toDecimal128(outs[@popen[k + 1] + 1], 0) - toDecimal128(outs[@pclose[k + 1] + 1], 0)
                - arrayReduce('sum', arrayMap((d, c, w) -> toDecimal128(if(w AND d > @bounds[@popen[k + 1] + 1] AND d <= @bounds[@pclose[k + 1] + 1], c, toInt64(0)), 0),
                    cn_days, cn_cents, cn_wo))
                - toDecimal128(if(NOT disputed AND settled > @bounds[@popen[k + 1] + 1] AND settled <= @bounds[@pclose[k + 1] + 1],
                    implied_cents, toInt64(0)), 0),
                toDecimal128(0, 0)),
            toDecimal128(0, 0)), periods, old_debt) AS v_recovered,
        {{- range $q := .Buckets}}
        arrayMap((o, q) -> toDecimal128(if(q = {{$q}}, o, toInt64(0)), 0), outs, buckets) AS v_aging{{$q}},
        {{- end}}
        -- On account at each bound, reducing no invoice: the payments of a
        -- row without an invoice (naming none of the customer's) dated by
        -- the bound, less what of them an invoice settled by then took
        -- (kpi_implied: what it still owed when cleared, its implied
        -- write-off taken off; only on a ledger with payments), and the
        -- unapplied credit notes dated by the bound.
        arrayMap(b -> arrayReduce('sum', arrayMap((d, c) -> toDecimal128(if(NOT has_inv AND d <= b, c, toInt64(0)), 0),
            pay_days, pay_cents))
            - toDecimal128(if(counted AND @payments_known = 1 AND settled != 0 AND settled <= b, cleared_cents - implied_cents, toInt64(0)), 0),
            @bounds) AS v_unapplied_cash,
        arrayMap(b -> arrayReduce('sum', arrayMap((d, c) -> toDecimal128(if(d <= b, c, toInt64(0)), 0),
            ucn_days, ucn_cents)), @bounds) AS v_unapplied_credits,
        -- The month of the sales histogram the invoice falls in, if any,
        -- and its amount: summed by sumMap, one entry per month.
        counted AND issue >= @hist_start AS in_hist,
        arraySlice([toUInt32(issue_month - @hist_base)], 1, in_hist) AS hist_month,
        arraySlice([toDecimal128(cents, 0)], 1, in_hist) AS hist_cents
    FROM ({{if .FX}}{{template "kpi_fx_rows" .}}{{else}}{{template "kpi_rows" .}}{{end}}) AS rows
    ANY LEFT JOIN ({{template "kpi_implied" .}}) AS implied
    USING customer_id, invoice_id
{{end}}

{{/* kpi_implied: settled is not paid (datasets.ImpliedWriteOffs). On a
ledger with payments (@payments_known), per customer and settled invoice,
the credit implied at the settlement: what the invoice's own payments and
credit notes dated by its settlement leave uncovered (its shortfall), less
what the customer's unallocated cash (positive payments naming no invoice
of its own) covers. That cash goes to the shortfalls in the order of their
settlement (then invoice id): with S(k) the sum of the first k shortfalls
and P(k) the cash received by the k-th settlement, the first k take
A(k) = min(A(k−1) + shortfall(k), P(k)), which is min(S(k), min over
j = 1..k of S(k) − S(j) + P(j)) (no recursion in 18.16's SQL). Only the
recovery and the written-off count read it: once settled, an invoice owes
nothing anyway. Payments are read up to @to, which holds every one dated
by a settlement a period can see; a later settlement does not change an
earlier one's share. */}}
{{define "kpi_implied"}}
    SELECT customer_id, invoice_id, implied_cents
    FROM
    (
        SELECT
            customer_id,
            arraySort(groupArrayIf((settled, invoice_id, shortfall), has_inv AND settled != 0 AND settled <= @to AND shortfall > 0)) AS short_invs,
            groupArrayArray(unallocated_days) AS pool_days,
            groupArrayArray(unallocated_cents) AS pool_cents,
            arrayMap(x -> tupleElement(x, 3), short_invs) AS shorts,
            arrayCumSum(shorts) AS cum_short,
            -- (The lengths in the slices below read outside a lambda what
            -- a lambda reads, so that 18.16 keeps it: every slice is whole.)
            arrayMap(x -> arraySum(arrayMap((d, c) -> if(d <= tupleElement(x, 1) AND c > 0, c, toInt64(0)), pool_days, pool_cents)),
                arraySlice(short_invs, 1, length(pool_days) + length(pool_cents) + length(short_invs))) AS received,
            arrayMap(x -> toUInt32(x + 1), range(length(short_invs))) AS idx,
            arrayMap(k -> least(cum_short[k], arrayReduce('min', arrayMap(j -> cum_short[k] - cum_short[j] + received[j], arrayMap(x -> x + 1, range(k))))),
                arraySlice(idx, 1, length(cum_short) + length(received))) AS taken,
            arrayMap(k -> shorts[k] - (taken[k] - if(k = 1, toInt64(0), taken[k - 1])),
                arraySlice(idx, 1, length(shorts) + length(taken))) AS implied
        FROM
        (
            -- Every column read in a lambda is also read outside one
            -- (18.16 drops the others from the subquery: see kpi).
            SELECT
                customer_id, invoice_id, has_inv, settled,
                if(has_inv, emptyArrayInt32(), pay_days) AS unallocated_days,
                if(has_inv, emptyArrayInt64(), pay_cents) AS unallocated_cents,
                if(has_inv AND settled != 0 AND length(cn_days) = length(cn_cents),
                    cents
                    - arraySum(arrayMap((d, c) -> if(d <= settled, c, toInt64(0)), pay_days, pay_cents))
                    - arraySum(arrayMap((d, c) -> if(d <= settled, c, toInt64(0)), cn_days, cn_cents)),
                    toInt64(0)) AS shortfall
            {{- if .FX}}
            -- Converted first (kpi_fx_rows), then implied: the rows hold
            -- the same records as the links and notes below.
            FROM ({{template "kpi_fx_rows" .}}) AS fx_rows
            WHERE @payments_known = 1
            {{- else}}
            FROM
            (
                SELECT
                    customer_id,
                    invoice_id,
                    max(kind = 0) AS has_inv,
                    anyIf(r_settled, kind = 0) AS settled,
                    anyIf(r_cents, kind = 0) AS cents,
                    groupArrayIf(r_day, kind = 1) AS pay_days,
                    groupArrayIf(r_cents, kind = 1) AS pay_cents
                FROM
                (
                    SELECT toUInt8(0) AS kind, customer_id, invoice_id, toInt32(settled_date) AS r_settled,
                        {{template "cents" "amount"}} AS r_cents, toInt32(0) AS r_day
                    FROM {{.DB}}invoices FINAL
                    WHERE @payments_known = 1
                    UNION ALL
                    SELECT toUInt8(1) AS kind, customer_id, invoice_id, toInt32(0) AS r_settled,
                        {{template "cents" "amount"}} AS r_cents, toInt32(payment_date) AS r_day
                    FROM {{.DB}}payments FINAL
                    WHERE @payments_known = 1 AND r_day <= @to
                )
                GROUP BY customer_id, invoice_id
            ) AS links
            ANY LEFT JOIN
            (
                SELECT
                    invoice_id,
                    groupArray(toInt32(note_date)) AS cn_days,
                    groupArray({{template "cents" "amount"}}) AS cn_cents
                FROM {{.AllDB}}credit_notes FINAL
                WHERE @payments_known = 1 AND invoice_id != ''
                GROUP BY invoice_id
            ) AS notes
            USING invoice_id
            {{- end}}
        )
        GROUP BY customer_id
        HAVING length(short_invs) > 0
    )
    ARRAY JOIN
        arrayMap(x -> tupleElement(x, 2), short_invs) AS invoice_id,
        implied AS implied_cents
    WHERE implied_cents > 0
{{end}}

{{/* kpi: the sums per group key. Money as text (Decimal128), counts as
Int64. lambda_inputs is no sum: 18.16 drops from a subquery the columns
that only a lambda reads unless the outer query reads them too, which it
does here (the caller ignores the value). */}}
{{define "kpi"}}
    SELECT
        gkey,
        max(cityHash64(has_inv, issue, due, settled, cents, disputed, issue_month, pay_days, pay_cents,
            dsp_opened, dsp_resolved, prm_promised, prm_kept, ucn_days, ucn_cents, cn_days, cn_cents, cn_wo, cn_disc, implied_cents)) AS lambda_inputs
        {{- range .Money}},
        arrayMap(x -> toString(x), sumForEach(v_{{.}})) AS sum_{{.}}
        {{- end}}
        {{- range .Counts}},
        arrayMap(x -> toInt64(x), sumForEach(v_{{.}})) AS sum_{{.}}
        {{- end}},
        -- One sumMap: ClickHouse computes an aggregate written twice once.
        tupleElement(sumMap(hist_month, hist_cents), 1) AS sum_hist_months,
        arrayMap(x -> toString(x), tupleElement(sumMap(hist_month, hist_cents), 2)) AS sum_hist
    FROM ({{template "kpi_vectors" .}})
    GROUP BY gkey
{{end}}

{{/* kpi_currencies: the currencies the ledger's amounts are in, as
datasets.Ledger.Currencies lists them: each invoice's own currency, else its
customer's; each payment's own, else its invoice's (by invoice id), else its
customer's; and the customer's for a credit limit other than zero. A
customer's currency is its master record's, else that of its invoice with
the lowest id that has one. It reads the whole ledger (.AllDB): an invoice
id is looked up across customers. The result may hold '' (amounts with no
currency anywhere), which the caller drops. */}}
{{define "kpi_customer_currency"}}{{template "customer_currency_in" .AllDB}}{{end}}

{{/* customer_currency_in: each customer's currency, from the tables of
the database prefix it is given (dot: .AllDB for the whole ledger, .DB for
one shard's). */}}
{{define "customer_currency_in"}}
    SELECT customer_id, if(m_cur != '', m_cur, i_cur) AS cust_cur
    FROM
    (
        SELECT customer_id, any(currency) AS m_cur FROM {{.}}customers FINAL WHERE currency != '' GROUP BY customer_id
    ) AS m
    ANY FULL OUTER JOIN
    (
        SELECT customer_id, argMin(currency, invoice_id) AS i_cur FROM {{.}}invoices FINAL WHERE currency != '' GROUP BY customer_id
    ) AS i
    USING customer_id
{{end}}
{{define "kpi_currencies"}}
    SELECT DISTINCT cur
    FROM
    (
        -- Every invoice's currency is in the set (its own, else its
        -- customer's), so a payment that names an invoice adds nothing new.
        SELECT currency AS cur FROM {{.AllDB}}invoices FINAL WHERE currency != ''
        UNION ALL
        SELECT currency AS cur FROM {{.AllDB}}payments FINAL WHERE currency != ''
        UNION ALL
        SELECT cust_cur AS cur
        FROM
        (
            SELECT DISTINCT customer_id
            FROM
            (
                SELECT customer_id FROM {{.AllDB}}customers FINAL WHERE credit_limit != 0
                UNION ALL
                SELECT customer_id FROM {{.AllDB}}invoices FINAL WHERE currency = ''
                UNION ALL
                SELECT customer_id FROM {{.AllDB}}payments FINAL
                WHERE currency = '' AND (invoice_id = '' OR invoice_id GLOBAL NOT IN
                (
                    -- Only the ids such payments name: usually none.
                    SELECT invoice_id FROM {{.AllDB}}invoices
                    WHERE invoice_id GLOBAL IN (SELECT invoice_id FROM {{.AllDB}}payments WHERE currency = '')
                ))
            )
        ) AS needed
        ANY LEFT JOIN ({{template "kpi_customer_currency" .}}) AS cc
        USING customer_id
    )
    ORDER BY cur
{{end}}

{{/* implied_summary: the write-offs kpi_implied implies over the whole
ledger (@to: the last day a date can be), by currency (the invoice's, else
its customer's): how many, how many of them on invoices flagged disputed
(a dispute credit, as datasets.ImpliedWriteOffs makes them), and how much,
as Decimal128 text. dsopilot kpi tells the user what it took as written
off; the Go engine counts the notes it adds (cmd/dsopilot's settle). */}}
{{define "implied_summary"}}
    SELECT
        if(inv_cur != '', inv_cur, cust_cur) AS cur,
        toUInt64(count()) AS n,
        toUInt64(sum(disputed)) AS credited,
        toString(sum(toDecimal128(implied_cents, 0))) AS cents
    FROM
    (
        SELECT customer_id, invoice_id, implied_cents, inv_cur, disputed
        FROM ({{template "kpi_implied" .}}) AS implied
        ANY LEFT JOIN
        (
            SELECT customer_id, invoice_id, currency AS inv_cur, disputed FROM {{.DB}}invoices FINAL
        ) AS inv
        USING customer_id, invoice_id
    ) AS imp
    ANY LEFT JOIN
    (
        SELECT customer_id, any(currency) AS cust_cur FROM {{.DB}}customers FINAL GROUP BY customer_id
    ) AS cust
    USING customer_id
    GROUP BY cur
    ORDER BY cur
{{end}}
