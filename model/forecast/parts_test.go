package forecast

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"testing"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/storetest"
	"github.com/dsopilot/dsopilot/datasets/synth"
	"github.com/dsopilot/dsopilot/features"
	"github.com/dsopilot/dsopilot/model"
)

// simFX is the simulator's rates to EUR.
func simFX() *datasets.FX {
	fx := &datasets.FX{To: "EUR", Rates: map[string]datasets.Rate{}}
	for _, r := range synth.FXRates() {
		fx.Rates[r.Currency] = r.Rate
	}
	return fx
}

// simulatedEUR simulates a ledger from 2023-01-01 and converts it to EUR
// at the simulator's rates.
func simulatedEUR(t *testing.T, customers, months int, seed uint64) *datasets.Ledger {
	t.Helper()
	l, _, err := synth.Collect(context.Background(), synth.Config{Customers: customers, Months: months, Seed: seed})
	if err != nil {
		t.Fatal(err)
	}
	conv, err := l.Convert(*simFX())
	if err != nil {
		t.Fatal(err)
	}
	return conv
}

// A forecast read in parts of whole customers is the whole ledger's, value
// for value: the open book, the bands, the new business and the shocks
// estimated from the replays, by customer and by currency too, whether
// the replays sample the customers or take them all, and whatever the
// parts. The model learnt in EUR, so each part is converted before it is
// scored.
func TestForecastInPartsIsWhole(t *testing.T) {
	ctx := context.Background()
	l, _, err := synth.Collect(ctx, synth.Config{Customers: 120, Months: 20, Seed: 31, Start: d(2023, 1, 1)})
	if err != nil {
		t.Fatal(err)
	}
	asOf := d(2024, 6, 30)
	fx := simFX()
	conv, err := l.Convert(*fx)
	if err != nil {
		t.Fatal(err)
	}
	b, err := model.Train(ctx, features.NewIndex(conv), model.TrainOptions{AsOf: asOf, Families: []string{model.FamilyLogistic}, FX: fx})
	if err != nil {
		t.Fatal(err)
	}
	js := func(v any) string { return jsonOf(t, v) }
	strayed := storetest.WithStrays(l)
	for _, c := range []struct {
		name   string
		l      *datasets.Ledger
		by     string
		fx     *datasets.FX
		sample int
	}{
		{"portfolio, replays of every customer", l, "", fx, 0},
		{"by customer, replays of a sample", l, ByCustomer, fx, 40},
		{"by currency, unconverted", l, ByCurrency, nil, 40},
		{"records on other customers' invoices", strayed, ByCustomer, fx, 40},
		{"records on other customers' invoices, every customer replayed", strayed, "", fx, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			l := c.l
			o := Options{AsOf: asOf, By: c.by, Paths: 300, Seed: 4, replaySample: c.sample}
			want, mixed, err := FromLedger(ctx, l, b, c.fx, o)
			if err != nil {
				t.Fatal(err)
			}
			if !want.Shocks.Estimated || want.Book.Invoices < 50 || want.NewBusiness.Customers < 50 || (c.by != "" && len(want.Groups) < 2) {
				t.Fatalf("the whole ledger's forecast is too thin to compare: shocks estimated %v, %d open invoices, %d customers with new business, %d groups",
					want.Shocks.Estimated, want.Book.Invoices, want.NewBusiness.Customers, len(want.Groups))
			}
			if c.fx == nil && len(mixed) < 2 {
				t.Fatalf("unconverted, the ledger mixes %v: want several currencies", mixed)
			}
			for _, n := range []int{1, 3, 8} {
				got, info, err := FromParts(ctx, features.PartsOf(l, n), b, c.fx, o)
				if err != nil {
					t.Fatalf("%d parts: %v", n, err)
				}
				if g, w := js(got), js(want); g != w {
					t.Errorf("%d parts:\n%s\nwhole:\n%s", n, g, w)
				}
				if js(info.Mixed) != js(nilIfEmpty(mixed)) || info.LastDay != l.LastDay() {
					t.Errorf("%d parts: mixed %v, last day %s; whole %v, %s", n, info.Mixed, info.LastDay, mixed, l.LastDay())
				}
			}
			// The forecast saved and compared with what came in since:
			// the ledger runs two months past the as-of date, so the
			// weeks are complete, partial and pending.
			snap := want.Snapshot("S1", time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC), "M1")
			h, _, err := ReportingHistory(l, c.fx)
			if err != nil {
				t.Fatal(err)
			}
			wantCmp, err := Compare(h, snap)
			if err != nil {
				t.Fatal(err)
			}
			if wantCmp.Complete == 0 || wantCmp.Weeks[12].Status != "pending" || wantCmp.Weeks[6].ActualNew == 0 {
				t.Fatalf("the whole ledger's comparison is too thin: %d complete weeks, week 13 %s, week 7 new business received %s", wantCmp.Complete, wantCmp.Weeks[12].Status, wantCmp.Weeks[6].ActualNew)
			}
			for _, n := range []int{1, 3, 8} {
				got, err := CompareParts(features.PartsOf(l, n), c.fx, snap)
				if err != nil {
					t.Fatalf("compare in %d parts: %v", n, err)
				}
				if g, w := js(got), js(wantCmp); g != w {
					t.Errorf("compare in %d parts:\n%s\nwhole:\n%s", n, g, w)
				}
			}
		})
	}
	// The whole ledger's errors, in parts.
	for _, c := range []struct {
		asOf datasets.Date
		want error
	}{
		{d(2020, 1, 1), ErrBeforeData},
	} {
		_, _, err := FromParts(ctx, features.PartsOf(l, 3), b, fx, Options{AsOf: c.asOf})
		_, _, whole := FromLedger(ctx, l, b, fx, Options{AsOf: c.asOf})
		if !errors.Is(err, c.want) || whole == nil || err.Error() != whole.Error() {
			t.Errorf("as of %s in parts: %v; whole: %v", c.asOf, err, whole)
		}
	}
	// Rates missing for the model's currency: one error counting every
	// part's amounts, the whole ledger's. Missing for the reporting
	// currency, a minority of the book is left out, every part's counted
	// (unconverted_test.go).
	partial := &datasets.FX{To: fx.To, Rates: maps.Clone(fx.Rates)}
	for _, r := range synth.FXRates()[:2] {
		delete(partial.Rates, r.Currency)
	}
	unratedModel := *b
	unratedModel.Options.FX = partial
	_, _, err = FromParts(ctx, features.PartsOf(l, 4), &unratedModel, nil, Options{AsOf: asOf})
	_, _, whole := FromLedger(ctx, l, &unratedModel, nil, Options{AsOf: asOf})
	var missing *datasets.MissingRatesError
	if !errors.As(err, &missing) || len(missing.Amounts) != 2 || whole == nil || err.Error() != whole.Error() {
		t.Errorf("model rates missing, in parts: %v; whole: %v", err, whole)
	}
	o := Options{AsOf: asOf, Paths: 100}
	got, _, err := FromParts(ctx, features.PartsOf(l, 4), b, partial, o)
	want, _, werr := FromLedger(ctx, l, b, partial, o)
	if err != nil || werr != nil || want.Unconverted == nil || len(want.Unconverted.Currencies) != 2 || jsonOf(t, got) != jsonOf(t, want) {
		t.Errorf("reporting rates missing, in parts: %v; whole: %v; left out %s, in parts %s", err, werr, jsonOf(t, want.Unconverted), jsonOf(t, got.Unconverted))
	}
	if _, _, err := FromParts(ctx, features.PartsOf(&datasets.Ledger{}, 2), b, fx, Options{AsOf: asOf}); !errors.Is(err, ErrEmptyBook) {
		t.Errorf("an empty ledger in parts: %v", err)
	}
}

// jsonOf is v in JSON, for comparing results value for value.
func jsonOf(t *testing.T, v any) string {
	t.Helper()
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}
