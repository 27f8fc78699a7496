package forecast

import (
	"fmt"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
)

func TestOutlierBound(t *testing.T) {
	cases := []struct {
		name          string
		amounts       []datasets.Money
		median, bound datasets.Money
	}{
		{"four: too few for a median", []datasets.Money{100, 100, 100, 10000}, 0, 0},
		{"five, odd: the middle one", []datasets.Money{10000, 100, 120, 100, 100}, 100, 500},
		{"six, even: the mean of the middle two", []datasets.Money{100, 100, 100, 120, 120, 10000}, 110, 550},
		{"even, rounded down to the cent", []datasets.Money{100, 100, 101, 102, 102, 102}, 101, 505},
		{"a median of zero bounds nothing", []datasets.Money{0, 0, 0, 5, 10000}, 0, 0},
		{"a negative median bounds nothing", []datasets.Money{-5, -5, -5, 1, 10000}, 0, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			med, bound := OutlierBound(tc.amounts)
			if med != tc.median || bound != tc.bound {
				t.Errorf("OutlierBound(%v) = %d, %d; want %d, %d", tc.amounts, med, bound, tc.median, tc.bound)
			}
		})
	}
}

// outlierLedger is customer A invoicing usual every step days over the
// two years to 2024-06-30, each invoice paid 10 days after its 30-day
// due date, and one more on 2024-06-20 of amount big.
func outlierLedger(usual, big datasets.Money, step int) *datasets.Ledger {
	l := &datasets.Ledger{Customers: []datasets.Customer{{ID: "A", Currency: "EUR"}}}
	add := func(id string, issue datasets.Date, amt datasets.Money) {
		due := issue.AddDays(30)
		settled := due.AddDays(10)
		if settled > d(2024, 6, 30) {
			settled = 0
		} else {
			l.Payments = append(l.Payments, datasets.Payment{ID: id + "p", CustomerID: "A", InvoiceID: id, Date: settled, Amount: amt, Currency: "EUR"})
		}
		l.Invoices = append(l.Invoices, datasets.Invoice{ID: id, CustomerID: "A", IssueDate: issue, DueDate: due, SettledDate: settled, Amount: amt, Currency: "EUR"})
	}
	i := 0
	for issue := d(2022, 7, 1); issue < d(2024, 6, 20); issue = issue.AddDays(step) {
		add(fmt.Sprintf("A%03d", i), issue, usual)
		i++
	}
	add("BIG", d(2024, 6, 20), big)
	return l
}

