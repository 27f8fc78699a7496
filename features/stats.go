package features

import (
	"cmp"
	"math"
	"slices"

	"github.com/dsopilot/dsopilot/datasets"
)

// winStats summarises one customer's settlements and issues in one window
// (t−W, t].
type winStats struct {
	days                        int
	issued, settled, late       int
	writtenOff                  int // settled in the window mostly by write-off: not in settled
	issuedAmt, settledAmt       datasets.Money
	lateAmt                     datasets.Money
	daysLate, daysToPay         []int // per settled invoice in the window
	disputesOpened              int
	actions, actionResponses    int
	promisesMade, kept, broken  int
	linkedPayments, partialPays int
}

// custStats is everything the customer features need, computed in one pass
// over the customer's records as of the end of day t.
type custStats struct {
	c   *customerIndex
	t   datasets.Date
	win []winStats

	openCount, overdueCount int
	openAmt, overdueAmt     datasets.Money
	aging                   [5]datasets.Money // current, 1–30, 31–60, 61–90, 90+
	oldestOverdue           int
	// overdueCentDays is Σ outstanding cents × days overdue over the open
	// invoices (0 for those not yet due), exact in Int64 as in SQL.
	overdueCentDays int64
	limit           datasets.Money

	disputesOpen      int
	resolvedDisputes  int
	resolutionDaysSum int

	// The invoices whose 90-day mark (due_date + 90) is by t: matured90
	// of them, past90 of those still owed something at the end of their
	// mark (paid, if ever, more than 90 days past due), the latest such
	// mark lastPast90.
	matured90, past90 int
	lastPast90        datasets.Date

	firstIssue      datasets.Date
	lastPayment     datasets.Date
	unallocatedCash datasets.Money
	last3DaysLate   []int // days late of the three most recent settlements
}

// past90Days: an invoice still owed something at the end of this many
// days past its due date went 90+ (it is paid, if ever, more than 90 days
// late: the outcome the 90+ model predicts).
const past90Days = 90

// lateAfter is the day after which an invoice counts as paid late.
func lateAfter(v *datasets.Invoice, grace int) datasets.Date { return v.DueDate.AddDays(grace) }

func inWindow(d, t datasets.Date, w int) bool { return d != 0 && d <= t && d > t.AddDays(-w) }

func computeCustomer(ix *Index, c *customerIndex, t datasets.Date, o Options) *custStats {
	s := &custStats{c: c, t: t, win: make([]winStats, len(o.Windows)), limit: c.creditLimitAt(t)}
	for k, w := range o.Windows {
		s.win[k].days = w
	}
	type settlement struct {
		d  datasets.Date
		id string
		dl int
	}
	var recent []settlement
	longest := o.Longest()
	for i := range c.invoices {
		v := &c.invoices[i]
		if v.IssueDate > t {
			break // sorted by issue date: nothing later is known at t
		}
		if s.firstIssue == 0 {
			s.firstIssue = v.IssueDate
		}
		settled := v.SettledDate != 0 && v.SettledDate <= t
		// An invoice given up on was never paid: its settlement is the day
		// of the write-off, not a payment, so it stays out of the payment
		// timing (settled counts, lateness, days to pay) and is counted
		// apart. Only notes dated by the settlement count, so a
		// write-off dated after t is not seen at t.
		writtenOff := settled && writtenOffAt(v, c.invCredits[i])
		settled = settled && !writtenOff
		dl, dtp := 0, 0
		if settled {
			dl = max(0, int(v.SettledDate-v.DueDate))
			dtp = int(v.SettledDate - v.IssueDate)
			recent = append(recent, settlement{v.SettledDate, v.ID, dl})
		}
		for k := range s.win {
			ws := &s.win[k]
			if inWindow(v.IssueDate, t, ws.days) {
				ws.issued++
				ws.issuedAmt += v.Amount
			}
			if writtenOff && inWindow(v.SettledDate, t, ws.days) {
				ws.writtenOff++
			}
			if settled && inWindow(v.SettledDate, t, ws.days) {
				ws.settled++
				ws.settledAmt += v.Amount
				ws.daysLate = append(ws.daysLate, dl)
				ws.daysToPay = append(ws.daysToPay, dtp)
				if v.SettledDate > lateAfter(v, o.GraceDays) {
					ws.late++
					ws.lateAmt += v.Amount
				}
			}
		}
		// What the invoice owed at the end of its 90-day mark is known at
		// t once the mark is by t; an invoice that crosses it after t is
		// not seen.
		if mark := v.DueDate.AddDays(past90Days); mark <= t {
			s.matured90++
			if c.outstanding(i, mark) > 0 {
				s.past90++
				s.lastPast90 = max(s.lastPast90, mark)
			}
		}
		if left := c.outstanding(i, t); left > 0 {
			s.openCount++
			s.openAmt += left
			over := int(t - v.DueDate)
			switch {
			case over <= 0:
				s.aging[0] += left
			case over <= 30:
				s.aging[1] += left
			case over <= 60:
				s.aging[2] += left
			case over <= 90:
				s.aging[3] += left
			default:
				s.aging[4] += left
			}
			if over > 0 {
				s.overdueCount++
				s.overdueAmt += left
				s.oldestOverdue = max(s.oldestOverdue, over)
				s.overdueCentDays += int64(left) * int64(over)
			}
		}
		// Partial payments: linked payments in the window smaller than the invoice.
		for _, p := range c.invPayments[i] {
			for k := range s.win {
				if inWindow(p.Date, t, s.win[k].days) {
					s.win[k].linkedPayments++
					if p.Amount < v.Amount {
						s.win[k].partialPays++
					}
				}
			}
		}
	}
	slices.SortFunc(recent, func(a, b settlement) int { return cmp.Or(cmp.Compare(b.d, a.d), cmp.Compare(b.id, a.id)) })
	for _, r := range recent[:min(3, len(recent))] {
		s.last3DaysLate = append(s.last3DaysLate, r.dl)
	}
	for _, p := range c.payments {
		if p.Date > t {
			break
		}
		s.lastPayment = p.Date
	}
	s.unallocatedCash = c.unallocatedAt(t, ix.paymentsKnown)
	for _, d := range c.disputes {
		if d.Opened > t {
			continue
		}
		if d.Resolved == 0 || d.Resolved > t {
			s.disputesOpen++
		} else {
			s.resolvedDisputes++
			s.resolutionDaysSum += int(d.Resolved - d.Opened)
		}
		for k := range s.win {
			if inWindow(d.Opened, t, s.win[k].days) {
				s.win[k].disputesOpened++
			}
		}
	}
	for _, a := range c.actions {
		if !inWindow(a.Date, t, longest) {
			continue
		}
		// The recorded outcome is as seen at the export; what answered the
		// action by t is read from dated events instead.
		answered := c.follow[a.InvoiceID].answered(a.Date, t, o.ResponseDays)
		for k := range s.win {
			if inWindow(a.Date, t, s.win[k].days) {
				s.win[k].actions++
				if answered {
					s.win[k].actionResponses++
				}
			}
		}
	}
	for _, p := range c.promises {
		if !inWindow(p.Made, t, longest) {
			continue
		}
		// A promise's outcome is known once its date has passed, and is
		// read from the payments and the settlement by that date, not
		// from the recorded status.
		due := p.PromisedDate < t
		kept := due && c.follow[p.InvoiceID].kept(p.Made, p.PromisedDate, p.Amount)
		for k := range s.win {
			if !inWindow(p.Made, t, s.win[k].days) {
				continue
			}
			ws := &s.win[k]
			ws.promisesMade++
			switch {
			case kept:
				ws.kept++
			case due:
				ws.broken++
			}
		}
	}
	return s
}

