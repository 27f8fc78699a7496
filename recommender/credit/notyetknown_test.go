package credit

import (
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
)

// TestADerivedCustomerIsUnknownBeforeItsFirstInvoice: a customer the
// importer derived from invoices exists only from its first invoice; as of
// an earlier day it was assessed anyway (a cold-start limit of 20,000 EUR
// for a customer nobody had heard of yet). A customer of the master stays
// known from its record, invoiced or not.
func TestADerivedCustomerIsUnknownBeforeItsFirstInvoice(t *testing.T) {
	l := baseLedger()
	l.Customers = append(l.Customers,
		datasets.Customer{ID: "D1", Segment: "small_business", Country: "DE", Currency: "EUR"},
		datasets.Customer{ID: "M1", Name: "Gamma AG", Segment: "small_business", Country: "DE", Currency: "EUR", Terms: datasets.Terms{Days: 30}})
	l.Invoices = append(l.Invoices, datasets.Invoice{ID: "K0001", CustomerID: "D1", IssueDate: asOf.AddDays(20),
		DueDate: asOf.AddDays(50), Amount: 900_00, Currency: "EUR", Segment: "small_business"})
	cases := []struct {
		day   datasets.Date
		known map[string]bool
	}{
		{asOf, map[string]bool{"C1": true, "C2": true, "D1": false, "M1": true}},
		{asOf.AddDays(20), map[string]bool{"C1": true, "C2": true, "D1": true, "M1": true}},
	}
	for _, c := range cases {
		s, err := Suggest(l, c.day, DefaultPolicy(), Options{Risk: map[string]Risk{"C1": {PD: 0.01, Source: "model"}, "C2": {PD: 0.01, Source: "model"},
			"D1": {PD: 0.01, Source: "model"}, "M1": {PD: 0.01, Source: "model"}}})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		for _, r := range s.Rows {
			got[r.CustomerID] = true
		}
		for id, want := range c.known {
			if got[id] != want {
				t.Errorf("as of %s: %s assessed %v, want %v", c.day, id, got[id], want)
			}
		}
	}
}
