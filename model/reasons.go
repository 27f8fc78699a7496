package model

import (
	"fmt"
	"math"
	"strings"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
)

// Reason is one factor of a prediction: the feature, its additive share of
// the score (log-odds; the shares and the model's base sum to the score),
// and a sentence a credit manager reads.
type Reason struct {
	Feature      string  `json:"feature"`
	Contribution float64 `json:"contribution"`
	Text         string  `json:"text"`
}

// featureValues reads a row's values by feature name for the sentences; a
// name the row lacks reads as 0.
type featureValues struct {
	s *Scorer
	r *features.Row
}

func (fv featureValues) num(name string) float64 {
	if j, ok := fv.s.numPos[name]; ok {
		return fv.r.Num[j]
	}
	return 0
}

func (fv featureValues) cat(name string) (string, bool) {
	if j, ok := fv.s.catPos[name]; ok {
		return fv.r.Cat[j], true
	}
	return "", false
}

// money formats an amount, with the currency when the model converted every
// amount to one (otherwise each invoice is in its own, which the row does
// not carry).
func (fv featureValues) money(v float64) string {
	if fx := fv.s.b.Options.FX; fx != nil {
		return fmt.Sprintf("%.2f %s", v, fx.To)
	}
	return fmt.Sprintf("%.2f", v)
}

// openDisputes is what the evidence says is open at the row's date.
func (fv featureValues) openDisputes(invoiceOnly bool) []datasets.Dispute {
	if fv.s.evidence == nil {
		return nil
	}
	inv := ""
	if invoiceOnly {
		inv = fv.r.InvoiceID
	}
	return fv.s.evidence.OpenDisputes(fv.r.CustomerID, inv, fv.r.AsOf)
}

// sourceFeature maps an encoded column back to the feature it came from.
func sourceFeature(col string) string {
	if i := strings.Index(col, "="); i > 0 {
		return col[:i]
	}
	col = strings.TrimSuffix(col, " missing")
	if strings.HasPrefix(col, "log(") {
		col = strings.TrimSuffix(strings.TrimPrefix(col, "log("), ")")
	}
	return col
}

// longDate formats a date as credit managers write it: "12 March 2024".
func longDate(d datasets.Date) string { return d.Time().Format("2 January 2006") }

// windowOf splits "late_ratio_365d" into ("late_ratio", "365").
func windowOf(name string) (base, days string) {
	i := strings.LastIndex(name, "_")
	if i < 0 || !strings.HasSuffix(name, "d") {
		return name, ""
	}
	d := strings.TrimSuffix(name[i+1:], "d")
	for _, c := range d {
		if c < '0' || c > '9' {
			return name, ""
		}
	}
	return name[:i], d
}

