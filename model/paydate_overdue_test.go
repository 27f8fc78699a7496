package model

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
)

const tol = 1e-9

func near(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(a[i]-b[i]) > tol {
			return false
		}
	}
	return true
}

// The Kaplan–Meier table against hand-computed products: censored
// durations leave the risk set after their day without ending there.
func TestKaplanMeier(t *testing.T) {
	cases := []struct {
		name     string
		times    []int
		events   []bool
		surv     []float64
		atRisk   []int
		wantErrs string
	}{
		{"no censoring is the empirical survival", []int{0, 1, 1, 3}, []bool{true, true, true, true},
			[]float64{0.75, 0.25, 0.25, 0}, []int{4, 3, 1, 1}, ""},
		// Day 1: 4 at risk, 1 ends (3/4); the one censored at 1 leaves;
		// day 2: 2 at risk, 1 ends (3/4 · 1/2).
		{"censored at a day is at risk that day", []int{1, 1, 2, 2, 0}, []bool{true, false, true, false, false},
			[]float64{1, 0.75, 0.375}, []int{5, 4, 2}, ""},
		{"all censored stays at one", []int{2, 3}, []bool{false, false},
			[]float64{1, 1, 1, 1}, []int{2, 2, 2, 1}, ""},
		{"nothing to estimate", nil, nil, nil, nil, ""},
		{"lengths apart", []int{1}, nil, nil, nil, "1 times, 0 event flags"},
		{"negative duration", []int{3, -1}, []bool{true, true}, nil, nil, "duration 1 is -1 days"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			surv, atRisk, err := KaplanMeier(c.times, c.events)
			if c.wantErrs != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErrs) {
					t.Fatalf("err = %v, want one saying %q", err, c.wantErrs)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !near(surv, c.surv) || !reflect.DeepEqual(atRisk, c.atRisk) {
				t.Fatalf("survival %v at risk %v, want %v %v", surv, atRisk, c.surv, c.atRisk)
			}
		})
	}
}

// geometric is the survival of a constant daily hazard h over n days,
// with n, n−1, ... at risk.
func geometric(h float64, n int) ([]float64, []int) {
	s, r := make([]float64, n), make([]int, n)
	for t := range s {
		s[t], r[t] = math.Pow(1-h, float64(t+1)), n-t
	}
	return s, r
}

// The table is cut where fewer than the minimum are at risk; its tail
// hazard is the mean over its last days, so a constant hazard is found
// again; beyond the table the hazard decays from it as 1/t.
func TestNewOverdueSurvival(t *testing.T) {
	s, r := geometric(0.02, 200)
	cases := []struct {
		name    string
		min     int
		wantLen int
		tail    float64
	}{
		{"cut at the minimum at risk", 50, 151, 0.02},
		{"whole table", 1, 200, 0.02},
		{"too few at day 0", 201, 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := NewOverdueSurvival(s, r, c.min, 60)
			if c.wantLen == 0 {
				if o != nil {
					t.Fatalf("a survival from too few invoices: %+v", o)
				}
				return
			}
			if len(o.Surv) != c.wantLen || math.Abs(o.Tail-c.tail) > 1e-9 {
				t.Fatalf("%d days, tail %v; want %d, %v", len(o.Surv), o.Tail, c.wantLen, c.tail)
			}
			if err := o.check(); err != nil {
				t.Fatal(err)
			}
			if !o.Decays {
				t.Fatal("a new survival keeps a constant hazard beyond its table")
			}
			last := len(o.Surv) - 1
			for _, d := range []int{0, 100, 199, 250, 400} {
				want := math.Pow(0.98, float64(d+1))
				if d > last {
					want = math.Pow(0.98, float64(last+1)) * math.Pow(float64(last)/float64(d), 0.02*float64(last))
				}
				if got := o.at(d); math.Abs(got-want) > 1e-9 {
					t.Fatalf("S(%d) = %v, want %v", d, got, want)
				}
			}
		})
	}
}

