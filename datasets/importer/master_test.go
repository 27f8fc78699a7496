package importer

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
)

// A cleared-items user has no customer master: every import's new
// customers are derived from their invoices, not only the first import's.
// Once a customers file was loaded, an unknown customer is rejected, with
// what to do about it.
func TestNewCustomersAreDerivedUntilAMasterIsLoaded(t *testing.T) {
	invoices := func(customer string) string {
		var b strings.Builder
		b.WriteString("customer_id,invoice_id,issue_date,due_date,amount,currency,country\n")
		for _, n := range []string{"1", "2", "3"} {
			b.WriteString(customer + "," + customer + "-" + n + ",2026-11-0" + n + ",2026-12-0" + n + ",10.00,EUR,de\n")
		}
		return b.String()
	}
	type step struct {
		name, body string
		// want: loaded and derived customers, and whether the rows are
		// rejected as of an unknown customer.
		loaded, derived int
		unknown         bool
	}
	for _, tc := range []struct {
		name string
		// before is put in the store before the steps.
		before *datasets.Ledger
		steps  []step
	}{
		{name: "derived only: each month's new customers are derived", steps: []step{
			{"a.csv", invoices("A"), 3, 1, false},
			{"b.csv", invoices("B"), 3, 1, false},
			{"c.csv", invoices("A") + invoices("C")[len("customer_id,invoice_id,issue_date,due_date,amount,currency,country\n"):], 6, 1, false},
		}},
		{name: "a derived customer given a credit limit is still derived",
			before: &datasets.Ledger{Customers: []datasets.Customer{{ID: "A", Country: "DE", Currency: "EUR", CreditLimit: 500000}}},
			steps:  []step{{"b.csv", invoices("B"), 3, 1, false}}},
		{name: "a master in the store rejects unknown customers",
			before: &datasets.Ledger{Customers: []datasets.Customer{{ID: "A", Name: "Acme"}}},
			steps:  []step{{"a.csv", invoices("A"), 3, 0, false}, {"b.csv", invoices("B"), 0, 0, true}}},
		{name: "a master loaded after derived customers rejects unknown customers", steps: []step{
			{"a.csv", invoices("A"), 3, 1, false},
			{"customers.csv", "customer_id,name,payment_terms\nA,Acme,NET30\n", 1, 0, false},
			{"b.csv", invoices("B"), 0, 0, true},
		}},
	} {
		for storeName, open := range stores(t) {
			t.Run(storeName+"/"+tc.name, func(t *testing.T) {
				ctx := context.Background()
				st, dir := open(t), t.TempDir()
				if tc.before != nil {
					if err := st.Put(ctx, tc.before); err != nil {
						t.Fatal(err)
					}
				}
				for _, s := range tc.steps {
					sum, err := Import(ctx, st, []string{writeFile(t, dir, s.name, s.body)}, opts(t))
					if s.unknown {
						if !errors.Is(err, ErrRejected) || sum.Rejected != 3 || len(sum.FirstRejects) == 0 {
							t.Fatalf("%s: %v, %+v; want its 3 rows rejected", s.name, err, sum)
						}
						if r := sum.FirstRejects[0]; r.Field != "customer_id" || !strings.Contains(r.Reason, "add the customer to the customers file and import that file first") {
							t.Fatalf("%s: reject %v does not say what to do", s.name, r)
						}
						continue
					}
					if err != nil {
						t.Fatalf("%s: %v", s.name, err)
					}
					if sum.Loaded != s.loaded || sum.Rejected != 0 || sum.DerivedCustomers != s.derived {
						t.Fatalf("%s: loaded %d rejected %d derived %d, want %d 0 %d", s.name, sum.Loaded, sum.Rejected, sum.DerivedCustomers, s.loaded, s.derived)
					}
				}
			})
		}
	}
}

// A store that cannot tell its customers' origin keeps unknown customers
// out, as before; one whose read fails fails the file rather than guess.
func TestUnknownCustomerWhenTheStoreCannotTell(t *testing.T) {
	ctx := context.Background()
	body := "customer_id,invoice_id,issue_date,due_date,amount\nB,B-1,2026-11-01,2026-12-01,10.00\n"
	base := openStore(t)
	if err := base.Put(ctx, &datasets.Ledger{Customers: []datasets.Customer{{ID: "A"}}}); err != nil {
		t.Fatal(err)
	}
	sum, err := Import(ctx, plainStore{base}, []string{writeFile(t, t.TempDir(), "b.csv", body)}, opts(t))
	if !errors.Is(err, ErrRejected) || sum.Rejected != 1 {
		t.Fatalf("a store without Customer: %v, %+v; want the row rejected", err, sum)
	}
	sum, err = Import(ctx, brokenReader{plainStore{base}}, []string{writeFile(t, t.TempDir(), "b.csv", body)}, opts(t))
	if !errors.Is(err, ErrFiles) || !strings.Contains(err.Error(), "tell a customer master from derived customers") || sum.Loaded != 0 {
		t.Fatalf("a failing read: %v, %+v; want the file failed", err, sum)
	}
}

// plainStore is a store without Customer.
type plainStore struct{ s Store }

func (p plainStore) Put(ctx context.Context, b *datasets.Ledger) error { return p.s.Put(ctx, b) }
func (p plainStore) CustomerIDs(ctx context.Context) ([]string, error) { return p.s.CustomerIDs(ctx) }

// brokenReader is a store whose Customer fails.
type brokenReader struct{ plainStore }

func (brokenReader) Customer(context.Context, string) (datasets.Customer, error) {
	return datasets.Customer{}, errors.New("connection reset")
}
