package forecast

import (
	"context"
	"reflect"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
	"github.com/dsopilot/dsopilot/model"
)

// TestShorterForecastIsTheFirstWeeksOfThe13Week: week k of a W-week
// forecast is week k of the 13-week one with the same seed, exactly, for
// the portfolio and each group of a breakdown, bands included; the due
// schedule, the shock scales and the seasonal factor are the 13-week
// forecast's; the totals and the book's amount beyond the horizon are
// over the weeks reported, and a 1-week forecast's total is its week.
// (Shocks, season and random streams were laid out per horizon: a 2-week
// forecast's week 1 read 3% off the 13-week one's P90.)
func TestShorterForecastIsTheFirstWeeksOfThe13Week(t *testing.T) {
	ctx := context.Background()
	h := NewHistory(simulatedEUR(t, 80, 24, 61), nil)
	base := Options{AsOf: datasets.NewDate(2024, 9, 30), Paths: 200, Seed: 5, By: BySegment, replaySample: 60}
	full, err := Forecast(ctx, h, nil, base)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []int{1, 2, 5, 12} {
		o := base
		o.Weeks = w
		got, err := Forecast(ctx, h, nil, o)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Weeks) != w || len(got.DueSchedule) != w {
			t.Fatalf("%d weeks: %d weeks and %d due weeks reported", w, len(got.Weeks), len(got.DueSchedule))
		}
		if !reflect.DeepEqual(got.Weeks, full.Weeks[:w]) {
			t.Errorf("%d weeks: weeks\n%+v\nthe 13-week forecast's first weeks\n%+v", w, got.Weeks, full.Weeks[:w])
		}
		if !reflect.DeepEqual(got.DueSchedule, full.DueSchedule[:w]) {
			t.Errorf("%d weeks: due schedule %+v, want %+v", w, got.DueSchedule, full.DueSchedule[:w])
		}
		if got.Shocks != full.Shocks || got.NewBusiness.Seasonal != full.NewBusiness.Seasonal {
			t.Errorf("%d weeks: shocks %+v season %v, 13 weeks: %+v, %v", w, got.Shocks, got.NewBusiness.Seasonal, full.Shocks, full.NewBusiness.Seasonal)
		}
		if len(got.Groups) != len(full.Groups) || len(got.Groups) < 2 {
			t.Fatalf("%d weeks: %d groups, 13 weeks: %d", w, len(got.Groups), len(full.Groups))
		}
		for i, g := range got.Groups {
			if g.Key != full.Groups[i].Key || !reflect.DeepEqual(g.Weeks, full.Groups[i].Weeks[:w]) {
				t.Errorf("%d weeks: group %s differs from the 13-week forecast's first weeks", w, g.Key)
			}
		}
		// Totals and the book's beyond are over the weeks reported.
		var open, due Money
		for k := range w {
			open += got.Weeks[k].Open.Mean
			due += got.DueSchedule[k].Amount
		}
		if d := got.Total.Open.Mean - open; d < -Money(w) || d > Money(w) {
			t.Errorf("%d weeks: total open mean %v, weeks sum to %v", w, got.Total.Open.Mean, open)
		}
		// beyond is rounded per invoice.
		b := got.Book
		if d, tol := b.Outstanding-b.ExpectedCredit-got.Total.Open.Mean-b.Beyond, Money(b.Invoices+w); d < -tol || d > tol {
			t.Errorf("%d weeks: outstanding %v less credit %v is not the total %v and beyond %v", w, b.Outstanding, b.ExpectedCredit, got.Total.Open.Mean, b.Beyond)
		}
		if w == 1 {
			wk := got.Weeks[0]
			if want := (Horizon{Open: wk.Open, New: wk.New, Total: wk.Total}); got.Total != want {
				t.Errorf("1 week: total %+v, its week %+v", got.Total, want)
			}
		}
		if got.NewBusiness.Invoicing >= full.NewBusiness.Invoicing {
			t.Errorf("%d weeks: expected invoicing %v, not less than 13 weeks' %v", w, got.NewBusiness.Invoicing, full.NewBusiness.Invoicing)
		}
	}
}

// TestShorterBacktestIsTheFirstWeeksOfThe13Week: a backtest over fewer
// weeks scores, at each origin, the first weeks of the 13-week one: the
// same bands and actuals, the whole ledger and in parts.
func TestShorterBacktestIsTheFirstWeeksOfThe13Week(t *testing.T) {
	ctx := context.Background()
	l := simulatedEUR(t, 40, 20, 31)
	fx := simFX()
	to := model.TrainOptions{Families: []string{model.FamilyLogistic}, FX: fx}
	models := map[datasets.Date]*model.Bundle{}
	ix := features.NewIndex(l)
	train := func(ctx context.Context, asOf datasets.Date) (*model.Bundle, error) {
		if b, ok := models[asOf]; ok {
			return b, nil
		}
		o := to
		o.AsOf = asOf
		b, err := model.Train(ctx, ix, o)
		models[asOf] = b
		return b, err
	}
	origins := []datasets.Date{d(2024, 3, 31), d(2024, 5, 31)}
	o := BacktestOptions{Origins: origins, Paths: 200, Seed: 3, Train: to, Currency: fx.To}
	_, full, err := BacktestParts(ctx, features.PartsOf(l, 1), train, fx, nil, o)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{1, 3} {
		o.Weeks = 3
		_, rows, err := BacktestParts(ctx, features.PartsOf(l, n), train, fx, nil, o)
		if err != nil {
			t.Fatal(err)
		}
		var want []PredictionRow
		for _, r := range full {
			if r.WeekStart <= r.Origin.AddDays(7*(o.Weeks-1)+1) {
				want = append(want, r)
			}
		}
		if len(rows) != 2*len(origins)*o.Weeks || !reflect.DeepEqual(rows, want) {
			t.Errorf("%d parts: 3-week backtest rows\n%+v\nthe 13-week one's first weeks\n%+v", n, rows, want)
		}
	}
}