// Issue s32: beyond the table's last day T the hazard is not held at its
// late-table level but falls as Tail·T/t, so a debt open far longer than
// anything the table saw is not dated weeks ahead; a bundle trained before
// (Decays unset) keeps the constant hazard and scores as it did. Table:
// 100 days at a daily hazard of 0.02 (T = 99).
func TestOverdueTailDecaysBeyondTheTable(t *testing.T) {
	s, r := geometric(0.02, 100)
	cases := []struct {
		name    string
		old     bool
		overdue int
		want    float64 // P(settled within 91 more days)
	}{
		// Within the table and the horizon's reach, both agree.
		{"within the table", false, 0, 1 - math.Pow(0.98, 91)},
		{"within the table, old bundle", true, 0, 1 - math.Pow(0.98, 91)},
		// Ten times the table's length overdue: 1 − (1000/1091)^(0.02·99)
		// = 0.16, not the 0.84 of the constant hazard.
		{"ten times beyond", false, 1000, 1 - math.Pow(1000.0/1091, 0.02*99)},
		{"ten times beyond, old bundle", true, 1000, 1 - math.Pow(0.98, 91)},
		// Just past the table's end the hazard is still Tail: continuous.
		{"at the end", false, 99, 1 - math.Pow(99.0/190, 0.02*99)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := NewOverdueSurvival(s, r, 1, 60)
			o.Decays = !c.old
			K := make([]float64, 92)
			if !o.conditional(c.overdue, K) {
				t.Fatal("no conditional curve")
			}
			if math.Abs(K[91]-c.want) > 1e-9 {
				t.Fatalf("P(settled within 91 days | open %d days) = %v, want %v", c.overdue, K[91], c.want)
			}
		})
	}
	// The daily hazard beyond the table is Tail at T and falls after it.
	o := NewOverdueSurvival(s, r, 1, 60)
	prev := 1.0
	for d := 99; d < 2000; d++ {
		h := 1 - o.at(d+1)/o.at(d)
		if h > prev+1e-12 || d == 99 && math.Abs(h-0.02) > 1e-3 {
			t.Fatalf("hazard %v on day %d after %v", h, d, prev)
		}
		prev = h
	}
	// A bundle's JSON without the flag reads as an old bundle.
	var old OverdueSurvival
	if err := json.Unmarshal([]byte(`{"survival":[0.5],"at_risk":[40],"tail_hazard":0.1}`), &old); err != nil || old.Decays {
		t.Fatalf("old bundle read as %+v, %v", old, err)
	}
}

// The conditional curve is the survival truncated at the days already
// overdue and renormalised; without survivors there is none.
func TestOverdueConditional(t *testing.T) {
	o := &OverdueSurvival{Surv: []float64{0.5, 0.4, 0.2, 0.1}, AtRisk: []int{100, 50, 40, 20}, Tail: 0.5}
	cases := []struct {
		name    string
		o       *OverdueSurvival
		overdue int
		want    []float64
	}{
		{"within the table", o, 1, []float64{0, 0.5, 0.75, 0.875}},
		{"into the tail", o, 3, []float64{0, 0.5, 0.75}},
		{"beyond the table", o, 10, []float64{0, 0.5}},
		{"none survived", &OverdueSurvival{Surv: []float64{0.5, 0}, AtRisk: []int{40, 30}}, 1, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dst := make([]float64, max(1, len(c.want)))
			if ok := c.o.conditional(c.overdue, dst); ok != (c.want != nil) || ok && !near(dst, c.want) {
				t.Fatalf("conditional = %v %v, want %v", ok, dst, c.want)
			}
		})
	}
}

// The model's curve is kept where it leaves at least as much unpaid as the
// survival, blended where it leaves less, replaced where it has no mass.
func TestBlendOverdue(t *testing.T) {
	K := []float64{0, 0.1, 0.2, 0.4}
	cases := []struct {
		name string
		F    []float64
		want []float64
	}{
		{"thicker tail kept", []float64{0, 0.05, 0.1, 0.3}, []float64{0, 0.05, 0.1, 0.3}},
		{"same tail kept", []float64{0, 0.3, 0.35, 0.4}, []float64{0, 0.3, 0.35, 0.4}},
		{"thinner tail blended", []float64{0, 0.5, 0.7, 0.8}, []float64{0, 0.3, 0.45, 0.6}},
		{"undated takes the survival", []float64{0, 0, 0, 0}, K},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			F := append([]float64(nil), c.F...)
			blendOverdue(F, K, 0.5)
			if !near(F, c.want) {
				t.Fatalf("blended %v, want %v", F, c.want)
			}
			for d := 1; d < len(F); d++ {
				if F[d] < F[d-1] {
					t.Fatalf("the curve falls on day %d: %v", d, F)
				}
			}
		})
	}
}

