package forecast

import (
	"slices"

	"github.com/dsopilot/dsopilot/datasets"
)

// OutlierFactor bounds the invoice amounts a customer's invoicing run-rate
// counts: an invoice above OutlierFactor × the median of the customer's
// own invoices is counted at that bound (winsorised). The run-rate sizes a
// relationship's usual invoicing; one exceptional order (a one-off
// project, a year-end stock-up) would otherwise set it alone: in a
// real-format trial one invoice of 400k from a customer that usually
// invoices 5k put 13 weeks of 400k/91 a day into the forecast's new
// business. Five: for amounts lognormal with a coefficient of variation up
// to 0.75 (σ ≈ 0.67) fewer than 1% of the invoices exceed 5 × the median
// (ln 5 / 0.67 ≈ 2.4 σ), so ordinary unevenness is left alone; the factor
// was chosen before its effect was measured, not tuned on it. One rule
// for every run-rate dsopilot measures: the credit limits' need
// (recommender/credit) and the forecast's new business both bound by it.
const OutlierFactor = 5

// MinOutlierInvoices is the fewest invoices whose median bounds the
// others: with fewer the median estimates nothing.
const MinOutlierInvoices = 5

// OutlierBound returns the median of amounts and the bound above which an
// amount is counted at the bound, OutlierFactor × the median; both are 0
// (nothing is bounded) for fewer than MinOutlierInvoices amounts or a
// median not above 0. The median of an even count is the mean of the
// middle two, in whole cents (rounded down). It sorts amounts in place:
// callers pass their own scratch copy.
func OutlierBound(amounts []datasets.Money) (median, bound datasets.Money) {
	n := len(amounts)
	if n < MinOutlierInvoices {
		return 0, 0
	}
	slices.Sort(amounts)
	med := amounts[n/2]
	if n%2 == 0 {
		med = (amounts[n/2-1] + amounts[n/2]) / 2
	}
	if med <= 0 {
		return 0, 0
	}
	return med, OutlierFactor * med
}

// Bounded says which invoices a customer's new-business run-rate counted
// at the outlier bound: a forecast that lowered what an exceptional
// invoice would have projected says so, customer by customer.
type Bounded struct {
	CustomerID string `json:"customer_id"`
	// Invoices is how many of the run-rate window's invoices were above
	// the bound, Largest the largest of them.
	Invoices int   `json:"invoices"`
	Largest  Money `json:"largest"`
	// Median is the median of the invoices the bound comes from (the
	// window's, or the latest MinOutlierInvoices of the year when the
	// window holds fewer), Bound OutlierFactor × Median, the amount each
	// was counted at.
	Median Money `json:"median"`
	Bound  Money `json:"bound"`
	// Excess is what the window's invoicing was lowered by (the amounts
	// above the bound, summed); Lowered what the expected invoicing over
	// the weeks reported was lowered by (Excess's share of the run-rate
	// less YearExcess's share of a year's, with the seasonal factor).
	Excess Money `json:"window_excess"`
	// YearExcess is what the year's invoices to t invoiced above the
	// bound (the window's among them), counted back spread over the year.
	YearExcess Money `json:"year_excess"`
	Lowered    Money `json:"expected_invoicing_lowered"`
}

// runRateBound returns the bound of customer ci's run-rate window at t
// (the invoices issued in (t−runRateDays, t]) and its median: the median
// of the window's invoices, or, when it holds fewer than
// MinOutlierInvoices, of the customer's latest MinOutlierInvoices issued
// in the year to t. A monthly customer has three invoices in the window,
// too few for a median of their own, and its one-off is what the rule is
// for; a customer with enough invoices in the window is measured by its
// recent ones, so that one that has grown is not held at last year's
// size. buf is scratch.
func (h *History) runRateBound(ci int, t datasets.Date, buf *[]datasets.Money) (median, bound datasets.Money) {
	*buf = (*buf)[:0]
	inv := h.cust[ci].inv
	// The customer's invoices are in issue order: from the latest issued
	// by t backwards.
	end := len(inv)
	for end > 0 && h.inv[inv[end-1]].IssueDate > t {
		end--
	}
	for j := end - 1; j >= 0; j-- {
		v := &h.inv[inv[j]]
		inWindow := v.IssueDate > t-runRateDays
		if v.IssueDate <= t-timingWindow || !inWindow && len(*buf) >= MinOutlierInvoices {
			break
		}
		*buf = append(*buf, v.Amount)
	}
	return OutlierBound(*buf)
}
