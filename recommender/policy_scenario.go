package recommender

import (
	"cmp"
	"context"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/synth"
)

// Policy names written to datasets.Action.Policy.
const (
	PolicyScenario    = "scenario"
	PolicyRecommender = "recommender"
	PolicyHoldout     = "holdout"
	PolicyOracle      = "oracle"
)

// ScenarioPolicy follows the scenario file as an ERP's dunning run does:
// each customer's most advanced pending step, covering its pending invoices,
// within the global rules and capacities, biggest amounts first. With
// Explore > 0 it replaces that share of its contacts by an alternative
// drawn uniformly from wait and the other types the rules allow, recording
// the propensities: the randomised history the recommender learns from.
type ScenarioPolicy struct {
	S        *Scenarios
	FX       datasets.FX
	Capacity map[string]int // per channel; overrides the file's
	Explore  float64
	rng      *rand.Rand
	ix       ledgerIndex // the simulator's ledger only grows
}

var _ synth.Policy = (*ScenarioPolicy)(nil)

// NewScenarioPolicy returns the scenario policy; seed drives its
// randomisation only.
func NewScenarioPolicy(s *Scenarios, fx datasets.FX, capacity map[string]int, explore float64, seed uint64) *ScenarioPolicy {
	return &ScenarioPolicy{S: s, FX: fx, Capacity: capacity, Explore: explore, rng: rand.New(rand.NewPCG(seed, 0x5ce7a410))}
}

// plannedContact is a contact a policy decided, before it is written out.
type plannedContact struct {
	a          *assessment
	c          candidate
	step       int
	policy     string
	propensity float64
	wait       bool
}

// Decide implements synth.Policy.
func (p *ScenarioPolicy) Decide(_ context.Context, obs *synth.Observation) ([]synth.Decision, error) {
	p.ix.sync(obs.Ledger)
	b, err := p.ix.book(obs.Day, newConverter(p.S.Currency, p.FX))
	if err != nil {
		return nil, err
	}
	plans := p.S.scenarioPlans(b)
	capa := p.S.newCapacity(p.Capacity)
	toolbox := p.S.ActionTypes()
	var out []synth.Decision
	for _, pl := range plans {
		if p.Explore > 0 {
			p.randomise(&pl, toolbox, obs.Day)
		}
		if !pl.wait {
			if ok, _ := capa.fits(pl.c.typ, pl.c.typ.Channel, pl.a.acc.Customer.Collector, pl.c.typ.Cost); !ok {
				continue // stays pending until capacity frees up
			}
			capa.take(pl.c.typ, pl.c.typ.Channel, pl.a.acc.Customer.Collector, pl.c.typ.Cost)
		}
		out = append(out, pl.decision())
	}
	return out, nil
}

// scenarioPlans lists the scenario's contacts of the day for every account
// the rules let through, biggest amount first.
func (s *Scenarios) scenarioPlans(b *Book) []plannedContact {
	var plans []plannedContact
	for _, acc := range b.Accounts {
		a := s.assess(b, acc)
		if a.stop.Rule != "" {
			continue
		}
		c, step, ok := s.scenarioPlan(a)
		if !ok {
			continue
		}
		plans = append(plans, plannedContact{a: a, c: c, step: step, policy: PolicyScenario, propensity: 1})
	}
	slices.SortStableFunc(plans, func(x, y plannedContact) int { return cmp.Compare(y.c.value, x.c.value) })
	return plans
}

// randomise replaces the plan, with probability Explore, by an alternative
// drawn uniformly from wait and the other allowed types, and records the
// propensity of what is done. Severe accounts (holdoutExempt) are left
// alone, as the recommender's holdout leaves them.
func (p *ScenarioPolicy) randomise(pl *plannedContact, toolbox []string, day datasets.Date) {
	if p.S.holdoutExempt(pl.a, day, pl.c.typ.Name, "") != "" {
		return // propensity 1: a severe account is never randomised
	}
	alts := []candidate{{}} // wait
	for _, c := range p.S.candidates(pl.a, toolbox) {
		if c.typ != pl.c.typ {
			alts = append(alts, c)
		}
	}
	k := float64(len(alts))
	pl.propensity = 1 - p.Explore
	if p.rng.Float64() >= p.Explore {
		return
	}
	alt := alts[p.rng.IntN(len(alts))]
	pl.policy, pl.propensity = PolicyHoldout, p.Explore/k
	if alt.typ == nil {
		pl.wait = true
		return
	}
	pl.c = alt
}

func (pl *plannedContact) decision() synth.Decision {
	d := synth.Decision{CustomerID: pl.a.acc.Customer.ID, Policy: pl.policy, Propensity: roundPropensity(pl.propensity)}
	for _, it := range pl.c.items {
		d.InvoiceIDs = append(d.InvoiceIDs, it.Invoice.ID)
	}
	if pl.wait {
		d.Type = ActionWait
		return d
	}
	d.Type, d.Channel = pl.c.typ.Name, pl.c.typ.Channel
	return d
}

// roundPropensity keeps 6 significant decimals, as a CSV would, so that a
// ledger read back from files gives the same estimates.
func roundPropensity(p float64) float64 { return math.Round(p*1e6) / 1e6 }
