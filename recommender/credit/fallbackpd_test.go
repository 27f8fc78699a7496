package credit

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
)

// An increase resting on a PD not learnt for the customer (its segment's
// rate: no model gave it one) says so: its low class and the risk cap are
// the segment's. It was shown as class low with no caution.
func TestSuggestIncreaseOnAFallbackPDCautions(t *testing.T) {
	const caution = "caution: the increase rests on a probability of default that was not learnt for this customer"
	// The segment's rate as assess gives it (pdOf) to a customer no model
	// scored: the base ledger's two customers would make it the prior's.
	segment := map[string]Risk{"C1": {PD: 0.004, Source: "segment"}}
	cases := []struct {
		name    string
		risk    map[string]Risk
		limit   datasets.Money // C1's limit in force
		caution bool
	}{
		{"an increase on the segment's rate", segment, baseLimit, true},
		{"an increase on the model's PD", map[string]Risk{"C1": {PD: 0.004, Source: "model"}}, baseLimit, false},
		{"a cut on the segment's rate", segment, 10_000_000_00, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := baseLedger()
			l.Customers[0].CreditLimit = tc.limit
			l.CreditDecisions[0].NewLimit = tc.limit
			s := suggestOne(t, l, DefaultPolicy(), tc.risk, "C1")
			all := strings.Join(s.Reasons, " | ")
			if up := s.Change.Money() > 0; up != (tc.limit == baseLimit) {
				t.Fatalf("change %s: the case wants an increase %v", s.Change.Money(), up)
			}
			if got := strings.Contains(all, caution); got != tc.caution || got != (s.PDCaution != "") {
				t.Fatalf("pd_source %s, change %s, caution %q; reasons:\n%s", s.PDSource, s.Change.Money(), s.PDCaution, all)
			}
			if tc.risk["C1"].Source == "segment" && !strings.Contains(all, "risk class "+s.RiskClass+" (the segment's rate, not the customer's own)") {
				t.Errorf("the class on the segment's rate does not say so:\n%s", all)
			}
		})
	}
}

// A suggestion's own review date is what a proposal made on the next day,
// the first on which its as-of day is whole, would record: the cadence of
// the class at the last month-end on or before the as-of day (counted
// from the as-of day). It took the as-of day's class, so that a class seen
// since the month-end promised a date the approval would not record.
func TestSuggestionReviewFollowsTheProposalsClass(t *testing.T) {
	cases := []struct {
		name      string
		risk      dayRisk
		asOf      datasets.Date
		wantClass string // the class that sets the review
	}{
		{"a worse class seen after the month-end", dayRisk{datasets.NewDate(2024, 6, 10), "low", "high"}, datasets.NewDate(2024, 6, 15), "high"},
		{"a better class seen after the month-end", dayRisk{datasets.NewDate(2024, 6, 10), "high", "low"}, datasets.NewDate(2024, 6, 15), "high"},
		{"the as-of day a month-end", dayRisk{datasets.NewDate(2024, 5, 31), "low", "medium"}, datasets.NewDate(2024, 5, 31), "medium"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			st, _ := openWorkflow(t, stores(t)[0])
			day := tc.asOf + 1
			svc := &Service{Store: st, Policy: DefaultPolicy(), Risk: tc.risk, Now: (&clock{t: day.Time().Add(9 * time.Hour)}).now}
			sg, err := svc.Suggest(ctx, tc.asOf, "C1")
			if err != nil {
				t.Fatal(err)
			}
			s := sg.Rows[0]
			class, _ := svc.classNamed(tc.wantClass)
			if want := tc.asOf.AddMonths(class.ReviewMonths); s.Review != want {
				t.Errorf("suggestion in class %s reviewed on %s (review class %q as of %s), want %s, the cadence of class %s\n%s",
					s.RiskClass, s.Review, s.ReviewClass, s.ReviewClassAsOf, want, tc.wantClass, strings.Join(s.Reasons, " | "))
			}
			p, err := svc.Propose(ctx, ProposeRequest{CustomerID: "C1", FromSuggestion: true, By: "ann"})
			if err != nil {
				t.Fatal(err)
			}
			if p.RiskClass != tc.wantClass || p.Review != day.AddMonths(class.ReviewMonths) {
				t.Errorf("the proposal made the next day has class %s, review %s; want %s, %s", p.RiskClass, p.Review, tc.wantClass, day.AddMonths(class.ReviewMonths))
			}
		})
	}
}

// On a PD not learnt for the customer (its segment's rate) the German
// trial's suggestions raised 33 of 34 customers, the cash-strapped ones
// whose orders the flags held for overdue debt among them (24,000 →
// 185,000 at 543% used), and one with a single large order not yet due
// from 50,000 to 995,000 through the exposure floor. On the segment's
// rate a customer with debt overdue beyond the flags' days is not
// raised, and the exposure floor does not size the suggestion; on a
// learnt PD both stay as they were.
func TestAnUnlearntPDRaisesNoOverdueCustomerNorFloorsAtTheExposure(t *testing.T) {
	pol := DefaultPolicy()
	overdue := func(l *datasets.Ledger) {
		l.Invoices = append(l.Invoices, datasets.Invoice{ID: "LATE", CustomerID: "C1", IssueDate: asOf.AddDays(-baseTerms - pol.Flags.OverdueDays - 20),
			DueDate: asOf.AddDays(-pol.Flags.OverdueDays - 20), Amount: baseAmount, Currency: "EUR", Segment: "mid_market"})
	}
	bigOrder := func(l *datasets.Ledger) {
		l.Invoices = append(l.Invoices, datasets.Invoice{ID: "BIG", CustomerID: "C1", IssueDate: asOf.AddDays(-2),
			DueDate: asOf.AddDays(baseTerms - 2), Amount: 40 * baseLimit, Currency: "EUR", Segment: "mid_market"})
	}
	for _, tc := range []struct {
		name   string
		source string
		change func(*datasets.Ledger)
		bound  string // "" for any but the ones named below
		raised bool
	}{
		{"overdue debt on the segment's rate", "segment", overdue, BoundUnlearnt, false},
		{"overdue debt on a learnt PD", "model", overdue, "", true},
		{"a large order on the segment's rate", "segment", bigOrder, "", true},
		{"a large order on a learnt PD", "model", bigOrder, BoundExposure, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := baseLedger()
			tc.change(l)
			s := suggestOne(t, l, pol, map[string]Risk{"C1": {PD: 0.004, Source: tc.source}}, "C1")
			all := strings.Join(s.Reasons, " | ")
			if raised := s.Change.Money() > 0; raised != tc.raised {
				t.Fatalf("change %s (bound %s), want raised %v:\n%s", s.Change.Money(), s.Bound, tc.raised, all)
			}
			switch {
			case tc.bound != "" && s.Bound != tc.bound:
				t.Fatalf("bound %s, want %s:\n%s", s.Bound, tc.bound, all)
			case tc.bound == "" && (s.Bound == BoundUnlearnt || s.Bound == BoundExposure):
				t.Fatalf("bound %s:\n%s", s.Bound, all)
			}
		})
	}
}
