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

// fbl5n is a small customer-account line-item list as SAP writes it
// (semicolons, day-first dates, decimal commas, credits with a trailing
// minus), written by hand: invoices (RV) with their clearing, payments
// (DZ) with the same clearing document, a clearing line (AB), a payment
// on account and a reversed payment.
const fbl5n = "Account;Document Number;Document Type;Document Date;Net due date;Amount in doc. curr.;Document currency;Clearing Document;Clearing date;Assignment\n" +
	"K1;1800000001;RV;02.03.2026;01.04.2026;1.000,00;EUR;1400000001;03.04.2026;1800000001\n" + // 2
	"K1;1400000001;DZ;03.04.2026;03.04.2026;1.000,00-;EUR;1400000001;03.04.2026;1800000001\n" + // 3: clears 1800000001 alone
	"K1;1800000002;RV;05.03.2026;04.04.2026;200,00;EUR;1400000002;10.04.2026;1800000002\n" + // 4
	"K1;1800000003;RV;06.03.2026;05.04.2026;300,00;EUR;1400000002;10.04.2026;1800000003\n" + // 5
	"K1;1400000002;DZ;10.04.2026;10.04.2026;500,00-;EUR;1400000002;10.04.2026;REF-77\n" + // 6: clears two invoices
	"K1;1400000003;DZ;12.04.2026;12.04.2026;50,00-;EUR;;;1800000004\n" + // 7: no clearing, assignment names an open invoice
	"K1;1800000004;RV;08.04.2026;08.05.2026;400,00;EUR;;;1800000004\n" + // 8: open, after the payment that names it
	"K1;9000000001;AB;10.04.2026;10.04.2026;0,00;EUR;1400000002;10.04.2026;\n" + // 9: a clearing line
	"K2;1400000004;DZ;13.04.2026;13.04.2026;20,00;EUR;;;\n" // 10: written positive: a reversal, of a customer with no invoice

const fbl5nColumns = "customer_id=Account,invoice_id=Document Number,issue_date=Document Date,due_date=Net due date,amount=Amount in doc. curr.," +
	"currency=Document currency,settled_date=Clearing date,invoices.type=Document Type,invoices.applies_to=Assignment"

