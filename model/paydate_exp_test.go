//go:build paydateexp

// The pay-date experiment: how often an invoice open at an origin is paid
// between its P10 and P90 pay dates, by how far overdue it was then.
//
//	PAYDATE_EXP='400,24,3;100,24,5' PAYDATE_ORIGINS=2024-03-31,2024-06-30 go test -tags paydateexp ./model -run ExperimentPayDate -v
//	PAYDATE_STORE=/path/to/store PAYDATE_ORIGINS=2026-03-31 go test -tags paydateexp ./model -run ExperimentPayDate -v
//
// PAYDATE_EXP lists simulated ledgers (customers, months from 2023-01-01,
// seed), separated by ';'; PAYDATE_STORE lists embedded stores (an
// analyst's imported export, its settled dates the ground truth),
// separated by ','. PAYDATE_ORIGINS are the as-of dates a model is trained
// at and the open book scored at; PAYDATE_FAMILIES (default logistic) the
// classifier families. Each ledger prints, per origin and summed over its
// origins, the coverage before (the bundle scored without its overdue
// survival, as one trained before it existed scores) and after; PAYDATE_TUNE
// =1 adds the grid the remaining constants were chosen on (on the seeds
// paydate_overdue.go names as the choosing seeds, never on those reported).
// A pay date beyond the 13-week horizon counts as after its end; an invoice
// not settled within the horizon is covered when its P90 is beyond it too.
package model

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/datasets/embedded"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
)

// expLedger is one ledger of the experiment and its name in the output.
type expLedger struct {
	name string
	l    *datasets.Ledger
}

// expLedgers reads PAYDATE_EXP and PAYDATE_STORE.
func expLedgers(t *testing.T) []expLedger {
	var out []expLedger
	if spec := os.Getenv("PAYDATE_EXP"); spec != "" {
		for _, one := range strings.Split(spec, ";") {
			var n [3]int
			fs := strings.Split(one, ",")
			if len(fs) != 3 {
				t.Fatalf("PAYDATE_EXP=%q: want customers,months,seed[;...]", spec)
			}
			for i, f := range fs {
				v, err := strconv.Atoi(strings.TrimSpace(f))
				if err != nil {
					t.Fatalf("PAYDATE_EXP=%q: %v", spec, err)
				}
				n[i] = v
			}
			l, _ := simulate(t, n[0], n[1], uint64(n[2]))
			out = append(out, expLedger{fmt.Sprintf("synth %d customers %d months seed %d (%d invoices)", n[0], n[1], n[2], len(l.Invoices)), l})
		}
	}
	if dirs := os.Getenv("PAYDATE_STORE"); dirs != "" {
		for _, dir := range strings.Split(dirs, ",") {
			st, err := embedded.OpenReadOnly(context.Background(), dir, slog.New(slog.NewTextHandler(io.Discard, nil)))
			if err != nil {
				t.Fatal(err)
			}
			l, err := st.Load(context.Background())
			st.Close()
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, expLedger{fmt.Sprintf("store %s (%d invoices)", dir, len(l.Invoices)), l})
		}
	}
	return out
}

func TestExperimentPayDate(t *testing.T) {
	ledgers := expLedgers(t)
	if len(ledgers) == 0 {
		t.Skip("neither PAYDATE_EXP nor PAYDATE_STORE set")
	}
	families := []string{FamilyLogistic}
	if f := os.Getenv("PAYDATE_FAMILIES"); f != "" {
		families = strings.Split(f, ",")
	}
	for _, el := range ledgers {
		expLedgerRun(t, el, families)
	}
}

