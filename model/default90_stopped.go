package model

import (
	"fmt"
	"math"
	"slices"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
)

// A customer that has stopped paying leaves every invoice it owes unpaid,
// but the 90+ model does not see it: its features at an invoice's issue
// (the snapshots it learns from) are those of a late payer, and on a small
// ledger the stops it could learn from are one or two customers' last
// months, which the customer-grouped check (default90.go) rightly refuses
// to trust. On the trial36 ledger as of 2026-08-30 a customer that had
// paid nothing since 2026-04-21 and held an invoice 146 days past due got
// p_90_plus 0.03–0.27 on its 12 invoices not yet 90 days past due, all of
// which the generator never pays.
//
// The state is observable at the date t scored, from two features as of t:
// the customer holds an invoice at least stoppedOverdueDays past due
// (oldest_overdue_days) and has paid nothing for at least stoppedSilentDays
// (days_since_last_payment; missing, never paid, counts as silent). Both
// are definitions, as the 90-day line itself is: the first says a debt has
// already gone 90+, the second that this is not a slow payer still paying
// its other invoices (those pay something every few weeks).
//
// What the state means is learned from the ledger's history: each invoice
// whose 90+ outcome is known at the cut-off and that was open (issued and
// not settled, before its 90th day past due) on a day its customer was in
// the state, as the snapshots of any of the customer's invoices show that
// day, counts once, 90+ or not. Invoices of one customer go together, so
// the share is taken over customers, each weighing its own share, by the
// rule of succession: (Σ shares + 1) / (customers + 2), which on two
// customers who never paid again is 0.75, not 1, and tends to the
// customers' mean as they grow. A ledger whose history holds no such
// customer gets no floor (StoppedPaying nil): the 90+ probabilities of a
// customer that has stopped are then the model's own, and the training
// summary says so (Notes).
//
// The scorer raises the 90+ probability of an invoice of a customer in the
// state, not yet 90 days past due, to the share when it is below it (and
// the very-late and late probabilities with it, which cannot be lower),
// and holds the payment curve to it (holdCurve).
//
// Measured (stop 36, p_90_plus of the open book against the generator's
// outcomes): on the trial36 export as of 2026-08-30 (the 90+ model fell
// back to 0.050 of p_very_late) the share was learned from 5 invoices of
// 1 customer, 0.67: the stopped customer's 12 invoices not yet 90+ went
// from 0.03–0.27 to 0.67–0.73, the book's Brier score from 0.0690 to
// 0.0390 (log loss 0.235 to 0.152; 11.9 90+ invoices expected among
// those not yet 90+, 5.3 before, 22 happened: the three other defaulters
// are not in the state that day, the oldest of their invoices 59 days past
// due at most). On the full export as of 2026-11-27, where the 90+ model
// held (gbdt), 0.75 from 17 invoices of 2 customers: Brier 0.0788 to
// 0.0088 (log loss 0.249 to 0.049), the four defaulters' mean 0.46 to
// 0.85, no other kind of customer changed. Simulated ledgers as the
// README's "90+ model" figures (trained 2024-06-30, outcome by
// 2024-12-31): seed 42 unchanged (its model held and gave the 4 such
// invoices 0.99, above the 0.88 learned from 7 customers), seed 19 Brier 0.0060 to 0.0040 (log loss 0.0312
// to 0.0268), seed 7 0.0263 to 0.0209 (0.1051 to 0.0922), seed 23 (200
// customers, not looked at before) 0.0078 to 0.0071 (0.0242 to 0.0226);
// AUC unchanged on each. The 60 silent days were set before any of
// this was measured; 30 gave the same figures on the trial and seeds 7
// and 23, 0.0038 on seed 19; 90 the same on the trial, while seeds 19,
// 7 and 23 then held no such customer in their history and kept their
// figures from before (the fallback).

// The state's definitions (see above).
const (
	stoppedOverdueDays = default90Days
	stoppedSilentDays  = 60
)

// StoppedPaying is the 90+ probability learned for the invoices of
// customers that have stopped paying (see above).
type StoppedPaying struct {
	OverdueDays int `json:"overdue_days"`
	SilentDays  int `json:"silent_days"`
	// Share is the 90+ probability of an invoice open while its customer
	// is in the state; Customers, Invoices and Positives are the evidence
	// it was learned from.
	Share     float64 `json:"share"`
	Customers int     `json:"customers"`
	Invoices  int     `json:"invoices"`
	Positives int     `json:"positives"`

	// Positions of the two features in a row's numeric values, set by
	// prepare.
	oldest, silent int
}

