package credit

import (
	"context"
	"errors"
	"maps"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
	"github.com/dsopilot/dsopilot/model"
	"github.com/dsopilot/dsopilot/recommender"
)

// A limit's review date as of a day comes only from what was known by its
// end: an approval made later (the workflow runs today, the flags are asked
// for an earlier day) or one a later decision has replaced does not lend
// its review date to the limit in force.
func TestReviewDateIsTheLimitInForcesAsOfTheDay(t *testing.T) {
	pol := DefaultPolicy()
	approval := func(day datasets.Date, review datasets.Date) datasets.CreditEvent {
		return datasets.CreditEvent{ProposalID: "CP-1", Kind: datasets.CreditApproved, At: day.Time().Add(10 * time.Hour),
			CustomerID: "C1", Currency: "EUR", OldLimit: 30_000_00, NewLimit: baseLimit, Review: review, Claim: 1}
	}
	for _, c := range []struct {
		name   string
		events []datasets.CreditEvent
		// decide adds the decision the approval recorded, or a later one.
		decide []datasets.CreditDecision
	}{
		{"an approval after the day", []datasets.CreditEvent{approval(asOf.AddDays(10), asOf.AddDays(375))}, nil},
		{"an approval replaced by a later decision", []datasets.CreditEvent{approval(asOf.AddDays(-200), asOf.AddDays(500))},
			[]datasets.CreditDecision{{ID: "CD-approval", CustomerID: "C1", Date: asOf.AddDays(-200), OldLimit: 30_000_00, NewLimit: baseLimit, DecidedBy: "ann"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			l := baseLedger() // C1's limit in force: decision D1, 100 days before asOf
			l.CreditDecisions = append(c.decide, l.CreditDecisions...)
			want, _, err := Flags(l, asOf, pol, Options{})
			if err != nil {
				t.Fatal(err)
			}
			got, _, err := Flags(l, asOf, pol, Options{Events: c.events})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("flags with the approval %+v\nwant, as without it, %+v", got, want)
			}
			review := func(fs []CustomerFlags) datasets.Date {
				for _, f := range fs {
					if f.CustomerID == "C1" {
						return f.LimitReview
					}
				}
				return 0
			}
			if r := review(got); r == c.events[0].Review {
				t.Errorf("C1's review date %s is the approval's", r)
			}
		})
	}
}

// LearnedRisk tells its Warn why it fell back to the segments' rates, once
// per call, with the count of default events and what would make it learn.
func TestLearnedRiskSaysWhyItFellBack(t *testing.T) {
	var got []string
	lr := LearnedRisk{Warn: func(msg string) { got = append(got, msg) }}
	if _, err := lr.CustomerRisk(context.Background(), baseLedger(), asOf); err != nil {
		t.Fatal(err)
	}
	want := "the default model (PD) was not learnt as of " + asOf.String() + ": 0 default events in the last 12 months, it needs 10; PDs are the segments' observed rates (pd_source segment); --model ID gives a model's"
	if len(got) != 1 || !strings.HasPrefix(got[0], want) {
		t.Fatalf("warnings %q, want one beginning %q", got, want)
	}
	// One line a user reads on every run, not a paragraph (it was 700
	// characters).
	if n := len(got[0]); n > 200 {
		t.Errorf("the warning is %d characters long, want at most 200: %q", n, got[0])
	}
}

// answerRisk answers every day with its map, or its error.
type answerRisk struct {
	r   map[string]Risk
	err error
}

func (f answerRisk) CustomerRisk(ctx context.Context, l *datasets.Ledger, asOf datasets.Date) (map[string]Risk, error) {
	return f.CustomerRiskParts(ctx, features.WholeLedger(l), asOf)
}

func (f answerRisk) CustomerRiskParts(context.Context, features.Parts, datasets.Date) (map[string]Risk, error) {
	return f.r, f.err
}

// Where the ledger has too few defaults to learn the default model, the
// fallback (the registry's payment model, for the credit commands) gives
// the PDs; one trained after the day asked about has seen how it went on,
// so the segments' rates (nil) answer instead of an error; any other
// error is the command's.
func TestLearnedRiskFallsBackToItsFallback(t *testing.T) {
	scored := map[string]Risk{"C1": {PD: 0.9, Source: "payment_model"}}
	cases := []struct {
		name    string
		fb      answerRisk
		want    map[string]Risk
		wantErr bool
	}{
		{"the fallback's PDs", answerRisk{r: scored}, scored, false},
		{"a model trained after the day: the segments' rates", answerRisk{err: &recommender.ModelCutoffError{Known: asOf, Cutoff: asOf.AddDays(30)}}, nil, false},
		{"another error", answerRisk{err: errors.New("disk on fire")}, nil, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := LearnedRisk{Fallback: tc.fb}.CustomerRisk(context.Background(), baseLedger(), asOf)
			if (err != nil) != tc.wantErr || !maps.Equal(got, tc.want) {
				t.Fatalf("%v, %v; want %v (error %v)", got, err, tc.want, tc.wantErr)
			}
		})
	}
	// The warning names a payment model in words; one trained after the
	// day gives the segments' rates, with no error.
	var said []string
	later := &model.Bundle{Options: model.BundleOptions{AsOf: asOf.AddDays(30).String()}}
	lr := LearnedRisk{Warn: func(msg string) { said = append(said, msg) }, Fallback: ModelRisk{Bundle: later}}
	got, err := lr.CustomerRisk(context.Background(), baseLedger(), asOf)
	if err != nil || got != nil {
		t.Fatalf("a payment model trained after the day: %v, %v; want the segments' rates (nil)", got, err)
	}
	if len(said) != 1 || !strings.Contains(said[0], "the payment model's probability") || strings.Contains(said[0], "credit.ModelRisk") {
		t.Fatalf("fallback named %q; want it in words", said)
	}
}
