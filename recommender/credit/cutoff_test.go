package credit

import (
	"context"
	"errors"
	"testing"

	"github.com/dsopilot/dsopilot/datasets/embedded"
	"github.com/dsopilot/dsopilot/model"
	"github.com/dsopilot/dsopilot/recommender"
)

// The PDs of a day before the model's training cut-off are refused, in the
// suggestions, the flags and the advice: the model has learnt how the
// customers open that day went on. (The review dates' month-ends before it
// take the default model instead: TestModelScoresNoMonthEndBeforeItsCutoff.)
// Before, the model scored the day as any other.
func TestModelRiskRefusesADayBeforeItsCutoff(t *testing.T) {
	ctx := context.Background()
	b := &model.Bundle{Options: model.BundleOptions{AsOf: asOf.AddDays(1).String()}}
	st, err := embedded.Open(ctx, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Put(ctx, baseLedger()); err != nil {
		t.Fatal(err)
	}
	svc := &Service{Store: st, Policy: DefaultPolicy(), Risk: ModelRisk{Bundle: b}}
	check := func(what string, err error) {
		t.Helper()
		var mc *recommender.ModelCutoffError
		if !errors.As(err, &mc) || mc.Known != asOf || mc.Cutoff != asOf.AddDays(1) {
			t.Errorf("%s: %v, want a *recommender.ModelCutoffError (cut-off %s, as of %s)", what, err, asOf.AddDays(1), asOf)
		}
	}
	_, err = svc.Suggest(ctx, asOf)
	check("suggest", err)
	_, _, err = svc.Flags(ctx, asOf)
	check("flags", err)
	_, err = svc.Advice(ctx, asOf, "C1")
	check("advice", err)
}
