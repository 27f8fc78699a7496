package credit

import (
	"context"
	"fmt"
	"slices"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
)

// The review date of the limit in force follows the risk class the
// customer had when the limit was decided, read at month-ends, and not its
// class on the day asked about: that one moved the date back and forth
// with every change of class (a better class postponed a review already
// owed), and a worse one brought it forward to a date that could be long
// past, so that the limit was expired, holding orders, without ever having
// been due for review within the grace.

// Where a limit's review date comes from (ReviewBasis.From).
const (
	// ReviewFromDecision: the cadence of the customer's class at the
	// decision (the last month-end on or before it).
	ReviewFromDecision = "decision_class"
	// ReviewFromWorseClass: a class worse than the one at the decision,
	// first seen at a later month-end, brought the review forward: its
	// cadence from the decision, but never before the month-end it was
	// first seen at.
	ReviewFromWorseClass = "worse_class"
	// ReviewFromApproval: the review date the workflow's approval recorded
	// (the cadence of the class its proposal was made with).
	ReviewFromApproval = "approval"
)

// ReviewBasis says which risk class, read on which day, set the review
// date of the limit in force (empty for the customer master's limit with
// no decision on record, which has none).
type ReviewBasis struct {
	From string `json:"limit_review_from,omitempty"`
	// Class is the risk class whose cadence set the review date.
	Class string `json:"limit_review_class,omitempty"`
	// ClassAsOf is the day Class was read at: the last month-end on or
	// before the decision (its month's end when nothing was on record by
	// then), or the first month-end at which a worse class held; zero for
	// an approval's class, read for its proposal.
	ClassAsOf datasets.Date `json:"limit_review_class_as_of,omitempty"`
}

// limitReview is the review date of a limit in force and what it rests on.
type limitReview struct {
	date    datasets.Date
	decided datasets.Date // the day of the decision (or approval) that set the limit
	months  int           // Class's cadence
	ReviewBasis
	// first is the class at the decision (or the approval's) and its review
	// date, when a worse class brought the review forward.
	first     ReviewBasis
	firstDate datasets.Date
}

// classHistory is the customers' risk class (its index in the policy's
// RiskClasses, best first) at the month-ends a review date looks at.
type classHistory struct {
	ends  []datasets.Date // ascending
	class map[datasets.Date]map[string]int
}

// lastMonthEnd is the last month-end on or before d.
func lastMonthEnd(d datasets.Date) datasets.Date {
	if e := d.MonthEnd(); e == d {
		return e
	}
	return datasets.MonthStart(d.MonthIndex()) - 1
}

// classIndex is the index of pd's class in the policy's RiskClasses.
func (p *Policy) classIndex(pd float64) int {
	return classRank(p, p.class(pd).Name)
}

// decided is the day of the decision that set a's limit in force and,
// for an approval's, the review date it recorded and the class it was
// proposed with.
func (as *assessment) decided(a *account) (day datasets.Date, ap approvedReview, approved bool) {
	// The approval's decision is dated on its day: a decision dated later
	// replaced it, and its review date went with it.
	if r, ok := as.review[a.c.ID]; ok && r.day >= a.limitSet {
		return r.day, r, true
	}
	return a.limitSet, approvedReview{}, false
}

// reviewDate is the day a customer's limit is due for review (limitReview).
func (as *assessment) reviewDate(a *account) datasets.Date { return as.limitReview(a).date }

