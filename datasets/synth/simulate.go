package synth

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/dsopilot/dsopilot/datasets"
)

// customerSim simulates one customer into a Batch.
type customerSim struct {
	per       *period
	p         *profile
	r         *rand.Rand
	b         *Batch
	cache     [128]float64 // disputeLate by term
	writeOffs []writeOff
	days      []datasets.Date
}

// writeOff is an invoice left unpaid by a default.
type writeOff struct {
	invoice     int // index in Batch.Ledger.Invoices
	outstanding datasets.Money
}

// simulateCustomer fills b (reset first) with customer idx, whose first
// invoice gets global number firstInvoice.
func simulateCustomer(seed uint64, idx, firstInvoice int, per *period, b *Batch) {
	b.reset(idx)
	p, counts := newProfile(seed, idx, per)
	s := customerSim{per: per, p: &p, r: stream(seed, idx, streamEvents), b: b}
	issues := s.issueDates(counts)
	for i, issue := range issues {
		s.invoice(issue, firstInvoice+i)
	}
	defaultDay := s.defaultEvents()
	limit := s.creditDecisions(defaultDay)
	s.customer(limit)
	s.truth(defaultDay)
	s.assignIDs()
}

// issueDates spreads each month's count uniformly over the weekdays on which
// the customer is live, in date order.
func (s *customerSim) issueDates(counts []int) []datasets.Date {
	var out []datasets.Date
	for m, n := range counts {
		if n == 0 {
			continue
		}
		s.days = s.days[:0]
		s.p.activeWeekdays(s.per.months[m], s.per.months[m+1], &s.days)
		first := len(out)
		for range n {
			out = append(out, s.days[s.r.IntN(len(s.days))])
		}
		slices.Sort(out[first:])
	}
	return out
}

// invoice simulates one invoice and everything that follows from it.
func (s *customerSim) invoice(issue datasets.Date, number int) {
	p, r := s.p, s.r
	logRatio := amountSigma * r.NormFloat64()
	eur := p.medianEUR * math.Exp(logRatio)
	due := p.terms.DueDate(issue)
	inv := datasets.Invoice{
		ID: paddedID("INV", number, 8, "", 0, 0), CustomerID: p.id,
		IssueDate: issue, DueDate: due,
		Amount:   datasets.Money(max(minAmountCents, math.Round(eur*p.country.fx*100))),
		Currency: p.country.currency, Country: p.country.code, Segment: p.seg.name, Channel: p.channel,
	}
	m := p.model(issue, due, logRatio, eur >= courtesyThresholdEUR, &s.cache)
	pth := m.draw(r, p.defaultAt-float64(due))
	if pth.disputed {
		s.disputed(&inv, &pth)
	} else {
		s.undisputed(&inv, &pth)
	}
	s.b.Ledger.Invoices = append(s.b.Ledger.Invoices, inv)
	s.b.Truth = append(s.b.Truth, InvoiceTruth{
		InvoiceID: inv.ID, CustomerID: p.id, Behaviour: behaviours[p.b].name,
		PLate: m.pLate(), PDispute: m.pDispute, CourtesyReminder: m.courtesy,
		MeanDelay: m.comps[0].w*m.comps[0].mean + m.comps[1].w*m.comps[1].mean,
	})
}

