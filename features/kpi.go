package features

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
)

// DefaultCountbackMonths is how many calendar months countback DSO walks back
// at most, the month containing the period end included.
const DefaultCountbackMonths = 36

// maxCountbackMonths bounds KPIOptions.CountbackMonths (100 years).
const maxCountbackMonths = 1200

// KPIOptions configure ComputeKPIsWith.
type KPIOptions struct {
	// By groups the report: "" (portfolio only), "segment", "country",
	// "currency" or "customer". Invoices go to the group of their own
	// Segment, Country or Currency when set, else to their customer's. A payment, dispute or promise
	// linked to a known invoice of its customer follows that invoice; one
	// that is not (unallocated cash, a customer-level dispute or promise)
	// follows its customer's attributes.
	By string
	// Monthly adds the same KPIs for every calendar month overlapping the
	// period, each clipped to [from, to].
	Monthly bool
	// CountbackMonths is the countback DSO horizon: the most calendar months
	// it walks back (default DefaultCountbackMonths).
	CountbackMonths int
}

// KPIReport is the receivables KPIs of a period: the portfolio's figures at
// top level, then per group (By) and per calendar month (Months) when asked.
type KPIReport struct {
	// By is the grouping ("" for none).
	By string `json:"by,omitempty"`
	// Currency is the reporting currency every amount was converted to;
	// empty when the ledger was not converted.
	Currency string `json:"currency,omitempty"`
	// Currencies lists the currencies whose amounts were added together
	// unconverted: more than one means money totals mix units (group by
	// currency or convert the ledger first). Set by the caller, which
	// knows how the ledger was prepared.
	Currencies []string `json:"currencies,omitempty"`
	KPIs
	// Months holds the portfolio's KPIs per calendar month overlapping the
	// period, in order, the first and last clipped to the period.
	Months []KPIs `json:"months,omitempty"`
	// Groups holds the KPIs per group key, sorted by key. Only groups with
	// activity are listed: receivables at the start or at a period end, or
	// an invoice issued or settled, a payment, dispute or promise in the
	// period. Groups partition the portfolio, so additive figures (amounts,
	// counts) of the groups sum to the portfolio's.
	Groups []KPIGroup `json:"groups,omitempty"`
}

// KPIGroup is one group's KPIs; Months is set when the report is monthly.
type KPIGroup struct {
	// Key is the segment, country or customer id; "" when an invoice and its
	// customer both leave the attribute empty.
	Key string `json:"key"`
	KPIs
	Months []KPIs `json:"months,omitempty"`
}

