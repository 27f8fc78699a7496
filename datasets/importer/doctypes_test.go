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

// A Sage-like export lists credit notes among the invoices, told apart by
// a Type column. With the column mapped, its credit-note rows load as
// credit notes of their absolute amount (linked to the invoice the
// reference names, else unapplied), counted and noted; a type that is
// neither is rejected naming the file, line and field. Without the
// mapping the file reads as before: a negative row is a negative invoice,
// rejected. Both stores take the batches of invoices and credit notes.
func TestInvoicesFileTypeColumnLoadsCreditNotes(t *testing.T) {
	const sage = "Type,Number,Account,Date,Due Date,Total,Currency,Reference\n" +
		"Invoice,1001,K1,01/05/2025,02/04/2025,100.00,USD,\n" + // 2
		"Credit Note,CN-1,K1,01/10/2025,,-20.00,USD,1001\n" + // 3
		"CREDIT_NOTE,CN-2,K1,01/12/2025,01/12/2025,15.00,USD,\n" + // 4
		"Journal,J-1,K1,01/12/2025,,5.00,USD,\n" + // 5
		"inv,1002,K1,01/15/2025,02/14/2025,50.00,CAD,\n" + // 6
		"Credit Adj,1001,K1,01/20/2025,,-5.00,USD,1002\n" + // 7: the number of an invoice, and a value named by --doc-types
		"Credit Note,CN-3,K1,01/21/2025,,-1.00,USD,9999\n" // 8: a reference to no invoice
	base := "invoice_id=Number,customer_id=Account,issue_date=Date,due_date=Due Date,amount=Total,currency=Currency"
	cases := []struct {
		name, columns, docTypes string
		invoices                []string
		credits                 []string // id amount invoice
		fromInvoices            int
		rejects                 []string // line field
		rejected                int      // rows
		reason                  string   // of the first reject
		unknownRef              bool
	}{
		{name: "typed", columns: base + ",invoices.type=Type,invoices.applies_to=Reference", docTypes: "credit_note=credit adj",
			// Line 7, in USD, applies to 1002, in CAD: rejected (creditcurrency.go).
			invoices: []string{"1001", "1002"}, credits: []string{"CN-1 20.00 1001", "CN-2 15.00 ", "CN-3 1.00 9999"},
			fromInvoices: 3, rejected: 2, rejects: []string{"5 type", "7 currency"}, reason: "unknown document type: want an invoice (", unknownRef: true},
		{name: "Credit Adj unknown without --doc-types", columns: base + ",invoices.type=Type,invoices.applies_to=Reference",
			invoices: []string{"1001", "1002"}, credits: []string{"CN-1 20.00 1001", "CN-2 15.00 ", "CN-3 1.00 9999"},
			fromInvoices: 3, rejected: 2, rejects: []string{"5 type", "7 type"}, reason: "unknown document type", unknownRef: true},
		{name: "no reference column: unapplied", columns: base + ",invoices.type=Type", docTypes: "credit_note=Credit_Adj",
			invoices: []string{"1001", "1002"}, credits: []string{"1001 5.00 ", "CN-1 20.00 ", "CN-2 15.00 ", "CN-3 1.00 "},
			fromInvoices: 4, rejected: 1, rejects: []string{"5 type"}, reason: "unknown document type"},
		{name: "unmapped: as before", columns: base,
			invoices: []string{"1001", "1002", "CN-2"}, rejected: 4, reason: "missing date",
			rejects: []string{"3 due_date", "3 amount", "5 due_date", "7 due_date", "7 amount", "8 due_date", "8 amount"}},
	}
	for store, open := range stores(t) {
		for _, tc := range cases {
			t.Run(store+"/"+tc.name, func(t *testing.T) {
				ctx := context.Background()
				st := open(t)
				o := opts(t)
				o.DateFormat = "%m/%d/%Y"
				o.Columns = map[string]string{}
				if err := ParseColumns(o.Columns, tc.columns); err != nil {
					t.Fatal(err)
				}
				if tc.docTypes != "" {
					o.DocTypes = map[string]string{}
					if err := ParseDocTypes(o.DocTypes, tc.docTypes); err != nil {
						t.Fatal(err)
					}
				}
				p := writeFile(t, t.TempDir(), "invoices.csv", sage)
				sum, err := Import(ctx, st, []string{p}, o)
				if err != nil && !errors.Is(err, ErrRejected) {
					t.Fatal(err)
				}
				l, err := st.Load(ctx)
				if err != nil {
					t.Fatal(err)
				}
				var inv, cns []string
				for _, v := range l.Invoices {
					inv = append(inv, v.ID)
				}
				for _, c := range l.CreditNotes {
					cns = append(cns, fmt.Sprintf("%s %s %s", c.ID, c.Amount, c.InvoiceID))
					if c.Kind != datasets.KindCreditNote || c.CustomerID != "K1" || c.Date == 0 {
						t.Errorf("credit note %+v", c)
					}
				}
				slices.Sort(inv)
				slices.Sort(cns)
				if fmt.Sprint(inv) != fmt.Sprint(tc.invoices) || fmt.Sprint(cns) != fmt.Sprint(tc.credits) {
					t.Fatalf("stored invoices %v credit notes %q, want %v %q", inv, cns, tc.invoices, tc.credits)
				}
				if sum.CreditNotesFromInvoices != tc.fromInvoices || sum.Files[0].CreditNotesFromInvoices != tc.fromInvoices {
					t.Fatalf("credit notes from the invoices file %d, want %d", sum.CreditNotesFromInvoices, tc.fromInvoices)
				}
				if sum.Loaded != len(tc.invoices)+len(tc.credits) || sum.Read != 7 || sum.Rejected != tc.rejected || sum.Duplicates != 0 {
					t.Fatalf("read %d loaded %d rejected %d duplicates %d", sum.Read, sum.Loaded, sum.Rejected, sum.Duplicates)
				}
				noted := false
				for _, n := range sum.Notes {
					if strings.HasPrefix(n.Reason, "credit notes read from the invoices file") {
						noted = n.Count == tc.fromInvoices && strings.Contains(n.Example, "invoices.csv:3 invoice_id \"CN-1\"")
					}
				}
				if noted != (tc.fromInvoices > 0) {
					t.Fatalf("notes %+v, want %d credit notes read from the invoices file", sum.Notes, tc.fromInvoices)
				}
				var at []string
				for _, r := range sum.FirstRejects {
					at = append(at, fmt.Sprintf("%d %s", r.Line, r.Field))
					if !strings.HasSuffix(r.File, "invoices.csv") {
						t.Errorf("reject %v names no file", r)
					}
				}
				if fmt.Sprint(at) != fmt.Sprint(tc.rejects) || !strings.Contains(sum.FirstRejects[0].Reason, tc.reason) {
					t.Fatalf("rejects %v, want at %v: %s", sum.FirstRejects, tc.rejects, tc.reason)
				}
				ref := false
				for _, w := range sum.Warnings {
					ref = ref || strings.Contains(w.Example, "applies_to \"9999\"")
				}
				if ref != tc.unknownRef {
					t.Fatalf("warnings %+v, want one of the reference to no invoice: %v", sum.Warnings, tc.unknownRef)
				}
			})
		}
	}
}