// stoppedAt reports whether a row's customer is in the state: num holds
// oldest_overdue_days at oldest and days_since_last_payment at silent.
func stoppedAt(num []float64, oldest, silent, overdueDays, silentDays int) bool {
	if oldest < 0 || silent < 0 || oldest >= len(num) || silent >= len(num) {
		return false
	}
	od, sl := num[oldest], num[silent]
	return od >= float64(overdueDays) && (math.IsNaN(sl) || sl >= float64(silentDays))
}

// stoppedPositions finds the state's features among specs.
func stoppedPositions(specs []features.Spec) (oldest, silent int, ok bool) {
	o, ok1 := features.Find(specs, "oldest_overdue_days", 0)
	s, ok2 := features.Find(specs, "days_since_last_payment", 0)
	return o, s, ok1 && ok2
}

// fitStopped learns the state's 90+ share from all, every snapshot of the
// training window (their rows as of their dates, their outcomes as of
// asOf), described by specs; label says whether an invoice went 90+. It
// returns nil when the specs lack the features or no invoice with a known
// outcome was open while its customer was in the state.
func fitStopped(all []features.Example, specs []features.Spec, label func(*features.Example) bool, asOf datasets.Date) *StoppedPaying {
	oldest, silent, ok := stoppedPositions(specs)
	if !ok {
		return nil
	}
	// The days each customer was in the state, from the rows of any of its
	// invoices (a customer's features are the same on all of them).
	days := map[string][]datasets.Date{}
	for i := range all {
		x := &all[i]
		if stoppedAt(x.Num, oldest, silent, stoppedOverdueDays, stoppedSilentDays) {
			days[x.CustomerID] = append(days[x.CustomerID], x.AsOf)
		}
	}
	if len(days) == 0 {
		return nil
	}
	for id, d := range days {
		slices.Sort(d)
		days[id] = slices.Compact(d)
	}
	type tally struct{ n, pos int }
	by := map[string]*tally{}
	seen := map[string]bool{}
	for i := range all {
		x := &all[i]
		d, ok := days[x.CustomerID]
		if !ok || seen[x.InvoiceID] {
			continue
		}
		mark := x.DueDate.AddDays(default90Days)
		if mark >= asOf {
			continue // its 90+ outcome is not known yet
		}
		// Open from its issue until it was settled (still open at the
		// cut-off when censored); only the days before its 90-day mark
		// count: past it, the scorer already says 1.
		end := mark
		if !x.Censored {
			end = min(end, x.IssueDate.AddDays(x.DaysToPay))
		}
		k, _ := slices.BinarySearch(d, x.IssueDate)
		if k == len(d) || d[k] >= end {
			continue
		}
		seen[x.InvoiceID] = true
		t := by[x.CustomerID]
		if t == nil {
			t = &tally{}
			by[x.CustomerID] = t
		}
		t.n++
		if label(x) {
			t.pos++
		}
	}
	if len(by) == 0 {
		return nil
	}
	st := &StoppedPaying{OverdueDays: stoppedOverdueDays, SilentDays: stoppedSilentDays, Customers: len(by), oldest: oldest, silent: silent}
	sum := 0.0
	// In the customers' order, so that training is reproducible to the bit.
	for _, id := range sortedKeys(by) {
		t := by[id]
		st.Invoices += t.n
		st.Positives += t.pos
		sum += float64(t.pos) / float64(t.n)
	}
	st.Share = (sum + 1) / float64(st.Customers+2)
	return st
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// prepare checks st and finds its features among specs, the rows the
// scorer reads.
func (st *StoppedPaying) prepare(specs []features.Spec) error {
	if !(st.Share > 0 && st.Share <= 1) || st.OverdueDays < 1 || st.SilentDays < 1 {
		return fmt.Errorf("%w: the stopped-paying 90+ share is %v after %d days past due and %d silent (want a share in (0, 1], days ≥ 1)", ErrBadBundle, st.Share, st.OverdueDays, st.SilentDays)
	}
	var ok bool
	if st.oldest, st.silent, ok = stoppedPositions(specs); !ok {
		return fmt.Errorf("%w: the stopped-paying 90+ share reads oldest_overdue_days and days_since_last_payment, which the feature specs lack", ErrBadBundle)
	}
	return nil
}

// raise lifts p's 90+ probability to the share when num, its row, says
// its customer has stopped paying and the invoice is not yet default90Days
// past due (overdue days, as of the row's date): see above. It reports
// whether it applied.
func (st *StoppedPaying) raise(p *Prediction, num []float64, overdue int) bool {
	if st == nil || p.PDefault90 == nil || overdue >= default90Days || !stoppedAt(num, st.oldest, st.silent, st.OverdueDays, st.SilentDays) {
		return false
	}
	*p.PDefault90 = max(*p.PDefault90, st.Share)
	p.PVeryLate = max(p.PVeryLate, *p.PDefault90)
	p.PLate = max(p.PLate, p.PVeryLate)
	return true
}

// holdCurve keeps the daily payment curve F (day 0 the as-of date) of an
// invoice whose row num says its customer has stopped paying from paying more than 1 − share by its 90-day
// mark d90 (days after the as-of date), after which what is left is paid
// at the pace of after90 (nil: not at all), as reconcileInvoice does. The
// overdue survival, read for invoices well past due, knows nothing of the
// stop and would pay them as the ledger's slow payers pay. It then makes
// the 90+, very-late and late probabilities agree with the curve.
func (st *StoppedPaying) holdCurve(F []float64, num []float64, d90 int, p *Prediction, after90 []float64) {
	if st == nil || p.PDefault90 == nil || d90 <= 0 || !stoppedAt(num, st.oldest, st.silent, st.OverdueDays, st.SilentDays) {
		return
	}
	floor := st.Share
	h := len(F) - 1
	for d := 0; d <= min(d90, h); d++ {
		F[d] = min(F[d], 1-floor)
	}
	if d90 < h {
		payAfter90(F, d90, after90)
		*p.PDefault90 = max(*p.PDefault90, 1-F[d90])
	} else {
		*p.PDefault90 = max(*p.PDefault90, floor)
	}
	p.PVeryLate = max(p.PVeryLate, *p.PDefault90)
	p.PLate = max(p.PLate, p.PVeryLate)
	p.POnTime = 1 - p.PLate
	p.PLate1To30 = max(0, p.PLate-p.PVeryLate)
}

// Notes says, for the training summary, how b's 90+ probabilities were
// learned: the model held on customers it had not seen, or the share of
// the very-late probability it fell back to (said until now only in the
// logs), and what a customer that has stopped paying gets: st, b's
// stopped-paying share, nil when the history held none.
func (st *StoppedPaying) Notes(b *Bundle) []string {
	if b.Default90 == nil {
		return nil
	}
	var out []string
	switch {
	case b.Default90OfVeryLate == nil:
		out = append(out, fmt.Sprintf("90+ model: %s, kept as it beat the training share (%.3f) on customers held out", b.Default90.Family, b.Default90.Base))
	case b.Default90Customer != nil && b.Default90Customer.Kept:
		c := b.Default90Customer
		out = append(out, fmt.Sprintf("90+ model: no better than the training share on customers it had not seen; p_90_plus is each customer's own share of p_very_late, from its 90+ history, silence while overdue and lateness as of the date scored, shrunk toward the ledger's %.3f (at least the training share %.3f): it beat the ledger share on the time-series folds, log loss %.4f against %.4f (± %.4f, %d snapshots of %d customers)",
			c.Share, b.Default90.Base, c.Gain.LogLoss, c.Gain.Reference, c.Gain.SE, c.Gain.N, c.Gain.Customers))
	case b.Default90OfVeryLatePast90 != nil:
		out = append(out, fmt.Sprintf("90+ model: no better than the training share on customers it had not seen; p_90_plus is %.3f of p_very_late for customers with an invoice gone 90+ before, %.3f for the others (at least the training share %.3f)",
			*b.Default90OfVeryLatePast90, *b.Default90OfVeryLate, b.Default90.Base))
	default:
		out = append(out, fmt.Sprintf("90+ model: no better than the training share on customers it had not seen; p_90_plus is %.3f of p_very_late (at least the training share %.3f)", *b.Default90OfVeryLate, b.Default90.Base))
	}
	if c := b.Default90Customer; c != nil && !c.Kept {
		out = append(out, fmt.Sprintf("90+ share per customer: not used, it did not beat the ledger share by %d standard errors on the time-series folds (log loss %.4f against %.4f, ± %.4f, %d snapshots of %d customers)",
			default90Z, c.Gain.LogLoss, c.Gain.Reference, c.Gain.SE, c.Gain.N, c.Gain.Customers))
	}
	if st != nil {
		who := "such customers"
		if st.Customers == 1 {
			who = "such customer"
		}
		out = append(out, fmt.Sprintf("customers that stopped paying (an invoice %d+ days past due, nothing paid for %d+ days): p_90_plus at least %.2f, learned from %d invoices of %d %s, %d of them 90+",
			st.OverdueDays, st.SilentDays, st.Share, st.Invoices, st.Customers, who, st.Positives))
	} else {
		out = append(out, fmt.Sprintf("customers that stopped paying (an invoice %d+ days past due, nothing paid for %d+ days): none in the training window's history, so their p_90_plus is the model's own and may be far too low: check the customers with days_since_last_payment ≥ %d",
			stoppedOverdueDays, stoppedSilentDays, stoppedSilentDays))
	}
	return out
}