// KPIs are the receivables KPIs of one period [From, To] (both inclusive;
// "at d" always means at the end of day d). Ratios over nothing (division by
// zero) are nil and encode as JSON null. Amounts are KPIMoney, exact cents
// that encode as JSON numbers with two decimals.
//
// Receivables at d are Σ outstanding(i, d) over invoices issued on or before
// d, outstanding being what Index computes for the features: zero once the
// invoice is settled, else its amount less the payments and credit notes
// linked to it by d, never below zero. Unallocated cash and credit notes not
// linked to an invoice do not reduce receivables. An invoice is current at d
// when its due date is on or after d, overdue when its due date is before d.
type KPIs struct {
	// From and To bound the period (YYYY-MM-DD, inclusive).
	From string `json:"from"`
	To   string `json:"to"`
	// Days is To − From + 1.
	Days int `json:"days"`

	// DSO = receivables(To) / Invoiced × Days; nil unless Invoiced > 0.
	// A 31-day month with 100,000 invoiced and 40,000 receivable at its end
	// has a DSO of 12.4.
	DSO *float64 `json:"dso"`
	// CountbackDSO starts from receivables(To) and walks back calendar
	// months: the month containing To (from its first day through To), then
	// each whole earlier month, regardless of From. For a month with sales S
	// (Σ amount of invoices issued in it, through To) and D days: while the
	// remaining receivables R ≥ S, add D days and R −= S; when R < S, add
	// D × R / S and stop. A month with S ≤ 0 adds D days and leaves R. It
	// is 0 when receivables(To) is 0, and never nil.
	CountbackDSO *float64 `json:"countback_dso"`
	// CountbackCapped is true when receivables remained after
	// CountbackMonths months: CountbackDSO is then a lower bound.
	CountbackCapped bool `json:"countback_capped"`
	// BestPossibleDSO = current receivables(To) / Invoiced × Days; nil
	// unless Invoiced > 0.
	BestPossibleDSO *float64 `json:"best_possible_dso"`
	// ADD (average days delinquent) = DSO − BestPossibleDSO, that is
	// overdue receivables(To) / Invoiced × Days; nil unless Invoiced > 0.
	ADD *float64 `json:"add"`
	// CEI (collection effectiveness index, percent) =
	// (OpeningReceivables + Invoiced − Receivables) /
	// (OpeningReceivables + Invoiced − CurrentReceivables) × 100;
	// nil when the denominator is not positive.
	CEI *float64 `json:"cei"`
	// LateRate = InvoicesSettledLate / InvoicesSettled (a fraction); nil
	// when none was settled in the period.
	LateRate *float64 `json:"late_rate"`
	// RecoveryRate is the share of old debt recovered in the period. The
	// base is RecoveryBase: Σ outstanding(From−1) over invoices more than 90
	// days past due at From−1 (From−1 − due date > 90). Recovered is, over
	// the same invoices, Σ max(0, outstanding(From−1) − outstanding(To) −
	// write-offs linked to the invoice dated in [From, To]): what payments,
	// settlement or commercial credit notes took off, write-offs excluded.
	// RecoveryRate = Recovered / RecoveryBase; nil when the base is 0.
	RecoveryRate *float64 `json:"recovery_rate"`
	// OverdueRatio = OverdueReceivables / Receivables; nil when Receivables
	// is 0.
	OverdueRatio *float64 `json:"overdue_ratio"`
	// AvgDaysToPay is the mean of settled date − issue date over the
	// invoices settled in the period (settled date in [From, To]); nil when
	// there are none.
	AvgDaysToPay *float64 `json:"avg_days_to_pay"`
	// AvgDaysToPayWeighted is the same mean weighted by invoice amount; nil
	// unless the settled invoices' amounts sum to more than 0.
	AvgDaysToPayWeighted *float64 `json:"avg_days_to_pay_weighted"`
	// DisputeRate = DisputesOpened / InvoicesIssued; nil when no invoice
	// was issued in the period.
	DisputeRate *float64 `json:"dispute_rate"`
	// DisputeResolutionDays is the mean of resolved − opened over disputes
	// resolved in the period (DisputesResolved); nil when there are none or
	// the ledger has no dispute records.
	DisputeResolutionDays *float64 `json:"dispute_resolution_days"`
	// PromiseKeptRate = PromisesKept / (PromisesKept + PromisesBroken) over
	// promises whose promised date is in the period (made by To); open
	// promises do not count. nil when there are none. Statuses are as
	// recorded in the ledger, which may know an outcome settled after To.
	PromiseKeptRate *float64 `json:"promise_kept_rate"`

	// Aging splits Receivables by days past due at To.
	Aging KPIAging `json:"aging"`
	// OpeningReceivables are the receivables at From−1.
	OpeningReceivables KPIMoney `json:"opening_receivables"`
	// Receivables, CurrentReceivables and OverdueReceivables are at To.
	Receivables        KPIMoney `json:"receivables"`
	CurrentReceivables KPIMoney `json:"current_receivables"`
	OverdueReceivables KPIMoney `json:"overdue_receivables"`
	// Invoiced is Σ amount of invoices issued in the period.
	Invoiced KPIMoney `json:"invoiced"`
	// Collected is Σ payments dated in the period, unallocated cash included.
	Collected KPIMoney `json:"collected"`
	// RecoveryBase and Recovered are RecoveryRate's denominator and numerator.
	RecoveryBase KPIMoney `json:"recovery_base"`
	Recovered    KPIMoney `json:"recovered"`

	// InvoicesIssued counts invoices issued in the period.
	InvoicesIssued int `json:"invoices_issued"`
	// InvoicesSettled counts invoices whose settled date is in the period.
	InvoicesSettled int `json:"invoices_settled"`
	// InvoicesSettledLate counts those settled after their due date.
	InvoicesSettledLate int `json:"invoices_settled_late"`
	// DisputesOpened counts disputes opened in the period. When the ledger
	// has no dispute records at all (a cleared-items export), it counts the
	// invoices issued in the period that carry the disputed flag instead.
	DisputesOpened int `json:"disputes_opened"`
	// DisputesResolved counts disputes resolved in the period.
	DisputesResolved int `json:"disputes_resolved"`
	// PromisesKept and PromisesBroken count promises due in the period.
	PromisesKept   int `json:"promises_kept"`
	PromisesBroken int `json:"promises_broken"`
}