// A mapped type column the file lacks fails the file, naming the header;
// a bad --doc-types is a usage error.
func TestDocTypeMappingErrors(t *testing.T) {
	ctx := context.Background()
	o := opts(t)
	o.Columns = map[string]string{"invoices.type": "Type"}
	p := writeFile(t, t.TempDir(), "invoices.csv", "customer_id,invoice_id,issue_date,due_date,amount\nK1,I1,2025-01-01,2025-01-31,1.00\n")
	sum, err := Import(ctx, openStore(t), []string{p}, o)
	if !errors.Is(err, ErrFiles) || !strings.Contains(sum.Files[0].Error, `document type to the header "Type"`) {
		t.Fatalf("err %v", err)
	}
	for _, spec := range []string{"debit=X", "credit_note=", "invoice=A,credit_note=a"} {
		if err := ParseDocTypes(map[string]string{}, spec); !errors.Is(err, ErrUsage) {
			t.Errorf("%q: err %v, want a usage error", spec, err)
		}
	}
}

// A credit note has no currency of its own: a credit-note row of an
// invoices file in another currency than its customer's invoices (it is
// unapplied) is rejected naming the line and field, not read in theirs
// (it loaded with a warning: creditcurrency.go says why one rule).
func TestTypedCreditInAnotherCurrencyIsRejected(t *testing.T) {
	o := opts(t)
	o.Columns = map[string]string{"invoices.type": "Type"}
	p := writeFile(t, t.TempDir(), "invoices.csv", "Type,customer_id,invoice_id,issue_date,due_date,amount,currency\n"+
		"Credit Note,K1,C0,2025-01-02,,-1.00,CAD\n"+ // 2: before the invoices
		"Invoice,K1,I1,2025-01-05,2025-02-04,100.00,USD\n"+
		"Invoice,K2,I2,2025-01-05,2025-02-04,100.00,CAD\n"+
		"Credit Note,K1,C1,2025-01-06,,-5.00,usd\n"+
		"Credit Note,K2,C2,2025-01-06,,-5.00,CAD\n"+
		"Credit Note,K3,C3,2025-01-06,,-5.00,EUR\n") // no invoice of K3: nothing to tell
	sum, err := Import(context.Background(), openStore(t), []string{p}, o)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Rejected != 1 || len(sum.FirstRejects) != 1 || sum.FirstRejects[0].Line != 2 || sum.FirstRejects[0].Field != "currency" ||
		!strings.Contains(sum.FirstRejects[0].Reason, `credit note in CAD, but customer "K1"'s invoices of the file`) || sum.CreditNotesFromInvoices != 3 || sum.Loaded != 5 {
		t.Fatalf("rejects %+v, credit notes %d, loaded %d: want line 2's", sum.FirstRejects, sum.CreditNotesFromInvoices, sum.Loaded)
	}
}

