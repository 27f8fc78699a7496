package model

import (
	"errors"
	"math"
	"testing"

	"github.com/dsopilot/dsopilot/features"
)

// The share of very-late invoices that went 90+ is split by the
// customer's own 90+ history only when each kind holds enough very-late
// invoices and the two shares differ by more than default90Z standard
// errors.
func TestOfVeryLateByHistory(t *testing.T) {
	// kind builds n very-late invoices (hist: of a customer with a 90+
	// history), pos of them 90+.
	kind := func(hist bool, n, pos int) []features.Example {
		h := 0.0
		if hist {
			h = 2
		}
		xs := make([]features.Example, n)
		for i := range xs {
			xs[i].Num = []float64{h}
			xs[i].DaysLate = 40
			if i < pos {
				xs[i].DaysLate = 120
			}
		}
		return xs
	}
	label := func(x *features.Example) bool { return x.DaysLate > 90 }
	// and on-time invoices, which no share reads
	onTime := make([]features.Example, 50)
	for i := range onTime {
		onTime[i].Num = []float64{2}
	}
	for _, tc := range []struct {
		name        string
		past90      int
		without     []int // very-late invoices, of them 90+
		with        []int
		others      float64
		withHistory float64 // NaN: none
	}{
		{"a defaulter's drift", 0, []int{100, 10}, []int{40, 30}, 0.1, 0.75},
		{"no invoices_past_90 in the rows", -1, []int{100, 10}, []int{40, 30}, 40.0 / 140, math.NaN()},
		{"too few very-late invoices with a history", 0, []int{100, 10}, []int{19, 19}, 29.0 / 119, math.NaN()},
		{"the same share", 0, []int{100, 10}, []int{40, 5}, 15.0 / 140, math.NaN()},
		// simulated seed 19: fewer with a history went 90+, within the noise
		{"lower with a history, within the noise", 0, []int{149, 12}, []int{23, 1}, 13.0 / 172, math.NaN()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			xs := append(append(append([]features.Example(nil), onTime...),
				kind(false, tc.without[0], tc.without[1])...), kind(true, tc.with[0], tc.with[1])...)
			others, with := ofVeryLateByHistory(xs, label, 30, 20, tc.past90)
			if math.Abs(others-tc.others) > 1e-12 {
				t.Errorf("others' share %v, want %v", others, tc.others)
			}
			switch {
			case math.IsNaN(tc.withHistory) && with != nil:
				t.Errorf("a share with a history %v, want one share", *with)
			case !math.IsNaN(tc.withHistory) && (with == nil || math.Abs(*with-tc.withHistory) > 1e-12):
				t.Errorf("share with a history %v, want %v", with, tc.withHistory)
			}
		})
	}
}

// A bundle with a 90+ share by history gives it to the invoices of the
// customers with invoices_past_90 > 0, the others' share to the rest; a
// share out of 0..1, or without the others' share, is a bad bundle.
func TestScoreReadsTheShareByHistory(t *testing.T) {
	sc, tab, _ := trainedScorer(t)
	past90, ok := features.Find(tab.Specs, "invoices_past_90", 0)
	if !ok {
		t.Fatal("no invoices_past_90 among the features")
	}
	due, _ := features.Find(tab.Specs, "inv_days_to_due", 0)
	var row *features.Row
	for i := range tab.Rows {
		if tab.Rows[i].Num[due] > 0 {
			row = &tab.Rows[i]
			break
		}
	}
	if row == nil {
		t.Fatal("no invoice not yet due")
	}
	b := *sc.b
	b.Default90 = priorClassifier(1, 100)
	others, with := 0.2, 0.9
	b.Default90OfVeryLate, b.Default90OfVeryLatePast90 = &others, &with
	s, err := NewScorer(&b, tab.Specs)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		past90 float64
		share  float64
	}{{0, others}, {1, with}, {7, with}} {
		r := *row
		r.Num = append([]float64(nil), row.Num...)
		r.Num[past90] = tc.past90
		p, err := s.Score(&r, 0)
		if err != nil {
			t.Fatal(err)
		}
		want := math.Min(math.Max(b.Default90.Base, tc.share*p.PVeryLate), p.PVeryLate)
		if p.PDefault90 == nil || math.Abs(*p.PDefault90-want) > 1e-12 {
			t.Errorf("invoices_past_90 %v: p_90_plus %v, want %v (share %v of p_very_late %v)", tc.past90, p.PDefault90, want, tc.share, p.PVeryLate)
		}
	}
	bad := 1.5
	for name, mod := range map[string]func(*Bundle){
		"share above 1":        func(b *Bundle) { b.Default90OfVeryLatePast90 = &bad },
		"without others share": func(b *Bundle) { b.Default90OfVeryLate = nil },
	} {
		bb := b
		mod(&bb)
		if _, err := NewScorer(&bb, tab.Specs); !errors.Is(err, ErrBadBundle) {
			t.Errorf("%s: %v, want ErrBadBundle", name, err)
		}
	}
}
