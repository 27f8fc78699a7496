package credit

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
)

// A suggestion says where the limit in force comes from: a credit decision
// of the ledger, one the workflow's approval recorded, or the customer
// master with no decision on record by the as-of day; with the day the
// decision was taken.
func TestSuggestionSaysWhereTheLimitComesFrom(t *testing.T) {
	pol := DefaultPolicy()
	approval := func(day datasets.Date, limit datasets.Money) []datasets.CreditEvent {
		return []datasets.CreditEvent{{ProposalID: "CP-1", Kind: datasets.CreditApproved, CustomerID: "C1",
			At: day.Time().Add(15 * time.Hour).In(time.FixedZone("UTC+10", 10*3600)), NewLimit: limit, DecisionID: "CD-00000001-CP-1"}}
	}
	d1 := asOf.AddDays(-100) // baseLedger's decision D1 sets C1's 50,000 EUR
	cases := []struct {
		name   string
		id     string
		edit   func(*datasets.Ledger)
		events []datasets.CreditEvent
		source string
		set    datasets.Date
		limit  datasets.Money
		reason string
	}{
		{name: "no decision on record", id: "C2", source: LimitFromMaster, limit: 2_000_00,
			reason: "the limit of 2,000 EUR is the customer master's, with no credit decision on record: it has no review date"},
		// Derived from invoices (a cleared-items export): no master gave
		// the 0, so the reason must not say the master's.
		{name: "a customer derived from invoices", id: "C2", source: LimitNone,
			edit: func(l *datasets.Ledger) {
				for i := range l.Customers {
					if c := &l.Customers[i]; c.ID == "C2" {
						c.Name, c.Terms, c.Since, c.Collector, c.CreditLimit = "", datasets.Terms{}, 0, "", 0
					}
				}
			},
			reason: "no credit limit is on record: the customer was derived from its invoices, with no customer master and no credit decision, so no limit is set (not a limit of 0, which would be no credit)"},
		{name: "a decision of the ledger", id: "C1", source: LimitFromDecision, set: d1, limit: baseLimit,
			reason: "the limit of 50,000 EUR was set by a credit decision on 22 March 2024"},
		{name: "the decision an approval recorded", id: "C1", events: approval(d1, baseLimit), source: LimitFromApproval, set: d1, limit: baseLimit,
			reason: "the limit of 50,000 EUR was approved in the credit workflow on 22 March 2024"},
		// The approval of that day set another limit: the decision in
		// force is not the one it recorded.
		{name: "an approval to another limit", id: "C1", events: approval(d1, 60_000_00), source: LimitFromDecision, set: d1, limit: baseLimit},
		// An approval after the as-of day is not in force by then.
		{name: "an approval after the day", id: "C1", source: LimitFromDecision, set: d1, limit: baseLimit,
			events: approval(asOf.AddDays(1), 70_000_00), edit: func(l *datasets.Ledger) {
				l.CreditDecisions = append(l.CreditDecisions, datasets.CreditDecision{ID: "CD-00000001-CP-1", CustomerID: "C1",
					Date: asOf.AddDays(1), OldLimit: baseLimit, NewLimit: 70_000_00, DecidedBy: "bob"})
			}},
		// The first decision comes after the day: the limit in force is
		// its old limit, which no decision on record set.
		{name: "a decision after the day", id: "C1", source: LimitFromMaster, limit: 30_000_00,
			edit: func(l *datasets.Ledger) { l.CreditDecisions[0].Date = asOf.AddDays(5) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := baseLedger()
			if tc.edit != nil {
				tc.edit(l)
			}
			s, err := Suggest(l, asOf, pol, Options{Risk: map[string]Risk{tc.id: {PD: 0.01, Source: "model"}}, Customers: []string{tc.id}, Events: tc.events})
			if err != nil || len(s.Rows) != 1 {
				t.Fatalf("suggest: %v, %d rows", err, len(s.Rows))
			}
			r := s.Rows[0]
			if r.LimitSource != tc.source || r.LimitSet != tc.set || r.Current.Money() != tc.limit {
				t.Fatalf("limit %s from %q set on %v, want %s from %q set on %v", r.Current.Money(), r.LimitSource, r.LimitSet, tc.limit, tc.source, tc.set)
			}
			if tc.reason != "" && !strings.Contains(strings.Join(r.Reasons, " | "), tc.reason) {
				t.Fatalf("reasons %q, want %q", r.Reasons, tc.reason)
			}
			b, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			js := string(b)
			if !strings.Contains(js, `"limit_source":"`+tc.source+`"`) || strings.Contains(js, `"limit_set_date"`) != (tc.set != 0) {
				t.Fatalf("JSON %s: want limit_source %s and limit_set_date only with a decision", js, tc.source)
			}

			// The customer's flags say it under the same names, and the
			// current limit's review date under the API's name for it:
			// review_date is a suggestion's, the suggested limit's.
			l.Invoices = append(l.Invoices, datasets.Invoice{ID: "J0009", CustomerID: "C2", IssueDate: asOf.AddDays(-3),
				DueDate: asOf.AddDays(27), Amount: 9_000_00, Currency: "EUR", Segment: "small_business"}) // C2 over its limit, flagged
			fs, _, err := Flags(l, asOf, pol, Options{Risk: map[string]Risk{tc.id: {PD: 0.01, Source: "model"}}, Customers: []string{tc.id}, Events: tc.events})
			if err != nil || len(fs) != 1 {
				t.Fatalf("flags: %v, %d customers", err, len(fs))
			}
			b, err = json.Marshal(fs[0])
			if err != nil {
				t.Fatal(err)
			}
			var got map[string]any
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatal(err)
			}
			set, hasSet := got["limit_set_date"]
			review, hasReview := got["limit_review_date"]
			_, ambiguous := got["review_date"]
			switch {
			case got["limit_source"] != tc.source:
				t.Fatalf("flags JSON %s: limit_source %v, want %s as the suggestion's", b, got["limit_source"], tc.source)
			case hasSet != (tc.set != 0) || hasSet && set != tc.set.String():
				t.Fatalf("flags JSON %s: limit_set_date %v, want %v as the suggestion's", b, set, tc.set)
			case hasReview != (tc.set != 0) || hasReview && review.(string) <= tc.set.String():
				t.Fatalf("flags JSON %s: limit_review_date %v, want one after the decision, none for the master's", b, review)
			case ambiguous:
				t.Fatalf("flags JSON %s: review_date is the suggested limit's in suggest and the API; the current limit's is limit_review_date", b)
			}
		})
	}
}