// limitReview is the day a customer's limit is due for review, and why:
// the review date the approval that set it recorded, else the cadence of
// the class the customer had at the decision (the last month-end on or
// before it, classAt); brought forward by a worse class first seen at a later
// month-end to its own cadence from the decision, but never to a day
// before that month-end, so that a review brought forward is due, within
// the grace, before it is expired. A better class never postpones it.
// A limit with neither an approval nor a decision, the customer master's
// (or a first decision's old limit, before that decision), is the limit
// in force with no review on record: zero, never expired. Counting its
// cadence from the relationship's start instead made nearly every limit
// of a fresh import expired, and held those customers' orders, for want
// of a date no export carries.
//
// Without a class history (Options.RiskAt nil), the class at the decision
// is the one on the as-of day, and no later class is looked at.
func (as *assessment) limitReview(a *account) limitReview {
	pol, id := as.pol, a.c.ID
	day, ap, approved := as.decided(a)
	if day == 0 {
		return limitReview{}
	}
	lr := limitReview{decided: day}
	first := -1
	switch {
	case approved:
		lr.date, lr.From, lr.Class = ap.review, ReviewFromApproval, ap.class
		if i := classRank(pol, ap.class); i < len(pol.RiskClasses) {
			first, lr.months = i, pol.RiskClasses[i].ReviewMonths
		}
	case as.history == nil:
		c := pol.class(as.risk[id].PD)
		first = classRank(pol, c.Name)
		lr.date, lr.months, lr.ReviewBasis = day.AddMonths(c.ReviewMonths), c.ReviewMonths, ReviewBasis{ReviewFromDecision, c.Name, as.asOf}
	default:
		at, ok := as.classAt(id, lastMonthEnd(day), day.MonthEnd())
		if first = as.history.class[at][id]; !ok { // not read (learnClasses reads every decision's): the as-of day's
			at, first = as.asOf, pol.classIndex(as.risk[id].PD)
		}
		c := pol.RiskClasses[first]
		lr.date, lr.months, lr.ReviewBasis = day.AddMonths(c.ReviewMonths), c.ReviewMonths, ReviewBasis{ReviewFromDecision, c.Name, at}
	}
	if as.history == nil {
		return lr
	}
	if first < 0 { // an approval's class the policy no longer has: its month-end's
		first = pol.classIndex(as.risk[id].PD)
		if at, ok := as.classAt(id, lastMonthEnd(day), day.MonthEnd()); ok {
			first = as.history.class[at][id]
		}
	}
	lr.first, lr.firstDate = lr.ReviewBasis, lr.date
	for _, m := range as.history.ends {
		if m <= day {
			continue
		}
		if m >= lr.date { // a class first seen once the review is owed changes nothing
			break
		}
		c, ok := as.history.class[m][id]
		if !ok || c <= first {
			continue
		}
		rc := pol.RiskClasses[c]
		if due := max(day.AddMonths(rc.ReviewMonths), m); due < lr.date {
			lr.date, lr.months, lr.ReviewBasis = due, rc.ReviewMonths, ReviewBasis{ReviewFromWorseClass, rc.Name, m}
		}
	}
	return lr
}

// classAt is the month-end whose class is a customer's at a decision: the
// last one on or before it, else, with nothing on record by then (a
// decision in the ledger's first month), the decision's month's end;
// false when neither was read.
func (as *assessment) classAt(id string, before, after datasets.Date) (datasets.Date, bool) {
	for _, m := range []datasets.Date{before, after} {
		if _, ok := as.history.class[m][id]; ok && m <= as.asOf {
			return m, true
		}
	}
	return 0, false
}

// words says where a review date comes from, for a flag's reason.
func (lr limitReview) words() string {
	switch lr.From {
	case ReviewFromApproval:
		if lr.months == 0 { // a class the policy no longer has
			return "the date its approval recorded"
		}
		return fmt.Sprintf("the date its approval recorded, %s after it for risk class %s", plural(lr.months, "month"), lr.Class)
	case ReviewFromDecision:
		return fmt.Sprintf("%s after the decision for risk class %s, its class as of %s", plural(lr.months, "month"), lr.Class, longDate(lr.ClassAsOf))
	}
	was := fmt.Sprintf("worse than its class at the decision, %s as of %s (a review on %s)", lr.first.Class, longDate(lr.first.ClassAsOf), longDate(lr.firstDate))
	if lr.first.From == ReviewFromApproval {
		was = fmt.Sprintf("worse than the class its approval was made with, %s (a review on %s)", lr.first.Class, longDate(lr.firstDate))
	}
	if cadence := lr.decided.AddMonths(lr.months); cadence < lr.date {
		return fmt.Sprintf("the day risk class %s was first seen, as of %s (%s after the decision, %s, had passed by then), %s",
			lr.Class, longDate(lr.ClassAsOf), plural(lr.months, "month"), longDate(cadence), was)
	}
	return fmt.Sprintf("%s after the decision for risk class %s, first seen as of %s, %s",
		plural(lr.months, "month"), lr.Class, longDate(lr.ClassAsOf), was)
}

