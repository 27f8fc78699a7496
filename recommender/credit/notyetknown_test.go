package credit

import (
	"fmt"
	"strings"
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

// TestTermsFromInvoicesAreTheMostCommon: a customer without terms in the
// master is sized on the terms most of its invoices have, the ones the
// report and the API show; it used to take its first invoice's (30 days
// here, where two of three run 60).
func TestTermsFromInvoicesAreTheMostCommon(t *testing.T) {
	l := baseLedger()
	l.Customers = append(l.Customers, datasets.Customer{ID: "D1", Segment: "small_business", Country: "DE", Currency: "EUR"})
	for i, days := range []int{30, 60, 60, 30, 60, 60, 60, 60} {
		issue := asOf.AddDays(-300 + 30*i)
		v := datasets.Invoice{ID: fmt.Sprintf("K%d", i), CustomerID: "D1", IssueDate: issue,
			DueDate: issue.AddDays(days), Amount: 900_00, Currency: "EUR", Segment: "small_business"}
		if v.DueDate < asOf {
			v.SettledDate = v.DueDate
			l.Payments = append(l.Payments, datasets.Payment{ID: "P" + v.ID, CustomerID: "D1", InvoiceID: v.ID, Date: v.DueDate,
				Amount: v.Amount, Currency: "EUR"})
		}
		l.Invoices = append(l.Invoices, v)
	}
	s := suggestOne(t, l, DefaultPolicy(), map[string]Risk{"D1": {PD: 0.01, Source: "model"}}, "D1")
	all := strings.Join(s.Reasons, " | ")
	if !strings.Contains(all, "60-day terms (from its invoices)") {
		t.Errorf("reasons do not size D1 on its invoices' usual 60-day terms:\n%s", all)
	}
}
