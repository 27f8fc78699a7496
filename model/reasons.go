package model

import (
	"fmt"
	"math"
	"slices"
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
	// Grouped, as amounts are read (12,345.60); a feature's amount is a
	// float only as a model input, rounded here to the cent for display.
	text := fmt.Sprintf("%.2f", v)
	if math.Abs(v) < 1e15 {
		text = datasets.Money(math.Round(v * 100)).Grouped()
	}
	if fx := fv.s.b.Options.FX; fx != nil {
		return text + " " + fx.To
	}
	return text
}

// hasOtherInvoices says whether the customer issued any invoice besides
// the scored one in the longest window, over which inv_amount_vs_usual
// takes the customer's usual amount. That window counts the scored invoice
// too once it is issued (inv_age_days in [0, longest)), so a first invoice
// is "1.0 times the usual" of itself alone. A model without the counts
// keeps the benefit of the doubt: true.
func (fv featureValues) hasOtherInvoices() bool {
	_, okN := fv.s.at[specKey{"invoices_issued", fv.s.longest}]
	_, okA := fv.s.at[specKey{"inv_age_days", 0}]
	if !okN || !okA || fv.s.longest <= 0 {
		return true
	}
	n := fv.num("invoices_issued", fv.s.longest)
	if age := fv.num("inv_age_days", 0); age >= 0 && age < float64(fv.s.longest) {
		n-- // the scored invoice itself
	}
	return n > 0
}

// windows are the history windows, shortest first, over which the model
// has feature base.
func (fv featureValues) windows(base string) []int {
	var out []int
	for _, w := range fv.s.b.Options.Features.WithDefaults().Windows {
		if _, ok := fv.s.at[specKey{base, w}]; ok {
			out = append(out, w)
		}
	}
	slices.Sort(out)
	return out
}

