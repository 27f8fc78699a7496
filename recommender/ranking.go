package recommender

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/dsopilot/dsopilot/datasets/synth"
)

// RankingRow compares, for one true behaviour of the simulator and one
// action type, the learnt effects with truth_action_effects.csv. It holds
// two estimates of the truth's p_respond (the chance that the action, taken
// on an unpaid invoice, triggers a payment within its lag window,
// lag_min..lag_max days later, whatever the invoice would have done
// otherwise):
//
// Response30, the ranking check as first built: the mean over every
// logged decision about customers of the behaviour, the type allowed or
// not, of the share of the invoices still unpaid at 30 days under wait
// that the type gets paid within them, (P_a − P_wait) / (1 − P_wait) at 30
// days.
//
// Response, on the truth's own terms: Σ (P_a(h) − P_wait(h)) / Σ (1 −
// P_wait(h)), with h the truth's lag_max rounded up to a point of the
// payment curve (7 days for courtesy reminders and reminders, 14 for calls
// and final notices, 30 for the agency), summed over the logged decisions
// about customers of the behaviour where the rules allowed the type for
// the invoice (its days-past-due window, the step it must follow). At a
// common 30 days the payments the process's next steps bring and the
// invoices paid anyway (nearly every prompt payer's) blur the differences,
// and a type evaluated where the rules never allow it (an agency before
// due) is extrapolated.
type RankingRow struct {
	Behaviour   string `json:"behaviour"`
	Action      string `json:"action"`
	HorizonDays int    `json:"horizon_days"`
	// Response is the effects' estimate, with the 95% interval of the
	// bootstrap bags where the curve's point has them (the horizon; else
	// Low and High are Response).
	Response float64 `json:"response"`
	Low      float64 `json:"low"`
	High     float64 `json:"high"`
	// DR is the same ratio with a doubly-robust numerator (the model's
	// uplift corrected by the inverse-propensity-weighted residuals of the
	// decisions that took the type or waited) over the model's margin,
	// with a bootstrap interval over customers: what the randomisation
	// supports beyond the model's smoothing.
	DR         Estimate `json:"dr_response"`
	Response30 float64  `json:"response_30d_all"`
	// Situations counts the decisions Response averages over, Taken those
	// of them that took the type, Waited those that waited.
	Situations int     `json:"situations"` // zero: not estimable (the type never allowed for such customers)
	Taken      int     `json:"taken"`
	Waited     int     `json:"waited"`
	PRespond   float64 `json:"truth_p_respond"`
	RankEst    int     `json:"rank_estimated"` // 1 = largest Response
	RankTruth  int     `json:"rank_truth"`     // 1 = largest PRespond
	bags       []float64
}

// RankingPair is one pair of action types within a behaviour.
type RankingPair struct {
	Behaviour string  `json:"behaviour"`
	Better    string  `json:"better"` // the truth's more effective type
	Worse     string  `json:"worse"`
	TrueDiff  float64 `json:"true_diff"`
	// Diff is the estimated Response of Better less that of Worse, with
	// the 95% interval of the bags' paired differences.
	Diff float64 `json:"diff"`
	Low  float64 `json:"low"`
	High float64 `json:"high"`
	// Interval is false unless both types are scored at a point of the
	// curve with bootstrap bags (the horizon): Low and High are then Diff.
	Interval bool `json:"interval"`
	Correct  bool `json:"correct"`
	// Estimable is false when one of the two types was never allowed for
	// customers of the behaviour in the logged history (their pair counts
	// as not ordered correctly).
	Estimable bool `json:"estimable"`
}

// RankingSummary counts the pairs of action types within a behaviour that
// the estimates order as the truth does (pairs tied in the truth left out):
// Correct30 on Response30, the others on Response.
type RankingSummary struct {
	Pairs   int `json:"pairs"`
	Correct int `json:"correct"`
	// Pairs5 and Correct5: only the pairs whose true response
	// probabilities differ by at least 5 points.
	Pairs5   int `json:"pairs_5pt"`
	Correct5 int `json:"correct_5pt"`
	// Resolved counts the pairs with an interval of the estimated
	// difference that excludes zero, Wrong those of them ordered against
	// the truth: the other wrong pairs are not distinguishable at this
	// data size.
	Resolved int `json:"resolved"`
	Wrong    int `json:"resolved_wrong"`
	// Unestimable counts the pairs with a type never allowed for the
	// behaviour's customers.
	Unestimable int `json:"unestimable"`
	// Correct30 counts the pairs that Response30 orders as the truth.
	Correct30 int           `json:"correct_30d_all"`
	List      []RankingPair `json:"list"`
}

