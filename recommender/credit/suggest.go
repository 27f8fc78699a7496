package credit

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
	"github.com/dsopilot/dsopilot/recommender"
)

// What bound a suggestion.
const (
	BoundNeed         = "need"          // the exposure the relationship needs
	BoundRiskAppetite = "risk_appetite" // expected loss at the segment's maximum
	BoundFinancials   = "financials"    // the credit report's limit
	BoundColdStart    = "cold_start"    // the segment's starting limit
	BoundRequest      = "request"       // a limit request (an order held)
	BoundDefault      = "default"       // in default: no credit
	BoundCreditHold   = "credit_hold"   // on credit hold: no credit
	BoundOverdue90    = "overdue_90"    // 90+ days overdue debt: no increase
	BoundNoChange     = "no_change"     // within min_change of the current limit
	BoundExposure     = "exposure"      // what the customer owes now, with the headroom
)

// Risk is what is known about a customer's risk of loss.
type Risk struct {
	// PD is the probability of ending 90+ days overdue or written off.
	PD float64
	// Source says where it comes from: "model" (the payment model's
	// amount-weighted mean over the open invoices) or "segment" (the mean
	// of the segment's customers, or its observed default rate).
	Source string
}

// Options say what Suggest and Flags look at beyond the ledger.
type Options struct {
	// Risk by customer; a customer without one gets its segment's.
	Risk map[string]Risk
	// FX converts the customers' currencies to the policy's; needed only
	// when a customer's currency differs from it.
	FX datasets.FX
	// Customers, when not empty, restricts the answer to these.
	Customers []string
	// Currency, when set, restricts the answer to the customers in that
	// currency (a customer's own, the policy's when it has none): a
	// multi-currency ledger assessed one currency at a time needs rates
	// only for that currency, and none when it is the policy's. The other
	// customers still count for what is the portfolio's (the segments'
	// seasons and fallback rates), which needs no conversion.
	Currency string
	// Events are the credit workflow's events (review dates of approved
	// limits); nil: none.
	Events []datasets.CreditEvent
	// Requests are limit requests by customer: the exposure an order that
	// was held would have reached (what was owed plus the order), in the
	// customer's currency. The need covers a request, with the headroom;
	// the caps still apply.
	Requests map[string]Request
}

// Request is a limit request: an order held on Day because the exposure
// would have reached Exposure.
type Request struct {
	Day      datasets.Date
	Exposure datasets.Money
}

// Suggestion is the suggested credit limit of one customer, with what it
// rests on. Amounts are in the customer's currency.
type Suggestion struct {
	CustomerID  string            `json:"customer_id"`
	Customer    string            `json:"customer,omitempty"`
	Segment     string            `json:"segment,omitempty"`
	Currency    string            `json:"currency,omitempty"`
	Current     features.KPIMoney `json:"current_limit"`
	Exposure    features.KPIMoney `json:"exposure"`
	Utilisation *float64          `json:"utilisation"` // exposure ÷ current limit; nil when the limit is 0 (no credit)
	Suggested   features.KPIMoney `json:"suggested_limit"`
	Change      features.KPIMoney `json:"change"`
	// Need is the behaviour-based need; RiskCap and FinancialLimit the
	// caps (nil when they do not apply); Secured the secured part.
	Need           features.KPIMoney  `json:"need"`
	RiskCap        *features.KPIMoney `json:"risk_cap,omitempty"`
	FinancialLimit *features.KPIMoney `json:"financial_limit,omitempty"`
	Secured        features.KPIMoney  `json:"secured,omitempty"`
	// Bound names the rule that set the suggestion (BoundNeed, ...).
	Bound     string        `json:"bound"`
	PD        float64       `json:"pd"`
	PDSource  string        `json:"pd_source"`
	RiskClass string        `json:"risk_class"`
	Review    datasets.Date `json:"review_date"`
	// RequiredRole is the least role that may approve the change (empty
	// when none may, or nothing changes).
	RequiredRole string `json:"required_role,omitempty"`
	// BelowExposure, set only when the suggestion is below what the
	// customer owes now, says why the cut is advised (a cap of risk or of
	// the credit report, a default, a hold, 90+ days overdue): such a limit
	// flags the customer as over it and holds its orders.
	BelowExposure string   `json:"below_exposure,omitempty"`
	Reasons       []string `json:"reasons"`
}