// disputed records a disputed invoice: the dispute, its credit note when
// credited, and the payment of the rest when the hold is lifted.
func (s *customerSim) disputed(inv *datasets.Invoice, pth *path) {
	r, last := s.r, s.per.last
	opened := inv.IssueDate.AddDays(pth.disputeOpen)
	settleDay := inv.DueDate.AddDays(int(pth.settle))
	reason := pick(r, disputeReasons)
	amount := inv.Amount
	if r.Float64() < 0.5 {
		amount = max(1, datasets.Money(float64(inv.Amount)*(0.1+0.5*r.Float64())))
	}
	outcome := "rejected"
	switch {
	case r.Float64() < s.p.pCredited:
		outcome = "credited"
	case r.Float64() < pDisputeWithdraw:
		outcome = "withdrawn"
	}
	credited := datasets.Money(0)
	if outcome == "credited" {
		credited = amount
	}
	// A fully credited invoice is settled by the credit note itself;
	// otherwise the customer pays a few days after the resolution.
	resolved := settleDay
	if credited < inv.Amount {
		resolved = max(opened+1, settleDay.AddDays(-intIn(r, 0, 5)))
	}
	if opened > last {
		return
	}
	inv.Disputed = true
	d := datasets.Dispute{CustomerID: inv.CustomerID, InvoiceID: inv.ID, Opened: opened, Reason: reason, Amount: amount}
	if resolved <= last {
		d.Resolved, d.Outcome = resolved, outcome
		if credited > 0 {
			s.b.Ledger.CreditNotes = append(s.b.Ledger.CreditNotes, datasets.CreditNote{
				CustomerID: inv.CustomerID, InvoiceID: inv.ID, Date: resolved, Amount: credited,
				Kind: datasets.KindCreditNote, Reason: reason})
		}
	}
	s.b.Ledger.Disputes = append(s.b.Ledger.Disputes, d)
	if settleDay <= last {
		inv.SettledDate = settleDay
		if rest := inv.Amount - credited; rest > 0 {
			s.pay(inv, rest, settleDay)
		}
	}
}

// undisputed records payments (one or two), the dunning actions taken and
// promises made, or queues the invoice for write-off after a default.
func (s *customerSim) undisputed(inv *datasets.Invoice, pth *path) {
	last := s.per.last
	settleDay := max(inv.IssueDate, inv.DueDate.AddDays(int(math.Ceil(pth.settle))))
	first := s.instalment(inv, settleDay)
	settled := datasets.Date(0) // settlement day if visible by the end
	switch {
	case pth.defaulted:
		s.writeOffs = append(s.writeOffs, writeOff{invoice: len(s.b.Ledger.Invoices), outstanding: inv.Amount - first.amount})
	case settleDay <= last:
		settled, inv.SettledDate = settleDay, settleDay
		s.pay(inv, inv.Amount-first.amount, settleDay)
	}
	s.dunning(inv, pth, settled, first)
}

// instalment is the first of two payments of an invoice; zero when the
// invoice is paid at once.
type instalment struct {
	day    datasets.Date
	amount datasets.Money
}

// instalment draws whether the invoice is paid in two parts and records the
// first part, which comes some days before the settlement, if the customer
// is still alive by then.
func (s *customerSim) instalment(inv *datasets.Invoice, settleDay datasets.Date) instalment {
	r := s.r
	if r.Float64() >= s.p.pPartial || settleDay-inv.IssueDate < 2 {
		return instalment{}
	}
	day := datasets.Date(intIn(r, int(max(inv.IssueDate+1, settleDay-40)), int(settleDay-1)))
	// Round the instalment to whole currency units.
	part := datasets.Money(float64(inv.Amount)*(0.3+0.4*r.Float64())) / 100 * 100
	if part <= 0 || part >= inv.Amount || float64(day) >= s.p.defaultAt {
		return instalment{}
	}
	if day <= s.per.last {
		s.pay(inv, part, day)
	}
	return instalment{day: day, amount: part}
}

// dunning records the actions the scenario took on the invoice, with their
// outcomes as seen at the end of the period, and the promises made at calls.
func (s *customerSim) dunning(inv *datasets.Invoice, pth *path, settled datasets.Date, first instalment) {
	for st := range numSteps {
		o := &pth.steps[st]
		if !o.taken {
			continue
		}
		date := inv.DueDate.AddDays(scenario[st].offset)
		if date > s.per.last {
			break // later steps are later still
		}
		a := datasets.Action{CustomerID: inv.CustomerID, InvoiceID: inv.ID, Date: date,
			Type: scenario[st].action, Channel: scenario[st].channel, Outcome: outcomeNoResponse}
		switch {
		case st == stepCall && !o.contacted:
			a.Outcome = outcomeContactFailed
		case o.promised:
			a.Outcome = outcomePromise
			owed := inv.Amount
			if first.day != 0 && first.day <= date {
				owed -= first.amount
			}
			s.promise(inv, date, inv.DueDate.AddDays(o.promiseAt), owed, settled)
		case settled > date && settled <= date.AddDays(outcomeWindowDays):
			a.Outcome = outcomePaid
		}
		s.b.Ledger.Actions = append(s.b.Ledger.Actions, a)
	}
}

