package credit

import (
	"fmt"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
)

// The tests' ledger: customer C1 (mid-market, NET60, limit 50,000 EUR) has
// invoiced 10,000 EUR every 7 days for a year and paid each 10 days late;
// C2 (small business) joined a week before asOf with one invoice.
var asOf = mustDate("2024-06-30")

func mustDate(s string) datasets.Date {
	d, err := datasets.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

const (
	baseLimit   = datasets.Money(50_000_00)
	baseAmount  = datasets.Money(10_000_00)
	baseEvery   = 7
	baseTerms   = 60
	baseLate    = 10
	baseHistory = 371 // days of invoicing before asOf
)

func baseLedger() *datasets.Ledger {
	l := &datasets.Ledger{}
	l.Customers = []datasets.Customer{
		{ID: "C1", Name: "Alpha GmbH", Segment: "mid_market", Country: "DE", Currency: "EUR", CreditLimit: baseLimit,
			Terms: datasets.Terms{Days: baseTerms}, Since: asOf.AddDays(-baseHistory - 30)},
		{ID: "C2", Name: "Beta SARL", Segment: "small_business", Country: "FR", Currency: "EUR", CreditLimit: 2_000_00,
			Terms: datasets.Terms{Days: 30}, Since: asOf.AddDays(-7)},
	}
	n := 0
	for d := asOf.AddDays(-baseHistory); d <= asOf; d = d.AddDays(baseEvery) {
		n++
		inv := datasets.Invoice{ID: fmt.Sprintf("I%04d", n), CustomerID: "C1", IssueDate: d, DueDate: d.AddDays(baseTerms),
			Amount: baseAmount, Currency: "EUR", Segment: "mid_market"}
		if paid := inv.DueDate.AddDays(baseLate); paid <= asOf {
			inv.SettledDate = paid
			l.Payments = append(l.Payments, datasets.Payment{ID: "P" + inv.ID, CustomerID: "C1", InvoiceID: inv.ID, Date: paid,
				Amount: baseAmount, Currency: "EUR"})
		}
		l.Invoices = append(l.Invoices, inv)
	}
	l.Invoices = append(l.Invoices, datasets.Invoice{ID: "J0001", CustomerID: "C2", IssueDate: asOf.AddDays(-5),
		DueDate: asOf.AddDays(25), Amount: 1_500_00, Currency: "EUR", Segment: "small_business"})
	l.CreditDecisions = []datasets.CreditDecision{{ID: "D1", CustomerID: "C1", Date: asOf.AddDays(-100), OldLimit: 30_000_00,
		NewLimit: baseLimit, Reason: "review", DecidedBy: "carol"}}
	return l
}

// exposureOf is what C1 owes at the end of asOf.
func exposureOf(l *datasets.Ledger, id string, t datasets.Date) datasets.Money {
	var m datasets.Money
	for _, v := range l.Invoices {
		if v.CustomerID == id && v.IssueDate <= t && (v.SettledDate == 0 || v.SettledDate > t) {
			m += v.Amount
		}
	}
	return m
}

func suggestOne(t *testing.T, l *datasets.Ledger, pol *Policy, risk map[string]Risk, id string) Suggestion {
	t.Helper()
	s, err := Suggest(l, asOf, pol, Options{Risk: risk, Customers: []string{id}})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Rows) != 1 {
		t.Fatalf("%d suggestions for %s, problems %v", len(s.Rows), id, s.Problems)
	}
	return s.Rows[0]
}
