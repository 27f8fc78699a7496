package credit

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
)

// PDs of the shipped policy's classes.
var classPD = map[string]float64{"low": 0.01, "medium": 0.05, "high": 0.3}

// classesAt gives C1 the class before at the month-ends (RiskAt) before
// from, and the class to from it on.
func classesAt(from datasets.Date, before, to string) func(datasets.Date) (map[string]Risk, error) {
	return func(day datasets.Date) (map[string]Risk, error) {
		if day != day.MonthEnd() {
			return nil, fmt.Errorf("asked for %s, not a month-end", day)
		}
		c := before
		if day >= from {
			c = to
		}
		return map[string]Risk{"C1": {PD: classPD[c], Source: "model"}}, nil
	}
}

// A limit's review date follows the class the customer had when the limit
// was decided (the last month-end on or before the decision), not its
// class on the day asked about: a class that improves later does not
// postpone a review already owed, and one that worsens brings the review
// forward to its cadence, counted from the decision, but never to a day
// before the month-end it was first seen at, so that the limit is due for
// review within the grace before it is expired. Before, the class of the
// as-of day set it: the worse class expired a limit at once (with a grace
// that had ended before the class was seen), and the better one postponed
// a review owed for two months.
func TestReviewDateFollowsTheClassAtTheDecision(t *testing.T) {
	approved := func(day datasets.Date, class string) []datasets.CreditEvent {
		months := map[string]int{"low": 12, "medium": 6, "high": 3}[class]
		return []datasets.CreditEvent{{ProposalID: "CP-1", Kind: datasets.CreditApproved, At: day.Time().Add(9 * time.Hour), CustomerID: "C1",
			OldLimit: 30_000_00, NewLimit: 1_000_000_00, RiskClass: class, Review: day.AddMonths(months), Claim: 1}}
	}
	for _, tc := range []struct {
		name      string
		decided   datasets.Date
		events    func(datasets.Date) []datasets.CreditEvent
		before    string        // the class at the month-ends before worse
		worse     datasets.Date // the first month-end of the class now
		now       string        // the class from worse on, and on the as-of day
		review    datasets.Date
		basis     ReviewBasis
		kind      string // the review flag on the as-of day, "" none
		reasonHas string
	}{
		{name: "class unchanged", decided: mustDate("2023-12-01"), before: "medium", worse: mustDate("2023-11-30"), now: "medium",
			review: mustDate("2024-06-01"), basis: ReviewBasis{ReviewFromDecision, "medium", mustDate("2023-11-30")}, kind: FlagReviewDue,
			reasonHas: "was due for review on 1 June 2024 (29 days ago; the grace of 30 days runs to 1 July 2024, after which it is expired): 6 months after the decision for risk class medium, its class as of 30 November 2023"},
		{name: "class worsens: due for review from the month-end it was first seen", decided: mustDate("2024-02-01"), before: "low", worse: mustDate("2024-05-31"), now: "high",
			review: mustDate("2024-05-31"), basis: ReviewBasis{ReviewFromWorseClass, "high", mustDate("2024-05-31")}, kind: FlagReviewDue,
			reasonHas: "was due for review on 31 May 2024 (30 days ago; the grace of 30 days runs to 30 June 2024, after which it is expired): the day risk class high was first seen, as of 31 May 2024 (3 months after the decision, 1 May 2024, had passed by then), worse than its class at the decision, low as of 31 January 2024 (a review on 1 February 2025)"},
		{name: "class worsens early: its cadence from the decision", decided: mustDate("2024-02-01"), before: "low", worse: mustDate("2024-02-29"), now: "high",
			review: mustDate("2024-05-01"), basis: ReviewBasis{ReviewFromWorseClass, "high", mustDate("2024-02-29")}, kind: FlagExpired,
			reasonHas: "was due for review on 1 May 2024 (60 days ago; the grace of 30 days ended on 31 May 2024): 3 months after the decision for risk class high, first seen as of 29 February 2024, worse than its class at the decision, low as of 31 January 2024 (a review on 1 February 2025)"},
		{name: "class worsens on the as-of day: due that day, not expired", decided: mustDate("2024-02-01"), before: "low", worse: asOf, now: "high",
			review: asOf, basis: ReviewBasis{ReviewFromWorseClass, "high", asOf}},
		// The ledger's first invoice is of 25 June 2023: on 31 May nothing
		// was on record, and the class at the decision is June's.
		{name: "class worsens once the review is owed: nothing changes", decided: mustDate("2023-06-15"), before: "low", worse: mustDate("2024-06-30"), now: "medium",
			review: mustDate("2024-06-15"), basis: ReviewBasis{ReviewFromDecision, "low", mustDate("2023-06-30")}, kind: FlagReviewDue,
			reasonHas: "12 months after the decision for risk class low, its class as of 30 June 2023"},
		{name: "class improves: the owed review is not postponed", decided: mustDate("2024-02-01"), before: "high", worse: mustDate("2024-04-30"), now: "low",
			review: mustDate("2024-05-01"), basis: ReviewBasis{ReviewFromDecision, "high", mustDate("2024-01-31")}, kind: FlagExpired,
			reasonHas: "3 months after the decision for risk class high, its class as of 31 January 2024"},
		{name: "an approval's class worsens", decided: mustDate("2024-02-01"), events: func(d datasets.Date) []datasets.CreditEvent { return approved(d, "low") },
			before: "low", worse: mustDate("2024-05-31"), now: "high",
			review: mustDate("2024-05-31"), basis: ReviewBasis{ReviewFromWorseClass, "high", mustDate("2024-05-31")}, kind: FlagReviewDue,
			reasonHas: "worse than the class its approval was made with, low (a review on 1 February 2025)"},
		{name: "an approval's class unchanged", decided: mustDate("2024-02-01"), events: func(d datasets.Date) []datasets.CreditEvent { return approved(d, "medium") },
			before: "medium", worse: mustDate("2024-05-31"), now: "medium",
			review: mustDate("2024-08-01"), basis: ReviewBasis{ReviewFromApproval, "medium", 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := baseLedger()
			l.CreditDecisions[0].NewLimit = 1_000_000_00 // not over the limit: the review is the only flag
			l.CreditDecisions[0].Date = tc.decided
			o := Options{Risk: map[string]Risk{"C1": {PD: classPD[tc.now], Source: "model"}}, Customers: []string{"C1"},
				RiskAt: classesAt(tc.worse, tc.before, tc.now)}
			if tc.events != nil {
				o.Events = tc.events(tc.decided)
			}
			fs, _, err := Flags(l, asOf, DefaultPolicy(), o)
			if err != nil {
				t.Fatal(err)
			}
			var f CustomerFlags
			if len(fs) > 0 {
				f = fs[0]
			}
			got := strings.Join(kinds(f), ",")
			if got != tc.kind {
				t.Errorf("flags %q, want %q", got, tc.kind)
			}
			s, err := Suggest(l, asOf, DefaultPolicy(), o)
			if err != nil {
				t.Fatal(err)
			}
			if r := s.Rows[0]; r.LimitReview != tc.review || r.ReviewBasis != tc.basis {
				t.Errorf("review date %s from %+v, want %s from %+v", r.LimitReview, r.ReviewBasis, tc.review, tc.basis)
			}
			if len(fs) > 0 && (f.LimitReview != tc.review || f.ReviewBasis != tc.basis) {
				t.Errorf("flags' review date %s from %+v, want the suggestion's", f.LimitReview, f.ReviewBasis)
			}
			if tc.reasonHas != "" && (len(f.Flags) == 0 || !strings.Contains(f.Flags[0].Reason, tc.reasonHas)) {
				t.Errorf("reason %+v, want it to say %q", f.Flags, tc.reasonHas)
			}
		})
	}
}

