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

// reasons explains p's late-payment score by its largest factors: the
// leading statements (known late, no history, pay dates beyond the
// horizon), then the groups of features with the largest net contributions.
func (s *Scorer) reasons(sc *scratch, p *Prediction, r *features.Row, x []float64, n int) {
	s.b.Late.Contributions(x, sc.contrib)
	clear(sc.byFeature)
	for j, c := range sc.contrib {
		sc.byFeature[s.colFeature[j]] += c
	}
	clear(sc.byGroup)
	for k, c := range sc.byFeature {
		sc.byGroup[s.groupOf[k]] += c
	}
	top := topIndices(sc.byGroup, n, func(g int) string { return s.groups[g] })
	fv := featureValues{s: s, r: r}
	p.Reasons = make([]Reason, 0, len(top)+3)
	if p.KnownLate {
		// Past due + grace, the invoice is late by definition: say so first,
		// since the factors below only explain what the model would have
		// said before.
		p.Reasons = append(p.Reasons, Reason{Feature: "known_late", Text: fmt.Sprintf(
			"already %d days past its due date of %s: late whatever happens next", int(p.AsOf-p.DueDate), longDate(p.DueDate))})
	}
	if p.ColdStart {
		p.Reasons = append(p.Reasons, Reason{Feature: "cold_start", Text: s.coldStartText(fv)})
	}
	if t := horizonReason(p); t != "" {
		p.Reasons = append(p.Reasons, Reason{Feature: "beyond_horizon", Text: t})
	}
	for _, g := range top {
		// The group is named by its member with the largest contribution
		// and quoted with the group's net contribution and direction.
		rep := -1
		for k, gk := range s.groupOf {
			if gk == g && (rep < 0 || math.Abs(sc.byFeature[k]) > math.Abs(sc.byFeature[rep])) {
				rep = k
			}
		}
		sp, c := s.feats[rep], sc.byGroup[g]
		p.Reasons = append(p.Reasons, Reason{Feature: sp.Name, Contribution: c, Text: sentence(sp, c, fv)})
	}
}

// topIndices returns the indices of the n largest non-zero values of by in
// absolute size (ties by name), largest first.
func topIndices(by []float64, n int, name func(int) string) []int {
	top := make([]int, 0, n+1)
	better := func(a, b int) bool {
		if x, y := math.Abs(by[a]), math.Abs(by[b]); x != y {
			return x > y
		}
		return name(a) < name(b)
	}
	for k, c := range by {
		if c == 0 {
			continue
		}
		if len(top) == n && !better(k, top[n-1]) {
			continue
		}
		// Insert in order; n is small.
		i := len(top)
		if i == n {
			i--
		} else {
			top = append(top, 0)
		}
		for i > 0 && better(k, top[i-1]) {
			top[i] = top[i-1]
			i--
		}
		top[i] = k
	}
	return top
}

// reasonGroup names the sentence that describes sp: features one sentence
// quotes together (an invoice's amount and its ratio to the usual; the
// mean, median and percentiles of days late over one window) form one
// reason with their net contribution, so that one figure is never said to
// raise and lower the risk at once.
func reasonGroup(sp features.Spec) string {
	if sp.Window > 0 {
		switch sp.Base {
		case "late_ratio", "invoices_settled_late", "invoices_settled", "late_amount_ratio", "amount_settled_late":
			return fmt.Sprintf("late_share_%dd", sp.Window)
		case "days_late_mean", "days_late_median", "days_late_p90", "days_late_std":
			return fmt.Sprintf("days_late_%dd", sp.Window)
		case "days_to_pay_mean", "days_to_pay_median", "days_to_pay_p90", "days_to_pay_std":
			return fmt.Sprintf("days_to_pay_%dd", sp.Window)
		case "disputes_opened", "dispute_rate":
			return fmt.Sprintf("disputes_%dd", sp.Window)
		case "dunning_actions", "dunning_response_rate":
			return fmt.Sprintf("dunning_%dd", sp.Window)
		case "promises_made", "promises_kept", "promises_broken", "promise_kept_rate":
			return fmt.Sprintf("promises_%dd", sp.Window)
		}
		return sp.Name
	}
	switch sp.Base {
	case "overdue_amount", "overdue_invoices", "oldest_overdue_days", "aging_1_30", "aging_31_60", "aging_61_90", "aging_90_plus":
		return "overdue"
	case "days_late_trend", "last3_days_late_mean", "last3_vs_window":
		return "recent_lateness"
	case "inv_amount", "inv_amount_vs_usual":
		return "amount"
	case "inv_days_to_due", "inv_age_days", "inv_terms_days", "terms_days":
		return "terms"
	case "inv_due_month_end", "inv_due_quarter_end", "inv_due_day_of_month", "inv_due_month":
		return "due_day"
	}
	return sp.Name
}

// reasonGroups gives each feature its group's index, and the groups.
func reasonGroups(feats []features.Spec) (groupOf []int, groups []string) {
	at := map[string]int{}
	groupOf = make([]int, len(feats))
	for k, sp := range feats {
		g := reasonGroup(sp)
		i, ok := at[g]
		if !ok {
			i = len(groups)
			at[g] = i
			groups = append(groups, g)
		}
		groupOf[k] = i
	}
	return groupOf, groups
}