// learnClasses reads the customers' classes at the month-ends their limits'
// review dates look at: from the last month-end on or before each decision
// in force to the as-of day, but none after the latest review a decision
// could have at its class's longest cadence. The PDs of a month-end are
// the risk source's as of that day (Options.RiskAtDays, or RiskAt a day
// at a time), with the fallbacks of assess as of that day: a customer in
// default by then is in the worst class, one without a PD has its
// segment's rate among the whole portfolio's accounts of that day
// (monthEndClasses). The as-of day's are the assessment's. Every
// month-end is read over one read of the ledger (classdays.go).
func (as *assessment) learnClasses(parts features.Parts, o Options) error {
	pol := as.pol
	longest := 0
	for _, c := range pol.RiskClasses {
		longest = max(longest, c.ReviewMonths)
	}
	// The last month-end on or before the as-of day gives every
	// suggestion's own review date its class (suggestionReview).
	need := map[datasets.Date]bool{lastMonthEnd(as.asOf): len(as.list) > 0}
	for _, a := range as.list {
		day, ap, approved := as.decided(a)
		if day == 0 {
			continue
		}
		last := day.AddMonths(longest)
		if approved {
			last = ap.review
		}
		need[min(lastMonthEnd(day), as.asOf)] = true
		for m := day.MonthEnd(); m <= as.asOf && m < last; m = (m + 1).MonthEnd() {
			need[m] = true
		}
	}
	h := &classHistory{class: map[datasets.Date]map[string]int{}}
	for m, ok := range need {
		if ok {
			h.ends = append(h.ends, m)
		}
	}
	slices.Sort(h.ends)
	// Every month-end before the as-of day at once: the ledger is read
	// and indexed once for all of them (historyAccounts, riskDays).
	var past []datasets.Date
	for _, m := range h.ends {
		if m != as.asOf {
			past = append(past, m)
		}
	}
	var (
		risks map[datasets.Date]map[string]Risk
		accts map[datasets.Date]map[string]*account
	)
	if len(past) > 0 {
		var err error
		if risks, err = o.riskAtDays(past); err != nil {
			return fmt.Errorf("the risk classes at the month-ends %s to %s, for the review dates: %w", past[0], past[len(past)-1], err)
		}
		if accts, err = historyAccounts(parts, past, pol, o.FX); err != nil {
			return fmt.Errorf("the accounts at the month-ends %s to %s, for the review dates: %w", past[0], past[len(past)-1], err)
		}
	}
	ids := make([]string, len(as.list))
	for i, a := range as.list {
		ids[i] = a.c.ID
	}
	for _, m := range h.ends {
		if m == as.asOf {
			classes := map[string]int{}
			for _, a := range as.list {
				classes[a.c.ID] = pol.classIndex(as.risk[a.c.ID].PD)
			}
			h.class[m] = classes
			continue
		}
		h.class[m] = monthEndClasses(pol, m, risks[m], accts[m], ids)
	}
	as.history = h
	return nil
}

// monthEndClasses is the classes of the customers ids at month-end m,
// from the PDs of that day (risk) and every account as of it (all,
// historyAccounts): a customer in default by then is in the worst class,
// one without a PD has its segment's rate among all of them. Empty before
// the ledger's first records (anythingOnRecord), and without the customers
// not known by then.
func monthEndClasses(pol *Policy, m datasets.Date, risk map[string]Risk, all map[string]*account, ids []string) map[string]int {
	classes := map[string]int{}
	every := make([]*account, 0, len(all))
	for _, id := range sortedIDs(all) {
		every = append(every, all[id])
	}
	if !anythingOnRecord(every) {
		return classes // before the ledger's first records: no class (limitReview)
	}
	fallback := segmentPD(every, risk, m)
	for _, id := range ids {
		if then := all[id]; then != nil {
			classes[id] = pol.classIndex(pdOf(then, risk, fallback).PD)
		}
	}
	return classes
}

