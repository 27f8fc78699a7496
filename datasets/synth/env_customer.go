package synth

import (
	"math"
	"math/rand/v2"
	"slices"

	"github.com/dsopilot/dsopilot/datasets"
)

// Random stream purposes of the closed loop, beside streamProfile (shared
// with Generate, so both simulate the same customers). Orders, invoices and
// responses each have their own streams, so what one policy does never
// shifts another draw: every policy meets the same customers, orders and
// natural payment times, and the n-th call about an invoice has the same
// outcome under every policy that makes it (common random numbers).
const (
	streamEnvOrders  uint64 = 3
	streamEnvInvoice uint64 = 1 << 32 // + order number
	streamEnvRespond uint64 = 1 << 48 // + order, step and attempt
)

// envCustomer is one customer of the closed loop.
type envCustomer struct {
	p          profile
	orders     []datasets.Date // order days over the whole period, sorted
	next       int             // the next order
	open       []*envInvoice   // issued, not settled
	defaulted  []*envInvoice   // left unpaid by the default, awaiting write-off
	issued     []issued        // for the credit team's reviews
	defaultDay datasets.Date   // first day the customer is in default; MaxDate+1 when never
	writeOff   datasets.Date
	limit      datasets.Money
	cut        bool // the credit team has cut the limit for distress
	review     int  // the credit team's next periodic review (1, 2, ...)
	seq        map[string]int
	cache      [128]float64
}

type issued struct {
	day    datasets.Date
	amount datasets.Money
}

// envInvoice is an invoice of the closed loop and its pre-drawn course.
type envInvoice struct {
	cust      *envCustomer
	id        string
	k         int // order number within the customer
	ledger    int // index in Ledger.Invoices
	issue     datasets.Date
	due       datasets.Date
	amount    datasets.Money
	paid      datasets.Money
	comps     [2]component
	natural   datasets.Date // natural settlement day (undisputed)
	settle    datasets.Date // current settlement day: natural, or earlier by a response
	partDay   datasets.Date // first instalment, zero when paid at once
	partAmt   datasets.Money
	unalloc   [2]bool
	attempts  [numSteps]uint16
	actions   []int // indices in Ledger.Actions of its contacts (no waits)
	promises  []int // indices in Ledger.Promises
	done      bool
	dispute   int // index in Ledger.Disputes once opened, else -1
	disputed  bool
	dOpen     datasets.Date
	dResolved datasets.Date
	dReason   string
	dAmount   datasets.Money
	dCredited datasets.Money
	dOutcome  string
	// disputeSettle is the settlement day of a disputed invoice.
	disputeSettle datasets.Date
}

func newEnvCustomer(seed uint64, idx int, per *period) *envCustomer {
	p, counts := newProfile(seed, idx, per)
	c := &envCustomer{p: p, defaultDay: datasets.MaxDate + 1, seq: map[string]int{}}
	if !math.IsInf(p.defaultAt, 1) {
		c.defaultDay = datasets.Date(math.Floor(p.defaultAt)) + 1
		c.writeOff = c.defaultDay.AddDays(p.writeOffLag)
	}
	r := stream(seed, idx, streamEnvOrders)
	var days []datasets.Date
	for m, n := range counts {
		if n == 0 {
			continue
		}
		days = days[:0]
		p.activeWeekdays(per.months[m], per.months[m+1], &days)
		first := len(c.orders)
		for range n {
			c.orders = append(c.orders, days[r.IntN(len(days))])
		}
		slices.Sort(c.orders[first:])
	}
	if p.since < per.start {
		c.limit = p.limitFor(p.expectedMonthly())
	}
	c.review = 1
	return c
}

// record is the customer master as the ledger shows it.
func (c *envCustomer) record(datasets.Date) datasets.Customer {
	p := &c.p
	return datasets.Customer{ID: p.id, Name: p.name, Segment: p.seg.name, Country: p.country.code,
		Currency: p.country.currency, CreditLimit: c.limit, Terms: p.terms, Channel: p.channel, Since: p.since}
}

