package reports

import (
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
)

// A customer derived from its invoices (no customer master: no terms, no
// limit) shows its invoices' terms, said to be theirs, not NET0; and its
// limit of 0 is no credit, all it owes over it, as the credit workflow
// reads it, not "no limit". A customer with terms and a limit in the
// master shows them.
func TestDerivedCustomerShowsItsInvoicesTermsAndNoCredit(t *testing.T) {
	d := datasets.NewDate
	inv := func(id, cust string, issued datasets.Date, days int) datasets.Invoice {
		return datasets.Invoice{ID: id, CustomerID: cust, IssueDate: issued, DueDate: issued.AddDays(days), Amount: 100000, Currency: "EUR"}
	}
	l := &datasets.Ledger{
		Customers: []datasets.Customer{{ID: "D1", Currency: "EUR"},
			{ID: "M1", Currency: "EUR", CreditLimit: 5000000, Terms: datasets.Terms{Days: 30}}},
		Invoices: []datasets.Invoice{inv("I1", "D1", d(2024, 5, 1), 60), inv("I2", "D1", d(2024, 6, 1), 60), inv("I3", "M1", d(2024, 6, 1), 30)},
	}
	ps := pages(t, newSite(t, Input{Ledger: l, AsOf: d(2024, 6, 30)}))
	for id, c := range map[string]struct{ want, not []string }{
		"D1": {[]string{"NET60 (from its invoices)", "0.00 EUR (no credit)", "limit 0: no credit, all of it over the limit"}, []string{"NET0", "no limit"}},
		"M1": {[]string{"NET30", "50,000.00 EUR", "2 % of the credit limit"}, []string{"from its invoices", "no credit"}},
	} {
		page := ps[customerPath(id)]
		for _, w := range c.want {
			if !strings.Contains(page, w) {
				t.Errorf("%s's page lacks %q", id, w)
			}
		}
		for _, w := range c.not {
			if strings.Contains(page, w) {
				t.Errorf("%s's page says %q", id, w)
			}
		}
	}
}