// The workflow's flags and advice (the CLI's credit flags and the API's
// credit-limit) give a customer's limit the same source, decision day and
// review date, before and after an approval recorded its decision.
func TestFlagsAndAdviceAgreeOnTheLimitInForce(t *testing.T) {
	ctx := context.Background()
	st, c := openWorkflow(t, stores(t)[0])
	svc := newService(t, st, c)
	check := func(day datasets.Date, source string, set datasets.Date) {
		t.Helper()
		fs, _, err := svc.Flags(ctx, day, "C1")
		if err != nil || len(fs) != 1 {
			t.Fatalf("flags as of %s: %v, %d customers (C1 owes more than its limit)", day, err, len(fs))
		}
		ad, err := svc.Advice(ctx, day, "C1")
		if err != nil || len(ad) != 1 {
			t.Fatalf("advice as of %s: %v", day, err)
		}
		f, a := fs[0], ad[0]
		if f.LimitSource != source || f.LimitSet != set || f.LimitReview == 0 ||
			f.LimitSource != a.LimitSource || f.LimitSet != a.LimitSet || f.LimitReview != a.LimitReview {
			t.Fatalf("as of %s: flags say the limit comes from %q set %s review %s, advice %q set %s review %s; want %q set %s",
				day, f.LimitSource, f.LimitSet, f.LimitReview, a.LimitSource, a.LimitSet, a.LimitReview, source, set)
		}
	}
	check(asOf, LimitFromDecision, asOf.AddDays(-100))
	p, err := svc.Propose(ctx, ProposeRequest{CustomerID: "C1", Limit: 60_000_00, Reason: "more business", By: "ann", Role: "credit_analyst"})
	if err != nil {
		t.Fatal(err)
	}
	ap, err := svc.Approve(ctx, p.ID, DecideRequest{By: "bob", Role: "credit_manager"})
	if err != nil {
		t.Fatal(err)
	}
	day := datasets.DateOf(c.now().UTC())
	check(day, LimitFromApproval, day)
	if fs, _, _ := svc.Flags(ctx, day, "C1"); fs[0].LimitReview != ap.Review {
		t.Fatalf("flags' limit_review_date %s, want the approval's review date %s", fs[0].LimitReview, ap.Review)
	}
}

// A suggestion gives the current limit's review date as limit_review_date,
// the flags' and the API's name for it (its review_date is the suggested
// limit's); none for the customer master's limit.
func TestSuggestionGivesTheCurrentLimitsReviewDate(t *testing.T) {
	pol := DefaultPolicy()
	l := baseLedger()
	s, err := Suggest(l, asOf, pol, Options{Risk: map[string]Risk{"C1": {PD: 0.01, Source: "model"}}})
	if err != nil || len(s.Rows) != 2 {
		t.Fatalf("suggest: %v, %d rows", err, len(s.Rows))
	}
	for _, c := range []struct {
		id   string
		want string // limit_review_date in the JSON, "" when absent
	}{
		{"C1", asOf.AddDays(-100).AddMonths(12).String()}, // D1's limit, a low-risk class: yearly
		{"C2", ""}, // the master's limit
	} {
		var row Suggestion
		for _, r := range s.Rows {
			if r.CustomerID == c.id {
				row = r
			}
		}
		b, err := json.Marshal(row)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		got, ok := m["limit_review_date"]
		if c.want == "" && ok || c.want != "" && got != c.want {
			t.Fatalf("%s: limit_review_date %v (present %v), want %q: %s", c.id, got, ok, c.want, b)
		}
		if _, ok := m["review_date"]; !ok {
			t.Fatalf("%s: no review_date (the suggested limit's): %s", c.id, b)
		}
	}
}
