package recommender

import (
	"context"
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
)

// TestReasonsQuoteTheInvoicesOwnCurrency: what a collector reads out must
// be the customer's amount in the invoice's currency; the worklist's
// converted figure may follow only labelled as converted.
func TestReasonsQuoteTheInvoicesOwnCurrency(t *testing.T) {
	cases := []struct {
		name       string
		currencies []string
		amounts    []datasets.Money
		want       []string // in the first reason
		converted  bool     // the converted figure is shown, labelled
	}{
		{"EUR customer, EUR list", []string{"EUR"}, []datasets.Money{2933534}, []string{"29,335.34 EUR"}, false},
		{"GBP customer, EUR list", []string{"GBP"}, []datasets.Money{2933534}, []string{"29,335.34 GBP"}, true},
		{"two currencies", []string{"GBP", "USD"}, []datasets.Money{100000, 25050}, []string{"1,000.00 GBP + 250.50 USD"}, true},
		{"same currency added", []string{"SEK", "SEK"}, []datasets.Money{100000, 25050}, []string{"1,250.50 SEK"}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dpd := make([]int, len(c.amounts))
			for i := range dpd {
				dpd[i] = 7 // the scenario's reminder step is due today
			}
			l := ledgerOf(dpd, c.amounts)
			for i := range l.Invoices {
				l.Invoices[i].Currency = c.currencies[i]
			}
			l.Customers[0].Currency = c.currencies[0]
			w, err := Recommend(context.Background(), l, d0, RecommendOptions{FX: SimFX()})
			if err != nil {
				t.Fatal(err)
			}
			rec, ok := w.For("C1")
			if !ok || len(rec.Reasons) == 0 {
				t.Fatalf("no recommendation for C1: %+v", w)
			}
			first := rec.Reasons[0]
			for _, s := range c.want {
				if !strings.HasPrefix(first, s) && !strings.Contains(first, "owes "+s) {
					t.Errorf("reason %q does not quote %q", first, s)
				}
			}
			if got := strings.Contains(first, "converted at the worklist's rates"); got != c.converted {
				t.Errorf("reason %q: converted figure shown %v, want %v", first, got, c.converted)
			}
			if c.converted && !strings.Contains(first, "("+money(rec.Amount.Money())+" EUR converted") {
				t.Errorf("reason %q lacks the labelled converted amount %s EUR", first, money(rec.Amount.Money()))
			}
		})
	}
}

// TestReasonsNameTheRestOfTheOverdueAccount: a contact covers the
// invoices due for its step; what else the account owes overdue is named
// beside it (a trial's agency handover covered 1,742.46 of a defaulter's
// 60,947 with nothing said of the rest), and nothing is said when the
// contact covers all of it.
func TestReasonsNameTheRestOfTheOverdueAccount(t *testing.T) {
	cases := []struct {
		name string
		dpd  []int
		want string // "" : no such reason
	}{
		{"one invoice at the reminder, one just overdue", []int{7, 2}, "the account owes 500.00 EUR more on 1 other overdue invoice"},
		{"both at the reminder", []int{7, 7}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := ledgerOf(tc.dpd, []datasets.Money{1_000_00, 500_00})
			w, err := Recommend(context.Background(), l, d0, RecommendOptions{})
			if err != nil {
				t.Fatal(err)
			}
			rec, ok := w.For("C1")
			if !ok {
				t.Fatalf("no recommendation for C1: %+v", w)
			}
			all := strings.Join(rec.Reasons, "; ")
			if got := strings.Contains(all, "more on"); got != (tc.want != "") || (tc.want != "" && !strings.Contains(all, tc.want)) {
				t.Fatalf("reasons %q; want %q", all, tc.want)
			}
		})
	}
}
