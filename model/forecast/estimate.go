package forecast

import (
	"cmp"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/integrate/quad"

	"github.com/dsopilot/dsopilot/datasets"
)

// Shocks are the scales of the dependence the simulation keeps (see the
// package documentation). They are estimated from the ledger's own
// history known at the as-of date, never set per ledger.
type Shocks struct {
	// Customer is ρc, the share of an invoice's timing uncertainty its
	// customer's factor explains.
	Customer float64 `json:"customer"`
	// Portfolio is ρp, the share the portfolio factor explains.
	Portfolio float64 `json:"portfolio"`
	// Week and WeekCalendar are the scales, in [0, 1], of the factor of an
	// ordinary boundary between two weeks and of one near a month end or
	// the year-end holidays: the most of the cash near a boundary (half
	// the smaller week's receipts) a path moves across it.
	Week         float64 `json:"week"`
	WeekCalendar float64 `json:"week_calendar"`
	// NewVolume is the scale (log standard deviation) of the new-business
	// volume factor, shared by the horizon's weeks; NewWeek that of each
	// week's own factor on new business (when the new invoices pay).
	NewVolume float64 `json:"new_volume"`
	NewWeek   float64 `json:"new_week"`
	// Level is the standard deviation of the collection-level factor: one
	// factor per path that scales all of the open book's receipts over the
	// horizon (1 + Level·G), for how much of the book gets collected at
	// all, which the timing factors above do not move.
	Level float64 `json:"level"`
	// LevelRaw is the root mean square relative error of the replays'
	// horizon totals, before what the other factors explain (for
	// diagnosis).
	LevelRaw float64 `json:"level_raw"`
	// Replays is the number of past weekly origins they were estimated
	// from; Estimated is false when there were too few and the defaults
	// stand.
	Replays   int  `json:"replays"`
	Estimated bool `json:"estimated"`
}

// DefaultShocks are used when the history is too short to estimate the
// shocks (fewer than replayMin past origins): moderate values, the same
// for every ledger.
func DefaultShocks() Shocks {
	return Shocks{Customer: 0.2, Portfolio: 0.02, Week: 0.3, WeekCalendar: 0.5, NewVolume: 0.15, NewWeek: 0.2}
}

// Replay settings: the shocks are estimated by forecasting, from the
// timing record alone, at each of the last replayMax weekly origins
// before the as-of date (each needing replayHistory days of history
// before it), and comparing with what was received by the as-of date.
// Ledgers with more than replayCustomers customers replay a hashed sample
// of them.
const (
	replayMax       = 52
	replayMin       = 8
	replayHistory   = 91
	replayCustomers = 2000
)

// replay is one past forecast and its outcome.
type replay struct {
	t     datasets.Date
	n     int     // weeks observed by the as-of date
	ep    float64 // expected amount of the open book
	custs []replayCust
	hist  hist      // amount-weighted thresholds of cumulative payment, per week
	m, a  []float64 // expected and actual receipts per week
	next  float64   // expected receipts of the week after the n observed (or after the horizon)
	cal   []bool
	// Invoicing forecast by the run-rate and actually invoiced in the n
	// weeks; new business forecast per week (mean and the variance of its
	// invoices' sizes and timing) and received.
	invPred, invAct  float64
	newM, newV, newA []float64
}

type replayCust struct {
	e, h float64   // expected amount; Herfindahl index of its invoices' amounts
	f, y []float64 // cumulative expected and actual fractions of e by week
	// luck[k] and flowLuck[k] are the variances (as fractions of e²) its
	// invoices' own luck gives the cumulative receipts by week k and
	// week k's receipts: Σ e_i²·p(1−p) over its invoices.
	luck, flowLuck []float64
	// a[k] is probit(f[k]), which the estimates read many times over.
	a []float64
}

// newRand returns a generator for one purpose of a seeded run.
func newRand(seed, stream uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, stream)) }

// sampleCustomers returns the positions of up to n customers chosen by a
// hash of their id (nil: all, when there are no more than n).
func (h *History) sampleCustomers(n int) []int {
	pop := len(h.cust)
	if h.population > 0 {
		pop = h.population // h holds the sample of a ledger read in parts
	}
	if pop <= n {
		return nil
	}
	share := float64(n) / float64(pop)
	var out []int
	for ci := range h.cust {
		if inSample(h.cust[ci].ID, share) {
			out = append(out, ci)
		}
	}
	return out
}

