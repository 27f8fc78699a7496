package forecast

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
)

// The simulation keeps the dependence between invoices with a Gaussian
// copula on each invoice's pay week, the model credit risk managers know
// from Vasicek's portfolio loss distribution, applied to timing instead of
// default. Invoice i of customer c is paid by the end of week k when
//
//	√ρp·G + √ρc·Z_c + √(1−ρp−ρc)·ε_i ≤ Φ⁻¹(F_i(k)),
//
// F_i(k) being its forecast probability of payment by then, G the
// portfolio factor shared by every invoice, Z_c the customer's factor
// shared by its invoices and ε_i the invoice's own luck, all standard
// normal. Averaged over the factors the probabilities are exactly F_i(k),
// while a customer's invoices pay early or late together and a bad quarter
// delays everyone.
//
// On top, each boundary between two weeks has its own factor U_k, uniform
// on [−1, 1] and shared by the whole book: payment runs that land either
// side of it. In each path a share a_k·U_k of the cash near the boundary
// (half the smaller of the two weeks' receipts) moves across it, into the
// earlier week when positive; a_k is wider for a boundary near a month end
// or the year-end holidays. The moves have mean zero and take only what a
// week holds: no path receives more than the book owes or loses any
// expectation, and a week never gives up more than it received.
//
// Simulating every invoice in every path costs invoices × paths draws,
// far too many for a million invoices. Only the largest invoices (and
// those with an open promise) are drawn one by one; the other invoices of
// the largest customers are summed per customer from a table of their
// expected cumulative receipts against the customer's factor value, with
// binomial draws for the invoices' own luck; the remaining small customers
// form a pool whose receipts, given G, follow from the law of large
// numbers (a table against G, built from a histogram of the invoices'
// thresholds) with a normal term for what the customer factors add.

// simItem is an invoice as the simulation sees it.
type simItem struct {
	amt  float64   // what it may bring in, in cents
	thr  []float64 // per week: Φ⁻¹(P(paid by the end of the week)), non-decreasing
	cust int32     // customer, dense within the run
	// An open promise: pAmt arrives in week pWeek (-1: after the horizon)
	// when the promise is kept, which happens with probability Φ(pThr).
	pAmt  float64
	pWeek int
	pThr  float64
	// A member of a payment run (runs.go; run is 1 + the run's index, 0
	// for none): in a path where the run takes it along (probability
	// runPi) it pays on the run's draw, shared by the run's members,
	// against the run's thresholds runThr; otherwise on its own draw
	// against thr.
	run    int32
	runThr []float64
	runPi  float64
	// quiet is the probability that its customer pays nothing at all in
	// a path (silence.go): one draw per customer and path; 0 for most,
	// so that an item built without it pays as it always did.
	quiet float64
}

// Tier sizes. Groups up to allExplicit invoices are drawn invoice by
// invoice, exactly; larger ones keep explicitItems invoices and
// unitCustomers customers explicit and pool the rest.
const (
	allExplicit   = 2048
	explicitItems = 1024
	unitCustomers = 1024
	gridPoints    = 49 // factor values a customer's or the pool's table holds
	gridSpan      = 6  // the table covers ±6 standard deviations of the factor
	histBins      = 641
	histLo        = -probitCap
	histStep      = 2.0 * probitCap / (histBins - 1)
)

// engine simulates the receipts of one set of invoices.
type engine struct {
	weeks          int
	sqP, sqC, sRes float64
	// scale[k] is a_k, the scale of the boundary at the end of week k.
	scale    []float64
	explicit []simItem
	units    []unit
	pool     *unit // nil when there is no pool
	nCust    int   // customer factors drawn per path
	total    float64
	// level is the scale of the collection-level factor (Shocks.Level).
	level float64
	// runPi is the run share of each payment run among the explicit
	// items, which carry its index in run.
	runPi []float64
	// quiet is, per dense customer, the probability that it pays
	// nothing in a path (nil when every customer pays: silence.go).
	quiet []float64
}

// unit is a set of invoices summed conditionally on one factor value s:
// mean[g*weeks+k] is the expected cumulative receipts by the end of week k
// at the grid's g-th factor value. bar is the amount-weighted mean amount
// (Σa²/Σa), which sets the variance of the invoices' own luck; extra is
// the per-week variance the pool's customer factors add.
type unit struct {
	cust       int32 // customer factor (-1 for the pool)
	total, bar float64
	lo, step   float64
	mean       []float64
	extra      []float64
}

