package credit

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/dsopilot/dsopilot/datasets"
)

// The highest exposure a customer reached in the history window is a fact
// a credit manager sizes a limit against: the need is a model of it (a
// run-rate over the days sales are open, a quantile of its swings, a
// headroom), and on the trial36 export it asked 1.9–2.0 times the largest
// accounts' highest exposure of the year (C1001 5,280,000 USD against
// 2,680,000). A raise above Need.PeakMultiple times that peak is kept to it
// unless the evidence says the business grew since: the run-rate the need
// counts (the last three months', with the season) above the year's mean
// scales the bound by the same ratio (peakBound).

// peakDelta is a change of a customer's gross exposure on a day.
type peakDelta struct {
	day datasets.Date
	m   datasets.Money
}

// peaks sets each account's highest gross exposure (its open invoices'
// outstanding, not netted by cash on account) at the end of a day within
// the history window ending on asOf, and the first day it was reached,
// from the records dated by asOf: an invoice is owed in full from its
// issue, less the payments and credit notes naming it as they are dated,
// and nothing from its settlement.
func (p *accountPart) peaks(asOf datasets.Date, historyDays int, byID map[string]*account) {
	l := p.l
	red := map[string][]peakDelta{} // reductions of each invoice, by day
	for i := range l.Payments {
		if x := &l.Payments[i]; x.InvoiceID != "" && x.Date <= asOf {
			red[x.InvoiceID] = append(red[x.InvoiceID], peakDelta{x.Date, x.Amount})
		}
	}
	for i := range l.CreditNotes {
		if n := &l.CreditNotes[i]; n.InvoiceID != "" && n.Date <= asOf {
			red[n.InvoiceID] = append(red[n.InvoiceID], peakDelta{n.Date, n.Amount})
		}
	}
	deltas := map[string][]peakDelta{}
	for i := range l.Invoices {
		v := &l.Invoices[i]
		if v.IssueDate > asOf || byID[v.CustomerID] == nil || v.Amount <= 0 {
			continue
		}
		d := append(deltas[v.CustomerID], peakDelta{v.IssueDate, v.Amount})
		bal := v.Amount
		rs := red[v.ID]
		slices.SortFunc(rs, func(x, y peakDelta) int { return cmp.Compare(x.day, y.day) })
		for _, r := range rs {
			if bal == 0 || v.SettledDate != 0 && v.SettledDate <= asOf && r.day > v.SettledDate {
				break
			}
			take := min(bal, max(0, r.m))
			bal -= take
			d = append(d, peakDelta{max(r.day, v.IssueDate), -take})
		}
		if v.SettledDate != 0 && v.SettledDate <= asOf && bal > 0 {
			d = append(d, peakDelta{max(v.SettledDate, v.IssueDate), -bal})
		}
		deltas[v.CustomerID] = d
	}
	from := asOf.AddDays(-historyDays)
	for id, d := range deltas {
		slices.SortStableFunc(d, func(x, y peakDelta) int { return cmp.Compare(x.day, y.day) })
		a := byID[id]
		var bal datasets.Money
		for i := 0; i < len(d); {
			day := d[i].day
			for ; i < len(d) && d[i].day == day; i++ {
				bal += d[i].m
			}
			// The balance carried into the window counts from its first day.
			at := max(day, from+1)
			if (i == len(d) || d[i].day > from) && bal > a.peak {
				a.peak, a.peakDay = bal, at
			}
		}
	}
}

// peakBound is the most a raise may reach without more evidence than the
// customer's own year: Need.PeakMultiple times its highest exposure, times
// the run-rate the need counts against the year's mean when that is
// higher by more than 5% (the business grew, or its season is coming);
// 0 when it has no peak to read (nothing owed in the window).
func (a *account) peakBound(pol *Policy, n needCalc) (bound datasets.Money, growth float64) {
	if a.peak <= 0 || pol.Need.PeakMultiple <= 0 {
		return 0, 1
	}
	// Within 5% of the year's mean is no growth (the threshold at which
	// the reasons call the last three months' rate higher: needReason).
	growth = 1
	if n.year > 0 && n.runRate > n.year*1.05 {
		growth = n.runRate / n.year
	}
	return datasets.Money(math.Round(float64(a.peak) * pol.Need.PeakMultiple * growth)), growth
}

// peakReason says that the peak bound held the need, with the numbers.
func peakReason(a *account, pol *Policy, n needCalc, bound datasets.Money, growth float64, need datasets.Money, amt func(datasets.Money) string) string {
	ev := "its invoicing in the last 3 months is not above its 12-month average, so nothing says it will need more than it used"
	if growth > 1 {
		ev = fmt.Sprintf("its run-rate of %s a month is %.2f× its 12-month average of %s (the last 3 months, with the season): the bound grows by as much",
			amt(datasets.Money(math.Round(n.runRate*100))), growth, amt(datasets.Money(math.Round(n.year*100))))
	}
	return fmt.Sprintf("its highest exposure in the last %s was %s (%s); the need of %s is %.1f× that, more than the %s× a raise may reach without evidence of more business: %s; bounded at %s",
		plural(pol.HistoryMonths, "month"), amt(a.peak), longDate(a.peakDay), amt(need), need.Float()/a.peak.Float(),
		fmtMultiple(pol.Need.PeakMultiple), ev, amt(bound))
}

func fmtMultiple(k float64) string { return fmt.Sprintf("%g", k) }
