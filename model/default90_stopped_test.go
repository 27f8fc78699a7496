package model

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
)

// The state's two features, in a row of three numeric values (an
// unrelated one first, so that positions matter).
var stoppedSpecs = []features.Spec{
	{Name: "tenure_days", Base: "tenure_days", Kind: features.Numeric},
	{Name: "oldest_overdue_days", Base: "oldest_overdue_days", Kind: features.Numeric},
	{Name: "days_since_last_payment", Base: "days_since_last_payment", Kind: features.Numeric},
}

func TestStoppedAt(t *testing.T) {
	nan := math.NaN()
	for _, tc := range []struct {
		name          string
		oldest, quiet float64
		want          bool
	}{
		{"90 days past due, 60 silent", 90, 60, true},
		{"146 past due, 131 silent", 146, 131, true},
		{"never paid, 120 past due", 120, nan, true},
		{"89 past due, long silent", 89, 200, false},
		{"long past due, still paying", 150, 59, false},
		{"nothing open", 0, 300, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			num := []float64{400, tc.oldest, tc.quiet}
			if got := stoppedAt(num, 1, 2, stoppedOverdueDays, stoppedSilentDays); got != tc.want {
				t.Fatalf("stoppedAt(%v) = %v, want %v", num, got, tc.want)
			}
		})
	}
	if stoppedAt([]float64{400, 150}, 1, 2, 90, 60) || stoppedAt([]float64{400, 150, 100}, -1, 2, 90, 60) {
		t.Fatal("a row without the features is said to be in the state")
	}
}

// ledger90 builds snapshots: each invoice of a customer issued on day
// issue (days after day 0), due 30 days later, settled daysToPay after
// issue (-1: still open at the cut-off), with a snapshot at issue whose
// customer features say oldest overdue and silent days.
type snap90 struct {
	cust, inv             string
	issue, daysToPay      int
	oldest, silent        float64
	extraSnap, extraState int // a second snapshot this many days after issue (0: none), in the state when extraState is 1
}

func ledger90(day0, asOf datasets.Date, ss []snap90) []features.Example {
	var xs []features.Example
	for _, s := range ss {
		issue := day0.AddDays(s.issue)
		x := features.Example{IssueDate: issue, DueDate: issue.AddDays(30)}
		if s.daysToPay < 0 {
			x.Censored, x.DaysToPay = true, int(asOf-issue)
		} else {
			x.DaysToPay = s.daysToPay
		}
		x.DaysLate = max(0, x.DaysToPay-30)
		x.Row = features.Row{CustomerID: s.cust, InvoiceID: s.inv, AsOf: issue, Num: []float64{400, s.oldest, s.silent}}
		xs = append(xs, x)
		if s.extraSnap > 0 {
			y := x
			y.Row.AsOf = issue.AddDays(s.extraSnap)
			y.Row.Num = []float64{400, 10, 5}
			if s.extraState == 1 {
				y.Row.Num = []float64{400, 100, 70}
			}
			xs = append(xs, y)
		}
	}
	return xs
}