// newEngine prepares items (reordered) for simulation under s with the
// boundary scales scale (one per week, each in [0, 1]).
func newEngine(items []simItem, weeks int, s Shocks, scale []float64) *engine {
	rp, rc := clampLoadings(s.Portfolio, s.Customer)
	e := &engine{weeks: weeks, level: max(s.Level, 0), sqP: math.Sqrt(rp), sqC: math.Sqrt(rc), sRes: math.Sqrt(1 - rp - rc), scale: make([]float64, weeks)}
	for k := range min(weeks, len(scale)) {
		e.scale[k] = min(max(scale[k], 0), 1)
	}
	for _, it := range items {
		e.total += it.amt
	}
	dense := map[int32]int32{}
	id := func(c int32) int32 {
		v, ok := dense[c]
		if !ok {
			v = int32(len(dense))
			dense[c] = v
		}
		return v
	}
	runs := map[int32]int32{}
	explicit := func(it simItem) {
		it.cust = id(it.cust)
		if it.run > 0 {
			v, ok := runs[it.run]
			if !ok {
				v = int32(len(e.runPi)) + 1
				runs[it.run] = v
				e.runPi = append(e.runPi, it.runPi)
			}
			it.run = v
		}
		if it.quiet > 0 {
			for len(e.quiet) <= int(it.cust) {
				e.quiet = append(e.quiet, 0)
			}
			e.quiet[it.cust] = it.quiet
		}
		e.explicit = append(e.explicit, it)
	}
	if len(items) <= allExplicit {
		for _, it := range items {
			explicit(it)
		}
		e.nCust = len(dense)
		return e
	}
	// The largest invoices (those above the explicitItems-th amount, and
	// as many at it as fit) and those with a promise are drawn one by one.
	// So are the members of payment runs, up to runExplicit of them:
	// only drawn one by one do they share a run's draw. The others pay
	// on their mixture curve (the same mean) in their customer's table.
	cut, atCut := largest(items, explicitItems)
	rest := make([]simItem, 0, len(items)-explicitItems)
	inRuns, silent := 0, 0
	for _, it := range items {
		big := it.amt > cut || (it.amt == cut && atCut > 0)
		if it.amt == cut && big {
			atCut--
		}
		if it.run > 0 && !big && it.pAmt <= 0 {
			if inRuns < runExplicit {
				inRuns++
				big = true
			} else {
				it = it.alone()
			}
		}
		// So are the items of silent customers (silence.go), up to
		// runExplicit of them: only drawn one by one do they share their
		// customer's draw of paying at all; the others pay on their
		// discounted curve (the same mean).
		if it.quiet > 0 && !big && it.pAmt <= 0 {
			if silent < runExplicit {
				silent++
				big = true
			} else {
				it = it.discounted()
			}
		}
		if big || it.pAmt > 0 {
			explicit(it)
		} else {
			rest = append(rest, it)
		}
	}
	// The rest per customer (the book lists them so already), largest
	// exposure first.
	if !slices.IsSortedFunc(rest, func(a, b simItem) int { return cmp.Compare(a.cust, b.cust) }) {
		slices.SortStableFunc(rest, func(a, b simItem) int { return cmp.Compare(a.cust, b.cust) })
	}
	type group struct {
		lo, hi int
		total  float64
	}
	var groups []group
	for lo := 0; lo < len(rest); {
		hi := lo
		g := group{lo: lo}
		for ; hi < len(rest) && rest[hi].cust == rest[lo].cust; hi++ {
			g.total += rest[hi].amt
		}
		g.hi = hi
		groups = append(groups, g)
		lo = hi
	}
	slices.SortStableFunc(groups, func(a, b group) int { return cmp.Compare(b.total, a.total) })
	var pooled []simItem
	if n := len(groups) - unitCustomers; n > 0 {
		size := 0
		for _, g := range groups[unitCustomers:] {
			size += g.hi - g.lo
		}
		pooled = make([]simItem, 0, size)
	}
	for gi, g := range groups {
		if gi < unitCustomers {
			e.units = append(e.units, e.customerUnit(rest[g.lo:g.hi], id(rest[g.lo].cust)))
		} else {
			pooled = append(pooled, rest[g.lo:g.hi]...)
		}
	}
	if len(pooled) > 0 {
		e.pool = e.poolUnit(pooled)
	}
	e.nCust = len(dense)
	return e
}