// promise records a promise made on day made, with its status as known at
// the end of the period.
func (s *customerSim) promise(inv *datasets.Invoice, made, promised datasets.Date, amount datasets.Money, settled datasets.Date) {
	status := datasets.PromiseBroken
	switch {
	case settled != 0 && settled <= promised:
		status = datasets.PromiseKept
	case promised > s.per.last:
		status = datasets.PromiseOpen
	}
	s.b.Ledger.Promises = append(s.b.Ledger.Promises, datasets.Promise{
		CustomerID: inv.CustomerID, InvoiceID: inv.ID, Made: made, PromisedDate: promised,
		Amount: amount, Status: status})
}

func (s *customerSim) pay(inv *datasets.Invoice, amount datasets.Money, day datasets.Date) {
	invoiceID := inv.ID
	if s.r.Float64() < pUnallocated {
		invoiceID = "" // received on account, matched later
	}
	s.b.Ledger.Payments = append(s.b.Ledger.Payments, datasets.Payment{
		CustomerID: inv.CustomerID, InvoiceID: invoiceID, Date: day, Amount: amount, Currency: inv.Currency})
}

// defaultEvents records a default within the period: the credit hold, and
// the write-off of every invoice left unpaid once the write-off date comes.
// It returns the default day, or zero.
func (s *customerSim) defaultEvents() datasets.Date {
	p, last := s.p, s.per.last
	if math.IsInf(p.defaultAt, 1) || p.defaultAt >= float64(last+1) {
		return 0
	}
	day := datasets.Date(math.Floor(p.defaultAt)) + 1
	if day > last {
		return 0
	}
	s.b.Ledger.Actions = append(s.b.Ledger.Actions, datasets.Action{
		CustomerID: p.id, Date: day, Type: ActionCreditHold, Channel: "letter"})
	writeOffDay := day.AddDays(p.writeOffLag)
	if writeOffDay > last {
		return day
	}
	for _, w := range s.writeOffs {
		inv := &s.b.Ledger.Invoices[w.invoice]
		inv.SettledDate = writeOffDay
		s.b.Ledger.CreditNotes = append(s.b.Ledger.CreditNotes, datasets.CreditNote{
			CustomerID: p.id, InvoiceID: inv.ID, Date: writeOffDay, Amount: w.outstanding,
			Kind: datasets.KindWriteOff, Reason: "insolvency"})
	}
	return day
}

// creditDecisions records onboarding, periodic reviews, a cut when a
// cash-strapped customer's distress shows and the cut to zero at default.
// It returns the limit at the end of the period.
func (s *customerSim) creditDecisions(defaultDay datasets.Date) datasets.Money {
	p, per := s.p, s.per
	limit := p.limitFor(p.expectedMonthly())
	if p.since >= per.start {
		s.decide(p.since, 0, limit, "new_customer", "onboarding")
	}
	cut := false
	for k := 1; ; k++ {
		day := addMonths(per.start, k*reviewEveryMonths).AddDays(p.reviewDay)
		if day > per.last || (defaultDay != 0 && day >= defaultDay) {
			break
		}
		if day < p.since.AddDays(90) || cut {
			continue
		}
		if p.b == cashStrapped && day > p.distress.AddDays(distressCutAfter) {
			next := max(100000, limit/2/100000*100000) // halved, whole thousands
			s.decide(day, limit, next, "payment_deterioration", "credit_manager")
			limit, cut = next, true
			continue
		}
		next := p.limitFor(float64(s.invoicedBetween(day.AddDays(-182), day)) / 6)
		if math.Abs(float64(next-limit)) > reviewMinChange*float64(limit) {
			s.decide(day, limit, next, "periodic_review", "credit_team")
			limit = next
		}
	}
	if defaultDay != 0 {
		s.decide(defaultDay, limit, 0, "default", "credit_manager")
		limit = 0
	}
	return limit
}

// limitFor sizes a limit to cover the receivables of a monthly volume over
// the terms plus a month, with headroom, in whole thousands.
func (p *profile) limitFor(monthlyCents float64) datasets.Money {
	months := float64(p.terms.Days)/30 + 1
	if p.terms.EOM {
		months += 0.5
	}
	const unit = 1000 * 100
	v := math.Ceil(monthlyCents*months*limitHeadroom/unit) * unit
	return datasets.Money(max(unit, v))
}

