package model

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
)

// flagOnlyLedger is a cleared-items export of customers who pay late at
// their own rate, but whose rare disputed invoices (share of them, flagged
// on the invoice, no dispute records) are paid late nine times in ten.
func flagOnlyLedger(seed uint64, customers int, share float64) *datasets.Ledger {
	r := rand.New(rand.NewPCG(seed, 17))
	start, end := datasets.NewDate(2023, 1, 1), datasets.NewDate(2024, 12, 31)
	l := &datasets.Ledger{}
	n := 0
	for c := range customers {
		id := fmt.Sprintf("C%03d", c)
		l.Customers = append(l.Customers, datasets.Customer{ID: id, Country: "DE", Currency: "EUR", Segment: "mid_market"})
		rate := []float64{0.1, 0.3, 0.6}[c%3]
		for issue := start.AddDays(r.IntN(20)); issue <= end; issue = issue.AddDays(20 + r.IntN(20)) {
			n++
			v := datasets.Invoice{ID: fmt.Sprintf("INV%06d", n), CustomerID: id, IssueDate: issue, DueDate: issue.AddDays(30),
				Amount: datasets.Money(100_00 + r.IntN(5_000_00)), Currency: "EUR", Disputed: r.Float64() < share}
			late := r.Float64() < rate
			days := -r.IntN(10)
			if v.Disputed {
				late = r.Float64() < 0.9
			}
			if late {
				days = 1 + r.IntN(25)
				if v.Disputed {
					days = 20 + r.IntN(40)
				}
			}
			if s := v.DueDate.AddDays(days); s <= end {
				v.SettledDate = s
			}
			l.Invoices = append(l.Invoices, v)
		}
	}
	return l
}

// On a ledger without dispute records, the invoices' disputed flag under
// the stated assumption (--dispute-opened-after-days 0) is a feature of
// training and scoring alike, and moves the score. A trial found it did
// not: on a small export the flagged invoices were too few for a tree's
// leaf (a hessian sum of 10 or 20 on each side), so the boosted champion
// scored a disputed invoice as the same invoice undisputed. The history
// stack now weighs the flag. Without the assumption the flag is read only
// as of the ledger's latest day, after every outcome learnt from, and
// moves nothing.
func TestStatedDisputeAssumptionMovesTheScore(t *testing.T) {
	l := flagOnlyLedger(3, 90, 0.03)
	ix := features.NewIndex(l)
	asOf := datasets.NewDate(2024, 12, 31)
	zero := 0
	for _, tc := range []struct {
		name    string
		after   *int
		minMove float64 // least mean rise of p_late from flag 0 to 1
		maxMove float64
	}{
		{"assumed known at issue", &zero, 0.15, 1},
		{"no assumption", nil, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := Train(context.Background(), ix, TrainOptions{AsOf: asOf, Families: []string{FamilyGBDT},
				Features: features.Options{DisputeOpenedAfterDays: tc.after}})
			if err != nil {
				t.Fatal(err)
			}
			eng := features.NewEngine(ix, b.Options.Features)
			tab := eng.OpenInvoices(asOf)
			j, ok := features.Find(tab.Specs, "inv_disputed", 0)
			if !ok || len(tab.Rows) < 20 {
				t.Fatalf("inv_disputed found %v, %d open invoices", ok, len(tab.Rows))
			}
			sc, err := NewScorer(b, tab.Specs)
			if err != nil {
				t.Fatal(err)
			}
			var rows []features.Row
			for _, flag := range []float64{0, 1} {
				for _, r := range tab.Rows {
					num := append([]float64(nil), r.Num...)
					num[j] = flag
					r.Num = num
					rows = append(rows, r)
				}
			}
			out := make([]Prediction, len(rows))
			if err := sc.ScoreBatch(rows, 0, out); err != nil {
				t.Fatal(err)
			}
			n := len(tab.Rows)
			move := 0.0
			for i := range n {
				move += out[n+i].PLate - out[i].PLate
			}
			move /= float64(n)
			if move < tc.minMove || move > tc.maxMove {
				t.Errorf("flagging an open invoice raises p_late by %.3f on average, want [%v, %v] (champion %s)", move, tc.minMove, tc.maxMove, b.Champion)
			}
		})
	}
}
