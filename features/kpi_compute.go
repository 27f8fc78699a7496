package features

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/dsopilot/dsopilot/datasets"
)

// ComputeKPIs returns the receivables KPIs of the period [from, to] (see
// KPIs for the definitions), grouped by "" (portfolio only), "segment",
// "country" or "customer", and month by month when monthly is set.
func ComputeKPIs(ix *Index, from, to datasets.Date, by string, monthly bool) (*KPIReport, error) {
	return ComputeKPIsWith(ix, from, to, KPIOptions{By: by, Monthly: monthly})
}

// ComputeKPIsWith is ComputeKPIs with every option. It reads each customer's
// records once: the cost is linear in the ledger up to `to`, times the
// number of period ends when monthly.
func ComputeKPIsWith(ix *Index, from, to datasets.Date, o KPIOptions) (*KPIReport, error) {
	if ix == nil {
		return nil, errors.New("kpi: nil index")
	}
	r, err := NewKPIRun(from, to, o, ix.Facts())
	if err != nil {
		return nil, err
	}
	if err := r.Add(ix); err != nil {
		return nil, err
	}
	return r.Report()
}

// KPIRun computes the KPIs of a ledger read in parts, each holding whole
// customers (every record of a customer, and the credit notes on its
// invoices, in one part: chstore's LoadPart), so that a ledger larger than
// memory is reported on one part at a time. The KPIs are sums over
// customers, so the report is the one ComputeKPIsWith gives on the whole
// ledger, whatever the parts.
type KPIRun struct {
	o          KPIOptions
	p          *kpiPlan
	key        kpiKey
	perInvoice bool
	total      *kpiAcc
	groups     map[string]*kpiAcc
	out        []KPIGroup
	sc         *kpiScratch
}

// NewKPIRun starts a computation of the KPIs of [from, to] with o. whole
// are the facts of the whole ledger: whether it has dispute records and
// payment records at all (a part may have none where others do).
func NewKPIRun(from, to datasets.Date, o KPIOptions, whole LedgerFacts) (*KPIRun, error) {
	key, perInvoice, err := kpiKeyFunc(o.By)
	if err != nil {
		return nil, err
	}
	if from < datasets.MinDate || from > datasets.MaxDate || to < datasets.MinDate || to > datasets.MaxDate {
		return nil, fmt.Errorf("kpi: period %s..%s: dates must be set and within %s..%s",
			from, to, datasets.MinDate, datasets.MaxDate)
	}
	if from > to {
		return nil, fmt.Errorf("kpi: period starts (%s) after it ends (%s)", from, to)
	}
	cb := o.CountbackMonths
	if cb == 0 {
		cb = DefaultCountbackMonths
	}
	if cb < 1 || cb > maxCountbackMonths {
		return nil, fmt.Errorf("kpi: countback horizon %d months: want 1..%d", o.CountbackMonths, maxCountbackMonths)
	}
	p := newKPIPlan(from, to, o.Monthly, cb, whole)
	return &KPIRun{o: o, p: p, key: key, perInvoice: perInvoice, total: p.newAcc(), groups: map[string]*kpiAcc{},
		sc: &kpiScratch{p: p, out: make([]datasets.Money, len(p.bounds))}}, nil
}

// Add accumulates the customers of ix, a part of the ledger holding whole
// customers that no other part holds.
func (r *KPIRun) Add(ix *Index) error {
	if ix == nil {
		return errors.New("kpi: nil index")
	}
	if ix.impliedErr != nil {
		return fmt.Errorf("kpi: %w", ix.impliedErr)
	}
	sc := r.sc
	if r.o.By == "customer" {
		r.out = slices.Grow(r.out, len(ix.customers))
	}
	// The customers known only by an unapplied credit note are counted
	// with the others: their notes are on account.
	for _, c := range slices.Concat(ix.customers, ix.noteOnly) {
		sc.scan(c, r.key, r.perInvoice)
		for j, a := range sc.accs[:sc.n] {
			// Sales history counts for countback even when nothing else
			// does, so every customer adds into the totals.
			if err := r.addGroup(sc.keys[j], a); err != nil {
				return err
			}
		}
	}
	return nil
}

