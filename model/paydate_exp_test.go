//go:build paydateexp

// The pay-date experiment: how often an invoice open at an origin is paid
// between its P10 and P90 pay dates, by how far overdue it was then.
//
//	PAYDATE_EXP=400,24,SEED PAYDATE_ORIGINS=2024-03-31 go test -tags paydateexp ./model -run ExperimentPayDate -v
//
// PAYDATE_EXP is the simulated ledger (customers, months from 2023-01-01,
// seed); PAYDATE_ORIGINS the as-of dates a model is trained at and the open
// book scored at; PAYDATE_FAMILIES (default logistic) the classifier
// families. Each origin prints the coverage before (the bundle scored
// without its overdue survival, as one trained before it existed scores)
// and after; PAYDATE_TUNE=1 adds the grid the survival's weight and first
// day were chosen on (seed 3 only: see paydate_overdue.go). A pay date
// beyond the 13-week horizon counts as after its end; an invoice not
// settled within the horizon is covered when its P90 is beyond it too.
package model

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
)

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

// expCount is one bucket's tally.
type expCount struct{ n, covered, below, above, paidIn int }

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

func TestExperimentPayDate(t *testing.T) {
	spec := os.Getenv("PAYDATE_EXP")
	if spec == "" {
		t.Skip("PAYDATE_EXP not set")
	}
	var n [3]int
	for i, f := range strings.Split(spec, ",") {
		v, err := strconv.Atoi(f)
		if err != nil || i > 2 {
			t.Fatalf("PAYDATE_EXP=%q: want customers,months,seed", spec)
		}
		n[i] = v
	}
	l, _ := simulate(t, n[0], n[1], uint64(n[2]))
	ix := features.NewIndex(l)
	// The actual pay date is the settlement, but for an invoice settled
	// mostly by write-off (Invoice.MostlyWrittenOff, as training reads
	// it): that was never paid.
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
	families := []string{FamilyLogistic}
	if f := os.Getenv("PAYDATE_FAMILIES"); f != "" {
		families = strings.Split(f, ",")
	}
	for _, o := range strings.Split(os.Getenv("PAYDATE_ORIGINS"), ",") {
		origin, err := datasets.ParseDate(o)
		if err != nil {
			t.Fatal(err)
		}
		b, err := Train(context.Background(), ix, TrainOptions{AsOf: origin, Seed: 1, Families: families})
		if err != nil {
			t.Fatal(err)
		}
		tab := features.NewEngine(ix, b.Options.Features).OpenInvoices(origin)
		sc, err := NewScorer(b, tab.Specs)
		if err != nil {
			t.Fatal(err)
		}
		// Before: the bundle without its survival, as one trained before
		// it existed scores.
		old := *b
		old.OverdueSurvival = nil
		before, err := NewScorer(&old, tab.Specs)
		if err != nil {
			t.Fatal(err)
		}
		expCoverage(t, fmt.Sprintf("seed %d origin %s before (no overdue survival)", n[2], origin), before, tab.Rows, settled, origin)
		expCoverage(t, fmt.Sprintf("seed %d origin %s after (weight %.2f from %d days)", n[2], origin, sc.overdueW, sc.overdueFrom), sc, tab.Rows, settled, origin)
		if os.Getenv("PAYDATE_TUNE") == "" {
			continue
		}
		for _, from := range []int{1, 31} {
			for _, w := range []float64{0, 0.25, 0.5, 0.75} {
				v := *sc
				v.overdueW, v.overdueFrom = w, from
				expCoverage(t, fmt.Sprintf("seed %d origin %s tune weight %.2f from %d days", n[2], origin, w, from), &v, tab.Rows, settled, origin)
			}
		}
	}
}

// expCoverage scores rows with sc and prints the P10–P90 coverage by
// overdue bucket against the settled dates.
func expCoverage(t *testing.T, title string, sc *Scorer, rows []features.Row, settled map[string]datasets.Date, origin datasets.Date) {
	preds := make([]Prediction, len(rows))
	if err := sc.ScoreBatch(rows, 0, preds); err != nil {
		t.Fatal(err)
	}
	end := origin.AddDays(7 * payDatePeriods)
	order := []string{"not due", "1-30", "31-60", "61-90", "90+"}
	by := map[string]*expCount{}
	for _, k := range order {
		by[k] = &expCount{}
	}
	for _, p := range preds {
		c := by[expBucket(int(origin-p.DueDate))]
		s := settled[p.InvoiceID]
		below, above := covers(s, p.PayDateP10, p.PayDateP90, end)
		c.n++
		if s != 0 && s <= end {
			c.paidIn++
		}
		switch {
		case below:
			c.below++
		case above:
			c.above++
		default:
			c.covered++
		}
	}
	fmt.Printf("%s: P10-P90 coverage by days overdue\n", title)
	for _, k := range order {
		c := by[k]
		if c.n == 0 {
			continue
		}
		f := func(v int) float64 { return float64(v) / float64(c.n) }
		fmt.Printf("  %-8s n %4d  coverage %.2f  below P10 %.2f  above P90 %.2f  paid within %d weeks %.2f\n",
			k, c.n, f(c.covered), f(c.below), f(c.above), payDatePeriods, f(c.paidIn))
	}
}
