package synth

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"

	"github.com/dsopilot/dsopilot/datasets"
)

// profile is a customer's observable attributes and latent parameters.
type profile struct {
	index    int
	id       string
	b        behaviour
	seg      *segmentSpec
	country  *countrySpec
	channel  string
	terms    datasets.Terms
	since    datasets.Date
	name     string
	shift    float64 // days of delay from country, segment and channel
	regMean  float64 // base propensity: mean delay of the regular component, before shift
	regSD    float64
	slipProb float64
	slipMean float64 // mean delay of the slip component, before shift
	slipSD   float64
	// Distress and default (cash-strapped only): the delay drifts by drift
	// days per month from distress on; the customer defaults at hazard per
	// day from hazardFrom = max(distress, period start), at defaultAt
	// (a fractional day; +Inf when never).
	drift       float64
	distress    datasets.Date
	hazard      float64
	hazardFrom  datasets.Date
	defaultAt   float64
	writeOffLag int
	pDispute    float64
	disputeMu   float64
	pCredited   float64
	pPartial    float64
	rate        float64 // invoices per month
	medianEUR   float64 // median invoice amount
	reviewDay   int     // day offset of this customer's credit reviews
}

// newProfile draws customer idx's profile and its invoice counts per month
// from the customer's profile stream.
func newProfile(seed uint64, idx int, per *period) (profile, []int) {
	r := stream(seed, idx, streamProfile)
	p := profile{index: idx, id: customerID(idx), defaultAt: math.Inf(1)}
	p.b = drawBehaviour(r)
	spec := &behaviours[p.b]
	p.seg = drawSegment(r, p.b == cashStrapped)
	p.country = drawCountry(r)
	p.channel = pick(r, p.seg.channels)
	p.terms = pick(r, p.seg.terms)
	p.shift = p.country.shift + p.seg.shift + channelShift(p.channel)
	p.name = companyName(r, &p)
	p.since = drawSince(r, per)

	p.regMean = max(spec.regMeanMin, spec.regMean+spec.regMeanSD*r.NormFloat64())
	p.regSD = spec.regSD.draw(r)
	p.slipProb = spec.slipProb.draw(r)
	p.slipMean = p.regMean + spec.slipOffset.draw(r)
	p.slipSD = spec.slipSD
	p.pDispute = spec.pDispute.draw(r)
	p.disputeMu = math.Log(max(1, spec.disputeMedian.draw(r)))
	p.pCredited = spec.pCredited
	p.pPartial = spec.pPartial
	p.medianEUR = p.seg.medianEUR * math.Exp(customerAmountSigma*r.NormFloat64())
	// Lognormal with mean one, so the segment rate is the mean rate.
	p.rate = p.seg.rate * math.Exp(rateSigma*r.NormFloat64()-rateSigma*rateSigma/2)
	p.reviewDay = r.IntN(28)
	p.writeOffLag = intIn(r, writeOffLagMin, writeOffLagMax)
	if p.b == cashStrapped {
		p.drawDistress(r, per)
	}
	return p, p.monthlyCounts(r, per)
}

// drawDistress places the start of a cash-strapped customer's trouble
// between four months before the period and a month before its end, and its
// default a memoryless time after the later of that and the period start.
func (p *profile) drawDistress(r *rand.Rand, per *period) {
	spec := &behaviours[cashStrapped]
	days := int(per.end - per.start)
	p.distress = max(p.since, per.start.AddDays(intIn(r, -120, max(-120, days-30))))
	p.drift = spec.drift.draw(r)
	p.hazard = spec.hazard.draw(r)
	p.hazardFrom = max(p.distress, per.start)
	p.defaultAt = float64(p.hazardFrom) + r.ExpFloat64()/p.hazard
	p.pDispute = 0 // see behaviours: no closed form for a dispute racing a default
}

func drawBehaviour(r *rand.Rand) behaviour {
	u := r.Float64()
	for b := range numBehaviours {
		if u < behaviours[b].share {
			return b
		}
		u -= behaviours[b].share
	}
	return prompt
}

func drawSegment(r *rand.Rand, cash bool) *segmentSpec {
	total := 0.0
	for i := range segments {
		total += segmentShare(&segments[i], cash)
	}
	u := r.Float64() * total
	for i := range segments {
		w := segmentShare(&segments[i], cash)
		if u < w {
			return &segments[i]
		}
		u -= w
	}
	return &segments[len(segments)-1]
}

func segmentShare(s *segmentSpec, cash bool) float64 {
	if cash {
		return s.shareCash
	}
	return s.share
}

func drawCountry(r *rand.Rand) *countrySpec {
	u := r.Float64()
	for i := range countries {
		if u < countries[i].share {
			return &countries[i]
		}
		u -= countries[i].share
	}
	return &countries[0]
}

// drawSince: most customers predate the period; some join during it, at the
// latest a month before its end so they have some history.
func drawSince(r *rand.Rand, per *period) datasets.Date {
	if r.Float64() < pJoinsDuringPeriod {
		return per.start.AddDays(intIn(r, 0, int(per.end-per.start)-31))
	}
	return max(datasets.MinDate, per.start.AddDays(-intIn(r, 30, maxTenureDays)))
}