// One invoice far above a customer's usual is counted at 5 × the median
// in the new business's run-rate, and what it invoiced above that comes
// back spread over the year (a large invoice that recurs keeps its
// long-run share; a one-off counts a quarter of what it would in the 13
// weeks); the forecast names the customer, the invoice and what was taken
// off. The trial's case: 400,000 from a customer invoicing
// 5,000, weekly (the window's own median) and monthly (three invoices in
// the window: the latest five of the year give the median).
func TestNewBusinessBoundsAnOutlierInvoice(t *testing.T) {
	asOf := d(2024, 6, 30)
	const usual, big = 5_000_00, 400_000_00
	for _, step := range []int{7, 30} {
		t.Run(fmt.Sprintf("every %d days", step), func(t *testing.T) {
			raw := NewHistory(outlierLedger(usual, big, step), nil).NewBusiness(asOf, 13)
			atBound := NewHistory(outlierLedger(usual, OutlierFactor*usual, step), nil).NewBusiness(asOf, 13)
			below := NewHistory(outlierLedger(usual, 4*usual, step), nil).NewBusiness(asOf, 13)
			// The window counts the invoice at the bound; what it
			// invoiced above the bound comes back spread over the year.
			back := float64(big-OutlierFactor*usual) / timingWindow * 91 * raw.Seasonal
			if got, want := float64(raw.Invoicing), float64(atBound.Invoicing)+back; !near(got, want, 2) {
				t.Errorf("expected invoicing %s with the 400,000 invoice, want %.0f cents: that with it at the bound, and its excess over the year", raw.Invoicing.Money(), want)
			}
			// Receipts scale with the run-rate, week by week.
			ratio := float64(raw.Invoicing) / float64(atBound.Invoicing)
			for k := range raw.total.mean {
				if !near(raw.total.mean[k], atBound.total.mean[k]*ratio, 1e-3*atBound.total.mean[k]*ratio+1e-6) {
					t.Errorf("week %d: new receipts %.0f cents, want %.0f (at the bound × %.4f)", k+1, raw.total.mean[k], atBound.total.mean[k]*ratio, ratio)
				}
			}
			if len(atBound.Bounded) != 0 || len(below.Bounded) != 0 {
				t.Errorf("bounded at and below the bound: %+v, %+v; want none", atBound.Bounded, below.Bounded)
			}
			if below.Invoicing >= atBound.Invoicing {
				t.Errorf("an invoice at 4× the usual gives %s, want less than at the bound (%s)", below.Invoicing.Money(), atBound.Invoicing.Money())
			}
			if len(raw.Bounded) != 1 {
				t.Fatalf("bounded: %+v, want customer A", raw.Bounded)
			}
			b := raw.Bounded[0]
			want := Bounded{CustomerID: "A", Invoices: 1, Largest: big, Median: usual, Bound: OutlierFactor * usual, Excess: big - OutlierFactor*usual,
				YearExcess: big - OutlierFactor*usual}
			lowered := b.Lowered
			b.Lowered = 0
			if b != want {
				t.Errorf("bounded %+v, want %+v", b, want)
			}
			// What the bound took off the expected invoicing: the excess
			// spread over the 91-day window less the same spread over the
			// year, for 13 weeks, with the season.
			if got, want := float64(lowered), float64(big-OutlierFactor*usual)*(1.0/runRateDays-1.0/timingWindow)*91*raw.Seasonal; !near(got, want, 1) {
				t.Errorf("lowered by %d cents, want %.0f", lowered, want)
			}
			// Over fewer weeks, proportionally less, and the 13-week
			// figures are left as they were.
			r := *raw
			r.setInvoicing(4)
			if got, want := float64(r.Bounded[0].Lowered), float64(lowered)*4/13; !near(got, want, 1) {
				t.Errorf("lowered over 4 weeks by %d cents, want %.0f", r.Bounded[0].Lowered, want)
			}
			if raw.Bounded[0].Lowered != lowered {
				t.Errorf("the 13-week figure changed with the 4-week one: %d, was %d", raw.Bounded[0].Lowered, lowered)
			}
		})
	}
}

// A customer that has grown is measured by its recent invoices: with
// enough of them in the run-rate window their own median bounds them, so
// invoices eight times last year's size are not cut back to it.
func TestNewBusinessKeepsACustomerThatGrew(t *testing.T) {
	asOf := d(2024, 6, 30)
	l := outlierLedger(5_000_00, 40_000_00, 7)
	for i := range l.Invoices {
		if v := &l.Invoices[i]; v.IssueDate > asOf-runRateDays {
			v.Amount = 40_000_00
		}
	}
	for i := range l.Payments {
		l.Payments[i].Amount = 0
	}
	for i := range l.Payments {
		for _, v := range l.Invoices {
			if v.ID == l.Payments[i].InvoiceID {
				l.Payments[i].Amount = v.Amount
			}
		}
	}
	nb := NewHistory(l, nil).NewBusiness(asOf, 13)
	if len(nb.Bounded) != 0 {
		t.Errorf("bounded %+v, want nothing: the window's invoices are the customer's usual now", nb.Bounded)
	}
	// Unbounded: the window's invoicing, as issued, over 91 days.
	var window datasets.Money
	for _, v := range l.Invoices {
		if v.IssueDate > asOf-runRateDays && v.IssueDate <= asOf {
			window += v.Amount
		}
	}
	if got, want := float64(nb.Invoicing), float64(window)*nb.Seasonal; window < 10*40_000_00 || !near(got, want, 1) {
		t.Errorf("expected invoicing %s, want %.0f cents, the window's %s as invoiced", nb.Invoicing.Money(), want, window)
	}
}
