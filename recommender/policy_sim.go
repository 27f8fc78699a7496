package recommender

import (
	"context"
	"math"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/synth"
)

var _ synth.Policy = (*Recommender)(nil)

// Decide implements synth.Policy: the day's worklist, its recommendations
// dated that day taken as decisions (holdout waits included, so that their
// propensities are logged).
func (r *Recommender) Decide(_ context.Context, obs *synth.Observation) ([]synth.Decision, error) {
	r.ix.sync(obs.Ledger)
	b, err := r.ix.book(obs.Day, newConverter(r.S.Currency, r.FX))
	if err != nil {
		return nil, err
	}
	w := r.worklist(b)
	out := make([]synth.Decision, 0, len(w.Recommendations))
	for _, rec := range w.Recommendations {
		if rec.Date != obs.Day || len(rec.Invoices) == 0 {
			continue
		}
		out = append(out, synth.Decision{CustomerID: rec.CustomerID, InvoiceIDs: rec.Invoices, Type: rec.Action,
			Channel: rec.Channel, Policy: rec.Policy, Propensity: rec.Propensity})
	}
	return out, nil
}

// NewOracle returns the policy that knows the simulator's truth: each
// invoice's natural payment distribution, each customer's true response to
// each action type and its default hazard. It values contacts exactly as
// the recommender does (cash brought forward over the same 60 days, loss
// avoided, cost) and allocates under the same rules and capacities, so it
// bounds what better estimates could achieve. It keeps no holdout.
func NewOracle(s *Scenarios, fx datasets.FX, env *synth.Env, capacity map[string]int) *Recommender {
	effects := map[[2]string]synth.ActionEffect{}
	for _, e := range synth.ActionEffects() {
		effects[[2]string{e.Behaviour, e.Action}] = e
	}
	return &Recommender{S: s, FX: fx, Capacity: capacity, Holdout: 0, policy: PolicyOracle,
		valuer: &oracleValuer{env: env, s: s, effects: effects}}
}

type oracleValuer struct {
	env     *synth.Env
	s       *Scenarios
	effects map[[2]string]synth.ActionEffect
}

func (o *oracleValuer) fork() valuer { return o }

// value computes the true expected days saved of each invoice: with T the
// days until the natural payment (given it has not come by this morning)
// and L the response lag, the contact pays at L with probability p, so
// P(unpaid after u days) falls by P(T > u)·p·P(L ≤ u).
func (o *oracleValuer) value(b *Book, a *assessment, c *candidate) actionValue {
	var out actionValue
	var w float64
	h := o.s.HorizonDays
	for _, it := range c.items {
		ol, ok := o.env.InvoiceOutlook(it.Invoice.ID)
		if !ok || ol.Disputed {
			continue
		}
		eff, ok := o.effects[[2]string{ol.Behaviour, c.typ.Name}]
		if !ok {
			continue
		}
		tail := func(x float64) float64 { // P(X > x)
			p := 0.0
			for k := range 2 {
				p += ol.Weight[k] * (1 - normCDF((x-ol.Mean[k])/ol.SD[k]))
			}
			return p
		}
		dpd := float64(b.Day - ol.Due)
		base := tail(dpd - 1)
		if base < 1e-9 {
			continue
		}
		lagP := func(u int) float64 { // P(L ≤ u)
			if u < eff.LagMinDays {
				return 0
			}
			return math.Min(1, float64(u-eff.LagMinDays+1)/float64(eff.LagMaxDays-eff.LagMinDays+1))
		}
		saved := 0.0
		last := curveDays[len(curveDays)-1]
		for u := 0; u < last; u++ {
			saved += tail(dpd+float64(u)) / base * eff.PRespond * lagP(u)
		}
		unpaidH := tail(dpd+float64(h)) / base
		hazard := 0.0
		if ol.Hazard > 0 && b.Day >= ol.HazardFrom {
			hazard = ol.Hazard
		}
		val := it.Value.Float()
		out.ev += val * saved * (o.s.CostOfCapital/365 + hazard*o.s.LossGivenDefault)
		w += val
		u := &out.uplift
		u.PaidWithinWait += val * (1 - unpaidH)
		u.PaidWithin += val * (1 - unpaidH*(1-eff.PRespond*lagP(h)))
		u.DaysSaved += val * saved
	}
	// The truth has no interval: low and high are the uplift itself (the
	// sums are still weighted by value here; average divides them).
	u := &out.uplift
	u.Low, u.High = u.PaidWithin-u.PaidWithinWait, u.PaidWithin-u.PaidWithinWait
	u.average(w)
	out.uplift.Action = c.typ.Name
	out.ev -= c.typ.Cost.Float()
	return out
}

func normCDF(z float64) float64 { return 0.5 * math.Erfc(-z/math.Sqrt2) }
