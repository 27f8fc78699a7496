package credit

import (
	"fmt"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/model/forecast"
)

// outlierFactor bounds the invoice amounts the need counts: an invoice
// above outlierFactor × the median of the customer's own invoices in the
// history window is counted at that bound in the run-rate and in the
// amounts' spread (winsorised). The need sizes the relationship's usual
// exposure; one exceptional order (a one-off project, a year-end stock-up)
// would otherwise set it alone, through the run-rate and, squared, through
// the spread. The rule is the one the cash forecast's new business bounds
// its run-rates by (forecast.OutlierBound, where the factor's choice is
// explained), so credit and treasury count a customer's invoicing alike.
const outlierFactor = forecast.OutlierFactor

// minOutlierInvoices is the fewest invoices in the window whose median
// bounds the others: with fewer the median estimates nothing, and the
// need already takes the amounts' spread as at least 1 (needOf).
const minOutlierInvoices = forecast.MinOutlierInvoices

// windowInvoice is an invoice of the history window: the month back from
// the as-of day it falls in (account.monthly) and its amount.
type windowInvoice struct {
	month  int
	amount datasets.Money
}

// outliers is what winsorising a customer's window invoices changed.
type outliers struct {
	// bound is outlierFactor × median, the amount an invoice above it is
	// counted at (0: none bounded, too few invoices); median the median.
	bound, median datasets.Money
	// count is the invoices above the bound, largest the largest of them,
	// excess the sum of what they exceed it by by month (monthly's index).
	count   int
	largest datasets.Money
	excess  [24]datasets.Money
	// cv2 is the squared coefficient of variation of the bounded amounts.
	cv2 float64
}

// winsorise bounds a's window invoices at outlierFactor × their median and
// sets a.out; a.cv2 stays the raw amounts' (what was invoiced).
func (a *account) winsorise() {
	a.out = outliers{cv2: a.cv2}
	if len(a.window) < minOutlierInvoices {
		return
	}
	amts := make([]datasets.Money, len(a.window))
	for i, w := range a.window {
		amts[i] = w.amount
	}
	n := len(amts)
	med, bound := forecast.OutlierBound(amts)
	if bound <= 0 {
		return
	}
	a.out.median, a.out.bound = med, bound
	var sum, sumSq float64
	for _, w := range a.window {
		v := w.amount
		if v > a.out.bound {
			a.out.count++
			a.out.largest = max(a.out.largest, v)
			if w.month < len(a.out.excess) {
				a.out.excess[w.month] += v - a.out.bound
			}
			v = a.out.bound
		}
		sum += v.Float()
		sumSq += v.Float() * v.Float()
	}
	if a.out.count == 0 {
		return
	}
	mean := sum / float64(n)
	a.out.cv2 = max(0, (sumSq/float64(n)-mean*mean)*float64(n)/float64(n-1)) / (mean * mean)
}

// boundedMonth is what was invoiced in the k-th month back, each invoice
// counted at most at the outlier bound.
func (a *account) boundedMonth(k int) datasets.Money {
	return a.monthly[k] - a.out.excess[k]
}

// outlierReason says which invoices the need counted at the outlier bound
// ("" when none was), issued the invoices in the window of months.
func outlierReason(o outliers, issued, months int, amt func(datasets.Money) string) string {
	if o.count == 0 {
		return ""
	}
	usual := fmt.Sprintf("the usual %s (the median of its %s in the last %s)", amt(o.median), plural(issued, "invoice"), plural(months, "month"))
	if o.count == 1 {
		return fmt.Sprintf("one invoice of %s, %.1f× %s, is counted at %s (%d× the usual) in the run-rate and the spread of the amounts: one exceptional order does not size the limit on its own",
			amt(o.largest), o.largest.Float()/o.median.Float(), usual, amt(o.bound), outlierFactor)
	}
	return fmt.Sprintf("%d invoices above %d× %s, the largest %s, are counted at %s each in the run-rate and the spread of the amounts: exceptional orders do not size the limit on their own",
		o.count, outlierFactor, usual, amt(o.largest), amt(o.bound))
}
