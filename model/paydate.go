package model

import (
	"fmt"
	"math"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
)

// The pay-date hazard and the classifiers are fitted apart: the hazard
// knows the timing of payment, the classifiers whether it comes after the
// due date plus grace and whether it ever comes (90+ days overdue or
// written off). On their own they can contradict each other on the same
// invoice (a median pay date before the due date of an invoice the late
// model calls probably late; a pay date next week for one 90+ days
// overdue, of which the hazard, taught on invoices at most 30 days past
// due, knows nothing). payDate reconciles them on a daily curve before any
// date is read from it:
//
//   - the late model fixes P(paid by due + grace) = p_on_time, the
//     very-late model P(paid by due + very-late days) = 1 − p_very_late;
//     between these days the hazard's timing is kept for the share paid
//     in between, after the last for the share still open (by rescaling,
//     so the curve stays non-decreasing);
//   - the 90+ model fixes P(paid by due + 90 days) = 1 − p_90_plus: it is
//     the chance of reaching 90 days overdue unpaid (or being written
//     off). When that day lies beyond the horizon, the curve ends at
//     1 − p_90_plus at most. When it lies within, part of the 90+ share
//     is still paid after it (invoices 60 days overdue often clear a month
//     later, and a cash forecast that left them unpaid for the whole
//     horizon erred low by a fifth on small books), but not at the
//     hazard's pace: taught on invoices at most 30 days past due, its tail
//     that far out is an extrapolation, and a fast one paid the whole 90+
//     share within days (a curve reaching 1 beside a p_90_plus of 4%). The
//     share is paid at the pace debts 90 days past due were settled in
//     training, the bundle's overdue survival conditioned on 90 days
//     (paydate_overdue.go): P(unpaid at t) = p_90_plus · S(t − due)/S(90),
//     what the invoice would be given if it were scored on due + 90 days
//     itself. Without a survival that share is not paid within the
//     horizon, as an invoice already 90+ days overdue is not timed.
//   - an invoice already 90+ days overdue has p_90_plus = 1 and no
//     classifier says whether it will be paid within the horizon; the
//     hazard, taught on invoices at most 30 days past due and with
//     write-offs counted as settlements, is not trusted to time it. The
//     conservative reading is kept: no date within the horizon. A model
//     trained without a 90+ model (too few such invoices to learn it)
//     reads such an invoice the same way: its hazard is no more trusted
//     there for lack of a p_90_plus.
//   - a bundle with an overdue survival then conditions the curve of an
//     overdue invoice on its having stayed open so long (paydate_overdue.go;
//     from day 1, at the pace of its customer's lateness, with the scaled
//     survival of paydate_scaled.go, more than 30 days overdue without):
//     one 90+ days overdue is timed by how such debts were settled in
//     training, and the 90+ share of one less overdue is read from the
//     conditioned curve.
//
// Quantile dates then follow from one curve, so a quantile whose level the
// curve never reaches within the horizon is "beyond the horizon", never a
// date.

// default90Days is how far past due an invoice must stay unpaid to count
// as 90+: the 90+ model's label is DaysLate > default90Days.
const default90Days = 90

// dailyCurve writes to days (of length 7·len(paidBy)+1) the probability of
// payment by the end of each day after the as-of date, day 0 being the
// as-of date itself (0): within week k the hazard's mass is spread evenly
// over its 7 days, the model's weeks counting from the as-of date.
func dailyCurve(paidBy, days []float64) {
	days[0] = 0
	prev := 0.0
	for k, v := range paidBy {
		for j := 1; j <= 7; j++ {
			days[7*k+j] = prev + (v-prev)*float64(j)/7
		}
		prev = v
	}
}

// anchor rescales F so that F[d] = v, keeping F[i] for i ≤ lo: on (lo, d]
// the hazard's increments are scaled to reach v, after d the survival
// 1 − F is scaled by (1 − v)/(1 − F[d]). v must lie in [F[lo], 1].
func anchor(F []float64, lo, d int, v float64) {
	a, b := F[lo], F[d]
	for i := lo + 1; i <= d; i++ {
		if b > a {
			F[i] = a + (F[i]-a)*(v-a)/(b-a)
		} else {
			// The hazard put no mass there: spread it evenly.
			F[i] = a + (v-a)*float64(i-lo)/float64(d-lo)
		}
	}
	for i := d + 1; i < len(F); i++ {
		if b < 1 {
			F[i] = 1 - (1-F[i])*(1-v)/(1-b)
		} else {
			F[i] = v
		}
	}
}

