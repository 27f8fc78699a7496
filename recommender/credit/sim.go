package credit

import (
	"context"
	"fmt"
	"log/slog"
	"math"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/synth"
	"github.com/dsopilot/dsopilot/recommender"
)

// EvalSuggested is the name of the suggested policy in policy evaluate.
const EvalSuggested = "suggested"

// simReviewEvery is how often, in days, the simulated credit team runs the
// suggestion over the book: weekly, as a credit team's review meeting.
const simReviewEvery = 7

// SimPolicy is the credit policy run by a diligent credit team in the
// simulator's closed loop: every week it runs the suggestion over the book
// (with the payment model's probabilities) and changes the limits that are
// due for review by their class's cadence, whose class worsened, or whose
// orders were blocked over the limit since the last review (a limit request
// from sales: the suggestion covers the largest such order, within the
// caps); each day it gives new customers their segment's starting limit. It blocks an order that would take the exposure over the limit,
// and every order of a customer with a flag the policy blocks on (as of
// the last weekly review).
type SimPolicy struct {
	Policy *Policy
	// Risk gives the probabilities of 90+ or write-off (nil: the segments').
	Risk RiskSource
	// FX converts the simulation's currencies to the policy's.
	FX  datasets.FX
	Log *slog.Logger

	lastFull  datasets.Date
	review    map[string]datasets.Date // the limit's next review
	classRank map[string]int
	onboarded map[string]bool
	blocked   map[string]bool    // a blocking flag at the last review
	requested map[string]Request // the largest order held over the limit since the last review
}

var _ synth.CreditPolicy = (*SimPolicy)(nil)

// Review returns the day's limit changes.
func (p *SimPolicy) Review(ctx context.Context, obs *synth.Observation) ([]datasets.CreditDecision, error) {
	if p.review == nil {
		p.review, p.classRank, p.onboarded = map[string]datasets.Date{}, map[string]int{}, map[string]bool{}
		p.blocked, p.requested = map[string]bool{}, map[string]Request{}
	}
	day, l := obs.Day, obs.Ledger
	var out []datasets.CreditDecision
	decided := map[string]bool{}
	for i := range l.Customers {
		c := &l.Customers[i]
		// A customer joining today: the ledger shows it from the start of
		// the simulation, with no limit until its first decision.
		if c.Since == day && !p.onboarded[c.ID] {
			p.onboarded[c.ID] = true
			r, ok := currencyRate(c.Currency, p.Policy.Currency, p.FX)
			if !ok {
				return nil, fmt.Errorf("credit: no rate from %s to %s", c.Currency, p.Policy.Currency)
			}
			seg, _ := p.Policy.segment(c.Segment)
			limit := p.Policy.round(datasets.Money(math.Round(float64(seg.StartingLimit) / r)))
			out = append(out, datasets.CreditDecision{CustomerID: c.ID, NewLimit: limit, Reason: "credit policy: " + BoundColdStart, DecidedBy: "credit_policy"})
			decided[c.ID] = true
		}
	}
	if p.lastFull != 0 && day-p.lastFull < simReviewEvery {
		return out, nil
	}
	p.lastFull = day
	asOf := day - 1
	o := Options{FX: p.FX, Requests: p.requested}
	if p.Risk != nil {
		r, err := p.Risk.CustomerRisk(ctx, l, asOf)
		if err != nil {
			return nil, err
		}
		o.Risk = r
	}
	as, err := assess(l, asOf, p.Policy, o)
	if err != nil {
		return nil, err
	}
	if len(as.problems) > 0 {
		return nil, fmt.Errorf("credit: %v", as.problems)
	}
	for _, a := range as.list {
		id := a.c.ID
		if decided[id] || a.c.Since > day {
			continue
		}
		rank := classRank(p.Policy, p.Policy.class(as.risk[id].PD).Name)
		next, known := p.review[id]
		if !known {
			next = as.reviewDate(a) // zero, due now, for a limit no decision set
		}
		worse := known && rank > p.classRank[id]
		if _, asked := p.requested[id]; next > day && !worse && !asked {
			continue
		}
		s := as.suggest(a, nil) // the simulator's decisions are no approvals
		p.review[id], p.classRank[id] = s.Review, rank
		if s.Suggested.Money() != a.limit {
			out = append(out, datasets.CreditDecision{CustomerID: id, NewLimit: s.Suggested.Money(),
				Reason: "credit policy: " + s.Bound, DecidedBy: "credit_policy"})
		}
	}
	p.requested = map[string]Request{}
	clear(p.blocked)
	// The policy's own schedule stands for the limits it set, whatever
	// decision the ledger shows last (its decisions are dated by day ≤
	// asOf).
	for id, r := range p.review {
		as.review[id] = approvedReview{day: asOf, review: r}
	}
	for _, a := range as.list {
		for _, f := range as.flags(a, nil).Flags {
			if f.BlocksOrders && f.Kind != FlagOverLimit {
				p.blocked[a.c.ID] = true
			}
		}
	}
	return out, nil
}

// Accept blocks an order over the limit (and notes the limit request) or
// from a customer with a blocking flag.
func (p *SimPolicy) Accept(o synth.Order) bool {
	if o.Exposure+o.Amount > o.Limit && p.Policy.blocks(FlagOverLimit) {
		if r, ok := p.requested[o.CustomerID]; p.requested != nil && (!ok || o.Exposure+o.Amount > r.Exposure) {
			p.requested[o.CustomerID] = Request{Day: o.Day, Exposure: o.Exposure + o.Amount}
		}
		return false
	}
	return !p.blocked[o.CustomerID]
}

func classRank(pol *Policy, name string) int {
	for i, c := range pol.RiskClasses {
		if c.Name == name {
			return i
		}
	}
	return len(pol.RiskClasses)
}

// EvalPolicies returns the credit policies policy evaluate can compare
// with the simulator's own team: "suggested", this package's policy with
// the default model learnt from the simulated history.
func EvalPolicies(pol *Policy, log *slog.Logger) map[string]recommender.CreditPolicyMaker {
	return map[string]recommender.CreditPolicyMaker{
		EvalSuggested: func(ctx context.Context, history *datasets.Ledger, from datasets.Date) (synth.CreditPolicy, error) {
			dm, err := TrainDefaultModel(ctx, history, from-1)
			if err != nil {
				return nil, fmt.Errorf("learn the default model from the history: %w", err)
			}
			if log != nil {
				log.Info("default model learnt", "customer_months", dm.Rows, "defaults", dm.Events)
			}
			return &SimPolicy{Policy: pol, Risk: dm, FX: recommender.SimFX(), Log: log}, nil
		},
	}
}
