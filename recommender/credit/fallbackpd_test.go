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
		{"a worse class seen after the month-end", dayRisk{datasets.NewDate(2024, 6, 10), "low", "high"}, datasets.NewDate(2024, 6, 15), "low"},
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
