package credit

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
)

// daysPerMonth is the mean length of a month, for run-rates.
const daysPerMonth = 365.25 / 12

// account is one customer as known at the end of the as-of day: only
// records dated that day or earlier count (features' point-in-time rules:
// an invoice settled later is open, a payment made later is not made).
// Amounts are in the customer's currency: records in another currency are
// converted to it (inOwnCurrency).
type account struct {
	c datasets.Customer
	// unrated is the customer's records in another currency that could
	// not be converted for want of a rate (nil: none); the customer is
	// then not assessed (assess), its amounts being partly unconverted.
	unrated foreignRecords
	// limit is the limit in force; limitSet the day its decision was taken
	// (zero without one).
	limit    datasets.Money
	limitSet datasets.Date
	// blank says no limit was recorded at the day's end when no decision
	// has set one by then: the master's blank flag with no decision on
	// record, else the first later decision's OldLimitBlank (an approval
	// clears the master's flag; the days before it still had none).
	blank bool
	// next is the first decision after the day (by date, then id), whose
	// old limit was the one in force; nil when none.
	next *datasets.CreditDecision
	// exposure is what the customer owes, net: gross (its open invoices'
	// outstanding) less what it holds on account, its unapplied cash and
	// credit notes (onAccount), never below 0 (a credit balance owes
	// nothing). A month-end's account (historyAccounts, which reads no
	// behaviour) leaves the unapplied amounts out: there it only tells an
	// active customer, which the gross tells as well.
	exposure, gross                 datasets.Money
	unappliedCash, unappliedCredits datasets.Money
	open                            []item // open invoices, oldest due date first
	// overdue90 is what is more than 90 days past due and not in dispute,
	// disputed90 what is in dispute: a disputed invoice unpaid is a
	// query about the goods or the price, not the customer's credit (a
	// trial's good payer had its limit frozen by one disputed invoice of
	// 124 EUR).
	overdue90, disputed90 datasets.Money
	// daysLate is the mean days late (0 when on time) of the invoices
	// settled in the history window, settled how many.
	daysLate float64
	settled  int
	// recentLate is the mean days late of the invoices settled in the
	// last recentDays, recentSettled how many (0: none, or a history no
	// longer than that): what tells a customer whose lateness drifted
	// from its average (drifted).
	recentLate    float64
	recentSettled int
	// historyMonths is the policy's history window, for the words.
	historyMonths int
	// issued is the invoices issued in the window, issuedAmt their amount,
	// cv2 the squared coefficient of variation of their amounts.
	issued    int
	issuedAmt datasets.Money
	sumSq     float64 // of the amounts in currency units
	cv2       float64
	// window is the invoices issued in the window (not read for a
	// month-end's class), out what bounding their outliers changed
	// (winsorise): the need counts the bounded amounts.
	window []windowInvoice
	out    outliers
	// monthly[k] is what was invoiced in the k-th month back from the as-of
	// day (month 0 ends on it), for 24 months.
	monthly [24]datasets.Money
	// months is how many of the history months the customer was active
	// (since its start or first invoice).
	months float64
	// peak is the highest gross exposure at a day's end within the
	// history window, first reached on peakDay (peak.go; not read for a
	// month-end's class).
	peak    datasets.Money
	peakDay datasets.Date
	// season is the segment's seasonal factor of the coming three months
	// against the last three (season.go; 1 without the history for it).
	season    float64
	termsDays float64
	// invTerms are the days from issue to due of its invoices by the day,
	// for a customer whose master gives no terms (datasets.TermsOfDays).
	invTerms []int
	// defaulted is the day a default or write-off is on record, hold the
	// day of a credit hold not lifted since; zero when none.
	defaulted, hold datasets.Date
	defaultWhy      string
	broken          []datasets.Promise // broken within the flag window, latest first
	fin             *datasets.Financial
	start           datasets.Date // the relationship's start, or its first invoice
}

// item is an open invoice.
type item struct {
	id          string
	issue, due  datasets.Date
	outstanding datasets.Money
	// promised is the latest promised date of a promise on the invoice that
	// is still open (its date not passed), zero when none.
	promised datasets.Date
	// disputed: a dispute is open on it, so it is not a credit matter.
	disputed bool
}

