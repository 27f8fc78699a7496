package forecast

import (
	"math"
	"slices"
	"strings"

	"github.com/dsopilot/dsopilot/datasets"
)

// NewBusiness is the forecast of receipts from invoices still to be
// issued during the horizon: each customer's invoicing run-rate over the
// last 13 weeks, times the portfolio's seasonal factor (how the same
// weeks a year or two earlier compared with the 13 weeks before them,
// shrunk towards 1 by its noise: season.go), issued
// evenly over the days, due after the customer's usual terms and paid as
// its timing record says.
type NewBusiness struct {
	// Customers is the number of customers with a run-rate.
	Customers int `json:"customers"`
	// Invoicing is the expected amount invoiced during the horizon.
	Invoicing Money `json:"expected_invoicing"`
	// Seasonal is the seasonal factor applied to the run-rates.
	Seasonal float64 `json:"seasonal_factor"`
	// Bounded names the customers whose run-rate counted invoices at the
	// outlier bound (OutlierFactor × their median), by customer id;
	// absent when none did.
	Bounded []Bounded `json:"bounded,omitempty"`
	total   newPart
	byCust  []custNew // by customer id
}

// custNew is one customer's new business: its part, its labels (from its
// latest invoice) and its expected invoicing per day; bounded what its
// run-rate counted at the outlier bound (nil: nothing), cut the expected
// invoicing per day that took off.
type custNew struct {
	id      string
	part    newPart
	label   Item
	perDay  float64
	bounded *Bounded
	cut     float64
}

// newPart is new business per week: the expected receipts, and the
// customers whose invoices the simulation draws them from.
type newPart struct {
	mean  []float64
	custs []*newCust
}

// newCust is what the simulation draws a customer's new invoices from:
// the expected number per week of invoices issued during the horizon and
// paid in that week, and the amounts of the invoices it issued in the
// run-rate window, in cents, whose mean times those counts is the
// expected receipts; and the same of its early payments (see earlyPays).
type newCust struct {
	id    string
	count []float64
	amts  []int64
	// ea and ea2 are the mean amount and the mean squared amount.
	ea, ea2 float64
	// n is the number of invoices the run-rate was measured from: the
	// shape of the customer's factor.
	n     float64
	early *newCust
}

// variance is the variance of the customer's new receipts in week k as
// the simulation draws them without the volume factors: the counts' and
// amounts' own (Σ count·E[a²]) and the customer factor's.
func (c *newCust) variance(k int) float64 {
	v := c.count[k] * c.ea2
	m := c.count[k] * c.ea
	if e := c.early; e != nil {
		v += e.count[k] * e.ea2
		m += e.count[k] * e.ea
	}
	if c.n > 0 {
		v += m * m / c.n
	}
	return v
}

// moments sets ea and ea2 from amts.
func (c *newCust) moments() {
	var s, sq float64
	for _, a := range c.amts {
		s += float64(a)
		sq += float64(a) * float64(a)
	}
	if n := float64(len(c.amts)); n > 0 {
		c.ea, c.ea2 = s/n, sq/n
	}
}

func (p *newPart) add(q newPart) {
	if p.mean == nil {
		p.mean = make([]float64, len(q.mean))
	}
	for k := range q.mean {
		p.mean[k] += q.mean[k]
	}
	p.custs = append(p.custs, q.custs...)
}

// runRateDays is the trailing window of the run-rate: 13 weeks, long
// enough to hold a few invoices of a monthly customer, short enough to
// follow a customer who grows, shrinks or stops.
const runRateDays = 91

// seasonalLimit bounds the seasonal factor: a year-ago pattern is a hint,
// not a law.
const seasonalLimit = 2.0

// runRate returns the daily invoicing rate known at t, before the
// seasonal factor, of each customer at positions custs (nil for all) that
// has one, in the order of custs, and the seasonal factor for the weeks
// after t.
func (h *History) runRate(t datasets.Date, weeks int, custs []int) ([]custRate, float64) {
	rates, ss := h.runRateSums(t, weeks, custs)
	if pf := h.portfolioAt(t, custs); pf != nil && pf.weeks == weeks {
		// A part of a ledger forecast in parts: the whole portfolio's
		// season.
		ss = &pf.season
	}
	return rates, ss.factor(t, h.first, weeks)
}