func TestFitStopped(t *testing.T) {
	day0 := datasets.NewDate(2025, 1, 1)
	asOf := day0.AddDays(400)
	label := func(x *features.Example) bool { return x.DaysLate > default90Days }
	for _, tc := range []struct {
		name                          string
		snaps                         []snap90
		specs                         []features.Spec
		nilWant                       bool
		share                         float64
		customers, invoices, positive int
	}{
		{
			name: "one customer never paid again, one paid what it owed",
			snaps: []snap90{
				// A: in the state from day 100; its invoices open then
				// were never paid.
				{cust: "A", inv: "A1", issue: 10, daysToPay: -1, oldest: 0, silent: 5},
				{cust: "A", inv: "A2", issue: 100, daysToPay: -1, oldest: 120, silent: 80},
				{cust: "A", inv: "A3", issue: 120, daysToPay: -1, oldest: 140, silent: 100},
				// B: in the state on day 200; its invoice then was
				// paid 40 days late, one paid before the state is not
				// counted.
				{cust: "B", inv: "B0", issue: 50, daysToPay: 60, oldest: 0, silent: 3},
				{cust: "B", inv: "B1", issue: 200, daysToPay: 70, oldest: 95, silent: 61},
				// C never in the state.
				{cust: "C", inv: "C1", issue: 200, daysToPay: -1, oldest: 30, silent: 10},
			},
			specs: stoppedSpecs,
			// A: 1 (A1 open on day 100, A2, A3), B: 0 → (1 + 0 + 1) / (2 + 2)
			share: 0.5, customers: 2, invoices: 4, positive: 3,
		},
		{
			name: "the state seen on another invoice's later snapshot",
			snaps: []snap90{
				// D's invoice D1 is open when the snapshot of D2, 20
				// days before its due date... says D is in the state.
				{cust: "D", inv: "D1", issue: 100, daysToPay: 200, oldest: 0, silent: 10},
				{cust: "D", inv: "D2", issue: 110, daysToPay: 20, oldest: 0, silent: 10, extraSnap: 10, extraState: 1},
			},
			specs: stoppedSpecs,
			// D1 (open on day 120, went 90+) and D2 (open until day 130)
			// count: D's share 1/2 → (0.5 + 1) / 3
			share: 0.5, customers: 1, invoices: 2, positive: 1,
		},
		{
			name: "outcomes not known by the cut-off teach nothing",
			snaps: []snap90{
				{cust: "E", inv: "E1", issue: 350, daysToPay: -1, oldest: 200, silent: 150},
			},
			specs:   stoppedSpecs,
			nilWant: true,
		},
		{
			name: "no customer ever stopped",
			snaps: []snap90{
				{cust: "F", inv: "F1", issue: 10, daysToPay: 150, oldest: 100, silent: 20},
			},
			specs:   stoppedSpecs,
			nilWant: true,
		},
		{
			name: "specs without the features",
			snaps: []snap90{
				{cust: "A", inv: "A2", issue: 100, daysToPay: -1, oldest: 120, silent: 80},
			},
			specs:   stoppedSpecs[:2],
			nilWant: true,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := fitStopped(ledger90(day0, asOf, tc.snaps), tc.specs, label, asOf)
			if tc.nilWant {
				if st != nil {
					t.Fatalf("got %+v, want none", *st)
				}
				return
			}
			if st == nil {
				t.Fatal("got none")
			}
			if math.Abs(st.Share-tc.share) > 1e-12 || st.Customers != tc.customers || st.Invoices != tc.invoices || st.Positives != tc.positive {
				t.Fatalf("got share %v from %d customers, %d invoices, %d 90+; want %v, %d, %d, %d",
					st.Share, st.Customers, st.Invoices, st.Positives, tc.share, tc.customers, tc.invoices, tc.positive)
			}
			if st.oldest != 1 || st.silent != 2 || st.OverdueDays != stoppedOverdueDays || st.SilentDays != stoppedSilentDays {
				t.Fatalf("state read at %d, %d after %d and %d days", st.oldest, st.silent, st.OverdueDays, st.SilentDays)
			}
		})
	}
}

func TestStoppedRaise(t *testing.T) {
	st := &StoppedPaying{OverdueDays: 90, SilentDays: 60, Share: 0.7, oldest: 1, silent: 2}
	in, out := []float64{0, 120, 100}, []float64{0, 40, 100}
	for _, tc := range []struct {
		name                  string
		num                   []float64
		overdue               int
		p90, veryLate, late   float64
		applied               bool
		want90, wantVL, wantL float64
	}{
		{"stopped, not yet due", in, -20, 0.1, 0.3, 0.6, true, 0.7, 0.7, 0.7},
		{"stopped, the model already higher", in, 10, 0.8, 0.9, 1, true, 0.8, 0.9, 1},
		{"stopped, already 90+ (the scorer's 1 stands)", in, 95, 1, 1, 1, false, 1, 1, 1},
		{"not stopped", out, 10, 0.1, 0.3, 1, false, 0.1, 0.3, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := tc.p90
			p := &Prediction{PDefault90: &v, PVeryLate: tc.veryLate, PLate: tc.late}
			if got := st.raise(p, tc.num, tc.overdue); got != tc.applied {
				t.Fatalf("applied %v, want %v", got, tc.applied)
			}
			if *p.PDefault90 != tc.want90 || p.PVeryLate != tc.wantVL || p.PLate != tc.wantL {
				t.Fatalf("got 90+ %v very late %v late %v, want %v %v %v", *p.PDefault90, p.PVeryLate, p.PLate, tc.want90, tc.wantVL, tc.wantL)
			}
		})
	}
	var none *StoppedPaying
	v := 0.1
	if none.raise(&Prediction{PDefault90: &v}, in, 0) || v != 0.1 {
		t.Fatal("a bundle without the share raised a probability")
	}
}

