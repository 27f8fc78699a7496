package importer

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
)

// A promise of more than its invoice was refused by the API only: a
// promises file loaded it. Now the import applies the same check
// (CheckPromiseAmount) against the stored invoice, this import's included,
// rejecting the row at its amount.
func TestPromiseOfMoreThanItsInvoiceIsRejected(t *testing.T) {
	for storeName, open := range stores(t) {
		t.Run(storeName, func(t *testing.T) {
			ctx := context.Background()
			st := open(t)
			issued, _ := datasets.ParseDate("2025-01-02")
			if err := st.Put(ctx, &datasets.Ledger{Customers: []datasets.Customer{{ID: "K1", Name: "K"}},
				Invoices: []datasets.Invoice{{ID: "S1", CustomerID: "K1", IssueDate: issued, DueDate: issued.AddDays(30), Amount: 10000, Currency: "EUR"}}}); err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			inv := writeFile(t, dir, "invoices.csv", "invoice_id,customer_id,issue_date,due_date,amount\nI1,K1,2025-01-05,2025-02-04,20.00\n")
			prm := writeFile(t, dir, "promises.csv", "promise_id,customer_id,invoice_id,made_date,promised_date,amount\n"+
				"P1,K1,S1,2025-02-01,2025-02-10,50.00\n"+ // 2
				"P2,K1,S1,2025-02-01,2025-02-10,999999999.00\n"+ // 3: more than S1's 100.00
				"P3,K1,,2025-02-01,2025-02-10,5000.00\n"+ // 4: of no invoice
				"P4,K1,I1,2025-02-01,2025-02-10,30.00\n"+ // 5: more than I1's 20.00, of this import
				"P5,K1,I1,2025-02-01,2025-02-10,20.00\n") // 6
			sum, err := Import(ctx, st, []string{inv, prm}, opts(t))
			if err != nil && !errors.Is(err, ErrRejected) {
				t.Fatal(err)
			}
			var rejects []string
			for _, r := range sum.FirstRejects {
				rejects = append(rejects, fmt.Sprintf("%d %s %s", r.Line, r.Field, r.Reason))
			}
			want := []string{`3 amount 999999999.00 is more than invoice "S1"'s amount, 100.00 EUR`, `5 amount 30.00 is more than invoice "I1"'s amount, 20.00 `}
			if !slices.Equal(rejects, want) || sum.Loaded != 1+3 {
				t.Fatalf("rejects %q, loaded %d; want %q", rejects, sum.Loaded, want)
			}
			l, err := st.Load(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(l.Promises) != 3 {
				t.Fatalf("promises %+v", l.Promises)
			}
		})
	}
}