// coldStartText describes a customer without settled invoices in the
// longest window: a new one (no payment ever) or a dormant one, and the
// prior the score leans on: the draft's or the customer's segment when the
// model knows it, else the portfolio. It never quotes a rate the model did
// not learn.
func (s *Scorer) coldStartText(fv featureValues) string {
	who := fmt.Sprintf("no invoice settled in the last %d days", s.longest)
	if _, ok := s.at[specKey{"days_since_last_payment", 0}]; ok && math.IsNaN(fv.num("days_since_last_payment", 0)) {
		who = "new customer: no payment history"
	}
	seg := fv.cat("inv_segment")
	portfolio := "scored on the portfolio prior"
	if s.b.PortfolioLate != nil {
		portfolio = fmt.Sprintf("scored on the portfolio prior (%.0f%% of invoices paid late in training)", 100**s.b.PortfolioLate)
	}
	var prior string
	switch rate, known := s.b.SegmentLate[seg]; {
	case seg == "":
		prior = "no segment given, so " + portfolio
	case !known:
		prior = fmt.Sprintf("segment %q unseen in training, so %s", seg, portfolio)
	default:
		prior = fmt.Sprintf("scored on the %s segment prior (%.0f%% of its invoices paid late in training)", seg, 100*rate)
	}
	// No "; " inside: reasons are joined with it (dsopilot score's CSV).
	return who + ", " + prior + " and on the invoice itself"
}

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
			// Each figure by what it is: the catalogue's mean, median and
			// 90th percentile.
			return fmt.Sprintf("over the last %d days paid on average %.0f days late (median %.0f, 90th percentile %.0f) (%s)",
				w, n("days_late_mean"), n("days_late_median"), n("days_late_p90"), dir)
		case "days_to_pay_mean", "days_to_pay_median", "days_to_pay_p90", "days_to_pay_std":
			if missing(sp.Base, w) {
				return fmt.Sprintf("no settlement in the last %d days (%s)", w, dir)
			}
			return fmt.Sprintf("over the last %d days took on average %.0f days to pay (median %.0f, 90th percentile %.0f) (%s)",
				w, n("days_to_pay_mean"), n("days_to_pay_median"), n("days_to_pay_p90"), dir)
		case "disputes_opened", "dispute_rate":
			return fmt.Sprintf("%.0f disputes opened in the last %d days (%s)", n("disputes_opened"), w, dir)
		case "dunning_actions", "dunning_response_rate":
			if r := n("dunning_response_rate"); !math.IsNaN(r) && n("dunning_actions") > 0 {
				return fmt.Sprintf("%.0f dunning actions in the last %d days, %.0f%% answered by payment or promise (%s)", n("dunning_actions"), w, 100*r, dir)
			}
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
		if long := fv.num("days_late_mean", fv.s.longest); !math.IsNaN(long) && fv.s.longest > 0 {
			return fmt.Sprintf("the last 3 settlements were on average %.0f days late, against %.0f days on average over the last %d days (%s)",
				v("last3_days_late_mean"), long, fv.s.longest, dir)
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
		switch d := v("inv_days_to_due"); {
		case d < 0:
			return fmt.Sprintf("%.0f days of terms, overdue by %.0f days (%s)", v("inv_terms_days"), -d, dir)
		case d == 0:
			return fmt.Sprintf("%.0f days of terms, due today (%s)", v("inv_terms_days"), dir)
		default:
			return fmt.Sprintf("%.0f days of terms, due in %.0f days (%s)", v("inv_terms_days"), d, dir)
		}
	case "inv_due_month_end", "inv_due_quarter_end", "inv_due_day_of_month", "inv_due_month":
		return fmt.Sprintf("due on day %.0f of month %.0f (%s)", v("inv_due_day_of_month"), v("inv_due_month"), dir)
	}
	// Any other feature by the catalogue's words, never its column name.
	what := label(sp)
	if sp.Kind == features.Categorical {
		c := fv.cat(sp.Base)
		if c == "" {
			return fmt.Sprintf("%s not given (%s)", what, dir)
		}
		return fmt.Sprintf("%s is %q (%s)", what, c, dir)
	}
	x := fv.num(sp.Base, w)
	if math.IsNaN(x) {
		return fmt.Sprintf("%s unknown (%s)", what, dir)
	}
	val := features.FormatValue(x)
	switch sp.Unit {
	case features.Money:
		val = fv.money(x)
	case features.Ratio:
		val = fmt.Sprintf("%.0f%%", 100*x)
	case features.Days:
		val = fmt.Sprintf("%.0f days", x)
	}
	return fmt.Sprintf("%s: %s (%s)", what, val, dir)
}

// label is a feature as a reader names it: the catalogue's meaning, with
// its history window; the name only for a feature the catalogue does not
// describe.
func label(sp features.Spec) string {
	// The catalogue says "at t" for the scoring date, which the reader
	// knows: "receivable", not "receivable at t".
	what := strings.TrimSuffix(sp.Meaning, " at t")
	if what == "" {
		what = strings.ReplaceAll(strings.TrimPrefix(sp.Name, "inv_"), "_", " ")
	}
	if sp.Window > 0 {
		what += fmt.Sprintf(" in the last %d days", sp.Window)
	}
	return what
}

// FeatureLabel is a feature of b's late-payment model as a reader names it
// (the catalogue's meaning and window, see label), for pages that list
// features; the name itself for one the catalogue does not know.
func (b *Bundle) FeatureLabel(name string) string {
	specs := features.InvoiceSpecs(b.Options.Features)
	if b.Prior != "" && b.Prior != PriorOff {
		specs = append(specs, b.Prior.spec())
	}
	for _, sp := range specs {
		if sp.Name == name {
			return label(sp)
		}
	}
	return name
}
