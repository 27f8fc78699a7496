package reports

import (
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/model/forecast"
	"github.com/dsopilot/dsopilot/recommender"
)

// recommenderSource is the CollectionsSource of one ledger's worklists.
type recommenderSource struct {
	daily *recommender.Daily
	l     *datasets.Ledger
	fx    *datasets.FX
}

var _ CollectionsSource = recommenderSource{}

// RecommenderCollections returns the collections part of a report on l:
// the worklist of the first working day after the report's date (what to
// do next, from what the report shows) and the effects it rests on, from
// d. Amounts are converted from the worklist's currency with fx, the
// report's rates (nil: as they are).
func RecommenderCollections(d *recommender.Daily, l *datasets.Ledger, fx *datasets.FX) CollectionsSource {
	return recommenderSource{daily: d, l: l, fx: fx}
}

func (s recommenderSource) list(ctx context.Context, asOf datasets.Date) (*recommender.Worklist, *worklistConv, error) {
	// The first working day after the report's date where the calendar
	// lets anyone be contacted: a day on which every contact is deferred
	// (a holiday in the customers' countries) is skipped, for a week at most.
	day := s.daily.NextWorkingDay(asOf + 1)
	// The customers' invoices in a currency the rates lack are left out,
	// by the cash forecast's rule and as every page of the report leaves
	// them out (the collections page lists them): one unrated currency
	// failed the whole worklist. The report's rates are the recommender's
	// when they convert to the scenario's currency (dsopilot report and
	// serve give it them then); other rates only convert its list.
	l := s.l
	if sc := s.daily.Scenarios(); s.fx != nil && sc != nil && sc.Currency == s.fx.To {
		var err error
		if l, _, err = forecast.LeaveOutUnconverted(s.l, s.fx, asOf); err != nil {
			return nil, nil, err
		}
	}
	var w *recommender.Worklist
	for i := 0; i < 7; i++ {
		var err error
		if w, err = s.daily.Worklist(ctx, l, day); err != nil {
			return nil, nil, err
		}
		if len(w.Recommendations) > 0 || len(w.Deferred) == 0 {
			break
		}
		day = s.daily.NextWorkingDay(day + 1)
	}
	c := &worklistConv{from: w.Currency}
	if s.fx == nil || s.fx.To == w.Currency {
		return w, c, nil
	}
	r, ok := s.fx.Rate(w.Currency)
	if !ok {
		return nil, nil, fmt.Errorf("the worklist is in %s and the report in %s: the rates have no %s", w.Currency, s.fx.To, w.Currency)
	}
	c.to, c.rate = s.fx.To, &r
	return w, c, nil
}

// worklistConv converts the worklist's amounts to the report's currency
// and keeps the first amount that did not fit.
type worklistConv struct {
	from, to string
	rate     *datasets.Rate // nil: as they are
	err      error
}

func (c *worklistConv) conv(m datasets.Money) datasets.Money {
	if c.rate == nil {
		return m
	}
	v, ok := m.Convert(*c.rate)
	if !ok && c.err == nil {
		c.err = fmt.Errorf("%s %s does not fit in %s", m, c.from, c.to)
	}
	return v
}

// Worklist implements CollectionsSource.
func (s recommenderSource) Worklist(ctx context.Context, asOf datasets.Date) (*Worklist, error) {
	w, c, err := s.list(ctx, asOf)
	if err != nil {
		return nil, err
	}
	conv := c.conv
	var kept []KeptOff
	for _, e := range w.ExcludedCustomers {
		kept = append(kept, KeptOff{CustomerID: e.CustomerID, Rule: e.Rule, Detail: e.Detail, Amount: conv(e.Overdue.Money())})
	}
	for _, r := range w.Deferred {
		k := KeptOff{CustomerID: r.CustomerID, Action: r.Action, Amount: conv(r.Amount.Money())}
		var rules, details []string
		for _, b := range r.Blocked {
			if !slices.Contains(rules, b.Rule) {
				rules = append(rules, b.Rule)
			}
			details = append(details, b.Detail)
		}
		k.Rule, k.Detail = strings.Join(rules, ", "), strings.Join(details, "; ")
		kept = append(kept, k)
	}
	out := make([]NextAction, 0, len(w.Recommendations))
	for _, r := range w.Recommendations {
		a := NextAction{CustomerID: r.CustomerID, Collector: r.Collector, Date: r.Date, Type: r.Action, Channel: r.Channel,
			InvoiceIDs: r.Invoices, Amount: conv(r.Amount.Money()), Step: r.Step, Holdout: r.Policy == recommender.PolicyHoldout,
			Reasons: r.Reasons}
		if r.ExpectedValue != nil {
			a.Valued = true
			a.Value = conv(datasets.Money(math.Round(*r.ExpectedValue * 100)))
		}
		if u := r.Uplift; u != nil {
			a.HasUplift, a.Uplift, a.UpliftLo, a.UpliftHi = true, u.Uplift, u.Low, u.High
		}
		var blocked []string
		for _, b := range r.Blocked {
			blocked = append(blocked, b.Rule+": "+b.Detail)
		}
		a.Blocked = strings.Join(blocked, "; ")
		out = append(out, a)
	}
	if c.err != nil {
		return nil, c.err
	}
	return &Worklist{Actions: out, KeptOff: kept}, nil
}

// Effects implements CollectionsSource: the average uplift of each action
// type the worklist rests on; none when the worklist follows the scenario
// for want of randomised history.
func (s recommenderSource) Effects(ctx context.Context, asOf datasets.Date) ([]ActionEffect, error) {
	w, _, err := s.list(ctx, asOf)
	if err != nil {
		return nil, err
	}
	if w.Effects == nil {
		if w.Note != "" {
			return nil, fmt.Errorf("%s", w.Note)
		}
		return nil, nil
	}
	var out []ActionEffect
	for _, t := range slices.Sorted(maps.Keys(w.Effects.ATE)) {
		e := w.Effects.ATE[t]
		out = append(out, ActionEffect{Type: t, HorizonDays: w.Effects.Horizon, Uplift: e.Mean, Lo: e.Low, Hi: e.High, N: e.N,
			Randomised: w.Effects.Randomised > 0})
	}
	return out, nil
}
