package recommender

import (
	"math"
	"math/rand/v2"
	"slices"
)

// minRankingEvidence is the number of logged decisions that took a type,
// and as many that waited, below which the ranking calls a (behaviour,
// type) cell "not measured": with fewer, the interval of the cell's ratio
// spans most of [0, 1] (seeds 1–3: a cell of 13 final notices and 5 waits
// came out at −6,776 on the first doubly-robust ratio), and ordering such
// cells is ordering noise.
const minRankingEvidence = 20

// rankingReps is the number of bootstrap resamples of customers behind the
// doubly-robust ratios' intervals.
const rankingReps = 200

// cellSums are one customer's sums over the logged decisions of one ranking
// cell (a behaviour and a type allowed for the invoice).
type cellSums struct {
	n      float64 // decisions
	mA, mW float64 // Σ μ̂_a(x), Σ μ̂_wait(x): the effects model's P(paid within h)
	wA, wW float64 // Σ inverse-propensity weights of the decisions that took the type, that waited
	rA, rW float64 // Σ weight × (paid − μ̂) of those decisions
	// replayA, replayW count the decisions the simulator's replay (the
	// same random draws) has paid within h after the type alone, after no
	// contact at all: the cell's estimand as the truth itself gives it.
	replayA, replayW float64
}

// cellObs is one logged decision seen from one cell.
type cellObs struct {
	arm, action      string // what was done; the cell's type
	propensity       float64
	paid             float64 // 1 paid within h, else 0
	muA, muW         float64
	replayA, replayW bool
}

func (s *cellSums) add(o cellObs) {
	w := min(maxWeight, 1/o.propensity)
	s.n++
	s.mA += o.muA
	s.mW += o.muW
	switch o.arm {
	case o.action:
		s.wA += w
		s.rA += w * (o.paid - o.muA)
	case ActionWait:
		s.wW += w
		s.rW += w * (o.paid - o.muW)
	}
	if o.replayA {
		s.replayA++
	}
	if o.replayW {
		s.replayW++
	}
}

func (s *cellSums) plus(o *cellSums) {
	s.n += o.n
	s.mA += o.mA
	s.mW += o.mW
	s.wA += o.wA
	s.wW += o.wW
	s.rA += o.rA
	s.rW += o.rW
	s.replayA += o.replayA
	s.replayW += o.replayW
}

// ratio is the truth's p_respond estimated from the logged decisions: the
// share of the invoices unpaid within h under wait that the type gets paid,
// (P_a − P_w) / (1 − P_w), each P the doubly-robust mean with
// self-normalised weights: the model's mean over every decision of the
// cell plus the weighted mean residual of the decisions that took the arm.
// The first doubly-robust ratio divided by the model's margin Σ(1 − μ̂_w)
// while correcting only the numerator: where the model's P_w was off (it
// is pulled towards the other arms' rates) the ratio left [0, 1]
// (forgetful payers' courtesy reminders at 1.6–2.0 against a truth of
// 0.7); self-normalising the weights also keeps a cell's few clipped
// weights of 50 from swinging the means.
func (s *cellSums) ratio() float64 {
	if !s.defined() {
		return 0
	}
	pa, pw := s.mA/s.n+s.rA/s.wA, s.mW/s.n+s.rW/s.wW
	return (pa - pw) / max(minRankingMargin, 1-pw)
}

// defined reports whether the ratio has both arms to stand on: decisions
// that took the type and decisions that waited.
func (s *cellSums) defined() bool { return s.n > 0 && s.wA > 0 && s.wW > 0 }

// replayed is the same ratio from the simulator's replays.
func (s *cellSums) replayed() float64 {
	if s.n == 0 {
		return 0
	}
	return (s.replayA - s.replayW) / max(minRankingMargin, s.n-s.replayW)
}

// behaviourCells holds one behaviour's cells by customer, so that the
// bootstrap resamples customers once for every type of the behaviour and
// the differences between types get paired intervals.
type behaviourCells struct {
	customers map[string]int
	cells     map[string][]cellSums // per type, per customer index
}

func (b *behaviourCells) add(customer string, o cellObs) {
	if b.customers == nil {
		b.customers, b.cells = map[string]int{}, map[string][]cellSums{}
	}
	ci, ok := b.customers[customer]
	if !ok {
		ci = len(b.customers)
		b.customers[customer] = ci
	}
	v := b.cells[o.action]
	for len(v) <= ci {
		v = append(v, cellSums{})
	}
	v[ci].add(o)
	b.cells[o.action] = v
}

// total sums a type's cell over the customers.
func (b *behaviourCells) total(action string) cellSums {
	var t cellSums
	for i := range b.cells[action] {
		t.plus(&b.cells[action][i])
	}
	return t
}

// bootstrap returns, per type, the ratio on reps resamples of the
// behaviour's customers, the same resamples for every type. A resample
// that drew no decision of one arm has no ratio: it is NaN, not 0, which
// would pull the interval toward "no effect" for rarely taken types;
// percentiles leaves the NaNs out, and a paired difference with a NaN
// side is NaN too, so the pairs stay aligned.
func (b *behaviourCells) bootstrap(reps int, rng *rand.Rand) map[string][]float64 {
	out := map[string][]float64{}
	n := len(b.customers)
	if n == 0 {
		return out
	}
	actions := make([]string, 0, len(b.cells))
	for a := range b.cells {
		actions = append(actions, a)
	}
	slices.Sort(actions) // the draws must not depend on map order
	for _, a := range actions {
		out[a] = make([]float64, reps)
	}
	draw := make([]int, n)
	for r := range reps {
		for i := range draw {
			draw[i] = rng.IntN(n)
		}
		for _, a := range actions {
			v := b.cells[a]
			var s cellSums
			for _, ci := range draw {
				if ci < len(v) {
					s.plus(&v[ci])
				}
			}
			out[a][r] = math.NaN()
			if s.defined() {
				out[a][r] = s.ratio()
			}
		}
	}
	return out
}

// percentiles is the 95% percentile interval of v's numbers, NaNs left
// out (v is reordered in place).
func percentiles(v []float64) (lo, hi float64) {
	v = slices.DeleteFunc(v, math.IsNaN)
	if len(v) == 0 {
		return 0, 0
	}
	slices.Sort(v)
	return v[len(v)*25/1000], v[max(0, len(v)*975/1000-1)]
}
