package model

import (
	"math"
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
)

// weekly builds a 13-week pay-date curve from a constant weekly hazard.
func weekly(h float64) []float64 {
	out := make([]float64, payDatePeriods)
	surv := 1.0
	for k := range out {
		surv *= 1 - h
		out[k] = 1 - surv
	}
	return out
}

func ptr(v float64) *float64 { return &v }

// The daily curve the dates are read from agrees with the late and 90+
// probabilities of the same invoice: P(paid by due + grace) is the on-time
// share, the share not paid within the horizon is at least the 90+ share,
// and a quantile whose level is not reached within the horizon has no day.
func TestReconcileAgreesWithTheClassifiers(t *testing.T) {
	cases := []struct {
		name     string
		hazard   float64 // weekly
		lateDay  int     // due + grace, in days after the as-of date
		pOnTime  float64
		vlDay    int     // due + the very-late days
		pVL      float64 // P(very late)
		p90      *float64
		wantDays [3]bool // P10, median, P90 within the horizon
	}{
		// The reported case: 111 days overdue, 90+ by definition, and a
		// hazard that pays it next week.
		{"long overdue, 90+ known", 0.95, -111, 0.0, -81, 1, ptr(1), [3]bool{false, false, false}},
		// 80 days overdue: 73% will still be unpaid in 10 days, when it
		// turns 90+; debts that old are still paid, at the survival's
		// pace, whatever the hazard's.
		{"defaulting customer, 90+ day within the horizon", 0.5, -80, 0.0, -50, 0.865, ptr(0.73), [3]bool{true, true, true}},
		{"defaulting customer, slow hazard", 0.02, -80, 0.0, -50, 0.865, ptr(0.73), [3]bool{true, true, true}},
		// Due + 90 days is day 80: in the 11 days left, less than half of
		// the 90+ share is paid, so more than 10% stays unpaid.
		{"90+ share above 10%, its day within the horizon", 0.5, -10, 0.0, 20, 0.6, ptr(0.2), [3]bool{true, true, false}},
		// The trial's case: a new customer's invoice 20 days overdue whose
		// hazard has paid everything by due + 90 days; the 90+ share must
		// not be paid within days of it.
		{"hazard all paid by due + 90 days", 0.99, -20, 0.0, 10, 0.14, ptr(0.043), [3]bool{true, true, true}},
		{"90+ share above 10%, its day beyond the horizon", 0.5, 20, 0.1, 50, 0.6, ptr(0.2), [3]bool{true, true, false}},
		// A probably late invoice the hazard would pay before its due date.
		{"probably late, fast hazard", 0.6, 20, 0.2, 50, 0.425, ptr(0.05), [3]bool{true, true, true}},
		{"probably on time", 0.3, 20, 0.9, 50, 0.055, ptr(0.01), [3]bool{true, true, true}},
		{"no 90+ model", 0.3, 10, 0.4, 40, 0.3, nil, [3]bool{true, true, true}},
		// Without a 90+ model an invoice already 90+ days overdue is no
		// more timed by the hazard than with one that says 1.
		{"long overdue, no 90+ model", 0.95, -111, 0.0, -81, 1, nil, [3]bool{false, false, false}},
		{"due beyond the horizon", 0.3, 120, 0.4, 150, 0.305, ptr(0.01), [3]bool{true, false, false}},
		// A new customer: the hazard pays slowly, the classifiers expect
		// most of it paid within 30 days after due.
		{"slow hazard, very-late model", 0.02, 30, 0.29, 60, 0.35, ptr(0.13), [3]bool{true, true, false}},
		{"hazard without mass", 0, 14, 0.7, 44, 0.2, ptr(0.1), [3]bool{true, true, false}},
	}
	// Debts 90 days past due settled at 3% a day.
	after90 := make([]float64, 7*payDatePeriods+1)
	for d := range after90 {
		after90[d] = 1 - math.Pow(0.97, float64(d))
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			F := make([]float64, 7*payDatePeriods+1)
			dailyCurve(weekly(c.hazard), F)
			d90 := c.vlDay - 30 + default90Days // the cases' very-late days are 30
			reconcileInvoice(F, []knot{{c.lateDay, c.pOnTime}, {c.vlDay, 1 - c.pVL}}, d90, c.p90, after90)
			h := len(F) - 1
			for d := 1; d <= h; d++ {
				if F[d] < F[d-1]-1e-12 || F[d] < -1e-12 || F[d] > 1+1e-12 {
					t.Fatalf("day %d: curve %v after %v", d, F[d], F[d-1])
				}
			}
			if c.lateDay > 0 && c.lateDay <= h && math.Abs(F[c.lateDay]-c.pOnTime) > 1e-9 {
				t.Fatalf("P(paid by due + grace) = %v, the late model says %v", F[c.lateDay], c.pOnTime)
			}
			if c.vlDay > 0 && c.vlDay <= h && math.Abs(F[c.vlDay]-(1-c.pVL)) > 1e-9 {
				t.Fatalf("P(paid by due + very-late days) = %v, the very-late model says %v", F[c.vlDay], 1-c.pVL)
			}
			if c.lateDay > h && F[h] > c.pOnTime+1e-9 {
				t.Fatalf("%v paid within the horizon, before due + grace; on time %v", F[h], c.pOnTime)
			}
			switch {
			case c.p90 == nil && d90 <= 0 && F[h] != 0:
				t.Fatalf("%v paid within the horizon of an invoice already 90+ days overdue, without a 90+ model", F[h])
			case c.p90 == nil:
			case d90 > h && 1-F[h] < *c.p90-1e-9:
				t.Fatalf("%v unpaid at the horizon, before due + 90 days, below the 90+ share %v", 1-F[h], *c.p90)
			case d90 > 0 && d90 <= h && math.Abs(F[d90]-(1-*c.p90)) > 1e-9:
				t.Fatalf("P(paid by due + 90 days) = %v, the 90+ model says %v", F[d90], 1-*c.p90)
			case d90 > 0 && d90 < h && math.Abs(1-F[h]-*c.p90*(1-after90[h-d90])) > 1e-9:
				t.Fatalf("%v unpaid at the horizon, %d days after due + 90 days: the 90+ share %v is paid at the survival's pace, %v of it unpaid then",
					1-F[h], h-d90, *c.p90, 1-after90[h-d90])
			case d90 <= 0 && *c.p90 >= 1 && F[h] != 0:
				t.Fatalf("%v paid within the horizon of an invoice already 90+ days overdue", F[h])
			}
			for i, q := range []float64{0.1, 0.5, 0.9} {
				d := quantileDay(F, q)
				if (d > 0) != c.wantDays[i] {
					t.Fatalf("quantile %v: day %d (curve ends at %v)", q, d, F[h])
				}
				if d > 0 && (F[d] < q-1e-9 || F[d-1] >= q-1e-12) {
					t.Fatalf("quantile %v on day %d: curve %v then %v", q, d, F[d-1], F[d])
				}
				if q == 0.5 && d > 0 && c.pOnTime < 0.5 && c.lateDay > 0 && d <= c.lateDay {
					t.Fatalf("median on day %d, not after due + grace (day %d) though P(late) = %v", d, c.lateDay, 1-c.pOnTime)
				}
			}
		})
	}
}