// runRateSums returns runRate's rates and the sums its seasonal factor
// compares (season.go): what each customer invoiced in the horizon's
// weeks a year (and two years) earlier, and in the 13 weeks before those.
// The sums add whole cents, so they are exact in any order (below 2⁵³
// cents), and a ledger's parts add up to the whole's.
func (h *History) runRateSums(t datasets.Date, weeks int, custs []int) (rates []custRate, ss *seasonSums) {
	ss = &seasonSums{}
	var buf []datasets.Money
	for _, ci := range h.customers(custs) {
		var sum, sq float64
		var amts []int64
		var wh, wb [seasonYears]int64
		// The run-rate counts an exceptional invoice at the outlier
		// bound (outlier.go): its amounts for the simulation's draws too,
		// so that the mean and the bands describe the same invoices.
		median, bound := h.runRateBound(ci, t, &buf)
		var b Bounded
		// yearExcess is what the year's invoices to t invoiced above the
		// bound: counted back spread over the year, so that a large
		// invoice that recurs keeps its long-run share of the run-rate
		// and a one-off counts about a quarter of what it would in the
		// 13 weeks alone. Capped alone, the run-rate lost 4.4% of the
		// expected invoicing on simulated ledgers whose large invoices
		// are routine (new-business bias −4.9% on seeds 71 and 97;
		// −1.5% and −1.7% so, −1.3% and −1.4% uncapped).
		var yearExcess int64
		for _, i := range h.cust[ci].inv {
			v := &h.inv[i]
			if v.IssueDate > t {
				break
			}
			if bound > 0 && v.Amount > bound && v.IssueDate > t-timingWindow {
				yearExcess += int64(v.Amount - bound)
			}
			if v.IssueDate > t-runRateDays {
				amt := v.Amount
				if bound > 0 && amt > bound {
					b.Invoices++
					b.Largest = max(b.Largest, Money(amt))
					b.Excess += Money(amt - bound)
					amt = bound
				}
				a := float64(amt)
				sum += a
				sq += a * a
				amts = append(amts, int64(amt))
			}
			for y := range seasonYears {
				ly := seasonYearStart(t, y)
				switch {
				case v.IssueDate > ly && v.IssueDate <= ly.AddDays(7*weeks):
					wh[y] += int64(v.Amount)
				case v.IssueDate > ly-runRateDays && v.IssueDate <= ly:
					wb[y] += int64(v.Amount)
				}
			}
		}
		for y := range seasonYears {
			ss.addCustomer(y, wh[y], wb[y])
		}
		if sum > 0 {
			r := rate{perDay: sum/runRateDays + float64(yearExcess)/timingWindow, bar: sq / sum, amts: amts}
			if b.Invoices > 0 {
				b.CustomerID, b.Median, b.Bound = h.cust[ci].ID, Money(median), Money(bound)
				b.YearExcess = Money(yearExcess)
				r.bounded = &b
			}
			rates = append(rates, custRate{ci, r})
		}
	}
	return rates, ss
}

// rate is a customer's invoicing: per day, the amount-weighted mean
// invoice amount (Σa²/Σa), which sets the spread of what a given rate
// brings in, and the amounts of the invoices the rate is measured from
// (in issue order).
type rate struct {
	perDay, bar float64
	amts        []int64
	// bounded is what the rate counted at the outlier bound (nil:
	// nothing); its Lowered is not set.
	bounded *Bounded
}

// custRate is the rate of the customer at position ci.
type custRate struct {
	ci int
	rate
}

// newCust returns what the simulation draws the customer's new invoices
// from, given its expected receipts per week m: the counts are m over the
// mean amount, so that count times mean amount is m exactly.
func (r rate) newCust(id string, m []float64) *newCust {
	c := &newCust{id: id, amts: r.amts, count: make([]float64, len(m)), n: float64(len(r.amts))}
	c.moments()
	if c.ea != 0 {
		for k, v := range m {
			c.count[k] = v / c.ea
		}
	}
	return c
}

// invoiced is what the customers at custs (nil: all) invoiced in (from, to].
func (h *History) invoiced(from, to datasets.Date, custs []int) float64 {
	var s float64
	for _, ci := range h.customers(custs) {
		for _, i := range h.cust[ci].inv {
			v := &h.inv[i]
			if v.IssueDate > to {
				break
			}
			if v.IssueDate > from {
				s += float64(v.Amount)
			}
		}
	}
	return s
}

// terms returns the customer's payment terms as its invoices show them
// in the year to t (all its invoices when none): net days when most
// invoices fall due a fixed number of days after issue, end of month plus
// days when more fall due a fixed number of days after the end of their
// issue month; the customer master's terms when its invoices say nothing,
// NET30 without either. net and eom are scratch.
func (h *History) terms(ci int, t datasets.Date, net, eom *[]int) datasets.Terms {
	*net, *eom = (*net)[:0], (*eom)[:0]
	for pass := 0; pass < 2 && len(*net) == 0; pass++ {
		for _, i := range h.cust[ci].inv {
			v := &h.inv[i]
			if v.IssueDate > t {
				break
			}
			if pass == 1 || v.IssueDate > t-timingWindow {
				*net = append(*net, int(v.DueDate-v.IssueDate))
				*eom = append(*eom, int(v.DueDate-datasets.Terms{EOM: true}.DueDate(v.IssueDate)))
			}
		}
	}
	if len(*net) == 0 {
		if c := h.cust[ci].Terms; c.Days > 0 || c.EOM {
			return c
		}
		return datasets.Terms{Days: 30}
	}
	nd, nn := mode(*net)
	ed, en := mode(*eom)
	if en > nn && ed >= 0 {
		return datasets.Terms{Days: ed, EOM: true}
	}
	return datasets.Terms{Days: max(nd, 0)}
}