// KPIAging is receivables by days past due (as of − due date): Current ≤ 0,
// then 1–30, 31–60, 61–90 and more than 90. The buckets sum to Receivables.
type KPIAging struct {
	Current    KPIMoney `json:"current"`
	Days1To30  KPIMoney `json:"1_30"`
	Days31To60 KPIMoney `json:"31_60"`
	Days61To90 KPIMoney `json:"61_90"`
	Over90     KPIMoney `json:"90_plus"`
}

// KPIMoney is an exact amount in cents that encodes as a JSON number with
// two decimals (1234.50), so no float rounding ever touches it.
type KPIMoney datasets.Money

// Money returns m as datasets.Money.
func (m KPIMoney) Money() datasets.Money { return datasets.Money(m) }

// Float returns m in currency units, for display.
func (m KPIMoney) Float() float64 { return datasets.Money(m).Float() }

// String formats m with two decimals.
func (m KPIMoney) String() string { return datasets.Money(m).String() }

// MarshalJSON writes m as a JSON number with two decimals.
func (m KPIMoney) MarshalJSON() ([]byte, error) { return []byte(datasets.Money(m).String()), nil }

// UnmarshalJSON reads a JSON number (or a quoted decimal) into m.
func (m *KPIMoney) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "null" {
		return nil
	}
	v, err := datasets.ParseMoney(s)
	if err != nil {
		return err
	}
	*m = KPIMoney(v)
	return nil
}

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
	p := newKPIPlan(from, to, o.Monthly, cb, ix.disputesKnown)

	total := p.newAcc()
	groups := map[string]*kpiAcc{}
	var out []KPIGroup
	if o.By == "customer" {
		out = make([]KPIGroup, 0, len(ix.customers))
	}
	sc := &kpiScratch{p: p, out: make([]datasets.Money, len(p.bounds))}
	for _, c := range ix.customers {
		sc.scan(c, key, perInvoice)
		for j, a := range sc.accs[:sc.n] {
			// Sales history counts for countback even when nothing else
			// does, so every customer adds into the totals.
			total.add(a)
			switch o.By {
			case "":
			case "customer":
				if a.active() {
					out = append(out, p.group(sc.keys[j], a))
				}
			default:
				g := groups[sc.keys[j]]
				if g == nil {
					g = p.newAcc()
					groups[sc.keys[j]] = g
				}
				g.add(a)
			}
		}
	}
	for k, g := range groups {
		if g.active() {
			out = append(out, p.group(k, g))
		}
	}
	slices.SortFunc(out, func(a, b KPIGroup) int { return strings.Compare(a.Key, b.Key) })

	rep := &KPIReport{By: o.By, KPIs: p.kpis(total, 0), Groups: out}
	if o.Monthly {
		rep.Months = p.months(total)
	}
	return rep, nil
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
	}
	return nil, false, fmt.Errorf("kpi: unknown grouping %q: want segment, country, currency, customer or nothing", by)
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
}

// kpiPeriod is a period and the positions in plan.bounds of its opening
// (the day before it starts) and closing day.
type kpiPeriod struct {
	from, to       datasets.Date
	fromStr, toStr string
	open, close    int
}

