package importer

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// A German OPOS list writes invoices in Soll and credit notes in Haben:
// mapped alone, the amount column lost the Gutschriften ("missing
// amount"). With credit_amount mapped a credit row is read as the negative
// of its credit, a credit note by its type; a row with both, or a credit
// written negative, is rejected naming credit_amount.
func TestDebitAndCreditColumns(t *testing.T) {
	const opos = "Belegnummer;Kundennummer;Belegart;Belegdatum;Fälligkeit;Soll;Haben;Bezug\n" +
		"RE1;K1;RE;02.01.2025;01.02.2025;1.190,00;;\n" + // 2: invoice
		"GS1;K1;GS;10.01.2025;;;119,00;RE1\n" + // 3: credit note of 119.00 on RE1
		"RE2;K1;RE;02.01.2025;01.02.2025;500,00;0,00;\n" + // 4: a zero credit: the invoice
		"GS2;K1;GS;10.01.2025;;0,00;50,00;RE2\n" + // 5: a zero debit: the credit
		"RE3;K1;RE;02.01.2025;01.02.2025;500,00;20,00;\n" + // 6: both: rejected
		"GS3;K1;GS;10.01.2025;;;-20,00;RE1\n" + // 7: a negative credit: rejected
		"GS4;K1;GS;10.01.2025;;;20,00-;RE1\n" + // 8: negative by a trailing minus (SAP): rejected
		"GS5;K1;GS;10.01.2025;;;(20,00);RE1\n" + // 9: negative in parentheses: rejected
		"RE4;K1;RE;02.01.2025;01.02.2025;300,00;0,00 €;\n" + // 10: a zero credit with its sign: the invoice
		"GS6;K1;GS;10.01.2025;;0,00 €;30,00 €;RE4\n" // 11: a zero debit with its sign: the credit
	for storeName, open := range stores(t) {
		t.Run(storeName, func(t *testing.T) {
			ctx := context.Background()
			st := open(t)
			o := oposOptions(t)
			sum, err := Import(ctx, st, []string{writeFile(t, t.TempDir(), "OPOS.csv", opos)}, o)
			if err != nil {
				t.Fatal(err)
			}
			var rejects []string
			for _, r := range sum.FirstRejects {
				rejects = append(rejects, fmt.Sprintf("%d %s", r.Line, r.Field))
			}
			if fmt.Sprint(rejects) != "[6 credit_amount 7 credit_amount 8 credit_amount 9 credit_amount]" || sum.Loaded != 6 || sum.CreditNotesFromInvoices != 3 {
				t.Fatalf("rejects %v, loaded %d, credit notes %d", rejects, sum.Loaded, sum.CreditNotesFromInvoices)
			}
			l, err := st.Load(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range l.CreditNotes {
				got = append(got, fmt.Sprintf("%s %s %s", c.ID, c.InvoiceID, c.Amount))
			}
			for _, v := range l.Invoices {
				got = append(got, fmt.Sprintf("%s %s", v.ID, v.Amount))
			}
			if fmt.Sprint(got) != "[GS1 RE1 119.00 GS2 RE2 50.00 GS6 RE4 30.00 RE1 1190.00 RE2 500.00 RE4 300.00]" {
				t.Errorf("records %v", got)
			}
		})
	}
}

// An NDJSON body's credit written as a JSON number is read as the number
// it is, not as text beside the body's German "1.190,00": moved to the
// amount column as text, 1234.500 made the column "mix decimal marks", a
// warning about the export that it does not deserve.
func TestDebitAndCreditNumericNDJSON(t *testing.T) {
	const body = `{"Belegnummer":"RE1","Kundennummer":"K1","Belegart":"RE","Belegdatum":"02.01.2025","Fälligkeit":"01.02.2025","Soll":"1.190,00","Haben":""}
{"Belegnummer":"RE2","Kundennummer":"K1","Belegart":"RE","Belegdatum":"02.01.2025","Fälligkeit":"01.02.2025","Soll":"2.500,50","Haben":""}
{"Belegnummer":"GS1","Kundennummer":"K1","Belegart":"GS","Belegdatum":"10.01.2025","Soll":"","Haben":1234.500,"Bezug":"RE1"}
`
	for storeName, open := range stores(t) {
		t.Run(storeName, func(t *testing.T) {
			ctx := context.Background()
			st := open(t)
			o := oposOptions(t)
			sum, err := Import(ctx, st, []string{writeFile(t, t.TempDir(), "opos.ndjson", body)}, o)
			if err != nil {
				t.Fatal(err)
			}
			if sum.Loaded != 3 || sum.Rejected != 0 {
				t.Fatalf("loaded %d, rejected %d: %+v", sum.Loaded, sum.Rejected, sum.FirstRejects)
			}
			l, err := st.Load(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(l.CreditNotes) != 1 || l.CreditNotes[0].Amount.String() != "1234.50" {
				t.Errorf("credit notes %+v; want GS1 of 1234.50", l.CreditNotes)
			}
			for _, w := range sum.Warnings {
				if strings.Contains(w.Reason, "decimal mark") {
					t.Errorf("warning %q: the numeric credit was read as text", w.Reason)
				}
			}
		})
	}
}

// oposOptions map a German OPOS list: Soll and Haben, RE and GS.
func oposOptions(t *testing.T) Options {
	t.Helper()
	o := opts(t)
	o.Columns = map[string]string{"invoice_id": "Belegnummer", "customer_id": "Kundennummer", "invoices.type": "Belegart", "issue_date": "Belegdatum",
		"due_date": "Fälligkeit", "invoices.amount": "Soll", "invoices.credit_amount": "Haben", "invoices.applies_to": "Bezug"}
	o.DocTypes = map[string]string{}
	if err := ParseDocTypes(o.DocTypes, "invoice=RE,credit_note=GS"); err != nil {
		t.Fatal(err)
	}
	o.DateFormat = "%d.%m.%Y"
	o.Kind = "invoices"
	return o
}
