package recommender

import (
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
)

// TestEscalationMinimumQuotesTheCustomersAmount: the rule that blocked a
// call or a final notice must quote what the customer owes in its own
// currency, the figure a collector can check against the customer's
// statement, with the converted total it was compared on labelled.
func TestEscalationMinimumQuotesTheCustomersAmount(t *testing.T) {
	cases := []struct {
		name     string
		currency string
		amount   datasets.Money
		want     []string
		notWant  string
	}{
		{"EUR customer", "EUR", 5000, []string{"overdue 50.00 EUR is below the escalation minimum 100.00 EUR"}, "converted"},
		{"GBP customer", "GBP", 5000, []string{"overdue 50.00 GBP (", "EUR converted at the worklist's rates) is below the escalation minimum 100.00 EUR"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := ledgerOf([]int{10}, []datasets.Money{c.amount})
			l.Invoices[0].Currency = c.currency
			l.Customers[0].Currency = c.currency
			b, err := NewBook(l, d0, "EUR", SimFX())
			if err != nil {
				t.Fatal(err)
			}
			sc := DefaultScenarios()
			a := sc.assess(b, b.Account("C1"))
			for _, c := range sc.candidates(a, sc.ActionTypes()) {
				if c.typ.Escalation {
					t.Errorf("escalation %s allowed on an overdue total under the minimum", c.typ.Name)
				}
			}
			var details []string
			for _, b := range a.blocked {
				if b.Rule == RuleMinEscalation {
					details = append(details, b.Detail)
				}
			}
			if len(details) == 0 {
				t.Fatalf("no %s block in %+v", RuleMinEscalation, a.blocked)
			}
			for _, d := range details {
				for _, s := range c.want {
					if !strings.Contains(d, s) {
						t.Errorf("detail %q lacks %q", d, s)
					}
				}
				if c.notWant != "" && strings.Contains(d, c.notWant) {
					t.Errorf("detail %q says %q for a customer in the list's currency", d, c.notWant)
				}
			}
		})
	}
}

// TestEscalationWithoutHistorySaysWhy: on a ledger without dunning
// history a debt long overdue cannot take a final notice or the agency
// (each needs an earlier step on record); the block must say so and how to
// carry the ERP's history on, not leave a credit manager wondering why a
// 695-day debt gets a call.
func TestEscalationWithoutHistorySaysWhy(t *testing.T) {
	// The default types: final notices from 1 to 365 days overdue, the
	// agency from 30 to 730.
	l := ledgerOf([]int{695, 200}, []datasets.Money{5_000_00, 2_000_00})
	b, err := NewBook(l, d0, "EUR", SimFX())
	if err != nil {
		t.Fatal(err)
	}
	sc := DefaultScenarios()
	for _, basis := range []string{"value", BasisScenario} {
		t.Run(basis, func(t *testing.T) {
			a := sc.assess(b, b.Account("C1"))
			if basis == BasisScenario {
				// The scenario-based list (a ledger without randomised
				// history) plans the step itself, and says it as well.
				if c, _, ok := sc.scenarioPlan(a); !ok || c.typ.Name != "call" {
					t.Fatalf("scenario plan %+v (%v), want the call the rules allow", c.typ, ok)
				}
			} else {
				sc.candidates(a, sc.ActionTypes())
			}
			checkAfterBlocks(t, a)
		})
	}
}

func checkAfterBlocks(t *testing.T, a *assessment) {
	t.Helper()
	found := map[string]string{}
	for _, x := range a.blocked {
		if x.Rule == RuleAfter {
			found[x.Action] = x.Detail
		}
	}
	for _, typ := range []string{"final_notice", "collection_agency"} {
		d, ok := found[typ]
		if !ok {
			t.Errorf("no %s block for %s in %+v", RuleAfter, typ, a.blocked)
			continue
		}
		if !strings.Contains(d, "on record first") || !strings.Contains(d, "dunning_level") {
			t.Errorf("%s: detail %q does not say that nothing is on record and how to import the history", typ, d)
		}
	}
}
