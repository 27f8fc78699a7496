package recommender

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
)

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// A worklist and an off-policy estimate read in parts of whole customers
// are those of the whole ledger, value for value: the effects learnt from
// the same decisions in the same order, the same default hazards, the same
// accounts competing for the same capacity, the same holdout draws.
func TestRecommendInPartsIsWhole(t *testing.T) {
	e := logged(t, 250, 9, 21, 0.2)
	l := e.Ledger()
	day := e.End()
	for wd := day.Time().Weekday(); wd == time.Saturday || wd == time.Sunday; wd = day.Time().Weekday() {
		day++
	}
	o := RecommendOptions{FX: SimFX(), Capacity: map[string]int{"phone": 2, "email": 40}, Holdout: 0.2, Seed: 5,
		Effects: EffectsOptions{Bags: 3}}
	want, err := Recommend(context.Background(), l, day, o)
	if err != nil {
		t.Fatal(err)
	}
	if want.Basis != BasisEffects || len(want.Recommendations) < 10 || len(want.Deferred) == 0 {
		t.Fatalf("the whole ledger's worklist: basis %s, %d recommendations, %d deferred; want learnt effects and capacity at work",
			want.Basis, len(want.Recommendations), len(want.Deferred))
	}
	wantOPE, err := OPE(context.Background(), l, day-1, DefaultScenarios(), SimFX(), EffectsOptions{Seed: 2, Bags: 3})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{1, 3, 7} {
		parts := features.PartsOf(l, n)
		got, err := RecommendParts(context.Background(), parts, day, o)
		if err != nil {
			t.Fatalf("%d parts: %v", n, err)
		}
		if g, w := jsonOf(t, got), jsonOf(t, want); g != w {
			t.Errorf("worklist in %d parts differs from the whole ledger's:\n%s\nwant\n%s", n, g, w)
		}
		gotOPE, err := OPEParts(context.Background(), parts, day-1, DefaultScenarios(), SimFX(), EffectsOptions{Seed: 2, Bags: 3})
		if err != nil {
			t.Fatalf("OPE in %d parts: %v", n, err)
		}
		if g, w := jsonOf(t, gotOPE), jsonOf(t, wantOPE); g != w {
			t.Errorf("OPE in %d parts: %s, want %s", n, g, w)
		}
	}
	// Missing rates are one error counting every part's amounts.
	noFX := o
	noFX.FX = datasets.FX{}
	_, wantErr := Recommend(context.Background(), l, day, noFX)
	_, gotErr := RecommendParts(context.Background(), features.PartsOf(l, 3), day, noFX)
	if wantErr == nil || gotErr == nil || gotErr.Error() != wantErr.Error() {
		t.Errorf("without rates, in parts: %v; whole: %v", gotErr, wantErr)
	}
}
