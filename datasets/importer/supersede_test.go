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

// A payment derived from an open balance stood beside the real payments
// imported in a later run: the money was counted twice (the README only
// said to import the payments first). Now the real payments and credit
// notes of the invoice dated by the export date lower the derived record
// (upserted: the stores cannot delete), each warned of with what replaced
// it; a payment after the export date is not part of the balance and
// lowers nothing; importing the payments again, or the invoices file
// again, changes nothing more.
func TestRealPaymentsSupersedeTheDerivedOnes(t *testing.T) {
	const invoices = "invoice_id,customer_id,issue_date,due_date,amount,currency,settled_date,Open Balance\n" +
		"I2,K1,2025-01-02,2025-02-01,100.00,USD,,60.00\n" + // 40 derived; the payments file pays all 40
		"I4,K1,2025-01-02,2025-02-01,100.00,USD,,60.00\n" + // 40 derived; 10 paid by then, 50 after
		"I5,K1,2025-01-02,2025-02-01,100.00,USD,,60.00\n" // 40 derived; a credit note of 15 by then
	const payments = "payment_id,customer_id,invoice_id,payment_date,amount\n" +
		"P9,K1,I2,2025-03-15,40.00\n" +
		"P10,K1,I4,2025-03-20,10.00\n" +
		"P11,K1,I4,2025-04-10,50.00\n"
	const credits = "credit_note_id,customer_id,invoice_id,date,amount\nC5,K1,I5,2025-03-01,15.00\n"
	for storeName, open := range stores(t) {
		t.Run(storeName, func(t *testing.T) {
			ctx := context.Background()
			st := open(t)
			// A ledger with payment records: the differences are payments.
			if err := st.Put(ctx, &datasets.Ledger{Customers: []datasets.Customer{{ID: "K1", Name: "K", Currency: "USD"}},
				Payments: []datasets.Payment{{ID: "P0", CustomerID: "K1", Date: datasets.NewDate(2024, 12, 1), Amount: 1}}}); err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			o := opts(t)
			o.Columns = map[string]string{"invoices.open_balance": "Open Balance"}
			o.Now = func() time.Time { return time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC) }
			o.ExportDate = datasets.NewDate(2025, 3, 31)
			inv := writeFile(t, dir, "invoices.csv", invoices)
			sum, err := Import(ctx, st, []string{inv}, o)
			if err != nil || sum.DerivedPayments != 3 {
				t.Fatalf("invoices: %v, derived %d", err, sum.DerivedPayments)
			}
			derived := func(want string) {
				t.Helper()
				l, err := st.Load(ctx)
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for _, p := range l.Payments {
					if OpenBalancePayment(&p) {
						got = append(got, fmt.Sprintf("%s %s", p.InvoiceID, p.Amount))
					}
				}
				slices.Sort(got)
				if fmt.Sprint(got) != want {
					t.Fatalf("derived payments %v, want %s", got, want)
				}
			}
			derived("[I2 40.00 I4 40.00 I5 40.00]")
			later := []string{writeFile(t, dir, "payments.csv", payments), writeFile(t, dir, "credit_notes.csv", credits)}
			for pass := 1; pass <= 2; pass++ {
				sum, err := Import(ctx, st, later, o)
				if err != nil {
					t.Fatalf("pass %d: %v", pass, err)
				}
				i := slices.IndexFunc(sum.Warnings, func(w Warning) bool { return w.Reason == warnSuperseded })
				if pass == 2 {
					// Already counted: nothing is new.
					if i >= 0 || sum.SupersededDerived != 0 {
						t.Fatalf("pass 2: %d superseded again: %+v", sum.SupersededDerived, sum.Warnings)
					}
					continue
				}
				if i < 0 || sum.Warnings[i].Count != 3 || sum.SupersededDerived != 3 {
					t.Fatalf("pass 1: superseded %d, warnings %+v", sum.SupersededDerived, sum.Warnings)
				}
				rows := strings.Join(sum.Warnings[i].Rows, "\n")
				for _, want := range []string{`"open-balance:I2:2025-03-31" of 40.00 dated 2025-03-31 now 0.00, replaced by P9 40.00 of 2025-03-15`,
					`"open-balance:I4:2025-03-31" of 40.00 dated 2025-03-31 now 30.00, replaced by P10 10.00 of 2025-03-20`,
					`"open-balance:I5:2025-03-31" of 40.00 dated 2025-03-31 now 25.00, replaced by C5 15.00 of 2025-03-01`} {
					if !strings.Contains(rows, want) {
						t.Errorf("warning rows lack %q:\n%s", want, rows)
					}
				}
			}
			derived("[I2 0.00 I4 30.00 I5 25.00]")
			// The invoices file again: the same balances, now covered by
			// the records: nothing more derived, nothing changed.
			sum, err = Import(ctx, st, []string{inv}, o)
			if err != nil || sum.DerivedPayments != 2 || sum.SupersededDerived != 0 {
				t.Fatalf("invoices again: %v, derived %d, superseded %d: %+v", err, sum.DerivedPayments, sum.SupersededDerived, sum.Warnings)
			}
			derived("[I2 0.00 I4 30.00 I5 25.00]")
		})
	}
}

