package importer

import (
	"context"
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
)

// A credit-note row of an invoices file is compared with the currency of
// the invoice it applies to: the file's row of it, else the store's.
func TestTypedCreditCurrencyAgainstItsInvoice(t *testing.T) {
	cases := []struct {
		name, row string
		warn      string // the warned row's suffix, "" for none
	}{
		{name: "stored invoice, other currency", row: "Credit Note,K1,C1,2025-01-06,,-5.00,GBP,S1",
			warn: `invoices.csv:3 currency "GBP" (invoice "S1" in the store is in EUR)`},
		{name: "stored invoice, its currency", row: "Credit Note,K1,C1,2025-01-06,,-5.00,eur,S1"},
		{name: "the file's invoice, other currency", row: "Credit Note,K1,C1,2025-01-06,,-5.00,CAD,I1",
			warn: `invoices.csv:3 currency "CAD" (invoice "I1" of the file is in USD)`},
		{name: "the file's invoice wins over the store's", row: "Credit Note,K1,C1,2025-01-06,,-5.00,USD,I1"},
		{name: "unapplied: the customer's invoices in the file", row: "Credit Note,K1,C1,2025-01-06,,-5.00,CAD,",
			warn: `invoices.csv:3 currency "CAD"`},
	}
	for storeName, open := range stores(t) {
		for _, tc := range cases {
			t.Run(storeName+"/"+tc.name, func(t *testing.T) {
				ctx := context.Background()
				st := open(t)
				issued, _ := datasets.ParseDate("2025-01-02")
				err := st.Put(ctx, &datasets.Ledger{Customers: []datasets.Customer{{ID: "K1", Name: "K"}},
					Invoices: []datasets.Invoice{{ID: "S1", CustomerID: "K1", IssueDate: issued, DueDate: issued.AddDays(30), Amount: 1000, Currency: "EUR"},
						{ID: "I1", CustomerID: "K1", IssueDate: issued, DueDate: issued.AddDays(30), Amount: 1000, Currency: "EUR"}}})
				if err != nil {
					t.Fatal(err)
				}
				o := opts(t)
				o.Columns = map[string]string{"invoices.type": "Type", "invoices.applies_to": "Ref"}
				p := writeFile(t, t.TempDir(), "invoices.csv", "Type,customer_id,invoice_id,issue_date,due_date,amount,currency,Ref\n"+
					"Invoice,K1,I1,2025-01-05,2025-02-04,100.00,USD,\n"+tc.row+"\n")
				sum, err := Import(ctx, st, []string{p}, o)
				if err != nil {
					t.Fatal(err)
				}
				var rows []string
				for _, w := range sum.Warnings {
					if strings.HasPrefix(w.Reason, "credit note in another currency") {
						rows = append(rows, w.Rows...)
					}
				}
				if tc.warn == "" && len(rows) != 0 || tc.warn != "" && (len(rows) != 1 || !strings.HasSuffix(rows[0], tc.warn)) {
					t.Fatalf("warned %q, want %q", rows, tc.warn)
				}
			})
		}
	}
}