// The daily curve meets the weekly one at each week's end and moves within
// the week, so dates fall on any day, not only mid-week.
func TestDailyCurveInterpolatesWithinTheWeek(t *testing.T) {
	w := weekly(0.3)
	F := make([]float64, 7*len(w)+1)
	dailyCurve(w, F)
	for k, v := range w {
		if math.Abs(F[7*(k+1)]-v) > 1e-12 {
			t.Fatalf("week %d: %v, daily %v", k+1, v, F[7*(k+1)])
		}
	}
	seen := map[int]bool{}
	for _, q := range []float64{0.05, 0.1, 0.15, 0.2, 0.25, 0.3} {
		seen[quantileDay(F, q)%7] = true
	}
	if len(seen) < 4 {
		t.Fatalf("quantile days fall on %d weekdays only: %v", len(seen), seen)
	}
}

// On a trained model, every open invoice's dates agree with its
// probabilities. An invoice made 120 days overdue is timed by the overdue
// survival alone (its curve is the survival's, conditioned on 120 days, at
// its customer's pace with the scaled survival);
// by a bundle without one (trained before it existed) it has no date
// within the horizon and says why.
func TestScoredPayDatesAgreeWithTheProbabilities(t *testing.T) {
	sc, tab, _ := trainedScorer(t)
	days := map[int]bool{}
	for i := range tab.Rows {
		p, err := sc.Score(&tab.Rows[i], 3)
		if err != nil {
			t.Fatal(err)
		}
		checkPrediction(t, &p, sc.b.Options)
		if p.PayDate != 0 {
			days[int(p.PayDate-p.AsOf)%7] = true
		}
	}
	if len(days) < 3 {
		t.Fatalf("median pay dates fall on %d days of the week after the as-of date: %v", len(days), days)
	}
	if sc.b.Default90 == nil {
		t.Skip("the model has no 90+ part")
	}
	if sc.b.OverdueSurvival == nil {
		t.Fatal("the model has no overdue survival")
	}
	old := *sc.b
	old.OverdueSurvival, old.OverdueScaled = nil, nil
	without, err := NewScorer(&old, tab.Specs)
	if err != nil {
		t.Fatal(err)
	}
	without = without.WithEvidence(sc.evidence)
	K := make([]float64, 7*payDatePeriods+1)
	// The same rows made long overdue.
	dtd, _ := features.Find(tab.Specs, "inv_days_to_due", 0)
	age, _ := features.Find(tab.Specs, "inv_age_days", 0)
	for i := range tab.Rows[:20] {
		r := tab.Rows[i]
		r.Num = append([]float64(nil), r.Num...)
		r.Num[age] += 120 + r.Num[dtd]
		r.Num[dtd] = -120
		p, err := without.Score(&r, 3)
		if err != nil {
			t.Fatal(err)
		}
		checkPrediction(t, &p, sc.b.Options)
		if *p.PDefault90 != 1 || p.PayDate != 0 || p.PayDateP10 != 0 || p.PayDateP90 != 0 || p.PaidBy[len(p.PaidBy)-1] != 0 {
			t.Fatalf("120 days overdue: p90 %v, dates %s %s %s, curve %v", *p.PDefault90, p.PayDateP10, p.PayDate, p.PayDateP90, p.PaidBy)
		}
		if !hasReason(&p, "beyond_horizon", "already more than 90 days overdue") {
			t.Fatalf("no reason says the dates are beyond the horizon: %+v", p.Reasons)
		}
		if p, err = sc.Score(&r, 3); err != nil {
			t.Fatal(err)
		}
		// The customer's survival (its scale's, or the ledger's).
		if !sc.overdueCurve(&r, 120, K) {
			t.Fatal("no invoice of the survival was open 120 days past due")
		}
		checkPrediction(t, &p, sc.b.Options)
		for k, v := range p.PaidBy {
			if math.Abs(v-K[7*(k+1)]) > 1e-9 {
				t.Fatalf("120 days overdue, week %d: paid by %v, the survival says %v", k+1, v, K[7*(k+1)])
			}
		}
		if d := quantileDay(K, 0.5); d > 0 && p.PayDate != p.AsOf.AddDays(d) {
			t.Fatalf("120 days overdue: median %s, the survival's %s", p.PayDate, p.AsOf.AddDays(d))
		}
	}
	// Made 60 days overdue, a row's 90+ share follows its conditioned
	// curve, so the two still agree.
	for i := range tab.Rows[:20] {
		r := tab.Rows[i]
		r.Num = append([]float64(nil), r.Num...)
		r.Num[age] += 60 + r.Num[dtd]
		r.Num[dtd] = -60
		p, err := sc.Score(&r, 3)
		if err != nil {
			t.Fatal(err)
		}
		checkPrediction(t, &p, sc.b.Options)
	}
}