// inSample reports whether the customer id falls in a hash sample of
// share of the customers.
func inSample(id string, share float64) bool {
	f := fnv.New64a()
	f.Write([]byte(id))
	return float64(f.Sum64()>>11)/(1<<53) < share
}

// EstimateShocks measures the shock scales from the history known at the
// end of day t, for a horizon of weeks weeks.
func (h *History) EstimateShocks(t datasets.Date, weeks int) Shocks {
	return h.estimateShocks(t, weeks, replayCustomers)
}

// estimateShocks is EstimateShocks replaying a sample of n customers.
func (h *History) estimateShocks(t datasets.Date, weeks, n int) Shocks {
	sample := h.sampleCustomers(n)
	var reps []replay
	for j := 1; j <= replayMax; j++ {
		tj := t.AddDays(-7 * j)
		if tj-h.first < replayHistory {
			break
		}
		if r, ok := h.replay(tj, min(j, weeks), weeks, sample); ok {
			reps = append(reps, r)
		}
	}
	s := DefaultShocks()
	s.Replays = len(reps)
	if len(reps) < replayMin {
		return s
	}
	b := newBivariate()
	s.Customer = estimateCustomer(reps, b)
	// The portfolio factor and the boundaries both move the book's
	// receipts: each is estimated given the other, twice over.
	s.Portfolio = estimatePortfolio(reps, b, s.Customer, 0, 0)
	for range 2 {
		s.Week, s.WeekCalendar = estimateBoundaries(reps, b, s.Customer, s.Portfolio)
		s.Portfolio = estimatePortfolio(reps, b, s.Customer, s.Week, s.WeekCalendar)
	}
	s.Week, s.WeekCalendar = estimateBoundaries(reps, b, s.Customer, s.Portfolio)
	s.Level, s.LevelRaw = estimateLevel(reps, b, weeks, s)
	s.NewVolume = estimateVolume(reps)
	s.NewWeek = estimateNewWeek(reps, s.NewVolume)
	s.Estimated = true
	return s
}

