package importer

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
)

func day(t *testing.T, s string) datasets.Date {
	t.Helper()
	d, err := datasets.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// An invoice without a settled date is settled on the day its records
// first covered it for good: refunds uncover, records of one day count
// together, credit notes count, other customers' payments do not, and it
// is never settled before its issue date.
func TestSettledByRecordsDatesTheCover(t *testing.T) {
	inv := func(id string, amount datasets.Money, settled string) datasets.Invoice {
		v := datasets.Invoice{ID: id, CustomerID: "K1", IssueDate: day(t, "2025-01-10"), DueDate: day(t, "2025-02-09"), Amount: amount, Currency: "EUR"}
		if settled != "" {
			v.SettledDate = day(t, settled)
		}
		return v
	}
	pay := func(id, cust, invoice, date string, amount datasets.Money) datasets.Payment {
		return datasets.Payment{ID: id, CustomerID: cust, InvoiceID: invoice, Date: day(t, date), Amount: amount, Currency: "EUR"}
	}
	for _, tc := range []struct {
		name string
		l    datasets.Ledger
		want string // "id date by;" per settlement
	}{
		{name: "paid in two instalments",
			l: datasets.Ledger{Invoices: []datasets.Invoice{inv("I1", 10000, "")},
				Payments: []datasets.Payment{pay("P2", "K1", "I1", "2025-02-20", 6000), pay("P1", "K1", "I1", "2025-02-01", 4000)}},
			want: "I1 2025-02-20 payment P2;"},
		{name: "partly paid stays open",
			l: datasets.Ledger{Invoices: []datasets.Invoice{inv("I1", 10000, "")},
				Payments: []datasets.Payment{pay("P1", "K1", "I1", "2025-02-01", 9800)}}},
		{name: "a credit note completes the cover",
			l: datasets.Ledger{Invoices: []datasets.Invoice{inv("I1", 10000, "")},
				Payments:    []datasets.Payment{pay("P1", "K1", "I1", "2025-02-01", 9800)},
				CreditNotes: []datasets.CreditNote{{ID: "C1", CustomerID: "K1", InvoiceID: "I1", Date: day(t, "2025-02-03"), Amount: 200, Kind: datasets.KindCreditNote}}},
			want: "I1 2025-02-03 credit note C1;"},
		{name: "a refund uncovers: settled when covered again",
			l: datasets.Ledger{Invoices: []datasets.Invoice{inv("I1", 10000, "")},
				Payments: []datasets.Payment{pay("P1", "K1", "I1", "2025-02-01", 10000), pay("R1", "K1", "I1", "2025-02-05", -10000), pay("P2", "K1", "I1", "2025-03-01", 10000)}},
			want: "I1 2025-03-01 payment P2;"},
		{name: "a payment and its refund on one day settle nothing",
			l: datasets.Ledger{Invoices: []datasets.Invoice{inv("I1", 10000, "")},
				Payments: []datasets.Payment{pay("P1", "K1", "I1", "2025-02-01", 10000), pay("R1", "K1", "I1", "2025-02-01", -10000)}}},
		{name: "another customer's payment of the same number does not count",
			l: datasets.Ledger{Invoices: []datasets.Invoice{inv("I1", 10000, "")},
				Payments: []datasets.Payment{pay("P1", "K2", "I1", "2025-02-01", 10000)}}},
		{name: "paid before issue: settled on the issue date",
			l: datasets.Ledger{Invoices: []datasets.Invoice{inv("I1", 10000, "")},
				Payments: []datasets.Payment{pay("P1", "K1", "I1", "2025-01-05", 10000)}},
			want: "I1 2025-01-10 payment P1;"},
		{name: "an open balance's derived credit gives way to the payments on record",
			l: datasets.Ledger{Invoices: []datasets.Invoice{inv("I1", 100000, "")},
				Payments: []datasets.Payment{pay("P1", "K1", "I1", "2025-02-01", 60000), pay("P2", "K1", "I1", "2025-04-01", 40000)},
				CreditNotes: []datasets.CreditNote{{ID: OpenBalancePrefix + "I1:2025-03-01", CustomerID: "K1", InvoiceID: "I1", Date: day(t, "2025-03-01"), Amount: 60000,
					Kind: datasets.KindCreditNote, Reason: OpenBalanceReason}}},
			want: "I1 2025-04-01 payment P2;"},
		{name: "already settled: left as the export says",
			l: datasets.Ledger{Invoices: []datasets.Invoice{inv("I1", 10000, "2025-03-31")},
				Payments: []datasets.Payment{pay("P1", "K1", "I1", "2025-02-01", 10000)}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got strings.Builder
			for _, s := range SettledByRecords(&tc.l) {
				fmt.Fprintf(&got, "%s %s %s;", s.Invoice.ID, s.Invoice.SettledDate, s.By)
			}
			if got.String() != tc.want {
				t.Errorf("got %q, want %q", got.String(), tc.want)
			}
		})
	}
}

// An export of open items with a payments file and no clearing date left
// every invoice open however much was paid on it: the best payers topped
// the worklist and no invoice had an outcome to learn from. Now the
// invoices their payments and credit notes cover are settled on that
// day, counted and noted; a payments file imported in a later run
// settles the stored invoices it covers; an import that gives the
// settled dates derives nothing; importing again changes nothing. A
// payments file's discount column loads each cash discount as a credit
// note on the invoice, so that a Skonto payment of 98% settles it; a
// discount below 0, on a payment without an invoice or on a refund, or
// written as a rate, is left out with a warning, its payment loaded.
func TestInvoicesCoveredByTheirRecordsAreSettled(t *testing.T) {
	const invoices = "invoice_id,customer_id,issue_date,due_date,amount,currency\n" +
		"I1,K1,2025-01-02,2025-02-01,100.00,EUR\n" + // paid in full
		"I2,K1,2025-01-02,2025-02-01,100.00,EUR\n" + // 98 + a discount of 2
		"I3,K1,2025-01-02,2025-02-01,100.00,EUR\n" + // 50 paid: open
		"I4,K1,2025-01-02,2025-02-01,100.00,EUR\n" // paid in the later file
	const payments = "payment_id,customer_id,invoice_id,payment_date,amount,Skonto\n" +
		"P1,K1,I1,2025-02-03,100.00,\n" +
		"P2,K1,I2,2025-01-12,98.00,2.00\n" +
		"P3,K1,I3,2025-02-10,50.00,0\n" +
		"P4,K1,I3,2025-02-11,10.00,-1.00\n" + // 5: the discount left out, warned of
		"P5,K1,,2025-02-11,10.00,1.00\n" + // 6: the same
		"P6,K1,I3,2025-02-12,-10.00,1.00\n" + // 7: the same
		"P8,K1,I3,2025-02-13,5.00,\"2,5 %\"\n" // 8: a rate, not an amount: the same
	const later = "payment_id,customer_id,invoice_id,payment_date,amount\nP7,K1,I4,2025-03-01,100.00\n"
	for storeName, open := range stores(t) {
		t.Run(storeName, func(t *testing.T) {
			ctx := context.Background()
			st := open(t)
			if err := st.Put(ctx, &datasets.Ledger{Customers: []datasets.Customer{{ID: "K1", Name: "K", Currency: "EUR"}}}); err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			files := []string{writeFile(t, dir, "invoices.csv", invoices), writeFile(t, dir, "payments.csv", payments)}
			o := opts(t)
			o.Columns = map[string]string{"payments.discount": "Skonto"}
			for pass := 1; pass <= 2; pass++ {
				sum, err := Import(ctx, st, files, o)
				if err != nil {
					t.Fatalf("pass %d: %v", pass, err)
				}
				var rejects []string
				for _, r := range sum.FirstRejects {
					rejects = append(rejects, fmt.Sprintf("%d %s", r.Line, r.Field))
				}
				warned := 0
				for _, w := range sum.Warnings {
					if strings.HasPrefix(w.Reason, "discount") {
						warned += w.Count
					}
				}
				if len(rejects) != 0 || warned != 4 || sum.Loaded != 11 || sum.SettledByRecords != 2 || sum.DerivedDiscounts != 1 {
					t.Fatalf("pass %d: rejects %v, discounts warned of %d, loaded %d, settled %d, discounts %d", pass, rejects, warned, sum.Loaded, sum.SettledByRecords, sum.DerivedDiscounts)
				}
				if len(sum.Notes) == 0 || !strings.Contains(fmt.Sprint(sum.Notes), "settled on 2025-02-03 by payment P1") {
					t.Errorf("pass %d: notes %v", pass, sum.Notes)
				}
			}
			sum, err := Import(ctx, st, []string{writeFile(t, dir, "payments-march.csv", later)}, opts(t))
			if err != nil || sum.SettledByRecords != 1 {
				t.Fatalf("later payments: %v, settled %d", err, sum.SettledByRecords)
			}
			l, err := st.Load(ctx)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]string{"I1": "2025-02-03", "I2": "2025-01-12", "I3": "", "I4": "2025-03-01"}
			for id, w := range want {
				v, ok := findInvoice(l, id)
				got := ""
				if v.SettledDate != 0 {
					got = v.SettledDate.String()
				}
				if !ok || got != w {
					t.Errorf("%s settled %q, want %q", id, got, w)
				}
			}
			var notes []string
			for _, c := range l.CreditNotes {
				notes = append(notes, fmt.Sprintf("%s %s %s %s", c.ID, c.InvoiceID, c.Amount, c.Reason))
			}
			if fmt.Sprint(notes) != "[discount:P2 I2 2.00 "+DiscountReason+"]" {
				t.Errorf("credit notes %v", notes)
			}
			// The clearing dates given: nothing is derived, whatever the payments.
			settled := strings.ReplaceAll(strings.Replace(invoices, "currency\n", "currency,settled_date\n", 1), "EUR\n", "EUR,2025-04-30\n")
			sum, err = Import(ctx, st, []string{writeFile(t, dir, "cleared.csv", settled), files[1]}, o)
			if err != nil || sum.SettledByRecords != 0 {
				t.Fatalf("cleared export: %v, settled %d", err, sum.SettledByRecords)
			}
		})
	}
}