func (c *envCustomer) nextID(prefix string) string {
	n := c.seq[prefix]
	c.seq[prefix] = n + 1
	return paddedID(prefix, c.p.index+1, 6, "-", n+1, 4)
}

// exposure is what the customer owes now, in its currency.
func (c *envCustomer) exposure() datasets.Money {
	var s datasets.Money
	for _, inv := range c.open {
		s += inv.amount - inv.paid
	}
	return s
}

// newInvoice draws order k's invoice and its whole natural course from the
// invoice's own stream, in a fixed order.
func (c *envCustomer) newInvoice(seed uint64, k int, issue datasets.Date) *envInvoice {
	p := &c.p
	r := stream(seed, p.index, streamEnvInvoice+uint64(k))
	logRatio := amountSigma * r.NormFloat64()
	eur := p.medianEUR * math.Exp(logRatio)
	due := p.terms.DueDate(issue)
	inv := &envInvoice{cust: c, id: paddedID("INV", p.index+1, 6, "-", k+1, 4), k: k, issue: issue, due: due,
		amount: datasets.Money(max(minAmountCents, math.Round(eur*p.country.fx*100))), dispute: -1}
	m := p.model(issue, due, logRatio, false, &c.cache)
	inv.comps = m.comps
	if m.pDispute > 0 && r.Float64() < m.pDispute {
		inv.drawDispute(r, &m)
	}
	comp := m.comps[0]
	if r.Float64() < m.comps[1].w {
		comp = m.comps[1]
	}
	x := comp.mean + comp.sd*r.NormFloat64()
	inv.natural = max(issue, due.AddDays(int(math.Ceil(x))))
	inv.settle = inv.natural
	// First instalment, some days before the natural settlement.
	uPart, uDay, uFrac := r.Float64(), r.Float64(), r.Float64()
	if uPart < p.pPartial && inv.natural-issue >= 2 {
		lo, hi := int(max(issue+1, inv.natural-40)), int(inv.natural-1)
		inv.partDay = datasets.Date(lo + int(uDay*float64(hi-lo+1)))
		inv.partAmt = datasets.Money(float64(inv.amount)*(0.3+0.4*uFrac)) / 100 * 100
		if inv.partAmt <= 0 || inv.partAmt >= inv.amount {
			inv.partDay, inv.partAmt = 0, 0
		}
	}
	inv.unalloc = [2]bool{r.Float64() < pUnallocated, r.Float64() < pUnallocated}
	if inv.disputed {
		inv.settle = inv.disputeSettle
		inv.partDay, inv.partAmt = 0, 0
	}
	return inv
}

// drawDispute draws a dispute's course as Generate does (see
// customerSim.disputed): its opening, reason, amount, outcome and the
// settlement that follows its resolution.
func (inv *envInvoice) drawDispute(r *rand.Rand, m *invoiceModel) {
	p := &inv.cust.p
	inv.disputed = true
	open := disputeOpenMin + r.IntN(disputeOpenMax-disputeOpenMin+1)
	days := math.Exp(m.disputeMu + m.disputeSigma*r.NormFloat64())
	inv.dOpen = inv.issue.AddDays(open)
	inv.disputeSettle = inv.dOpen.AddDays(int(math.Ceil(days)))
	u := r.Float64()
	total := 0.0
	for _, w := range disputeReasons {
		total += w.w
	}
	u *= total
	inv.dReason = disputeReasons[len(disputeReasons)-1].v
	for _, w := range disputeReasons {
		if u < w.w {
			inv.dReason = w.v
			break
		}
		u -= w.w
	}
	inv.dAmount = inv.amount
	if uHalf, uFrac := r.Float64(), r.Float64(); uHalf < 0.5 {
		inv.dAmount = max(1, datasets.Money(float64(inv.amount)*(0.1+0.5*uFrac)))
	}
	inv.dOutcome = "rejected"
	switch uc, uw := r.Float64(), r.Float64(); {
	case uc < p.pCredited:
		inv.dOutcome = "credited"
	case uw < pDisputeWithdraw:
		inv.dOutcome = "withdrawn"
	}
	if inv.dOutcome == "credited" {
		inv.dCredited = inv.dAmount
	}
	inv.dResolved = inv.disputeSettle
	if inv.dCredited < inv.amount {
		inv.dResolved = max(inv.dOpen+1, inv.disputeSettle.AddDays(-r.IntN(6)))
	}
}