func TestStoppedHoldCurve(t *testing.T) {
	st := &StoppedPaying{OverdueDays: 90, SilentDays: 60, Share: 0.7, oldest: 1, silent: 2}
	in := []float64{0, 120, 100}
	after90 := make([]float64, 92)
	for d := range after90 {
		after90[d] = min(1, float64(d)/40)
	}
	for _, tc := range []struct {
		name    string
		d90     int
		after90 []float64
		num     []float64
		held    bool
	}{
		{"90-day mark within the horizon, paid after at the ledger's pace", 30, after90, in, true},
		{"90-day mark within the horizon, no survival", 30, nil, in, true},
		{"90-day mark beyond the horizon", 200, after90, in, true},
		{"not stopped", 30, after90, []float64{0, 20, 100}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			F := make([]float64, 92)
			for d := range F {
				F[d] = 0.9 * float64(d) / 91 // mostly paid within the horizon
			}
			before := append([]float64(nil), F...)
			v := 0.2
			p := &Prediction{PDefault90: &v, PVeryLate: 0.5, PLate: 0.8, POnTime: 0.2}
			st.holdCurve(F, tc.num, tc.d90, p, tc.after90)
			if !tc.held {
				for d := range F {
					if F[d] != before[d] {
						t.Fatalf("day %d moved from %v to %v", d, before[d], F[d])
					}
				}
				return
			}
			h := len(F) - 1
			for d := 1; d <= h; d++ {
				if F[d] < F[d-1]-1e-12 || F[d] > 1 {
					t.Fatalf("curve not a distribution at day %d: %v after %v", d, F[d], F[d-1])
				}
			}
			for d := 0; d <= min(tc.d90, h); d++ {
				if F[d] > 1-st.Share+1e-12 {
					t.Fatalf("day %d pays %v, more than 1 − %v by the 90-day mark", d, F[d], st.Share)
				}
			}
			if tc.d90 < h && tc.after90 == nil && F[h] != F[tc.d90] {
				t.Fatalf("paid %v after the mark without a survival to pay it by", F[h]-F[tc.d90])
			}
			if tc.d90 < h && tc.after90 != nil && !(F[h] > F[tc.d90]) {
				t.Fatalf("nothing paid after the mark at the ledger's pace: %v", F[h])
			}
			if *p.PDefault90 < st.Share || p.PVeryLate < *p.PDefault90 || p.PLate < p.PVeryLate || math.Abs(p.POnTime+p.PLate-1) > 1e-12 {
				t.Fatalf("probabilities disagree: 90+ %v very late %v late %v on time %v", *p.PDefault90, p.PVeryLate, p.PLate, p.POnTime)
			}
		})
	}
}

func TestStoppedPrepare(t *testing.T) {
	for _, tc := range []struct {
		name  string
		st    StoppedPaying
		specs []features.Spec
		ok    bool
	}{
		{"sound", StoppedPaying{OverdueDays: 90, SilentDays: 60, Share: 0.75}, stoppedSpecs, true},
		{"share above 1", StoppedPaying{OverdueDays: 90, SilentDays: 60, Share: 1.5}, stoppedSpecs, false},
		{"no share", StoppedPaying{OverdueDays: 90, SilentDays: 60, Share: math.NaN()}, stoppedSpecs, false},
		{"no silence", StoppedPaying{OverdueDays: 90, Share: 0.75}, stoppedSpecs, false},
		{"specs lack the features", StoppedPaying{OverdueDays: 90, SilentDays: 60, Share: 0.75}, stoppedSpecs[:1], false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := tc.st
			err := st.prepare(tc.specs)
			if tc.ok {
				if err != nil || st.oldest != 1 || st.silent != 2 {
					t.Fatalf("err %v, positions %d %d", err, st.oldest, st.silent)
				}
				return
			}
			if !errors.Is(err, ErrBadBundle) {
				t.Fatalf("err %v, want ErrBadBundle", err)
			}
		})
	}
}

func TestStoppedNotes(t *testing.T) {
	share, past := 0.05, 0.2
	for _, tc := range []struct {
		name string
		b    Bundle
		st   *StoppedPaying
		want []string
	}{
		{"no 90+ model", Bundle{}, nil, nil},
		{"fallback, no stop in the history", Bundle{Default90: priorClassifier(5, 100), Default90OfVeryLate: &share}, nil,
			[]string{"0.050 of p_very_late", "none in the training window's history"}},
		{"split fallback, stop learned", Bundle{Default90: priorClassifier(5, 100), Default90OfVeryLate: &share, Default90OfVeryLatePast90: &past},
			&StoppedPaying{OverdueDays: 90, SilentDays: 60, Share: 0.75, Customers: 2, Invoices: 9, Positives: 9},
			[]string{"0.200 of p_very_late for customers with an invoice gone 90+", "at least 0.75, learned from 9 invoices of 2"}},
		{"model held", Bundle{Default90: &Classifier{Family: FamilyGBDT, Base: 0.02}}, nil,
			[]string{"kept as it beat the training share (0.020)", "none in the training window's history"}},
		{"stop learned from one customer", Bundle{Default90: priorClassifier(5, 100), Default90OfVeryLate: &share},
			&StoppedPaying{OverdueDays: 90, SilentDays: 60, Share: 2.0 / 3, Customers: 1, Invoices: 5, Positives: 5},
			[]string{"at least 0.67, learned from 5 invoices of 1 such customer, 5 of them 90+"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := strings.Join(tc.st.Notes(&tc.b), "\n")
			if tc.want == nil && got != "" {
				t.Fatalf("got %q, want nothing", got)
			}
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Fatalf("%q lacks %q", got, w)
				}
			}
		})
	}
}