// Report returns the KPIs of every customer added, groups sorted by key.
func (r *KPIRun) Report() (*KPIReport, error) {
	out := slices.Clone(r.out)
	for k, g := range r.groups {
		if g.active() {
			kg, err := r.p.group(k, g)
			if err != nil {
				return nil, err
			}
			out = append(out, kg)
		}
	}
	slices.SortFunc(out, func(a, b KPIGroup) int { return strings.Compare(a.Key, b.Key) })
	whole, err := r.p.group("", r.total)
	if err != nil {
		return nil, err
	}
	return &KPIReport{By: r.o.By, KPIs: whole.KPIs, Months: whole.Months, Groups: out}, nil
}

// kpiKey returns the group key of invoice v of c, or c's own key when v is
// nil.
type kpiKey func(c *customerIndex, v *datasets.Invoice) string

func kpiKeyFunc(by string) (key kpiKey, perInvoice bool, err error) {
	switch by {
	case "":
		return func(*customerIndex, *datasets.Invoice) string { return "" }, false, nil
	case "customer":
		return func(c *customerIndex, _ *datasets.Invoice) string { return c.c.ID }, false, nil
	case "segment":
		return attributeKey(func(v *datasets.Invoice) string { return v.Segment }, func(c *datasets.Customer) string { return c.Segment }), true, nil
	case "country":
		return attributeKey(func(v *datasets.Invoice) string { return v.Country }, func(c *datasets.Customer) string { return c.Country }), true, nil
	case "currency":
		return attributeKey(func(v *datasets.Invoice) string { return v.Currency }, func(c *datasets.Customer) string { return c.Currency }), true, nil
	case "collector":
		return func(c *customerIndex, _ *datasets.Invoice) string { return c.c.Collector }, false, nil
	}
	return nil, false, fmt.Errorf("kpi: unknown grouping %q: want %s or nothing", by, strings.Join(KPIGroupings(), ", "))
}

// KPIGroupings are the values of KPIOptions.By but "" (the portfolio alone).
func KPIGroupings() []string {
	return []string{"segment", "country", "currency", "customer", "collector"}
}

// attributeKey groups by an invoice attribute, or its customer's when the
// invoice leaves it empty.
func attributeKey(ofInvoice func(*datasets.Invoice) string, ofCustomer func(*datasets.Customer) string) kpiKey {
	return func(c *customerIndex, v *datasets.Invoice) string {
		if v != nil {
			if k := ofInvoice(v); k != "" {
				return k
			}
		}
		return ofCustomer(&c.c)
	}
}

// kpiPlan is the shape of one computation: the period, its months, the days
// at which receivables are taken and the countback sales histogram's range.
type kpiPlan struct {
	from, to datasets.Date
	monthly  bool
	month0   int // month number (kpiMonth) of from
	// bounds are the days receivables are taken at: from−1, then the end of
	// every month period (monthly) or just to.
	bounds []datasets.Date
	// periods[0] is [from, to]; periods[1:] the months when monthly.
	periods []kpiPeriod
	// The sales histogram has one bucket per calendar month from histBase
	// (month number) through the month of to; histStart[j] is the first day
	// of month histBase+j (one more entry than buckets).
	histBase  int
	histStart []datasets.Date
	cbMonths  int

	disputesKnown bool
	// paymentsKnown is false on a ledger without payment records (a
	// cleared-items export): Collected is then what the settlements
	// cleared (KPIs.CollectedBasis).
	paymentsKnown bool
}

// kpiPeriod is a period and the positions in plan.bounds of its opening
// (the day before it starts) and closing day.
type kpiPeriod struct {
	from, to       datasets.Date
	fromStr, toStr string
	open, close    int
}

func newKPIPlan(from, to datasets.Date, monthly bool, cbMonths int, whole LedgerFacts) *kpiPlan {
	p := &kpiPlan{from: from, to: to, monthly: monthly, month0: from.MonthIndex(), cbMonths: cbMonths,
		disputesKnown: whole.DisputesKnown, paymentsKnown: whole.PaymentsKnown}
	p.bounds = []datasets.Date{from - 1}
	p.periods = []kpiPeriod{{from: from, to: to}}
	if monthly {
		for m := p.month0; m <= to.MonthIndex(); m++ {
			start := max(from, datasets.MonthStart(m))
			end := min(to, datasets.MonthStart(m+1)-1)
			p.bounds = append(p.bounds, end)
			p.periods = append(p.periods, kpiPeriod{from: start, to: end, open: len(p.bounds) - 2, close: len(p.bounds) - 1})
		}
	} else {
		p.bounds = append(p.bounds, to)
	}
	p.periods[0].close = len(p.bounds) - 1
	for k := range p.periods {
		p.periods[k].fromStr, p.periods[k].toStr = p.periods[k].from.String(), p.periods[k].to.String()
	}

	p.histBase = p.month0 - (cbMonths - 1)
	for m := p.histBase; m <= to.MonthIndex()+1; m++ {
		p.histStart = append(p.histStart, datasets.MonthStart(m))
	}
	return p
}

