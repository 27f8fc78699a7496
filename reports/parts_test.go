package reports

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/synth"
	"github.com/dsopilot/dsopilot/features"
	"github.com/dsopilot/dsopilot/model"
	"github.com/dsopilot/dsopilot/model/forecast"
	"github.com/dsopilot/dsopilot/recommender"
	"github.com/dsopilot/dsopilot/recommender/credit"
)

// forecastFixture simulates 14 months of customers and trains a logistic
// model as of asOf on them in the simulator's EUR.
func forecastFixture(t *testing.T, customers int, seed uint64, asOf datasets.Date) (*datasets.Ledger, *model.Bundle, datasets.FX) {
	t.Helper()
	ctx := context.Background()
	l, _, err := synth.Collect(ctx, synth.Config{Customers: customers, Months: 14, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	fx := recommender.SimFX()
	conv, err := l.Convert(fx)
	if err != nil {
		t.Fatal(err)
	}
	b, err := model.Train(ctx, features.NewIndex(conv), model.TrainOptions{AsOf: asOf, Seed: 1, Families: []string{model.FamilyLogistic}, FX: &fx})
	if err != nil {
		t.Fatal(err)
	}
	return l, b, fx
}

// TestModelForecastSource checks the report's view of model/forecast: the
// portfolio's weeks are the package's own with the due-date schedule, a
// slice is its group without one, and a saved snapshot comes back with
// the receipts of its weeks that ended by the report's date.
func TestModelForecastSource(t *testing.T) {
	ctx := context.Background()
	early := datasets.NewDate(2023, time.November, 30)
	l, b, fx := forecastFixture(t, 100, 5, early)
	const paths = 200
	o, _ := forecast.Options{AsOf: early, Paths: paths, Seed: 1}.Validate()
	then, _, err := forecast.FromLedger(ctx, l, b, &fx, o)
	if err != nil {
		t.Fatal(err)
	}
	snap := then.Snapshot("S1", time.Date(2023, 12, 1, 8, 0, 0, 0, time.UTC), "m1")
	asOf := early.AddDays(8 * 7)
	src := ModelForecast(l, b, &fx, []datasets.ForecastSnapshot{*snap}, paths)

	o.AsOf = asOf
	want, _, err := forecast.FromLedger(ctx, l, b, &fx, o)
	if err != nil {
		t.Fatal(err)
	}
	got, err := src.Forecast(ctx, asOf, Slice{})
	if err != nil || got == nil || !got.HasDue || len(got.Weeks) != len(want.Weeks) {
		t.Fatalf("portfolio forecast %+v, %v", got, err)
	}
	for k, w := range got.Weeks {
		if w.Open.P50 != want.Weeks[k].Open.P50.Money() || w.Due != want.DueSchedule[k].Amount.Money() {
			t.Fatalf("week %d: %+v, want P50 %v due %v", k+1, w, want.Weeks[k].Open.P50, want.DueSchedule[k].Amount)
		}
	}
	seg := l.Customers[0].Segment
	gs, err := src.Forecast(ctx, asOf, Slice{Kind: "segment", Key: seg})
	if err != nil || gs == nil || gs.HasDue || len(gs.Weeks) != len(want.Weeks) {
		t.Fatalf("segment %s forecast %+v, %v", seg, gs, err)
	}
	snaps, err := src.Snapshots(ctx, asOf)
	if err != nil || len(snaps) != 1 {
		t.Fatalf("snapshots %+v, %v", snaps, err)
	}
	h, _, err := forecast.ReportingHistory(l, &fx)
	if err != nil {
		t.Fatal(err)
	}
	c, err := forecast.Compare(h, snap)
	if err != nil {
		t.Fatal(err)
	}
	if len(snaps[0].Actual) != 8 {
		t.Fatalf("%d weeks of actuals by %s, want the 8 that ended", len(snaps[0].Actual), asOf)
	}
	for k, a := range snaps[0].Actual {
		if a != c.Weeks[k].ActualOpen.Money() {
			t.Fatalf("week %d: actual %v, the comparison says %v", k+1, a, c.Weeks[k].ActualOpen)
		}
	}
	// A snapshot that kept rates other than the report's: its receipts
	// are converted at its own, those its forecast was made at.
	kept := *snap
	kept.ID, kept.FX = "S2", &datasets.FX{To: fx.To, Rates: map[string]datasets.Rate{}}
	for cur, r := range fx.Rates {
		if cur != fx.To {
			kept.FX.Rates[cur] = 2 * r
		}
	}
	if len(kept.FX.Rates) == 0 {
		t.Fatal("the fixture's rates convert nothing")
	}
	snaps, err = ModelForecast(l, b, &fx, []datasets.ForecastSnapshot{kept}, paths).Snapshots(ctx, asOf)
	if err != nil || len(snaps) != 1 {
		t.Fatalf("snapshots %+v, %v", snaps, err)
	}
	hk, _, err := forecast.ReportingHistory(l, kept.FX)
	if err != nil {
		t.Fatal(err)
	}
	ck, err := forecast.Compare(hk, &kept)
	if err != nil {
		t.Fatal(err)
	}
	moved := false
	for k, a := range snaps[0].Actual {
		if a != ck.Weeks[k].ActualOpen.Money() {
			t.Fatalf("week %d: actual %v, at the snapshot's rates %v", k+1, a, ck.Weeks[k].ActualOpen)
		}
		moved = moved || a != c.Weeks[k].ActualOpen.Money()
	}
	if !moved {
		t.Fatal("the snapshot's rates changed nothing: the case tests nothing")
	}
}

// TestCreditSourceConverts checks that the credit part reports in the
// report's currency and leaves out, naming it, a currency it has no rate
// for.
func TestCreditSourceConverts(t *testing.T) {
	advice := []credit.Advice{{Suggestion: credit.Suggestion{CustomerID: "C1", Currency: "USD", Current: 100_000_00, Exposure: 40_000_00,
		Suggested: 120_000_00, RiskClass: "low", Reasons: []string{"pays on time"}},
		Flags: []credit.Flag{{Kind: "over_limit", Amount: 1_000_00, Reason: "r", Resolution: "x"}}}}
	advise := func(context.Context, datasets.Date, ...string) ([]credit.Advice, error) { return advice, nil }
	half, err := datasets.ParseRate("0.5")
	if err != nil {
		t.Fatal(err)
	}
	src := CreditFrom(advise, &datasets.FX{To: "EUR", Rates: map[string]datasets.Rate{"USD": half}})
	got, err := src.Credit(context.Background(), datasets.NewDate(2024, 1, 31))
	if err != nil || len(got) != 1 {
		t.Fatalf("%+v, %v", got, err)
	}
	wantCur, _ := datasets.Money(100_000_00).Convert(half)
	wantFlag, _ := datasets.Money(1_000_00).Convert(half)
	if got[0].Current != wantCur || got[0].Flags[0].Amount != wantFlag || got[0].RiskClass != "low" {
		t.Fatalf("converted advice %+v, want current %v and flag %v", got[0], wantCur, wantFlag)
	}
	// Without a USD rate the customer is listed with the missing rate and
	// no amounts, not summed in USD, and the advice does not fail (until
	// stop 35 it failed every customer's).
	got, err = CreditFrom(advise, &datasets.FX{To: "GBP"}).Credit(context.Background(), datasets.NewDate(2024, 1, 31))
	if err != nil || len(got) != 1 || got[0].NoRate != "USD" || got[0].Current != 0 || got[0].Suggested != 0 || len(got[0].Flags) != 0 {
		t.Fatalf("no USD rate: %+v, err %v", got, err)
	}
}

// The breakdowns simulated side by side (prefetch) are exactly the ones
// simulated one after the other: each has its own seeded streams and only
// reads the shared run.
func TestPrefetchedBreakdownsEqualSerialOnes(t *testing.T) {
	ctx := context.Background()
	asOf := datasets.NewDate(2023, time.December, 31)
	l, b, fx := forecastFixture(t, 60, 8, asOf)
	kinds := []string{kindPortfolio, kindSegment, kindCountry, kindCurrency}
	serial := ModelForecast(l, b, &fx, nil, 200).(*modelForecast)
	for _, k := range kinds {
		if _, err := serial.result(ctx, asOf, k); err != nil {
			t.Fatal(err)
		}
	}
	side := ModelForecast(l, b, &fx, nil, 200).(*modelForecast)
	side.prefetch(ctx, asOf, kinds)
	for _, k := range kinds {
		got, ok := side.byOf[k]
		if !ok {
			t.Fatalf("breakdown %q not prefetched", k)
		}
		if !reflect.DeepEqual(got, serial.byOf[k]) {
			a, _ := json.Marshal(got)
			w, _ := json.Marshal(serial.byOf[k])
			i := 0
			for i < min(len(a), len(w)) && a[i] == w[i] {
				i++
			}
			t.Fatalf("breakdown %q differs when simulated side by side, from byte %d: %s\nwant %s", k, i, a[max(0, i-200):min(len(a), i+100)], w[max(0, i-200):min(len(w), i+100)])
		}
	}
}
