package recommender

import (
	"context"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"sort"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/synth"
	"github.com/dsopilot/dsopilot/features"
)

// OPEResult is an off-policy estimate of a policy's value on a logged
// history. The unit is one logged decision about one invoice; its reward is
// what the invoice brought in within the horizon (its value if paid within
// H days of the decision, else 0) less the contact's cost. The policy is the
// recommender's rule applied to each logged situation: the allowed type of
// highest expected value, or wait.
type OPEResult struct {
	Policy    string  `json:"policy"`
	Decisions int     `json:"decisions"`
	Horizon   int     `json:"horizon_days"`
	Logged    float64 `json:"logged"` // mean reward of what was done
	// Estimate is the doubly-robust estimate of the mean reward under the
	// policy (cross-fitted: see OPE), with a bootstrap 95% interval;
	// DirectMethod and IPS are its two ingredients alone.
	Estimate     Estimate `json:"estimate"`
	DirectMethod float64  `json:"direct_method"`
	IPS          float64  `json:"ips"`
	// Agreement is the share of decisions where the policy does what was
	// logged.
	Agreement float64 `json:"agreement"`
	// Simulated is the true mean reward under the policy, replayed in the
	// simulator with the same random draws (evaluation only; 0 otherwise).
	Simulated float64 `json:"simulated,omitempty"`
	// NotRandomised counts the logged decisions made with propensity 1
	// (severe accounts, which the holdout leaves alone): only that one
	// action was ever logged in their situations, so neither IPS nor the
	// correction of DR can say what another would have done there
	// (positivity). They are left out of every figure above, Simulated
	// included; the policy would act otherwise on NotRandomisedDiffer of
	// them, and NotRandomisedDM is the direct method's mean reward there,
	// the effects model's word alone. Note says so in a sentence.
	NotRandomised       int     `json:"not_randomised"`
	NotRandomisedDiffer int     `json:"not_randomised_differ"`
	NotRandomisedDM     float64 `json:"not_randomised_direct_method,omitempty"`
	Note                string  `json:"note,omitempty"`
}

// note says what the estimate leaves out.
func (res *OPEResult) note() string {
	if res.NotRandomised == 0 {
		return ""
	}
	return fmt.Sprintf("%s made with propensity 1 (severe accounts: 90+ days past due, over the limit, on credit hold "+
		"or at the final notice or beyond, never randomised) are left out: no other action was logged there, so "+
		"IPS and DR cannot evaluate one (positivity); the policy would act otherwise on %d of them, where only the "+
		"direct method speaks (mean reward %.2f)", Plural(res.NotRandomised, "logged decision"), res.NotRandomisedDiffer, res.NotRandomisedDM)
}

// OPE estimates, on the logged decisions of a ledger up to cutoff, the
// value of the recommender's rule. It cross-fits: the customers are split
// in two halves by a hash of their id, the effects learnt on each half
// score the other's decisions, so that no decision is scored by a model
// that saw its outcome (in-sample scores flattered the estimate by 2–7%).
func OPE(ctx context.Context, l *datasets.Ledger, cutoff datasets.Date, s *Scenarios, fx datasets.FX, o EffectsOptions) (*OPEResult, error) {
	return OPEParts(ctx, features.WholeLedger(l), cutoff, s, fx, o)
}