// replay forecasts at tj from the timing record of the sampled customers
// and records the outcome over n of the horizon's weeks.
func (h *History) replay(tj datasets.Date, n, weeks int, sample []int) (replay, bool) {
	r := replay{t: tj, n: n, m: make([]float64, n), a: make([]float64, n), cal: boundaryCalendar(tj, n), hist: make(hist, n)}
	for k := range r.hist {
		r.hist[k] = make([]float64, coarseBins)
	}
	rates := h.measure(tj, sample)
	book := h.book(tj, rates, sample)
	if len(book) == 0 {
		return r, false
	}
	tm := h.timing(tj, sample)
	nq := min(n+1, weeks) // one week more, for the last boundary's neighbour
	q := make([]float64, nq)
	mean := make([]float64, nq)
	act := make([]datasets.Money, n)
	var v view
	var cur *replayCust
	for i := range book {
		it := &book[i]
		if i == 0 || book[i-1].CustomerID != it.CustomerID {
			tm.customerView(&v, book, i, nq)
			buf := make([]float64, 5*n)
			r.custs = append(r.custs, replayCust{f: buf[:n:n], y: buf[n : 2*n : 2*n],
				luck: buf[2*n : 3*n : 3*n], flowLuck: buf[3*n : 4*n : 4*n], a: buf[4*n:]})
			cur = &r.custs[len(r.custs)-1]
		}
		e := float64(it.Expected())
		if e <= 0 {
			continue
		}
		v.weekly(int32(tj-it.DueDate), q)
		it.expectedWeeks(tj, q, mean)
		clear(act)
		h.inv[it.pos].receipts(tj, act)
		cur.e += e
		cur.h += e * e
		r.ep += e
		if nq > n {
			r.next += mean[n]
		}
		var cm, ca float64
		for k := range n {
			p, pk := min((cm+mean[k])/e, 1), min(mean[k]/e, 1)
			cur.luck[k] += e * e * p * (1 - p)
			cur.flowLuck[k] += e * e * pk * (1 - pk)
			cm += mean[k]
			ca += float64(act[k])
			cur.f[k] += cm
			cur.y[k] += min(ca, e)
			r.m[k] += mean[k]
			r.a[k] += float64(act[k])
			coarseAdd(r.hist[k], probit(min(cm/e, 1)), e)
		}
	}
	if nq == n {
		r.next = r.ep
		for _, m := range r.m {
			r.next -= m
		}
		r.next = max(r.next, 0)
	}
	kept := r.custs[:0]
	for _, c := range r.custs {
		if c.e > 0 {
			kept = append(kept, c)
		}
	}
	r.custs = kept
	if r.ep <= 0 {
		return r, false
	}
	for c := range r.custs {
		rc := &r.custs[c]
		rc.h /= rc.e * rc.e
		for k := range n {
			rc.f[k] /= rc.e
			rc.y[k] /= rc.e
			rc.luck[k] /= rc.e * rc.e
			rc.flowLuck[k] /= rc.e * rc.e
			rc.a[k] = probit(rc.f[k])
		}
	}
	rr, season := h.runRate(tj, n, sample)
	r.newM, r.newV, r.newA = make([]float64, n), make([]float64, n), make([]float64, n)
	var sc newScratch
	// In customer order: summed in a map's order, the same replay gave
	// estimates that differed in the last bits from run to run.
	if !slices.IsSortedFunc(rr, func(a, b custRate) int { return cmp.Compare(a.ci, b.ci) }) {
		slices.SortFunc(rr, func(a, b custRate) int { return cmp.Compare(a.ci, b.ci) })
	}
	for _, cr := range rr {
		ci, v := cr.ci, cr.rate
		r.invPred += v.perDay * season * float64(7*n)
		nc, m := h.newCustomer(tm, &sc, ci, tj, n, v, season)
		for k := range m {
			r.newM[k] += m[k]
			// The invoices' own count and amounts, and the customer's
			// factor (the run-rate's uncertainty): what simulateNew draws.
			r.newV[k] += nc.variance(k)
		}
	}
	r.invAct = h.invoiced(tj, tj.AddDays(7*n), sample)
	for k, m := range h.newReceiptsActual(tj, n, sample) {
		r.newA[k] = float64(m)
	}
	return r, true
}

// The estimation histograms are coarser than the simulation's: 0.2 of a
// standard deviation per bin keeps the variance integrals exact to well
// under a percent at a sixteenth of the cost.
const (
	coarseBins = 81
	coarseStep = 2.0 * probitCap / (coarseBins - 1)
)

func coarseAdd(bins []float64, a, m float64) {
	x := (a + probitCap) / coarseStep
	j := min(max(int(x), 0), coarseBins-2)
	f := min(max(x-float64(j), 0), 1)
	bins[j] += m * (1 - f)
	bins[j+1] += m * f
}

// phi2Table tabulates Φ₂(a, b; ρ) for one ρ on a grid of a and b, for
// the many evaluations the moment conditions need.
type phi2Table struct {
	v []float64
}

const (
	t2Lo   = -5.0
	t2Step = 0.1
	t2N    = 101
)

func newPhi2Table(b *bivariate, rho float64) *phi2Table {
	t := &phi2Table{v: make([]float64, t2N*t2N)}
	for i := range t2N {
		for j := i; j < t2N; j++ {
			x := b.cdf(t2Lo+float64(i)*t2Step, t2Lo+float64(j)*t2Step, rho)
			t.v[i*t2N+j], t.v[j*t2N+i] = x, x
		}
	}
	return t
}

// at interpolates Φ₂(a, b; ρ) bilinearly; beyond ±5 the marginals decide.
func (t *phi2Table) at(a, b float64) float64 {
	switch {
	case a <= t2Lo || b <= t2Lo:
		return 0
	case a >= -t2Lo:
		return phi(b)
	case b >= -t2Lo:
		return phi(a)
	}
	x, y := (a-t2Lo)/t2Step, (b-t2Lo)/t2Step
	i, j := min(int(x), t2N-2), min(int(y), t2N-2)
	fx, fy := x-float64(i), y-float64(j)
	v := t.v
	return (1-fx)*(1-fy)*v[i*t2N+j] + fx*(1-fy)*v[(i+1)*t2N+j] + (1-fx)*fy*v[i*t2N+j+1] + fx*fy*v[(i+1)*t2N+j+1]
}