// mode returns the most frequent value of xs (reordered; the smallest on
// a tie) and how often it occurs.
func mode(xs []int) (value, count int) {
	// Most customers' invoices all have the same terms: no sort then.
	if !slices.ContainsFunc(xs, func(x int) bool { return x != xs[0] }) {
		if len(xs) == 0 {
			return 0, 0
		}
		return xs[0], len(xs)
	}
	slices.Sort(xs)
	for i := 0; i < len(xs); {
		j := i
		for j < len(xs) && xs[j] == xs[i] {
			j++
		}
		if j-i > count {
			value, count = xs[i], j-i
		}
		i = j
	}
	return value, count
}

// NewBusiness forecasts the receipts from invoices issued after t.
func (h *History) NewBusiness(t datasets.Date, weeks int) *NewBusiness {
	return h.newBusiness(t, weeks, h.Timing(t))
}

// newBusiness is NewBusiness with the timing record at t.
func (h *History) newBusiness(t datasets.Date, weeks int, tm *Timing) *NewBusiness {
	rates, season := h.runRate(t, weeks, nil)
	nb := &NewBusiness{Seasonal: season, byCust: make([]custNew, 0, len(rates))}
	var sc newScratch
	// In customer order (a slice, where a map's look-ups cost more).
	for _, cr := range rates {
		ci, r := cr.ci, cr.rate
		perDay := r.perDay * season
		c := &h.cust[ci]
		nc, m := h.newCustomer(tm, &sc, ci, t, weeks, r, season)
		p := newPart{mean: m, custs: []*newCust{nc}}
		nb.total.add(p)
		// Labelled like its latest invoice issued by t (a run-rate means
		// there is one).
		var last *invoice
		for _, i := range c.inv {
			if h.inv[i].IssueDate > t {
				break
			}
			last = &h.inv[i]
		}
		cn := custNew{id: c.ID, part: p, perDay: perDay,
			label: Item{CustomerID: c.ID, Currency: last.label.currency, Segment: last.label.segment, Country: last.label.country}}
		if r.bounded != nil {
			cn.bounded = r.bounded
			cn.cut = (float64(r.bounded.Excess)/runRateDays - float64(r.bounded.YearExcess)/timingWindow) * season
		}
		nb.byCust = append(nb.byCust, cn)
	}
	if nb.total.mean == nil {
		nb.total = newPart{mean: make([]float64, weeks)}
	}
	nb.Customers = len(nb.byCust)
	nb.setInvoicing(weeks)
	return nb
}

// setInvoicing sets the expected amount invoiced over the first weeks
// weeks of the horizon, summed in customer order, and the bounded
// customers with what their bound lowered it by over those weeks (a new
// slice: a result over fewer weeks does not change its source's).
func (nb *NewBusiness) setInvoicing(weeks int) {
	var s float64
	nb.Bounded = nil
	for i := range nb.byCust {
		c := &nb.byCust[i]
		s += c.perDay * float64(7*weeks)
		if c.bounded != nil {
			b := *c.bounded
			b.Lowered = cents(c.cut * float64(7*weeks))
			nb.Bounded = append(nb.Bounded, b)
		}
	}
	nb.Invoicing = cents(s)
}

// newCustomer returns what the simulation draws customer ci's new
// business from (its run-rate r before the seasonal factor) and its
// expected receipts per week: its invoices paid as its timing record
// says, less the share its early payments bring in (earlyPays), and those
// early payments.
func (h *History) newCustomer(tm *Timing, sc *newScratch, ci int, t datasets.Date, weeks int, r rate, season float64) (*newCust, []float64) {
	m := h.newReceipts(tm, sc, ci, t, weeks, r.perDay*season)
	nc := r.newCust(h.cust[ci].ID, m)
	lags, amts, seen, share := h.earlyPays(ci, t)
	if len(amts) == 0 || nc.ea == 0 {
		return nc, m
	}
	e := &newCust{id: nc.id, amts: amts, count: make([]float64, weeks)}
	e.moments()
	// Invoices issued per day over the horizon, each bringing an early
	// payment at lag L with probability (payments at L)/seen.
	perDay := float64(len(r.amts)) / runRateDays * season / float64(seen)
	for _, L := range lags {
		for d := int32(1); d <= int32(7*weeks); d++ {
			if day := d + L; day <= int32(7*weeks) {
				e.count[(day-1)/7] += perDay
			}
		}
	}
	nc.early = e
	for k := range m {
		nc.count[k] *= 1 - share
		m[k] = nc.count[k]*nc.ea + e.count[k]*e.ea
	}
	return nc, m
}

