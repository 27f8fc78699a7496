package features

import (
	"github.com/dsopilot/dsopilot/datasets"
)

// kpiPoint is receivables at one day by aging bucket, and what the
// customers had on account then that reduces no invoice.
type kpiPoint struct {
	aging [5]datasets.Money
	// unappliedCash and unappliedCredits are Σ amount of the unapplied
	// payments and credit notes dated by the day (KPIs.UnappliedCash,
	// KPIs.UnappliedCredits); overpaid is what invoices' own records
	// cover beyond their amounts (KPIs.Overpayments).
	unappliedCash, unappliedCredits, overpaid datasets.Money
}

// total is the receivables of every bucket; ok is false when their sum
// does not fit a Money.
func (pt *kpiPoint) total() (datasets.Money, bool) {
	return moneySum(pt.aging[:]...)
}

// moneySum adds amounts with datasets.MoneySum; ok is false on overflow.
func moneySum(xs ...datasets.Money) (datasets.Money, bool) {
	var s datasets.MoneySum
	for _, x := range xs {
		s.Add(x)
	}
	t, err := s.Total()
	return t, err == nil
}

// kpiFlow is what happened within one period.
type kpiFlow struct {
	invoiced                 datasets.Money
	issued, issuedDisputed   int
	collected                datasets.Money
	settled, late            int
	writtenOff               int // settled mostly by write-off: no days to pay
	payDays                  int64
	payAmount                datasets.Money
	payWeighted              float64 // Σ amount (cents) × days to pay
	disputesOpened, resolved int
	resolutionDays           int64
	kept, broken             int
	recBase, recovered       datasets.Money
}

// kpiAcc accumulates one group (or one customer's share of it).
type kpiAcc struct {
	points []kpiPoint       // per plan.bounds
	flows  []kpiFlow        // per plan.periods
	hist   []datasets.Money // sales per month from plan.histBase
	// overflow is set when a money sum of a did not fit a Money: the KPIs
	// of a are then an error (datasets.ErrOverflow), never wrapped totals.
	overflow bool
}

// addMoney adds m to *dst, or marks a as overflowed.
func (a *kpiAcc) addMoney(dst *datasets.Money, m datasets.Money) {
	if s, ok := dst.Add(m); ok {
		*dst = s
	} else {
		a.overflow = true
	}
}

func (p *kpiPlan) newAcc() *kpiAcc {
	return &kpiAcc{
		points: make([]kpiPoint, len(p.bounds)),
		flows:  make([]kpiFlow, len(p.periods)),
		hist:   make([]datasets.Money, len(p.histStart)-1),
	}
}

func (a *kpiAcc) reset() {
	clear(a.points)
	clear(a.flows)
	clear(a.hist)
	a.overflow = false
}

// active reports whether a has receivables at some bound or any event in
// the period; sales history alone does not count.
func (a *kpiAcc) active() bool {
	for i := range a.points {
		if a.points[i] != (kpiPoint{}) {
			return true
		}
	}
	for i := range a.flows {
		if a.flows[i] != (kpiFlow{}) {
			return true
		}
	}
	return false
}

func (a *kpiAcc) add(b *kpiAcc) {
	a.overflow = a.overflow || b.overflow
	for i := range a.points {
		for k := range a.points[i].aging {
			a.addMoney(&a.points[i].aging[k], b.points[i].aging[k])
		}
		a.addMoney(&a.points[i].unappliedCash, b.points[i].unappliedCash)
		a.addMoney(&a.points[i].unappliedCredits, b.points[i].unappliedCredits)
		a.addMoney(&a.points[i].overpaid, b.points[i].overpaid)
	}
	for i := range a.flows {
		f, g := &a.flows[i], &b.flows[i]
		a.addMoney(&f.invoiced, g.invoiced)
		f.issued += g.issued
		f.issuedDisputed += g.issuedDisputed
		a.addMoney(&f.collected, g.collected)
		f.settled += g.settled
		f.late += g.late
		f.writtenOff += g.writtenOff
		f.payDays += g.payDays
		a.addMoney(&f.payAmount, g.payAmount)
		f.payWeighted += g.payWeighted
		f.disputesOpened += g.disputesOpened
		f.resolved += g.resolved
		f.resolutionDays += g.resolutionDays
		f.kept += g.kept
		f.broken += g.broken
		a.addMoney(&f.recBase, g.recBase)
		a.addMoney(&f.recovered, g.recovered)
	}
	for i := range a.hist {
		a.addMoney(&a.hist[i], b.hist[i])
	}
}

// kpiScratch holds one customer's accumulators, one per group key its
// records fall in (nearly always one), reused from customer to customer.
type kpiScratch struct {
	p    *kpiPlan
	keys []string
	accs []*kpiAcc
	n    int
	out  []datasets.Money // outstanding of the current invoice per bound
	pos  map[string]int   // invoice id → position, built when needed
	// invAcc is the accumulator of each invoice of the customer, when its
	// invoices fall in several groups.
	invAcc []*kpiAcc
}