// Suggestions are a ledger's suggestions as of a day.
type Suggestions struct {
	AsOf   datasets.Date `json:"as_of"`
	Policy string        `json:"policy"`
	Rows   []Suggestion  `json:"suggestions"`
	// Currency is Options.Currency: only customers in it were assessed;
	// OtherCurrencies counts the customers left aside by it, by currency.
	Currency        string         `json:"currency,omitempty"`
	OtherCurrencies map[string]int `json:"other_currencies,omitempty"`
	// Problems lists the customers that got no suggestion, with the
	// reason. Suggest fails instead when a currency has no rate, so it is
	// empty unless a later rule leaves customers out.
	Problems []string `json:"problems,omitempty"`
}

// Suggest suggests a limit for every customer of l (or those in
// o.Customers) from what was known at the end of asOf, biggest changes
// first (by their size in the policy's currency).
func Suggest(l *datasets.Ledger, asOf datasets.Date, pol *Policy, o Options) (*Suggestions, error) {
	return suggestParts(features.WholeLedger(l), asOf, pol, o)
}

// suggestParts is Suggest over a ledger read in parts of whole customers.
func suggestParts(parts features.Parts, asOf datasets.Date, pol *Policy, o Options) (*Suggestions, error) {
	as, err := assessParts(parts, asOf, pol, o)
	if err != nil {
		return nil, err
	}
	if err := as.missingRates(); err != nil {
		return nil, err
	}
	out := &Suggestions{AsOf: asOf, Policy: pol.Source, Rows: []Suggestion{}, Currency: o.Currency, OtherCurrencies: as.other}
	for _, a := range as.list {
		out.Rows = append(out.Rows, as.suggest(a))
	}
	slices.SortStableFunc(out.Rows, func(x, y Suggestion) int {
		return cmp.Or(cmp.Compare(as.inPolicy(y.CustomerID, abs(y.Change.Money())), as.inPolicy(x.CustomerID, abs(x.Change.Money()))),
			strings.Compare(x.CustomerID, y.CustomerID))
	})
	return out, nil
}

// assessment is the accounts of a ledger with their risk and currency.
type assessment struct {
	pol      *Policy
	asOf     datasets.Date
	list     []*account // by customer id
	risk     map[string]Risk
	rate     map[string]float64 // policy currency per unit of the customer's
	review   map[string]datasets.Date
	requests map[string]Request
	// problems says, customer by customer, which could not be assessed
	// for want of a rate; missing is the same by currency, for the error
	// of Suggest and Flags, which refuse rather than leave them out.
	problems []string
	missing  *MissingRatesError
	// other counts, by currency, the customers Options.Currency left aside.
	other map[string]int
}

// MissingRatesError is customers whose currency has no rate to the
// policy's: Suggest and Flags refuse to answer without them (a list that
// silently lacks a third of the customers passes for the whole).
type MissingRatesError struct {
	// To is the policy's currency.
	To string
	// Customers counts the customers by currency; Examples gives the
	// first of each (by id), for the user to look up.
	Customers map[string]int
	Examples  map[string]string
}

func (e *MissingRatesError) Error() string {
	parts := make([]string, 0, len(e.Customers))
	for _, cur := range sortedIDs(e.Customers) {
		parts = append(parts, fmt.Sprintf("%s (%s, e.g. customer %s)", cur, plural(e.Customers[cur], "customer"), e.Examples[cur]))
	}
	return fmt.Sprintf("%v: no rate to %s for %s", datasets.ErrFX, e.To, strings.Join(parts, ", "))
}

// Unwrap makes the error a datasets.ErrFX, as the ledger's conversions'.
func (e *MissingRatesError) Unwrap() error { return datasets.ErrFX }