func newKPIPlan(from, to datasets.Date, monthly bool, cbMonths int, disputesKnown bool) *kpiPlan {
	p := &kpiPlan{from: from, to: to, monthly: monthly, month0: kpiMonth(from), cbMonths: cbMonths, disputesKnown: disputesKnown}
	p.bounds = []datasets.Date{from - 1}
	p.periods = []kpiPeriod{{from: from, to: to}}
	if monthly {
		for m := p.month0; m <= kpiMonth(to); m++ {
			start := max(from, kpiMonthStart(m))
			end := min(to, kpiMonthStart(m+1)-1)
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
	for m := p.histBase; m <= kpiMonth(to)+1; m++ {
		p.histStart = append(p.histStart, kpiMonthStart(m))
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
	return 2, [2]int{0, kpiMonth(d) - p.month0 + 1}
}

// kpiPoint is receivables at one day by aging bucket.
type kpiPoint struct {
	aging [5]datasets.Money
}

func (pt *kpiPoint) total() datasets.Money {
	var s datasets.Money
	for _, x := range pt.aging {
		s += x
	}
	return s
}

// kpiFlow is what happened within one period.
type kpiFlow struct {
	invoiced                 datasets.Money
	issued, issuedDisputed   int
	collected                datasets.Money
	settled, late            int
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
	for i := range a.points {
		for k := range a.points[i].aging {
			a.points[i].aging[k] += b.points[i].aging[k]
		}
	}
	for i := range a.flows {
		f, g := &a.flows[i], &b.flows[i]
		f.invoiced += g.invoiced
		f.issued += g.issued
		f.issuedDisputed += g.issuedDisputed
		f.collected += g.collected
		f.settled += g.settled
		f.late += g.late
		f.payDays += g.payDays
		f.payAmount += g.payAmount
		f.payWeighted += g.payWeighted
		f.disputesOpened += g.disputesOpened
		f.resolved += g.resolved
		f.resolutionDays += g.resolutionDays
		f.kept += g.kept
		f.broken += g.broken
		f.recBase += g.recBase
		f.recovered += g.recovered
	}
	for i := range a.hist {
		a.hist[i] += b.hist[i]
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
		if c.invoices[i].IssueDate > p.to {
			break // sorted by issue date: nothing later is known at to
		}
		a := base
		if !single {
			a = s.invAcc[i]
		}
		p.invoice(c, i, a, s.out)
	}
	for k := range c.payments {
		if c.payments[k].Date > p.to {
			break // sorted by date
		}
		p.payment(base, &c.payments[k], 1)
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

// payment adds sign × payment pm to a's collections.
func (p *kpiPlan) payment(a *kpiAcc, pm *datasets.Payment, sign datasets.Money) {
	n, ks := p.hits(pm.Date)
	for _, k := range ks[:n] {
		a.flows[k].collected += sign * pm.Amount
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
		f.invoiced += v.Amount
		f.issued++
		if v.Disputed {
			f.issuedDisputed++
		}
	}
	if v.IssueDate >= p.histStart[0] {
		a.hist[kpiMonth(v.IssueDate)-p.histBase] += v.Amount
	}
	if sd := v.SettledDate; sd != 0 {
		n, ks := p.hits(sd)
		days := int64(sd - v.IssueDate)
		for _, k := range ks[:n] {
			f := &a.flows[k]
			f.settled++
			if sd > v.DueDate {
				f.late++
			}
			f.payDays += days
			f.payAmount += v.Amount
			f.payWeighted += float64(v.Amount) * float64(days)
		}
		if sd <= p.bounds[0] {
			return // owed nothing at any bound
		}
	}
	for j, b := range p.bounds {
		out[j] = 0
		if v.IssueDate > b {
			continue
		}
		left := c.outstanding(i, b)
		out[j] = left
		if left != 0 {
			a.points[j].aging[kpiBucket(int(b-v.DueDate))] += left
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
		var written datasets.Money
		for _, cn := range c.invCredits[i] {
			if cn.Kind == datasets.KindWriteOff && cn.Date > start && cn.Date <= end {
				written += cn.Amount
			}
		}
		f := &a.flows[k]
		f.recBase += open
		f.recovered += max(0, open-out[per.close]-written)
	}
}

// kpiBucket is the aging bucket of an amount overdue days past due.
func kpiBucket(overdue int) int {
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

// group returns the KPIs of group k.
func (p *kpiPlan) group(k string, a *kpiAcc) KPIGroup {
	g := KPIGroup{Key: k, KPIs: p.kpis(a, 0)}
	if p.monthly {
		g.Months = p.months(a)
	}
	return g
}

func (p *kpiPlan) months(a *kpiAcc) []KPIs {
	ms := make([]KPIs, 0, len(p.periods)-1)
	for k := 1; k < len(p.periods); k++ {
		ms = append(ms, p.kpis(a, k))
	}
	return ms
}

// kpis turns accumulator a into the KPIs of period k.
func (p *kpiPlan) kpis(a *kpiAcc, k int) KPIs {
	per := &p.periods[k]
	opening := a.points[per.open].total()
	cl := &a.points[per.close]
	ar := cl.total()
	cur := cl.aging[0]
	overdue := ar - cur
	f := &a.flows[k]
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
		Invoiced:            KPIMoney(f.invoiced),
		Collected:           KPIMoney(f.collected),
		RecoveryBase:        KPIMoney(f.recBase),
		Recovered:           KPIMoney(f.recovered),
		InvoicesIssued:      f.issued,
		InvoicesSettled:     f.settled,
		InvoicesSettledLate: f.late,
		DisputesOpened:      f.disputesOpened,
		DisputesResolved:    f.resolved,
		PromisesKept:        f.kept,
		PromisesBroken:      f.broken,
	}
	if !p.disputesKnown {
		r.DisputesOpened = f.issuedDisputed
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
	if den := opening + f.invoiced - cur; den > 0 {
		r.CEI = kpiFloat(float64(opening+f.invoiced-ar) / float64(den) * 100)
	}
	r.LateRate = kpiRatio(float64(f.late), float64(f.settled))
	r.RecoveryRate = kpiRatio(float64(f.recovered), float64(f.recBase))
	r.OverdueRatio = kpiRatio(float64(overdue), float64(ar))
	r.AvgDaysToPay = kpiRatio(float64(f.payDays), float64(f.settled))
	if f.payAmount > 0 {
		r.AvgDaysToPayWeighted = kpiFloat(f.payWeighted / float64(f.payAmount))
	}
	r.DisputeRate = kpiRatio(float64(r.DisputesOpened), float64(f.issued))
	if p.disputesKnown {
		r.DisputeResolutionDays = kpiRatio(float64(f.resolutionDays), float64(f.resolved))
	}
	r.PromiseKeptRate = kpiRatio(float64(f.kept), float64(f.kept+f.broken))
	return r
}

// countback walks the sales histogram back from the month of end; see
// KPIs.CountbackDSO. It reports whether receivables remained at the horizon.
func (p *kpiPlan) countback(hist []datasets.Money, end datasets.Date, ar datasets.Money) (float64, bool) {
	if ar <= 0 {
		return 0, false
	}
	m := kpiMonth(end) - p.histBase
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

// kpiMonth numbers the calendar month of d: year×12 + month − 1. It is
// Howard Hinnant's days-to-civil conversion, kept to integers because it
// runs once per invoice.
func kpiMonth(d datasets.Date) int {
	z := int(d) + 719468 // days since 0000-03-01
	era := z
	if era < 0 {
		era -= 146096
	}
	era /= 146097
	doe := z - era*146097                                  // [0, 146096]
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365 // [0, 399]
	doy := doe - (365*yoe + yoe/4 - yoe/100)               // [0, 365], from March 1
	mp := (5*doy + 2) / 153                                // [0, 11], March = 0
	y := yoe + era*400
	m := mp + 2 // zero-based month, January = 0
	if mp >= 10 {
		m -= 12
		y++
	}
	return y*12 + m
}

// kpiMonthStart is the first day of month number m (see kpiMonth).
func kpiMonthStart(m int) datasets.Date {
	y, mo := m/12, m%12
	if mo < 0 {
		y, mo = y-1, mo+12
	}
	return datasets.NewDate(y, time.Month(mo+1), 1)
}