// A payment of one customer naming another's invoice loaded with no word
// (a French trial's integrator sent one): the invoice stays owed and the
// payment is its payer's cash on account, so the views that match by
// invoice alone disagreed. It is now warned of, naming the row, whether
// the invoice is in the import or only in the store.
func TestAPaymentNamingAnotherCustomersInvoiceIsWarnedOf(t *testing.T) {
	const invoices = "invoice_id,customer_id,issue_date,due_date,amount,currency\n" +
		"I1,K1,2025-01-02,2025-02-01,100.00,EUR\nI2,K1,2025-01-02,2025-02-01,100.00,EUR\n"
	const payments = "payment_id,customer_id,invoice_id,payment_date,amount\n" +
		"P1,K2,I1,2025-02-03,100.00\n" + // 2: K1's invoice, in the import
		"P2,K1,I2,2025-02-03,40.00\n" // 3: its own
	const later = "payment_id,customer_id,invoice_id,payment_date,amount\nP4,K1,I2,2025-03-01,60.00\nP3,K2,I2,2025-03-01,60.00\n"
	for storeName, open := range stores(t) {
		t.Run(storeName, func(t *testing.T) {
			ctx := context.Background()
			st := open(t)
			if err := st.Put(ctx, &datasets.Ledger{Customers: []datasets.Customer{{ID: "K1", Name: "K", Currency: "EUR"}, {ID: "K2", Name: "L", Currency: "EUR"}}}); err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			warned := func(sum *Summary) []string {
				for _, w := range sum.Warnings {
					if w.Reason == warnOtherCustomer {
						return w.Rows
					}
				}
				return nil
			}
			sum, err := Import(ctx, st, []string{writeFile(t, dir, "invoices.csv", invoices), writeFile(t, dir, "payments.csv", payments)}, opts(t))
			if err != nil {
				t.Fatal(err)
			}
			if rows := warned(sum); len(rows) != 1 || !strings.Contains(rows[0], "payments.csv:2 payment_id \"P1\"") {
				t.Errorf("same import: warned %q", rows)
			}
			sum, err = Import(ctx, st, []string{writeFile(t, dir, "later.csv", later)}, opts(t))
			if err != nil {
				t.Fatal(err)
			}
			if rows := warned(sum); len(rows) != 1 || !strings.Contains(rows[0], "later.csv:3 payment_id \"P3\"") {
				t.Errorf("later import: warned %q", rows)
			}
		})
	}
}

