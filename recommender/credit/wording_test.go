package credit

import (
	"math"
	"regexp"
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
)

// A limit below what the customer owes now holds a customer in good
// standing: the need and the starting limit never go below the exposure
// (with the headroom, rounded up to the grid); only a cap of risk or of the
// credit report, a default, a hold or 90+ debt may, and then the
// suggestion says why (BelowExposure).
func TestSuggestNeverBelowExposureWithoutAReason(t *testing.T) {
	pol := DefaultPolicy()
	// C2 (small business, starting limit 5,000 EUR) joined a week ago
	// with one invoice of 1,500 EUR; more open invoices raise its exposure.
	owing := func(amount datasets.Money) func(*datasets.Ledger) {
		return func(l *datasets.Ledger) {
			l.Invoices = append(l.Invoices, datasets.Invoice{ID: "J0002", CustomerID: "C2", IssueDate: asOf.AddDays(-2),
				DueDate: asOf.AddDays(28), Amount: amount, Currency: "EUR", Segment: "small_business"})
		}
	}
	cases := []struct {
		name   string
		edit   func(*datasets.Ledger)
		pd     float64
		bound  string
		below  string // "" when the suggestion must cover the exposure
		reason string
	}{
		{name: "exposure under the starting limit", pd: 0.05, bound: BoundColdStart,
			reason: "the small business starting limit of 5,000 EUR"},
		{name: "exposure over the starting limit", edit: owing(8_000_00), pd: 0.05, bound: BoundExposure,
			reason: "it owes 9,500 EUR now, more than the starting limit allows: the limit is not set below the exposure"},
		// With a PD of 50% the appetite (0.75% of the invoicing a year)
		// allows far less than the 30,000 EUR owed, but more than the
		// 2,000 EUR limit in force: no cut (it used to say "the cut is
		// advised"), a limit short of the exposure.
		{name: "risk cap under the exposure", edit: owing(28_500_00), pd: 0.5, bound: BoundRiskAppetite,
			below: "no higher limit is advised because of the risk appetite"},
		{name: "credit hold", pd: 0.05, bound: BoundCreditHold, below: "the cut is advised because of the credit hold",
			edit: func(l *datasets.Ledger) {
				l.Actions = append(l.Actions, datasets.Action{ID: "A1", CustomerID: "C2", Date: asOf.AddDays(-1), Type: "credit_hold", Channel: "letter"})
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := baseLedger()
			if tc.edit != nil {
				tc.edit(l)
			}
			s := suggestOne(t, l, pol, map[string]Risk{"C2": {PD: tc.pd, Source: "model"}}, "C2")
			all := strings.Join(s.Reasons, " | ")
			if s.Bound != tc.bound {
				t.Fatalf("bound %s, want %s\n%s", s.Bound, tc.bound, all)
			}
			exp := s.Exposure.Money()
			if exp != exposureOf(l, "C2", asOf) {
				t.Fatalf("exposure %s, want %s", exp, exposureOf(l, "C2", asOf))
			}
			switch {
			case tc.below == "" && (s.Suggested.Money() < exp || s.BelowExposure != ""):
				t.Fatalf("suggested %s for an exposure of %s (below_exposure %q)\n%s", s.Suggested.Money(), exp, s.BelowExposure, all)
			case tc.below != "" && (s.Suggested.Money() >= exp || !strings.Contains(s.BelowExposure, tc.below) || !strings.Contains(all, s.BelowExposure)):
				t.Fatalf("suggested %s for an exposure of %s: below_exposure %q, want it to say %q and be among the reasons\n%s",
					s.Suggested.Money(), exp, s.BelowExposure, tc.below, all)
			}
			if tc.bound == BoundExposure {
				floor := datasets.Money(math.Round(float64(exp) * pol.Need.Headroom))
				if want := pol.roundUp(floor); s.Suggested.Money() != want || want < floor {
					t.Fatalf("suggested %s, want the exposure with the headroom (%s) rounded up to the grid: %s", s.Suggested.Money(), floor, want)
				}
			}
			if !strings.Contains(all, tc.reason) {
				t.Fatalf("reasons lack %q:\n%s", tc.reason, all)
			}
		})
	}
}

// The need's reason quotes the history's monthly mean as one, not as a
// total over the months.
func TestNeedReasonSaysMonthlyMean(t *testing.T) {
	l := baseLedger()
	// The last three months invoice twice as much: the recent run-rate
	// binds and the year's is quoted beside it.
	for i := range l.Invoices {
		if v := &l.Invoices[i]; v.CustomerID == "C1" && asOf-v.IssueDate < 90 {
			v.Amount *= 2
		}
	}
	for i := range l.Payments {
		if p := &l.Payments[i]; p.CustomerID == "C1" && asOf-p.Date < 90-baseTerms-baseLate {
			p.Amount *= 2
		}
	}
	s := suggestOne(t, l, DefaultPolicy(), map[string]Risk{"C1": {PD: 0.01, Source: "model"}}, "C1")
	all := strings.Join(s.Reasons, " | ")
	if !regexp.MustCompile(`\(the last 3 months; [0-9,]+ EUR a month on average over the last 1[23] months\)`).MatchString(all) {
		t.Fatalf("reasons do not quote the monthly mean as such:\n%s", all)
	}
	if regexp.MustCompile(`EUR over \d+ months`).MatchString(all) {
		t.Fatalf("reasons quote a monthly mean as a total:\n%s", all)
	}
}

// No sentence of the advice counts one thing in the plural.
func TestCreditSentencesPluralise(t *testing.T) {
	l := baseLedger()
	// C1 pays one day late; one invoice of C1 is long overdue.
	for i := range l.Invoices {
		v := &l.Invoices[i]
		if v.CustomerID == "C1" && v.SettledDate != 0 {
			v.SettledDate = v.DueDate.AddDays(1)
		}
	}
	for i := range l.Payments {
		p := &l.Payments[i]
		p.Date = p.Date.AddDays(1 - baseLate)
	}
	pol := DefaultPolicy()
	pol.Flags.OverdueDays = 1
	risk := map[string]Risk{"C1": {PD: 0.01, Source: "model"}, "C2": {PD: 0.05, Source: "model"}}
	sug, err := Suggest(l, asOf, pol, Options{Risk: risk})
	if err != nil {
		t.Fatal(err)
	}
	var text []string
	for _, s := range sug.Rows {
		text = append(text, s.Reasons...)
	}
	flags, _, err := Flags(l, asOf, pol, Options{Risk: risk})
	if err != nil {
		t.Fatal(err)
	}
	for _, cf := range flags {
		for _, f := range cf.Flags {
			text = append(text, f.Reason, f.Resolution)
		}
	}
	all := strings.Join(text, " | ")
	if !strings.Contains(all, "pays 1 day late on average") {
		t.Fatalf("want \"pays 1 day late on average\" among:\n%s", all)
	}
	if m := regexp.MustCompile(`\b1 (day|invoice|month|promise|time)s\b`).FindString(all); m != "" {
		t.Fatalf("%q in:\n%s", m, all)
	}
}