func hasReason(p *Prediction, feature, text string) bool {
	for _, r := range p.Reasons {
		if r.Feature == feature && strings.Contains(r.Text, text) {
			return true
		}
	}
	return false
}

// checkPrediction fails when p's dates contradict its probabilities.
func checkPrediction(t *testing.T, p *Prediction, o BundleOptions) {
	t.Helper()
	grace := o.GraceDays
	n := len(p.PaidBy)
	unpaid := 1 - p.PaidBy[n-1]
	if p.PDefault90 != nil {
		if *p.PDefault90 > p.PVeryLate+1e-12 {
			t.Fatalf("%s: P(90+) %v above P(very late) %v", p.InvoiceID, *p.PDefault90, p.PVeryLate)
		}
		// The 90+ share is unpaid at due + 90 days: at the horizon's end
		// when that day lies beyond it; when within, what is paid by the
		// end is at least what was paid by that day.
		d90 := p.DueDate.AddDays(default90Days)
		if beyond := d90 > p.AsOf.AddDays(7*n); beyond && unpaid < *p.PDefault90-1e-9 {
			t.Fatalf("%s: %v unpaid within the horizon, which ends before due + 90 days, P(90+) %v", p.InvoiceID, unpaid, *p.PDefault90)
		} else if !beyond && unpaid > *p.PDefault90+1e-9 {
			t.Fatalf("%s: %v unpaid at the horizon, after due + 90 days, more than P(90+) %v", p.InvoiceID, unpaid, *p.PDefault90)
		}
	}
	for _, c := range []struct {
		q float64
		d datasets.Date
	}{{0.1, p.PayDateP10}, {0.5, p.PayDate}, {0.9, p.PayDateP90}} {
		if (c.d == 0) != (1-unpaid < c.q-1e-9) {
			t.Fatalf("%s: quantile %v is %q with %v paid within the horizon", p.InvoiceID, c.q, c.d, 1-unpaid)
		}
	}
	if p.PLate > 0.5 && p.PayDate != 0 && p.PayDate <= p.DueDate.AddDays(grace) {
		t.Fatalf("%s: P(late) %v but median pay date %s, due %s", p.InvoiceID, p.PLate, p.PayDate, p.DueDate)
	}
	if p.PVeryLate > 0.5 && p.PayDate != 0 && p.PayDate <= p.DueDate.AddDays(o.VeryLateDays) {
		t.Fatalf("%s: P(very late) %v but median pay date %s, due %s", p.InvoiceID, p.PVeryLate, p.PayDate, p.DueDate)
	}
	if vl := p.DueDate.AddDays(o.VeryLateDays); vl > p.AsOf && vl <= p.AsOf.AddDays(7*n) && unpaid > p.PVeryLate+1e-9 {
		t.Fatalf("%s: %v unpaid within the horizon, more than very late (%v)", p.InvoiceID, unpaid, p.PVeryLate)
	}
	if p.PayDateP10 != 0 && p.PayDate != 0 && p.PayDateP10 > p.PayDate || p.PayDate != 0 && p.PayDateP90 != 0 && p.PayDate > p.PayDateP90 {
		t.Fatalf("%s: quantiles out of order %s %s %s", p.InvoiceID, p.PayDateP10, p.PayDate, p.PayDateP90)
	}
}
