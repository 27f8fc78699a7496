package credit

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/synth"
)

// The PD sizes the limit (the risk appetite's cap), so it must not read
// the limit: every customer's limit cut to 1.00 leaves its PD as it was.
// (The default model read credit_utilisation: a cut raised the PD, which
// cut again at the next review; the credit simulation's suggested team
// swung a customer that never defaulted from 2.92M to 235k and back.)
func TestThePDDoesNotReadTheLimit(t *testing.T) {
	ctx := context.Background()
	l, _, err := synth.Collect(ctx, synth.Config{Customers: 160, Months: 24, Seed: 9, Start: datasets.NewDate(2023, 1, 1)})
	if err != nil {
		t.Fatal(err)
	}
	asOf := datasets.NewDate(2024, 10, 31)
	dm, err := TrainDefaultModel(ctx, l, asOf)
	if err != nil {
		t.Fatal(err)
	}
	before, err := dm.CustomerRisk(ctx, l, asOf)
	if err != nil {
		t.Fatal(err)
	}
	cut := *l
	cut.CreditDecisions = slices.Clone(l.CreditDecisions)
	for i := range l.Customers {
		cut.CreditDecisions = append(cut.CreditDecisions, datasets.CreditDecision{ID: fmt.Sprintf("CUT%d", i), CustomerID: l.Customers[i].ID,
			Date: asOf, NewLimit: 100, Reason: "review", DecidedBy: "test"})
	}
	after, err := dm.CustomerRisk(ctx, &cut, asOf)
	if err != nil {
		t.Fatal(err)
	}
	changed, modelled := 0, 0
	for id, r := range before {
		if r.Source == "model" {
			modelled++
		}
		if after[id] != r {
			changed++
			if changed <= 3 {
				t.Errorf("customer %s: PD %.4f (%s) with its limit, %.4f (%s) with a limit of 1.00", id, r.PD, r.Source, after[id].PD, after[id].Source)
			}
		}
	}
	if modelled == 0 {
		t.Fatal("no customer has a PD of the model: the test reads nothing")
	}
	if changed > 0 {
		t.Errorf("%d of %d PDs changed with the limit", changed, len(before))
	}
}