// knot is a day (after the as-of date) by which a classifier says how
// much is paid: due + grace and the on-time share, due + the very-late
// days and one minus the very-late share.
type knot struct {
	day  int
	paid float64
}

// reconcile applies the classifiers to the daily curve F (see above):
// knots, in order of day with non-decreasing shares, are anchored one after
// the other; a knot beyond the horizon caps what is paid within it.
func reconcile(F []float64, knots []knot) {
	h := len(F) - 1
	lo := 0
	for _, k := range knots {
		switch {
		case k.day <= 0:
			// Already past: the invoice is late (or very late) for sure,
			// and nothing is left to say about the days to come.
		case k.day <= h:
			anchor(F, lo, k.day, max(k.paid, F[lo]))
			lo = k.day
		case F[h] > k.paid:
			// The day lies beyond the horizon: no more than its share can
			// be paid before it.
			anchor(F, lo, h, max(k.paid, F[lo]))
		}
	}
}

// reconcileInvoice reconciles F with an invoice's late and very-late knots
// and its 90+ probability p90 (nil without a 90+ model), whose day is d90
// (due + 90 days, after the as-of date): see above. after90[d] (of F's
// length, or nil when the bundle has no overdue survival) is the share of
// debts open 90 days past due that were settled within d more days.
func reconcileInvoice(F []float64, knots []knot, d90 int, p90 *float64, after90 []float64) {
	switch {
	case d90 <= 0 && (p90 == nil || *p90 >= 1):
		// Already 90+ days overdue: nothing within the horizon, with or
		// without a 90+ model (see above).
		clear(F)
		return
	case p90 != nil && d90 > 0:
		knots = append(knots, knot{d90, 1 - *p90})
	}
	reconcile(F, knots)
	if h := len(F) - 1; p90 != nil && d90 > 0 && d90 < h {
		payAfter90(F, d90, after90)
	}
}

// payAfter90 replaces the curve after day d90 (due + 90 days, within the
// horizon) by the share still open then, F[d90], paid at the pace of
// after90 (see reconcileInvoice); nil leaves it unpaid. The curve stays
// non-decreasing in [0, 1] as after90 is.
func payAfter90(F []float64, d90 int, after90 []float64) {
	paid, open := F[d90], 1-F[d90]
	for d := d90 + 1; d < len(F); d++ {
		if after90 == nil {
			F[d] = paid
		} else {
			F[d] = paid + open*after90[d-d90]
		}
	}
}

// quantileDay is the first day at which F reaches q; 0 when it does not
// within the horizon.
func quantileDay(F []float64, q float64) int {
	for d := 1; d < len(F); d++ {
		if F[d] >= q-1e-12 {
			return d
		}
	}
	return 0
}