// responsive reports whether a contact on day t can move the invoice's
// payment: it is undisputed, not yet paid (settle, its current settlement
// day, is not before t) and its customer is not in default.
func (inv *envInvoice) responsive(t, settle datasets.Date) bool {
	return !inv.disputed && t >= inv.issue && settle >= t && t < inv.cust.defaultDay
}

// response is a customer's reaction to one contact about one invoice.
type response struct {
	contacted, promised, pays bool
	at                        datasets.Date // payment day, or promised day for a call
}

// respondAt draws the reaction to the attempt-th contact of step s about
// the invoice, taken on day t, from the stream of (invoice, step, attempt):
// the same draw whichever policy makes that contact.
func (inv *envInvoice) respondAt(seed uint64, c *envCustomer, s, attempt int, t datasets.Date) response {
	r := stream(seed, c.p.index, streamEnvRespond+uint64(inv.k)<<12+uint64(s)<<8+uint64(min(attempt, 255)))
	st, e := &scenario[s], effects[c.p.b][s]
	u1, u2, u3 := r.Float64(), r.Float64(), r.Float64()
	lag := st.lagMin + r.IntN(st.lagMax-st.lagMin+1)
	o := response{at: t.AddDays(lag)}
	if s != stepCall {
		o.pays = u1 < e.p
		return o
	}
	o.contacted = u1 < e.contact
	o.promised = o.contacted && u2 < e.promise
	o.pays = o.promised && u3 < e.keep
	return o
}

// customerDay runs one customer's events of day t.
func (e *Env) customerDay(c *envCustomer, t datasets.Date) {
	if t == c.defaultDay {
		e.defaultCustomer(c, t)
	}
	if t == c.writeOff && len(c.defaulted) > 0 {
		for _, inv := range c.defaulted {
			e.ledger.CreditNotes = append(e.ledger.CreditNotes, datasets.CreditNote{ID: c.nextID("CN"),
				CustomerID: c.p.id, InvoiceID: inv.id, Date: t, Amount: inv.amount - inv.paid,
				Kind: datasets.KindWriteOff, Reason: "insolvency"})
			e.ledger.Invoices[inv.ledger].SettledDate = t
		}
		c.defaulted = nil
	}
	for c.next < len(c.orders) && c.orders[c.next] <= t {
		if c.orders[c.next] == t && t < c.defaultDay {
			e.order(c, c.next, t)
		}
		c.next++
	}
	keep := c.open[:0]
	for _, inv := range c.open {
		e.invoiceDay(c, inv, t)
		if !inv.done {
			keep = append(keep, inv)
		}
	}
	clear(c.open[len(keep):])
	c.open = keep
}

// order places order k: the credit policy accepts it (an invoice) or blocks
// it (a lost sale).
func (e *Env) order(c *envCustomer, k int, t datasets.Date) {
	inv := c.newInvoice(e.cfg.Seed, k, t)
	e.stats.Orders++
	o := Order{CustomerID: c.p.id, Day: t, Amount: inv.amount, Currency: c.p.country.currency,
		Exposure: c.exposure(), Limit: c.limit}
	if !e.credit.Accept(o) {
		e.stats.LostSales += c.eur(inv.amount)
		e.stats.LostCount++
		return
	}
	e.stats.Sales += c.eur(inv.amount)
	inv.ledger = len(e.ledger.Invoices)
	e.ledger.Invoices = append(e.ledger.Invoices, datasets.Invoice{ID: inv.id, CustomerID: c.p.id,
		IssueDate: t, DueDate: inv.due, Amount: inv.amount, Currency: c.p.country.currency,
		Country: c.p.country.code, Segment: c.p.seg.name, Channel: c.p.channel})
	e.invoices[inv.id] = inv
	c.open = append(c.open, inv)
	c.issued = append(c.issued, issued{t, inv.amount})
}

