package model

import (
	"context"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
)

// The tallies of the pay-date experiment (paydate_exp_test.go), which the
// coverage test below shares.

// expBucket names an invoice's overdue bucket at the origin.
func expBucket(overdue int) string {
	switch {
	case overdue <= 0:
		return "not due"
	case overdue <= 30:
		return "1-30"
	case overdue <= 60:
		return "31-60"
	case overdue <= 90:
		return "61-90"
	}
	return "90+"
}

// expCount is one bucket's tally; pIn sums the predicted probabilities of
// payment within the horizon, to set against paidIn.
type expCount struct {
	n, covered, below, above, paidIn int
	pIn                              float64
}

// expOld is the band, a subset of 90+ and printed apart from the bands,
// whose calibration the tail beyond the survival's table decides.
const expOld = "180+ of 90+"

// covers reports whether the settled date s (0: never within the ledger)
// falls in [p10, p90], a zero quantile meaning beyond the horizon's end:
// p10 beyond wants s beyond, p90 beyond has no upper bound.
func covers(s, p10, p90, end datasets.Date) (below, above bool) {
	beyond := s == 0 || s > end
	if p10 == 0 {
		return !beyond, false
	}
	if !beyond && s < p10 {
		return true, false
	}
	if p90 != 0 && (beyond || s > p90) {
		return false, true
	}
	return false, false
}

// expOrder is the bands in print order.
var expOrder = []string{"not due", "1-30", "31-60", "61-90", "90+", expOld}

// expTally is the count per band.
type expTally map[string]expCount

// expCoverage scores rows with sc and tallies the P10–P90 coverage by
// overdue band against the settled dates.
func expCoverage(t *testing.T, sc *Scorer, rows []features.Row, settled map[string]datasets.Date, origin datasets.Date) expTally {
	preds := make([]Prediction, len(rows))
	if err := sc.ScoreBatch(rows, 0, preds); err != nil {
		t.Fatal(err)
	}
	end := origin.AddDays(7 * payDatePeriods)
	by := expTally{}
	for _, p := range preds {
		k := expBucket(int(origin - p.DueDate))
		c := by[k]
		s := settled[p.InvoiceID]
		below, above := covers(s, p.PayDateP10, p.PayDateP90, end)
		c.n++
		paid := s != 0 && s <= end
		if paid {
			c.paidIn++
		}
		if n := len(p.PaidBy); n > 0 {
			c.pIn += p.PaidBy[n-1]
		}
		switch {
		case below:
			c.below++
		case above:
			c.above++
		default:
			c.covered++
		}
		by[k] = c
		if int(origin-p.DueDate) > 180 {
			o := by[expOld]
			o.n, o.covered, o.below, o.above = o.n+1, o.covered+b2i(!below && !above), o.below+b2i(below), o.above+b2i(above)
			o.paidIn += b2i(paid)
			if n := len(p.PaidBy); n > 0 {
				o.pIn += p.PaidBy[n-1]
			}
			by[expOld] = o
		}
	}
	return by
}

// b2i is 1 for true.
func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// settledDates is each invoice's actual pay date: its settlement, but for
// an invoice settled mostly by write-off (Invoice.MostlyWrittenOff, as
// training reads it), which was never paid.
func settledDates(l *datasets.Ledger) map[string]datasets.Date {
	settled := map[string]datasets.Date{}
	notes := map[string][]datasets.CreditNote{}
	for _, c := range l.CreditNotes {
		notes[c.InvoiceID] = append(notes[c.InvoiceID], c)
	}
	for i := range l.Invoices {
		v := &l.Invoices[i]
		if !v.MostlyWrittenOff(notes[v.ID]) {
			settled[v.ID] = v.SettledDate
		}
	}
	return settled
}

// Issue 9: on small ledgers the P10–P90 interval of invoices already
// overdue at the as-of date was too early (a 25-customer simulated ledger:
// 0.57 of them covered, 39% paid after their P90; an analyst's export
// 0.62–0.66). Summed over three origins, the overdue invoices' coverage
// must lie within 0.10 of the nominal 0.80, and the not-yet-due invoices'
// must not fall below 0.85. (Seed 4 is one of the ledgers the weights were
// chosen on: this guards the method, the README reports other seeds.)
func TestOverdueIntervalsCoverSmallLedgers(t *testing.T) {
	if testing.Short() {
		t.Skip("trains models at three origins")
	}
	cases := []struct {
		customers int
		seed      uint64
	}{{25, 4}}
	origins := []datasets.Date{datasets.NewDate(2024, 3, 31), datasets.NewDate(2024, 6, 30), datasets.NewDate(2024, 9, 30)}
	for _, c := range cases {
		l, _ := simulate(t, c.customers, 24, c.seed)
		ix := features.NewIndex(l)
		settled := settledDates(l)
		var due, overdue expCount
		for _, origin := range origins {
			b, err := Train(context.Background(), ix, TrainOptions{AsOf: origin, Seed: 1, Families: []string{FamilyLogistic}})
			if err != nil {
				t.Fatal(err)
			}
			tab := features.NewEngine(ix, b.Options.Features).OpenInvoices(origin)
			sc, err := NewScorer(b, tab.Specs)
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range expCoverage(t, sc, tab.Rows, settled, origin) {
				if k == expOld { // counted in 90+ already
					continue
				}
				x := &overdue
				if k == "not due" {
					x = &due
				}
				x.n, x.covered, x.above, x.below = x.n+v.n, x.covered+v.covered, x.above+v.above, x.below+v.below
			}
		}
		cov := func(c expCount) float64 { return float64(c.covered) / float64(max(1, c.n)) }
		t.Logf("%d customers seed %d: overdue %d covered %.2f (after P90 %d), not due %d covered %.2f", c.customers, c.seed, overdue.n, cov(overdue), overdue.above, due.n, cov(due))
		if overdue.n < 50 || due.n < 50 {
			t.Fatalf("too few open invoices to judge: %d overdue, %d not due", overdue.n, due.n)
		}
		if got := cov(overdue); got < 0.70 || got > 0.90 {
			t.Errorf("%d customers seed %d: overdue invoices covered %.2f of the time, want 0.80 ± 0.10", c.customers, c.seed, got)
		}
		if got := cov(due); got < 0.85 {
			t.Errorf("%d customers seed %d: not-yet-due invoices covered %.2f of the time, want at least 0.85", c.customers, c.seed, got)
		}
	}
}