// acc returns the accumulator of key k for the current customer.
func (s *kpiScratch) acc(k string) *kpiAcc {
	for j := range s.n {
		if s.keys[j] == k {
			return s.accs[j]
		}
	}
	if s.n == len(s.accs) {
		s.accs = append(s.accs, s.p.newAcc())
		s.keys = append(s.keys, "")
	}
	a := s.accs[s.n]
	a.reset()
	s.keys[s.n] = k
	s.n++
	return a
}

// linked returns the accumulator of the invoice of c with id invoiceID, or
// def when there is none.
func (s *kpiScratch) linked(c *customerIndex, invoiceID string, key kpiKey, def *kpiAcc) *kpiAcc {
	if invoiceID == "" {
		return def
	}
	if s.pos == nil {
		s.pos = make(map[string]int, len(c.invoices))
		for i := range c.invoices {
			s.pos[c.invoices[i].ID] = i
		}
	}
	i, ok := s.pos[invoiceID]
	if !ok {
		return def
	}
	return s.acc(key(c, &c.invoices[i]))
}

// scan accumulates customer c into s's accumulators, one pass over each of
// its record lists. When c's invoices fall in several groups, records
// linked to an invoice are first added to c's own group, then moved to the
// invoice's: the index already links payments and disputes to invoices.
func (s *kpiScratch) scan(c *customerIndex, key kpiKey, perInvoice bool) {
	p := s.p
	s.n, s.pos = 0, nil
	own := key(c, nil)
	base := s.acc(own)
	single := true
	if perInvoice {
		for i := range c.invoices {
			if key(c, &c.invoices[i]) != own {
				single = false
				break
			}
		}
	}
	s.invAcc = s.invAcc[:0]
	if !single {
		for i := range c.invoices {
			s.invAcc = append(s.invAcc, s.acc(key(c, &c.invoices[i])))
		}
	}
	for i := range c.invoices {
		a := base
		if !single {
			a = s.invAcc[i]
		}
		if c.invoices[i].IssueDate > p.to {
			// Not known at to, but what was paid or credited on it by
			// then is on account (a prepayment).
			p.overpaid(c, i, a)
			continue
		}
		p.invoice(c, i, a, s.out)
	}
	for k := range c.payments {
		if c.payments[k].Date > p.to {
			break // sorted by date
		}
		p.payment(base, &c.payments[k], 1)
	}
	// What the customer has on account reduces none of its invoices: it
	// stays in its own group, as its unallocated cash does.
	for k := range c.unappliedPays {
		p.unapplied(base, c.unappliedPays[k].Date, c.unappliedPays[k].Amount, false)
	}
	for k := range c.unappliedCredits {
		p.unapplied(base, c.unappliedCredits[k].Date, c.unappliedCredits[k].Amount, true)
	}
	if p.disputesKnown {
		for k := range c.disputes {
			p.dispute(base, &c.disputes[k], 1)
		}
	}
	if !single {
		for i, a := range s.invAcc {
			if a == base {
				continue
			}
			for k := range c.invPayments[i] {
				p.payment(base, &c.invPayments[i][k], -1)
				p.payment(a, &c.invPayments[i][k], 1)
			}
			if p.disputesKnown {
				for k := range c.invDisputes[i] {
					p.dispute(base, &c.invDisputes[i][k], -1)
					p.dispute(a, &c.invDisputes[i][k], 1)
				}
			}
		}
	}
	for k := range c.promises {
		pr := &c.promises[k]
		kept := pr.Status == datasets.PromiseKept
		if (!kept && pr.Status != datasets.PromiseBroken) || pr.Made > p.to {
			continue
		}
		n, ks := p.hits(pr.PromisedDate)
		if n == 0 {
			continue
		}
		a := base
		if !single {
			a = s.linked(c, pr.InvoiceID, key, base)
		}
		for _, k := range ks[:n] {
			if kept {
				a.flows[k].kept++
			} else {
				a.flows[k].broken++
			}
		}
	}
}

// unapplied adds an unapplied payment (or credit note, when credit) of
// amount m dated d to a's amounts on account at every bound on or after d.
func (p *kpiPlan) unapplied(a *kpiAcc, d datasets.Date, m datasets.Money, credit bool) {
	for j, b := range p.bounds {
		if d > b {
			continue
		}
		if credit {
			a.addMoney(&a.points[j].unappliedCredits, m)
		} else {
			a.addMoney(&a.points[j].unappliedCash, m)
		}
	}
}