// An NDJSON body (the API's ingest) lists every canonical column whether
// a line carries it or not: its blank settled date is no cleared-items
// export's word, and its invoices covered by their records are settled.
func TestAnNDJSONBodysInvoicesAreSettledByTheirRecords(t *testing.T) {
	const invoices = `{"invoice_id":"I1","customer_id":"K1","issue_date":"2025-01-02","due_date":"2025-02-01","amount":"100.00","currency":"EUR"}` + "\n"
	const payments = `{"payment_id":"P1","customer_id":"K1","invoice_id":"I1","payment_date":"2025-02-03","amount":"100.00"}` + "\n"
	ctx := context.Background()
	st := openStore(t)
	if err := st.Put(ctx, &datasets.Ledger{Customers: []datasets.Customer{{ID: "K1", Name: "K", Currency: "EUR"}}}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	sum, err := Import(ctx, st, []string{writeFile(t, dir, "invoices.ndjson", invoices), writeFile(t, dir, "payments.ndjson", payments)}, opts(t))
	if err != nil || sum.SettledByRecords != 1 {
		t.Fatalf("%v, settled %d", err, sum.SettledByRecords)
	}
	l, err := st.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := findInvoice(l, "I1"); v.SettledDate.String() != "2025-02-03" {
		t.Errorf("I1 settled %q, want 2025-02-03", v.SettledDate)
	}
}

// An NDJSON body's reader lists every canonical key, for the lines after
// the first that carry more; the file-level readings went by that list: an
// ingest of invoices was told of open balances read "as of the export
// date" and of ignored columns it never sent. They now go by the keys the
// body carries, as a CSV's header says.
func TestAnNDJSONBodyIsReadForTheKeysItCarries(t *testing.T) {
	const invoices = `{"invoice_id":"I1","customer_id":"K1","issue_date":"2025-01-02","due_date":"2025-02-01","amount":"100.00","currency":"EUR","colour":"red"}` + "\n"
	ctx := context.Background()
	st := openStore(t)
	if err := st.Put(ctx, &datasets.Ledger{Customers: []datasets.Customer{{ID: "K1", Name: "K", Currency: "EUR"}}}); err != nil {
		t.Fatal(err)
	}
	sum, err := Import(ctx, st, []string{writeFile(t, t.TempDir(), "invoices.ndjson", invoices)}, opts(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range sum.Notes {
		if n.Reason == noteExportDate {
			t.Errorf("note %q on a body without open balances", n.Reason)
		}
	}
	if got := fmt.Sprint(sum.Files[0].IgnoredColumns); got != "[colour]" {
		t.Errorf("ignored columns %s, want [colour]", got)
	}
}
