package importer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/chstore"
	"github.com/dsopilot/dsopilot/datasets/embedded"
)

// testStore is a store the tests import into and read back.
type testStore interface {
	Store
	Load(ctx context.Context) (*datasets.Ledger, error)
}

var chDatabases atomic.Int64

// stores returns a fresh embedded store and, when DSOPILOT_TEST_CLICKHOUSE
// names a server, a fresh ClickHouse database.
func stores(t *testing.T) map[string]func(t *testing.T) testStore {
	out := map[string]func(t *testing.T) testStore{
		"embedded": func(t *testing.T) testStore { return openStore(t) },
	}
	addr := os.Getenv("DSOPILOT_TEST_CLICKHOUSE")
	if addr == "" {
		return out
	}
	out["clickhouse"] = func(t *testing.T) testStore {
		ctx := context.Background()
		db := fmt.Sprintf("dsopilot_import_%d_%d", os.Getpid(), chDatabases.Add(1))
		st, err := chstore.Open(ctx, strings.TrimSuffix(addr, "/")+"/"+db, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			st.Conn().Exec(ctx, "DROP DATABASE IF EXISTS "+db)
			st.Close()
		})
		if _, err := st.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		return st
	}
	return out
}

var _ testStore = (*embedded.Store)(nil)

// latin1 is "Müller GmbH" as a Windows-1252 export writes it.
const latin1 = "M\xfcller GmbH \x80"

