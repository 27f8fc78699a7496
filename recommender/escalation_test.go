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