// runExplicit is the most members of payment runs a large book draws one
// by one beyond its largest invoices: a few thousand cost a few
// milliseconds per thousand paths.
const runExplicit = 4096

// alone returns it without its run, on the mixture of its own and its
// run's curves (what its expected receipts are).
func (it simItem) alone() simItem {
	if it.run == 0 {
		return it
	}
	thr := make([]float64, len(it.thr))
	for k := range thr {
		thr[k] = probit(it.runPi*phi(it.runThr[k]) + (1-it.runPi)*phi(it.thr[k]))
	}
	it.thr, it.run, it.runThr, it.runPi = thr, 0, nil, 0
	return it
}

// discounted returns it without its customer's draw of paying at all, on
// its curve times 1 − quiet (what its expected receipts are).
func (it simItem) discounted() simItem {
	if it.quiet <= 0 {
		return it
	}
	thr := make([]float64, len(it.thr))
	for k := range thr {
		thr[k] = probit((1 - it.quiet) * phi(it.thr[k]))
	}
	it.thr, it.quiet = thr, 0
	return it
}

// largest returns the k-th largest amount of items (k ≤ len(items),
// repeats counted) and how many of the k largest equal it: the cut of
// the explicit tier. A heap of the k largest so far, where sorting every
// amount of a million-invoice book cost a tenth of a second.
func largest(items []simItem, k int) (cut float64, atCut int) {
	h := make([]float64, 0, k) // a min-heap
	for _, it := range items {
		a := it.amt
		switch {
		case len(h) < k:
			h = append(h, a)
			for i := len(h) - 1; i > 0; {
				p := (i - 1) / 2
				if h[p] <= h[i] {
					break
				}
				h[p], h[i] = h[i], h[p]
				i = p
			}
		case a > h[0]:
			h[0] = a
			for i := 0; ; {
				c := 2*i + 1
				if c >= len(h) {
					break
				}
				if c+1 < len(h) && h[c+1] < h[c] {
					c++
				}
				if h[i] <= h[c] {
					break
				}
				h[i], h[c] = h[c], h[i]
				i = c
			}
		}
	}
	cut = h[0]
	for _, a := range h {
		if a == cut {
			atCut++
		}
	}
	return cut, atCut
}

// clampLoadings keeps the factor loadings valid: each in [0, 0.9], and
// some of every invoice's luck its own.
func clampLoadings(rp, rc float64) (float64, float64) {
	rp = min(max(rp, 0), 0.9)
	rc = min(max(rc, 0), 0.9)
	if rp+rc > 0.95 {
		f := 0.95 / (rp + rc)
		rp, rc = rp*f, rc*f
	}
	return rp, rc
}

// boundaryShare is the share of the smaller of two neighbouring weeks'
// receipts that counts as near their boundary: half, so that a week never
// gives up more than it holds to its two boundaries together.
const boundaryShare = 0.5

// boundaryScales returns each week's boundary scale a_k: the calendar
// scale for a boundary near a month end or the year-end holidays.
func boundaryScales(s Shocks, calendar []bool) []float64 {
	out := make([]float64, len(calendar))
	for k, c := range calendar {
		out[k] = s.Week
		if c {
			out[k] = s.WeekCalendar
		}
	}
	return out
}

// pathDraws are the draws a path shares across the groups of a breakdown:
// the portfolio factor and the boundary factors.
type pathDraws struct {
	g float64
	l float64   // the open book's collection-level factor, standard normal
	u []float64 // boundary factor per week, uniform on [−1, 1]
}

// newDraws draws the shared factors of paths paths of weeks weeks.
func newDraws(seed uint64, paths, weeks int) []pathDraws {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	out := make([]pathDraws, paths)
	// The level factor has its own stream, so that adding it left the
	// other draws as they were.
	rl := rand.New(rand.NewPCG(seed, 0x1e7e1))
	for p := range out {
		out[p].g = r.NormFloat64()
		out[p].u = make([]float64, weeks)
		for k := range weeks {
			out[p].u[k] = 2*r.Float64() - 1
		}
		out[p].l = rl.NormFloat64()
	}
	return out
}