// A damaged survival is refused when the scorer is built, not while
// scoring.
func TestOverdueSurvivalCheck(t *testing.T) {
	cases := []struct {
		name string
		o    OverdueSurvival
	}{
		{"empty", OverdueSurvival{}},
		{"lengths apart", OverdueSurvival{Surv: []float64{0.5}, AtRisk: []int{3, 2}}},
		{"rises", OverdueSurvival{Surv: []float64{0.5, 0.6}, AtRisk: []int{3, 2}}},
		{"above one", OverdueSurvival{Surv: []float64{1.5}, AtRisk: []int{3}}},
		{"not a number", OverdueSurvival{Surv: []float64{math.NaN()}, AtRisk: []int{3}}},
		{"tail hazard one", OverdueSurvival{Surv: []float64{0.5}, AtRisk: []int{3}, Tail: 1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := c.o.check(); !errors.Is(err, ErrBadBundle) {
				t.Fatalf("check = %v, want ErrBadBundle", err)
			}
		})
	}
}

// Point in time: the survival learned at a cut-off is the same when
// everything after it is made late; read at a later cut-off the same
// change moves it (or the test could not fail).
func TestOverdueSurvivalIsPointInTime(t *testing.T) {
	l, _ := simulate(t, 120, 18, 5)
	d := datasets.NewDate(2024, 2, 29)
	from := datasets.NewDate(2023, 1, 1)
	ls := []*datasets.Ledger{l, lateAfter(l, d)}
	var at, later [2]*OverdueSurvival
	for k, l := range ls {
		eng := features.NewEngine(features.NewIndex(l), features.Options{})
		for _, c := range []struct {
			cut datasets.Date
			out **OverdueSurvival
		}{{d, &at[k]}, {d.AddDays(150), &later[k]}} {
			_, xs, err := eng.TrainingSet(features.TrainingOptions{From: from, To: d, Cutoff: c.cut, DaysBeforeDue: []int{7, -7, -30}})
			if err != nil {
				t.Fatal(err)
			}
			if *c.out, err = overdueSurvival(xs); err != nil {
				t.Fatal(err)
			}
		}
	}
	if at[0] == nil || len(at[0].Surv) < 30 {
		t.Fatalf("survival too short to test: %+v", at[0])
	}
	if !reflect.DeepEqual(at[0], at[1]) {
		t.Fatalf("the survival at %s moved with later events", d)
	}
	if reflect.DeepEqual(later[0], later[1]) {
		t.Fatalf("the survival at a later cut-off did not move with the later events")
	}
}

