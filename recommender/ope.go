package recommender

import (
	"cmp"
	"context"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/synth"
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
}

// OPE estimates, on the logged decisions of a ledger up to cutoff, the
// value of the recommender's rule. It cross-fits: the customers are split
// in two halves by a hash of their id, the effects learnt on each half
// score the other's decisions, so that no decision is scored by a model
// that saw its outcome (in-sample scores flattered the estimate by 2–7%).
func OPE(ctx context.Context, l *datasets.Ledger, cutoff datasets.Date, s *Scenarios, fx datasets.FX, o EffectsOptions) (*OPEResult, error) {
	rows, err := collectDecisions(ctx, l, cutoff, s, fx)
	if err != nil {
		return nil, err
	}
	res, _, err := crossFitOPE(ctx, rows, cutoff, s, o.withDefaults())
	if err != nil {
		return nil, err
	}
	return res, nil
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
		scores = append(scores, sc...)
		all = append(all, out...)
	}
	n := float64(len(scores))
	res.Decisions = len(scores)
	if n == 0 {
		return nil, nil, fmt.Errorf("%w: no logged decision with a propensity and a known outcome by %s", ErrNoRandomisation, cutoff)
	}
	res.Logged /= n
	res.DirectMethod /= n
	res.IPS /= n
	res.Agreement = agree / n
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

// RankingRow compares, for one true behaviour, the estimated effect of
// each action type with the truth's response probability. Every type is
// evaluated on the same logged situations (all decisions about customers
// of that behaviour), so that the comparison is not one of situations.
type RankingRow struct {
	Behaviour string `json:"behaviour"`
	Action    string `json:"action"`
	// UpliftH is the mean estimated uplift on P(paid within the horizon).
	UpliftH float64 `json:"uplift_h"`
	// Response is the mean estimated share of the invoices still unpaid
	// after 30 days under wait that the action gets paid within 30 days
	// ((P_a − P_wait) / (1 − P_wait) at 30 days, every response lag
	// inside): the estimate of the truth's p_respond.
	Response  float64 `json:"response_30d"`
	N         int     `json:"n"`
	PRespond  float64 `json:"truth_p_respond"`
	RankEst   int     `json:"rank_estimated"` // 1 = largest Response
	RankTruth int     `json:"rank_truth"`     // 1 = largest PRespond
}

func upliftRanking(e *Effects, env *synth.Env) []RankingRow {
	truth := map[[2]string]float64{}
	for _, t := range synth.ActionEffects() {
		truth[[2]string{t.Behaviour, t.Action}] = t.PRespond
	}
	type acc struct {
		h, resp float64
		n       int
	}
	sums := map[[2]string]*acc{}
	k30 := horizonIndex(30)
	for i := range e.rows {
		r := &e.rows[i]
		b := env.Behaviour(r.customer)
		cw := e.curve(ActionWait, r.x, nil)
		for _, a := range e.Arms[1:] {
			ca := e.curve(a, r.x, nil)
			key := [2]string{b, a}
			s := sums[key]
			if s == nil {
				s = &acc{}
				sums[key] = s
			}
			s.h += ca[e.hIndex] - cw[e.hIndex]
			s.resp += (ca[k30] - cw[k30]) / max(0.01, 1-cw[k30])
			s.n++
		}
	}
	var out []RankingRow
	for key, s := range sums {
		p, ok := truth[key]
		if !ok || s.n == 0 {
			continue
		}
		out = append(out, RankingRow{Behaviour: key[0], Action: key[1], UpliftH: s.h / float64(s.n),
			Response: s.resp / float64(s.n), N: s.n, PRespond: p})
	}
	slices.SortFunc(out, func(a, b RankingRow) int {
		if c := cmp.Compare(a.Behaviour, b.Behaviour); c != 0 {
			return c
		}
		return cmp.Compare(b.PRespond, a.PRespond)
	})
	for i := 0; i < len(out); {
		j := i
		for j < len(out) && out[j].Behaviour == out[i].Behaviour {
			j++
		}
		grp := out[i:j]
		for x := range grp {
			grp[x].RankEst, grp[x].RankTruth = 1, 1
			for y := range grp {
				if grp[y].Response > grp[x].Response {
					grp[x].RankEst++
				}
				if grp[y].PRespond > grp[x].PRespond {
					grp[x].RankTruth++
				}
			}
		}
		i = j
	}
	return out
}

// RankAgreement is the share of pairs of actions, within a behaviour, that
// the estimates order as the truth does (pairs tied in the truth left out).
func RankAgreement(rows []RankingRow) (agree, pairs int) {
	for i := range rows {
		for j := i + 1; j < len(rows); j++ {
			a, b := rows[i], rows[j]
			if a.Behaviour != b.Behaviour || a.PRespond == b.PRespond {
				continue
			}
			pairs++
			if (a.PRespond > b.PRespond) == (a.Response > b.Response) {
				agree++
			}
		}
	}
	return agree, pairs
}
