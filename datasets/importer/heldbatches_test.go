package importer

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
)

// batchSizes is a store that records the size of every batch put.
type batchSizes struct {
	testStore
	sizes []int
}

func (s *batchSizes) Put(ctx context.Context, b *datasets.Ledger) error {
	s.sizes = append(s.sizes, b.Len())
	return s.testStore.Put(ctx, b)
}

func (s *batchSizes) InvoiceRecords(ctx context.Context, ids []string) (*datasets.Ledger, error) {
	return s.testStore.(invoiceReader).InvoiceRecords(ctx, ids)
}

// The rows held to the end of a file (credit notes of an invoices file
// with a currency, dunning actions of an assumed date, promises of an
// invoice) were sent as one batch whatever their number: a file of a
// million promises built one batch of a million. Now they go in batches
// of the batch size, all of them loaded.
func TestHeldRowsGoInBatchesOfTheBatchSize(t *testing.T) {
	const n, size = 7, 3
	var invoices, credits, dunning, promises strings.Builder
	invoices.WriteString("invoice_id,customer_id,issue_date,due_date,amount,currency\n")
	credits.WriteString("invoice_id,customer_id,issue_date,due_date,amount,currency,Type,Ref\n")
	dunning.WriteString("invoice_id,customer_id,issue_date,due_date,amount,Level\n")
	promises.WriteString("promise_id,customer_id,invoice_id,made_date,promised_date,amount\n")
	for i := range n {
		fmt.Fprintf(&invoices, "S%d,K1,2025-01-02,2025-02-01,100.00,EUR\n", i)
		fmt.Fprintf(&credits, "G%d,K1,2025-01-05,2025-02-01,10.00,EUR,Credit,S%d\n", i, i)
		fmt.Fprintf(&dunning, "D%d,K1,2025-01-02,2025-02-01,100.00,1\n", i)
		fmt.Fprintf(&promises, "PR%d,K1,S%d,2025-01-10,2025-01-20,50.00\n", i, i)
	}
	for _, tc := range []struct {
		name, body string
		kind       datasets.Entity
		setup      func(o *Options)
		count      func(l *datasets.Ledger) int
	}{
		{name: "credit notes with a currency", body: credits.String(), kind: datasets.EntityInvoices,
			setup: func(o *Options) { o.Columns = map[string]string{"invoices.type": "Type", "invoices.applies_to": "Ref"} },
			count: func(l *datasets.Ledger) int { return len(l.CreditNotes) }},
		{name: "assumed dunning dates", body: dunning.String(), kind: datasets.EntityInvoices,
			setup: func(o *Options) {
				o.Columns = map[string]string{"invoices.dunning_level": "Level"}
				o.DunningLevels = testLevels
			},
			count: func(l *datasets.Ledger) int { return len(l.Actions) }},
		{name: "promises of invoices", body: promises.String(), kind: datasets.EntityPromises,
			count: func(l *datasets.Ledger) int { return len(l.Promises) }},
	} {
		for storeName, open := range stores(t) {
			t.Run(tc.name+"/"+storeName, func(t *testing.T) {
				ctx := context.Background()
				inner := open(t)
				if err := inner.Put(ctx, &datasets.Ledger{Customers: []datasets.Customer{{ID: "K1", Name: "K", Currency: "EUR"}}}); err != nil {
					t.Fatal(err)
				}
				dir := t.TempDir()
				o := opts(t)
				o.BatchSize = size
				if _, err := Import(ctx, inner, []string{writeFile(t, dir, "invoices.csv", invoices.String())}, o); err != nil {
					t.Fatal(err)
				}
				st := &batchSizes{testStore: inner}
				o.Kind = tc.kind
				if tc.setup != nil {
					tc.setup(&o)
				}
				sum, err := Import(ctx, st, []string{writeFile(t, dir, "held.csv", tc.body)}, o)
				if err != nil {
					t.Fatal(err)
				}
				for _, got := range st.sizes {
					if got > size {
						t.Fatalf("batches of %v records, want at most %d each", st.sizes, size)
					}
				}
				l, err := inner.Load(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if got := tc.count(l); got != n || sum.Rejected != 0 {
					t.Fatalf("%d loaded, %d rejected (%+v), want %d loaded", got, sum.Rejected, sum.FirstRejects, n)
				}
			})
		}
	}
}
