package forecast

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
)

// The forecast is made faster only by computing the same numbers: these
// are the digests of whole results (means, bands, shocks, new business,
// breakdowns) for fixed seeds, taken from the code before the speed-ups
// of stop 30 (4eb3472). A change that moves any figure by a bit changes
// its digest; one that means to must say why and renew them.
//
// The 5-week case was renewed when every forecast came to be computed
// over 13 weeks and reported over the weeks asked for (computedWeeks):
// its shocks, seasonal factor and draws are now the 13-week forecast's,
// its weeks that forecast's first five. Both synthetic-ledger cases were
// renewed again when the new business's seasonal factor came to be shrunk
// towards 1 by its noise (season.go): their ledger has no season in its
// invoicing, and the factor now says so (the big book's is unchanged).
// All three were renewed at stop 35, when the new business's run-rate
// came to count an invoice above 5× the customer's median at that bound
// (outlier.go): its expected receipts and draws, the replays' new-business
// errors behind its shock scales, and the result's list of bounded
// customers changed on purpose; and renewed again the same day, when what
// the year's invoices invoiced above the bound came back into the
// run-rate spread over the year (newbiz.go: the bound alone biased the
// new business 3-4 points low on ledgers whose large invoices recur).
// The 5-week case was renewed at stop 36 when payment runs came in
// (runs.go): at its as-of date 2 customers of that ledger are measured to
// pay in runs, and 7 of their open invoices (3 due clusters) now take
// the mixture curve and a shared draw (and the open book names them:
// run_payers, run_invoices); the other cases have no run payer at theirs
// and are unchanged.
func TestForecastDigestsUnchanged(t *testing.T) {
	ctx := context.Background()
	synthH := NewHistory(simulatedEUR(t, 200, 24, 61), nil)
	asOf := datasets.NewDate(2024, 12, 31)
	bl, preds := bigBook(3000, 30000, asOf)
	bigH := NewHistory(bl, nil)
	cases := []struct {
		name string
		h    *History
		o    Options
		want string
	}{
		{"synthetic ledger by segment", synthH, Options{AsOf: asOf, Paths: 300, Seed: 1, By: BySegment}, "ff6991f2ab3aea102ac676f5210107725c19ff6407daf8fceebc60f89a275a5b"},
		{"synthetic ledger by customer, 5 weeks, sampled replays", synthH, Options{AsOf: datasets.NewDate(2024, 9, 30), Weeks: 5, Paths: 200, Seed: 7, By: ByCustomer, replaySample: 80}, "4e3e6857a68041f3a895febcdac1841fb7fcf0c461eb67537370ac08ebfdffda"},
		{"big book with predictions, pooled new business", bigH, Options{AsOf: asOf, Paths: 200, Seed: 3, By: ByCountry, replaySample: 500}, "3a8150d088a225567b4d0bca64c40dc6498dc7e33e733d851d5da29cf31bc123"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var p = preds
			if c.h != bigH {
				p = nil
			}
			res, err := Forecast(ctx, c.h, p, c.o)
			if err != nil {
				t.Fatal(err)
			}
			// The exact floats behind the rounded figures too: each open
			// invoice's weekly probabilities and expected receipts, and
			// what new business is drawn from.
			o, err := c.o.Validate()
			if err != nil {
				t.Fatal(err)
			}
			in, err := c.h.Prepare(o.AsOf, o.Weeks, p)
			if err != nil {
				t.Fatal(err)
			}
			nb := c.h.newBusiness(o.AsOf, o.Weeks, in.timing)
			var counts [][]float64
			for _, nc := range nb.total.custs {
				counts = append(counts, nc.count, []float64{nc.ea, nc.ea2, nc.n})
				if nc.early != nil {
					counts = append(counts, nc.early.count, []float64{nc.early.ea, nc.early.ea2})
				}
			}
			// The fields added at stop 31 (the total's weeks, each
			// group's due schedule) are checked by
			// TestGroupsHaveTheirOwnDueSchedule; left out here, the
			// digests still prove every earlier figure unchanged. So is
			// the customer's name (stop 33, TestTheCustomerBreakdownCarriesNames).
			res.TotalWeeks = 0
			// So are the silence factors and the open book's silent counts
			// (stop 37, silence_test.go): the forecast's own figures stay
			// in the digest.
			res.Silence = nil
			res.Book.Silent, res.Book.SilentHeld, res.Book.SilentByRecord = 0, 0, 0
			for i := range res.Groups {
				res.Groups[i].DueSchedule = nil
				res.Groups[i].Name = ""
			}
			b, err := json.Marshal([]any{res, in.Q, in.Mean, nb.total.mean, counts})
			if err != nil {
				t.Fatal(err)
			}
			got := fmt.Sprintf("%x", sha256.Sum256(b))
			if got != c.want {
				t.Errorf("digest %s, want %s (week 1: %+v)", got, c.want, res.Weeks[0])
			}
		})
	}
}
