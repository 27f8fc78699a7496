package synth

import (
	"math"
	"math/rand/v2"
)

// component is one normal component of an invoice's natural payment time, in
// days relative to the due date, with mixture weight w.
type component struct{ w, mean, sd float64 }

// invoiceModel is everything that decides when one invoice is settled, as
// known at its issue date. Times are days relative to the due date. The same
// model gives the exact p_late (pLate) and draws the realised course (draw),
// so the two cannot drift apart.
type invoiceModel struct {
	comps [2]component
	// The customer defaults at a constant hazard (per day) from hazardFrom
	// on; zero hazard means never. hazardFrom is at or after the issue date:
	// the invoice exists, so the customer had not defaulted when it was issued.
	hazard, hazardFrom float64
	courtesy           bool // a courtesy reminder is scheduled before due
	eff                *[numSteps]effect
	// Disputes: probability, then the lognormal time from opening to
	// settlement; term is the number of days from issue to due.
	pDispute                float64
	disputeMu, disputeSigma float64
	term                    int
	lateIfDisputed          float64 // P(late | disputed), see disputeLate
}

// pLate is the probability that the invoice is settled after its due date,
// or never (a default), given the state at issue.
func (m *invoiceModel) pLate() float64 {
	p := (1 - m.pDispute) * (1 - m.pOnTimeUndisputed())
	if m.pDispute > 0 {
		p += m.pDispute * m.lateIfDisputed
	}
	return min(1, max(0, p))
}

// pOnTimeUndisputed is P(settled by the due date | not disputed). Without a
// courtesy reminder that is reach(0). A courtesy reminder at offset c0, on
// an invoice still unpaid and a customer still alive, triggers with
// probability e a payment at r = c0+lag; then the settlement is min(X, r),
// on time unless the customer defaults first: reach(r) + P(X > r)·surv(r).
// For X <= c0 both branches agree, so no further conditioning is needed.
// Actions after the due date cannot make a late invoice on time.
func (m *invoiceModel) pOnTimeUndisputed() float64 {
	onTime := m.reach(0)
	if !m.courtesy {
		return onTime
	}
	st := &scenario[stepCourtesy]
	e := m.eff[stepCourtesy].respond(stepCourtesy)
	withResponse := 0.0
	for lag := st.lagMin; lag <= st.lagMax; lag++ {
		r := float64(st.offset + lag)
		withResponse += m.reach(r) + (1-m.cdf(r))*m.survival(r)
	}
	withResponse /= float64(st.lagMax - st.lagMin + 1)
	return (1-e)*onTime + e*withResponse
}

// cdf is P(X <= a) for the natural payment time X.
func (m *invoiceModel) cdf(a float64) float64 {
	p := 0.0
	for _, c := range m.comps {
		p += c.w * normCDF((a-c.mean)/c.sd)
	}
	return p
}

// survival is P(the customer has not defaulted by time x).
func (m *invoiceModel) survival(x float64) float64 {
	if m.hazard == 0 || x <= m.hazardFrom {
		return 1
	}
	return math.Exp(-m.hazard * (x - m.hazardFrom))
}

// reach is P(X <= a and the customer has not defaulted by X), the integral
// of the mixture density times survival up to a. Against an exponential
// survival a normal density stays normal after completing the square:
// φ((x-μ)/σ)/σ · e^{-h(x-L)} = e^{-h(μ-L)+h²σ²/2} · φ((x-μ')/σ)/σ with
// μ' = μ - hσ².
func (m *invoiceModel) reach(a float64) float64 {
	if m.hazard == 0 || a <= m.hazardFrom {
		return m.cdf(a)
	}
	h, l := m.hazard, m.hazardFrom
	p := 0.0
	for _, c := range m.comps {
		shifted := c.mean - h*c.sd*c.sd
		scale := math.Exp(-h*(c.mean-l) + h*h*c.sd*c.sd/2)
		tail := normCDF((a-shifted)/c.sd) - normCDF((l-shifted)/c.sd)
		p += c.w * (normCDF((l-c.mean)/c.sd) + scale*tail)
	}
	return p
}