// monthlyCounts draws the number of invoices of each month: Poisson with the
// customer's rate, thinned to the weekdays on which it is a live customer.
func (p *profile) monthlyCounts(r *rand.Rand, per *period) []int {
	counts := make([]int, len(per.months)-1)
	for m := range counts {
		active, all := p.activeWeekdays(per.months[m], per.months[m+1], nil)
		if active > 0 {
			counts[m] = poisson(r, p.rate*float64(active)/float64(all))
		}
	}
	return counts
}

// activeWeekdays counts the weekdays in [from, to) and those on which the
// customer can be invoiced (after since, before default), appending the
// latter to days when days is not nil.
func (p *profile) activeWeekdays(from, to datasets.Date, days *[]datasets.Date) (active, all int) {
	for d := from; d < to; d++ {
		if wd := (int(d) + 4) % 7; wd == 0 || wd == 6 { // day 0 was a Thursday
			continue
		}
		all++
		if d >= p.since && float64(d) < p.defaultAt {
			active++
			if days != nil {
				*days = append(*days, d)
			}
		}
	}
	return active, max(all, 1)
}

// currentShift is the delay, beyond the latent means, that applies to an
// invoice: the customer's fixed shift, seasonality of the due date, size,
// and the drift of a customer in distress.
func (p *profile) currentShift(issue, due datasets.Date, logRatio float64) float64 {
	s := p.shift + seasonShift(due) + amountDelayPerLog*logRatio
	if p.drift > 0 && issue > p.distress {
		s += p.drift * float64(issue-p.distress) / daysPerMonth
	}
	return s
}

// model builds the invoice model of an invoice of this customer.
func (p *profile) model(issue, due datasets.Date, logRatio float64, large bool, disputeCache *[128]float64) invoiceModel {
	shift := p.currentShift(issue, due, logRatio)
	m := invoiceModel{
		comps: [2]component{
			{w: 1 - p.slipProb, mean: p.regMean + shift, sd: p.regSD},
			{w: p.slipProb, mean: p.slipMean + shift, sd: p.slipSD},
		},
		courtesy:     large,
		eff:          &effects[p.b],
		disputeMu:    p.disputeMu,
		disputeSigma: disputeSigma,
		term:         int(due - issue),
	}
	if p.hazard > 0 {
		m.hazard = p.hazard
		m.hazardFrom = float64(max(issue, p.hazardFrom) - due)
	}
	if p.pDispute > 0 {
		// Larger invoices are disputed more often.
		m.pDispute = min(0.95, p.pDispute*math.Exp(disputeAmountExp*logRatio))
		m.lateIfDisputed = p.cachedDisputeLate(m.term, disputeCache)
	}
	return m
}

// cachedDisputeLate memoises disputeLate per term: it depends only on the
// customer and the term, and costs 18 CDF evaluations.
func (p *profile) cachedDisputeLate(term int, cache *[128]float64) float64 {
	if cache == nil || term < 0 || term >= len(cache) {
		return disputeLate(p.disputeMu, disputeSigma, term)
	}
	if cache[term] == 0 {
		// Store p+1 so that zero means "not computed".
		cache[term] = 1 + disputeLate(p.disputeMu, disputeSigma, term)
	}
	return cache[term] - 1
}

var (
	nameHeads = []string{"Nord", "Alp", "Bright", "Cedar", "Delta", "Euro", "Fjord", "Granit", "Helix", "Iber",
		"Juno", "Kron", "Luma", "Mistral", "Nova", "Orbit", "Pax", "Quartz", "Rhein", "Sol", "Terra", "Umbra",
		"Vega", "West", "Zephyr", "Atlas", "Borea", "Corvid", "Dune", "Ember"}
	nameTails = []string{"tech", "logistik", "works", "data", "med", "bau", "trade", "foods", "energy", "systems",
		"print", "metal", "chem", "parts", "soft", "line", "wave", "point", "care", "motion"}
	placeNames = []string{"Ardena", "Belmonte", "Castelo", "Dunmore", "Elmsby", "Falkberg", "Grünau", "Holmvik",
		"Ilsede", "Jarrow", "Kessel", "Lindau", "Montval", "Norvik", "Oakridge", "Pradell", "Rosenholm", "Sanvera"}
)

// companyName makes a plausible name for the customer's country and segment.
func companyName(r *rand.Rand, p *profile) string {
	if p.seg.name == "public_sector" {
		return fmt.Sprintf(p.country.public, placeNames[r.IntN(len(placeNames))])
	}
	head := nameHeads[r.IntN(len(nameHeads))]
	tail := nameTails[r.IntN(len(nameTails))]
	legal := p.country.legal[r.IntN(len(p.country.legal))]
	return head + tail + " " + legal
}

func customerID(idx int) string { return paddedID("C", idx+1, 6, "", 0, 0) }

// paddedID formats prefix + n zero-padded to width digits, then, when sep is
// not empty, sep + m padded to mwidth: C000123, PAY000123-0005. It avoids fmt,
// which would dominate the cost of small records.
func paddedID(prefix string, n, width int, sep string, m, mwidth int) string {
	var buf [48]byte
	b := append(buf[:0], prefix...)
	b = appendPadded(b, n, width)
	if sep != "" {
		b = append(b, sep...)
		b = appendPadded(b, m, mwidth)
	}
	return string(b)
}

func appendPadded(b []byte, n, width int) []byte {
	digits := 1
	for v := n; v >= 10; v /= 10 {
		digits++
	}
	for ; digits < width; digits++ {
		b = append(b, '0')
	}
	return strconv.AppendInt(b, int64(n), 10)
}