// Currencies lists the currencies without a rate, sorted.
func (e *MissingRatesError) Currencies() []string { return sortedIDs(e.Customers) }

// missingRates is the assessment's missing rates as an error, or nil.
func (as *assessment) missingRates() error {
	if as.missing == nil {
		return nil
	}
	return as.missing
}

// currencyOf is the currency a customer's amounts are read in: its own,
// else the policy's.
func currencyOf(c *datasets.Customer, pol *Policy) string { return cmp.Or(c.Currency, pol.Currency) }

// assess builds the accounts and settles each one's risk and exchange rate.
// Customers whose currency has no rate are left out, listed in problems
// and counted in missing; with Options.Currency, those in another currency
// are left aside and counted in other.
func assess(l *datasets.Ledger, asOf datasets.Date, pol *Policy, o Options) (*assessment, error) {
	return assessParts(features.WholeLedger(l), asOf, pol, o)
}

// assessParts is assess over a ledger read in parts of whole customers
// (features.Parts); it reads them again when a selected customer needs
// the segments' fallback rates, which are the whole portfolio's.
func assessParts(parts features.Parts, asOf datasets.Date, pol *Policy, o Options) (*assessment, error) {
	byID, err := accountsParts(parts, asOf, pol, o.Customers)
	if err != nil {
		return nil, err
	}
	for _, id := range o.Customers {
		if byID[id] == nil {
			return nil, fmt.Errorf("%w: customer %q", ErrNotFound, id)
		}
		if cur := currencyOf(&byID[id].c, pol); o.Currency != "" && cur != o.Currency {
			return nil, fmt.Errorf("%w: customer %s is in %s, not %s", ErrInput, id, cur, o.Currency)
		}
	}
	as := &assessment{pol: pol, asOf: asOf, risk: map[string]Risk{}, rate: map[string]float64{}, review: map[string]datasets.Date{},
		requests: o.Requests}
	every := make([]*account, 0, len(byID))
	for _, id := range sortedIDs(byID) {
		a := byID[id]
		every = append(every, a)
		if cur := currencyOf(&a.c, pol); o.Currency != "" && cur != o.Currency {
			if as.other == nil {
				as.other = map[string]int{}
			}
			as.other[cur]++
			continue
		}
		r, ok := currencyRate(a.c.Currency, pol.Currency, o.FX)
		if !ok {
			as.problems = append(as.problems, fmt.Sprintf("customer %s: no rate from %s to %s (pass the rates with --fx)", id, a.c.Currency, pol.Currency))
			if as.missing == nil {
				as.missing = &MissingRatesError{To: pol.Currency, Customers: map[string]int{}, Examples: map[string]string{}}
			}
			if as.missing.Customers[a.c.Currency]++; as.missing.Examples[a.c.Currency] == "" {
				as.missing.Examples[a.c.Currency] = id // ids come sorted: the first
			}
			continue
		}
		as.rate[id] = r
		as.list = append(as.list, a)
	}
	fallback, err := segmentFallback(parts, asOf, pol, o, as.list, every)
	if err != nil {
		return nil, err
	}
	for _, a := range as.list {
		if r, ok := o.Risk[a.c.ID]; ok && r.PD > 0 {
			as.risk[a.c.ID] = r
		} else {
			as.risk[a.c.ID] = Risk{PD: fallback[a.c.Segment], Source: "segment"}
		}
	}
	for i := range o.Events {
		e := &o.Events[i]
		if e.Kind == datasets.CreditApproved && e.Review != 0 {
			as.review[e.CustomerID] = e.Review // events come in proposal order; approvals set limits in claim order
		}
	}
	return as, nil
}