// A registered bundle keeps its survival; one registered before the
// survival existed (no overdue_survival in its JSON) loads without one and
// scores exactly as the same bundle does with the survival taken out.
func TestOldBundlesScoreWithoutTheSurvival(t *testing.T) {
	sc, tab, _ := trainedScorer(t)
	if sc.b.OverdueSurvival == nil {
		t.Fatal("the trained bundle has no overdue survival")
	}
	r := Registry{Dir: t.TempDir()}
	m, err := r.Register(sc.b, "abc", "test", time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := r.Load(m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if sc.b.OverdueScaled == nil {
		t.Fatal("the trained bundle has no scaled overdue survival")
	}
	if !reflect.DeepEqual(b.OverdueSurvival, sc.b.OverdueSurvival) || !reflect.DeepEqual(b.OverdueScaled, sc.b.OverdueScaled) {
		t.Fatal("the survival did not survive the registry")
	}
	// The same entry as an older build wrote it.
	path := filepath.Join(r.Dir, m.ID, "bundle.json")
	body, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		t.Fatal(err)
	}
	delete(raw, "overdue_survival")
	delete(raw, "overdue_scaled")
	if body, err = json.Marshal(raw); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, body, 0o644); err != nil {
		t.Fatal(err)
	}
	old, _, err := r.Load(m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if old.OverdueSurvival != nil || old.OverdueScaled != nil {
		t.Fatal("an old bundle loads with a survival")
	}
	without := *sc.b
	without.OverdueSurvival, without.OverdueScaled = nil, nil
	got, want := scoreAll(t, old, tab), scoreAll(t, &without, tab)
	if !reflect.DeepEqual(got, want) {
		t.Fatal("the old bundle scores otherwise than the bundle without its survival")
	}
	// And the survival does change the pay dates of overdue invoices, or
	// the comparison says nothing. Of an invoice not yet due it changes
	// only the weeks after due + 90 days, when the 90+ share is paid at
	// its pace (paydate.go).
	with := scoreAll(t, sc.b, tab)
	changed := 0
	for i := range with {
		if !reflect.DeepEqual(with[i].PaidBy, want[i].PaidBy) {
			changed++
		}
		if overdue := int(with[i].AsOf - with[i].DueDate); overdue < overdueScaledFromDays {
			for k := range with[i].PaidBy {
				if end := with[i].AsOf.AddDays(7 * (k + 1)); end <= with[i].DueDate.AddDays(default90Days) && with[i].PaidBy[k] != want[i].PaidBy[k] {
					t.Fatalf("invoice %s, %d days overdue, changed by the survival in week %d, before due + 90 days", with[i].InvoiceID, overdue, k+1)
				}
			}
		}
	}
	if changed == 0 {
		t.Fatal("the survival changed no open invoice's curve")
	}
}

func scoreAll(t *testing.T, b *Bundle, tab *features.Table) []Prediction {
	t.Helper()
	sc, err := NewScorer(b, tab.Specs)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]Prediction, len(tab.Rows))
	if err := sc.ScoreBatch(tab.Rows, 0, out); err != nil {
		t.Fatal(err)
	}
	return out
}

// The survival of days past due at settlement, and what it says of an
// invoice still open 5 days past due.
func ExampleKaplanMeier() {
	// Days past due at settlement of ten invoices, two still open (censored).
	times := []int{0, 0, 0, 2, 5, 5, 8, 10, 10, 12}
	events := []bool{true, true, true, true, true, true, true, false, true, false}
	surv, atRisk, err := KaplanMeier(times, events)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("S(0) = %.2f with %d at risk, S(5) = %.2f, S(10) = %.3f\n", surv[0], atRisk[0], surv[5], surv[10])
	o := NewOverdueSurvival(surv, atRisk, 2, 6)
	K := make([]float64, 6)
	o.conditional(5, K) // open 5 days past due: settled within d more days
	fmt.Printf("open after 5 days: settled within 5 more days %.3f\n", K[5])
	// Output:
	// S(0) = 0.70 with 10 at risk, S(5) = 0.40, S(10) = 0.200
	// open after 5 days: settled within 5 more days 0.500
}

// A written-off invoice was never paid: it stays at risk up to the cut-off
// instead of counting as paid on its write-off. Half of 80 invoices paid 10
// days late and half written off then leave half unpaid after day 10 (all
// paid, read the old way).
func TestWriteOffsAreNoPayment(t *testing.T) {
	var xs []features.Example
	for i := range 80 {
		x := features.Example{DaysLate: 10}
		x.CustomerID, x.InvoiceID = "C1", fmt.Sprintf("I%d", i)
		if i%2 == 1 {
			x.WrittenOff, x.DaysOverdue = true, 200
		}
		xs = append(xs, x)
	}
	o, err := overdueSurvival(xs)
	if err != nil || o == nil {
		t.Fatalf("survival %v, %v", o, err)
	}
	if got := o.at(11); math.Abs(got-0.5) > 1e-9 {
		t.Fatalf("S(11) = %v, want 0.5: the written-off half is still unpaid", got)
	}
}
