package recommender

import (
	"context"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
)

// TestDailyComputesEachDayOnceAndCarriesTheEffects checks the cache the API
// and the report share: the same (ledger, day) is one computation, a new
// ledger starts afresh, old days are evicted, and a worklist on learnt
// effects says what they are.
func TestDailyComputesEachDayOnceAndCarriesTheEffects(t *testing.T) {
	e := logged(t, 250, 9, 21, 0.2)
	l := e.Ledger()
	ctx := context.Background()
	d := NewDaily(RecommendOptions{FX: SimFX(), Holdout: -1, Seed: 5, Effects: EffectsOptions{Bags: 3}})
	day := d.NextWorkingDay(e.End())
	w1, err := d.Worklist(ctx, l, day)
	if err != nil {
		t.Fatal(err)
	}
	if w1.Basis != BasisEffects || w1.Effects == nil || w1.Effects.Randomised == 0 || w1.Effects.Horizon <= 0 {
		t.Fatalf("basis %s, effects %+v: want the learnt effects on the list", w1.Basis, w1.Effects)
	}
	if est, ok := w1.Effects.ATE[ActionReminder]; !ok || est.N == 0 || est.Low > est.Mean || est.High < est.Mean {
		t.Fatalf("reminder's average uplift %+v", est)
	}
	if w2, err := d.Worklist(ctx, l, day); err != nil || w2 != w1 {
		t.Fatalf("the same day again was computed anew (err %v)", err)
	}
	l2 := *l
	if w3, err := d.Worklist(ctx, &l2, day); err != nil || w3 == w1 {
		t.Fatalf("a new ledger got the old ledger's list (err %v)", err)
	}
	for i := 1; i <= dailyKeep; i++ {
		if _, err := d.Worklist(ctx, &l2, day+datasets.Date(i)); err != nil {
			t.Fatal(err)
		}
	}
	if len(d.lists) != dailyKeep || d.lists[day] != nil {
		t.Fatalf("kept %d days (the first still there: %v), want the last %d", len(d.lists), d.lists[day] != nil, dailyKeep)
	}
}