// An SAP line-item list's payment rows load as payments of their
// customer when their type is named payment: linked to the one invoice
// their clearing document cleared, on account when it cleared several,
// else to the invoice the assignment names; a clearing line named skip is
// counted and not read. What loads counts each payment once: the settled
// invoices are covered by the payments (no write-off is implied), and
// loaded + rejected + duplicates = read, the skipped rows aside. A type
// no mapping names on more than 1% of the rows fails the import, naming
// the value and how to name it.
func TestInvoicesFilePaymentRowsLoadAsPayments(t *testing.T) {
	cases := []struct {
		name, columns, docTypes string
		// header replaces the file's clearing document header when set.
		header                  string
		payments                []string // id amount invoice
		skipped, read, rejected int
		rejects                 []string // line field
		failed                  string   // in the error, "" for none
		unknownInvoice          []string // payment rows naming an unknown invoice
	}{
		{name: "clearing document mapped", columns: fbl5nColumns + ",invoices.clearing_document=Clearing Document",
			docTypes: "invoice=RV,payment=DZ,skip=AB",
			payments: []string{"1400000001 1000.00 1800000001", "1400000002 500.00 ", "1400000003 50.00 1800000004", "1400000004 -20.00 "},
			skipped:  1, read: 8},
		{name: "no clearing document: the assignment links", columns: fbl5nColumns, docTypes: "invoice=RV,payment=DZ,skip=AB", header: "Ausgleichsbeleg",
			payments: []string{"1400000001 1000.00 1800000001", "1400000002 500.00 REF-77", "1400000003 50.00 1800000004", "1400000004 -20.00 "},
			skipped:  1, read: 8, unknownInvoice: []string{"invoices.csv:6 invoice_id \"REF-77\""}},
		{name: "clearing line unnamed: rejected, and the import fails", columns: fbl5nColumns + ",invoices.clearing_document=Clearing Document",
			docTypes: "invoice=RV,payment=DZ",
			payments: []string{"1400000001 1000.00 1800000001", "1400000002 500.00 ", "1400000003 50.00 1800000004", "1400000004 -20.00 "},
			read:     9, rejected: 1, rejects: []string{"9 type"}, failed: `1 of 9 rows are of document types --doc-types does not name ("AB" 1)`},
		{name: "payments unnamed: rejected, and the import fails", columns: fbl5nColumns + ",invoices.clearing_document=Clearing Document",
			docTypes: "invoice=RV,skip=AB",
			skipped:  1, read: 8, rejected: 4, rejects: []string{"3 type", "6 type", "7 type", "10 type"}, failed: `4 of 8 rows are of document types --doc-types does not name ("DZ" 4)`},
	}
	for store, open := range stores(t) {
		for _, tc := range cases {
			t.Run(store+"/"+tc.name, func(t *testing.T) {
				ctx := context.Background()
				st := open(t)
				o := opts(t)
				o.DateFormat = "%d.%m.%Y"
				o.Columns, o.DocTypes = map[string]string{}, map[string]string{}
				if err := ParseColumns(o.Columns, tc.columns); err != nil {
					t.Fatal(err)
				}
				if err := ParseDocTypes(o.DocTypes, tc.docTypes); err != nil {
					t.Fatal(err)
				}
				body := fbl5n
				if tc.header != "" {
					body = strings.Replace(body, "Clearing Document", tc.header, 1)
				}
				p := writeFile(t, t.TempDir(), "invoices.csv", body)
				sum, err := Import(ctx, st, []string{p}, o)
				switch {
				case tc.failed == "" && err != nil:
					t.Fatal(err)
				case tc.failed != "" && (!errors.Is(err, ErrRejected) || !strings.Contains(err.Error(), tc.failed) || !sum.Files[0].Failed):
					t.Fatalf("err %v, file failed %v; want ErrRejected with %q", err, sum.Files[0].Failed, tc.failed)
				}
				l, err := st.Load(ctx)
				if err != nil {
					t.Fatal(err)
				}
				var pays []string
				for _, x := range l.Payments {
					pays = append(pays, fmt.Sprintf("%s %s %s", x.ID, x.Amount, x.InvoiceID))
					if x.Currency != "EUR" || x.Date == 0 || x.CustomerID == "" {
						t.Errorf("payment %+v", x)
					}
				}
				slices.Sort(pays)
				if fmt.Sprint(pays) != fmt.Sprint(tc.payments) {
					t.Fatalf("payments %q, want %q", pays, tc.payments)
				}
				var invs []string
				for _, v := range l.Invoices {
					invs = append(invs, v.ID)
				}
				slices.Sort(invs)
				if want := []string{"1800000001", "1800000002", "1800000003", "1800000004"}; fmt.Sprint(invs) != fmt.Sprint(want) {
					t.Fatalf("invoices %v, want %v", invs, want)
				}
				if sum.PaymentsFromInvoices != len(tc.payments) || sum.SkippedByType != tc.skipped || sum.Read != tc.read || sum.Rejected != tc.rejected ||
					sum.Loaded != 4+len(tc.payments) || sum.Loaded+sum.Rejected+sum.Duplicates != sum.Read {
					t.Fatalf("payments %d skipped %d read %d loaded %d rejected %d", sum.PaymentsFromInvoices, sum.SkippedByType, sum.Read, sum.Loaded, sum.Rejected)
				}
				var at []string
				for _, r := range sum.FirstRejects {
					at = append(at, fmt.Sprintf("%d %s", r.Line, r.Field))
					if !strings.HasSuffix(r.File, "invoices.csv") || !strings.Contains(r.Reason, "payment=VALUE") {
						t.Errorf("reject %v names no file or no remedy", r)
					}
				}
				if fmt.Sprint(at) != fmt.Sprint(tc.rejects) {
					t.Fatalf("rejects at %v, want %v", at, tc.rejects)
				}
				var unknown []string
				for _, w := range sum.Warnings {
					if w.Reason == warnPaymentUnknownInvoice {
						for _, r := range w.Rows {
							unknown = append(unknown, r[strings.LastIndex(r, "/")+1:])
						}
					}
				}
				if fmt.Sprint(unknown) != fmt.Sprint(tc.unknownInvoice) {
					t.Fatalf("payments naming unknown invoices %q, want %q", unknown, tc.unknownInvoice)
				}
				if tc.skipped > 0 && !slices.ContainsFunc(sum.Notes, func(n Warning) bool {
					return n.Reason == noteSkippedTypes && n.Count == tc.skipped && strings.Contains(n.Example, `"AB" 1`)
				}) {
					t.Fatalf("notes %+v lack the skipped rows", sum.Notes)
				}
				if len(tc.payments) > 0 {
					// The settled invoices are covered by their payments,
					// the two cleared together by the cash on account: no
					// write-off is implied, nothing is counted twice.
					implied, err := datasets.ImpliedWriteOffs(l)
					if err != nil || len(implied) != 0 {
						t.Fatalf("implied write-offs %+v (%v), want none", implied, err)
					}
				}
			})
		}
	}
}

