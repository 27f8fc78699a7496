{{/*
ledger.sql: the building blocks of the feature queries, as text/template
definitions. Each block summarises ledger tables per customer (or per
invoice) as of the end of day t, reading every table with FINAL, so that
every id counts once, in its newest version (known_customers apart, where
a repeat changes nothing).

Query parameters, bound by the driver (never spliced into the text here):
  @t       the as-of date, as a day number (days since 1970-01-01)
  @grace   GraceDays: late means settled after due_date + @grace
  @w0..@wN the history windows in days, one per .Windows entry (@w<K>)
  @wmax    the longest window
  @respond ResponseDays: how long after a dunning action a payment or a
           promise counts as its answer
  @has_disputes, @flags_from, @disp_after  whether the ledger has dispute
           records; if not, the date from which the invoices' undated
           disputed flag is known, and the assumed days from issue to a
           dispute (-1: no assumption); open_invoices.sql only
  @wait    the action type of a holdout's decision to wait
           (datasets.ActionWait), which is no dunning action
  @ids     the customers asked for (only when .Filter)

Template data: .DB is the quoted database name and a dot (or empty for the
connection's database; on a cluster, one shard's local tables), .Windows
lists {K, Days, Sfx} per window, .Filter
says whether @ids restricts the customers, .Unfold whether the summaries
are those of the customers with an open invoice only, carrying the open
invoices as arrays and the invoice ids of the disputes open at t (for
open_invoices.sql), .Parts in how many parts the customers are cut by
ranges of their ids, .Lo to .Hi-1 the parts this query covers (the engine
runs the whole-ledger queries as several, side by side: queryData in
sqlengine.go), each a SELECT of the ledger summary (customer_ledger_parts),
.Part which part a block is, and .From and .To the names of the
parameters bounding the customer ids of the query, or of the part (from,
inclusive, to, exclusive; none below the first part and above the last:
partBounds in sqlparts.go).

How the customer query is laid out is set by what ClickHouse 18.16 costs,
measured on the 1M-invoice benchmark ledger (BenchmarkSQLStages,
docs/scaling.md): the invoice match is read once, already gathered per
customer at import (customer_match, read by customer_rows), so that no
GROUP BY runs over its rows at query time; the large per-customer summary stays on the left of
the one join that adds the small ones (summary_source) and is nested in
as few SELECTs as possible, since 18.16 analyses a subquery again for
every SELECT above it; and the engine keeps GROUP BYs single-level
(withFeatureSettings in sqlengine.go).

Dates are compared as day numbers (toInt32 of a Date), where 0 is an unset
date, exactly as datasets.Date. Money is summed in cents (Int64) and turned
into currency units only at the end, as cents / 100, which is what Go's
Money.Float does, so the two engines agree to the bit.
*/}}

{{/* cents converts a Decimal(18, 2) column to Int64 cents. The detour through
Decimal128 keeps "* 100" from overflowing Decimal(18, 2). */}}
{{define "cents"}}toInt64(toDecimal128({{.}}, 2) * 100){{end}}

{{/* selected restricts a table's rows to the requested customers. */}}
{{define "selected"}}{{if .Filter}}
      AND customer_id IN (SELECT arrayJoin(@ids)){{end}}{{end}}

{{/* part_range: the PREWHERE clause that keeps the customers of this part
(customer_ledger_parts) or query: a range of their ids, none when the
query covers every customer. On the
match, whose leading key the id is, the part reads only the granules in
its range (a filter by a hash of the id had each part read and decompress
the whole match). PREWHERE runs before FINAL's merge, which is right: the
versions of a row share its customer. */}}
{{define "part_range"}}
        {{- if or .From .To}}
        PREWHERE {{with .From}}customer_id >= @{{.}}{{end}}{{if and .From .To}} AND {{end}}{{with .To}}customer_id < @{{.}}{{end}}
        {{- end}}
{{- end}}

{{/* known_customers: the customers (of this part) with a master record, a
dispute or a credit decision, once per such record: so that a customer
missing from the ledger's invoices, payments, actions and promises, or
whose rows in invoice_match were all emptied, still gets a row (with
customer_ledger's defaults). Read without FINAL: an older version of a
record names the same customer, and customer_rows takes each such
customer once. Credit notes are left out: the Go engine
files them under their invoice, not their customer. */}}
{{define "known_customers"}}
        SELECT customer_id FROM {{.DB}}customers{{template "part_range" .}}
        WHERE 1{{template "selected" .}}
        UNION ALL
        SELECT customer_id FROM {{.DB}}disputes{{template "part_range" .}}
        WHERE 1{{template "selected" .}}
        UNION ALL
        SELECT customer_id FROM {{.DB}}credit_decisions{{template "part_range" .}}
        WHERE 1{{template "selected" .}}
{{end}}

{{define "master_columns"}}m_segment, m_country, m_channel, m_terms_days, m_limit_cents, m_since{{end}}
{{/* master: the customer master record. */}}
{{define "master"}}
    SELECT
        customer_id,
        segment AS m_segment,
        country AS m_country,
        channel AS m_channel,
        toInt64(terms_days) AS m_terms_days,
        {{template "cents" "credit_limit"}} AS m_limit_cents,
        toInt32(since) AS m_since
    FROM {{.DB}}customers FINAL{{template "part_range" .}}
    WHERE 1{{template "selected" .}}
{{end}}

