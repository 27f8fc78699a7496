package importer

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
)

// An invoices file's open balance was not read: the instalments paid on
// an open invoice of an export without a payments file were lost (the
// invoice was owed its full amount). Now the difference its payments and
// credit notes do not cover is a payment derived on the export date,
// warned of with its count; a balance of 0 with no settled date settles
// the invoice on that date; a balance below 0, above the amount, on a
// settled invoice or with another currency's sign is rejected, naming
// the field. Importing the same files again derives the same payments.
func TestOpenBalanceDerivesThePaymentsItImplies(t *testing.T) {
	const invoices = "invoice_id,customer_id,issue_date,due_date,amount,currency,settled_date,Open Balance\n" +
		"I1,K1,2025-01-02,2025-02-01,100.00,USD,,$100.00\n" + // 2: nothing paid
		"I2,K1,2025-01-02,2025-02-01,100.00,USD,,$60.00\n" + // 3: 40 paid, no payment: derived
		"I3,K1,2025-01-02,2025-02-01,100.00,USD,,60.00\n" + // 4: the payments file's 40 covers it
		"I4,K1,2025-01-02,2025-02-01,100.00,USD,,60.00\n" + // 5: 10 paid in the file, 30 derived
		"I5,K1,2025-01-02,2025-02-01,100.00,USD,,0.00\n" + // 6: settled, when not known: on the export date
		"I6,K1,2025-01-02,2025-02-01,100.00,USD,2025-02-01,0.00\n" + // 7: settled: nothing
		"I7,K1,2025-01-02,2025-02-01,100.00,USD,,150.00\n" + // 8: above the amount
		"I8,K1,2025-01-02,2025-02-01,100.00,USD,,-5.00\n" + // 9: below 0
		"I9,K1,2025-01-02,2025-02-01,100.00,USD,2025-02-01,10.00\n" + // 10: open on a settled invoice
		"I10,K1,2025-01-02,2025-02-01,100.00,USD,,£5.00\n" + // 11: another currency's sign
		"I11,K1,2025-03-03,2025-04-02,50.00,USD,,20.00\n" + // 12: credited 30 by a credit note
		"I12,K1,2025-03-03,2025-04-02,50.00,USD,,\n" // 13: blank: not given
	const payments = "payment_id,customer_id,invoice_id,payment_date,amount\n" +
		"P1,K1,I3,2025-02-10,40.00\n" +
		"P2,K1,I4,2025-02-10,10.00\n"
	const credits = "credit_note_id,customer_id,invoice_id,date,amount\nC1,K1,I11,2025-03-10,30.00\n"
	for _, tc := range []struct {
		name       string
		exportDate string // "" for none: the import's day
		want       string
		how        string
	}{
		{name: "the import's day", want: "2025-06-01", how: "the import's day"},
		{name: "--export-date", exportDate: "2025-03-31", want: "2025-03-31", how: "--export-date"},
	} {
		for storeName, open := range stores(t) {
			t.Run(tc.name+"/"+storeName, func(t *testing.T) {
				ctx := context.Background()
				st := open(t)
				if err := st.Put(ctx, &datasets.Ledger{Customers: []datasets.Customer{{ID: "K1", Name: "K", Currency: "USD"}}}); err != nil {
					t.Fatal(err)
				}
				dir := t.TempDir()
				files := []string{writeFile(t, dir, "invoices.csv", invoices), writeFile(t, dir, "payments.csv", payments), writeFile(t, dir, "credit_notes.csv", credits)}
				o := opts(t)
				o.Columns = map[string]string{"invoices.open_balance": "Open Balance"}
				o.Now = func() time.Time { return time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC) }
				if tc.exportDate != "" {
					o.ExportDate, _ = datasets.ParseDate(tc.exportDate)
				}
				export, _ := datasets.ParseDate(tc.want)
				for pass := 1; pass <= 2; pass++ {
					sum, err := Import(ctx, st, files, o)
					if err != nil {
						t.Fatalf("pass %d: %v", pass, err)
					}
					var rejects []string
					for _, r := range sum.FirstRejects {
						rejects = append(rejects, fmt.Sprintf("%d %s", r.Line, r.Field))
					}
					if fmt.Sprint(rejects) != "[8 open_balance 9 open_balance 10 open_balance 11 open_balance]" || sum.DerivedPayments != 3 || sum.Loaded != 8+2+1 {
						t.Fatalf("pass %d: rejects %v, derived %d, loaded %d", pass, rejects, sum.DerivedPayments, sum.Loaded)
					}
					counts := map[string]int{}
					for _, w := range sum.Warnings {
						counts[w.Reason] = w.Count
					}
					if counts[warnOpenBalancePaid] != 3 || counts[warnOpenBalanceZero] != 1 {
						t.Fatalf("pass %d: warnings %+v", pass, sum.Warnings)
					}
					i := slices.IndexFunc(sum.Notes, func(w Warning) bool { return w.Reason == noteExportDate })
					if i < 0 || !strings.Contains(sum.Notes[i].Example, tc.want+", "+tc.how) {
						t.Fatalf("pass %d: notes %+v lack the export date %s (%s)", pass, sum.Notes, tc.want, tc.how)
					}
				}
				l, err := st.Load(ctx)
				if err != nil {
					t.Fatal(err)
				}
				var derived []string
				for _, p := range l.Payments {
					if OpenBalancePayment(&p) {
						derived = append(derived, fmt.Sprintf("%s %s %s %s", p.InvoiceID, p.Amount, p.Date, p.Currency))
						// Point in time: never known before the export date.
						if p.Date != export || p.ID != openBalanceID(p.InvoiceID, export) {
							t.Errorf("derived payment %+v: want dated %s", p, export)
						}
					}
				}
				slices.Sort(derived)
				want := fmt.Sprintf("[I2 40.00 %[1]s USD I4 30.00 %[1]s USD I5 100.00 %[1]s USD]", export)
				if fmt.Sprint(derived) != want || len(l.Payments) != 5 {
					t.Fatalf("derived payments %v (of %d), want %s", derived, len(l.Payments), want)
				}
				v, _ := findInvoice(l, "I5")
				if v.SettledDate != export {
					t.Fatalf("I5 settled %s, want the export date %s", v.SettledDate, export)
				}
			})
		}
	}
}