// moveBoundaries applies the boundary factors to a path's weekly receipts
// (beyond is what the path receives after the horizon, or never): across
// boundary k a share scale·u of half the smaller neighbour moves into week
// k when positive, into week k+1 when negative. Every move is computed
// from the receipts before any, so that a week gives up at most half of
// itself to each side.
func moveBoundaries(flows []float64, beyond float64, scale, u, moved []float64) {
	W := len(flows)
	for k := range W {
		next := beyond
		if k+1 < W {
			next = flows[k+1]
		}
		moved[k] = scale[k] * u[k] * boundaryShare * min(flows[k], next)
	}
	for k := range W {
		flows[k] += moved[k]
		if k > 0 {
			flows[k] -= moved[k-1]
		}
	}
}

// run simulates every path into out[p*weeks+k], the receipts of week k in
// path p. stream separates the random numbers of different engines under
// one seed.
func (e *engine) run(seed, stream uint64, draws []pathDraws, out []float64) {
	r := rand.New(rand.NewPCG(seed, stream))
	W := e.weeks
	z := make([]float64, e.nCust)
	// The runs' draws have their own stream, so that a book without runs
	// keeps the draws it had before runs were modelled.
	var rr *rand.Rand
	together := make([]bool, len(e.runPi))
	shared := make([]float64, len(e.runPi))
	if len(e.runPi) > 0 {
		rr = rand.New(rand.NewPCG(seed, stream^0x72756e73))
	}
	// Whether each silent customer pays at all: its own stream too.
	var rl *rand.Rand
	alive := make([]bool, len(e.quiet))
	if len(e.quiet) > 0 {
		rl = rand.New(rand.NewPCG(seed, stream^0x73696c65))
	}
	cum := make([]float64, W)
	moved := make([]float64, W)
	for p, d := range draws {
		row := out[p*W : (p+1)*W]
		clear(row)
		for c := range z {
			z[c] = r.NormFloat64()
		}
		base := e.sqP * d.g
		for j, pi := range e.runPi {
			together[j] = rr.Float64() < pi
			shared[j] = rr.NormFloat64()
		}
		for c, q := range e.quiet {
			alive[c] = q <= 0 || rl.Float64() >= q
		}
		for i := range e.explicit {
			it := &e.explicit[i]
			s := base + e.sqC*z[it.cust]
			amt := it.amt
			if it.pAmt > 0 && s+e.sRes*r.NormFloat64() <= it.pThr {
				amt -= it.pAmt
				if it.pWeek >= 0 {
					row[it.pWeek] += it.pAmt
				}
			}
			eps, thr := r.NormFloat64(), it.thr
			if it.run > 0 && together[it.run-1] {
				eps, thr = shared[it.run-1], it.runThr
			}
			if it.quiet > 0 && !alive[it.cust] {
				continue // the customer pays nothing in this path
			}
			y := s + e.sRes*eps
			for k, a := range thr {
				if y <= a {
					row[k] += amt
					break
				}
			}
		}
		for ui := range e.units {
			u := &e.units[ui]
			u.at(base+e.sqC*z[u.cust], W, cum)
			u.addFlows(cum, row, r)
		}
		if e.pool != nil {
			e.pool.at(base, W, cum)
			e.pool.addFlows(cum, row, r)
		}
		var paid float64
		for _, x := range row {
			paid += x
		}
		moveBoundaries(row, max(e.total-paid, 0), e.scale, d.u, moved)
		e.applyLevel(row, d.l)
	}
}

// applyLevel scales a path's receipts by its collection-level factor
// 1 + level·l, kept in [0, total/paid] so that no path collects more than
// the book or less than nothing.
func (e *engine) applyLevel(row []float64, l float64) {
	if e.level <= 0 {
		return
	}
	var paid float64
	for _, x := range row {
		paid += x
	}
	if paid <= 0 {
		return
	}
	f := min(max(1+e.level*l, 0), e.total/paid)
	for k := range row {
		row[k] *= f
	}
}