// segmentFallback is the PD by segment for customers without their own:
// from the whole portfolio's accounts (every: those built, the whole
// portfolio's unless customers were selected), also when only some
// customers are assessed (a segment's rate taken from the one customer
// asked about would be that customer's own record) or only one currency
// (a probability and a count of defaults need no conversion, so a
// customer's suggestion is the same in a run of its currency alone). The
// portfolio's accounts are built only when a selected customer needs the
// fallback.
func segmentFallback(parts features.Parts, asOf datasets.Date, pol *Policy, o Options, list, every []*account) (map[string]float64, error) {
	if len(o.Customers) == 0 {
		return segmentPD(every, o.Risk, asOf), nil
	}
	needed := false
	for _, a := range list {
		if r, ok := o.Risk[a.c.ID]; !ok || r.PD <= 0 {
			needed = true
			break
		}
	}
	if !needed {
		return nil, nil
	}
	all, err := accountsParts(parts, asOf, pol, nil)
	if err != nil {
		return nil, err
	}
	// The same accounts as a whole-portfolio run counts: every one.
	every = every[:0:0]
	for _, id := range sortedIDs(all) {
		every = append(every, all[id])
	}
	return segmentPD(every, o.Risk, asOf), nil
}

func sortedIDs[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// currencyRate is what one unit of cur is worth in to.
func currencyRate(cur, to string, fx datasets.FX) (float64, bool) {
	if cur == "" || cur == to {
		return 1, true
	}
	if fx.To != to {
		return 0, false
	}
	r, ok := fx.Rate(cur)
	return float64(r) / 1e9, ok
}

// inPolicy converts a customer's amount to the policy's currency.
func (as *assessment) inPolicy(id string, m datasets.Money) datasets.Money {
	return datasets.Money(math.Round(float64(m) * as.rate[id]))
}

// local converts a policy amount to a customer's currency.
func (as *assessment) local(id string, m datasets.Money) datasets.Money {
	return datasets.Money(math.Round(float64(m) / as.rate[id]))
}

// needCalc is the behaviour-based need and its parts (currency units).
type needCalc struct {
	runRate, year, recent, season float64
	perMonth, days, mean, sd      float64
	need                          float64
}

// needOf sizes the exposure a customer's business needs: the monthly
// run-rate (the history's, adjusted for its segment's coming season, or the last
// three months' when higher) over the terms plus the days it pays late,
// with room for the exposure's swings (a compound-Poisson approximation:
// invoices arrive at the customer's rate, their amounts vary as they did)
// so that it holds on pol.Need.Cover of days, times the headroom.
func (a *account) needOf(pol *Policy) needCalc {
	var n needCalc
	full := int(math.Ceil(a.months))
	var sum datasets.MoneySum
	for k := range min(full, pol.HistoryMonths) {
		sum.Add(a.monthly[k])
	}
	total, _ := sum.Total()
	n.year = total.Float() / a.months
	n.recent = (a.monthly[0] + a.monthly[1] + a.monthly[2]).Float() / min(3, a.months)
	n.season = a.season
	n.runRate = max(n.year*n.season, n.recent)
	n.perMonth = float64(a.issued) / a.months
	n.days = a.termsDays + a.daysLate
	n.mean = n.runRate * n.days / daysPerMonth
	cv2 := a.cv2
	if a.issued < 5 {
		cv2 = max(cv2, 1)
	}
	if count := n.perMonth * n.days / daysPerMonth; count > 0 {
		n.sd = n.mean * math.Sqrt((1+cv2)/count)
	}
	z := distuv.UnitNormal.Quantile(pol.Need.Cover)
	n.need = (n.mean + z*n.sd) * pol.Need.Headroom
	return n
}

// suggest computes one customer's suggestion.
func (as *assessment) suggest(a *account) Suggestion {
	pol, id := as.pol, a.c.ID
	cur := currencyOf(&a.c, pol)
	amt := func(m datasets.Money) string { return recommender.FormatAmount(m) + " " + cur }
	risk := as.risk[id]
	seg, segName := pol.segment(a.c.Segment)
	class := pol.class(risk.PD)
	s := Suggestion{CustomerID: id, Customer: a.c.Name, Segment: a.c.Segment, Currency: cur,
		Current: features.KPIMoney(a.limit), Exposure: features.KPIMoney(a.exposure),
		PD: round4(risk.PD), PDSource: risk.Source, RiskClass: class.Name,
		Review: addMonths(as.asOf, class.ReviewMonths)}
	if a.limit > 0 {
		u := round4(a.exposure.Float() / a.limit.Float())
		s.Utilisation = &u
	}
	var reasons []string
	if a.limit > 0 {
		reasons = append(reasons, fmt.Sprintf("owes %s against a limit of %s (%.0f%% used)", amt(a.exposure), amt(a.limit), 100**s.Utilisation))
	} else {
		// A limit of 0 is no credit, not no limit: all it owes is over it.
		reasons = append(reasons, fmt.Sprintf("owes %s against a limit of %s: no credit, so anything owed is over the limit", amt(a.exposure), amt(0)))
	}
	secured := as.secured(id)
	s.Secured = features.KPIMoney(secured)
	if secured > 0 {
		sec := pol.Secured[id]
		until := ""
		if sec.Until != 0 {
			until = " until " + longDate(sec.Until)
		}
		reasons = append(reasons, fmt.Sprintf("%s is secured by %s%s: the caps below apply to the rest", amt(secured), label(sec.Kind), until))
	}

	n := a.needOf(pol)
	s.Need = features.KPIMoney(math.Round(n.need * 100))
	cold := a.issued < pol.Need.MinInvoices || a.settled == 0
	base, bound := s.Need.Money(), BoundNeed
	if cold {
		base, bound = as.local(id, seg.StartingLimit), BoundColdStart
		reasons = append(reasons, fmt.Sprintf("new or quiet customer (%s issued and %d settled in the last %s): the %s starting limit of %s",
			plural(a.issued, "invoice"), a.settled, plural(pol.HistoryMonths, "month"), segLabel(segName, a.c.Segment), amt(base)))
	} else {
		reasons = append(reasons, needReason(a, n, pol, amt))
	}
	if r, ok := as.requests[id]; ok {
		if req := datasets.Money(math.Round(float64(r.Exposure) * pol.Need.Headroom)); req > base {
			base, bound = req, BoundRequest
			s.Need = features.KPIMoney(req)
			reasons = append(reasons, fmt.Sprintf("an order held on %s would have taken the exposure to %s: the request needs %s with the headroom",
				longDate(r.Day), amt(r.Exposure), amt(req)))
		}
	}
	// The need and the starting limit estimate what the business needs;
	// what the customer owes today is a fact. A limit below it would flag
	// a customer in good standing as over its limit and hold its orders,
	// so the exposure, with the headroom, floors them. The caps of risk and
	// of the credit report below may still cut under it: they are reasons
	// to, and the suggestion then says so (BelowExposure).
	if floor := datasets.Money(math.Round(float64(a.exposure) * pol.Need.Headroom)); a.exposure > 0 && floor > base &&
		(bound == BoundNeed || bound == BoundColdStart) {
		was := "the need"
		if bound == BoundColdStart {
			was = "the starting limit"
		}
		base, bound = floor, BoundExposure
		reasons = append(reasons, fmt.Sprintf("it owes %s now, more than %s allows: the limit is not set below the exposure; with %.0f%% headroom that is %s",
			amt(a.exposure), was, 100*(pol.Need.Headroom-1), amt(floor)))
	}
	if fin := a.fin; fin != nil {
		sh := pol.shares(fin.Rating)
		nw := datasets.Money(math.Round(float64(max(0, fin.TangibleNetWorth)) * sh.NetWorth))
		to := datasets.Money(math.Round(float64(fin.Turnover) * sh.Turnover))
		limit := secured + min(nw, to)
		s.FinancialLimit = ptr(features.KPIMoney(limit))
		src := cmp.Or(fin.Source, "credit report")
		rating := ""
		if fin.Rating != "" {
			rating = ", rating " + fin.Rating
		}
		reasons = append(reasons, fmt.Sprintf("the %s report of %s%s allows %s: the lower of %.0f%% of the tangible net worth (%s) and %.0f%% of the turnover (%s)",
			src, longDate(fin.Date), rating, amt(limit-secured), 100*sh.NetWorth, amt(fin.TangibleNetWorth), 100*sh.Turnover, amt(fin.Turnover)))
		if cold || limit < base {
			base, bound = limit, BoundFinancials
		}
	}
	if risk.PD > 0 {
		appetite, of := as.local(id, seg.MaxExpectedLoss), ""
		yearly := datasets.Money(math.Round(float64(a.issuedAmt) * 12 / a.months))
		if share := datasets.Money(math.Round(float64(yearly) * seg.MaxExpectedLossShare)); share > appetite {
			appetite, of = share, fmt.Sprintf(" (%s%% of its %s a year)", strconv.FormatFloat(100*seg.MaxExpectedLossShare, 'g', 3, 64), amt(yearly))
		}
		unsecured := float64(appetite) / (risk.PD * pol.LossGivenDefault)
		capAmt := secured + datasets.Money(min(float64(datasets.MaxAmount), math.Round(unsecured)))
		s.RiskCap = ptr(features.KPIMoney(capAmt))
		el := datasets.Money(math.Round(risk.PD * pol.LossGivenDefault * float64(max(0, a.limit-secured))))
		src := pdSource(risk.Source)
		if el > appetite {
			reasons = append(reasons, fmt.Sprintf("probability of default within a year %s (%s): the expected loss at the current limit, %s, exceeds the %s appetite of %s%s, which allows %s",
				percent(risk.PD), src, amt(el), segLabel(segName, a.c.Segment), amt(appetite), of, amt(capAmt)))
		} else {
			reasons = append(reasons, fmt.Sprintf("probability of default within a year %s (%s): the %s appetite of %s expected loss%s allows %s",
				percent(risk.PD), src, segLabel(segName, a.c.Segment), amt(appetite), of, amt(capAmt)))
		}
		if capAmt < base {
			base, bound = capAmt, BoundRiskAppetite
		}
	}
	sugg, rules := pol.round(base), bound
	if bound == BoundExposure {
		sugg = pol.roundUp(base) // rounding down could fall under the exposure again
	}
	switch {
	case a.defaulted != 0:
		sugg, bound = 0, BoundDefault
		reasons = append(reasons, fmt.Sprintf("in default since %s (%s): no credit", longDate(a.defaulted), a.defaultWhy))
	case a.hold != 0:
		sugg, bound = 0, BoundCreditHold
		reasons = append(reasons, fmt.Sprintf("on credit hold since %s: no credit until it is lifted", longDate(a.hold)))
	case a.overdue90 > 0 && sugg > a.limit:
		sugg, bound = a.limit, BoundOverdue90
		reasons = append(reasons, fmt.Sprintf("%s is more than 90 days overdue: the limit is not raised", amt(a.overdue90)))
	case a.limit > 0 && math.Abs(float64(sugg-a.limit)) < pol.MinChange*float64(a.limit):
		reasons = append(reasons, fmt.Sprintf("the rules give %s (%s), within %.0f%% of the current limit: no change", amt(sugg), boundLabel(bound), 100*pol.MinChange))
		sugg, bound = a.limit, BoundNoChange
	case bound == BoundExposure:
		reasons = append(reasons, fmt.Sprintf("%s binds: %s, rounded up to the grid", boundLabel(bound), amt(sugg)))
	default:
		reasons = append(reasons, fmt.Sprintf("%s binds: %s, rounded down to the grid", boundLabel(bound), amt(sugg)))
	}
	if sugg < a.exposure {
		why := cutLabel(bound)
		if bound == BoundNoChange { // what the rules gave, near the limit kept
			why = cutLabel(rules) + ", which keeps the current limit"
		}
		s.BelowExposure = fmt.Sprintf("the suggestion of %s is below the %s owed now: the cut is advised because of %s; "+
			"orders will be held until the exposure is back under it", amt(sugg), amt(a.exposure), why)
		reasons = append(reasons, s.BelowExposure)
	}
	s.Suggested, s.Change, s.Bound = features.KPIMoney(sugg), features.KPIMoney(sugg-a.limit), bound
	if sugg != a.limit {
		s.RequiredRole = pol.RequiredRole(as.inPolicy(id, max(0, sugg-secured)-max(0, a.limit-secured)))
	}
	reasons = append(reasons, fmt.Sprintf("risk class %s: review by %s (every %s)", class.Name, longDate(s.Review), months(class.ReviewMonths)))
	s.Reasons = reasons
	return s
}

// secured is the customer's secured part in force, in its currency.
func (as *assessment) secured(id string) datasets.Money {
	sec, ok := as.pol.Secured[id]
	if !ok || sec.Until != 0 && sec.Until < as.asOf {
		return 0
	}
	return as.local(id, sec.Amount)
}

// needReason says how the need was sized, with the customer's numbers.
func needReason(a *account, n needCalc, pol *Policy, amt func(datasets.Money) string) string {
	m := func(v float64) string { return amt(datasets.Money(math.Round(v * 100))) }
	var b strings.Builder
	terms := a.c.Terms.String() + " terms"
	if a.c.Terms == (datasets.Terms{}) {
		terms = fmt.Sprintf("%.0f-day terms (from its invoices)", a.termsDays)
	}
	fmt.Fprintf(&b, "invoices %s a month (%.1f invoices) on %s and pays %s late on average", m(n.runRate), n.perMonth, terms, plural(int(math.Round(a.daysLate)), "day"))
	switch {
	case n.runRate == n.recent && n.recent > n.year*n.season*1.05:
		// n.year is a monthly mean over the history, not its total.
		fmt.Fprintf(&b, " (the last 3 months; %s a month on average over the last %s)", m(n.year), plural(int(math.Ceil(a.months)), "month"))
	case math.Abs(n.season-1) >= 0.05:
		fmt.Fprintf(&b, " (%s a month on average over the last %s, %+.0f%% for the segment's coming season)", m(n.year), plural(int(math.Ceil(a.months)), "month"), 100*(n.season-1))
	}
	fmt.Fprintf(&b, ": about %s of sales are open, %s on average; to hold the exposure on %.0f%% of days with %.0f%% headroom it needs about %s",
		plural(int(math.Round(n.days)), "day"), m(n.mean), 100*pol.Need.Cover, 100*(pol.Need.Headroom-1), m(n.need))
	return b.String()
}

// segmentPD is each segment's probability of 90+ or write-off for customers
// without their own: the mean of the segment's known ones when at least five
// customers have one, else the segment's observed yearly default rate, with
// half a default of prior so that no segment is deemed riskless.
func segmentPD(list []*account, risk map[string]Risk, asOf datasets.Date) map[string]float64 {
	type acc struct {
		known, sum       float64
		active, defaults float64
	}
	by := map[string]*acc{}
	yearAgo := asOf.AddDays(-365)
	for _, a := range list {
		s := by[a.c.Segment]
		if s == nil {
			s = &acc{}
			by[a.c.Segment] = s
		}
		if r, ok := risk[a.c.ID]; ok && r.PD > 0 {
			s.known++
			s.sum += r.PD
		}
		if a.issued > 0 || a.exposure > 0 || a.defaulted > yearAgo {
			s.active++
			if a.defaulted > yearAgo {
				s.defaults++
			}
		}
	}
	out := make(map[string]float64, len(by))
	for seg, s := range by {
		if s.known >= 5 {
			out[seg] = s.sum / s.known
		} else {
			out[seg] = (s.defaults + 0.5) / (s.active + 1)
		}
	}
	return out
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

// addMonths moves d by n calendar months.
func addMonths(d datasets.Date, n int) datasets.Date {
	return datasets.DateOf(d.Time().AddDate(0, n, 0))
}

// percent writes a probability with one decimal, or two significant
// digits below 1% (0.034%, not 0.0%).
func percent(p float64) string {
	if p < 0.01 {
		return strconv.FormatFloat(100*p, 'g', 2, 64) + "%"
	}
	return strconv.FormatFloat(100*p, 'f', 1, 64) + "%"
}

func round4(v float64) float64 { return math.Round(v*1e4) / 1e4 }

func abs(m datasets.Money) datasets.Money {
	if m < 0 {
		return -m
	}
	return m
}

func ptr[T any](v T) *T { return &v }