// crossFitOPE is OPE on rows with two-fold cross-fitting by customer.
func crossFitOPE(ctx context.Context, rows []decisionRow, cutoff datasets.Date, s *Scenarios, o EffectsOptions) (*OPEResult, []opeRow, error) {
	var folds [2][]decisionRow
	for _, r := range rows {
		h := fnv.New64a()
		h.Write([]byte(r.customer))
		f := h.Sum64() % 2
		folds[f] = append(folds[f], r)
	}
	var all []opeRow
	var scores []float64
	res := &OPEResult{Policy: PolicyRecommender}
	var agree float64
	for f := range folds {
		e, err := learnRows(ctx, folds[f], cutoff, s, o)
		if err != nil {
			return nil, nil, err
		}
		part, out, sc := opeScores(folds[1-f], e, s)
		n := float64(len(sc))
		res.Logged += part.Logged * n
		res.DirectMethod += part.DirectMethod * n
		res.IPS += part.IPS * n
		agree += part.Agreement * n
		res.Horizon = part.Horizon
		res.NotRandomisedDM += part.NotRandomisedDM * float64(part.NotRandomised)
		res.NotRandomised += part.NotRandomised
		res.NotRandomisedDiffer += part.NotRandomisedDiffer
		scores = append(scores, sc...)
		all = append(all, out...)
	}
	n := float64(len(scores))
	res.Decisions = len(scores)
	if n == 0 {
		return nil, nil, fmt.Errorf("%w: no logged decision with a propensity below 1 and a known outcome by %s (%d made with propensity 1, never randomised)",
			ErrNoRandomisation, cutoff, res.NotRandomised)
	}
	res.Logged /= n
	res.DirectMethod /= n
	res.IPS /= n
	res.Agreement = agree / n
	if res.NotRandomised > 0 {
		res.NotRandomisedDM /= float64(res.NotRandomised)
	}
	res.Note = res.note()
	res.Estimate = bootstrapMean(scores, rand.New(rand.NewPCG(o.Seed, 0x0be)))
	return res, all, nil
}

// opeRow is a decision with the policy's choice.
type opeRow struct {
	r      *decisionRow
	choice string
}

// opeScores scores the rows with effects e: the means (in res) and each
// decision's doubly-robust score.
func opeScores(rows []decisionRow, e *Effects, s *Scenarios) (*OPEResult, []opeRow, []float64) {
	k := e.hIndex
	res := &OPEResult{Policy: PolicyRecommender, Horizon: curveDays[k]}
	perDay := s.CostOfCapital / 365
	cost := func(a string) float64 {
		if t := s.Types[a]; t != nil && a != ActionWait {
			return t.Cost.Float()
		}
		return 0
	}
	var scores []float64
	var out []opeRow
	agree := 0
	for i := range rows {
		r := &rows[i]
		if r.paid[k] < 0 {
			continue
		}
		val := r.value.Float()
		cw := e.curve(ActionWait, r.x, nil)
		qhat := map[string]float64{ActionWait: val * cw[k]}
		choice, best := ActionWait, 0.0
		for _, a := range r.feasible {
			if a == ActionWait {
				continue
			}
			ca := e.curve(a, r.x, nil)
			qhat[a] = val*ca[k] - cost(a)
			ev := val*(expectedDaysUnpaid(cw)-expectedDaysUnpaid(ca))*perDay - cost(a)
			if ev > best {
				choice, best = a, ev
			}
		}
		q, ok := qhat[r.arm]
		if !ok {
			continue // logged an arm the rules no longer allow (a changed file)
		}
		reward := val*float64(r.paid[k]) - cost(r.arm)
		dm := qhat[choice]
		if r.propensity >= 1 {
			// Not randomised: no support for any other action here.
			res.NotRandomised++
			res.NotRandomisedDM += dm
			if r.arm != choice {
				res.NotRandomisedDiffer++
			}
			continue
		}
		ips := 0.0
		dr := dm
		if r.arm == choice {
			agree++
			wgt := min(maxWeight, 1/r.propensity)
			ips = wgt * reward
			dr += wgt * (reward - q)
		}
		res.Logged += reward
		res.DirectMethod += dm
		res.IPS += ips
		scores = append(scores, dr)
		out = append(out, opeRow{r: r, choice: choice})
	}
	n := float64(len(scores))
	res.Decisions = len(scores)
	if res.NotRandomised > 0 {
		res.NotRandomisedDM /= float64(res.NotRandomised)
	}
	if n == 0 {
		return res, nil, nil
	}
	res.Logged /= n
	res.DirectMethod /= n
	res.IPS /= n
	res.Agreement = float64(agree) / n
	res.Estimate.Mean = res.DirectMethod
	return res, out, scores
}

