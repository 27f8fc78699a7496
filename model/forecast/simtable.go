package forecast

import (
	"math"
	"math/rand/v2"
)

// The tabulated tier of the simulation (see sim.go): a large customer's
// invoices, or the pool of small customers' invoices, summed against
// their factor value from a table of expected cumulative receipts, and
// the invoices' own luck drawn as binomial counts.

// newUnit lays out a table over factor values ±gridSpan·sd.
func (e *engine) newUnit(items []simItem, cust int32, sd float64) unit {
	u := unit{cust: cust, mean: make([]float64, gridPoints*e.weeks), extra: make([]float64, e.weeks)}
	var sq float64
	for _, it := range items {
		u.total += it.amt
		sq += it.amt * it.amt
	}
	if u.total > 0 {
		u.bar = sq / u.total
	}
	u.lo, u.step = -gridSpan*sd, 2*gridSpan*sd/(gridPoints-1)
	return u
}

// customerUnit tabulates a customer's invoices against its factor value
// s = √ρp·G + √ρc·Z_c.
func (e *engine) customerUnit(items []simItem, cust int32) unit {
	u := e.newUnit(items, cust, math.Hypot(e.sqP, e.sqC))
	if len(items) > histBins/4 {
		e.fill(&u, histogram(items, e.weeks), e.sRes)
		return u
	}
	// Few invoices: sum them directly, cheaper than a histogram.
	for g := range gridPoints {
		x := u.lo + float64(g)*u.step
		row := u.mean[g*e.weeks : (g+1)*e.weeks]
		for _, it := range items {
			for k, a := range it.thr {
				row[k] += it.amt * phi((a-x)/e.sRes)
			}
		}
	}
	return u
}

// poolUnit tabulates the pooled invoices against s = √ρp·G, their
// customer factors averaged out, and adds to each week the variance
// the customer factors leave (to first order in their loading: the square
// of each customer's sensitivity, summed over customers).
func (e *engine) poolUnit(items []simItem) *unit {
	u := e.newUnit(items, -1, e.sqP)
	resid := math.Sqrt(1 - e.sqP*e.sqP)
	e.fill(&u, histogram(items, e.weeks), resid)
	if e.sqC > 0 {
		cur := make([]float64, e.weeks)
		flush := func() {
			for k := range cur {
				d := cur[k]
				if k > 0 {
					d -= cur[k-1]
				}
				u.extra[k] += e.sqC * e.sqC * d * d
			}
			clear(cur)
		}
		for i, it := range items {
			if i > 0 && items[i-1].cust != it.cust {
				flush()
			}
			for k, a := range it.thr {
				cur[k] += it.amt * density(a/resid) / resid
			}
		}
		flush()
	}
	return &u
}

// hist is an amount-weighted histogram of thresholds, per week.
type hist [][]float64

// histogram bins items' thresholds, each amount split between the two
// nearest bin centres.
func histogram(items []simItem, weeks int) hist {
	h := make(hist, weeks)
	for k := range h {
		h[k] = make([]float64, histBins)
	}
	for _, it := range items {
		for k, a := range it.thr {
			x := (a - histLo) / histStep
			j := int(x)
			if j >= histBins-1 {
				h[k][histBins-1] += it.amt
				continue
			}
			if j < 0 {
				h[k][0] += it.amt
				continue
			}
			f := x - float64(j)
			h[k][j] += it.amt * (1 - f)
			h[k][j+1] += it.amt * f
		}
	}
	return h
}

// fill tabulates the expected cumulative receipts at each factor value x:
// Σ mass·Φ((a − x)/resid), a the bins' thresholds.
func (e *engine) fill(u *unit, h hist, resid float64) {
	for g := range gridPoints {
		x := u.lo + float64(g)*u.step
		for k := range e.weeks {
			u.mean[g*e.weeks+k] = sumPhi(h[k], x, resid)
		}
	}
}

func sumPhi(bins []float64, x, resid float64) float64 {
	var v float64
	for j, m := range bins {
		if m != 0 {
			v += m * phi((histLo+float64(j)*histStep-x)/resid)
		}
	}
	return v
}

// at writes the unit's expected cumulative receipts at factor value s,
// interpolating the table.
func (u *unit) at(s float64, weeks int, cum []float64) {
	if u.step == 0 {
		copy(cum, u.mean[:weeks])
		return
	}
	p := (s - u.lo) / u.step
	g := int(math.Floor(p))
	switch {
	case g < 0:
		copy(cum, u.mean[:weeks])
		return
	case g >= gridPoints-1:
		copy(cum, u.mean[(gridPoints-1)*weeks:])
		return
	}
	f := p - float64(g)
	a, b := u.mean[g*weeks:(g+1)*weeks], u.mean[(g+1)*weeks:(g+2)*weeks]
	for k := range cum {
		cum[k] = a[k] + f*(b[k]-a[k])
	}
}

// addFlows adds a unit's weekly receipts given its cumulative expectation.
// The invoices' own luck makes a week's receipts a sum of whole invoices:
// the unit counts as n = total/bar invoices of equal size (bar = Σa²/Σa,
// the amount-weighted mean amount, so that the variance Σa²·p(1−p) is
// kept), each still unpaid one paying in week k with the probability its
// expectation gives, a binomial draw per week. The mean is exact, nothing
// is ever negative and the unit never pays more than its total. The pool
// adds a normal term for its customer factors.
func (u *unit) addFlows(cum, row []float64, r *rand.Rand) {
	n := 1
	if u.bar > 0 {
		n = max(1, int(math.Round(u.total/u.bar)))
	}
	size := u.total / float64(n)
	left := n
	prev := 0.0
	for k, c := range cum {
		m := max(c-prev, 0)
		rest := u.total - prev
		prev = max(c, prev)
		x := 0.0
		if m > 0 && rest > 0 && left > 0 {
			d := binomial(r, left, min(m/rest, 1))
			left -= d
			x = float64(d) * size
		}
		if v := u.extra[k]; v > 0 {
			x = max(x+math.Sqrt(v)*r.NormFloat64(), 0)
		}
		row[k] += x
	}
}

// binomial draws the number of successes of n trials of probability p:
// trial by trial for a handful, from the normal approximation when the
// variance is large enough for it (≥ 9), else by skipping from success
// to success with geometric waiting times (cost ∝ the count drawn).
func binomial(r *rand.Rand, n int, p float64) int {
	switch {
	case n <= 0 || p <= 0:
		return 0
	case p >= 1:
		return n
	case n <= 8:
		c := 0
		for range n {
			if r.Float64() < p {
				c++
			}
		}
		return c
	}
	if v := float64(n) * p * (1 - p); v >= 9 {
		x := math.Round(float64(n)*p + math.Sqrt(v)*r.NormFloat64())
		return int(min(max(x, 0), float64(n)))
	}
	if p > 0.5 {
		return n - binomial(r, n, 1-p)
	}
	lq := math.Log1p(-p)
	c, i := 0, 0
	for {
		i += int(math.Log(1-r.Float64())/lq) + 1
		if i > n {
			return c
		}
		c++
	}
}
