package model

import (
	"fmt"
	"math"

	"github.com/dsopilot/dsopilot/features"
)

// One survival for the whole ledger conditions an overdue invoice on its
// having stayed open, but not on whose it is: a habitual 60-days-late
// payer's invoice and a prompt payer's forgotten one, both 20 days overdue,
// were given the same curve. On an analyst's cleared-items export
// (independent generator, 120 customers, some drifting toward default)
// invoices overdue at the as-of date were paid after their P90 date 28–31%
// of the time, three times the 10% the interval allows; most of them (57
// of 74 on the generator's seed 33) were the drifting customers', whose
// debts are settled later every month.
// Cutting the ledger into strata of customer lateness, each with its own
// survival, did not help (still 24–37% after P90): each stratum's past is
// faster than its present for a customer drifting toward default.
//
// OverdueScaled reads days past due in units of the customer's own
// lateness (an accelerated failure time): the survival is learned of
// u = days past due / (scale offset + the customer's recent mean days
// late, as of the invoice's snapshot, so nothing later is read), one
// Kaplan–Meier table over every training invoice on a grid of u. An
// invoice o days overdue whose customer's recent lateness is m is then
// given P(settled within d more days | open o days past due)
// = 1 − S((o+d)/(c+m)) / S(o/(c+m)): a customer paying 60 days late reads
// the table three times as slowly as one paying 20 days late, and a
// customer whose lateness has grown reads it at today's pace, not the pace
// of the invoices it paid a year ago. A customer with no settlement to
// read a lateness from takes the whole ledger's survival.

// OverdueScaled is the overdue survival in units of the customer's
// lateness.
type OverdueScaled struct {
	// Base and Window name the numeric feature read as the customer's
	// lateness (days); Offset is added to it (days), so that a customer
	// paying on time still has a scale.
	Base   string  `json:"feature"`
	Window int     `json:"window"`
	Offset float64 `json:"offset_days"`
	// Step is the grid of u: Survival's day t is u = t·Step.
	Step     float64          `json:"step"`
	Survival *OverdueSurvival `json:"survival"`
}

// The scaled survival's settings; see the constants' note in
// paydate_overdue.go for how they were chosen.
const (
	overdueScaleBase   = "last3_days_late_mean"
	overdueScaleOffset = 5.0
	overdueScaleStep   = 0.02
)

// check refuses a scaled survival that is not one.
func (s *OverdueScaled) check() error {
	if s.Survival == nil || !(s.Offset > 0) || !(s.Step > 0) || math.IsInf(s.Offset, 0) || math.IsInf(s.Step, 0) {
		return fmt.Errorf("%w: the scaled overdue survival has offset %v, step %v, survival %v", ErrBadBundle, s.Offset, s.Step, s.Survival != nil)
	}
	return s.Survival.check()
}

// scale is the customer's scale in days for the feature value v, false
// for a missing value.
func (s *OverdueScaled) scale(v float64) (float64, bool) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	return s.Offset + max(0, v), true
}

// at is S(days/scale), interpolated between the grid's points.
func (s *OverdueScaled) at(days, scale float64) float64 {
	x := days / scale / s.Step
	i := int(math.Floor(x))
	f := x - float64(i)
	a := s.Survival.at(i)
	if f == 0 {
		return a
	}
	return a + f*(s.Survival.at(i+1)-a)
}

// conditional writes to dst[d] the probability of settlement within d
// days after a day on which the invoice of a customer of the given scale is
// open overdue days past due (see above); false, writing nothing, when
// none survived that long.
func (s *OverdueScaled) conditional(overdue int, scale float64, dst []float64) bool {
	s0 := s.at(float64(overdue), scale)
	if !(s0 > 0) {
		return false
	}
	for d := range dst {
		dst[d] = 1 - s.at(float64(overdue+d), scale)/s0
	}
	return true
}

// overdueScaled learns the scaled survival from the training examples xs
// (each invoice counted once, at its first example, as overdueSurvival
// counts it; written-off invoices censored there), reading the feature
// base at window from their rows (described by specs). Invoices whose
// customer had no lateness to read are left out. nil when the specs lack
// the feature or too few invoices remain.
func overdueScaled(xs []features.Example, specs []features.Spec, base string, window int, offset, step float64) (*OverdueScaled, error) {
	pos, ok := features.Find(specs, base, window)
	if !ok {
		return nil, nil
	}
	s := &OverdueScaled{Base: base, Window: window, Offset: offset, Step: step}
	var times []int
	var events []bool
	eachOverdueDuration(xs, func(x *features.Example, days int, event bool) {
		if pos >= len(x.Num) {
			return
		}
		sc, ok := s.scale(x.Num[pos])
		if !ok {
			return
		}
		// Rounded down: an invoice is counted open at u only while its
		// days past due reached it.
		times, events = append(times, int(float64(days)/sc/step)), append(events, event)
	})
	surv, atRisk, err := KaplanMeier(times, events)
	if err != nil {
		return nil, fmt.Errorf("scaled overdue survival: %w", err)
	}
	// The tail hazard is averaged over the last unit of u; beyond the
	// table it decays as 1/u (OverdueSurvival.Decays), so a prompt payer's
	// debt many units overdue is not paid at the late-table pace.
	if s.Survival = NewOverdueSurvival(surv, atRisk, overdueMinAtRisk, max(1, int(math.Round(1/step)))); s.Survival == nil {
		return nil, nil
	}
	return s, nil
}