// sentence describes a factor in the credit manager's words, with the
// customer's own numbers.
func sentence(f string, c float64, fv featureValues) string {
	dir := "lowers the risk"
	if c > 0 {
		dir = "raises the risk"
	}
	n := fv.num
	missing := func(k string) bool { return math.IsNaN(fv.num(k)) }
	base, w := windowOf(f)
	switch base {
	case "late_ratio", "invoices_settled_late", "invoices_settled", "late_amount_ratio", "amount_settled_late":
		if missing("late_ratio_"+w+"d") || n("invoices_settled_"+w+"d") == 0 {
			return fmt.Sprintf("no invoice settled in the last %s days: little payment history (%s)", w, dir)
		}
		return fmt.Sprintf("%.0f of the last %.0f invoices settled in %s days were paid late (%s)",
			n("invoices_settled_late_"+w+"d"), n("invoices_settled_"+w+"d"), w, dir)
	case "days_late_mean", "days_late_median", "days_late_p90", "days_late_std":
		if missing(f) {
			return fmt.Sprintf("no settlement in the last %s days (%s)", w, dir)
		}
		return fmt.Sprintf("paid on average %.0f days late over the last %s days (90th percentile %.0f) (%s)",
			n("days_late_mean_"+w+"d"), w, n("days_late_p90_"+w+"d"), dir)
	case "days_to_pay_mean", "days_to_pay_median", "days_to_pay_p90", "days_to_pay_std":
		if missing(f) {
			return fmt.Sprintf("no settlement in the last %s days (%s)", w, dir)
		}
		return fmt.Sprintf("takes on average %.0f days to pay over the last %s days (%s)", n("days_to_pay_mean_"+w+"d"), w, dir)
	case "disputes_opened", "dispute_rate":
		return fmt.Sprintf("%.0f disputes opened in the last %s days (%s)", n("disputes_opened_"+w+"d"), w, dir)
	case "dunning_actions", "dunning_response_rate":
		return fmt.Sprintf("%.0f dunning actions in the last %s days (%s)", n("dunning_actions_"+w+"d"), w, dir)
	case "promises_made", "promises_kept", "promises_broken", "promise_kept_rate":
		return fmt.Sprintf("%.0f of %.0f promises to pay due in the last %s days were broken (%s)",
			n("promises_broken_"+w+"d"), n("promises_broken_"+w+"d")+n("promises_kept_"+w+"d"), w, dir)
	case "partial_payment_share":
		return fmt.Sprintf("%.0f%% of payments in the last %s days were partial (%s)", 100*n(f), w, dir)
	}
	switch f {
	case "inv_disputed":
		if n(f) == 1 {
			if ds := fv.openDisputes(true); len(ds) > 0 {
				d := ds[0]
				what := ""
				if d.Reason != "" {
					what = " about " + strings.ReplaceAll(d.Reason, "_", " ")
				}
				return fmt.Sprintf("open dispute%s since %s (%s)", what, longDate(d.Opened), dir)
			}
			return "the invoice is under an open dispute (" + dir + ")"
		}
		return "no open dispute on the invoice (" + dir + ")"
	case "disputes_open":
		if ds := fv.openDisputes(false); len(ds) > 0 {
			return fmt.Sprintf("%d disputes open on the account, the oldest since %s (%s)", len(ds), longDate(ds[0].Opened), dir)
		}
		return fmt.Sprintf("%.0f disputes open on the account (%s)", n(f), dir)
	case "overdue_amount", "overdue_invoices", "oldest_overdue_days", "aging_1_30", "aging_31_60", "aging_61_90", "aging_90_plus":
		if n("overdue_invoices") == 0 {
			return "nothing overdue on the account (" + dir + ")"
		}
		return fmt.Sprintf("%.0f invoices overdue on the account, the oldest by %.0f days (%s)", n("overdue_invoices"), n("oldest_overdue_days"), dir)
	case "credit_utilisation":
		if missing(f) {
			return "no credit limit on record (" + dir + ")"
		}
		return fmt.Sprintf("uses %.0f%% of its credit limit (%s)", 100*n(f), dir)
	case "days_late_trend", "last3_days_late_mean", "last3_vs_window":
		if missing("last3_days_late_mean") {
			return "no recent settlement (" + dir + ")"
		}
		return fmt.Sprintf("the last 3 settlements were on average %.0f days late (%s)", n("last3_days_late_mean"), dir)
	case "inv_amount", "inv_amount_vs_usual":
		if missing("inv_amount_vs_usual") {
			return fmt.Sprintf("invoice of %s (%s)", fv.money(n("inv_amount")), dir)
		}
		return fmt.Sprintf("invoice of %s is %.1f times the customer's usual (%s)", fv.money(n("inv_amount")), n("inv_amount_vs_usual"), dir)
	case "tenure_days":
		if missing(f) {
			return "new customer: no relationship history (" + dir + ")"
		}
		return fmt.Sprintf("customer for %.0f days (%s)", n(f), dir)
	case "days_since_last_payment":
		if missing(f) {
			return "no payment ever received (" + dir + ")"
		}
		return fmt.Sprintf("last payment %.0f days ago (%s)", n(f), dir)
	case "inv_days_to_due", "inv_age_days", "inv_terms_days", "terms_days":
		return fmt.Sprintf("%.0f days of terms, due in %.0f days (%s)", n("inv_terms_days"), n("inv_days_to_due"), dir)
	case "inv_due_month_end", "inv_due_quarter_end", "inv_due_day_of_month", "inv_due_month":
		return fmt.Sprintf("due on day %.0f of month %.0f (%s)", n("inv_due_day_of_month"), n("inv_due_month"), dir)
	}
	if v, ok := fv.cat(f); ok {
		return fmt.Sprintf("%s is %q (%s)", strings.TrimPrefix(f, "inv_"), v, dir)
	}
	if missing(f) {
		return fmt.Sprintf("%s unknown (%s)", f, dir)
	}
	return fmt.Sprintf("%s is %s (%s)", f, features.FormatValue(n(f)), dir)
}
