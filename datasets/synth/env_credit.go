package synth

import (
	"context"
	"math"

	"github.com/dsopilot/dsopilot/datasets"
)

// Order is a customer's order, placed on Day: invoiced for Amount if the
// credit policy accepts it, a lost sale if it blocks it. Exposure is what
// the customer owes at the time and Limit its credit limit in force, both
// in its currency.
type Order struct {
	CustomerID string
	Day        datasets.Date
	Amount     datasets.Money
	Currency   string
	Exposure   datasets.Money
	Limit      datasets.Money
}

// CreditPolicy is the credit side of the closed loop. Each morning Review
// returns the day's limit changes (NewLimit per customer; OldLimit,
// Date and ID are filled in by the environment), which are recorded as
// credit decisions; each order then goes through Accept.
type CreditPolicy interface {
	Review(ctx context.Context, obs *Observation) ([]datasets.CreditDecision, error)
	Accept(o Order) bool
}

// CreditTeam is the simulator's own credit team, as Generate applies it:
// onboarding limits, half-yearly reviews sized on recent invoicing, a cut
// when a cash-strapped customer's distress shows, zero at default. It knows
// the truth about distress, which no real team does; it is the "current"
// credit policy of the simulation. With BlockOverLimit it blocks an order
// whose amount would take the exposure over the limit; without, it blocks
// nothing.
type CreditTeam struct{ BlockOverLimit bool }

var _ CreditPolicy = CreditTeam{}

// Review is not called by the environment, which runs the team's rules
// itself (they need the truth); it returns nothing.
func (CreditTeam) Review(context.Context, *Observation) ([]datasets.CreditDecision, error) {
	return nil, nil
}

// Accept blocks an order over the limit when BlockOverLimit is set.
func (ct CreditTeam) Accept(o Order) bool {
	return !ct.BlockOverLimit || o.Exposure+o.Amount <= o.Limit
}

// review runs the team's rules of day t (see customerSim.creditDecisions).
func (CreditTeam) review(e *Env, t datasets.Date) []datasets.CreditDecision {
	var out []datasets.CreditDecision
	for _, c := range e.cust {
		p := &c.p
		if t >= c.defaultDay {
			continue
		}
		if p.since == t && p.since >= e.per.start {
			out = append(out, datasets.CreditDecision{CustomerID: p.id, NewLimit: p.limitFor(p.expectedMonthly()),
				Reason: "new_customer", DecidedBy: "onboarding"})
			continue
		}
		day := addMonths(e.per.start, c.review*reviewEveryMonths).AddDays(p.reviewDay)
		if day != t {
			continue
		}
		c.review++
		if t < p.since.AddDays(90) || c.cut {
			continue
		}
		if p.b == cashStrapped && t > p.distress.AddDays(distressCutAfter) {
			next := max(100000, c.limit/2/100000*100000)
			out = append(out, datasets.CreditDecision{CustomerID: p.id, NewLimit: next,
				Reason: "payment_deterioration", DecidedBy: "credit_manager"})
			c.cut = true
			continue
		}
		var sum datasets.Money
		for _, is := range c.issued {
			if is.day >= t.AddDays(-182) && is.day < t {
				sum += is.amount
			}
		}
		next := p.limitFor(float64(sum) / 6)
		if math.Abs(float64(next-c.limit)) > reviewMinChange*float64(c.limit) {
			out = append(out, datasets.CreditDecision{CustomerID: p.id, NewLimit: next,
				Reason: "periodic_review", DecidedBy: "credit_team"})
		}
	}
	return out
}