// disputeLate is P(late | disputed): the dispute opens O days after issue,
// O uniform on [disputeOpenMin, disputeOpenMax], and the invoice is settled
// on day O + ceil(R), R lognormal; that is after due (term days after issue)
// exactly when R > term - O, an integer.
func disputeLate(mu, sigma float64, term int) float64 {
	p := 0.0
	for o := disputeOpenMin; o <= disputeOpenMax; o++ {
		y := float64(term - o)
		if y <= 0 {
			p++
			continue
		}
		p += 1 - normCDF((math.Log(y)-mu)/sigma)
	}
	return p / float64(disputeOpenMax-disputeOpenMin+1)
}

func normCDF(z float64) float64 { return 0.5 * math.Erfc(-z/math.Sqrt2) }

// stepOutcome is what happened at one dunning step of an invoice.
type stepOutcome struct {
	taken     bool // the action was taken: invoice unpaid, customer alive
	contacted bool // calls: the customer was reached
	promised  bool // calls: the customer promised to pay
	promiseAt int  // calls: promised date, days relative to due
}

// path is the realised course of one invoice, in days relative to due.
type path struct {
	disputed    bool
	disputeOpen int // days after issue
	// settle is when the invoice is (or would have been) settled; the
	// settlement day is due + ceil(settle).
	settle    float64
	defaulted bool // the customer defaulted before settling
	steps     [numSteps]stepOutcome
}

// late reports whether the path settles after due or never.
func (p *path) late() bool { return p.defaulted || p.settle > 0 }

// draw simulates the invoice. tau is the customer's default time relative
// to due (+Inf when it never defaults); it must lie after hazardFrom when the
// hazard is positive, as the customer's own default time does.
func (m *invoiceModel) draw(r *rand.Rand, tau float64) path {
	var p path
	if m.pDispute > 0 && r.Float64() < m.pDispute {
		p.disputed = true
		p.disputeOpen = intIn(r, disputeOpenMin, disputeOpenMax)
		days := math.Exp(m.disputeMu + m.disputeSigma*r.NormFloat64())
		p.settle = float64(p.disputeOpen + int(math.Ceil(days)) - m.term)
		p.defaulted = tau < p.settle
		return p
	}
	c := m.comps[0]
	if r.Float64() < m.comps[1].w {
		c = m.comps[1]
	}
	p.settle = c.mean + c.sd*r.NormFloat64()
	for s := range numSteps {
		if s == stepCourtesy && !m.courtesy {
			continue
		}
		st := &scenario[s]
		t := float64(st.offset)
		// Offsets increase, so once the invoice is paid or the customer
		// gone no later action happens either.
		if p.settle <= t || tau <= t {
			break
		}
		p.steps[s].taken = true
		if resp, ok := m.respond(r, s, &p.steps[s]); ok && resp < p.settle {
			p.settle = resp
		}
	}
	p.defaulted = tau < p.settle
	return p
}

// respond draws the customer's response to step s and returns the time of
// the payment it triggers, if any.
func (m *invoiceModel) respond(r *rand.Rand, s int, out *stepOutcome) (float64, bool) {
	st, e := &scenario[s], m.eff[s]
	if s != stepCall {
		if r.Float64() >= e.p {
			return 0, false
		}
		return float64(st.offset + intIn(r, st.lagMin, st.lagMax)), true
	}
	if out.contacted = r.Float64() < e.contact; !out.contacted {
		return 0, false
	}
	if out.promised = r.Float64() < e.promise; !out.promised {
		return 0, false
	}
	out.promiseAt = st.offset + intIn(r, st.lagMin, st.lagMax)
	if r.Float64() >= e.keep {
		return 0, false
	}
	return float64(out.promiseAt), true
}