{{/* latest_customer_rows: the customer id and version of each customer's
newest row in customer_match, when that row has records (known = 1): the
rows FINAL would read, found without FINAL. chstore writes a customer's
row once per version (a retried sync takes a new one, match.go), so the
pair names one row. FINAL's merge, single-stream, copied every array of
every customer (about 0.3 s of CPU on the 1M-invoice benchmark ledger);
this reads two small columns. customer_rows takes it with GLOBAL IN: a
query by id runs on a cluster's Distributed tables, where a plain IN over
another Distributed table is refused (distributed_product_mode); on local
tables GLOBAL IN is IN. */}}
{{define "latest_customer_rows"}}
                SELECT customer_id, max(version)
                FROM {{.DB}}customer_match{{template "part_range" .}}
                WHERE 1{{template "selected" .}}
                GROUP BY customer_id
                HAVING argMax(known, version) = 1
{{- end}}

{{/* customer_rows: one row per known customer (of this part), from
customer_match (migrations/0012_customer_match.sql), which chstore keeps up
with the ledger (the engine asks the store to sync it before each query):
per customer, its invoice match rows as parallel arrays, one element per
row (the row's invoice id, days and cents, and as nested arrays its linked
payments, the days of its dunning actions and its promises, the credit
notes and the recorded write-off notes naming its invoice id; invoice id
'': the customer's records that name no invoice). Nothing there is a state
as of a date: this SELECT filters every date by t, row by row with
lambdas over the rows' arrays, and gathers what customer_ledger reads. It
replaced a GROUP BY by customer over the match's rows (about 1.2M on the
1M-invoice benchmark ledger) read with FINAL, whose aggregate states and
single-stream merge cost the customer query about 0.9 s of the server's
CPU; customer_match has one row per customer, read without FINAL
(latest_customer_rows).

The customers known only from the other tables (known_customers: the
master, disputes, credit decisions) and without a row of known = 1 come in
as rows with no elements, which give customer_ledger's defaults; a customer
whose every match row was emptied (known = 0) and who is not among them has
no row.

Per row (arrays over the customer's rows; at_t: the row is an invoice
issued by t): paid and credited, its linked payments (by the same
customer) and the credit notes naming its invoice (whoever's: chstore puts
in each row those of its invoice id, from the whole ledger) dated by t, for
what is still owed (outstanding); window_pay_days and the partial flags of
the linked payments in the longest window (partial: smaller than the
invoice). The 90-day mark (past90Days in stats.go): due + 90; once it is by
t, whether the invoice was still owed something at its end is known:
nothing once settled by the mark, else the amount less the payments and
credit notes dated by the mark. A settled invoice's shortfall
(datasets.ImpliedWriteOffs): its amount less its payments and credit notes
dated by the settlement; and its recorded write-off notes dated by the
settlement (settled_rows keeps only the invoices settled by t with either,
the only ones customer_ledger's write-off steps read). Cash on account:
the payments dated by t of a row that is none of the customer's invoices
(naming none, or an id it has no invoice of): pool_days, pool_cents,
pool_sum_cents. The open invoices' fields (.Unfold; the sale's country,
segment and channel as '' without reading them when no version of any
match row has one, .NoSale).

The dunning counts: the row's actions and promises, and the events that
can answer or keep them, none after t: the row's payments, and its
invoice's settled date. Actions in each window, and those answered by t: a
payment linked to the action's invoice or that invoice's settlement dated
in (action_day, action_day + @respond], or a promise made in [action_day,
action_day + @respond] about the same invoice. A holdout's wait contacted
no one: the match holds no dunning action for it (chstore leaves out
datasets.ActionWait, which @wait also names). Promises made in each window
and, of those whose promised date is before t, the kept and the broken.
Kept: the invoice settled by the promised date, or the payments linked to
it dated in [made, promised] add up to the amount (at least a cent). Rows
of named invoices are counted row by row (named); the actions and promises
of invoice id '' (own_*) are read against all the customer's payments and
promises.

Types follow those of the GROUP BY this replaced (Int32 days, Int64 cents),
so that every feature is the same to the bit. */}}
{{define "customer_rows"}}
    SELECT
        customer_id,
        arrayFilter((x, a) -> a, r_invoice_id, at_t) AS invoice_ids,
        arrayFilter((x, a) -> a, r_issue, at_t) AS issue_days,
        arrayFilter((x, a) -> a, r_due, at_t) AS due_days,
        -- The settled date, or 0 when not settled by t.
        arrayFilter((x, a) -> a, arrayMap((s, st) -> if(st, s, 0), r_settled, is_settled), at_t) AS settled_or_0,
        arrayFilter((x, a) -> a, r_cents, at_t) AS amounts,
        arrayMap((a, m) -> a AND m <= @t, at_t, mark90s) AS matured90,
        arrayMap((mt, s, m, c, pc, pd, cc, cd) -> mt AND NOT (s != 0 AND s <= m)
            AND c - arraySum(arrayFilter((x, d) -> d <= m, pc, pd)) - arraySum(arrayFilter((x, d) -> d <= m, cc, cd)) > 0,
            matured90, r_settled, mark90s, r_cents, r_pay_cents, r_pay_days, r_credit_cents, r_credit_days) AS past90,
        arrayCount(matured90) AS matured90_count,
        arrayCount(past90) AS past90_count,
        arrayReduce('max', arrayFilter((m, p) -> p, mark90s, past90)) AS last_past90,
        -- The invoices settled by t with a shortfall or a recorded
        -- write-off (customer_ledger sorts them by settlement and invoice
        -- id).
        arrayFilter((x, a, st, sh, w) -> a AND st AND (sh > 0 OR w > 0),
            arrayMap((s, id, sh, w, c) -> tuple(s, id, sh, w, c), r_settled, r_invoice_id, shortfall, wo_recorded, r_cents),
            at_t, is_settled, shortfall, wo_recorded) AS settled_rows,
        arrayReduce('groupArrayArray', arrayFilter((x, v) -> v = 0, ev_pay_days, r_invoice)) AS pool_days,
        arrayReduce('groupArrayArray', arrayFilter((x, v) -> v = 0, ev_pay_cents, r_invoice)) AS pool_cents,
        arraySum(arrayMap((x, v) -> if(v = 0, arraySum(x), toInt64(0)), ev_pay_cents, r_invoice)) AS pool_sum_cents,
        {{- if .Unfold}}
        arrayFilter((x, o) -> o > 0,
            {{- if .NoSale}}
            -- No match row has a sale field (.NoSale): none read.
            arrayMap((id, i, c, f) -> tuple(id, i, c, f, '', '', ''), r_invoice_id, r_issue, r_cents, r_disputed),
            {{- else}}
            arrayMap((id, i, c, f, co, se, ch) -> tuple(id, i, c, f, co, se, ch), r_invoice_id, r_issue, r_cents, r_disputed, r_country, r_segment, r_channel),
            {{- end}}
            outstanding) AS open_invoice_rows,
        {{- end}}
        arrayFilter((d, o) -> o > 0, r_due, outstanding) AS open_due_days,
        arrayFilter(o -> o > 0, outstanding) AS open_amounts,
        -- The linked payments of the invoices at t in the longest window.
        arrayReduce('groupArrayArray', arrayFilter((x, a) -> a,
            arrayMap(pd -> arrayFilter(d -> d != 0 AND d > @t - @wmax AND d <= @t, pd), r_pay_days), at_t)) AS linked_pay_days,
        arrayReduce('groupArrayArray', arrayFilter((x, a) -> a,
            arrayMap((pc, pd, c) -> arrayMap(y -> y < c, arrayFilter((y, d) -> d != 0 AND d > @t - @wmax AND d <= @t, pc, pd)),
                r_pay_cents, r_pay_days, r_cents), at_t)) AS linked_pay_partial,
        -- Payment dates are never negative: 0 stands for none.
        arrayReduce('max', arrayPushBack(arrayMap(x -> arrayReduce('max', arrayPushBack(x, toInt32(0))), ev_pay_days), toInt32(0))) AS last_payment,
        -- Per action of a row, whether it was answered by t, and per
        -- promise whether it was kept (its promised date before t).
        arrayMap((a, es, ep, m) -> arrayMap(d -> (es > d AND es <= least(d + @respond, @t))
                OR arrayExists(p -> p > d AND p <= least(d + @respond, @t), ep)
                OR arrayExists(x -> x >= d AND x <= least(d + @respond, @t), m), a),
            acts, ev_settled, ev_pay_days, made) AS answered,
        arrayMap((m, u, o, es, ep, epc) -> arrayMap((d, uu, c) -> uu < @t AND ((es != 0 AND es <= uu)
                OR arraySum(arrayMap((p, pc) -> if(p >= d AND p <= uu, pc, toInt64(0)), ep, epc)) >= greatest(c, toInt64(1))), m, u, o),
            made, until, owed, ev_settled, ev_pay_days, ev_pay_cents) AS kept,
        -- The actions and promises of invoice id '', answered and kept
        -- against all the customer's payments and promises.
        arrayReduce('groupArrayArray', ev_pay_days) AS all_pay_days,
        arrayReduce('groupArrayArray', ev_pay_cents) AS all_pay_cents,
        arrayReduce('groupArrayArray', made) AS all_made,
        arrayReduce('groupArrayArray', arrayFilter((x, n) -> NOT n, acts, named)) AS own_acts,
        arrayReduce('groupArrayArray', arrayFilter((x, n) -> NOT n, made, named)) AS own_made,
        arrayReduce('groupArrayArray', arrayFilter((x, n) -> NOT n, until, named)) AS own_until,
        arrayReduce('groupArrayArray', arrayFilter((x, n) -> NOT n, owed, named)) AS own_owed,
        arrayMap(d -> arrayExists(p -> p > d AND p <= least(d + @respond, @t), all_pay_days)
            OR arrayExists(m -> m >= d AND m <= least(d + @respond, @t), all_made), own_acts) AS own_answered,
        arrayMap((d, u, c) -> u < @t AND
            arraySum(arrayMap((p, pc) -> if(p >= d AND p <= u, pc, toInt64(0)), all_pay_days, all_pay_cents)) >= greatest(c, toInt64(1)),
            own_made, own_until, own_owed) AS own_kept
        {{- range .Windows}},
        arraySum(arrayMap((n, a) -> if(n, arrayCount(d -> d > @t - @w{{.K}}, a), 0), named, acts))
            + arrayCount(d -> d > @t - @w{{.K}}, own_acts) AS w{{.K}}_actions,
        arraySum(arrayMap((n, a, an) -> if(n, arrayCount((d, x) -> x AND d > @t - @w{{.K}}, a, an), 0), named, acts, answered))
            + arrayCount((d, x) -> x AND d > @t - @w{{.K}}, own_acts, own_answered) AS w{{.K}}_responses,
        arraySum(arrayMap((n, m) -> if(n, arrayCount(d -> d > @t - @w{{.K}}, m), 0), named, made))
            + arrayCount(d -> d > @t - @w{{.K}}, own_made) AS w{{.K}}_promises,
        arraySum(arrayMap((n, m, k) -> if(n, arrayCount((d, x) -> x AND d > @t - @w{{.K}}, m, k), 0), named, made, kept))
            + arrayCount((d, x) -> x AND d > @t - @w{{.K}}, own_made, own_kept) AS w{{.K}}_kept,
        -- Those whose promised date is before t, less the kept.
        arraySum(arrayMap((n, m, u) -> if(n, arrayCount((d, x) -> d > @t - @w{{.K}} AND x < @t, m, u), 0), named, made, until))
            + arrayCount((d, x) -> d > @t - @w{{.K}} AND x < @t, own_made, own_until) - w{{.K}}_kept AS w{{.K}}_broken
        {{- end}}
    FROM
    (
        -- Row by row, what the gathering above reads more than once, as
        -- columns: 18.16 writes an alias out in full wherever it is used,
        -- and analysed those of one SELECT at about 0.2 s per query.
        SELECT
            customer_id, r_invoice_id, r_invoice, r_issue, r_due, r_settled, r_cents, r_disputed,
            {{- if .Unfold}}{{if not .NoSale}} r_country, r_segment, r_channel,{{end}}{{end}}
            r_pay_days, r_pay_cents, r_credit_days, r_credit_cents,
            arrayMap((v, d) -> v = 1 AND d <= @t, r_invoice, r_issue) AS at_t,
            arrayMap(s -> s != 0 AND s <= @t, r_settled) AS is_settled,
            arrayMap((pc, pd) -> arraySum(arrayFilter((c, d) -> d <= @t, pc, pd)), r_pay_cents, r_pay_days) AS paid,
            arrayMap((cc, cd) -> arraySum(arrayFilter((c, d) -> d <= @t, cc, cd)), r_credit_cents, r_credit_days) AS credited,
            -- What is still owed at t on an invoice issued by t: nothing once
            -- settled by t, else the amount less the linked payments and the
            -- credit notes dated by t, never below zero.
            arrayMap((a, s, c, p, cr) -> if(a AND NOT s, greatest(c - p - cr, toInt64(0)), toInt64(0)),
                at_t, is_settled, r_cents, paid, credited) AS outstanding,
            arrayMap(d -> d + 90, r_due) AS mark90s,
            arrayMap((a, st, c, s, pc, pd, cc, cd) -> if(a AND st,
                    c - arraySum(arrayFilter((x, d) -> d <= s, pc, pd)) - arraySum(arrayFilter((x, d) -> d <= s, cc, cd)), toInt64(0)),
                at_t, is_settled, r_cents, r_settled, r_pay_cents, r_pay_days, r_credit_cents, r_credit_days) AS shortfall,
            arrayMap((a, st, s, wc, wd) -> if(a AND st, arraySum(arrayFilter((x, d) -> d <= s, wc, wd)), toInt64(0)),
                at_t, is_settled, r_settled, r_wo_cents, r_wo_days) AS wo_recorded,
            arrayMap(pd -> arrayFilter(d -> d <= @t, pd), r_pay_days) AS ev_pay_days,
            arrayMap((pc, pd) -> arrayFilter((c, d) -> d <= @t, pc, pd), r_pay_cents, r_pay_days) AS ev_pay_cents,
            arrayMap(x -> arrayFilter(d -> d != 0 AND d <= @t, x), r_action_days) AS acts,
            arrayMap(x -> arrayFilter(d -> d != 0 AND d <= @t, x), r_promise_days) AS made,
            arrayMap((u, p) -> arrayFilter((x, d) -> d != 0 AND d <= @t, u, p), r_promised_days, r_promise_days) AS until,
            arrayMap((o, p) -> arrayFilter((x, d) -> d != 0 AND d <= @t, o, p), r_promise_cents, r_promise_days) AS owed,
            arrayMap((v, s) -> if(v = 1, s, 0), r_invoice, r_settled) AS ev_settled,
            arrayMap(id -> id != '', r_invoice_id) AS named
        FROM
        (
            SELECT
                customer_id, r_invoice_id, r_invoice, r_issue, r_due, r_settled, r_cents, r_disputed,
                {{- if .Unfold}}{{if not .NoSale}} r_country, r_segment, r_channel,{{end}}{{end}}
                r_pay_days, r_pay_cents, r_action_days, r_promise_days, r_promised_days, r_promise_cents,
                r_credit_days, r_credit_cents, r_wo_days, r_wo_cents
            FROM {{.DB}}customer_match{{template "part_range" .}}
            WHERE (customer_id, version) GLOBAL IN ({{template "latest_customer_rows" .}}){{template "selected" .}}
            UNION ALL
            -- A customer known from the other tables only: a row with no
            -- elements.
            SELECT
                customer_id, CAST('[]' AS Array(String)), CAST('[]' AS Array(UInt8)), CAST('[]' AS Array(Int32)),
                CAST('[]' AS Array(Int32)), CAST('[]' AS Array(Int32)), CAST('[]' AS Array(Int64)), CAST('[]' AS Array(UInt8)),
                {{- if .Unfold}}{{if not .NoSale}} CAST('[]' AS Array(String)), CAST('[]' AS Array(String)), CAST('[]' AS Array(String)),{{end}}{{end}}
                CAST('[]' AS Array(Array(Int32))), CAST('[]' AS Array(Array(Int64))), CAST('[]' AS Array(Array(Int32))),
                CAST('[]' AS Array(Array(Int32))), CAST('[]' AS Array(Array(Int32))), CAST('[]' AS Array(Array(Int64))),
                CAST('[]' AS Array(Array(Int32))), CAST('[]' AS Array(Array(Int64))), CAST('[]' AS Array(Array(Int32))),
                CAST('[]' AS Array(Array(Int64)))
            FROM
            (
                SELECT customer_id
                FROM ({{template "known_customers" .}})
                WHERE customer_id GLOBAL NOT IN
                (
                    SELECT customer_id FROM ({{template "latest_customer_rows" .}})
                )
                GROUP BY customer_id
            )
        ) AS customer_match_rows
    ) AS customer_row_dates
    {{- if .Unfold}}
    -- .Unfold: only the customers with an open invoice (the engine
    -- unfolds each into one row per open invoice).
    WHERE length(open_amounts) > 0
    {{- end}}
{{end}}

