package credit

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/embedded"
	"github.com/dsopilot/dsopilot/datasets/synth"
	"github.com/dsopilot/dsopilot/features"
)

// The credit workflow reading its store in parts of whole customers gives
// what it gives from the whole ledger, value for value: the default model
// learnt from the parts' snapshots in the whole ledger's order, each
// account with its segment's season summed over every part, the segments'
// fallback rates for a customer asked about alone, the flags and the
// advice.
func TestCreditInPartsIsWhole(t *testing.T) {
	ctx := context.Background()
	l, _, err := synth.Collect(ctx, synth.Config{Customers: 160, Months: 24, Seed: 9, Start: datasets.NewDate(2023, 1, 1)})
	if err != nil {
		t.Fatal(err)
	}
	st, err := embedded.Open(ctx, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Put(ctx, l); err != nil {
		t.Fatal(err)
	}
	stored, err := st.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fx := datasets.FX{To: "EUR", Rates: map[string]datasets.Rate{}}
	for _, r := range synth.FXRates() {
		fx.Rates[r.Currency] = r.Rate
	}
	asOf := datasets.NewDate(2024, 10, 31)
	js := func(v any) string {
		t.Helper()
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	whole := &Service{Store: st, Policy: DefaultPolicy(), Risk: LearnedRisk{}, FX: fx}
	all, err := whole.Suggest(ctx, asOf)
	if err != nil {
		t.Fatal(err)
	}
	sources := map[string]int{}
	var fallback string
	for _, r := range all.Rows {
		sources[r.PDSource]++
		if r.PDSource != "model" && fallback == "" {
			fallback = r.CustomerID
		}
	}
	if sources["model"] == 0 || fallback == "" || len(all.Rows) < 50 {
		t.Fatalf("the whole run is too thin to compare: %d suggestions, PD sources %v", len(all.Rows), sources)
	}
	flags, problems, err := whole.Flags(ctx, asOf)
	if err != nil || len(flags) == 0 {
		t.Fatalf("flags: %v, %d flagged", err, len(flags))
	}
	one, err := whole.Suggest(ctx, asOf, fallback)
	if err != nil {
		t.Fatal(err)
	}
	advice, err := whole.Advice(ctx, asOf, fallback, all.Rows[0].CustomerID)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{1, 3, 8} {
		parts := &Service{Store: st, Policy: DefaultPolicy(), Risk: LearnedRisk{}, FX: fx, Parts: features.PartsOf(stored, n)}
		got, err := parts.Suggest(ctx, asOf)
		if err != nil || js(got) != js(all) {
			t.Errorf("suggestions in %d parts (%v):\n%s\nwhole:\n%s", n, err, js(got), js(all))
		}
		gotFlags, gotProblems, err := parts.Flags(ctx, asOf)
		if err != nil || js(gotFlags) != js(flags) || js(gotProblems) != js(problems) {
			t.Errorf("flags in %d parts (%v):\n%s\nwhole:\n%s", n, err, js(gotFlags), js(flags))
		}
		gotOne, err := parts.Suggest(ctx, asOf, fallback)
		if err != nil || js(gotOne) != js(one) {
			t.Errorf("%s alone in %d parts (%v):\n%s\nwhole:\n%s", fallback, n, err, js(gotOne), js(one))
		}
		gotAdvice, err := parts.Advice(ctx, asOf, fallback, all.Rows[0].CustomerID)
		if err != nil || js(gotAdvice) != js(advice) {
			t.Errorf("advice in %d parts (%v):\n%s\nwhole:\n%s", n, err, js(gotAdvice), js(advice))
		}
	}
	// A risk source that cannot read parts is an error, not a silent
	// whole-ledger read.
	bad := &Service{Store: st, Policy: DefaultPolicy(), Risk: fixedRisk{}, FX: fx, Parts: features.PartsOf(stored, 2)}
	if _, err := bad.Suggest(ctx, asOf); err == nil {
		t.Error("a risk source that cannot read parts was accepted")
	}
}