// TestNegativeInvoiceWithItsTypeMappedSaysWhichType: a negative row whose
// mapped type column reads as an invoice (a "Factura" of -10.00) is
// rejected saying which type it has and how to name the credit-note one
// (--doc-types credit_note=...), not to map the type column, which is
// mapped; without the mapping the advice to map it stays.
func TestNegativeInvoiceWithItsTypeMappedSaysWhichType(t *testing.T) {
	const file = "Clase,invoice_id,customer_id,issue_date,due_date,amount,currency\n" +
		"Factura,F1,K1,2025-01-05,2025-02-04,100.00,EUR\n" +
		"Factura,F2,K1,2025-01-06,2025-02-05,-10.00,EUR\n" +
		"Abono,A1,K1,2025-01-07,,-5.00,EUR\n"
	for _, c := range []struct {
		name, columns, docTypes string
		want, notWant           []string
	}{
		{"type mapped", "invoices.type=Clase", "invoice=Factura,credit_note=Abono",
			[]string{`the row's type "Factura" reads as an invoice`, "--doc-types credit_note=<value>", "(read as credit notes: abono)"}, []string{"--columns"}},
		{"type mapped, recognised values", "invoices.type=Clase", "invoice=Factura",
			[]string{`the row's type "Factura" reads as an invoice`, "credit note, creditnote"}, []string{"--columns"}},
		{"type not mapped", "", "",
			[]string{"map it (--columns invoices.type=<header>)"}, []string{"reads as an invoice"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := opts(t)
			if c.columns != "" {
				o.Columns = map[string]string{}
				if err := ParseColumns(o.Columns, c.columns); err != nil {
					t.Fatal(err)
				}
			}
			if c.docTypes != "" {
				o.DocTypes = map[string]string{}
				if err := ParseDocTypes(o.DocTypes, c.docTypes); err != nil {
					t.Fatal(err)
				}
			}
			p := writeFile(t, t.TempDir(), "invoices.csv", file)
			sum, err := Import(context.Background(), openStore(t), []string{p}, o)
			if err != nil && !errors.Is(err, ErrRejected) {
				t.Fatal(err)
			}
			i := slices.IndexFunc(sum.FirstRejects, func(r Reject) bool { return r.Line == 3 && r.Field == "amount" })
			if i < 0 {
				t.Fatalf("rejects %+v: want line 3's amount", sum.FirstRejects)
			}
			reason := sum.FirstRejects[i].Reason
			for _, w := range c.want {
				if !strings.Contains(reason, w) {
					t.Errorf("reason %q lacks %q", reason, w)
				}
			}
			for _, w := range c.notWant {
				if strings.Contains(reason, w) {
					t.Errorf("reason %q has %q", reason, w)
				}
			}
		})
	}
}