// invoiceDay runs an open invoice's events of day t.
func (e *Env) invoiceDay(c *envCustomer, inv *envInvoice, t datasets.Date) {
	if inv.disputed {
		if t == inv.dOpen {
			inv.dispute = len(e.ledger.Disputes)
			e.ledger.Disputes = append(e.ledger.Disputes, datasets.Dispute{ID: c.nextID("DSP"), CustomerID: c.p.id,
				InvoiceID: inv.id, Opened: t, Reason: inv.dReason, Amount: inv.dAmount})
			e.ledger.Invoices[inv.ledger].Disputed = true
		}
		if t == inv.dResolved && inv.dispute >= 0 {
			d := &e.ledger.Disputes[inv.dispute]
			d.Resolved, d.Outcome = t, inv.dOutcome
			if inv.dCredited > 0 {
				e.ledger.CreditNotes = append(e.ledger.CreditNotes, datasets.CreditNote{ID: c.nextID("CN"),
					CustomerID: c.p.id, InvoiceID: inv.id, Date: t, Amount: inv.dCredited,
					Kind: datasets.KindCreditNote, Reason: inv.dReason})
				inv.paid += inv.dCredited
			}
		}
	}
	if t >= c.defaultDay {
		return
	}
	if inv.partDay == t && t < inv.settle {
		e.pay(c, inv, inv.partAmt, t, 0)
	}
	if t == inv.settle {
		if rest := inv.amount - inv.paid; rest > 0 {
			e.pay(c, inv, rest, t, 1)
		}
		inv.done = true
		e.ledger.Invoices[inv.ledger].SettledDate = t
		for _, idx := range inv.actions {
			a := &e.ledger.Actions[idx]
			if a.Outcome == outcomeNoResponse && t > a.Date && t <= a.Date.AddDays(outcomeWindowDays) {
				a.Outcome = outcomePaid
			}
		}
		for _, idx := range inv.promises {
			if pr := &e.ledger.Promises[idx]; pr.Status == datasets.PromiseOpen {
				pr.Status = datasets.PromiseKept
			}
		}
		return
	}
	for _, idx := range inv.promises {
		if pr := &e.ledger.Promises[idx]; pr.Status == datasets.PromiseOpen && pr.PromisedDate < t {
			pr.Status = datasets.PromiseBroken
		}
	}
}

func (e *Env) pay(c *envCustomer, inv *envInvoice, amount datasets.Money, t datasets.Date, n int) {
	id := inv.id
	if inv.unalloc[n] {
		id = "" // received on account, matched later
	}
	e.ledger.Payments = append(e.ledger.Payments, datasets.Payment{ID: c.nextID("PAY"), CustomerID: c.p.id,
		InvoiceID: id, Date: t, Amount: amount, Currency: c.p.country.currency})
	inv.paid += amount
}

// defaultCustomer records a default: the credit hold, the limit cut to
// zero, and every unpaid invoice left for write-off; its exposure is the
// bad debt.
func (e *Env) defaultCustomer(c *envCustomer, t datasets.Date) {
	e.ledger.Actions = append(e.ledger.Actions, datasets.Action{ID: c.nextID("ACT"), CustomerID: c.p.id,
		Date: t, Type: ActionCreditHold, Channel: "letter"})
	e.decide(c, t, 0, "default", "credit_manager")
	e.stats.Defaults++
	for _, inv := range c.open {
		inv.done = true
		if out := inv.amount - inv.paid; out > 0 {
			e.stats.BadDebt += c.eur(out)
			c.defaulted = append(c.defaulted, inv)
		}
	}
}
