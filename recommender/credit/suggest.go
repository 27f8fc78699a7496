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
	BoundNeed         = "need"             // the exposure the relationship needs
	BoundRiskAppetite = "risk_appetite"    // expected loss at the segment's maximum
	BoundFinancials   = "financials"       // the credit report's limit
	BoundColdStart    = "cold_start"       // the segment's starting limit
	BoundRequest      = "request"          // a limit request (an order held)
	BoundDefault      = "default"          // in default: no credit
	BoundCreditHold   = "credit_hold"      // on credit hold: no credit
	BoundOverdue90    = "overdue_90"       // 90+ days overdue debt: no increase
	BoundUnlearnt     = "unlearnt_overdue" // overdue debt, a PD not learnt for the customer: no increase
	BoundOverdue      = "overdue"          // material debt overdue beyond the overdue flag's days: no increase
	BoundOverLimit    = "over_limit"       // over the limit with debt overdue beyond the lateness tolerance: no increase
	BoundNoChange     = "no_change"        // within min_change of the current limit
	BoundExposure     = "exposure"         // what the customer owes now, with the headroom
	BoundPeak         = "peak_exposure"    // the need held to a multiple of the year's highest exposure
	BoundSlipping     = "slipping"         // payments slipping: no increase, cut to the exposure (slip.go)
)

// Risk is what is known about a customer's risk of loss.
type Risk struct {
	// PD is the probability of ending 90+ days overdue or written off.
	PD float64
	// Source says where it comes from: "model" (the default model learnt
	// from the ledger), "payment_model" (a payment model's amount-weighted
	// mean over the open invoices: ModelRisk), "default" (in default: 1)
	// or "segment" (the mean of the segment's customers, or its observed
	// default rate).
	Source string
}

// Options say what Suggest and Flags look at beyond the ledger.
type Options struct {
	// Risk by customer; a customer without one gets its segment's.
	Risk map[string]Risk
	// FX converts the customers' currencies to the policy's, and records
	// in another currency than their customer's to the customer's; needed
	// only when a customer's or a record's currency differs.
	FX datasets.FX
	// Customers, when not empty, restricts the answer to these.
	Customers []string
	// Currency, when set, restricts the answer to the customers in that
	// currency (a customer's own, the policy's when it has none): a
	// multi-currency ledger assessed one currency at a time needs rates
	// only for that currency, and none when it is the policy's (but for
	// those of its customers' records in other currencies). The other
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
	// RiskAt gives the risk as of an earlier day, a month-end, for the
	// class a customer had when its limit was decided and the classes
	// seen since, which set the limit's review date (limitReview); a
	// customer without a PD there gets that day's fallback, as in Risk.
	// Nil: the class on the as-of day sets the review date (the
	// simulator's policy, which keeps its own review schedule).
	RiskAt func(day datasets.Date) (map[string]Risk, error)
	// RiskAtDays, when set, is RiskAt for every month-end at once, which a
	// source answers over one read of the ledger (the Service's); it is
	// used instead of RiskAt.
	RiskAtDays func(days []datasets.Date) (map[datasets.Date]map[string]Risk, error)
}

