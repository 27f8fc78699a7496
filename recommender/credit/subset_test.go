package credit

import (
	"context"
	"reflect"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/synth"
)

// A customer's suggestion must not depend on whether the whole portfolio or
// only that customer was asked for: the segment's default rate, which a
// customer without its own PD falls back on, was once taken from the one
// customer asked about (credit suggest --customer gave 25% where the whole
// run gave 5.8%).
func TestSuggestForOneCustomerEqualsItsRowInTheWholeRun(t *testing.T) {
	l, _, err := synth.Collect(context.Background(), synth.Config{Customers: 80, Months: 18, Seed: 5, Start: datasets.NewDate(2023, 1, 1)})
	if err != nil {
		t.Fatal(err)
	}
	pol := DefaultPolicy()
	asOf := datasets.NewDate(2024, 6, 30)
	// Without rates, one currency at a time: the policy's.
	fx := datasets.FX{}
	all, err := Suggest(l, asOf, pol, Options{FX: fx, Currency: pol.Currency})
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Rows) < 20 {
		t.Fatalf("%d suggestions (problems %v): the fixture should give more", len(all.Rows), all.Problems)
	}
	segmentRisk := 0
	for _, want := range all.Rows {
		if want.PDSource == "segment" {
			segmentRisk++
		}
		one, err := Suggest(l, asOf, pol, Options{FX: fx, Customers: []string{want.CustomerID}, Currency: pol.Currency})
		if err != nil {
			t.Fatalf("%s: %v", want.CustomerID, err)
		}
		if len(one.Rows) != 1 || !reflect.DeepEqual(one.Rows[0], want) {
			t.Fatalf("%s alone:\n%+v\nin the whole run:\n%+v", want.CustomerID, one.Rows, want)
		}
	}
	if segmentRisk == 0 {
		t.Fatal("no customer fell back on the segment's rate: the test checks nothing")
	}
}