// minRankingMargin keeps the ratio of a behaviour whose invoices are all
// paid anyway within h (no room for any effect) from dividing by nothing.
const minRankingMargin = 1e-3

// upliftRanking scores the effects against the simulator's truth.
func upliftRanking(e *Effects, env *synth.Env, rng *rand.Rand) ([]RankingRow, RankingSummary) {
	truth := map[[2]string]synth.ActionEffect{}
	for _, t := range synth.ActionEffects() {
		truth[[2]string{t.Behaviour, t.Action}] = t
	}
	type cell struct {
		row        RankingRow
		k          int
		num, den   []float64 // per bag: Σ uplift, Σ margin
		nb         int
		customers  map[string]int
		drNum      [][2]float64 // per customer: Σ ψ_a − ψ_w, Σ 1 − ψ_w
		sumN, sumD float64
	}
	cells := map[[2]string]*cell{}
	wb, ab := make([]float64, e.bags(e.hIndex)), make([]float64, e.bags(e.hIndex))
	for i := range e.rows {
		r := &e.rows[i]
		b := env.Behaviour(r.customer)
		for _, a := range r.allowed {
			t, ok := truth[[2]string{b, a}]
			if !ok {
				continue
			}
			key := [2]string{b, a}
			c := cells[key]
			if c == nil {
				k := horizonAtLeast(t.LagMaxDays)
				nb := e.bags(k)
				c = &cell{row: RankingRow{Behaviour: b, Action: a, HorizonDays: curveDays[k], PRespond: t.PRespond},
					k: k, nb: nb, num: make([]float64, nb), den: make([]float64, nb), customers: map[string]int{}}
				cells[key] = c
			}
			if r.paid[c.k] < 0 {
				continue
			}
			nb := c.nb
			e.bagPoint(ActionWait, r.x, c.k, wb[:nb])
			e.bagPoint(a, r.x, c.k, ab[:nb])
			mw, ma := 0.0, 0.0
			for j := range nb {
				c.num[j] += ab[j] - wb[j]
				c.den[j] += 1 - wb[j]
				mw += wb[j] / float64(nb)
				ma += ab[j] / float64(nb)
			}
			y := float64(r.paid[c.k])
			psiW, psiA := mw, ma
			switch r.arm {
			case ActionWait:
				psiW += min(maxWeight, 1/r.propensity) * (y - mw)
				c.row.Waited++
			case a:
				psiA += min(maxWeight, 1/r.propensity) * (y - ma)
				c.row.Taken++
			}
			ci, ok := c.customers[r.customer]
			if !ok {
				ci = len(c.drNum)
				c.customers[r.customer] = ci
				c.drNum = append(c.drNum, [2]float64{})
			}
			c.drNum[ci][0] += psiA - psiW
			c.drNum[ci][1] += 1 - mw
			c.sumN += psiA - psiW
			c.sumD += 1 - mw
			c.row.Situations++
		}
	}
	behaviours := map[string]bool{}
	all := map[[2]string][2]float64{} // Σ ratio at 30 days, n
	k30 := horizonIndex(30)
	for i := range e.rows {
		r := &e.rows[i]
		b := env.Behaviour(r.customer)
		behaviours[b] = true
		cw := e.curve(ActionWait, r.x, nil)
		for _, a := range e.Arms[1:] {
			ca := e.curve(a, r.x, nil)
			key := [2]string{b, a}
			v := all[key]
			all[key] = [2]float64{v[0] + (ca[k30]-cw[k30])/max(0.01, 1-cw[k30]), v[1] + 1}
		}
	}
	for key, t := range truth {
		if behaviours[key[0]] && cells[key] == nil {
			cells[key] = &cell{row: RankingRow{Behaviour: key[0], Action: key[1], HorizonDays: curveDays[horizonAtLeast(t.LagMaxDays)],
				PRespond: t.PRespond}}
		}
	}
	var out []RankingRow
	for key, c := range cells {
		if v := all[key]; v[1] > 0 {
			c.row.Response30 = v[0] / v[1]
		}
		if c.row.Situations == 0 {
			out = append(out, c.row)
			continue
		}
		c.row.bags = make([]float64, c.nb)
		for j := range c.nb {
			c.row.bags[j] = c.num[j] / max(minRankingMargin, c.den[j])
		}
		c.row.Response = mean(c.row.bags)
		c.row.Low, c.row.High = interval(c.row.bags)
		c.row.DR = ratioBootstrap(c.drNum, c.sumN, c.sumD, rng)
		out = append(out, c.row)
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
	return out, summarizeRanking(out)
}

// summarizeRanking compares every pair of types within a behaviour.
func summarizeRanking(rows []RankingRow) RankingSummary {
	var s RankingSummary
	for i := range rows {
		for j := i + 1; j < len(rows); j++ {
			a, b := &rows[i], &rows[j]
			if a.Behaviour != b.Behaviour || a.PRespond == b.PRespond {
				continue
			}
			if a.PRespond < b.PRespond {
				a, b = b, a
			}
			p := RankingPair{Behaviour: a.Behaviour, Better: a.Action, Worse: b.Action, TrueDiff: a.PRespond - b.PRespond,
				Diff: a.Response - b.Response, Estimable: a.Situations > 0 && b.Situations > 0}
			p.Correct = p.Estimable && p.Diff > 0
			bagged := len(a.bags) == len(b.bags) && len(a.bags) > 1
			p.Interval = bagged
			if bagged {
				d := make([]float64, len(a.bags))
				for x := range d {
					d[x] = a.bags[x] - b.bags[x]
				}
				p.Low, p.High = interval(d)
			} else {
				p.Low, p.High = p.Diff, p.Diff // one model at this point of the curve: no interval
			}
			s.Pairs++
			if a.Response30 > b.Response30 {
				s.Correct30++
			}
			if !p.Estimable {
				s.Unestimable++
				p.Diff, p.Low, p.High = 0, 0, 0
			}
			big := p.TrueDiff >= 0.05-1e-9
			if big {
				s.Pairs5++
			}
			if p.Correct {
				s.Correct++
				if big {
					s.Correct5++
				}
			}
			if p.Estimable && bagged && (p.Low > 0 || p.High < 0) {
				s.Resolved++
				if !p.Correct {
					s.Wrong++
				}
			}
			s.List = append(s.List, p)
		}
	}
	return s
}

// String is the summary in one line.
func (s RankingSummary) String() string {
	return fmt.Sprintf("%d of %d action pairs ordered as the truth's response probabilities at 30 days over all logged situations; "+
		"within each type's lag window where the rules allow it %d of %d (%d of %d whose true responses differ by 5 points or more, "+
		"%d pairs not estimable: a type never allowed for the behaviour's customers; %d resolved by 95%% intervals, %d of them wrongly)",
		s.Correct30, s.Pairs, s.Correct, s.Pairs, s.Correct5, s.Pairs5, s.Unestimable, s.Resolved, s.Wrong)
}

// horizonAtLeast is the first point of the payment curve at or after d
// days (the last one when d is beyond it).
func horizonAtLeast(d int) int {
	for k, h := range curveDays {
		if h >= d {
			return k
		}
	}
	return len(curveDays) - 1
}

// ratioBootstrap is Σnum/Σden with a percentile interval from resampling
// the clusters (customers) 200 times.
func ratioBootstrap(clusters [][2]float64, num, den float64, rng *rand.Rand) Estimate {
	est := Estimate{N: len(clusters), Mean: num / max(minRankingMargin, den)}
	if len(clusters) < 2 {
		est.Low, est.High = est.Mean, est.Mean
		return est
	}
	const reps = 200
	v := make([]float64, reps)
	for b := range v {
		n, d := 0.0, 0.0
		for range clusters {
			c := clusters[rng.IntN(len(clusters))]
			n += c[0]
			d += c[1]
		}
		v[b] = n / max(minRankingMargin, d)
	}
	slices.Sort(v)
	est.Low, est.High = v[reps*25/1000], v[reps*975/1000-1]
	if math.IsNaN(est.Mean) {
		est.Mean = 0
	}
	return est
}

func mean(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}