// dpd is the item's days past due on day t.
func (it *item) dpd(t datasets.Date) int { return int(t - it.due) }

// accounts describes every customer of l (or those in ids) as of asOf.
// Records in another currency than their customer's are converted with fx.
func accounts(l *datasets.Ledger, asOf datasets.Date, pol *Policy, fx datasets.FX, ids []string) (map[string]*account, error) {
	return accountsParts(features.WholeLedger(l), asOf, pol, fx, ids)
}

// accountsParts is accounts over a ledger read in parts of whole customers
// (features.Parts). An account is its customer's own records but for its
// season, which is its segment's across the portfolio: each part adds its
// invoicing to the segments' sums (whole cents, exact in any order), and
// the seasons are set once every part is read.
func accountsParts(parts features.Parts, asOf datasets.Date, pol *Policy, fx datasets.FX, ids []string) (map[string]*account, error) {
	byID := map[string]*account{}
	seg := newSegmentInvoicing()
	var promised []promise
	err := parts(func(l *datasets.Ledger, whole features.LedgerFacts) error {
		part, p, err := partAccounts(l, whole, asOf, pol, fx, ids, seg)
		if err != nil {
			return err
		}
		for id, a := range part {
			byID[id] = a
		}
		promised = append(promised, p...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	datePromises(byID, promised)
	for _, a := range byID {
		a.season = seg.season(a.c.Segment, asOf)
	}
	return byID, nil
}

// partAccounts describes the customers of l, a part of a ledger with the
// whole's facts, but for their season and their open invoices' promised
// dates, and adds l's invoicing to seg. It returns l's promises still to
// come, for datePromises. Records in another currency than their
// customer's are converted to it with fx first, so that every amount below
// (open items, invoicing) is in its customer's currency.
func partAccounts(l *datasets.Ledger, whole features.LedgerFacts, asOf datasets.Date, pol *Policy, fx datasets.FX, ids []string, seg *segmentInvoicing) (map[string]*account, []promise, error) {
	p, err := newAccountPart(l, whole, pol, fx)
	if err != nil {
		return nil, nil, err
	}
	return p.accounts(asOf, pol, ids, seg, false)
}

// accountPart is a part of a ledger in its customers' currencies, indexed
// once for the accounts of any day (the review dates' month-ends read
// every one over the same index: historyAccounts).
type accountPart struct {
	l       *datasets.Ledger
	unrated map[string]foreignRecords
	ix      *features.Index
	whole   features.LedgerFacts
	eng     *features.Engine
}

func newAccountPart(l *datasets.Ledger, whole features.LedgerFacts, pol *Policy, fx datasets.FX) (*accountPart, error) {
	l, unrated, err := inOwnCurrency(l, pol, fx)
	if err != nil {
		return nil, err
	}
	historyDays := int(math.Round(float64(pol.HistoryMonths) * daysPerMonth))
	ix := features.NewPartIndex(l, whole)
	eng := features.NewEngine(ix, features.Options{Windows: lateWindows(historyDays)})
	return &accountPart{l: l, unrated: unrated, ix: ix, whole: whole, eng: eng}, nil
}

// accounts is partAccounts as of asOf over the part's index. Without
// behaviour (noBehaviour: a month-end's class, historyAccounts) the
// customers' features (the limit, days late, settlements) are not read:
// the costliest part of an account, which no class needs.
func (p *accountPart) accounts(asOf datasets.Date, pol *Policy, ids []string, seg *segmentInvoicing, noBehaviour bool) (map[string]*account, []promise, error) {
	l, unrated, eng := p.l, p.unrated, p.eng
	historyDays := int(math.Round(float64(pol.HistoryMonths) * daysPerMonth))
	cust := &features.Table{Specs: features.CustomerSpecs(eng.Options())}
	if !noBehaviour {
		cust = eng.Customers(asOf, ids...)
	}
	col, err := columns(cust.Specs, "credit_limit", fmt.Sprintf("days_late_mean_%dd", historyDays),
		fmt.Sprintf("invoices_settled_%dd", historyDays))
	if err != nil {
		return nil, nil, err
	}
	byID := make(map[string]*account, len(cust.Rows))
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	for i := range l.Customers {
		c := l.Customers[i]
		if len(ids) > 0 && !want[c.ID] {
			continue
		}
		byID[c.ID] = &account{c: c, termsDays: termsDays(c.Terms), start: c.Since, unrated: unrated[c.ID], historyMonths: pol.HistoryMonths}
	}
	recent, err := recentColumns(cust.Specs, historyDays)
	if err != nil {
		return nil, nil, err
	}
	for _, r := range cust.Rows {
		a := byID[r.CustomerID]
		if a == nil {
			continue
		}
		a.limit = datasets.Money(math.Round(r.Num[col[0]] * 100))
		if v := r.Num[col[1]]; !math.IsNaN(v) {
			a.daysLate = v
		}
		a.settled = int(r.Num[col[2]])
		if recent != nil {
			if v := r.Num[recent[0]]; !math.IsNaN(v) {
				a.recentLate, a.recentSettled = v, int(r.Num[recent[1]])
			}
		}
	}
	inv := eng.OpenInvoices(asOf, ids...)
	icol, err := columns(inv.Specs, "inv_outstanding", "inv_days_to_due", "inv_age_days", "inv_disputed")
	if err != nil {
		return nil, nil, err
	}
	for _, r := range inv.Rows {
		a := byID[r.CustomerID]
		if a == nil {
			continue
		}
		it := item{id: r.InvoiceID, outstanding: datasets.Money(math.Round(r.Num[icol[0]] * 100)),
			due: asOf.AddDays(int(r.Num[icol[1]])), issue: asOf.AddDays(-int(r.Num[icol[2]])), disputed: r.Num[icol[3]] == 1}
		a.open = append(a.open, it)
		a.gross += it.outstanding
		switch {
		case it.dpd(asOf) <= 90:
		case it.disputed:
			a.disputed90 += it.outstanding
		default:
			a.overdue90 += it.outstanding
		}
	}
	if !noBehaviour {
		if err := p.onAccount(asOf, byID); err != nil {
			return nil, nil, err
		}
	}
	for _, a := range byID {
		if err := a.netExposure(); err != nil {
			return nil, nil, err
		}
	}
	from := asOf.AddDays(-historyDays)
	segOf := make(map[string]string, len(l.Customers))
	for i := range l.Customers {
		segOf[l.Customers[i].ID] = l.Customers[i].Segment
	}
	seasonOf := map[string]*[2]int64{} // each customer's invoicing in the season's windows
	for i := range l.Invoices {
		v := &l.Invoices[i]
		if v.IssueDate > asOf {
			continue
		}
		seg.first = min(seg.first, v.IssueDate)
		if float64(asOf-v.IssueDate) < 12*daysPerMonth {
			seg.count[segOf[v.CustomerID]]++
		}
		if w := seasonWindow(asOf, v.IssueDate); w >= 0 {
			sw := seasonOf[v.CustomerID]
			if sw == nil {
				sw = &[2]int64{}
				seasonOf[v.CustomerID] = sw
			}
			sw[w] += int64(v.Amount)
		}
		a := byID[v.CustomerID]
		if a == nil {
			continue
		}
		if a.start == 0 || v.IssueDate < a.start {
			a.start = v.IssueDate
		}
		k := int(float64(asOf-v.IssueDate) / daysPerMonth)
		if k < len(a.monthly) {
			a.monthly[k] += v.Amount
		}
		if v.IssueDate > from {
			a.issued++
			a.issuedAmt += v.Amount
			a.sumSq += v.Amount.Float() * v.Amount.Float()
			if !noBehaviour {
				a.window = append(a.window, windowInvoice{month: k, amount: v.Amount})
			}
		}
		if a.c.Terms == (datasets.Terms{}) {
			a.invTerms = append(a.invTerms, int(v.DueDate-v.IssueDate))
		}
	}
	for id, w := range seasonOf {
		seg.addCustomer(segOf[id], *w)
	}
	for id, a := range byID {
		if a.start == 0 && !a.c.FromMaster() && a.c.CreditLimit == 0 {
			// Derived from invoices, none issued by the day: the customer
			// was not known yet (a later export brought it). A limit on
			// the record is a master's (or the workflow's) doing.
			delete(byID, id)
			continue
		}
		if a.c.Terms == (datasets.Terms{}) {
			// The terms most of its invoices have, as the report and the
			// API show them (it was the first invoice's here).
			a.termsDays, a.invTerms = float64(datasets.TermsOfDays(a.invTerms).Days), nil
		}
		if a.issued >= 2 {
			mean := a.issuedAmt.Float() / float64(a.issued)
			if mean > 0 {
				a.cv2 = max(0, (a.sumSq/float64(a.issued)-mean*mean)*float64(a.issued)/float64(a.issued-1)) / (mean * mean)
			}
		}
		a.winsorise()
		a.window = nil
		a.months = min(float64(pol.HistoryMonths), max(1, float64(asOf-a.start)/daysPerMonth))
		slices.SortFunc(a.open, func(x, y item) int {
			if x.due != y.due {
				return int(x.due - y.due)
			}
			return strings.Compare(x.id, y.id)
		})
	}
	if !noBehaviour {
		p.peaks(asOf, historyDays, byID)
	}
	return byID, events(l, asOf, pol, byID), nil
}

// onAccount sets the unapplied cash and credit notes of the accounts as
// of asOf, as the KPIs count them for each customer (features.KPIs'
// UnappliedCash and UnappliedCredits, read through one customer-level KPI
// run over the part's index, in the customers' currencies): a payment
// naming no invoice of its customer, less what its settled invoices took
// from it, and a credit note naming no invoice of the ledger. Both reduce
// what the customer owes though no invoice shows it: 10,000 open with
// 3,000 of cash on account is 7,000 of exposure.
// netExposure sets a.exposure: what its open invoices owe less its cash and
// credit notes on account, never below 0. Unapplied cash below 0 (a refund
// naming no invoice, of an overpayment an invoice absorbed) nets nothing:
// it would raise the exposure above what the invoices owe.
func (a *account) netExposure() error {
	var on datasets.MoneySum
	on.Add(max(0, a.unappliedCash))
	on.Add(max(0, a.unappliedCredits))
	off, err := on.Total()
	if err != nil {
		return fmt.Errorf("credit: customer %s: cash and credit notes on account: %w", a.c.ID, err)
	}
	a.exposure = max(0, a.gross-min(off, a.gross))
	return nil
}

func (p *accountPart) onAccount(asOf datasets.Date, byID map[string]*account) error {
	run, err := features.NewKPIRun(asOf, asOf, features.KPIOptions{By: "customer"}, p.whole)
	if err != nil {
		return fmt.Errorf("credit: unapplied cash as of %s: %w", asOf, err)
	}
	if err := run.Add(p.ix); err != nil {
		return fmt.Errorf("credit: unapplied cash as of %s: %w", asOf, err)
	}
	rep, err := run.Report()
	if err != nil {
		return fmt.Errorf("credit: unapplied cash as of %s: %w", asOf, err)
	}
	for i := range rep.Groups {
		g := &rep.Groups[i]
		if a := byID[g.Key]; a != nil {
			a.unappliedCash, a.unappliedCredits = g.UnappliedCash.Money(), g.UnappliedCredits.Money()
		}
	}
	return nil
}

// events reads the records that change a customer's standing: defaults,
// write-offs and holds, promises, the decision that set the limit, and the
// latest credit report.
func events(l *datasets.Ledger, asOf datasets.Date, pol *Policy, byID map[string]*account) (promised []promise) {
	owner := l.CreditNoteOwner()
	for i := range l.CreditNotes {
		n := &l.CreditNotes[i]
		// An implied write-off (datasets.ImpliedWriteOffs) is no record of
		// a default: a cleared-items export without its credit notes
		// settles discounts and commercial credits the same way, and read
		// as defaults they cut healthy customers' limits to 0.
		if !n.RecordsDefault() || n.Date > asOf {
			continue
		}
		if a := byID[owner(n)]; a != nil && (a.defaulted == 0 || n.Date < a.defaulted) {
			a.defaulted, a.defaultWhy = n.Date, "a write-off"
		}
	}
	var lifted map[string]datasets.Date
	for i := range l.CreditDecisions {
		d := &l.CreditDecisions[i]
		a := byID[d.CustomerID]
		if a == nil {
			continue
		}
		if d.Date > asOf {
			// The features take the limit before the first decision from
			// its old limit (by date, then id): so does the blank.
			if a.next == nil || d.Date < a.next.Date || d.Date == a.next.Date && d.ID < a.next.ID {
				a.next = d
			}
			continue
		}
		if d.Date >= a.limitSet {
			a.limitSet = d.Date
		}
		switch {
		case d.RecordsDefault():
			if a.defaulted == 0 || d.Date < a.defaulted {
				a.defaulted, a.defaultWhy = d.Date, "a credit decision for "+d.Reason
			}
		case d.NewLimit > 0:
			if lifted == nil {
				lifted = map[string]datasets.Date{}
			}
			lifted[d.CustomerID] = max(lifted[d.CustomerID], d.Date)
		}
	}
	for _, a := range byID {
		a.blank = a.c.CreditLimitBlank
		if a.next != nil {
			a.blank = a.next.OldLimitBlank
		}
	}
	for i := range l.Actions {
		x := &l.Actions[i]
		if a := byID[x.CustomerID]; a != nil && x.Type == "credit_hold" && x.Date <= asOf && x.Date > a.hold {
			a.hold = x.Date
		}
	}
	for id, a := range byID {
		if a.hold != 0 && lifted[id] > a.hold {
			a.hold = 0
		}
	}
	since := asOf.AddDays(-pol.Flags.BrokenPromiseDays)
	for i := range l.Promises {
		p := &l.Promises[i]
		if p.Made > asOf {
			continue
		}
		if p.PromisedDate >= asOf {
			// Still to come: the promise's date has not passed. It dates
			// its invoice once every part is read (datePromises), whoever
			// made it: a promise may name another customer's invoice, and
			// that customer need not be among those asked about.
			promised = append(promised, promise{p.InvoiceID, p.PromisedDate})
			continue
		}
		// Its date passed by asOf, so its status was known by then.
		if a := byID[p.CustomerID]; a != nil && p.PromisedDate > since && p.Status == datasets.PromiseBroken {
			a.broken = append(a.broken, *p)
		}
	}
	for _, a := range byID {
		slices.SortFunc(a.broken, func(x, y datasets.Promise) int { return int(y.PromisedDate - x.PromisedDate) })
	}
	oldest := asOf.AddDays(-int(float64(pol.Financials.MaxAgeMonths) * daysPerMonth))
	for i := range l.Financials {
		f := &l.Financials[i]
		a := byID[f.CustomerID]
		if a == nil || f.Date > asOf || f.Date < oldest || a.fin != nil && a.fin.Date >= f.Date {
			continue
		}
		fin := *f // a copy: the account outlives its part of the ledger
		a.fin = &fin
	}
	return promised
}

// promise is a promise to pay an invoice by a date still to come.
type promise struct {
	invoice string
	date    datasets.Date
}

// datePromises sets each open invoice's promised date: the latest of the
// promises to come on it, whichever customer made them (a parent may
// promise for a subsidiary). It runs once every part is read, since the
// promise and the invoice may lie in different parts.
func datePromises(byID map[string]*account, promised []promise) {
	if len(promised) == 0 {
		return
	}
	open := map[string]*item{}
	for _, a := range byID {
		for k := range a.open {
			open[a.open[k].id] = &a.open[k]
		}
	}
	for _, p := range promised {
		if it := open[p.invoice]; it != nil && p.date > it.promised {
			it.promised = p.date
		}
	}
}

// columns finds the positions of the named numeric features among specs.
func columns(specs []features.Spec, names ...string) ([]int, error) {
	pos := map[string]int{}
	n := 0
	for _, s := range specs {
		if s.Kind == features.Numeric {
			pos[s.Name] = n
			n++
		}
	}
	out := make([]int, len(names))
	for i, name := range names {
		p, ok := pos[name]
		if !ok {
			return nil, fmt.Errorf("credit: the feature catalogue has no %s", name)
		}
		out[i] = p
	}
	return out, nil
}

// termsDays is the days an invoice is outstanding before due under t:
// end-of-month terms add half a month on average.
func termsDays(t datasets.Terms) float64 {
	d := float64(t.Days)
	if t.EOM {
		d += daysPerMonth / 2
	}
	return d
}
