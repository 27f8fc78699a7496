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

// featureValues reads a row's values by feature (base name and window);
// a feature the row lacks reads as 0.
type featureValues struct {
	s *Scorer
	r *features.Row
}

func (fv featureValues) num(base string, window int) float64 {
	if j, ok := fv.s.at[specKey{base, window}]; ok && j < len(fv.r.Num) {
		return fv.r.Num[j]
	}
	return 0
}

func (fv featureValues) cat(base string) string {
	if j, ok := fv.s.at[specKey{base, 0}]; ok && j < len(fv.r.Cat) {
		return fv.r.Cat[j]
	}
	return ""
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

// longDate formats a date as credit managers write it: "12 March 2024".
func longDate(d datasets.Date) string { return d.Time().Format("2 January 2006") }

// sentence describes a factor (feature sp, contribution c) in the credit
// manager's words, with the customer's own numbers.
func sentence(sp features.Spec, c float64, fv featureValues) string {
	dir := "lowers the risk"
	if c > 0 {
		dir = "raises the risk"
	}
	w := sp.Window
	n := func(base string) float64 { return fv.num(base, w) }
	missing := func(base string, window int) bool { return math.IsNaN(fv.num(base, window)) }
	if w > 0 {
		switch sp.Base {
		case "late_ratio", "invoices_settled_late", "invoices_settled", "late_amount_ratio", "amount_settled_late":
			if missing("late_ratio", w) || n("invoices_settled") == 0 {
				return fmt.Sprintf("no invoice settled in the last %d days: little payment history (%s)", w, dir)
			}
			return fmt.Sprintf("%.0f of the last %.0f invoices settled in %d days were paid late (%s)",
				n("invoices_settled_late"), n("invoices_settled"), w, dir)
		case "days_late_mean", "days_late_median", "days_late_p90", "days_late_std":
			if missing(sp.Base, w) {
				return fmt.Sprintf("no settlement in the last %d days (%s)", w, dir)
			}
			return fmt.Sprintf("paid on average %.0f days late over the last %d days (90th percentile %.0f) (%s)",
				n("days_late_mean"), w, n("days_late_p90"), dir)
		case "days_to_pay_mean", "days_to_pay_median", "days_to_pay_p90", "days_to_pay_std":
			if missing(sp.Base, w) {
				return fmt.Sprintf("no settlement in the last %d days (%s)", w, dir)
			}
			return fmt.Sprintf("takes on average %.0f days to pay over the last %d days (%s)", n("days_to_pay_mean"), w, dir)
		case "disputes_opened", "dispute_rate":
			return fmt.Sprintf("%.0f disputes opened in the last %d days (%s)", n("disputes_opened"), w, dir)
		case "dunning_actions", "dunning_response_rate":
			return fmt.Sprintf("%.0f dunning actions in the last %d days (%s)", n("dunning_actions"), w, dir)
		case "promises_made", "promises_kept", "promises_broken", "promise_kept_rate":
			return fmt.Sprintf("%.0f of %.0f promises to pay due in the last %d days were broken (%s)",
				n("promises_broken"), n("promises_broken")+n("promises_kept"), w, dir)
		case "partial_payment_share":
			return fmt.Sprintf("%.0f%% of payments in the last %d days were partial (%s)", 100*n(sp.Base), w, dir)
		}
	}
	v := func(base string) float64 { return fv.num(base, 0) }
	switch sp.Base {
	case "inv_disputed":
		if v(sp.Base) == 1 {
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
		return fmt.Sprintf("%.0f disputes open on the account (%s)", v(sp.Base), dir)
	case "overdue_amount", "overdue_invoices", "oldest_overdue_days", "aging_1_30", "aging_31_60", "aging_61_90", "aging_90_plus":
		if v("overdue_invoices") == 0 {
			return "nothing overdue on the account (" + dir + ")"
		}
		return fmt.Sprintf("%.0f invoices overdue on the account, the oldest by %.0f days (%s)", v("overdue_invoices"), v("oldest_overdue_days"), dir)
	case PriorPeers.name():
		if missing(sp.Base, 0) {
			return "too few established customers to compare with (" + dir + ")"
		}
		return fmt.Sprintf("established customers like it paid %.0f%% of their invoices late (%s)", 100*v(sp.Base), dir)
	case PriorSegment.name():
		if missing(sp.Base, 0) {
			return "too few established customers to compare with (" + dir + ")"
		}
		return fmt.Sprintf("established customers of its segment paid %.0f%% of their invoices late (%s)", 100*v(sp.Base), dir)
	case "credit_utilisation":
		if missing(sp.Base, 0) {
			return "no credit limit on record (" + dir + ")"
		}
		return fmt.Sprintf("uses %.0f%% of its credit limit (%s)", 100*v(sp.Base), dir)
	case "days_late_trend", "last3_days_late_mean", "last3_vs_window":
		if missing("last3_days_late_mean", 0) {
			return "no recent settlement (" + dir + ")"
		}
		return fmt.Sprintf("the last 3 settlements were on average %.0f days late (%s)", v("last3_days_late_mean"), dir)
	case "inv_amount", "inv_amount_vs_usual":
		if missing("inv_amount_vs_usual", 0) {
			return fmt.Sprintf("invoice of %s (%s)", fv.money(v("inv_amount")), dir)
		}
		return fmt.Sprintf("invoice of %s is %.1f times the customer's usual (%s)", fv.money(v("inv_amount")), v("inv_amount_vs_usual"), dir)
	case "tenure_days":
		if missing(sp.Base, 0) {
			return "new customer: no relationship history (" + dir + ")"
		}
		return fmt.Sprintf("customer for %.0f days (%s)", v(sp.Base), dir)
	case "days_since_last_payment":
		if missing(sp.Base, 0) {
			return "no payment ever received (" + dir + ")"
		}
		return fmt.Sprintf("last payment %.0f days ago (%s)", v(sp.Base), dir)
	case "inv_days_to_due", "inv_age_days", "inv_terms_days", "terms_days":
		return fmt.Sprintf("%.0f days of terms, due in %.0f days (%s)", v("inv_terms_days"), v("inv_days_to_due"), dir)
	case "inv_due_month_end", "inv_due_quarter_end", "inv_due_day_of_month", "inv_due_month":
		return fmt.Sprintf("due on day %.0f of month %.0f (%s)", v("inv_due_day_of_month"), v("inv_due_month"), dir)
	}
	if sp.Kind == features.Categorical {
		return fmt.Sprintf("%s is %q (%s)", strings.TrimPrefix(sp.Name, "inv_"), fv.cat(sp.Base), dir)
	}
	x := fv.num(sp.Base, w)
	if math.IsNaN(x) {
		return fmt.Sprintf("%s unknown (%s)", sp.Name, dir)
	}
	return fmt.Sprintf("%s is %s (%s)", sp.Name, features.FormatValue(x), dir)
}