// writtenOffAt says whether the settled invoice v was settled mostly by
// write-off, as datasets.Invoice.MostlyWrittenOff does (write-off notes
// dated by the settlement come to at least half its amount) but with
// every implied note counted, whatever the invoice's disputed flag: the
// flag carries no date (an export writes it as seen at its own date), so
// a feature as of t cannot read it, and a settlement that no cash and no
// credit on record covers was not paid either way. The KPIs and the
// training labels call an implied note on a flagged invoice a dispute
// credit (they describe the ledger as exported).
func writtenOffAt(v *datasets.Invoice, notes []datasets.CreditNote) bool {
	var wo datasets.MoneySum
	for k := range notes {
		if n := &notes[k]; (n.Kind == datasets.KindWriteOff || n.Implied()) && n.Date <= v.SettledDate {
			wo.Add(n.Amount)
		}
	}
	t, err := wo.Total()
	// An overflowing sum is far more than half of any amount.
	return err != nil || (t > 0 && t >= v.Amount-v.Amount/2)
}

// unallocatedAt is the customer's cash on account at the end of day t, as
// KPIs.UnappliedCash counts it for one customer: its payments dated by t
// that name no invoice of its own (none, or an id it has no invoice of;
// refunds too), less what of that cash the invoices settled by t took
// (cleared: what each still owed when cleared, its implied write-off taken
// off; datasets.ImpliedWriteOffs matches the cash to them). Without
// payment records nothing is on account and nothing is matched.
func (c *customerIndex) unallocatedAt(t datasets.Date, paymentsKnown bool) datasets.Money {
	var sum datasets.Money
	for _, p := range c.unappliedPays {
		if p.Date <= t {
			sum += p.Amount
		}
	}
	if !paymentsKnown {
		return sum
	}
	for i := range c.invoices {
		v := &c.invoices[i]
		if v.IssueDate > t {
			break
		}
		if v.SettledDate != 0 && v.SettledDate <= t {
			sum -= c.cleared(i)
		}
	}
	return sum
}

// nan marks a missing value: a ratio over nothing, a statistic of no data.
func nan() float64 { return math.NaN() }

func ratio(a, b float64) float64 {
	if b == 0 {
		return nan()
	}
	return a / b
}

func mean(xs []int) float64 {
	if len(xs) == 0 {
		return nan()
	}
	s := 0
	for _, x := range xs {
		s += x
	}
	return float64(s) / float64(len(xs))
}

// quantile is the exact quantile as ClickHouse's quantileExact defines it:
// the element at position floor(level·n) of the sorted values (the upper
// median for even n). It sorts xs in place.
func quantile(xs []int, level float64) float64 {
	if len(xs) == 0 {
		return nan()
	}
	slices.Sort(xs)
	i := min(int(level*float64(len(xs))), len(xs)-1)
	return float64(xs[i])
}

// stddev is the population standard deviation.
func stddev(xs []int) float64 {
	if len(xs) == 0 {
		return nan()
	}
	m := mean(xs)
	ss := 0.0
	for _, x := range xs {
		d := float64(x) - m
		ss += d * d
	}
	return math.Sqrt(ss / float64(len(xs)))
}
