package credit

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
)

// A suggestion's review date follows the worse of the class at the last
// month-end and the class on the as-of day, the same in the commands'
// construction (Service.Suggest, as credit suggest runs it) and the API's
// (Service.AdviceOn), both built by Setup. On trial36 C1021 (PD 44.5%,
// high, 434% of its limit used) read "review by 30 August 2027 (every
// year)" in credit suggest as of 30 August, its class low at 31 July,
// where the API a day later, at the month-end, said 30 November 2026.
func TestCLIAndAPIGiveTheSameReviewDate(t *testing.T) {
	monthEnd := datasets.NewDate(2024, 6, 30)
	cases := []struct {
		name      string
		risk      dayRisk
		wantClass [2]string // the class whose cadence sets the review, the day before the month-end and on it
	}{
		{"turned high since the month-end", dayRisk{datasets.NewDate(2024, 6, 10), "low", "high"}, [2]string{"high", "high"}},
		// Not postponed by the better class before the next month-end,
		// whose own class is the day's.
		{"high at the month-end, better since", dayRisk{datasets.NewDate(2024, 6, 10), "high", "low"}, [2]string{"high", "low"}},
		{"medium throughout", dayRisk{datasets.NewDate(2024, 1, 1), "medium", "medium"}, [2]string{"medium", "medium"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			st, _ := openWorkflow(t, stores(t)[0])
			pol, fx, _, err := Setup{Currency: "EUR"}.Build()
			if err != nil {
				t.Fatal(err)
			}
			l, err := st.Load(ctx)
			if err != nil {
				t.Fatal(err)
			}
			// The day before the month-end (May 31 the last one) and the
			// month-end itself, as the CLI and the API were asked.
			for i, day := range []datasets.Date{monthEnd - 1, monthEnd} {
				class, _ := (&Service{Policy: pol}).classNamed(tc.wantClass[i])
				svc := &Service{Store: st, Policy: pol, FX: fx, Risk: tc.risk, Now: (&clock{t: (day + 1).Time().Add(9 * time.Hour)}).now}
				sg, err := svc.Suggest(ctx, day, "C1")
				if err != nil {
					t.Fatal(err)
				}
				adv, err := svc.AdviceOn(ctx, l, day, "C1")
				if err != nil {
					t.Fatal(err)
				}
				cli, api := sg.Rows[0], adv[0]
				want := day.AddMonths(class.ReviewMonths)
				if cli.Review != want || api.Review != want {
					t.Errorf("as of %s: review %s (CLI) and %s (API), want %s, class %s's cadence\n%s",
						day, cli.Review, api.Review, want, tc.wantClass[i], strings.Join(cli.Reasons, " | "))
				}
				if !strings.Contains(strings.Join(cli.Reasons, " | "), "review by "+longDate(want)) {
					t.Errorf("as of %s: the reasons do not give the review date %s:\n%s", day, longDate(want), strings.Join(cli.Reasons, " | "))
				}
			}
		})
	}
}