// In a ledger without payment records (a cleared-items export: no
// payments file in the import or the store) a payment derived from an
// open balance would be the ledger's first, turning every settled invoice
// into an implied write-off (the KPIs of the trial's export took 2,821 of
// them as written off): the difference is a credit note of
// OpenBalanceReason instead, and a balance of 0 only settles the invoice.
func TestOpenBalanceWithoutPaymentRecordsDerivesCreditNotes(t *testing.T) {
	const invoices = "invoice_id,customer_id,issue_date,due_date,amount,currency,settled_date,Open Balance\n" +
		"I1,K1,2025-01-02,2025-02-01,100.00,USD,2025-01-20,0.00\n" + // settled: its cash
		"I2,K1,2025-01-02,2025-02-01,100.00,USD,,60.00\n" + // 40 paid or credited
		"I5,K1,2025-01-02,2025-02-01,100.00,USD,,0.00\n" // settled on the export date
	ctx := context.Background()
	st := openStore(t)
	o := opts(t)
	o.Columns = map[string]string{"invoices.open_balance": "Open Balance"}
	o.Now = func() time.Time { return time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC) } // the export date: the import's day
	for pass := 1; pass <= 2; pass++ {
		sum, err := Import(ctx, st, []string{writeFile(t, t.TempDir(), "invoices.csv", invoices)}, o)
		if err != nil {
			t.Fatal(err)
		}
		if sum.DerivedPayments != 0 || sum.DerivedCredits != 1 {
			t.Fatalf("pass %d: derived %d payments, %d credit notes; want 0, 1", pass, sum.DerivedPayments, sum.DerivedCredits)
		}
	}
	l, err := st.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	export, _ := datasets.ParseDate("2025-06-01")
	if len(l.Payments) != 0 || len(l.CreditNotes) != 1 || l.CreditNotes[0].Amount != 4000 || l.CreditNotes[0].Reason != OpenBalanceReason ||
		l.CreditNotes[0].Date != export || l.CreditNotes[0].InvoiceID != "I2" {
		t.Fatalf("payments %+v, credit notes %+v", l.Payments, l.CreditNotes)
	}
	if v, _ := findInvoice(l, "I5"); v.SettledDate != export {
		t.Fatalf("I5 settled %s, want %s", v.SettledDate, export)
	}
}

func findInvoice(l *datasets.Ledger, id string) (datasets.Invoice, bool) {
	for _, v := range l.Invoices {
		if v.ID == id {
			return v, true
		}
	}
	return datasets.Invoice{}, false
}
