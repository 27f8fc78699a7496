package recommender

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/storetest"
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
	// Also with records naming another customer than their invoice's:
	// write-offs among them, which count against the invoice's customer
	// in parts as in the whole ledger.
	strayed := storetest.WithStrays(l)
	if n := movedWriteOffs(l, strayed); n == 0 {
		t.Fatal("no write-off names another customer than its invoice's: the stray case is not exercised")
	}
	for _, c := range []struct {
		name string
		l    *datasets.Ledger
		n    []int
	}{{"simulated", l, []int{1, 3, 7}}, {"records on other customers' invoices", strayed, []int{3, 7}}} {
		want, err := Recommend(context.Background(), c.l, day, o)
		if err != nil {
			t.Fatal(err)
		}
		if want.Basis != BasisEffects || len(want.Recommendations) < 10 || len(want.Deferred) == 0 {
			t.Fatalf("%s: the whole ledger's worklist: basis %s, %d recommendations, %d deferred; want learnt effects and capacity at work",
				c.name, want.Basis, len(want.Recommendations), len(want.Deferred))
		}
		wantOPE, err := OPE(context.Background(), c.l, day-1, DefaultScenarios(), SimFX(), EffectsOptions{Seed: 2, Bags: 3})
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range c.n {
			parts := features.PartsOf(c.l, n)
			got, err := RecommendParts(context.Background(), parts, day, o)
			if err != nil {
				t.Fatalf("%s, %d parts: %v", c.name, n, err)
			}
			if g, w := jsonOf(t, got), jsonOf(t, want); g != w {
				t.Errorf("%s: worklist in %d parts differs from the whole ledger's:\n%s\nwant\n%s", c.name, n, g, w)
			}
			gotOPE, err := OPEParts(context.Background(), parts, day-1, DefaultScenarios(), SimFX(), EffectsOptions{Seed: 2, Bags: 3})
			if err != nil {
				t.Fatalf("%s: OPE in %d parts: %v", c.name, n, err)
			}
			if g, w := jsonOf(t, gotOPE), jsonOf(t, wantOPE); g != w {
				t.Errorf("%s: OPE in %d parts: %s, want %s", c.name, n, g, w)
			}
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

// movedWriteOffs counts the write-offs of strayed that name another
// customer than the same note of l (storetest.WithStrays).
func movedWriteOffs(l, strayed *datasets.Ledger) int {
	n := 0
	for i := range strayed.CreditNotes {
		if cn := &strayed.CreditNotes[i]; cn.Kind == datasets.KindWriteOff && cn.CustomerID != l.CreditNotes[i].CustomerID {
			n++
		}
	}
	return n
}

// A collector no customer has would get an empty agenda that reads as
// "nothing to do": it is refused, naming the collectors there are, in
// whichever number of parts; a known one's agenda is its own customers'.
func TestRecommendRefusesAnUnknownCollector(t *testing.T) {
	l := ledgerOf([]int{25, 8}, []datasets.Money{500000, 120000})
	l.Customers[0].Collector = "Müller"
	for _, n := range []int{1, 2} {
		_, err := RecommendParts(context.Background(), features.PartsOf(l, n), d0, RecommendOptions{Collector: "Mueller"})
		if !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), `unknown collector "Mueller": want one of Müller`) {
			t.Errorf("%d parts: %v, want an unknown collector naming Müller", n, err)
		}
		w, err := RecommendParts(context.Background(), features.PartsOf(l, n), d0, RecommendOptions{Collector: "Müller"})
		if err != nil {
			t.Fatalf("%d parts: %v", n, err)
		}
		if len(w.Recommendations) == 0 {
			t.Errorf("%d parts: Müller's agenda is empty", n)
		}
		for _, r := range w.Recommendations {
			if r.Collector != "Müller" {
				t.Errorf("%d parts: %s's action on Müller's agenda", n, r.Collector)
			}
		}
	}
}