// riskAtDays is the risk as of each of days, by RiskAtDays or else RiskAt
// day by day.
func (o Options) riskAtDays(days []datasets.Date) (map[datasets.Date]map[string]Risk, error) {
	if o.RiskAtDays != nil {
		return o.RiskAtDays(days)
	}
	out := make(map[datasets.Date]map[string]Risk, len(days))
	for _, d := range days {
		r, err := o.RiskAt(d)
		if err != nil {
			return nil, fmt.Errorf("as of %s: %w", d, err)
		}
		out[d] = r
	}
	return out, nil
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
	CustomerID string            `json:"customer_id"`
	Customer   string            `json:"customer,omitempty"`
	Segment    string            `json:"segment,omitempty"`
	Currency   string            `json:"currency,omitempty"`
	Current    features.KPIMoney `json:"current_limit"`
	// LimitSource says where Current comes from: LimitFromDecision,
	// LimitFromApproval, LimitFromMaster or LimitNone; LimitSet is the day the
	// decision was taken (none for the master's limit).
	LimitSource string        `json:"limit_source"`
	LimitSet    datasets.Date `json:"limit_set_date,omitempty"`
	// Exposure is what the customer owes, net of what it holds on account
	// (ExposureBasis says how); the need's floor, the utilisation and the
	// flags read it.
	Exposure features.KPIMoney `json:"exposure"`
	ExposureBasis
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
	Bound    string  `json:"bound"`
	PD       float64 `json:"pd"`
	PDSource string  `json:"pd_source"`
	// CreditRiskClass is the policy's class of PD, the probability of
	// default within a year: not the worklist's class of the probability
	// of paying late (recommend's risk_class), which may well differ (a
	// customer paying every invoice late but never defaulting is low here,
	// high there). RiskClass is the same value under its older name, kept
	// for readers of it (deprecated).
	CreditRiskClass string `json:"credit_risk_class"`
	RiskClass       string `json:"risk_class"`
	// Review is the suggested limit's review date, were it decided on the
	// as-of day: the cadence of the class at the last month-end on or
	// before it, ReviewClass read at ReviewClassAsOf when that is not the
	// as-of day's (suggestionReview), the class a proposal made the next
	// day is made with; LimitReview the current limit's
	// (CustomerFlags.LimitReview), none for the customer master's limit
	// with no credit decision on record.
	Review          datasets.Date `json:"review_date"`
	ReviewClass     string        `json:"review_class,omitempty"`
	ReviewClassAsOf datasets.Date `json:"review_class_as_of,omitempty"`
	LimitReview     datasets.Date `json:"limit_review_date,omitempty"`
	// ReviewBasis says which class, read on which day, set LimitReview.
	ReviewBasis
	// RequiredRole is the least role that may approve the change (empty
	// when none may, or nothing changes).
	RequiredRole string `json:"required_role,omitempty"`
	// BelowExposure, set only when the suggestion is below what the
	// customer owes now, says why the cut is advised (a cap of risk or of
	// the credit report, a default, a hold, 90+ days overdue): such a limit
	// flags the customer as over it and holds its orders.
	BelowExposure string `json:"below_exposure,omitempty"`
	// PDCaution, set only on an increase whose PD is not the customer's
	// own (PDSource "segment": no model gave it one, so its risk class and
	// the risk cap are its segment's), says so; it is among the reasons.
	PDCaution string   `json:"pd_caution,omitempty"`
	Reasons   []string `json:"reasons"`
}

// Suggestions are a ledger's suggestions as of a day.
type Suggestions struct {
	AsOf   datasets.Date `json:"as_of"`
	Policy string        `json:"policy"`
	// PolicyCurrency is the currency of the policy's amounts (starting
	// limits, thresholds): the built-in policy's is the reporting
	// currency it was asked in (DefaultPolicyIn).
	PolicyCurrency string       `json:"policy_currency"`
	Rows           []Suggestion `json:"suggestions"`
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
	out := &Suggestions{AsOf: asOf, Policy: pol.Source, PolicyCurrency: pol.Currency, Rows: []Suggestion{}, Currency: o.Currency, OtherCurrencies: as.other}
	ap := approvalsOf(o.Events)
	for _, a := range as.list {
		out.Rows = append(out.Rows, as.suggest(a, ap))
	}
	slices.SortStableFunc(out.Rows, func(x, y Suggestion) int {
		return cmp.Or(cmp.Compare(as.inPolicy(y.CustomerID, abs(y.Change.Money())), as.inPolicy(x.CustomerID, abs(x.Change.Money()))),
			strings.Compare(x.CustomerID, y.CustomerID))
	})
	return out, nil
}

// needCalc is the behaviour-based need and its parts (currency units).
type needCalc struct {
	runRate, year, recent, season float64
	perMonth, days, mean, sd      float64
	need                          float64
	// late is the days late counted (the customer's mean, at most the
	// policy's tolerance); lateNeed the need had every day it pays late
	// counted, which paying late must not earn (0 when within tolerance).
	late, lateNeed float64
}

