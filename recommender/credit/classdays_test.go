package credit

import (
	"context"
	"fmt"
	"maps"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/synth"
	"github.com/dsopilot/dsopilot/features"
	"github.com/dsopilot/dsopilot/recommender"
)

// historyLedger is a simulated ledger of two years with its implied
// write-offs (as the Service reads it), its rates, and the day it is
// assessed as of.
func historyLedger(t *testing.T) (*datasets.Ledger, datasets.FX, datasets.Date) {
	t.Helper()
	l, _, err := synth.Collect(context.Background(), synth.Config{Customers: 160, Months: 24, Seed: 9, Start: datasets.NewDate(2023, 1, 1)})
	if err != nil {
		t.Fatal(err)
	}
	if l, _, err = l.WithImpliedWriteOffs(true); err != nil {
		t.Fatal(err)
	}
	fx := recommender.SimFX()
	return l, fx, datasets.NewDate(2024, 12, 31)
}

// sharedHistory is the classes learnClasses reads over one read of parts
// (the Service's path) with src's PDs.
func sharedHistory(t *testing.T, parts features.Parts, src RiskSource, fx datasets.FX, asOf datasets.Date) *assessment {
	t.Helper()
	ctx := context.Background()
	risk, err := riskParts(ctx, src, parts, asOf)
	if err != nil {
		t.Fatal(err)
	}
	o := Options{FX: fx, Risk: risk, RiskAtDays: func(days []datasets.Date) (map[datasets.Date]map[string]Risk, error) {
		return riskDays(ctx, src, parts, nil, days)
	}}
	as, err := assessParts(parts, asOf, DefaultPolicy(), o)
	if err != nil {
		t.Fatal(err)
	}
	return as
}

// The classes at the month-ends, read over one index of each part for
// every month-end, are those each month-end gives read on its own (the
// accounts and the learnt default model as of that day alone, as
// learnClasses read them before), in one part and in several, value for
// value.
func TestSharedClassesAreEachMonthEnds(t *testing.T) {
	ctx := context.Background()
	l, fx, asOf := historyLedger(t)
	for _, n := range []int{1, 3} {
		t.Run(fmt.Sprintf("%d parts", n), func(t *testing.T) {
			parts := features.PartsOf(l, n)
			src := LearnedRisk{}
			as := sharedHistory(t, parts, src, fx, asOf)
			ids := make([]string, len(as.list))
			for i, a := range as.list {
				ids[i] = a.c.ID
			}
			learnt, fellBack, classes := 0, 0, 0
			for _, m := range as.history.ends {
				if m == asOf {
					continue
				}
				// The month-end on its own: what learnClasses did per month-end.
				risk, err := src.CustomerRiskParts(ctx, parts, m)
				if err != nil {
					t.Fatal(err)
				}
				if risk == nil {
					fellBack++
				} else {
					learnt++
				}
				want := classesOn(t, parts, risk, fx, m, ids)
				got := as.history.class[m]
				if !maps.Equal(got, want) {
					t.Errorf("classes as of %s over the shared index:\n%v\neach month-end on its own:\n%v", m, got, want)
				}
				classes += len(want)
				// The PDs themselves, not only their classes.
				days, err := riskDays(ctx, src, parts, nil, []datasets.Date{m})
				if err != nil {
					t.Fatal(err)
				}
				if !maps.Equal(days[m], risk) {
					t.Errorf("PDs as of %s over the shared index differ from the month-end's own", m)
				}
			}
			if learnt < 3 || fellBack < 1 || classes < 500 {
				t.Fatalf("too thin to compare: the model learnt at %d month-ends, fell back at %d, %d classes", learnt, fellBack, classes)
			}
		})
	}
}

// A month-end's class uses only what was known by its end: write-offs
// dated after a month-end change no class at it or before it, over the
// shared index, while they do change the classes after it.
func TestSharedClassesArePointInTime(t *testing.T) {
	l, fx, asOf := historyLedger(t)
	cut := datasets.NewDate(2024, 6, 30)
	later := *l
	later.CreditNotes = append([]datasets.CreditNote(nil), l.CreditNotes...)
	seen := map[string]bool{}
	for i := range l.Invoices {
		v := &l.Invoices[i]
		if seen[v.CustomerID] || v.IssueDate > cut || len(seen) == 40 {
			continue
		}
		seen[v.CustomerID] = true
		later.CreditNotes = append(later.CreditNotes, datasets.CreditNote{ID: "LATE" + v.ID, CustomerID: v.CustomerID, InvoiceID: v.ID,
			Date: cut.AddDays(5 + len(seen)), Amount: 1_00, Kind: datasets.KindWriteOff, Reason: "written off after the month-end"})
	}
	before := sharedHistory(t, features.WholeLedger(l), LearnedRisk{}, fx, asOf)
	after := sharedHistory(t, features.WholeLedger(&later), LearnedRisk{}, fx, asOf)
	checked, changed := 0, 0
	for _, m := range before.history.ends {
		if m == asOf {
			continue
		}
		if m > cut {
			if !maps.Equal(before.history.class[m], after.history.class[m]) {
				changed++
			}
			continue
		}
		checked++
		if !maps.Equal(before.history.class[m], after.history.class[m]) {
			t.Errorf("classes as of %s changed with write-offs dated after %s:\n%v\nwere\n%v", m, cut, after.history.class[m], before.history.class[m])
		}
	}
	if checked < 3 || changed == 0 {
		t.Fatalf("not exercised: %d month-ends to %s compared, %d after it changed", checked, cut, changed)
	}
}
