package forecast

import (
	"math"
	"slices"

	"github.com/dsopilot/dsopilot/datasets"
)

// Timing is each customer's record of when, relative to the due date, its
// invoices were paid, as known at an as-of date: a Kaplan-Meier estimate
// (Aalen-Johansen, with write-offs as the competing outcome "never paid")
// over the invoices issued in the year before, those still open counted
// as unpaid so far rather than dropped. A customer's own curve is mixed
// with the portfolio's in proportion to how many invoices it rests on, and
// conditioning on how long an open invoice has already waited shifts the
// weight to the portfolio when the customer never waited that long.
type Timing struct {
	t         datasets.Date
	h         *History
	portfolio delayCurve
	byCust    []*delayCurve // by customer position; nil without a record
	// pCash and pDone are the portfolio curve laid out densely over
	// portfolioLo … portfolioHi.
	pCash, pDone []float64
}

// delayCurve is a cumulative incidence step function over days relative
// to the due date: at x[j] and after, cash[j] of the invoices have been
// paid and done[j] have been paid or written off. n is the number of
// invoices it rests on.
type delayCurve struct {
	x          []int32
	cash, done []float64
	n          float64
	// kern are the weights of the smoothing over days −J … J (see
	// smoothingKernel), summing to 1.
	kern []float64
}

// timingWindow is how far back, in days of issue dates, the timing record
// reaches: a year, so that seasonality is represented once and a changed
// customer does not drag years of old habits along. Two years (730 days,
// tried at stop 31, backtests as in smooth.go's note) moved the P50 WAPE
// of seed 321 of the fbl5n_de.csv layout from 0.328 to 0.316 and of seed
// 421 from 0.269 to 0.261, but made seeds 21, 121, 221, 521, 621 and
// cleared_us.csv's 22 and 322 worse by 0.001–0.008: not kept.
const timingWindow = 365

// timingPrior is the weight, in invoices, of the portfolio's curve in a
// customer's. 1 or 10 instead (stop 31) moved the P50 WAPE of seeds 321
// and 21 of the fbl5n_de.csv layout and 22 of cleared_us.csv by at most
// 0.003 but seed 321's with 10 (0.328 → 0.341): not the lever.
const timingPrior = 3

type obs struct {
	x    int32
	kind int8 // 0 censored (still unpaid after x), 1 paid at x, 2 written off at x
}

// Timing measures the timing record known at the end of day t.
func (h *History) Timing(t datasets.Date) *Timing { return h.timing(t, nil) }

// timing measures the record of the customers at positions custs (nil:
// all), the portfolio's curve being theirs.
func (h *History) timing(t datasets.Date, custs []int) *Timing {
	tm := &Timing{t: t, h: h, byCust: make([]*delayCurve, len(h.cust))}
	pf := h.portfolioAt(t, custs)
	all := h.timingObs(t, custs, func(ci int, own []obs) { tm.byCust[ci] = newDelayCurve(own) })
	if pf != nil {
		// A part of a ledger forecast in parts: the whole portfolio's curve.
		tm.portfolio, tm.pCash, tm.pDone = pf.curve, pf.pCash, pf.pDone
		return tm
	}
	tm.portfolio = *newDelayCurve(all)
	var raw []float64
	tm.portfolio.denseInto(portfolioLo, portfolioHi, &tm.pCash, &tm.pDone, &raw)
	return tm
}

// timingObs returns the timing observations at the end of day t of the
// customers at positions custs (nil: all), and calls own, when not nil,
// with each customer's (which it may reorder).
func (h *History) timingObs(t datasets.Date, custs []int, own func(ci int, obs []obs)) []obs {
	var all, mine []obs
	for _, ci := range h.customers(custs) {
		c := &h.cust[ci]
		for _, i := range c.inv {
			v := &h.inv[i]
			if v.IssueDate > t {
				break
			}
			if v.IssueDate <= t-timingWindow {
				continue
			}
			o := obs{x: int32(t - v.DueDate)}
			if s := v.SettledDate; s != 0 && s <= t {
				o.x = int32(s - v.DueDate)
				o.kind = 1
				if v.writeOff {
					o.kind = 2
				}
			}
			mine = append(mine, o)
		}
		if len(mine) == 0 {
			continue
		}
		all = append(all, mine...)
		if own != nil {
			own(ci, mine)
		}
		mine = mine[:0]
	}
	return all
}