// needOf sizes the exposure a customer's business needs: the monthly
// run-rate (the last three months' adjusted for its segment's coming
// season, season.go, or the history's when higher) over the terms plus the days it pays late, up
// to the policy's tolerance (pol.Need.LateToleranceDays), with room for the
// exposure's swings (a compound-Poisson approximation: invoices arrive at
// the customer's rate, their amounts vary as they did) so that it holds on
// pol.Need.Cover of days, times the headroom. An invoice far above the
// customer's usual counts at the outlier bound in the run-rate and the
// amounts' spread (winsorise). The days late beyond the tolerance are not
// counted: the exposure they add is the customer's debt past due, and a
// limit sized on it would grow the later the customer pays.
func (a *account) needOf(pol *Policy) needCalc {
	var n needCalc
	full := int(math.Ceil(a.months))
	var sum datasets.MoneySum
	for k := range min(full, pol.HistoryMonths) {
		sum.Add(a.boundedMonth(k))
	}
	total, _ := sum.Total()
	n.year = total.Float() / a.months
	n.recent = (a.boundedMonth(0) + a.boundedMonth(1) + a.boundedMonth(2)).Float() / min(3, a.months)
	n.season = a.season
	// The season moves the last three months' rate into the coming three,
	// as the forecast moves its last 13 weeks'; the year's mean, which
	// already holds a year's high and low months, is the floor.
	n.runRate = max(n.year, n.recent*n.season)
	n.perMonth = float64(a.issued) / a.months
	n.late = min(a.daysLate, pol.Need.LateToleranceDays)
	n.days, n.mean, n.sd, n.need = a.needFor(pol, n.runRate, n.perMonth, a.termsDays+n.late)
	if a.daysLate > n.late {
		_, _, _, n.lateNeed = a.needFor(pol, n.runRate, n.perMonth, a.termsDays+a.daysLate)
	}
	return n
}

// needFor is the need of a run-rate and an invoice rate (a month) over
// days of open sales: the mean exposure, its spread and the need.
func (a *account) needFor(pol *Policy, runRate, perMonth, days float64) (d, mean, sd, need float64) {
	mean = runRate * days / daysPerMonth
	cv2 := a.out.cv2
	if a.issued < 5 {
		cv2 = max(cv2, 1)
	}
	if count := perMonth * days / daysPerMonth; count > 0 {
		sd = mean * math.Sqrt((1+cv2)/count)
	}
	z := distuv.UnitNormal.Quantile(pol.Need.Cover)
	return days, mean, sd, (mean + z*sd) * pol.Need.Headroom
}