// overWindows joins one phrase per window of base, shortest first
// ("10 of 12 in the last 90 days, 48 of 62 in the last 365 days"),
// leaving out the windows for which phrase returns "".
func (fv featureValues) overWindows(base string, phrase func(w int) string) string {
	var parts []string
	for _, w := range fv.windows(base) {
		if p := phrase(w); p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, ", ")
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

// plural is n and the noun, in the plural unless n is 1 or -1.
func plural(n int, noun string) string {
	if n == 1 || n == -1 {
		return fmt.Sprintf("%d %s", n, noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
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
			"already %s past its due date of %s: late whatever happens next", plural(int(p.AsOf-p.DueDate), "day"), longDate(p.DueDate))})
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
		// One measure over several windows is one reason: the windows are
		// correlated, so the model may weigh one up and another down, and
		// quoted apart "48 of the last 62 invoices were paid late" could
		// be said to lower the risk. Their net contribution is the
		// measure's effect.
		switch sp.Base {
		case "late_ratio", "invoices_settled_late", "invoices_settled", "late_amount_ratio", "amount_settled_late":
			return "late_share"
		case "days_late_mean", "days_late_median", "days_late_p90", "days_late_std":
			return "days_late"
		case "days_to_pay_mean", "days_to_pay_median", "days_to_pay_p90", "days_to_pay_std":
			return "days_to_pay"
		case "disputes_opened", "dispute_rate":
			return "disputes"
		case "dunning_actions", "dunning_response_rate":
			return "dunning"
		case "promises_made", "promises_kept", "promises_broken", "promise_kept_rate":
			return "promises"
		}
		return sp.Base + "_windows"
	}
	switch sp.Base {
	case "overdue_amount", "overdue_invoices", "oldest_overdue_days", "aging_1_30", "aging_31_60", "aging_61_90", "aging_90_plus":
		return "overdue"
	case "days_late_trend", "last3_days_late_mean", "last3_vs_window":
		return "recent_lateness"
	case "invoices_past_90", "past_90_rate", "days_since_past_90":
		return "past_90"
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
	missing := func(base string, window int) bool { return math.IsNaN(fv.num(base, window)) }
	if sp.Window > 0 {
		// Every window of the measure, shortest first: the reason is the
		// measure's, whichever window the model leans on (reasonGroup).
		longest := fv.s.longest
		switch sp.Base {
		case "late_ratio", "invoices_settled_late", "invoices_settled", "late_amount_ratio", "amount_settled_late":
			text := fv.overWindows("invoices_settled", func(w int) string {
				if missing("late_ratio", w) || fv.num("invoices_settled", w) == 0 {
					return ""
				}
				return fmt.Sprintf("%.0f of %.0f in the last %d days", fv.num("invoices_settled_late", w), fv.num("invoices_settled", w), w)
			})
			if text == "" {
				return fmt.Sprintf("no invoice settled in the last %d days: little payment history (%s)", longest, dir)
			}
			return fmt.Sprintf("settled invoices paid late: %s (%s)", text, dir)
		case "days_late_mean", "days_late_median", "days_late_p90", "days_late_std",
			"days_to_pay_mean", "days_to_pay_median", "days_to_pay_p90", "days_to_pay_std":
			measure, head := "days_late", "days late on average"
			if strings.HasPrefix(sp.Base, "days_to_pay") {
				measure, head = "days_to_pay", "days to pay on average"
			}
			last := 0
			text := fv.overWindows(measure+"_mean", func(w int) string {
				if missing(measure+"_mean", w) {
					return ""
				}
				last = w
				return fmt.Sprintf("%.0f over the last %d days", fv.num(measure+"_mean", w), w)
			})
			if text == "" {
				return fmt.Sprintf("no settlement in the last %d days (%s)", longest, dir)
			}
			// The spread of the longest window that has one.
			if !missing(measure+"_median", last) && !missing(measure+"_p90", last) {
				text += fmt.Sprintf(" (median %.0f, 90th percentile %.0f over %d days)", fv.num(measure+"_median", last), fv.num(measure+"_p90", last), last)
			}
			return fmt.Sprintf("%s: %s (%s)", head, text, dir)
		case "disputes_opened", "dispute_rate":
			return fmt.Sprintf("disputes opened: %s (%s)", fv.overWindows("disputes_opened", func(w int) string {
				return fmt.Sprintf("%.0f in the last %d days", fv.num("disputes_opened", w), w)
			}), dir)
		case "dunning_actions", "dunning_response_rate":
			return fmt.Sprintf("dunning actions: %s (%s)", fv.overWindows("dunning_actions", func(w int) string {
				n := fv.num("dunning_actions", w)
				if r := fv.num("dunning_response_rate", w); !math.IsNaN(r) && n > 0 {
					return fmt.Sprintf("%.0f in the last %d days (%.0f%% answered by payment or promise)", n, w, 100*r)
				}
				return fmt.Sprintf("%.0f in the last %d days", n, w)
			}), dir)
		case "promises_made", "promises_kept", "promises_broken", "promise_kept_rate":
			return fmt.Sprintf("promises to pay broken: %s (%s)", fv.overWindows("promises_broken", func(w int) string {
				return fmt.Sprintf("%.0f of %.0f due in the last %d days", fv.num("promises_broken", w), fv.num("promises_broken", w)+fv.num("promises_kept", w), w)
			}), dir)
		}
		// Any other measure by the catalogue's words, over its windows.
		what := label(features.Spec{Name: sp.Name, Meaning: sp.Meaning})
		return fmt.Sprintf("%s: %s (%s)", what, fv.overWindows(sp.Base, func(w int) string {
			x := fv.num(sp.Base, w)
			if math.IsNaN(x) {
				return fmt.Sprintf("unknown in the last %d days", w)
			}
			return fmt.Sprintf("%s in the last %d days", fv.value(sp, x), w)
		}), dir)
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
	case "invoices_past_90", "past_90_rate", "days_since_past_90":
		n := v("invoices_past_90")
		if missing("past_90_rate", 0) {
			return "no invoice 90 days past its due date yet (" + dir + ")"
		}
		if n == 0 {
			return "no invoice went more than 90 days past due (" + dir + ")"
		}
		// past_90_rate is n over the invoices 90 days past their due date.
		return fmt.Sprintf("%.0f of %.0f invoices went more than 90 days past due, the latest %.0f days ago (%s)",
			n, math.Round(n/v("past_90_rate")), v("days_since_past_90"), dir)
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
		if !fv.hasOtherInvoices() {
			// The ratio then compares the invoice with itself: there is no
			// usual to speak of, whatever the model made of the 1.0.
			return fmt.Sprintf("invoice of %s, the customer's first in the last %d days: no usual amount to compare it with (%s)",
				fv.money(v("inv_amount")), fv.s.longest, dir)
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
	x := fv.num(sp.Base, 0)
	if math.IsNaN(x) {
		return fmt.Sprintf("%s unknown (%s)", what, dir)
	}
	return fmt.Sprintf("%s: %s (%s)", what, fv.value(sp, x), dir)
}

// value formats x, a value of feature sp, in its unit.
func (fv featureValues) value(sp features.Spec, x float64) string {
	switch sp.Unit {
	case features.Money:
		return fv.money(x)
	case features.Ratio:
		return fmt.Sprintf("%.0f%%", 100*x)
	case features.Days:
		return fmt.Sprintf("%.0f days", x)
	}
	return features.FormatValue(x)
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
