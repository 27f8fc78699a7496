package recommender

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/dsopilot/dsopilot/datasets/synth"
)

// RankingRow compares, for one true behaviour of the simulator and one
// action type, the learnt effects with truth_action_effects.csv. The
// truth's p_respond is the chance that the action, taken on an unpaid
// invoice of a customer not in default, triggers a payment within its lag
// window (lag_min..lag_max days later) whatever the invoice would have done
// otherwise. Over the decisions where the type was allowed, that is the
// share of the invoices unpaid at h days under wait that the type gets
// paid within them, (P_a(h) − P_w(h)) / (1 − P_w(h)), for any h at or
// beyond lag_max: h is lag_max rounded up to a point of the payment curve
// (7 days for courtesy reminders and reminders, 14 for calls and final
// notices, 30 for the agency). The row holds three estimates of it:
//
// Response, the effects model's: Σ (P̂_a(h) − P̂_w(h)) / Σ (1 − P̂_w(h))
// over the decisions about customers of the behaviour where the rules
// allowed the type for the invoice (its days-past-due window, the step it
// must follow). This is what the recommender acts on.
//
// DR, what the randomised decisions measure: the same ratio with
// doubly-robust means (ratio in ranking_cell.go) and a 95% interval from
// resampling customers, over the decisions every arm would have logged
// (Unplanned below). Measured is false when fewer than
// minRankingEvidence decisions took the type or waited: the cell is then
// "not measured" and its pairs are not ranked on it.
//
// Response30, the ranking check as first built: the model's mean over
// every logged decision about customers of the behaviour, the type allowed
// or not, of (P_a − P_w) / (1 − P_w) at 30 days.
//
// Replayed is the estimand itself, from the simulator: each decision of
// the cell replayed with the same random draws after the type alone and
// after no contact. It differs from p_respond only by what the definition
// leaves out (a customer who defaults before paying; an invoice disputed
// before the contact), so it bounds what any estimator can reach.
type RankingRow struct {
	Behaviour   string `json:"behaviour"`
	Action      string `json:"action"`
	HorizonDays int    `json:"horizon_days"`
	// Response is the effects' estimate, with the 95% interval of the
	// bootstrap bags where the curve's point has them (the horizon; else
	// Low and High are Response).
	Response   float64  `json:"response"`
	Low        float64  `json:"low"`
	High       float64  `json:"high"`
	DR         Estimate `json:"dr_response"`
	Measured   bool     `json:"measured"`
	Replayed   float64  `json:"replayed"`
	Response30 float64  `json:"response_30d_all"`
	// Situations counts the decisions Response averages over. DR and
	// Replayed leave out the Unplanned ones, about invoices the scenario's
	// own contact of the day did not cover (decisionRow.planned): those
	// are logged only when a random alternative covers them, never under
	// wait, so they would weigh the type's payments on invoices the wait
	// arm never shows (chronic late payers' courtesy reminders came out
	// at 0.09–0.25 against a truth of 0.05 with them). Taken and Waited
	// count the planned decisions that took the type and that waited.
	Situations int     `json:"situations"` // zero: not estimable (the type never allowed for such customers)
	Unplanned  int     `json:"unplanned"`
	Taken      int     `json:"taken"`
	Waited     int     `json:"waited"`
	PRespond   float64 `json:"truth_p_respond"`
	RankEst    int     `json:"rank_estimated"` // 1 = largest Response
	RankTruth  int     `json:"rank_truth"`     // 1 = largest PRespond
	bags       []float64
	drReps     []float64 // DR on the behaviour's paired resamples
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
	// Measured: both cells measured. DRDiff is the DR ratio of Better
	// less Worse's, with the interval of the paired resamples.
	Measured bool    `json:"measured"`
	DRDiff   float64 `json:"dr_diff"`
	DRLow    float64 `json:"dr_low"`
	DRHigh   float64 `json:"dr_high"`
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
	Correct30 int `json:"correct_30d_all"`
	// Measured counts the pairs whose two cells are measured (enough
	// decisions took each type and waited); MeasuredCorrect those of them
	// Response orders as the truth, DRCorrect those DR does; DRResolved
	// those whose paired DR interval excludes zero, DRWrong those of them
	// ordered against the truth.
	Measured        int `json:"measured_pairs"`
	MeasuredCorrect int `json:"measured_correct"`
	DRCorrect       int `json:"dr_correct"`
	DRResolved      int `json:"dr_resolved"`
	DRWrong         int `json:"dr_resolved_wrong"`
	// ReplayedCorrect counts the pairs (of all of them) that the replayed
	// estimand orders as the truth.
	ReplayedCorrect int           `json:"replayed_correct"`
	List            []RankingPair `json:"list"`
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
		row      RankingRow
		k        int
		num, den []float64 // per bag: Σ uplift, Σ margin
		nb       int
	}
	cells := map[[2]string]*cell{}
	byBehaviour := map[string]*behaviourCells{}
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
					k: k, nb: nb, num: make([]float64, nb), den: make([]float64, nb)}
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
			c.row.Situations++
			if !r.planned {
				c.row.Unplanned++
				continue
			}
			if r.propensity >= 1 {
				// Never randomised (a severe account): waiting was never
				// possible there, so it cannot inform the ratio (positivity).
				continue
			}
			switch r.arm {
			case ActionWait:
				c.row.Waited++
			case a:
				c.row.Taken++
			}
			until := r.day.AddDays(curveDays[c.k])
			paidA, _ := env.Replay(r.invoice, r.day, until, []synth.Contact{{Day: r.day, Type: a}})
			paidW, _ := env.Replay(r.invoice, r.day, until, nil)
			bc := byBehaviour[b]
			if bc == nil {
				bc = &behaviourCells{}
				byBehaviour[b] = bc
			}
			bc.add(r.customer, cellObs{arm: r.arm, action: a, propensity: r.propensity, paid: float64(r.paid[c.k]),
				muA: ma, muW: mw, replayA: paidA != 0, replayW: paidW != 0})
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
	names := make([]string, 0, len(byBehaviour))
	for b := range byBehaviour {
		names = append(names, b)
	}
	slices.Sort(names) // the resamples must not depend on map order
	reps := map[string]map[string][]float64{}
	for _, b := range names {
		reps[b] = byBehaviour[b].bootstrap(rankingReps, rng)
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
		bc := byBehaviour[key[0]]
		if bc == nil {
			out = append(out, c.row) // every decision unplanned: nothing measured
			continue
		}
		tot := bc.total(key[1])
		c.row.DR = Estimate{Mean: tot.ratio(), N: len(bc.customers)}
		c.row.drReps = reps[key[0]][key[1]]
		c.row.DR.Low, c.row.DR.High = percentiles(slices.Clone(c.row.drReps))
		c.row.Replayed = tot.replayed()
		c.row.Measured = c.row.Taken >= minRankingEvidence && c.row.Waited >= minRankingEvidence
		out = append(out, c.row)
	}
	slices.SortFunc(out, func(a, b RankingRow) int {
		if c := cmp.Compare(a.Behaviour, b.Behaviour); c != 0 {
			return c
		}
		if c := cmp.Compare(b.PRespond, a.PRespond); c != 0 {
			return c
		}
		return cmp.Compare(a.Action, b.Action)
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
			if p.Estimable && a.Replayed > b.Replayed {
				s.ReplayedCorrect++
			}
			if p.Measured = a.Measured && b.Measured; p.Measured {
				s.Measured++
				p.DRDiff = a.DR.Mean - b.DR.Mean
				if p.Correct {
					s.MeasuredCorrect++
				}
				if p.DRDiff > 0 {
					s.DRCorrect++
				}
				if len(a.drReps) == len(b.drReps) && len(a.drReps) > 1 {
					d := make([]float64, len(a.drReps))
					for x := range d {
						d[x] = a.drReps[x] - b.drReps[x]
					}
					p.DRLow, p.DRHigh = percentiles(d)
					if p.DRLow > 0 || p.DRHigh < 0 {
						s.DRResolved++
						if p.DRDiff <= 0 {
							s.DRWrong++
						}
					}
				}
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
		s.Correct30, s.Pairs, s.Correct, s.Pairs, s.Correct5, s.Pairs5, s.Unestimable, s.Resolved, s.Wrong) +
		fmt.Sprintf("; %d pairs measured (both types with at least %d logged decisions taking it and %d waiting; the other %d not measured): "+
			"the effects model orders %d of them as the truth, the randomised decisions' doubly-robust ratios %d (%d resolved by 95%% intervals, %d of them wrongly); "+
			"the estimand replayed in the simulator orders %d of %d",
			s.Measured, minRankingEvidence, minRankingEvidence, s.Pairs-s.Measured, s.MeasuredCorrect, s.DRCorrect, s.DRResolved, s.DRWrong,
			s.ReplayedCorrect, s.Pairs)
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