// expLedgerRun trains and scores one ledger at every origin and prints
// the coverage per origin and summed over the origins.
func expLedgerRun(t *testing.T, el expLedger, families []string) {
	l := el.l
	ix := features.NewIndex(l)
	settled := settledDates(l)
	sum := map[string]expTally{}
	var names []string
	add := func(name string, c expTally) {
		if _, ok := sum[name]; !ok {
			names = append(names, name)
			sum[name] = expTally{}
		}
		s := sum[name]
		for k, v := range c {
			x := s[k]
			x.n, x.covered, x.below, x.above, x.paidIn, x.pIn = x.n+v.n, x.covered+v.covered, x.below+v.below, x.above+v.above, x.paidIn+v.paidIn, x.pIn+v.pIn
			s[k] = x
		}
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
		// The bundle without its survival, as one trained before it
		// existed scores, and without its strata (one survival for the
		// ledger), as one trained before they existed scores.
		none, pooled := *b, *b
		none.OverdueSurvival, none.OverdueScaled, pooled.OverdueScaled = nil, nil, nil
		runs := []expVariant{{"no overdue survival", nil}, {"one overdue survival", nil}}
		for i, v := range []*Bundle{&none, &pooled} {
			if runs[i].sc, err = NewScorer(v, tab.Specs); err != nil {
				t.Fatal(err)
			}
		}
		if b.OverdueScaled != nil {
			runs = append(runs, expVariant{"overdue survival scaled by customer lateness", sc})
		}
		// The bundle with the constant hazard beyond the survivals'
		// tables, as one trained before the decaying tail scores.
		if flat := constantTail(b); flat != nil {
			v, err := NewScorer(flat, tab.Specs)
			if err != nil {
				t.Fatal(err)
			}
			runs = append(runs, expVariant{"constant tail hazard", v})
		}
		runs = append(runs, expVariants(runs[1].sc, "one survival")...)
		if b.OverdueScaled != nil {
			runs = append(runs, expVariants(sc, "scaled")...)
		}
		for _, r := range runs {
			c := expCoverage(t, r.sc, tab.Rows, settled, origin)
			expPrint(fmt.Sprintf("%s origin %s: %s", el.name, origin, r.name), c)
			add(r.name, c)
		}
	}
	for _, name := range names {
		expPrint(fmt.Sprintf("%s ALL ORIGINS: %s", el.name, name), sum[name])
	}
}

// expPrint prints a tally, with the overdue bands summed.
func expPrint(title string, by expTally) {
	fmt.Printf("%s: P10-P90 coverage by days overdue\n", title)
	var all expCount
	line := func(k string, c expCount) {
		f := func(v int) float64 { return float64(v) / float64(max(1, c.n)) }
		fmt.Printf("  %-8s n %4d  coverage %.2f  below P10 %.2f (%d)  above P90 %.2f (%d)  paid within %d weeks %.2f (%d, predicted %.1f)\n",
			k, c.n, f(c.covered), f(c.below), c.below, f(c.above), c.above, payDatePeriods, f(c.paidIn), c.paidIn, c.pIn)
	}
	for _, k := range expOrder {
		c, ok := by[k]
		if !ok {
			continue
		}
		line(k, c)
		if k != "not due" && k != expOld {
			all.n, all.covered, all.below, all.above, all.paidIn, all.pIn = all.n+c.n, all.covered+c.covered, all.below+c.below, all.above+c.above, all.paidIn+c.paidIn, all.pIn+c.pIn
		}
	}
	line("overdue", all)
}

// constantTail is a copy of b whose survivals keep their late-table
// hazard beyond the table, as a bundle trained before the decaying tail
// scores; nil when b has no survival.
func constantTail(b *Bundle) *Bundle {
	if b.OverdueSurvival == nil && b.OverdueScaled == nil {
		return nil
	}
	c := *b
	if b.OverdueSurvival != nil {
		o := *b.OverdueSurvival
		o.Decays = false
		c.OverdueSurvival = &o
	}
	if b.OverdueScaled != nil {
		st := *b.OverdueScaled
		o := *st.Survival
		o.Decays = false
		st.Survival, c.OverdueScaled = &o, &st
	}
	return &c
}

// expVariant is a scorer with other settings, printed beside the others.
type expVariant struct {
	name string
	sc   *Scorer
}

// expVariants is the tuning grid, with PAYDATE_TUNE set.
func expVariants(sc *Scorer, what string) []expVariant {
	if os.Getenv("PAYDATE_TUNE") == "" {
		return nil
	}
	var out []expVariant
	for _, from := range []int{1, 31} {
		for _, w := range []float64{0, 0.25, 0.5, 0.75} {
			v := *sc
			v.overdueW, v.overdueFrom = w, from
			out = append(out, expVariant{fmt.Sprintf("tune %s weight %.2f from %d days", what, w, from), &v})
		}
	}
	return out
}
