package credit

import (
	"context"
	"maps"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/embedded"
	"github.com/dsopilot/dsopilot/features"
	"github.com/dsopilot/dsopilot/model"
)

// leakyModel is the model's PDs on any day, before its cut-off too (which
// ModelRisk refuses): what a month-end's classes would be had the model
// been asked about it.
type leakyModel struct{ ModelRisk }

func (m leakyModel) CustomerRiskParts(ctx context.Context, parts features.Parts, asOf datasets.Date) (map[string]Risk, error) {
	return m.scoreParts(ctx, parts, asOf)
}

// monthEndReference is the classes of the customers ids at month-end m
// with src's PDs of that day, each month-end read on its own: the
// accounts and the PDs as of m alone, as learnClasses read them one
// month-end at a time.
func monthEndReference(t *testing.T, parts features.Parts, src RiskSource, fx datasets.FX, m datasets.Date, ids []string) map[string]int {
	t.Helper()
	risk, err := riskParts(context.Background(), src, parts, m)
	if err != nil {
		t.Fatal(err)
	}
	return classesOn(t, parts, risk, fx, m, ids)
}

// classesOn is the class of each of ids as of month-end m given the PDs of
// that day (nil: the fallbacks), from the accounts as of m alone.
func classesOn(t *testing.T, parts features.Parts, risk map[string]Risk, fx datasets.FX, m datasets.Date, ids []string) map[string]int {
	t.Helper()
	pol := DefaultPolicy()
	all, err := accountsParts(parts, m, pol, fx, nil)
	if err != nil {
		t.Fatal(err)
	}
	every := make([]*account, 0, len(all))
	for _, id := range sortedIDs(all) {
		every = append(every, all[id])
	}
	want := map[string]int{}
	if !anythingOnRecord(every) {
		return want
	}
	fallback := segmentPD(every, risk, m)
	for _, id := range ids {
		if then := all[id]; then != nil {
			want[id] = pol.classIndex(pdOf(then, risk, fallback).PD)
		}
	}
	return want
}

// With a payment model (--model), a month-end before the model's training
// cut-off is classed with the ledger's own default model learnt as of that
// month-end (the PDs without --model), and only those at or after it with
// the model's: a model trained later has learnt from how the invoices open
// at an earlier month-end ended, which nobody knew then. It scored every
// month-end.
func TestModelScoresNoMonthEndBeforeItsCutoff(t *testing.T) {
	ctx := context.Background()
	l, fx, asOf := historyLedger(t)
	cut := datasets.NewDate(2024, 9, 30)
	b, err := model.Train(ctx, features.NewIndex(l), model.TrainOptions{AsOf: cut, Seed: 1, Families: []string{model.FamilyLogistic}})
	if err != nil {
		t.Fatal(err)
	}
	st, err := embedded.Open(ctx, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Put(ctx, l); err != nil {
		t.Fatal(err)
	}
	svc := &Service{Store: st, Policy: DefaultPolicy(), Risk: ModelRisk{Bundle: b}, FX: fx}
	parts, whole, err := svc.ledger(ctx)
	if err != nil {
		t.Fatal(err)
	}
	o, err := svc.options(ctx, parts, whole, asOf, nil)
	if err != nil {
		t.Fatal(err)
	}
	as, err := assessParts(parts, asOf, svc.Policy, o)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(as.list))
	for i, a := range as.list {
		ids[i] = a.c.ID
	}
	before, after, leaked := 0, 0, 0
	for _, m := range as.history.ends {
		if m == asOf || m < cut.AddMonths(-4) { // the quarter before the cut-off is enough, and each month-end alone is slow
			continue
		}
		src := RiskSource(leakyModel{ModelRisk{Bundle: b}})
		scored := monthEndReference(t, parts, src, fx, m, ids)
		want := scored
		if m < cut {
			src = LearnedRisk{}
			want = monthEndReference(t, parts, src, fx, m, ids)
			before++
			if !maps.Equal(want, scored) {
				leaked++
			}
		} else {
			after++
		}
		if got := as.history.class[m]; !maps.Equal(got, want) {
			t.Errorf("classes as of %s (the model learnt to %s):\n%v\nwant (%T):\n%v", m, cut, got, src, want)
		}
	}
	if before < 3 || after < 1 || leaked == 0 {
		t.Fatalf("not exercised: %d month-ends before the cut-off (%d classed otherwise by the model), %d after", before, leaked, after)
	}
}