// newDelayCurve estimates the cumulative incidences from obs (reordered).
func newDelayCurve(os []obs) *delayCurve {
	sortObs(os)
	c := &delayCurve{n: float64(len(os))}
	// Sized first: the paid delays, and the steps (the days with an
	// event: the first observation of a day is an event when any is).
	nPaid, nSteps := 0, 0
	for j, o := range os {
		if o.kind == 1 {
			nPaid++
		}
		if o.kind != 0 && (j == 0 || os[j-1].x != o.x) {
			nSteps++
		}
	}
	paid := make([]int32, 0, nPaid)
	for _, o := range os {
		if o.kind == 1 {
			paid = append(paid, o.x)
		}
	}
	if nSteps > 0 {
		c.x, c.cash, c.done = make([]int32, 0, nSteps), make([]float64, 0, nSteps), make([]float64, 0, nSteps)
	}
	c.kern = smoothingKernel(bandwidth(paid))
	atRisk := float64(len(os))
	surv, cash, done := 1.0, 0.0, 0.0
	for j := 0; j < len(os); {
		x := os[j].x
		var paid, wo, cens float64
		for ; j < len(os) && os[j].x == x; j++ {
			switch os[j].kind {
			case 1:
				paid++
			case 2:
				wo++
			default:
				cens++
			}
		}
		if paid+wo > 0 {
			cash += surv * paid / atRisk
			done += surv * (paid + wo) / atRisk
			surv *= 1 - (paid+wo)/atRisk
			c.x = append(c.x, x)
			c.cash = append(c.cash, cash)
			c.done = append(c.done, done)
		}
		atRisk -= paid + wo + cens
	}
	return c
}

// sortObs sorts observations by x and, at one x, events before
// censoring (kind descending): a censored invoice was still unpaid at the
// end of day x, so it was at risk there. Equal observations are alike, so
// any sort gives the same order; this one avoids a comparator call per
// comparison, which made sorting the timing records a third of a second
// of the 1M-invoice forecast: a customer's few by insertion, more as
// packed integer keys.
func sortObs(os []obs) {
	if len(os) <= 32 {
		for i := 1; i < len(os); i++ {
			o := os[i]
			j := i
			for ; j > 0 && (os[j-1].x > o.x || os[j-1].x == o.x && os[j-1].kind < o.kind); j-- {
				os[j] = os[j-1]
			}
			os[j] = o
		}
		return
	}
	lo, hi := os[0].x, os[0].x
	for _, o := range os {
		lo, hi = min(lo, o.x), max(hi, o.x)
	}
	if span := int64(hi) - int64(lo) + 1; span <= 4*int64(len(os)) {
		// Days within a few times the count (a portfolio's records, over
		// a few years of days): counted per day and kind, written back.
		counts := make([]int32, 3*span)
		for _, o := range os {
			counts[3*int64(o.x-lo)+int64(2-o.kind)]++
		}
		i := 0
		for j, n := range counts {
			o := obs{x: lo + int32(j/3), kind: int8(2 - j%3)}
			for range n {
				os[i] = o
				i++
			}
		}
		return
	}
	// key = 4x + (2 − kind): kind is 0, 1 or 2, so the key orders by x
	// first and decodes exactly (x = key>>2, an arithmetic shift).
	keys := make([]int64, len(os))
	for i, o := range os {
		keys[i] = int64(o.x)*4 + int64(2-o.kind)
	}
	slices.Sort(keys)
	for i, k := range keys {
		os[i] = obs{x: int32(k >> 2), kind: int8(2 - k&3)}
	}
}

// denseInto writes the curve's cumulative incidences, smoothed with its
// kernel over x-J … x+J, for x from lo to hi into cash and done (resized;
// done nil: cash only), with raw as scratch: one walk along the steps.
func (c *delayCurve) denseInto(lo, hi int32, cash, done, raw *[]float64) {
	J := len(c.kern) / 2
	n := int(hi-lo) + 1
	m := n + 2*J
	*raw = slices.Grow((*raw)[:0], 2*m)[:2*m]
	rc, rd := (*raw)[:m], (*raw)[m:]
	j := -1
	for i := range m {
		x := lo - int32(J) + int32(i)
		for j+1 < len(c.x) && c.x[j+1] <= x {
			j++
		}
		rc[i], rd[i] = 0, 0
		if j >= 0 {
			rc[i], rd[i] = c.cash[j], c.done[j]
		}
	}
	*cash = slices.Grow((*cash)[:0], n)[:n]
	smoothInto(*cash, rc, c.kern)
	if done != nil {
		*done = slices.Grow((*done)[:0], n)[:n]
		smoothInto(*done, rd, c.kern)
	}
}

// smoothInto writes to out[i] the moving sum Σ_d kern[d]·steps[i+d].
// A window over days where the steps stay flat, as is the previous day's,
// is the previous day's sum term for term: it is copied, not recomputed
// (most of a customer's days lie between its few steps, and laying the
// curves out was the forecast's costliest loop). run counts the equal
// days ending at the window's last day.
func smoothInto(out, steps, kern []float64) {
	K := len(kern)
	run := 1
	for p := 1; p < K-1; p++ {
		run = sameRun(steps, p, run)
	}
	for i := range out {
		if p := i + K - 1; p > 0 {
			run = sameRun(steps, p, run)
		}
		if i > 0 && run > K {
			out[i] = out[i-1]
			continue
		}
		var s float64
		for d, w := range kern {
			s += w * steps[i+d]
		}
		out[i] = s
	}
}

