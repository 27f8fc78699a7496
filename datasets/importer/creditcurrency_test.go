package importer

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
)

// A credit-note row of an invoices file is compared with the currency of
// the invoice it applies to: the file's row of it, else the store's. A row
// in another currency is rejected (it was loaded with a warning, read in
// the invoice's currency: a wrong amount), as a £ sign on a EUR row is:
// one rule, amounts are never converted on import.
func TestTypedCreditCurrencyAgainstItsInvoice(t *testing.T) {
	cases := []struct {
		name, row string
		warn      string // the rejected row's reason's start, "" for none
	}{
		{name: "stored invoice, other currency", row: "Credit Note,K1,C1,2025-01-06,,-5.00,GBP,S1",
			warn: `credit note in GBP, but invoice "S1" in the store is in EUR`},
		{name: "stored invoice, its currency", row: "Credit Note,K1,C1,2025-01-06,,-5.00,eur,S1"},
		{name: "the file's invoice, other currency", row: "Credit Note,K1,C1,2025-01-06,,-5.00,CAD,I1",
			warn: `credit note in CAD, but invoice "I1" of the file is in USD`},
		{name: "the file's invoice wins over the store's", row: "Credit Note,K1,C1,2025-01-06,,-5.00,USD,I1"},
		{name: "unapplied: the customer's invoices in the file", row: "Credit Note,K1,C1,2025-01-06,,-5.00,CAD,",
			warn: `credit note in CAD, but customer "K1"'s invoices of the file`},
		{name: "the invoice later in the file", row: "Credit Note,K1,C2,2025-01-06,,-5.00,GBP,I9\nInvoice,K1,I9,2025-01-05,2025-02-04,100.00,USD,",
			warn: `credit note in GBP, but invoice "I9" of the file is in USD`},
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
				if err != nil && !errors.Is(err, ErrRejected) {
					t.Fatal(err)
				}
				var rows []string
				for _, r := range sum.FirstRejects {
					rows = append(rows, fmt.Sprintf("%d %s %s", r.Line, r.Field, r.Reason))
				}
				if tc.warn == "" && len(rows) != 0 || tc.warn != "" && (len(rows) != 1 || !strings.HasPrefix(rows[0], "3 currency "+tc.warn)) {
					t.Fatalf("rejected %q, want %q", rows, tc.warn)
				}
				// Nothing else of the file is lost: the held credit loads
				// when its currency is its invoice's.
				l, err := st.(interface {
					Load(context.Context) (*datasets.Ledger, error)
				}).Load(ctx)
				if err != nil {
					t.Fatal(err)
				}
				want := 1
				if tc.warn != "" {
					want = 0
				}
				if len(l.CreditNotes) != want || sum.CreditNotesFromInvoices != want {
					t.Fatalf("%d credit notes stored, %d counted; want %d", len(l.CreditNotes), sum.CreditNotesFromInvoices, want)
				}
			})
		}
	}
}

// noLoad is a store whose whole ledger must not be read: the currency of
// a credit note's stored invoice was found by loading every record once
// per file (up to 200,000 invoices); now the invoices named are read by id.
type noLoad struct {
	testStore
	t     *testing.T
	asked []string
}

func (s *noLoad) Load(context.Context) (*datasets.Ledger, error) {
	s.t.Error("the importer loaded the whole ledger")
	return nil, errors.New("no")
}

func (s *noLoad) InvoiceRecords(ctx context.Context, ids []string) (*datasets.Ledger, error) {
	s.asked = append(s.asked, ids...)
	return s.testStore.(invoiceReader).InvoiceRecords(ctx, ids)
}

func TestCreditCurrencyReadsOnlyTheInvoicesNamed(t *testing.T) {
	for storeName, open := range stores(t) {
		t.Run(storeName, func(t *testing.T) {
			ctx := context.Background()
			inner := open(t)
			issued, _ := datasets.ParseDate("2025-01-02")
			var invs []datasets.Invoice
			for _, id := range []string{"S1", "S2", "S3"} {
				invs = append(invs, datasets.Invoice{ID: id, CustomerID: "K1", IssueDate: issued, DueDate: issued.AddDays(30), Amount: 1000, Currency: "EUR"})
			}
			if err := inner.Put(ctx, &datasets.Ledger{Customers: []datasets.Customer{{ID: "K1", Name: "K"}}, Invoices: invs}); err != nil {
				t.Fatal(err)
			}
			st := &noLoad{testStore: inner, t: t}
			o := opts(t)
			o.Columns = map[string]string{"invoices.type": "Type", "invoices.applies_to": "Ref"}
			p := writeFile(t, t.TempDir(), "invoices.csv", "Type,customer_id,invoice_id,issue_date,due_date,amount,currency,Ref\n"+
				"Credit Note,K1,K-1,2025-01-06,,-5.00,GBP,S2\n"+
				"Credit Note,K1,K-2,2025-01-06,,-5.00,EUR,S3\n")
			sum, err := Import(ctx, st, []string{p}, o)
			if err != nil {
				t.Fatal(err)
			}
			// The credit notes' check reads S2 and S3; the settling of covered
			// invoices (settlecover.go) reads S3 again, the one loaded.
			if fmt.Sprint(slices.Compact(slices.Sorted(slices.Values(st.asked)))) != "[S2 S3]" || sum.Rejected != 1 || sum.FirstRejects[0].Line != 2 || sum.Loaded != 1 {
				t.Fatalf("asked for %v; rejected %d %+v, loaded %d", st.asked, sum.Rejected, sum.FirstRejects, sum.Loaded)
			}
		})
	}
}
