{{/*
customers.sql: the customer features (CustomerSpecs), one column per feature
named as the feature and in catalogue order (with .Unfold, only the
customers with an open invoice, and before the features the open invoices'
own features packed in one column, for open_invoices.sql), from the summaries of
ledger.sql.
Ratios and statistics over nothing are nan (a missing value); money is
cents / 100.

.Short and .Long are the shortest and the longest window ({K, Days, Sfx}),
.CustomerNames the customer feature names in order.
*/}}

{{define "customer_features"}}
    SELECT
        customer_id,
        {{- if .Unfold}}
        {{template "invoice_columns" .}},
        {{- end}}
        {{- range .Windows}}
        toFloat64(w{{.K}}_issued) AS invoices_issued_{{.Sfx}},
        w{{.K}}_issued_cents / 100 AS amount_issued_{{.Sfx}},
        toFloat64(w{{.K}}_settled) AS invoices_settled_{{.Sfx}},
        w{{.K}}_settled_cents / 100 AS amount_settled_{{.Sfx}},
        toFloat64(w{{.K}}_late) AS invoices_settled_late_{{.Sfx}},
        w{{.K}}_late_cents / 100 AS amount_settled_late_{{.Sfx}},
        if(w{{.K}}_settled = 0, nan, w{{.K}}_late / w{{.K}}_settled) AS late_ratio_{{.Sfx}},
        if(w{{.K}}_settled_cents = 0, nan, (w{{.K}}_late_cents / 100) / (w{{.K}}_settled_cents / 100)) AS late_amount_ratio_{{.Sfx}},
        toFloat64(w{{.K}}_written_off) AS invoices_written_off_{{.Sfx}},
        if(w{{.K}}_settled + w{{.K}}_written_off = 0, nan, w{{.K}}_written_off / (w{{.K}}_settled + w{{.K}}_written_off)) AS write_off_rate_{{.Sfx}},
        if(w{{.K}}_settled = 0, nan, w{{.K}}_dl_sum / w{{.K}}_settled) AS days_late_mean_{{.Sfx}},
        if(w{{.K}}_settled = 0, nan, toFloat64(w{{.K}}_dl_p50)) AS days_late_median_{{.Sfx}},
        if(w{{.K}}_settled = 0, nan, toFloat64(w{{.K}}_dl_p90)) AS days_late_p90_{{.Sfx}},
        -- Population standard deviation from exact integer sums:
        -- sqrt(n·Σx² − (Σx)²) / n.
        if(w{{.K}}_settled = 0, nan,
            sqrt(toFloat64(toInt64(w{{.K}}_settled) * w{{.K}}_dl_sq - w{{.K}}_dl_sum * w{{.K}}_dl_sum)) / w{{.K}}_settled) AS days_late_std_{{.Sfx}},
        if(w{{.K}}_settled = 0, nan, w{{.K}}_dtp_sum / w{{.K}}_settled) AS days_to_pay_mean_{{.Sfx}},
        if(w{{.K}}_settled = 0, nan, toFloat64(w{{.K}}_dtp_p50)) AS days_to_pay_median_{{.Sfx}},
        if(w{{.K}}_settled = 0, nan, toFloat64(w{{.K}}_dtp_p90)) AS days_to_pay_p90_{{.Sfx}},
        if(w{{.K}}_settled = 0, nan,
            sqrt(toFloat64(toInt64(w{{.K}}_settled) * w{{.K}}_dtp_sq - w{{.K}}_dtp_sum * w{{.K}}_dtp_sum)) / w{{.K}}_settled) AS days_to_pay_std_{{.Sfx}},
        toFloat64(w{{.K}}_disputes) AS disputes_opened_{{.Sfx}},
        if(w{{.K}}_issued = 0, nan, w{{.K}}_disputes / w{{.K}}_issued) AS dispute_rate_{{.Sfx}},
        toFloat64(w{{.K}}_actions) AS dunning_actions_{{.Sfx}},
        if(w{{.K}}_actions = 0, nan, w{{.K}}_responses / w{{.K}}_actions) AS dunning_response_rate_{{.Sfx}},
        toFloat64(w{{.K}}_promises) AS promises_made_{{.Sfx}},
        toFloat64(w{{.K}}_kept) AS promises_kept_{{.Sfx}},
        toFloat64(w{{.K}}_broken) AS promises_broken_{{.Sfx}},
        if(w{{.K}}_kept + w{{.K}}_broken = 0, nan, w{{.K}}_kept / (w{{.K}}_kept + w{{.K}}_broken)) AS promise_kept_rate_{{.Sfx}},
        if(w{{.K}}_linked = 0, nan, w{{.K}}_partial / w{{.K}}_linked) AS partial_payment_share_{{.Sfx}},
        {{- end}}
        days_late_mean_{{.Short.Sfx}} - days_late_mean_{{.Long.Sfx}} AS days_late_trend,
        if(last3_count = 0, nan, last3_sum / last3_count) AS last3_days_late_mean,
        last3_days_late_mean - days_late_mean_{{.Long.Sfx}} AS last3_vs_window,
        toFloat64(past90_count) AS invoices_past_90,
        if(matured90_count = 0, nan, past90_count / matured90_count) AS past_90_rate,
        if(last_past90 = 0, nan, toFloat64(@t - last_past90)) AS days_since_past_90,
        toFloat64(open_count) AS open_invoices,
        open_cents / 100 AS open_amount,
        toFloat64(overdue_count) AS overdue_invoices,
        overdue_cents / 100 AS overdue_amount,
        aging0_cents / 100 AS aging_current,
        aging1_cents / 100 AS aging_1_30,
        aging2_cents / 100 AS aging_31_60,
        aging3_cents / 100 AS aging_61_90,
        aging4_cents / 100 AS aging_90_plus,
        toFloat64(oldest_overdue) AS oldest_overdue_days,
        if(open_cents = 0, nan, (overdue_cents / 100) / (open_cents / 100)) AS overdue_share,
        if(open_cents = 0, nan, toFloat64(overdue_cent_days) / toFloat64(open_cents)) AS overdue_days_weighted,
        -- The latest decision by t; before the first decision its old limit;
        -- without decisions the master's limit.
        multiIf(decisions_by_t > 0, limit_by_t_cents, decisions > 0, limit_before_first_cents, m_limit_cents) / 100 AS credit_limit,
        if(credit_limit = 0, nan, open_amount / credit_limit) AS credit_utilisation,
        toFloat64(open_disputes) AS disputes_open,
        if(resolved_disputes = 0, nan, resolution_days / resolved_disputes) AS dispute_resolution_days_mean,
        -- From since, else from the first issue date by t.
        if(if(m_since != 0, m_since, first_issue) = 0 OR if(m_since != 0, m_since, first_issue) > @t, nan,
            toFloat64(@t - if(m_since != 0, m_since, first_issue))) AS tenure_days,
        if(last_payment = 0, nan, toFloat64(@t - last_payment)) AS days_since_last_payment,
        unallocated_cents / 100 AS unallocated_cash,
        toFloat64(m_terms_days) AS terms_days,
        m_segment AS segment,
        m_country AS country,
        m_channel AS channel
    FROM {{template "summary_source" .}}
{{end}}

{{/* requested numbers the requested ids, keeping their order and repeats: a
filtered query returns its rows in the order asked, as the Go engine does. */}}
{{define "requested"}}
    SELECT arrayJoin(arrayEnumerate(@ids)) AS requested, @ids[requested] AS customer_id
{{end}}

{{define "customers"}}
{{- if .Filter}}
SELECT customer_id{{range .CustomerNames}}, {{.}}{{end}}
FROM ({{template "requested" .}}) AS requested_ids
ALL INNER JOIN ({{template "customer_features" .}}) AS features
USING customer_id
ORDER BY requested
{{- else}}
{{- /* Not nested in another SELECT, which would have 18.16 analyse the
whole query once more (summary_source): customer_features names its
columns as the table wants them (the engine checks). Unordered: the
engine sorts the rows (SQLEngine.Customers). */}}
{{template "customer_features" .}}
{{- end}}
{{end}}
