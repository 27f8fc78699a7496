package datasets

import (
	"testing"
	"time"
)

func digestLedger() *Ledger {
	d := NewDate(2025, time.March, 3)
	return &Ledger{
		Customers: []Customer{{ID: "A", Currency: "EUR"}, {ID: "B", Currency: "EUR"}},
		Invoices: []Invoice{
			{ID: "I1", CustomerID: "A", IssueDate: d, DueDate: d.AddDays(30), Amount: 100_00, Currency: "EUR"},
			{ID: "I2", CustomerID: "B", IssueDate: d, DueDate: d.AddDays(30), Amount: 200_00, Currency: "EUR"},
			// C has invoices and no master row: it still gets a digest.
			{ID: "I3", CustomerID: "C", IssueDate: d, DueDate: d.AddDays(30), Amount: 300_00, Currency: "EUR"},
		},
		Payments: []Payment{{ID: "P1", CustomerID: "B", InvoiceID: "I2", Date: d.AddDays(29), Amount: 200_00, Currency: "EUR"}},
	}
}

// A change to one customer's records changes that customer's digest and
// no other's, whichever entity the change is in.
func TestCustomerDigestsChangeOnlyForTheCustomerTouched(t *testing.T) {
	base := CustomerDigests(digestLedger())
	if len(base) != 3 {
		t.Fatalf("digests of %d customers, want A, B and C", len(base))
	}
	cases := []struct {
		name    string
		change  func(l *Ledger)
		changed string
	}{
		{"invoice amount", func(l *Ledger) { l.Invoices[0].Amount++ }, "A"},
		{"new payment", func(l *Ledger) {
			l.Payments = append(l.Payments, Payment{ID: "P2", CustomerID: "A", InvoiceID: "I1", Date: l.Invoices[0].DueDate, Amount: 100_00, Currency: "EUR"})
		}, "A"},
		{"master row", func(l *Ledger) { l.Customers[1].CreditLimit = 5_000_00 }, "B"},
		{"derived customer's invoice", func(l *Ledger) { l.Invoices[2].DueDate++ }, "C"},
		{"new dispute", func(l *Ledger) {
			l.Disputes = append(l.Disputes, Dispute{ID: "D1", CustomerID: "B", InvoiceID: "I2", Opened: l.Invoices[1].IssueDate.AddDays(3)})
		}, "B"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := digestLedger()
			c.change(l)
			got := CustomerDigests(l)
			for id, d := range base {
				if same := got[id] == d; same == (id == c.changed) {
					t.Errorf("customer %s: digest unchanged %v, want changed only for %s", id, same, c.changed)
				}
			}
		})
	}
}
