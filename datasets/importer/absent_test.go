package importer

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// A customer whose row of the customers file an earlier import rejected
// is absent from the store's master: a later import's rows of it say so
// and what to do, and are counted (Summary.Absent) with the first row of
// each customer named; the import fails, as any, only when most rows were
// rejected. With a customers file in the import, or in the same import as
// the rejected row, the reasons are as before.
func TestRowsOfCustomersAbsentFromTheStoresMaster(t *testing.T) {
	const customers = "customer_id,name,credit_limit\nA,Acme,100.00\nB,Beta,viel\n" // B rejected
	cases := []struct {
		name     string
		files    map[string]string // the later import
		absent   int
		reason   string // of the first reject
		text     string // in AbsentText
		rejected bool   // ErrRejected
	}{
		{name: "a later run, most rows absent", files: map[string]string{"invoices.csv": "customer_id,invoice_id,issue_date,due_date,amount\n" +
			"B,I1,2024-01-05,2024-02-04,10.00\nB,I2,2024-01-05,2024-02-04,10.00\nA,I3,2024-01-05,2024-02-04,10.00\n"},
			absent: 2, rejected: true, reason: `unknown customer: the store's customer master (1 customer) lacks "B" and this import has no customers file; if an earlier import rejected its row`,
			text: "2 rows of 1 customer rejected because the store's customer master lacks their customer, first at "},
		{name: "a later run, few rows absent", files: map[string]string{"invoices.csv": "customer_id,invoice_id,issue_date,due_date,amount\n" +
			"A,I1,2024-01-05,2024-02-04,10.00\nB,I2,2024-01-05,2024-02-04,10.00\nA,I3,2024-01-05,2024-02-04,10.00\n"},
			absent: 1, reason: "the store's customer master (1 customer) lacks \"B\"", text: "invoices.csv:3 (B)"},
		{name: "with a customers file that lacks it", files: map[string]string{"customers.csv": "customer_id,name\nA,Acme\n",
			"invoices.csv": "customer_id,invoice_id,issue_date,due_date,amount\nA,I1,2024-01-05,2024-02-04,10.00\nB,I2,2024-01-05,2024-02-04,10.00\nA,I3,2024-01-05,2024-02-04,10.00\n"},
			reason: unknownCustomer},
		{name: "with the customers file again: a cascade", files: map[string]string{"customers.csv": customers,
			"invoices.csv": "customer_id,invoice_id,issue_date,due_date,amount\nA,I1,2024-01-05,2024-02-04,10.00\nB,I2,2024-01-05,2024-02-04,10.00\nA,I3,2024-01-05,2024-02-04,10.00\n"},
			reason: "unknown customer: its own row was rejected at"},
	}
	for storeName, open := range stores(t) {
		for _, tc := range cases {
			t.Run(storeName+"/"+tc.name, func(t *testing.T) {
				ctx := context.Background()
				st := open(t)
				first := t.TempDir()
				if _, err := Import(ctx, st, []string{writeFile(t, first, "customers.csv", customers)}, opts(t)); err != nil {
					t.Fatal(err)
				}
				dir := t.TempDir()
				for name, body := range tc.files {
					writeFile(t, dir, name, body)
				}
				sum, err := Import(ctx, st, []string{dir}, opts(t))
				if errors.Is(err, ErrRejected) != tc.rejected || (err != nil && !errors.Is(err, ErrRejected) && !errors.Is(err, ErrIncomplete)) {
					t.Fatalf("err %v, want ErrRejected %v", err, tc.rejected)
				}
				var reason string
				for _, r := range sum.FirstRejects {
					if r.Field == "customer_id" {
						reason = r.Reason
						break
					}
				}
				if !strings.Contains(reason, tc.reason) {
					t.Errorf("reject %q, want %q", reason, tc.reason)
				}
				if sum.Absent != tc.absent || !strings.Contains(sum.AbsentText, tc.text) || (tc.absent == 0) != (sum.AbsentText == "") {
					t.Errorf("absent %d %q, want %d %q", sum.Absent, sum.AbsentText, tc.absent, tc.text)
				}
			})
		}
	}
}