// evaluateOPE is OPE on the training history, with the simulated truth:
// each decision replayed with the policy's choice in place of what was
// logged, the later logged contacts kept, the same random draws.
func evaluateOPE(ctx context.Context, e *Effects, env *synth.Env, s *Scenarios, o EffectsOptions) (*OPEResult, error) {
	res, rows, err := crossFitOPE(ctx, e.rows, e.Cutoff, s, o.withDefaults())
	if err != nil {
		return nil, err
	}
	l := env.Ledger()
	later := map[string][]synth.Contact{}
	for i := range l.Actions {
		a := &l.Actions[i]
		if a.InvoiceID != "" && a.Type != ActionWait {
			later[a.InvoiceID] = append(later[a.InvoiceID], synth.Contact{Day: a.Date, Type: a.Type})
		}
	}
	h := res.Horizon
	total := 0.0
	for _, o := range rows {
		r := o.r
		until := r.day.AddDays(h)
		var cs []synth.Contact
		if o.choice != ActionWait {
			cs = append(cs, synth.Contact{Day: r.day, Type: o.choice})
		}
		for _, c := range later[r.invoice] {
			if c.Day > r.day && c.Day <= until {
				cs = append(cs, c)
			}
		}
		paid, ok := env.Replay(r.invoice, r.day, until, cs)
		if !ok {
			return nil, fmt.Errorf("replay %s: unknown invoice", r.invoice)
		}
		reward := 0.0
		if paid != 0 {
			reward = r.value.Float()
		}
		if t := s.Types[o.choice]; t != nil && o.choice != ActionWait {
			reward -= t.Cost.Float()
		}
		total += reward
	}
	res.Simulated = total / float64(len(rows))
	return res, nil
}

// doublyRobust estimates each type's average uplift over wait on P(paid
// within the horizon), over the randomisable logged decisions (propensity
// below 1) where the type was allowed and the outcome is known: ψ(a) = μ̂_a(x) + 1{A=a}/p · (Y − μ̂_a(x)), the
// mean of ψ(a) − ψ(wait), with a bootstrap interval (200 resamples).
func (e *Effects) doublyRobust(rng *rand.Rand) map[string]Estimate {
	out := map[string]Estimate{}
	k := e.hIndex
	for _, arm := range e.Arms[1:] {
		var diffs []float64
		for i := range e.rows {
			r := &e.rows[i]
			// A decision made with propensity 1 (a severe account, never
			// randomised) has no support for any other arm (positivity).
			if r.paid[k] < 0 || r.propensity >= 1 || !slices.Contains(r.feasible, arm) {
				continue
			}
			diffs = append(diffs, e.psi(r, arm)-e.psi(r, ActionWait))
		}
		out[arm] = bootstrapMean(diffs, rng)
	}
	return out
}

// psi is the doubly-robust score of an arm for one logged decision.
func (e *Effects) psi(r *decisionRow, arm string) float64 {
	k := e.hIndex
	mu := e.curve(arm, r.x, nil)[k]
	if r.arm != arm {
		return mu
	}
	return mu + min(maxWeight, 1/r.propensity)*(float64(r.paid[k])-mu)
}

// bootstrapMean is the mean of v with a percentile bootstrap interval.
func bootstrapMean(v []float64, rng *rand.Rand) Estimate {
	est := Estimate{N: len(v)}
	if len(v) == 0 {
		return est
	}
	for _, x := range v {
		est.Mean += x
	}
	est.Mean /= float64(len(v))
	const reps = 200
	means := make([]float64, reps)
	for b := range means {
		s := 0.0
		for range v {
			s += v[rng.IntN(len(v))]
		}
		means[b] = s / float64(len(v))
	}
	sort.Float64s(means)
	est.Low, est.High = means[reps*25/1000], means[reps*975/1000-1]
	return est
}
