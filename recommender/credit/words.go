package credit

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
)

// The words of the suggestions and flags: how the need is told, the names
// of the rules, dates, durations and probabilities as a credit manager
// reads them.

// needReason says how the need was sized, with the customer's numbers.
func needReason(a *account, n needCalc, pol *Policy, amt func(datasets.Money) string) string {
	m := func(v float64) string { return amt(datasets.Money(math.Round(v * 100))) }
	var b strings.Builder
	terms := a.c.Terms.String() + " terms"
	if a.c.Terms == (datasets.Terms{}) {
		terms = fmt.Sprintf("%.0f-day terms (from its invoices)", a.termsDays)
	}
	fmt.Fprintf(&b, "invoices %s a month (%.1f invoices) on %s and %s", m(n.runRate), n.perMonth, terms, a.lateReason())
	// n.year is a monthly mean over the history, not its total.
	switch {
	case n.runRate == n.year:
	case math.Abs(n.season-1) >= 0.005:
		fmt.Fprintf(&b, " (the last 3 months' %s a month, %+.0f%% for the segment's coming season: what it invoiced in the same weeks a year earlier against the weeks before them; %s a month on average over the last %s)",
			m(n.recent), 100*(n.season-1), m(n.year), plural(int(math.Ceil(a.months)), "month"))
	case n.recent > n.year*1.05:
		fmt.Fprintf(&b, " (the last 3 months; %s a month on average over the last %s)", m(n.year), plural(int(math.Ceil(a.months)), "month"))
	}
	if n.lateNeed > 0 {
		fmt.Fprintf(&b, "; %s late counted, the policy's tolerance", plural(int(math.Round(n.late)), "day"))
	}
	fmt.Fprintf(&b, ": about %s of sales are open, %s on average; to hold the exposure on %.0f%% of days with %.0f%% headroom it needs about %s",
		plural(int(math.Round(n.days)), "day"), m(n.mean), 100*pol.Need.Cover, 100*(pol.Need.Headroom-1), m(n.need))
	if n.lateNeed > 0 {
		fmt.Fprintf(&b, " (every day late counted, it would need %s, %s more: paying late does not earn a larger limit)",
			m(n.lateNeed), m(n.lateNeed-n.need))
	}
	return b.String()
}

// fallbackCaution is the caution of an increase resting on a PD that was
// not learnt for the customer (its segment's rate): the class and the
// risk cap (nil when none applied) are the segment's, and nothing on record
// says this customer is as safe.
func fallbackCaution(pd float64, class string, riskCap *features.KPIMoney, amt func(datasets.Money) string) string {
	capped := ""
	if riskCap != nil {
		capped = fmt.Sprintf(" and the risk appetite's cap of %s", amt(riskCap.Money()))
	}
	return fmt.Sprintf("caution: the increase rests on a probability of default that was not learnt for this customer: %s is its segment's rate "+
		"(no default model or payment model gave it its own), so its risk class %s%s are the segment's; "+
		"check its standing (a credit report, references) before approving", percent(pd), class, capped)
}

func pdSource(source string) string {
	switch source {
	case "model":
		return "the default model"
	case "payment_model":
		return "the payment model's 90+ probability"
	case "default":
		return "in default"
	}
	return "the segment's rate"
}

func boundLabel(b string) string {
	switch b {
	case BoundNeed:
		return "the need"
	case BoundRiskAppetite:
		return "the risk appetite"
	case BoundFinancials:
		return "the credit report"
	case BoundColdStart:
		return "the starting limit"
	case BoundRequest:
		return "the limit request"
	case BoundExposure:
		return "the current exposure"
	case BoundPeak:
		return "the year's highest exposure"
	case BoundSlipping:
		return "payments slipping"
	}
	return label(b)
}

// cutLabel names the rule that cut a limit below the exposure.
func cutLabel(b string) string {
	switch b {
	case BoundRiskAppetite:
		return "the risk appetite (the expected loss at the exposure exceeds it)"
	case BoundFinancials:
		return "the credit report's limit"
	case BoundDefault:
		return "the default"
	case BoundCreditHold:
		return "the credit hold"
	case BoundOverdue90:
		return "debt more than 90 days overdue (the limit is not raised)"
	case BoundUnlearnt:
		return "overdue debt with a probability of default not learnt for the customer (the limit is not raised)"
	case BoundOverdue:
		return "debt overdue beyond the overdue flag's days (the limit is not raised)"
	case BoundOverLimit:
		return "debt over the limit in arrears (the limit is not raised)"
	case BoundSlipping:
		return "payments slipping (the limit is not raised)"
	}
	return boundLabel(b)
}

func segLabel(policySeg, seg string) string {
	if policySeg == "*" {
		if seg == "" {
			return "default segment's"
		}
		return label(seg) + " (default)"
	}
	return label(seg)
}

func label(s string) string { return strings.ReplaceAll(s, "_", " ") }

func longDate(d datasets.Date) string { return d.Time().Format("2 January 2006") }

func months(n int) string {
	switch n {
	case 1:
		return "month"
	case 12:
		return "year"
	}
	return fmt.Sprintf("%d months", n)
}

// percent writes a probability with one decimal, or two significant
// digits below 1% (0.034%, not 0.0%).
func percent(p float64) string {
	if p < 0.01 {
		return strconv.FormatFloat(100*p, 'g', 2, 64) + "%"
	}
	return strconv.FormatFloat(100*p, 'f', 1, 64) + "%"
}
