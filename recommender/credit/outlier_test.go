package credit

import (
	"slices"
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/model/forecast"
)

// One invoice far above the customer's usual is counted at 5 × the median
// of its invoices in the run-rate and in the amounts' spread: the need
// with an invoice of 150,000 is the need with one at the bound (50,000,
// the usual 10,000 × 5), and the reason says so. It sized the need on its
// own: a wholesaler's customer invoicing 13–22k got a limit of 470,000
// from one invoice of 151,535.
func TestSuggestBoundsAnOutlierInvoice(t *testing.T) {
	pol := DefaultPolicy()
	// bigOne sets C1's invoice issued about 20 weeks before asOf, long
	// paid, to amount, and returns its suggestion.
	bigOne := func(t *testing.T, amount datasets.Money) Suggestion {
		t.Helper()
		l := baseLedger()
		id := ""
		for i := range l.Invoices {
			v := &l.Invoices[i]
			if v.CustomerID == "C1" && v.IssueDate <= asOf.AddDays(-140) && v.IssueDate > asOf.AddDays(-147) {
				v.Amount, id = amount, v.ID
			}
		}
		for i := range l.Payments {
			if l.Payments[i].InvoiceID == id {
				l.Payments[i].Amount = amount
			}
		}
		if id == "" {
			t.Fatal("no invoice 20 weeks back")
		}
		return suggestOne(t, l, pol, map[string]Risk{"C1": {PD: 0.001, Source: "model"}}, "C1")
	}
	atBound := bigOne(t, 5*baseAmount)
	cases := []struct {
		name    string
		amount  datasets.Money
		bounded bool   // counted at the bound: the need is atBound's
		reason  string // in the reasons ("" : no reason about outliers)
	}{
		{"far above the usual", 15 * baseAmount, true, "one invoice of 150,000 EUR, 15.0× the usual 10,000 EUR (the median of its 53 invoices in the last 12 months), is counted at 50,000 EUR (5× the usual)"},
		{"just above the bound", 5*baseAmount + 1_00, true, "one invoice of 50,001 EUR, 5.0× the usual 10,000 EUR"},
		{"at the bound", 5 * baseAmount, true, ""},
		{"below the bound", 4 * baseAmount, false, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := bigOne(t, tc.amount)
			all := strings.Join(s.Reasons, " | ")
			if tc.bounded && s.Need != atBound.Need {
				t.Errorf("need %s with an invoice of %s, want %s, the need with it at the bound\n%s", s.Need.Money(), tc.amount, atBound.Need.Money(), all)
			}
			if !tc.bounded && s.Need.Money() >= atBound.Need.Money() {
				t.Errorf("need %s with an invoice of %s under the bound, want less than at the bound (%s)", s.Need.Money(), tc.amount, atBound.Need.Money())
			}
			if got := strings.Contains(all, "is counted at"); got != (tc.reason != "") || tc.reason != "" && !strings.Contains(all, tc.reason) {
				t.Errorf("reasons:\n%s\nwant %q", all, tc.reason)
			}
		})
	}
}

// With fewer than 5 invoices in the window no median bounds the others:
// the amounts count as invoiced.
func TestWinsoriseNeedsFiveInvoices(t *testing.T) {
	cases := []struct {
		name    string
		amounts []datasets.Money
		bound   datasets.Money
		count   int
	}{
		{"four invoices", []datasets.Money{100, 100, 100, 10000}, 0, 0},
		{"five invoices", []datasets.Money{100, 100, 100, 120, 10000}, 500, 1},
		{"six, even: the mean of the middle two", []datasets.Money{100, 100, 100, 120, 120, 10000}, 550, 1},
		{"none above", []datasets.Money{100, 200, 300, 400, 500}, 1500, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := &account{}
			for _, m := range tc.amounts {
				a.window = append(a.window, windowInvoice{month: 0, amount: m})
			}
			a.winsorise()
			if a.out.bound != tc.bound || a.out.count != tc.count {
				t.Fatalf("bound %s, %d bounded; want %s, %d", a.out.bound, a.out.count, tc.bound, tc.count)
			}
			if want := tc.amounts[len(tc.amounts)-1] - tc.bound; tc.count == 1 && a.out.excess[0] != want {
				t.Fatalf("excess %s, want %s", a.out.excess[0], want)
			}
		})
	}
}

// The credit need and the cash forecast's new business bound a
// customer's invoices by one rule: winsorise's bound is
// forecast.OutlierBound's for the same amounts, and the window's amounts
// are left in their order (OutlierBound sorts its argument).
func TestWinsoriseIsTheForecastsRule(t *testing.T) {
	for _, amounts := range [][]datasets.Money{
		{500_00, 480_00, 40_000_00, 510_00, 495_00, 505_00},
		{100, 100, 100, 100},
		{0, 0, 0, 1, 5},
		{9, 1, 7, 3, 5, 2, 8},
	} {
		a := &account{}
		for k, m := range amounts {
			a.window = append(a.window, windowInvoice{month: k, amount: m})
		}
		a.winsorise()
		_, want := forecast.OutlierBound(slices.Clone(amounts))
		if a.out.bound != want {
			t.Errorf("%v: credit bounds at %s, the forecast at %s", amounts, a.out.bound, want)
		}
		for k, w := range a.window {
			if w.amount != amounts[k] || w.month != k {
				t.Fatalf("%v: window reordered: %v", amounts, a.window)
			}
		}
	}
}