// sameRun is the number of days up to p over which steps is unchanged,
// given run, the number up to p−1.
func sameRun(steps []float64, p, run int) int {
	if steps[p] == steps[p-1] {
		return run + 1
	}
	return 1
}

// view is a customer's timing curve, mixed with the portfolio's, laid out
// densely over days lo … hi relative to the due date: cash[x-lo] and
// done[x-lo] are the weighted cumulative incidences, weight their total
// weight (the customer's invoices plus the portfolio's prior weight). A
// view is reused from customer to customer.
type view struct {
	lo, hi     int32
	cash, done []float64
	weight     float64
	// own holds the customer's own curve laid out, raw the scratch of
	// laying it out.
	ownCash, ownDone, raw []float64
}

// portfolioSpan is the range of days relative to the due date the
// portfolio's curve is laid out over once: from 2 years before the due
// date to 5 years after, which covers any invoice and horizon a ledger
// can hold without looking up a day twice.
const portfolioLo, portfolioHi = -730, 1826

// view lays the mixed curve of the customer at position ci out over lo …
// hi (clamped to the portfolio's span) into v. Days beyond the span read
// as its edge days (v.idx clamps): an invoice more than five years past
// due is past the last day any record reaches and gets no receipts.
func (tm *Timing) view(v *view, ci int, lo, hi int32) { tm.layOut(v, ci, lo, hi, true) }

// cashView is view without v.done, for what reads only cashAt.
func (tm *Timing) cashView(v *view, ci int, lo, hi int32) { tm.layOut(v, ci, lo, hi, false) }

// layOut is view, v.done left as it was unless withDone.
func (tm *Timing) layOut(v *view, ci int, lo, hi int32, withDone bool) {
	lo = min(max(lo, portfolioLo), portfolioHi)
	hi = max(min(hi, portfolioHi), lo)
	v.lo, v.hi, v.weight = lo, hi, timingPrior
	n := int(hi-lo) + 1
	v.cash = slices.Grow(v.cash[:0], n)[:n]
	off := int(lo - portfolioLo)
	for i := range n {
		v.cash[i] = timingPrior * tm.pCash[off+i]
	}
	ownDone := &v.ownDone
	if withDone {
		v.done = slices.Grow(v.done[:0], n)[:n]
		for i := range n {
			v.done[i] = timingPrior * tm.pDone[off+i]
		}
	} else {
		ownDone = nil
	}
	if ci < 0 || ci >= len(tm.byCust) {
		return
	}
	if own := tm.byCust[ci]; own != nil {
		own.denseInto(lo, hi, &v.ownCash, ownDone, &v.raw)
		for i := range n {
			v.cash[i] += own.n * v.ownCash[i]
		}
		if withDone {
			for i := range n {
				v.done[i] += own.n * v.ownDone[i]
			}
		}
		v.weight += own.n
	}
}

// customerView lays out, once for all of them, the curve of the customer
// of book[i] over the days its invoices (book[i] and those after it of
// the same customer) need for weeks weeks.
func (tm *Timing) customerView(v *view, book []Item, i, weeks int) {
	lo, hi := int32(math.MaxInt32), int32(math.MinInt32)
	for j := i; j < len(book) && book[j].CustomerID == book[i].CustomerID; j++ {
		e := int32(tm.t - book[j].DueDate)
		lo, hi = min(lo, e), max(hi, e+int32(7*weeks))
	}
	tm.view(v, int(book[i].cust), lo, hi)
}

func (v *view) idx(x int32) int { return int(min(max(x, v.lo), v.hi) - v.lo) }

// cashAt is the mixed probability of having been paid by day x.
func (v *view) cashAt(x int32) float64 { return v.cash[v.idx(x)] / v.weight }

// weekly writes to q the probabilities that an invoice still unpaid e
// days after its due date (negative: before it) is paid in each of the
// following weeks, week k covering days e+7k+1 … e+7k+7.
func (v *view) weekly(e int32, q []float64) {
	surv := v.weight - v.done[v.idx(e)]
	if surv <= 1e-9*v.weight {
		clear(q)
		return
	}
	prev := v.cash[v.idx(e)]
	for k := range q {
		c := v.cash[v.idx(e+int32(7*(k+1)))]
		q[k] = max(0, c-prev) / surv
		prev = c
	}
	clampCurve(q)
}

// Weekly writes to q the probabilities that an invoice of customer id due
// on due and still unpaid at the end of the as-of day is paid in each
// forecast week. Prepare lays each customer's curve out once for all its
// invoices; this is the one-invoice form.
func (tm *Timing) Weekly(id string, due datasets.Date, q []float64) {
	e := int32(tm.t - due)
	var v view
	ci, ok := tm.h.byID[id]
	if !ok {
		ci = -1
	}
	tm.view(&v, ci, e, e+int32(7*len(q)))
	v.weekly(e, q)
}