{{/* open_invoice_columns: the open invoices of a customer (customer_ledger
with .Unfold), for open_invoices.sql: open_invoice_rows, an array with one
tuple per open invoice (invoice id, issue day, amount in cents, disputed
flag, sale country, segment, channel), and parallel to it open_due_days and
open_amounts (what is still owed, in cents), which the customer's features
read as well. One array of tuples, not seven arrays: seven groupArrayIf
over the match's 1M rows cost the server about twice one (80 ms against 45
ms on the benchmark ledger's match). */}}
{{define "open_invoice_columns"}}open_invoice_rows, open_due_days, open_amounts{{end}}
{{define "invoice_history_columns"}}
        {{- range .Windows}}
        w{{.K}}_issued, w{{.K}}_issued_cents, w{{.K}}_settled, w{{.K}}_settled_cents, w{{.K}}_late, w{{.K}}_late_cents, w{{.K}}_written_off,
        w{{.K}}_dl_sum, w{{.K}}_dl_sq, w{{.K}}_dl_p50, w{{.K}}_dl_p90, w{{.K}}_dtp_sum, w{{.K}}_dtp_sq, w{{.K}}_dtp_p50, w{{.K}}_dtp_p90,
        w{{.K}}_linked, w{{.K}}_partial,
        {{- end}}
        open_count, open_cents, overdue_count, overdue_cents,
        aging0_cents, aging1_cents, aging2_cents, aging3_cents, aging4_cents, oldest_overdue, overdue_cent_days,
        first_issue, last3_count, last3_sum, matured90_count, past90_count, last_past90
        {{- if .Unfold}}, {{template "open_invoice_columns"}}{{end}}
{{- end}}
{{define "payment_columns"}}last_payment, unallocated_cents{{end}}
{{define "action_columns"}}
        {{- range $i, $w := .Windows}}{{if $i}}, {{end}}w{{.K}}_actions, w{{.K}}_responses{{end}}
{{- end}}
{{define "promise_columns"}}
        {{- range $i, $w := .Windows}}{{if $i}}, {{end}}w{{.K}}_promises, w{{.K}}_kept, w{{.K}}_broken{{end}}
{{- end}}
{{/* customer_ledger: per known customer (every one, with
known_customers' rows), from its row of customer_rows,
(1) the invoice history: the invoice counts, sums and statistics of each
window, the receivable and its aging at t (what is still owed on an
invoice: nothing once settled by t, else the amount less the linked
payments and the credit notes, linked by invoice_id alone, dated by t,
never below zero), the first issue date and the
days late of the three latest settlements; (2) the dunning counts: the
named invoices' row counts summed, plus the actions and promises of
invoice id '' read against all the customer's payments and promises;
(3) the payment summary (payment_columns): the latest payment date by t and
the cash received by t that is linked to no invoice (every payment is in
the match, under its invoice id or '').

customer_rows hands on each customer's invoices at t as parallel arrays;
the statistics are array functions over them. Lambdas capture nothing but constants and aliases of
their own SELECT: ClickHouse 18.16 does not see a subquery column that only
a lambda uses. */}}
{{define "customer_ledger"}}
    WITH
        -- Per invoice, meaningful once paid by t (settled_days != 0).
        arrayMap((s, d) -> greatest(0, s - d), settled_days, due_days) AS late_by,
        arrayMap((s, i) -> s - i, settled_days, issue_days) AS took,
        {{- range .Windows}}
        arrayMap(i -> i != 0 AND i > @t - @w{{.K}}, issue_days) AS issued_in_w{{.K}},
        arrayMap(s -> s != 0 AND s > @t - @w{{.K}}, settled_days) AS settled_in_w{{.K}},
        arrayMap((f, s, d) -> f AND s > d + @grace, settled_in_w{{.K}}, settled_days, due_days) AS late_in_w{{.K}},
        arrayFilter((x, f) -> f, late_by, settled_in_w{{.K}}) AS late_by_w{{.K}},
        arrayFilter((x, f) -> f, took, settled_in_w{{.K}}) AS took_w{{.K}},
        {{- end}}
        -- The three latest settlements, by settled date and then invoice id,
        -- both descending: those after the third-latest date, then those on
        -- it by invoice id. Only the ties are sorted by a string.
        arrayFilter(s -> s != 0, settled_days) AS done_days,
        arrayFilter((x, s) -> s != 0, late_by, settled_days) AS done_late,
        arrayFilter((id, s) -> s != 0, invoice_ids, settled_days) AS done_ids,
        if(length(done_days) < 3, 0, arrayReverseSort(done_days)[3]) AS third_day,
        arrayFilter((x, s) -> s > third_day, done_late, done_days) AS latest_late,
        arraySlice(
            arrayReverseSort((x, id) -> id,
                arrayFilter((x, s) -> s = third_day, done_late, done_days),
                arrayFilter((id, s) -> s = third_day, done_ids, done_days)),
            1, 3 - length(latest_late)) AS tied_late
    SELECT
        customer_id,
        {{- range .Windows}}
        arrayCount(issued_in_w{{.K}}) AS w{{.K}}_issued,
        arraySum((f, c) -> f * c, issued_in_w{{.K}}, amounts) AS w{{.K}}_issued_cents,
        arrayCount(settled_in_w{{.K}}) AS w{{.K}}_settled,
        arraySum((f, c) -> f * c, settled_in_w{{.K}}, amounts) AS w{{.K}}_settled_cents,
        arrayCount(late_in_w{{.K}}) AS w{{.K}}_late,
        arraySum((f, c) -> f * c, late_in_w{{.K}}, amounts) AS w{{.K}}_late_cents,
        arrayCount(d -> d > @t - @w{{.K}}, written_off_days) AS w{{.K}}_written_off,
        arraySum(late_by_w{{.K}}) AS w{{.K}}_dl_sum,
        arraySum(x -> x * x, late_by_w{{.K}}) AS w{{.K}}_dl_sq,
        -- Exact quantile: element floor(level·n) (from 0) of the sorted
        -- values, as quantileExact and the Go engine pick it.
        arraySort(late_by_w{{.K}})[toUInt64(0.5 * length(late_by_w{{.K}})) + 1] AS w{{.K}}_dl_p50,
        arraySort(late_by_w{{.K}})[toUInt64(0.9 * length(late_by_w{{.K}})) + 1] AS w{{.K}}_dl_p90,
        arraySum(took_w{{.K}}) AS w{{.K}}_dtp_sum,
        arraySum(x -> x * x, took_w{{.K}}) AS w{{.K}}_dtp_sq,
        arraySort(took_w{{.K}})[toUInt64(0.5 * length(took_w{{.K}})) + 1] AS w{{.K}}_dtp_p50,
        arraySort(took_w{{.K}})[toUInt64(0.9 * length(took_w{{.K}})) + 1] AS w{{.K}}_dtp_p90,
        arrayCount(d -> d > @t - @w{{.K}}, linked_pay_days) AS w{{.K}}_linked,
        arrayCount((d, p) -> p AND d > @t - @w{{.K}}, linked_pay_days, linked_pay_partial) AS w{{.K}}_partial,
        {{- end}}
        length(open_amounts) AS open_count,
        arraySum(open_amounts) AS open_cents,
        arrayCount(d -> d < @t, open_due_days) AS overdue_count,
        arraySum((c, d) -> if(d < @t, c, 0), open_amounts, open_due_days) AS overdue_cents,
        arraySum((c, d) -> if(@t - d <= 0, c, 0), open_amounts, open_due_days) AS aging0_cents,
        arraySum((c, d) -> if(@t - d BETWEEN 1 AND 30, c, 0), open_amounts, open_due_days) AS aging1_cents,
        arraySum((c, d) -> if(@t - d BETWEEN 31 AND 60, c, 0), open_amounts, open_due_days) AS aging2_cents,
        arraySum((c, d) -> if(@t - d BETWEEN 61 AND 90, c, 0), open_amounts, open_due_days) AS aging3_cents,
        arraySum((c, d) -> if(@t - d > 90, c, 0), open_amounts, open_due_days) AS aging4_cents,
        arrayReduce('max', arrayMap(d -> greatest(@t - d, 0), open_due_days)) AS oldest_overdue,
        -- Σ outstanding cents × days overdue, exact in Int64 as in Go.
        arraySum((c, d) -> c * toInt64(greatest(@t - d, 0)), open_amounts, open_due_days) AS overdue_cent_days,
        arrayReduce('min', arrayFilter(i -> i != 0, issue_days)) AS first_issue,
        length(latest_late) + length(tied_late) AS last3_count,
        arraySum(latest_late) + arraySum(tied_late) AS last3_sum,
        matured90_count, past90_count, last_past90,
        {{- if .Unfold}}
        -- The open invoices themselves, for open_invoices.sql.
        {{template "open_invoice_columns"}},
        {{- end}}
        {{template "payment_columns"}}, {{template "action_columns" .}}, {{template "promise_columns" .}}
    FROM
    (
        -- The write-offs in a SELECT of their own: 18.16 writes an alias
        -- out in full wherever it is used, and settled_days, which they
        -- make, is used by most of the features above (about 0.1 s of
        -- analysis per query).
        WITH
            -- Settled is not paid (datasets.ImpliedWriteOffs, as the Go index
            -- implies the notes on a ledger with payments): the customer's
            -- cash on account (pool_days, pool_cents: positive payments)
            -- covers the shortfalls of its settled invoices in the order of
            -- their settlement, then invoice id; what is left of each is
            -- implied written off (a dispute credit when the invoice is
            -- flagged disputed). Closed form as in kpi.sql's kpi_implied: with
            -- S(k) the sum of the first k shortfalls and P(k) the cash
            -- received by the k-th settlement, the first k take
            -- min(S(k), min over j ≤ k of S(k) − S(j) + P(j)). Only invoices
            -- settled by t are in settled_rows, and a later settlement never
            -- changes an earlier one's share.
            arraySort(settled_rows) AS srows,
            arrayFilter(x -> tupleElement(x, 3) > 0, srows) AS short_rows,
            arrayMap(x -> tupleElement(x, 3), short_rows) AS shorts,
            arrayCumSum(shorts) AS cum_short,
            -- (The lengths in the slices below read outside a lambda what a
            -- lambda reads, so that 18.16 keeps it: every slice is whole.)
            arrayMap(x -> arraySum(arrayMap((d, c) -> if(d <= tupleElement(x, 1) AND c > 0, c, toInt64(0)), pool_days, pool_cents)),
                arraySlice(short_rows, 1, length(pool_days) + length(pool_cents) + length(short_rows))) AS received,
            arrayMap(x -> toUInt32(x + 1), range(length(short_rows))) AS short_idx,
            arrayMap(k -> least(cum_short[k], arrayReduce('min', arrayMap(j -> cum_short[k] - cum_short[j] + received[j], arrayMap(x -> x + 1, range(k))))),
                arraySlice(short_idx, 1, length(cum_short) + length(received))) AS taken,
            arrayMap(k -> if(@payments_known = 1, shorts[k] - (taken[k] - if(k = 1, toInt64(0), taken[k - 1])), toInt64(0)),
                arraySlice(short_idx, 1, length(shorts) + length(taken))) AS implied,
            -- Mostly written off (writtenOffAt in stats.go): the recorded
            -- write-off notes dated by the settlement and the implied note,
            -- whatever the undated disputed flag, come to at least half the
            -- amount (Go's v.Amount − v.Amount/2; intDiv truncates as Go does).
            arrayFilter((x, m) -> tupleElement(x, 4) + m > 0
                AND tupleElement(x, 4) + m >= tupleElement(x, 5) - intDiv(tupleElement(x, 5), 2),
                short_rows, implied) AS short_written_off,
            arrayFilter(x -> tupleElement(x, 3) <= 0 AND tupleElement(x, 4) > 0 AND tupleElement(x, 4) >= tupleElement(x, 5) - intDiv(tupleElement(x, 5), 2),
                srows) AS covered_written_off,
            arrayConcat(arrayMap(x -> tupleElement(x, 2), short_written_off), arrayMap(x -> tupleElement(x, 2), covered_written_off)) AS written_off_ids,
            arrayConcat(arrayMap(x -> tupleElement(x, 1), short_written_off), arrayMap(x -> tupleElement(x, 1), covered_written_off)) AS written_off_days,
            -- A write-off is no payment: the invoices written off are out of
            -- the payment timing (settled_days 0, as if not settled).
            arrayMap((s, id) -> if(s != 0 AND has(written_off_ids, id), 0, s), settled_or_0, invoice_ids) AS settled_days,
            -- On account at t: the cash of the rows that are no invoice of the
            -- customer, less what the settled invoices took of it (what each
            -- still owed when cleared, its implied write-off taken off).
            pool_sum_cents - if(@payments_known = 1, arraySum(shorts) - arraySum(implied), toInt64(0)) AS unallocated_cents
        SELECT
            customer_id, settled_days, written_off_days, unallocated_cents, issue_days, due_days, invoice_ids, amounts,
            linked_pay_days, linked_pay_partial, open_due_days, open_amounts,{{if .Unfold}} open_invoice_rows,{{end}}
            matured90_count, past90_count, last_past90, last_payment, {{template "action_columns" .}}, {{template "promise_columns" .}}
        FROM ({{template "customer_rows" .}}) AS customer_rows
    ) AS written_off
{{end}}

{{define "dispute_columns"}}
        {{- range .Windows}}w{{.K}}_disputes, {{end}}open_disputes, resolved_disputes, resolution_days
        {{- if .Unfold}}, open_dispute_invoice_ids{{end}}
{{- end}}
{{/* disputes: those opened by t, open or resolved at t, and those opened in
each window; with .Unfold also the invoice ids of the disputes open at t,
for the open invoices' inv_disputed (open_invoices.sql). */}}
{{define "disputes"}}
    SELECT
        customer_id,
        {{- range .Windows}}
        countIf(opened != 0 AND opened > @t - @w{{.K}}) AS w{{.K}}_disputes,
        {{- end}}
        countIf(resolved = 0 OR resolved > @t) AS open_disputes,
        countIf(resolved != 0 AND resolved <= @t) AS resolved_disputes,
        sumIf(resolved - opened, resolved != 0 AND resolved <= @t) AS resolution_days
        {{- if .Unfold}},
        groupArrayIf(invoice_id, resolved = 0 OR resolved > @t) AS open_dispute_invoice_ids
        {{- end}}
    FROM
    (
        SELECT customer_id, {{if .Unfold}}invoice_id, {{end}}toInt32(opened_date) AS opened, toInt32(resolved_date) AS resolved
        FROM {{.DB}}disputes FINAL{{template "part_range" .}}
        WHERE opened <= @t{{template "selected" .}}
    )
    GROUP BY customer_id
{{end}}

{{define "decision_columns"}}decisions, decisions_by_t, limit_by_t_cents, limit_before_first_cents{{end}}
{{/* decisions: the credit limit set by the latest decision by t (by date,
then decision id), and the old limit of the first decision ever. */}}
{{define "decisions"}}
    SELECT
        customer_id,
        count() AS decisions,
        countIf(decided <= @t) AS decisions_by_t,
        argMaxIf(new_cents, (decided, decision_id), decided <= @t) AS limit_by_t_cents,
        argMin(old_cents, (decided, decision_id)) AS limit_before_first_cents
    FROM
    (
        SELECT
            customer_id,
            decision_id,
            toInt32(decision_date) AS decided,
            {{template "cents" "new_limit"}} AS new_cents,
            {{template "cents" "old_limit"}} AS old_cents
        FROM {{.DB}}credit_decisions FINAL{{template "part_range" .}}
        WHERE 1{{template "selected" .}}
    )
    GROUP BY customer_id
{{end}}

{{/* customer_ledger_parts: customer_ledger in the parts .Lo to .Hi-1 of the
customers (ranges of their ids), one SELECT each, put together by UNION
ALL, whose SELECTs ClickHouse runs in parallel. A read with FINAL is one stream, so
one SELECT would run the whole work of customer_rows on one thread,
whatever the server's cores. Each part reads the match for its own
customers only; they are disjoint, so no customer needs merging. */}}
{{define "customer_ledger_parts"}}
    {{- range $i, $p := .Split}}
    {{- if $i}}
    UNION ALL{{end}}
    {{template "customer_ledger" $p}}
    {{- end}}
{{end}}

{{define "ledger_columns"}}{{template "invoice_history_columns" .}}, {{template "payment_columns"}}, {{template "action_columns" .}}, {{template "promise_columns" .}}{{end}}
{{/* customer_facts: the small per-customer summaries (master, disputes,
credit decisions) of every customer found in one of them, joined among
themselves, one join per SELECT as ClickHouse 18.16 requires; of the
customers of this query's range only (part_range), which are those of its
ledger summary: the right side of a join is built before its left side
runs, on one thread, so each query builds its own share. */}}
{{define "customer_facts"}}
    SELECT customer_id, {{template "master_columns"}}, {{template "dispute_columns" .}}, {{template "decision_columns"}}
    FROM
    (
        SELECT customer_id, {{template "master_columns"}}, {{template "dispute_columns" .}}
        FROM
        (
            SELECT customer_id, {{template "master_columns"}}
            FROM
            (
                SELECT customer_id
                FROM
                (
                    SELECT customer_id FROM {{.DB}}customers FINAL{{template "part_range" .}} WHERE 1{{template "selected" .}}
                    UNION ALL
                    SELECT customer_id FROM {{.DB}}disputes FINAL{{template "part_range" .}} WHERE 1{{template "selected" .}}
                    UNION ALL
                    SELECT customer_id FROM {{.DB}}credit_decisions FINAL{{template "part_range" .}} WHERE 1{{template "selected" .}}
                )
                GROUP BY customer_id
            ) AS fact_ids
            ANY LEFT JOIN ({{template "master" .}}) AS master_rec
            USING customer_id
        ) AS f1
        ANY LEFT JOIN ({{template "disputes" .}}) AS disp_sum
        USING customer_id
    ) AS f2
    ANY LEFT JOIN ({{template "decisions" .}}) AS dec_sum
    USING customer_id
{{end}}

{{/* summary_source: the FROM clause of every known customer's summaries:
the ledger summary (customer_ledger_parts, which has a row for every known
customer) with customer_facts joined to it, in one SELECT. The large
ledger summary stays on the left of the one join, and no SELECT is nested
above it but the one that reads the features: ClickHouse 18.16 analyses a
subquery again for every SELECT it is nested in, and the ledger's lambdas
made that analysis cost more than the joins (0.65 s of the customer query on
the 1M-invoice benchmark ledger, with the summaries joined one per level
onto the known customers). A customer absent from customer_facts gets its
columns' defaults: 0 and '' (join_use_nulls = 0). */}}
{{define "summary_source"}}({{template "customer_ledger_parts" .}}) AS ledger_sum
    ANY LEFT JOIN ({{template "customer_facts" .}}) AS facts
    USING customer_id{{end}}

{{/* customer_summary: every known customer's summaries, as the features
read them (for the benchmark that prices each stage). */}}
{{define "customer_summary"}}
    SELECT customer_id, {{template "master_columns"}}, {{template "ledger_columns" .}},
        {{template "dispute_columns" .}}, {{template "decision_columns"}}
    FROM {{template "summary_source" .}}
{{end}}