// TestRealExportsStoreExactlyWhatTheySay imports every bad-file case of
// issue 8 into each store and checks what was stored, value by value, what
// was rejected (file line and field) and what was warned about.
func TestRealExportsStoreExactlyWhatTheySay(t *testing.T) {
	d := datasets.NewDate
	inv := func(id string, amount datasets.Money) datasets.Invoice {
		return datasets.Invoice{ID: id, CustomerID: "C1", IssueDate: d(2024, 1, 5), DueDate: d(2024, 2, 4), Amount: amount}
	}
	const head = "customer_id,invoice_id,issue_date,due_date,amount\n"
	cust := "customers.csv"
	cases := []struct {
		name     string
		files    map[string]string
		opts     func(*Options)
		want     *datasets.Ledger // the slices compared; nil ones must be empty
		rejects  []string         // "file:line:field"
		warnings []string         // parts of the warnings' reasons
		err      error
	}{
		{
			name: "decimal comma detected per column",
			files: map[string]string{cust: "customer_id\nC1\n", "invoices.csv": "customer_id;invoice_id;issue_date;due_date;amount\n" +
				"C1;I1;05.01.2024;04.02.2024;8.277,25\n" + // both marks: comma decimal
				"C1;I2;05.01.2024;04.02.2024;1.500\n" + // ambiguous: the column says comma
				"C1;I3;05.01.2024;04.02.2024;12,5\n" +
				"C1;I4;05.01.2024;04.02.2024;999\n" +
				"C1;I5;05.01.2024;04.02.2024;1.234.567,89\n"},
			opts: func(o *Options) { o.DateFormat = "%d.%m.%Y" },
			want: &datasets.Ledger{Customers: []datasets.Customer{{ID: "C1"}},
				Invoices: []datasets.Invoice{inv("I1", 827725), inv("I2", 150000), inv("I3", 1250), inv("I4", 99900), inv("I5", 123456789)}},
		},
		{
			name: "decimal point detected, ambiguous values read with it",
			files: map[string]string{cust: "customer_id\nC1\n", "invoices.csv": head +
				"C1,I1,2024-01-05,2024-02-04,\"1,500\"\n" + // ambiguous: the column says point, so 1500
				"C1,I2,2024-01-05,2024-02-04,12.50\n" +
				"C1,I3,2024-01-05,2024-02-04,\"1,234,567.8\"\n" +
				"C1,I4,2024-01-05,2024-02-04,1.005\n"}, // point: three decimals, rejected
			want: &datasets.Ledger{Customers: []datasets.Customer{{ID: "C1"}},
				Invoices: []datasets.Invoice{inv("I1", 150000), inv("I2", 1250), inv("I3", 123456780)}},
			rejects: []string{"invoices.csv:5:amount"},
		},
		{
			name:  "forced decimal comma rejects what reads only with a point",
			files: map[string]string{cust: "customer_id\nC1\n", "invoices.csv": head + "C1,I1,2024-01-05,2024-02-04,8277.25\nC1,I2,2024-01-05,2024-02-04,\"8277,25\"\nC1,I3,2024-01-05,2024-02-04,\"1.000\"\n"},
			opts:  func(o *Options) { o.DecimalComma = true },
			want: &datasets.Ledger{Customers: []datasets.Customer{{ID: "C1"}},
				Invoices: []datasets.Invoice{inv("I2", 827725), inv("I3", 100000)}},
			rejects: []string{"invoices.csv:2:amount"},
		},
		{
			name: "ambiguous column refused, not guessed",
			files: map[string]string{cust: "customer_id\nC1\n", "invoices.csv": head +
				"C1,I1,2024-01-05,2024-02-04,1.500\nC1,I2,2024-01-05,2024-02-04,2.250\nC1,I3,2024-01-05,2024-02-04,300\n"},
			want:    &datasets.Ledger{Customers: []datasets.Customer{{ID: "C1"}}, Invoices: []datasets.Invoice{inv("I3", 30000)}},
			rejects: []string{"invoices.csv:2:amount", "invoices.csv:3:amount"},
			err:     ErrRejected,
		},
		{
			name: "junk amounts, extra decimals, amounts too large",
			files: map[string]string{cust: "customer_id\nC1\n", "invoices.csv": head +
				"C1,I1,2024-01-05,2024-02-04,--1e3\n" +
				"C1,I2,2024-01-05,2024-02-04,0x1ep2\n" +
				"C1,I3,2024-01-05,2024-02-04,1e20\n" +
				"C1,I4,2024-01-05,2024-02-04,100.005\n" +
				"C1,I5,2024-01-05,2024-02-04,9999999999999999.99\n" +
				"C1,I6,2024-01-05,2024-02-04,9999999999999.99\n" +
				"C1,I7,2024-01-05,2024-02-04,100.50\n" +
				"C1,I8,2024-01-05,2024-02-04,100.500\n" +
				"C1,I9,2024-01-05,2024-02-04,7\n" +
				"C1,I10,2024-01-05,2024-02-04,1234.56-\n"},
			want: &datasets.Ledger{Customers: []datasets.Customer{{ID: "C1"}},
				Invoices: []datasets.Invoice{inv("I6", 999999999999999), inv("I7", 10050), inv("I8", 10050), inv("I9", 700)}},
			rejects: []string{"invoices.csv:2:amount", "invoices.csv:3:amount", "invoices.csv:4:amount", "invoices.csv:5:amount",
				"invoices.csv:6:amount", "invoices.csv:11:amount"},
			err: ErrRejected,
		},
		{
			name:  "rounding when asked",
			files: map[string]string{cust: "customer_id\nC1\n", "invoices.csv": head + "C1,I1,2024-01-05,2024-02-04,100.005\nC1,I2,2024-01-05,2024-02-04,12.50\n"},
			opts:  func(o *Options) { o.RoundAmounts = true },
			want: &datasets.Ledger{Customers: []datasets.Customer{{ID: "C1"}},
				Invoices: []datasets.Invoice{inv("I1", 10001), inv("I2", 1250)}},
		},
		{
			name: "stray quote costs one row",
			files: map[string]string{cust: "customer_id\nC1\n", "invoices.csv": head +
				"C1,I1,2024-01-05,2024-02-04,10.00\n" +
				"C1,I2,2024-01-05,2024-02-04,\"10.00\n" +
				"C1,I3,2024-01-05,2024-02-04,11.00\n" +
				"C1,I4,2024-01-05,2024-02-04,12.00\n" +
				"C1,I5,2024-01-05,2024-02-04,13.00\n"},
			want: &datasets.Ledger{Customers: []datasets.Customer{{ID: "C1"}},
				Invoices: []datasets.Invoice{inv("I1", 1000), inv("I3", 1100), inv("I4", 1200), inv("I5", 1300)}},
			rejects: []string{"invoices.csv:3:"},
		},
		{
			name: "US dates without leading zeros, with a time, and an impossible day",
			files: map[string]string{cust: "customer_id\nC1\n", "invoices.csv": head +
				"C1,I1,1/5/2024,2/4/2024,10.00\n" +
				"C1,I2,1/5/2024 13:45,2/4/2024 1:45:00 PM,10.00\n" +
				"C1,I3,2024-01-05,2024-02-30,10.00\n"},
			opts: func(o *Options) { o.DateFormat = "%m/%d/%Y" },
			want: &datasets.Ledger{Customers: []datasets.Customer{{ID: "C1"}},
				Invoices: []datasets.Invoice{inv("I1", 1000), inv("I2", 1000)}},
			rejects: []string{"invoices.csv:4:due_date"},
		},
		{
			name: "file names in a directory, whatever their case",
			files: map[string]string{"Customers.CSV": "customer_id\nC1\n", "invoices_2024.csv": head + "C1,I1,2024-01-05,2024-02-04,10.00\n",
				"INVOICES-2023.csv": head + "C1,I0,2024-01-05,2024-02-04,9.00\n", "truth.csv": "invoice_id,p_late\nI1,0.5\n"},
			want: &datasets.Ledger{Customers: []datasets.Customer{{ID: "C1"}},
				Invoices: []datasets.Invoice{inv("I0", 900), inv("I1", 1000)}},
		},
		{
			name: "warnings: unknown invoice, negative payment, Latin-1",
			files: map[string]string{cust: "customer_id,name\nC1," + latin1 + "\n", "invoices.csv": head + "C1,I1,2024-01-05,2024-02-04,10.00\n",
				"payments.csv": "payment_id,customer_id,invoice_id,payment_date,amount\nP1,C1,I1,2024-01-20,10.00\nP2,C1,I9,2024-01-21,5.00\nP3,C1,I1,2024-01-22,-2.00\n"},
			want: &datasets.Ledger{Customers: []datasets.Customer{{ID: "C1", Name: "Müller GmbH €"}},
				Invoices: []datasets.Invoice{inv("I1", 1000)},
				Payments: []datasets.Payment{{ID: "P1", CustomerID: "C1", InvoiceID: "I1", Date: d(2024, 1, 20), Amount: 1000},
					{ID: "P2", CustomerID: "C1", InvoiceID: "I9", Date: d(2024, 1, 21), Amount: 500},
					{ID: "P3", CustomerID: "C1", InvoiceID: "I1", Date: d(2024, 1, 22), Amount: -200}}},
			warnings: []string{"an invoice neither in the store nor in the import", "negative payment", "not UTF-8"},
		},
		{
			name:    "strict UTF-8 rejects the row",
			files:   map[string]string{cust: "customer_id,name\nC1," + latin1 + "\nC2,Zeta\n"},
			opts:    func(o *Options) { o.Encoding = "utf-8" },
			want:    &datasets.Ledger{Customers: []datasets.Customer{{ID: "C2", Name: "Zeta"}}},
			rejects: []string{"customers.csv:2:"},
		},
		{
			name:  "declared Latin-1",
			files: map[string]string{cust: "customer_id,name\nC1," + latin1 + "\n"},
			opts:  func(o *Options) { o.Encoding = "latin1" },
			want:  &datasets.Ledger{Customers: []datasets.Customer{{ID: "C1", Name: "Müller GmbH €"}}},
		},
		{
			name: "a line over the limit fails its CSV file, the others load",
			files: map[string]string{cust: "customer_id\nC1\n", "invoices.csv": head + "C1,I1,2024-01-05,2024-02-04," + strings.Repeat("9", 300) + "\n",
				"payments.csv": "payment_id,customer_id,payment_date,amount\nP1,C1,2024-01-20,10.00\n"},
			opts: func(o *Options) { o.MaxLineBytes = 200 },
			want: &datasets.Ledger{Customers: []datasets.Customer{{ID: "C1"}},
				Payments: []datasets.Payment{{ID: "P1", CustomerID: "C1", Date: d(2024, 1, 20), Amount: 1000}}},
			err: ErrFiles,
		},
		{
			name: "an NDJSON line over the limit is one reject",
			files: map[string]string{cust: "customer_id\nC1\n", "invoices.ndjson": `{"customer_id":"C1","invoice_id":"I1","issue_date":"2024-01-05","due_date":"2024-02-04","amount":10}` + "\n" +
				`{"customer_id":"C1","invoice_id":"I2","issue_date":"2024-01-05","due_date":"2024-02-04","amount":10,"note":"` + strings.Repeat("x", 300) + `"}` + "\n" +
				`{"customer_id":"C1","invoice_id":"I3","issue_date":"2024-01-05","due_date":"2024-02-04","amount":"1.234,50"}` + "\n"},
			opts: func(o *Options) { o.MaxLineBytes = 200 },
			want: &datasets.Ledger{Customers: []datasets.Customer{{ID: "C1"}},
				Invoices: []datasets.Invoice{inv("I1", 1000), inv("I3", 123450)}},
			rejects: []string{"invoices.ndjson:2:"},
		},
	}
	for name, open := range stores(t) {
		for _, c := range cases {
			t.Run(name+"/"+c.name, func(t *testing.T) {
				dir := t.TempDir()
				for f, body := range c.files {
					writeFile(t, dir, f, body)
				}
				o := opts(t)
				if c.opts != nil {
					c.opts(&o)
				}
				st := open(t)
				sum, err := Import(context.Background(), st, []string{dir}, o)
				if c.err == nil && err != nil || c.err != nil && !errors.Is(err, c.err) {
					t.Fatalf("import: %v, want %v", err, c.err)
				}
				var rejects []string
				for _, r := range sum.FirstRejects {
					rejects = append(rejects, fmt.Sprintf("%s:%d:%s", filepath.Base(r.File), r.Line, r.Field))
				}
				if !reflect.DeepEqual(rejects, c.rejects) {
					t.Errorf("rejects %q, want %q: %v", rejects, c.rejects, sum.FirstRejects)
				}
				var reasons []string
				for _, w := range sum.Warnings {
					reasons = append(reasons, w.Reason)
				}
				for _, w := range c.warnings {
					if !strings.Contains(strings.Join(reasons, "|"), w) {
						t.Errorf("no warning about %q in %q", w, reasons)
					}
				}
				got, err := st.Load(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				gv, wv := reflect.ValueOf(got).Elem(), reflect.ValueOf(c.want).Elem()
				for i := range gv.NumField() {
					g, w := gv.Field(i), wv.Field(i)
					if g.Len() == 0 && w.Len() == 0 {
						continue
					}
					if !reflect.DeepEqual(g.Interface(), w.Interface()) {
						t.Errorf("%s stored:\n got  %+v\n want %+v", gv.Type().Field(i).Name, g.Interface(), w.Interface())
					}
				}
				if loaded := got.Len(); sum.Loaded+sum.DerivedCustomers != loaded {
					t.Errorf("summary says %d loaded (+%d derived), the store holds %d", sum.Loaded, sum.DerivedCustomers, loaded)
				}
			})
		}
	}
}