// payment adds sign × payment pm to a's collections.
func (p *kpiPlan) payment(a *kpiAcc, pm *datasets.Payment, sign datasets.Money) {
	n, ks := p.hits(pm.Date)
	for _, k := range ks[:n] {
		a.addMoney(&a.flows[k].collected, sign*pm.Amount)
	}
}

// dispute adds sign × dispute d to a's openings and resolutions. A dispute
// counts once opened (by to); its resolution counts when dated on or after
// its opening.
func (p *kpiPlan) dispute(a *kpiAcc, d *datasets.Dispute, sign int) {
	if d.Opened == 0 || d.Opened > p.to {
		return
	}
	n, ks := p.hits(d.Opened)
	for _, k := range ks[:n] {
		a.flows[k].disputesOpened += sign
	}
	if d.Resolved < d.Opened {
		return
	}
	n, ks = p.hits(d.Resolved)
	for _, k := range ks[:n] {
		a.flows[k].resolved += sign
		a.flows[k].resolutionDays += int64(sign) * int64(d.Resolved-d.Opened)
	}
}

// invoice accumulates invoice i of c (issued by p.to) into a; out is scratch
// space of len(p.bounds).
func (p *kpiPlan) invoice(c *customerIndex, i int, a *kpiAcc, out []datasets.Money) {
	v := &c.invoices[i]
	n, ks := p.hits(v.IssueDate)
	for _, k := range ks[:n] {
		f := &a.flows[k]
		a.addMoney(&f.invoiced, v.Amount)
		f.issued++
		if v.Disputed {
			f.issuedDisputed++
		}
	}
	if v.IssueDate >= p.histStart[0] {
		a.addMoney(&a.hist[v.IssueDate.MonthIndex()-p.histBase], v.Amount)
	}
	if sd := v.SettledDate; sd != 0 {
		n, ks := p.hits(sd)
		days := int64(sd - v.IssueDate)
		// An invoice given up on was never paid: its settlement is the
		// day of the write-off, not a payment, so it stays out of the
		// days to pay (still settled, and late when after its due date).
		writtenOff := n > 0 && v.MostlyWrittenOff(c.invCredits[i])
		// Without payment records the clearing is all a ledger says of
		// the money that came in: what the invoice still owed when it was
		// cleared counts as collected (KPIs.CollectedBasis).
		var cleared datasets.Money
		if n > 0 && !p.paymentsKnown {
			cleared = c.cleared(i)
		}
		for _, k := range ks[:n] {
			f := &a.flows[k]
			a.addMoney(&f.collected, cleared)
			f.settled++
			if sd > v.DueDate {
				f.late++
			}
			if writtenOff {
				f.writtenOff++
				continue
			}
			f.payDays += days
			a.addMoney(&f.payAmount, v.Amount)
			f.payWeighted += float64(v.Amount) * float64(days)
		}
		// Cash on account matched to the invoice at its settlement
		// (datasets.ImpliedWriteOffs: what the invoice still owed when
		// cleared, its implied write-off taken off) is applied from then
		// on. Without payment records nothing is on account.
		if p.paymentsKnown && sd <= p.to {
			if used := c.cleared(i); used != 0 {
				p.unapplied(a, sd, -used, false)
			}
		}
		if sd <= p.bounds[0] {
			p.overpaid(c, i, a)
			return // owed nothing at any bound
		}
	}
	p.overpaid(c, i, a)
	for j, b := range p.bounds {
		out[j] = 0
		if v.IssueDate > b {
			continue
		}
		left := c.kpiOutstanding(i, b)
		out[j] = left
		if left != 0 {
			a.addMoney(&a.points[j].aging[AgingBucket(int(b-v.DueDate))], left)
		}
	}
	for k := range p.periods {
		per := &p.periods[k]
		start := p.bounds[per.open]
		open := out[per.open]
		if open <= 0 || int(start-v.DueDate) <= 90 {
			continue
		}
		end := p.bounds[per.close]
		// recovered = open − outstanding at the close − written off,
		// never below zero, summed exactly.
		var rec datasets.MoneySum
		rec.Add(open)
		rec.Add(-out[per.close])
		for _, cn := range c.invCredits[i] {
			if cn.Kind == datasets.KindWriteOff && cn.Date > start && cn.Date <= end {
				rec.Add(-cn.Amount)
			}
		}
		recovered, err := rec.Total()
		if err != nil {
			a.overflow = true
		}
		f := &a.flows[k]
		a.addMoney(&f.recBase, open)
		a.addMoney(&f.recovered, max(0, recovered))
	}
}

// cleared is what the settlement of invoice i took off: what it still owed
// by the end of its settlement day (its amount less the payments and
// credit notes linked to it by then, never below zero). kpi.sql does the
// same in Int64.
func (c *customerIndex) cleared(i int) datasets.Money {
	return c.owedBy(i, c.invoices[i].SettledDate)
}