// expectedMonthly is the customer's expected monthly invoicing in local
// cents: rate × mean amount.
func (p *profile) expectedMonthly() float64 {
	return p.rate * p.medianEUR * math.Exp(amountSigma*amountSigma/2) * p.country.fx * 100
}

func (s *customerSim) invoicedBetween(from, to datasets.Date) datasets.Money {
	var sum datasets.Money
	for i := range s.b.Ledger.Invoices {
		if d := s.b.Ledger.Invoices[i].IssueDate; d >= from && d < to {
			sum += s.b.Ledger.Invoices[i].Amount
		}
	}
	return sum
}

func (s *customerSim) decide(day datasets.Date, old, next datasets.Money, reason, by string) {
	s.b.Ledger.CreditDecisions = append(s.b.Ledger.CreditDecisions, datasets.CreditDecision{
		CustomerID: s.p.id, Date: day, OldLimit: old, NewLimit: next, Reason: reason, DecidedBy: by})
}

func (s *customerSim) customer(limit datasets.Money) {
	p := s.p
	s.b.Ledger.Customers = append(s.b.Ledger.Customers, datasets.Customer{
		ID: p.id, Name: p.name, Segment: p.seg.name, Country: p.country.code, Currency: p.country.currency,
		CreditLimit: limit, Terms: p.terms, Channel: p.channel, Since: p.since})
}

func (s *customerSim) truth(defaultDay datasets.Date) {
	p := s.p
	t := CustomerTruth{
		CustomerID: p.id, Behaviour: behaviours[p.b].name, Segment: p.seg.name, Country: p.country.code,
		BaseDelay: p.regMean + p.shift, DelaySD: p.regSD, SlipProb: p.slipProb, SlipDelay: p.slipMean + p.shift,
		DisputeProb: p.pDispute, DriftPerMonth: p.drift, DefaultHazard: p.hazard,
		InvoicesPerMonth: p.rate, MedianAmountEUR: p.medianEUR,
	}
	if p.pDispute > 0 {
		t.DisputeMedianDays = math.Exp(p.disputeMu)
	}
	if p.b == cashStrapped {
		t.DistressStart = p.distress
	}
	if defaultDay != 0 {
		t.DefaultDate = defaultDay
		if w := defaultDay.AddDays(p.writeOffLag); w <= s.per.last {
			t.WriteOffDate = w
		}
	}
	s.b.Customer = t
}

// assignIDs sorts each kind of record by date (stably, so ties keep their
// generation order) and numbers it within the customer: PAY000123-0001.
func (s *customerSim) assignIDs() {
	l, n := &s.b.Ledger, s.p.index+1
	id := func(prefix string, seq int) string { return paddedID(prefix, n, 6, "-", seq+1, 4) }
	slices.SortStableFunc(l.Payments, func(a, b datasets.Payment) int { return cmp.Compare(a.Date, b.Date) })
	for i := range l.Payments {
		l.Payments[i].ID = id("PAY", i)
	}
	slices.SortStableFunc(l.CreditNotes, func(a, b datasets.CreditNote) int { return cmp.Compare(a.Date, b.Date) })
	for i := range l.CreditNotes {
		l.CreditNotes[i].ID = id("CN", i)
	}
	slices.SortStableFunc(l.Disputes, func(a, b datasets.Dispute) int { return cmp.Compare(a.Opened, b.Opened) })
	for i := range l.Disputes {
		l.Disputes[i].ID = id("DSP", i)
	}
	slices.SortStableFunc(l.Actions, func(a, b datasets.Action) int { return cmp.Compare(a.Date, b.Date) })
	for i := range l.Actions {
		l.Actions[i].ID = id("ACT", i)
	}
	slices.SortStableFunc(l.Promises, func(a, b datasets.Promise) int { return cmp.Compare(a.Made, b.Made) })
	for i := range l.Promises {
		l.Promises[i].ID = id("PTP", i)
	}
	slices.SortStableFunc(l.CreditDecisions, func(a, b datasets.CreditDecision) int { return cmp.Compare(a.Date, b.Date) })
	for i := range l.CreditDecisions {
		l.CreditDecisions[i].ID = id("CD", i)
	}
}
