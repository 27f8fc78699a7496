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

// A blank credit_limit in the customer master is no limit recorded: the
// customer page says "none recorded", not 0.00 (no credit) with all it owes
// over it; so does the page as of a day before an approval that set a
// limit (the decision keeps the blank: the approval cleared the master's),
// and the decisions table gives its old limit as none recorded. (All read
// 0.00, no credit.)
func TestTheCustomerPageShowsABlankLimitAsNoneRecorded(t *testing.T) {
	d := datasets.NewDate
	inv := func(id, cust string) datasets.Invoice {
		return datasets.Invoice{ID: id, CustomerID: cust, IssueDate: d(2024, 6, 1), DueDate: d(2024, 7, 1), Amount: 100000, Currency: "EUR"}
	}
	l := &datasets.Ledger{
		Customers: []datasets.Customer{{ID: "B1", Currency: "EUR", Name: "Blank", Segment: "x", CreditLimitBlank: true},
			{ID: "A1", Currency: "EUR", Name: "Approved", Segment: "x", CreditLimit: 2000000}},
		Invoices:        []datasets.Invoice{inv("I1", "B1"), inv("I2", "A1")},
		CreditDecisions: []datasets.CreditDecision{{ID: "CD1", CustomerID: "A1", Date: d(2024, 7, 5), NewLimit: 2000000, OldLimitBlank: true, DecidedBy: "bob"}},
	}
	for _, c := range []struct {
		asOf      datasets.Date
		id        string
		want, not []string
	}{
		{d(2024, 6, 30), "B1", []string{"none recorded", "credit limit none recorded"}, []string{"(no credit)", "limit 0: no credit"}},
		{d(2024, 6, 30), "A1", []string{"none recorded"}, []string{"(no credit)", "limit 0: no credit"}},
		{d(2024, 7, 31), "A1", []string{"20,000.00 EUR", "% of the credit limit"}, []string{"(no credit)", "credit limit none recorded"}},
	} {
		page := pages(t, newSite(t, Input{Ledger: l, AsOf: c.asOf}))[customerPath(c.id)]
		for _, w := range c.want {
			if !strings.Contains(page, w) {
				t.Errorf("%s's page as of %s lacks %q", c.id, c.asOf, w)
			}
		}
		for _, w := range c.not {
			if strings.Contains(page, w) {
				t.Errorf("%s's page as of %s says %q", c.id, c.asOf, w)
			}
		}
	}
}