// Day by day, a limit whose class worsens is due for review, within the
// grace, before it is expired: it is never expired the first day it is
// flagged. Before, the day the model first saw the worse class expired it.
func TestWorseClassIsDueBeforeExpired(t *testing.T) {
	l := baseLedger()
	l.CreditDecisions[0].NewLimit = 1_000_000_00
	l.CreditDecisions[0].Date = mustDate("2024-01-10")
	worse := mustDate("2024-05-31") // high from this month-end on; low before
	prev := ""
	for day := mustDate("2024-05-01"); day <= mustDate("2024-07-15"); day++ {
		now := "low"
		if day >= worse {
			now = "high"
		}
		o := Options{Risk: map[string]Risk{"C1": {PD: classPD[now], Source: "model"}}, Customers: []string{"C1"}, RiskAt: classesAt(worse, "low", "high")}
		fs, _, err := Flags(l, day, DefaultPolicy(), o)
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		if len(fs) > 0 {
			got = strings.Join(kinds(fs[0]), ",")
		}
		if got == FlagExpired && prev != FlagExpired && prev != FlagReviewDue {
			t.Fatalf("on %s expired, the day before %q: never due for review first", day, prev)
		}
		prev = got
	}
	if prev != FlagExpired {
		t.Fatalf("on 15 July 2024 %q, want expired (due on 31 May, 30 days of grace)", prev)
	}
}
