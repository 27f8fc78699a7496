package model

import (
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/dsopilot/dsopilot/features"
)

// The scaled survival reads one table at the customer's pace: a customer
// whose scale is twice another's reaches the same share unpaid at twice
// the days past due, between grid points by interpolation.
func TestOverdueScaledConditional(t *testing.T) {
	// S(u) = 0.9^(t+1) on a grid of 0.5: S(u = 1) = 0.9^3.
	s, r := geometric(0.1, 100)
	sv := &OverdueScaled{Base: "x", Offset: 5, Step: 0.5, Survival: NewOverdueSurvival(s, r, 1, 10)}
	if err := sv.check(); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		overdue int
		scale   float64
		d       int
		want    float64
	}{
		// Scale 10: day 10 is u = 1 (grid 2), day 20 u = 2 (grid 4).
		{"scale 10 from due", 0, 10, 20, 1 - math.Pow(0.9, 5)/0.9},
		{"scale 10 open 10 days", 10, 10, 10, 1 - math.Pow(0.9, 5)/math.Pow(0.9, 3)},
		// Scale 20 reads the same table twice as slowly.
		{"scale 20 open 20 days", 20, 20, 20, 1 - math.Pow(0.9, 5)/math.Pow(0.9, 3)},
		// Day 5 at scale 10 is grid 1 exactly; day 7.5 would be 1.5: day 15
		// from day 0 at scale 20 is grid 1.5, halfway between 0.9^2 and 0.9^3.
		{"between grid points", 0, 20, 15, 1 - (math.Pow(0.9, 2)+math.Pow(0.9, 3))/2/0.9},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			K := make([]float64, c.d+1)
			if !sv.conditional(c.overdue, c.scale, K) {
				t.Fatal("no conditional curve")
			}
			if math.Abs(K[c.d]-c.want) > 1e-9 || K[0] != 0 {
				t.Fatalf("K[0] = %v, K[%d] = %v, want 0 and %v", K[0], c.d, K[c.d], c.want)
			}
			for d := 1; d < len(K); d++ {
				if K[d] < K[d-1] {
					t.Fatalf("the curve falls on day %d: %v", d, K)
				}
			}
		})
	}
}

// A customer's scale is the offset plus its lateness, none when the
// lateness is missing; early payment (a negative mean) is no faster than
// on time.
func TestOverdueScaledScale(t *testing.T) {
	sv := &OverdueScaled{Offset: 5}
	cases := []struct {
		v    float64
		want float64
		ok   bool
	}{{0, 5, true}, {20, 25, true}, {-3, 5, true}, {math.NaN(), 0, false}, {math.Inf(1), 0, false}}
	for _, c := range cases {
		if got, ok := sv.scale(c.v); ok != c.ok || got != c.want {
			t.Errorf("scale(%v) = %v, %v; want %v, %v", c.v, got, ok, c.want, c.ok)
		}
	}
}

// A damaged scaled survival is refused when the scorer is built.
func TestOverdueScaledCheck(t *testing.T) {
	good := NewOverdueSurvival([]float64{0.5}, []int{40}, 1, 1)
	cases := []struct {
		name string
		s    OverdueScaled
	}{
		{"no survival", OverdueScaled{Offset: 5, Step: 0.02}},
		{"no offset", OverdueScaled{Step: 0.02, Survival: good}},
		{"no step", OverdueScaled{Offset: 5, Survival: good}},
		{"step not a number", OverdueScaled{Offset: 5, Step: math.NaN(), Survival: good}},
		{"survival rises", OverdueScaled{Offset: 5, Step: 0.02, Survival: &OverdueSurvival{Surv: []float64{0.5, 0.6}, AtRisk: []int{3, 2}}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := c.s.check(); !errors.Is(err, ErrBadBundle) {
				t.Fatalf("check = %v, want ErrBadBundle", err)
			}
		})
	}
}

// Learned from two kinds of customer, one paying 10 days late on average
// and one 40, each paying every invoice at its own mean: in units of
// offset + lateness both pay at the same u, so the table is one step and
// either customer's invoice, open 5 days past due, is paid at its own
// pace. Invoices of customers without a lateness are left out, a
// write-off stays unpaid.
func TestOverdueScaledLearnsInUnitsOfLateness(t *testing.T) {
	specs := []features.Spec{{Name: "late", Base: "late", Kind: features.Numeric}}
	var xs []features.Example
	add := func(id string, lateness float64, daysLate int, writtenOff bool) {
		x := features.Example{DaysLate: daysLate, WrittenOff: writtenOff, DaysOverdue: 400}
		x.CustomerID, x.InvoiceID, x.Num = "C", id, []float64{lateness}
		// A second snapshot of the same invoice counts once.
		xs = append(xs, x, x)
	}
	for i := range 40 {
		add(fmt.Sprintf("a%d", i), 10, 15, false) // (15)/(5+10) = 1
		add(fmt.Sprintf("b%d", i), 40, 45, false) // 45/(5+40) = 1
		add(fmt.Sprintf("n%d", i), math.NaN(), 1, false)
	}
	add("w", 10, 15, true)
	sv, err := overdueScaled(xs, specs, "late", 0, 5, 0.1)
	if err != nil || sv == nil {
		t.Fatalf("scaled survival %v, %v", sv, err)
	}
	if got := sv.Survival.AtRisk[0]; got != 81 {
		t.Fatalf("%d invoices at risk at u = 0, want 81 (the 80 with a lateness and the write-off)", got)
	}
	for _, c := range []struct {
		scale float64
		days  int // days past due at which all but the write-off are paid
	}{{15, 15}, {45, 45}} {
		// One grid step (0.1 of the scale) earlier none is paid yet.
		if got := sv.at(float64(c.days)-0.1*c.scale, c.scale); math.Abs(got-1) > 1e-9 {
			t.Errorf("scale %v: S one step before %d days = %v, want 1", c.scale, c.days, got)
		}
		if got := sv.at(float64(c.days), c.scale); math.Abs(got-1.0/81) > 1e-9 {
			t.Errorf("scale %v: S(%d days) = %v, want 1/81 (the write-off)", c.scale, c.days, got)
		}
	}
	if _, err := overdueScaled(xs, nil, "late", 0, 5, 0.1); err != nil {
		t.Fatal(err)
	}
}