// payDate fills the weekly payment curve and the P10/median/P90 dates,
// at day resolution, reconciled with the late and 90+ probabilities.
func (s *Scorer) payDate(sc *scratch, p *Prediction, r *features.Row, due datasets.Date) {
	x := s.b.PayDateEnc.EncodeLinear(sc.payX[:0], r)
	s.b.PayDate.PaidByInto(x, p.PaidBy)
	F := sc.days[:7*len(p.PaidBy)+1]
	dailyCurve(p.PaidBy, F)
	o := s.b.Options
	reconcileInvoice(F, []knot{{int(due.AddDays(o.GraceDays) - r.AsOf), p.POnTime}, {int(due.AddDays(o.VeryLateDays) - r.AsOf), 1 - p.PVeryLate}},
		int(due.AddDays(default90Days)-r.AsOf), p.PDefault90, s.after90)
	if s.b.OverdueSurvival != nil || s.b.OverdueScaled != nil {
		if overdue := int(r.AsOf - due); overdue >= s.overdueFrom && overdue > 0 {
			K := sc.survival[:len(F)]
			if s.overdueCurve(r, overdue, K) {
				blendOverdue(F, K, s.overdueW)
				// The 90+ model was taught on the same snapshots as the
				// hazard and no more knows the invoice has stayed open:
				// its share is read from the conditioned curve, so that
				// the two still agree (see paydate_overdue.go).
				// On due + 90 itself (d90 = 0) the invoice is open 90 days
				// past due: 1 − F[0] = 1.
				if d90 := int(due.AddDays(default90Days) - r.AsOf); p.PDefault90 != nil && d90 >= 0 && d90 < len(F) {
					*p.PDefault90 = 1 - F[d90]
				}
				// So are the late and very-late shares of an invoice
				// conditioned before due + grace or due + the very-late
				// days (from day 1 with the scaled survival).
				if dl := int(due.AddDays(o.GraceDays) - r.AsOf); dl >= 0 && dl < len(F) {
					p.POnTime, p.PLate = F[dl], 1-F[dl]
				}
				if dv := int(due.AddDays(o.VeryLateDays) - r.AsOf); dv >= 0 && dv < len(F) {
					p.PVeryLate = 1 - F[dv]
				}
				p.PLate1To30 = math.Max(0, p.PLate-p.PVeryLate)
			}
		}
	}
	s.b.Default90Stopped.holdCurve(F, r.Num, int(due.AddDays(default90Days)-r.AsOf), p, s.after90)
	for k := range p.PaidBy {
		p.PaidBy[k] = F[7*(k+1)]
	}
	at := func(q float64) datasets.Date {
		if d := quantileDay(F, q); d > 0 {
			return r.AsOf.AddDays(d)
		}
		return 0
	}
	p.PayDateP10 = at(0.1)
	p.PayDateP90 = at(0.9)
	p.PayDate = at(0.5)
	d := p.PayDate
	if d == 0 {
		d = r.AsOf.AddDays(len(F) - 1)
	}
	p.PredictedDaysLate = math.Max(0, float64(d-due))
}

// overdueCurve writes to K the conditional curve of a row open overdue
// days past due: of its customer's scale when the bundle has a scaled
// survival and the customer a lateness, of the whole ledger's survival
// otherwise. false when there is none (no survival, or none survived so
// long).
func (s *Scorer) overdueCurve(r *features.Row, overdue int, K []float64) bool {
	if st := s.b.OverdueScaled; st != nil && s.scaleAt >= 0 && s.scaleAt < len(r.Num) {
		if c, ok := st.scale(r.Num[s.scaleAt]); ok {
			return st.conditional(overdue, c, K)
		}
	}
	if ov := s.b.OverdueSurvival; ov != nil {
		return ov.conditional(overdue, K)
	}
	return false
}

// horizonReason says which pay dates lie beyond the horizon and why, or
// "" when the median is within it.
func horizonReason(p *Prediction) string {
	if p.PayDate != 0 || len(p.PaidBy) == 0 {
		return ""
	}
	weeks := len(p.PaidBy)
	unpaid := 1 - p.PaidBy[weeks-1]
	end := longDate(p.AsOf.AddDays(7 * weeks))
	t := fmt.Sprintf("median and P90 pay dates after %s (beyond %d weeks): a %.0f%% chance of no payment by then", end, weeks, 100*unpaid)
	if p.PayDateP10 == 0 {
		t = fmt.Sprintf("no pay date within %d weeks (P10, median and P90 all after %s): a %.0f%% chance of no payment by then", weeks, end, 100*unpaid)
	}
	// No "; " inside: reasons are joined with it.
	if p.DueDate.AddDays(default90Days) < p.AsOf {
		switch {
		case unpaid < 1-1e-9:
			// A bundle's overdue survival timed it (paydate_overdue.go).
			return t + ", as it is already more than 90 days overdue (timed by how debts that old were settled in training)"
		case p.PDefault90 == nil:
			return t + ", as it is already more than 90 days overdue (not timed within the horizon)"
		default:
			return t + ", as it is already more than 90 days overdue (counted as not paid within the horizon)"
		}
	}
	if p.PDefault90 != nil && *p.PDefault90 >= unpaid-1e-9 {
		if *p.PDefault90 > unpaid+0.005 {
			// Due + 90 days lies within the horizon and part of the 90+
			// share is paid after it (see above).
			return t + fmt.Sprintf(", part of its %.0f%% chance of ending 90+ days overdue or written off (the rest paid after due + 90 days, as debts that old were)", 100**p.PDefault90)
		}
		return t + ", its chance of ending 90+ days overdue or written off"
	}
	return t
}