// hits returns the periods that contain day d: none, the whole period, and
// its month when monthly.
func (p *kpiPlan) hits(d datasets.Date) (int, [2]int) {
	if d < p.from || d > p.to {
		return 0, [2]int{}
	}
	if !p.monthly {
		return 1, [2]int{}
	}
	return 2, [2]int{0, d.MonthIndex() - p.month0 + 1}
}

// AgingBucket is the aging bucket of an amount overdue days past due, as
// the KPIs count it: 0 current, 1 for 1–30, 2 for 31–60, 3 for 61–90, 4
// over 90 (the report's aging charts use it too).
func AgingBucket(overdue int) int {
	switch {
	case overdue <= 0:
		return 0
	case overdue <= 30:
		return 1
	case overdue <= 60:
		return 2
	case overdue <= 90:
		return 3
	}
	return 4
}

// group returns the KPIs of group k ("" for the portfolio), and the
// months' when monthly. A money sum that does not fit a Money is an error
// wrapping datasets.ErrOverflow.
func (p *kpiPlan) group(k string, a *kpiAcc) (KPIGroup, error) {
	var err error
	g := KPIGroup{Key: k}
	if g.KPIs, err = p.kpis(a, 0); err != nil {
		return KPIGroup{}, p.overflow(k, err)
	}
	if p.monthly {
		g.Months = make([]KPIs, 0, len(p.periods)-1)
		for m := 1; m < len(p.periods); m++ {
			r, err := p.kpis(a, m)
			if err != nil {
				return KPIGroup{}, p.overflow(k, err)
			}
			g.Months = append(g.Months, r)
		}
	}
	return g, nil
}

func (p *kpiPlan) overflow(k string, err error) error {
	if k == "" {
		return fmt.Errorf("kpi %s..%s: portfolio: %w", p.periods[0].fromStr, p.periods[0].toStr, err)
	}
	return fmt.Errorf("kpi %s..%s: group %q: %w", p.periods[0].fromStr, p.periods[0].toStr, k, err)
}