// anythingOnRecord says whether any account has records by its day: before
// the ledger's first invoice every segment's rate is its prior alone (half a
// default in one customer: PD 0.5, the worst class), which is no class the
// customer had.
func anythingOnRecord(list []*account) bool {
	for _, a := range list {
		if a.issued > 0 || a.gross > 0 || a.defaulted != 0 {
			return true
		}
	}
	return false
}

// pdOf is a customer's risk from its account: PD 1 in default (no model's
// or segment's estimate of whether it will default applies, and any would
// make it look safer than it is), else its own PD, else its segment's.
func pdOf(a *account, risk map[string]Risk, fallback segmentRates) Risk {
	if a.defaulted != 0 {
		return Risk{PD: 1, Source: "default"}
	}
	if r, ok := risk[a.c.ID]; ok && r.PD > 0 {
		return r
	}
	if fallback.cleanHistory(a) {
		return Risk{PD: fallback.observed[a.c.Segment], Source: "segment"}
	}
	return Risk{PD: fallback.rate[a.c.Segment], Source: "segment"}
}

// decisionClass is the risk class a proposal made on day is made with,
// which sets the new limit's review date: the customer's class at the
// decision, read as a recorded decision's is (limitReview), at the last
// month-end on or before it, here the last one whose day is whole by the
// proposal (that of day itself is not over yet). It was the class of the
// day the suggestion is asked about (--as-of), which may be any earlier
// day, so that a proposal asked about an old day got that day's class and
// counted its cadence from today; and a class seen only between the
// month-end and the as-of day set a date no recorded decision would
// have. With nothing on record by that month-end, or the customer not yet
// known, it is the as-of day's class (asOfClass), as for a recorded
// decision without a class at its month-end; and when the suggestion's
// class (asOfClass), read after that month-end, is worse, it is that one, as the suggestion's review
// date reads it (suggestionReview): a customer turned high since the
// month-end is not given a low class's year. parts and l are the ledger
// (Service.ledger).
func (s *Service) decisionClass(ctx context.Context, parts features.Parts, l *datasets.Ledger, id string, day, asOf datasets.Date, asOfClass string) (string, error) {
	m := lastMonthEnd(day - 1)
	if m == asOf {
		return asOfClass, nil
	}
	risks, err := s.riskAtDays(ctx, parts, l)([]datasets.Date{m})
	if err != nil {
		return "", fmt.Errorf("the risk class as of %s, for the review date: %w", m, err)
	}
	accts, err := historyAccounts(parts, []datasets.Date{m}, s.Policy, s.FX)
	if err != nil {
		return "", fmt.Errorf("the accounts as of %s, for the review date: %w", m, err)
	}
	i, ok := monthEndClasses(s.Policy, m, risks[m], accts[m], []string{id})[id]
	if !ok || asOf > m && i <= classRank(s.Policy, asOfClass) {
		// The suggestion's class when it is as bad or worse and read
		// after the month-end (newer than it): the review date its
		// suggestion promised (suggestionReview). An older as-of day's
		// class is not the customer's now.
		return asOfClass, nil
	}
	return s.Policy.RiskClasses[i].Name, nil
}

// suggestionReview is the class that sets a suggestion's own review date
// and the day it is read at: the worse of the class at the last month-end
// on or before the as-of day and the as-of day's own. The month-end's is
// what a proposal made the next day reads for a recorded decision
// (decisionClass), but alone it gave a customer that turned high since a
// year's review: C1021 on trial36, PD 44.5% and 434% of its limit used,
// read "review by 30 August 2027 (every year)" as of 30 August for its
// class low at 31 July, where the API, a day later at the month-end, said
// 30 November 2026. A worse class now brings the date forward in both; a
// better one never postpones it (as for a limit in force, limitReview).
// With nothing on record by that month-end, or without a class history
// (the simulator's policy, Options.RiskAt nil), it is the as-of day's.
func (as *assessment) suggestionReview(id string, asOfClass RiskClass) (RiskClass, datasets.Date) {
	at := as.asOf
	if as.history != nil {
		if m := lastMonthEnd(as.asOf); m != as.asOf {
			if i, ok := as.history.class[m][id]; ok && i > classRank(as.pol, asOfClass.Name) {
				asOfClass, at = as.pol.RiskClasses[i], m
			}
		}
	}
	return asOfClass, at
}