// Real payments stored otherwise (another import's run before this one,
// or written to the store directly) cover a derived payment: importing
// the invoices file of the same export again lowers it to 0, warned of,
// rather than leaving it beside them.
func TestReimportedOpenBalanceLowersItsOwnDerivedPayment(t *testing.T) {
	const invoices = "invoice_id,customer_id,issue_date,due_date,amount,currency,settled_date,Open Balance\n" +
		"I2,K1,2025-01-02,2025-02-01,100.00,USD,,60.00\n"
	for storeName, open := range stores(t) {
		t.Run(storeName, func(t *testing.T) {
			ctx := context.Background()
			st := open(t)
			if err := st.Put(ctx, &datasets.Ledger{Customers: []datasets.Customer{{ID: "K1", Name: "K", Currency: "USD"}},
				Payments: []datasets.Payment{{ID: "P0", CustomerID: "K1", Date: datasets.NewDate(2024, 12, 1), Amount: 1}}}); err != nil {
				t.Fatal(err)
			}
			o := opts(t)
			o.Columns = map[string]string{"invoices.open_balance": "Open Balance"}
			o.Now = func() time.Time { return time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC) }
			o.ExportDate = datasets.NewDate(2025, 3, 31)
			inv := writeFile(t, t.TempDir(), "invoices.csv", invoices)
			if _, err := Import(ctx, st, []string{inv}, o); err != nil {
				t.Fatal(err)
			}
			if err := st.Put(ctx, &datasets.Ledger{Payments: []datasets.Payment{{ID: "P9", CustomerID: "K1", InvoiceID: "I2", Date: datasets.NewDate(2025, 3, 15), Amount: 4000}}}); err != nil {
				t.Fatal(err)
			}
			sum, err := Import(ctx, st, []string{inv}, o)
			if err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(sum.Warnings, func(w Warning) bool { return w.Reason == warnSuperseded })
			if sum.DerivedPayments != 0 || sum.SupersededDerived != 1 || i < 0 || !strings.Contains(sum.Warnings[i].Example, `"open-balance:I2:2025-03-31" of 40.00 dated 2025-03-31 now 0.00`) {
				t.Fatalf("derived %d, superseded %d, warnings %+v", sum.DerivedPayments, sum.SupersededDerived, sum.Warnings)
			}
			l, err := st.Load(ctx)
			if err != nil {
				t.Fatal(err)
			}
			paid := datasets.Money(0)
			for _, p := range l.Payments {
				if p.InvoiceID == "I2" {
					paid += p.Amount
				}
			}
			if paid != 4000 {
				t.Fatalf("I2 paid %s, want 40.00: %+v", paid, l.Payments)
			}
		})
	}
}