// earlyDays is how soon after issue a payment counts as early.
const earlyDays = 21

// earlyPays returns the early payments on the customer's invoices issued
// in the year to t−earlyDays (all seen whole by t): payments made within
// earlyDays of issue while the invoice stayed open, a deposit or an
// instalment, their lags after issue and amounts, how many invoices were
// seen, and the share of those invoices' amounts they paid. The timing
// record times an invoice by its settlement, so without them a new
// invoice brought nothing before it fell due, while on the simulated
// ledgers 1.3% of payments (0.5–0.7% of the money, from half the
// customers, 91% of them partial) come within two weeks of issue: the
// new part's second week, which its bands then missed.
func (h *History) earlyPays(ci int, t datasets.Date) (lags []int32, amts []int64, seen int, share float64) {
	var invoiced, paid float64
	for _, i := range h.cust[ci].inv {
		v := &h.inv[i]
		if v.IssueDate > t-earlyDays {
			break
		}
		if v.IssueDate <= t-timingWindow || v.Amount <= 0 {
			continue
		}
		seen++
		invoiced += float64(v.Amount)
		for _, p := range v.pays {
			lag := int32(p.date - v.IssueDate)
			if lag < 0 || lag > earlyDays || p.amount <= 0 || (v.SettledDate != 0 && p.date >= v.SettledDate) {
				continue
			}
			lags = append(lags, lag)
			amts = append(amts, int64(p.amount))
			paid += float64(p.amount)
		}
	}
	if invoiced > 0 {
		share = min(paid/invoiced, 1)
	}
	return lags, amts, seen, share
}

// newReceipts is the expected receipts per week of a customer invoicing
// rate per day from the day after t: an invoice issued on day t+d is due
// terms days later and paid x days after that as the timing record says.
func (h *History) newReceipts(tm *Timing, sc *newScratch, ci int, t datasets.Date, weeks int, rate float64) []float64 {
	terms := h.terms(ci, t, &sc.net, &sc.eom)
	W := int32(weeks)
	// due[d-1]: days from t to the due date of an invoice issued on t+d.
	sc.due = slices.Grow(sc.due[:0], int(7*W))[:7*W]
	due := sc.due
	// The days read below: from the first week end after issue (7·⌈d/7⌉)
	// to the horizon's end, less the days to the due date.
	lo, hi := int32(math.MaxInt32), int32(math.MinInt32)
	for d := int32(1); d <= 7*W; d++ {
		due[d-1] = int32(terms.DueDate(t.AddDays(int(d))) - t)
		lo, hi = min(lo, 7*((d+6)/7)-due[d-1]), max(hi, 7*W-due[d-1])
	}
	v := &sc.view
	tm.cashView(v, ci, lo, hi)
	// cashAt's quotients, once per day of the view rather than once per
	// issue day and week (the same divisions, so the same values).
	sc.cash = slices.Grow(sc.cash[:0], len(v.cash))[:len(v.cash)]
	for i, c := range v.cash {
		sc.cash[i] = c / v.weight
	}
	out := make([]float64, weeks)
	for d := int32(1); d <= 7*W; d++ {
		prev := 0.0
		// Paid by the end of day t+7k: x ≤ 7k − due, and not before it is
		// issued; the weeks before the invoice is issued add nothing (an
		// exact +0 to sums that start at +0), so they are skipped.
		for k := (d + 6) / 7; k <= W; k++ {
			c := sc.cash[v.idx(7*k-due[d-1])]
			out[k-1] += rate * (c - prev)
			prev = c
		}
	}
	return out
}

// newScratch is the buffers newReceipts reuses from customer to customer.
type newScratch struct {
	view     view
	cash     []float64 // the view's cashAt by day
	due      []int32
	net, eom []int
}

// by sums the new business per breakdown key.
func (nb *NewBusiness) by(key string) map[string]*newPart {
	out := map[string]*newPart{}
	for i := range nb.byCust {
		c := &nb.byCust[i]
		k := c.label.groupKey(key)
		s := out[k]
		if s == nil {
			s = &newPart{}
			out[k] = s
		}
		s.add(c.part)
	}
	return out
}

// customer returns the new business of customer id.
func (nb *NewBusiness) customer(id string) (newPart, bool) {
	i, ok := slices.BinarySearchFunc(nb.byCust, id, func(c custNew, id string) int { return strings.Compare(c.id, id) })
	if !ok {
		return newPart{}, false
	}
	return nb.byCust[i].part, true
}