// A type value is read in any case and spacing, for payment and skip as
// for the others; a value given two types, and a type that is none, are
// usage errors.
func TestParseDocTypesPaymentAndSkip(t *testing.T) {
	cases := []struct {
		spec string
		want map[string]string
		err  string
	}{
		{spec: "payment=DZ,skip=AB, invoice = RV ,credit_note=DG", want: map[string]string{"dz": docPayment, "ab": docSkip, "rv": docInvoice, "dg": docCreditNote}},
		{spec: "Payment=Zahlung", want: map[string]string{"zahlung": docPayment}},
		{spec: "payment=DZ,skip=dz", err: `the type value "dz" is given as payment and as skip`},
		{spec: "receipt=DZ", err: "want invoice, credit_note, payment or skip"},
		{spec: "DZ", err: "want invoice=VALUE, credit_note=VALUE, payment=VALUE or skip=VALUE"},
	}
	for _, tc := range cases {
		m := map[string]string{}
		err := ParseDocTypes(m, tc.spec)
		if tc.err != "" {
			if !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: err %v, want %q", tc.spec, err, tc.err)
			}
			continue
		}
		if err != nil || fmt.Sprint(m) != fmt.Sprint(tc.want) {
			t.Errorf("%q: %v (%v), want %v", tc.spec, m, err, tc.want)
		}
	}
}

// Rows skipped by their type are not read: an import whose other rows
// are mostly rejected fails however many rows were skipped, where
// counting them as read (or loaded) would have hidden it.
func TestSkippedRowsDoNotHideRejects(t *testing.T) {
	var b strings.Builder
	b.WriteString("Account;Document Number;Document Type;Document Date;Net due date;Amount in doc. curr.\n")
	for i := range 10 {
		fmt.Fprintf(&b, "K1;9%03d;AB;02.03.2026;02.03.2026;0,00\n", i)
	}
	b.WriteString("K1;A1;RV;02.03.2026;01.04.2026;100,00\nK1;A2;RV;02.03.2026;01.04.2026;100,00\n")
	b.WriteString("K1;A3;RV;31.02.2026;01.04.2026;100,00\nK1;A4;RV;02.03.2026;;100,00\nK1;A5;RV;02.03.2026;01.04.2026;hundert\n")
	cases := []struct {
		docTypes string
		read     int
		skipped  int
		failed   bool
	}{
		{docTypes: "invoice=RV,skip=AB", read: 5, skipped: 10, failed: true},
		{docTypes: "invoice=RV,invoice=AB", read: 15},
	}
	for _, tc := range cases {
		st := openStore(t)
		o := opts(t)
		o.Kind, o.DateFormat = datasets.EntityInvoices, "%d.%m.%Y"
		o.Columns, o.DocTypes = map[string]string{}, map[string]string{}
		if err := ParseColumns(o.Columns, "customer_id=Account,invoice_id=Document Number,issue_date=Document Date,due_date=Net due date,amount=Amount in doc. curr.,invoices.type=Document Type"); err != nil {
			t.Fatal(err)
		}
		if err := ParseDocTypes(o.DocTypes, tc.docTypes); err != nil {
			t.Fatal(err)
		}
		sum, err := Import(context.Background(), st, []string{writeFile(t, t.TempDir(), "fbl5n.csv", b.String())}, o)
		if errors.Is(err, ErrRejected) != tc.failed || sum.Read != tc.read || sum.SkippedByType != tc.skipped || sum.Rejected != 3 || sum.Files[0].Failed != tc.failed {
			t.Errorf("%s: err %v, read %d skipped %d rejected %d failed %v; want read %d skipped %d failed %v",
				tc.docTypes, err, sum.Read, sum.SkippedByType, sum.Rejected, sum.Files[0].Failed, tc.read, tc.skipped, tc.failed)
		}
	}
}