// kpis turns accumulator a into the KPIs of period k.
func (p *kpiPlan) kpis(a *kpiAcc, k int) (KPIs, error) {
	per := &p.periods[k]
	if a.overflow {
		return KPIs{}, datasets.ErrOverflow
	}
	opening, ok1 := a.points[per.open].total()
	cl := &a.points[per.close]
	ar, ok2 := cl.total()
	cur := cl.aging[0]
	overdue, ok3 := moneySum(ar, -cur)
	f := &a.flows[k]
	// The CEI's numerator and denominator.
	ceiNum, ok4 := moneySum(opening, f.invoiced, -ar)
	ceiDen, ok5 := moneySum(opening, f.invoiced, -cur)
	// Net receivables: what the customers owe once what they have on
	// account is taken off.
	onAccount, ok6 := moneySum(cl.unappliedCash, cl.unappliedCredits, cl.overpaid)
	net, ok7 := moneySum(ar, -onAccount)
	// −MinInt64 does not fit a Money either.
	ok7 = ok7 && onAccount != math.MinInt64
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || !ok6 || !ok7 {
		return KPIs{}, fmt.Errorf("%s..%s: %w", per.fromStr, per.toStr, datasets.ErrOverflow)
	}
	days := int(per.to - per.from + 1)

	r := KPIs{
		From: per.fromStr, To: per.toStr, Days: days,
		Aging: KPIAging{
			Current: KPIMoney(cl.aging[0]), Days1To30: KPIMoney(cl.aging[1]), Days31To60: KPIMoney(cl.aging[2]),
			Days61To90: KPIMoney(cl.aging[3]), Over90: KPIMoney(cl.aging[4]),
		},
		OpeningReceivables:  KPIMoney(opening),
		Receivables:         KPIMoney(ar),
		CurrentReceivables:  KPIMoney(cur),
		OverdueReceivables:  KPIMoney(overdue),
		UnappliedCash:       KPIMoney(cl.unappliedCash),
		UnappliedCredits:    KPIMoney(cl.unappliedCredits),
		Overpayments:        KPIMoney(cl.overpaid),
		OnAccount:           KPIMoney(onAccount),
		NetReceivables:      KPIMoney(net),
		Invoiced:            KPIMoney(f.invoiced),
		Collected:           KPIMoney(f.collected),
		CollectedBasis:      CollectedPayments,
		RecoveryBase:        KPIMoney(f.recBase),
		Recovered:           KPIMoney(f.recovered),
		InvoicesIssued:      f.issued,
		InvoicesSettled:     f.settled,
		InvoicesWrittenOff:  f.writtenOff,
		InvoicesSettledLate: f.late,
		DisputesOpened:      f.disputesOpened,
		DisputesResolved:    f.resolved,
		PromisesKept:        f.kept,
		PromisesBroken:      f.broken,
	}
	if !p.disputesKnown {
		r.DisputesOpened = f.issuedDisputed
	}
	if !p.paymentsKnown {
		r.CollectedBasis = CollectedCleared
	}
	// The defined values share one allocation.
	vals, used := new([kpiFloats]float64), 0
	kpiFloat := func(v float64) *float64 {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil
		}
		if used == len(vals) {
			q := new(float64)
			*q = v
			return q
		}
		vals[used] = v
		used++
		return &vals[used-1]
	}
	kpiRatio := func(num, den float64) *float64 {
		if den == 0 {
			return nil
		}
		return kpiFloat(num / den)
	}
	if f.invoiced > 0 {
		inv, d := float64(f.invoiced), float64(days)
		r.DSO = kpiFloat(float64(ar) * d / inv)
		r.BestPossibleDSO = kpiFloat(float64(cur) * d / inv)
		r.ADD = kpiFloat(float64(overdue) * d / inv)
	}
	cb, capped := p.countback(a.hist, per.to, ar)
	r.CountbackDSO, r.CountbackCapped = kpiFloat(cb), capped
	if ceiDen > 0 {
		r.CEI = kpiFloat(float64(ceiNum) / float64(ceiDen) * 100)
	}
	r.LateRate = kpiRatio(float64(f.late), float64(f.settled))
	r.RecoveryRate = kpiRatio(float64(f.recovered), float64(f.recBase))
	r.OverdueRatio = kpiRatio(float64(overdue), float64(ar))
	r.AvgDaysToPay = kpiRatio(float64(f.payDays), float64(f.settled-f.writtenOff))
	if f.payAmount > 0 {
		r.AvgDaysToPayWeighted = kpiFloat(f.payWeighted / float64(f.payAmount))
	}
	r.DisputeRate = kpiRatio(float64(r.DisputesOpened), float64(f.issued))
	if p.disputesKnown {
		r.DisputeResolutionDays = kpiRatio(float64(f.resolutionDays), float64(f.resolved))
	}
	r.PromiseKeptRate = kpiRatio(float64(f.kept), float64(f.kept+f.broken))
	return r, nil
}

// countback walks the sales histogram back from the month of end; see
// KPIs.CountbackDSO. It reports whether receivables remained at the horizon.
func (p *kpiPlan) countback(hist []datasets.Money, end datasets.Date, ar datasets.Money) (float64, bool) {
	if ar <= 0 {
		return 0, false
	}
	m := end.MonthIndex() - p.histBase
	span := float64(end - p.histStart[m] + 1)
	days, left := 0.0, ar
	for n := 0; n < p.cbMonths && m >= 0; n++ {
		s := hist[m]
		if s > 0 && left < s {
			return days + span*float64(left)/float64(s), false
		}
		days += span
		if s > 0 {
			left -= s
		}
		if left == 0 {
			return days, false
		}
		m--
		if m >= 0 {
			span = float64(p.histStart[m+1] - p.histStart[m])
		}
	}
	return days, true
}

// kpiFloats is the number of *float64 fields of KPIs (kpis allocates them
// together; any beyond are allocated alone).
const kpiFloats = 13