// suggest computes one customer's suggestion; ap are the workflow's
// approvals, which tell the decisions they recorded (nil: none).
func (as *assessment) suggest(a *account, ap approvals) Suggestion {
	pol, id := as.pol, a.c.ID
	cur := currencyOf(&a.c, pol)
	amt := func(m datasets.Money) string { return recommender.FormatAmount(m) + " " + cur }
	risk := as.risk[id]
	seg, segName := pol.segment(a.c.Segment)
	class := pol.class(risk.PD)
	s := Suggestion{CustomerID: id, Customer: a.c.Name, Segment: a.c.Segment, Currency: cur,
		Current: features.KPIMoney(a.limit), Exposure: features.KPIMoney(a.exposure), ExposureBasis: a.exposureBasis(),
		PD: round4(risk.PD), PDSource: risk.Source, CreditRiskClass: class.Name, RiskClass: class.Name}
	reviewClass, reviewAt := as.suggestionReview(id, class)
	s.Review = as.asOf.AddMonths(reviewClass.ReviewMonths)
	if reviewAt != as.asOf {
		s.ReviewClass, s.ReviewClassAsOf = reviewClass.Name, reviewAt
	}
	lr := as.limitReview(a)
	s.LimitReview, s.ReviewBasis = lr.date, lr.ReviewBasis
	if a.limit > 0 {
		u := round4(a.exposure.Float() / a.limit.Float())
		s.Utilisation = &u
	}
	var reasons []string
	switch {
	case a.limit > 0:
		reasons = append(reasons, fmt.Sprintf("owes %s against a limit of %s (%.0f%% used)", a.owes(amt), amt(a.limit), 100**s.Utilisation))
	case a.notRecorded():
		// Blank is not 0: nothing is over a limit that was never set.
		reasons = append(reasons, fmt.Sprintf("owes %s with no credit limit recorded", a.owes(amt)))
	default:
		// A limit of 0 is no credit, not no limit: all it owes is over it.
		reasons = append(reasons, fmt.Sprintf("owes %s against a limit of %s: no credit, so anything owed is over the limit", a.owes(amt), amt(0)))
	}
	s.LimitSource, s.LimitSet = ap.limitSource(a)
	reasons = append(reasons, limitSourceReason(s.LimitSource, s.LimitSet, amt(a.limit)))
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
		if r := outlierReason(a.out, a.issued, pol.HistoryMonths, amt); r != "" {
			reasons = append(reasons, r)
		}
		reasons = append(reasons, needReason(a, n, pol, amt))
		// A raise beyond what the customer ever used, with headroom, needs
		// evidence of more business (peak.go); a limit in force above the
		// bound is not cut by it.
		if pb, growth := a.peakBound(pol, n); pb > 0 && base > pb && base > a.limit {
			reasons = append(reasons, peakReason(a, pol, n, pb, growth, base, amt))
			base, bound = max(pb, a.limit), BoundPeak
		}
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
	// Debt overdue beyond the lateness tolerance is left out of that
	// floor: a limit raised to hold it would grow the later the customer
	// pays, as the need would with every day late counted.
	arrears := a.arrears(as.asOf, pol.Need.LateToleranceDays)
	flagged := a.arrears(as.asOf, float64(pol.Flags.OverdueDays))
	held := max(0, a.exposure-arrears)
	// With a PD not learnt for the customer (its segment's rate) nothing
	// says its exposure is safe to hold: the floor would raise a customer
	// who let one order or its arrears run far past its limit to 1.5
	// times them (the German trial's suggestions raised 33 of 34
	// customers, a cash-strapped one at 543% of its limit from 24,000 to
	// 185,000, all at the segment's 1.2%). The need alone sizes it then.
	unlearnt := risk.Source == "segment"
	if floor := datasets.Money(math.Round(float64(held) * pol.Need.Headroom)); held > 0 && floor > base && !unlearnt &&
		(bound == BoundNeed || bound == BoundPeak || bound == BoundColdStart) {
		was := "the need"
		if bound == BoundColdStart {
			was = "the starting limit"
		}
		base, bound = floor, BoundExposure
		if arrears > 0 {
			reasons = append(reasons, fmt.Sprintf("it owes %s now, %s of it not overdue by more than %s, more than %s allows: the limit is not set below that; with %.0f%% headroom that is %s",
				amt(a.exposure), amt(held), plural(int(pol.Need.LateToleranceDays), "day"), was, 100*(pol.Need.Headroom-1), amt(floor)))
		} else {
			reasons = append(reasons, fmt.Sprintf("it owes %s now, more than %s allows: the limit is not set below the exposure; with %.0f%% headroom that is %s",
				amt(a.exposure), was, 100*(pol.Need.Headroom-1), amt(floor)))
		}
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
	// In default, the risk appetite has nothing to size: the default rule
	// below gives no credit, and says why.
	if risk.PD > 0 && risk.Source != "default" {
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
	sl, slipping := a.slipping(as.asOf, pol)
	slipCut := datasets.Money(math.MaxInt64)
	if slipping && pol.Slipping.CutToExposure && a.exposure > 0 {
		// Nothing owed, nothing to freeze: a customer that paid up, late,
		// keeps its limit (and gets no raise).
		slipCut = pol.roundUp(a.exposure)
	}
	if a.disputed90 > 0 && a.overdue90 == 0 {
		reasons = append(reasons, fmt.Sprintf("%s more than 90 days overdue is in dispute: not counted against its credit (the dispute is a query, not a default)", amt(a.disputed90)))
	}
	switch {
	case a.defaulted != 0:
		sugg, bound = 0, BoundDefault
		reasons = append(reasons, fmt.Sprintf("in default since %s (%s): no credit", longDate(a.defaulted), a.defaultWhy))
	case a.hold != 0:
		sugg, bound = 0, BoundCreditHold
		reasons = append(reasons, fmt.Sprintf("on credit hold since %s: no credit until it is lifted", longDate(a.hold)))
	case slipping && (sugg > a.limit || slipCut < sugg):
		// The slip shows before a model's PD or the year's mean lateness
		// does: no raise, and with the policy's cut no room for new
		// orders beyond what it owes until it pays.
		was := sugg
		to := min(sugg, a.limit)
		if a.notRecorded() { // no limit to keep: the rules' suggestion is the ceiling
			to = sugg
		}
		cut := slipCut < to
		if cut {
			to = slipCut
		}
		switch {
		case cut && a.limit > 0 && !a.notRecorded() && math.Abs(float64(to-a.limit)) < pol.MinChange*float64(a.limit):
			reasons = append(reasons, fmt.Sprintf("%s: the limit is not raised, and the cut to the %s it owes would be within %.0f%% of the current limit: no change (the rules gave %s)",
				sl.words(), amt(a.exposure), 100*pol.MinChange, amt(was)))
			to = a.limit
		case cut:
			reasons = append(reasons, fmt.Sprintf("%s: the limit is not raised, and is cut to the %s it owes, rounded up to %s: its orders wait until it pays (the rules gave %s)",
				sl.words(), amt(a.exposure), amt(to), amt(was)))
		default:
			reasons = append(reasons, fmt.Sprintf("%s: the limit is not raised (the rules gave %s)", sl.words(), amt(was)))
		}
		sugg, bound = to, BoundSlipping
	case a.overdue90 > 0 && sugg > a.limit:
		sugg, bound = a.limit, BoundOverdue90
		why := fmt.Sprintf("%s is more than 90 days overdue: the limit is not raised", amt(a.overdue90))
		if a.disputed90 > 0 {
			why += fmt.Sprintf(" (a further %s more than 90 days overdue is in dispute and not counted)", amt(a.disputed90))
		}
		reasons = append(reasons, why)
	case sugg > a.limit && material(flagged, a.exposure, pol.MinChange):
		// The flags list it as overdue (and escalate it): a raise would
		// say the opposite. The trial's customers drifting toward default
		// were raised on the exposure they could not pay (one owing
		// 44,404 against 2,687, 43,210 of it 64 days overdue, +4,813).
		sugg, bound = a.limit, BoundOverdue
		reasons = append(reasons, fmt.Sprintf("%s of the %s it owes is more than %s overdue (the overdue flag's threshold): the limit is not raised until it is paid (the rules gave %s)",
			amt(flagged), amt(a.exposure), plural(pol.Flags.OverdueDays, "day"), amt(pol.round(base))))
	case sugg > a.limit && !a.notRecorded() && a.exposure > a.limit && material(arrears, a.exposure, pol.MinChange):
		// Over its limit because it pays late, not because its business
		// grew: the headroom of a raise would finance its arrears.
		sugg, bound = a.limit, BoundOverLimit
		reasons = append(reasons, fmt.Sprintf("it owes %s, over its limit of %s, and %s of it is overdue by more than %s: the limit is not raised while it is over it in arrears (the rules gave %s)",
			amt(a.exposure), amt(a.limit), amt(arrears), plural(int(pol.Need.LateToleranceDays), "day"), amt(pol.round(base))))
	case unlearnt && sugg > a.limit && a.arrears(as.asOf, float64(pol.Flags.OverdueDays)) > 0:
		// The flags hold its orders and escalate; raising it on a rate
		// that is not its own would say the opposite.
		over := a.arrears(as.asOf, float64(pol.Flags.OverdueDays))
		sugg, bound = a.limit, BoundUnlearnt
		reasons = append(reasons, fmt.Sprintf("%s is more than %s overdue and its probability of default is its segment's rate, not learnt for it: the limit is not raised (the rules gave %s)",
			amt(over), plural(pol.Flags.OverdueDays, "day"), amt(pol.round(base))))
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
		if arrears > 0 && (rules == BoundNeed || rules == BoundPeak || rules == BoundColdStart || rules == BoundExposure) {
			why += fmt.Sprintf(", which does not cover the %s overdue by more than %s (paying late does not earn a larger limit)",
				amt(arrears), plural(int(pol.Need.LateToleranceDays), "day"))
		}
		// A cut only where the limit in force is higher: a limit of 0
		// kept at 0 is no cut.
		advised := "the cut is advised"
		if sugg >= a.limit {
			advised = "no higher limit is advised"
		}
		s.BelowExposure = fmt.Sprintf("the suggestion of %s is below the %s owed now: %s because of %s; "+
			"orders will be held until the exposure is back under it", amt(sugg), amt(a.exposure), advised, why)
		reasons = append(reasons, s.BelowExposure)
	}
	s.Suggested, s.Change, s.Bound = features.KPIMoney(sugg), features.KPIMoney(sugg-a.limit), bound
	if sugg > a.limit && risk.Source == "segment" {
		s.PDCaution = fallbackCaution(risk.PD, class.Name, s.RiskCap, amt)
		reasons = append(reasons, s.PDCaution)
	}
	if sugg != a.limit {
		s.RequiredRole = pol.RequiredRole(as.inPolicy(id, max(0, sugg-secured)-max(0, a.limit-secured)))
	}
	inDefault := ""
	switch risk.Source {
	case "default":
		inDefault = " (in default: probability of default 100%)"
	case "segment":
		inDefault = " (the segment's rate, not the customer's own)"
	}
	if s.ReviewClass != "" && s.ReviewClass != class.Name {
		reasons = append(reasons, fmt.Sprintf("credit risk class %s%s (by the probability of default within a year, not of paying late); its class as of %s, the last month-end, %s, sets the review date, as it would a proposal's: review by %s (every %s)",
			class.Name, inDefault, longDate(s.ReviewClassAsOf), s.ReviewClass, longDate(s.Review), months(reviewClass.ReviewMonths)))
	} else { // the same class, or the as-of day's
		reasons = append(reasons, fmt.Sprintf("credit risk class %s%s (by the probability of default within a year, not of paying late): review by %s (every %s)", class.Name, inDefault, longDate(s.Review), months(reviewClass.ReviewMonths)))
	}
	s.Reasons = reasons
	return s
}

// arrears is what the customer owes on invoices overdue by more than
// tolerance days on day t, disputed ones aside (not a credit matter).
func (a *account) arrears(t datasets.Date, tolerance float64) datasets.Money {
	var m datasets.Money
	for i := range a.open {
		if it := &a.open[i]; !it.disputed && float64(it.dpd(t)) > tolerance {
			m += it.outstanding
		}
	}
	return m
}

// material says whether overdue debt (beyond the overdue flag's days, or
// beyond the lateness tolerance for a customer over its limit)
// blocks a raise: when it is at least minChange of what the customer
// owes, the policy's own measure of a change too small to act on (a
// stray small invoice of a large customer is a query, not a reason).
func material(overdue, exposure datasets.Money, minChange float64) bool {
	return overdue > 0 && float64(overdue) >= minChange*float64(exposure)
}

// secured is the customer's secured part in force, in its currency.
func (as *assessment) secured(id string) datasets.Money {
	sec, ok := as.pol.Secured[id]
	if !ok || sec.Until != 0 && sec.Until < as.asOf {
		return 0
	}
	return as.local(id, sec.Amount)
}

func round4(v float64) float64 { return math.Round(v*1e4) / 1e4 }

func abs(m datasets.Money) datasets.Money {
	if m < 0 {
		return -m
	}
	return m
}

func ptr[T any](v T) *T { return &v }
