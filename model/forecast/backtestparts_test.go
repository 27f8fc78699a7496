package forecast

import (
	"context"
	"errors"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/storetest"
	"github.com/dsopilot/dsopilot/datasets/synth"
	"github.com/dsopilot/dsopilot/features"
	"github.com/dsopilot/dsopilot/model"
)

// A backtest read in parts of whole customers is the whole ledger's,
// value for value (its duration aside), given the same model at each
// origin: the scores, the baselines, the per-origin
// record and every origin-week's row, also when records name another
// customer than their invoice's.
func TestBacktestInPartsIsWhole(t *testing.T) {
	ctx := context.Background()
	base, _, err := synth.Collect(ctx, synth.Config{Customers: 50, Months: 20, Seed: 31, Start: d(2023, 1, 1)})
	if err != nil {
		t.Fatal(err)
	}
	fx := simFX()
	origins := []datasets.Date{d(2024, 3, 31), d(2024, 5, 31)}
	js := func(v any) string { return jsonOf(t, v) }
	for _, c := range []struct {
		name string
		l    *datasets.Ledger
	}{
		{"simulated ledger", base},
		{"records on other customers' invoices", storetest.WithStrays(base)},
	} {
		t.Run(c.name, func(t *testing.T) {
			conv, err := c.l.Convert(*fx)
			if err != nil {
				t.Fatal(err)
			}
			ix := features.NewIndex(conv)
			to := model.TrainOptions{Families: []string{model.FamilyLogistic}, FX: fx}
			// Each origin's model is trained once and handed to every run.
			trained, models := 0, map[datasets.Date]*model.Bundle{}
			train := func(ctx context.Context, asOf datasets.Date) (*model.Bundle, error) {
				trained++
				if b, ok := models[asOf]; ok {
					return b, nil
				}
				o := to
				o.AsOf = asOf
				b, err := model.Train(ctx, ix, o)
				if err != nil {
					return nil, err
				}
				models[asOf] = b
				return b, nil
			}
			o := BacktestOptions{Origins: origins, Paths: 200, Seed: 3, Train: to, Currency: fx.To}
			want, wantRows, err := RunBacktest(ctx, conv, InvoiceCurrencies(c.l), o)
			if err != nil {
				t.Fatal(err)
			}
			// RunBacktest trains with o.Train: the models must be those.
			for _, t0 := range origins {
				b, err := train(ctx, t0)
				if err != nil {
					t.Fatalf("origin %s: %v", t0, err)
				}
				if b.Champion != want.PerOrig[0].Model {
					t.Fatalf("origin %s: champion %s, the whole ledger's %s", t0, b.Champion, want.PerOrig[0].Model)
				}
			}
			if want.Actual < 100_000_00 || want.New.WAPE == 0 || len(wantRows) != 2*len(origins)*want.Weeks || want.PerOrig[0].Invoices < 50 {
				t.Fatalf("the whole ledger's backtest is too thin to compare: %s received, new business WAPE %v, %d rows, %d open invoices",
					want.Actual, want.New.WAPE, len(wantRows), want.PerOrig[0].Invoices)
			}
			want.Seconds = 0
			for _, n := range []int{1, 4} {
				var span *LedgerSpan
				if n == 4 {
					s, err := SpanOfParts(ctx, features.PartsOf(c.l, n))
					if err != nil {
						t.Fatal(err)
					}
					span = &s
				}
				trained = 0
				got, rows, err := BacktestParts(ctx, features.PartsOf(c.l, n), train, fx, span, o)
				if err != nil {
					t.Fatalf("%d parts: %v", n, err)
				}
				got.Seconds = 0
				if g, w := js(got), js(want); g != w {
					t.Errorf("%d parts:\n%s\nwhole:\n%s", n, g, w)
				}
				if g, w := js(rows), js(wantRows); g != w {
					t.Errorf("%d parts: the rows differ from the whole ledger's", n)
				}
				if trained != len(origins) {
					t.Errorf("%d parts: trained %d models for %d origins", n, trained, len(origins))
				}
			}
		})
	}
	// The whole ledger's errors on origins, in parts, before any model is
	// trained.
	for _, c := range []struct {
		origin datasets.Date
		want   error
	}{
		{d(2023, 2, 1), ErrBeforeData},
		{d(2024, 8, 1), ErrAfterData},
	} {
		o := BacktestOptions{Origins: []datasets.Date{c.origin}}
		_, _, err := BacktestParts(context.Background(), features.PartsOf(base, 3), func(context.Context, datasets.Date) (*model.Bundle, error) {
			t.Fatal("a model was trained for an origin the ledger cannot test")
			return nil, nil
		}, fx, nil, o)
		_, _, whole := RunBacktest(context.Background(), base, nil, o)
		if !errors.Is(err, c.want) || whole == nil || err.Error() != whole.Error() {
			t.Errorf("origin %s in parts: %v; whole: %v", c.origin, err, whole)
		}
	}
}