// bisect finds x in [lo, hi] with f(x) = target for increasing f,
// clamped to the ends.
func bisect(f func(float64) float64, target, lo, hi float64) float64 {
	if target <= f(lo) {
		return lo
	}
	if target >= f(hi) {
		return hi
	}
	for range 30 {
		mid := (lo + hi) / 2
		if f(mid) < target {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2
}

// estimateCustomer matches the customer factor's loading to how far each
// customer's cumulative receipts strayed from its forecast, beyond its
// invoices' own luck, after removing the portfolio's common error:
//
//	Σ w·[r² − L] = Σ w·(1−H)·[Φ₂(a, a; ρc) − F²],  a = Φ⁻¹(F),
//
// over customers, replays and horizons, w the customer's share of the
// book, L the variance its invoices' own luck gives (Σ e_i²·F_i(1−F_i) /
// e²) and H the Herfindahl index of its invoices (H = 1 for one invoice,
// whose timing tells nothing about a common factor). The right side
// treats the customer's invoices as sharing one threshold, which
// overstates their covariance when their due dates differ, so ρc errs low.
func estimateCustomer(reps []replay, b *bivariate) float64 {
	type ob struct{ w, h, f, a float64 }
	var obs []ob
	var lhs float64
	// The cumulative horizons the customer factor is measured at.
	horizons := [...]int{1, 2, 4, 8, 13}
	for ri := range reps {
		r := &reps[ri]
		for _, hz := range horizons {
			k := hz - 1
			if k >= r.n {
				break
			}
			var yp, fp float64
			for _, c := range r.custs {
				yp += c.e * c.y[k]
				fp += c.e * c.f[k]
			}
			yp, fp = yp/r.ep, fp/r.ep
			for _, c := range r.custs {
				w := c.e / r.ep
				f := c.f[k]
				res := (c.y[k] - f) - (yp - fp)
				lhs += w * (res*res - c.luck[k])
				obs = append(obs, ob{w, c.h, f, c.a[k]})
			}
		}
	}
	rhs := func(rho float64) float64 {
		tab := newPhi2Table(b, rho)
		var s float64
		for _, o := range obs {
			s += o.w * (1 - o.h) * (tab.at(o.a, o.a) - o.f*o.f)
		}
		return s
	}
	return bisect(rhs, lhs, 0, 0.9)
}

// customerVariance is the variance of the book's cumulative receipts (as
// a fraction of the book) by week k that the customer factors and the
// invoices' luck explain.
func customerVariance(r *replay, tab *phi2Table, k int) float64 {
	var v float64
	for _, c := range r.custs {
		w := c.e / r.ep
		f := c.f[k]
		a := c.a[k]
		v += w * w * (c.luck[k] + (1-c.h)*(tab.at(a, a)-f*f))
	}
	return v
}

// customerFlowVariance is the same for week k's receipts alone.
func customerFlowVariance(r *replay, tab *phi2Table, k int) float64 {
	var v float64
	for _, c := range r.custs {
		w := c.e / r.ep
		fk := c.f[k]
		fp, ap := 0.0, -float64(probitCap)
		if k > 0 {
			fp = c.f[k-1]
			ap = c.a[k-1]
		}
		ak := c.a[k]
		f := max(fk-fp, 0)
		both := tab.at(ak, ak) - 2*tab.at(ak, ap) + tab.at(ap, ap)
		v += w * w * (c.flowLuck[k] + (1-c.h)*(both-f*f))
	}
	return v
}

// hermite holds Gauss-Hermite nodes and weights for expectations over a
// standard normal: E f(G) ≈ Σ w·f(x).
type hermite struct{ x, w []float64 }

func newHermite(n int) hermite {
	h := hermite{x: make([]float64, n), w: make([]float64, n)}
	quad.Hermite{}.FixedLocations(h.x, h.w, math.Inf(-1), math.Inf(1))
	for i := range h.x {
		h.x[i] *= math.Sqrt2
		h.w[i] /= math.Sqrt(math.Pi)
	}
	return h
}

// portfolioGrid holds Φ((x_j − √ρ·g_n)/√(1−ρ)) for every coarse bin x_j
// and Gauss-Hermite node g_n under one loading ρ. Every replay and week
// shares these values, so they are computed once per ρ rather than once
// per sum (the moment conditions make hundreds of thousands of sums).
type portfolioGrid struct {
	w   []float64
	phi [][]float64 // [node][bin]
}

func newPortfolioGrid(gh hermite, rho float64) *portfolioGrid {
	sq, res := math.Sqrt(rho), math.Sqrt(1-rho)
	pg := &portfolioGrid{w: gh.w, phi: make([][]float64, len(gh.x))}
	for n, g := range gh.x {
		s := sq * g
		row := make([]float64, coarseBins)
		for j := range row {
			row[j] = phi((-probitCap + float64(j)*coarseStep - s) / res)
		}
		pg.phi[n] = row
	}
	return pg
}

// portfolioVariance is Var over G of the book's expected cumulative
// receipts by week k (fraction of the book) under the grid's loading;
// with flow, of week k's receipts alone.
func portfolioVariance(r *replay, pg *portfolioGrid, k int, flow bool) float64 {
	var m1, m2 float64
	for n, row := range pg.phi {
		c := coarseSum(r.hist[k], row)
		if flow && k > 0 {
			c -= coarseSum(r.hist[k-1], row)
		}
		c /= r.ep
		m1 += pg.w[n] * c
		m2 += pg.w[n] * c * c
	}
	return max(m2-m1*m1, 0)
}

// coarseSum is Σ bins[j]·phi[j] over the non-empty bins.
func coarseSum(bins, phi []float64) float64 {
	var v float64
	for j, m := range bins {
		if m != 0 {
			v += m * phi[j]
		}
	}
	return v
}

// boundaryVariance is the variance (as a fraction of the book squared)
// that the boundary factors give the book's cumulative receipts by week k
// (flow false) or week k's receipts (flow true), under scales ord and cal:
// a uniform factor of scale a moves up to a·near, with variance
// a²·near²/3, near being half the smaller neighbour's receipts.
func boundaryVariance(r *replay, k int, flow bool, ord, cal float64) float64 {
	near := func(k int) float64 {
		next := r.next
		if k+1 < r.n {
			next = r.m[k+1]
		}
		return boundaryShare * min(r.m[k], next) / r.ep
	}
	scale := func(k int) float64 {
		if r.cal[k] {
			return cal
		}
		return ord
	}
	v := scale(k) * scale(k) * near(k) * near(k) / 3
	if flow && k > 0 {
		v += scale(k-1) * scale(k-1) * near(k-1) * near(k-1) / 3
	}
	return v
}

// estimatePortfolio matches the portfolio factor's loading to how far the
// book's cumulative receipts strayed from the forecast beyond what the
// customer factors, the invoices' luck and the boundaries (scales ord and
// cal) explain, over replays and horizons.
func estimatePortfolio(reps []replay, b *bivariate, rc, ord, cal float64) float64 {
	tab := newPhi2Table(b, rc)
	gh := newHermite(20)
	var lhs float64
	for ri := range reps {
		r := &reps[ri]
		var cm, ca float64
		for k := range r.n {
			cm += r.m[k]
			ca += r.a[k]
			d := (ca - cm) / r.ep
			lhs += d*d - customerVariance(r, tab, k) - boundaryVariance(r, k, false, ord, cal)
		}
	}
	rhs := func(rho float64) float64 {
		pg := newPortfolioGrid(gh, rho)
		var s float64
		for ri := range reps {
			for k := range reps[ri].n {
				s += portfolioVariance(&reps[ri], pg, k, false)
			}
		}
		return s
	}
	return bisect(rhs, lhs, 0, 0.9)
}

// estimateBoundaries sets the boundary scales so that the weekly receipts'
// squared errors beyond what the factors and luck explain are matched,
// separately for boundaries near a month end or holiday and the others:
// two moment conditions (weeks ending at an ordinary boundary, weeks
// ending at a calendar one), linear in the scales' squares. When either
// kind has fewer than 8 weeks, one pooled scale serves both.
func estimateBoundaries(reps []replay, b *bivariate, rc, rp float64) (ordinary, calendar float64) {
	tab := newPhi2Table(b, rc)
	pg := newPortfolioGrid(newHermite(20), rp)
	// For weeks ending at each kind i: Σ excess = v_ord·A[i][0] + v_cal·A[i][1].
	var A [2][2]float64
	var y [2]float64
	var count [2]int
	for ri := range reps {
		r := &reps[ri]
		for k := range r.n {
			d := (r.a[k] - r.m[k]) / r.ep
			excess := d*d - customerFlowVariance(r, tab, k) - portfolioVariance(r, pg, k, true)
			i := 0
			if r.cal[k] {
				i = 1
			}
			// The week's own boundary and the one before, each under its kind.
			A[i][0] += boundaryVariance(r, k, true, 1, 0)
			A[i][1] += boundaryVariance(r, k, true, 0, 1)
			y[i] += excess
			count[i]++
		}
	}
	toScale := func(v float64) float64 { return math.Sqrt(min(max(v, 0), 1)) }
	pooled := toScale((y[0] + y[1]) / math.Max(A[0][0]+A[0][1]+A[1][0]+A[1][1], 1e-300))
	if count[0] < 8 || count[1] < 8 {
		return pooled, pooled
	}
	det := A[0][0]*A[1][1] - A[0][1]*A[1][0]
	if math.Abs(det) < 1e-300 {
		return pooled, pooled
	}
	vo := (y[0]*A[1][1] - y[1]*A[0][1]) / det
	vc := (A[0][0]*y[1] - A[1][0]*y[0]) / det
	return toScale(vo), toScale(vc)
}

// estimateVolume is the log-scale spread of invoicing around the
// run-rate forecast over the replays' observed weeks.
func estimateVolume(reps []replay) float64 {
	var s float64
	n := 0
	for _, r := range reps {
		if r.invPred > 0 && r.invAct > 0 {
			l := math.Log(r.invAct / r.invPred)
			s += l * l
			n++
		}
	}
	if n < replayMin {
		return DefaultShocks().NewVolume
	}
	return min(math.Sqrt(s/float64(n)), 1)
}

// estimateNewWeek sets the scale of the weekly factor on new business to
// the new receipts' squared errors beyond what their invoices' sizes and
// timing and the volume factor (scale vol) explain, relative to the
// squared expectation.
func estimateNewWeek(reps []replay, vol float64) float64 {
	var num, den float64
	n := 0
	for _, r := range reps {
		for k, m := range r.newM {
			if m <= 0 {
				continue
			}
			d := r.newA[k] - m
			num += d*d - r.newV[k] - math.Expm1(vol*vol)*m*m
			den += m * m
			n++
		}
	}
	if n < replayMin || den <= 0 {
		return DefaultShocks().NewWeek
	}
	return min(math.Sqrt(math.Log1p(max(num/den, 0))), 1)
}

// estimateLevel measures the collection-level factor from the replays
// that saw the whole horizon: the mean squared relative error of their
// horizon totals, (actual − expected) / expected, beyond the variance the
// customer and portfolio factors, the invoices' luck and the last
// boundary give the total. It returns the scale and the raw root mean
// square error.
func estimateLevel(reps []replay, b *bivariate, weeks int, s Shocks) (level, raw float64) {
	tab := newPhi2Table(b, s.Customer)
	pg := newPortfolioGrid(newHermite(20), s.Portfolio)
	var sq, expl float64
	n := 0
	for ri := range reps {
		r := &reps[ri]
		if r.n < weeks {
			continue
		}
		k := r.n - 1
		var cm, ca float64
		for j := range r.n {
			cm += r.m[j]
			ca += r.a[j]
		}
		if cm <= 0 {
			continue
		}
		d := (ca - cm) / cm
		f := cm / r.ep
		v := customerVariance(r, tab, k) + portfolioVariance(r, pg, k, false) +
			boundaryVariance(r, k, false, s.Week, s.WeekCalendar)
		sq += d * d
		expl += v / (f * f)
		n++
	}
	if n < replayMin {
		return 0, 0
	}
	return math.Sqrt(max(sq-expl, 0) / float64(n)), math.Sqrt(sq / float64(n))
}
