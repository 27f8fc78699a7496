package datasets

import (
	"errors"
	"slices"
	"testing"
)

func TestImpliedWriteOffs(t *testing.T) {
	issue := NewDate(2024, 1, 10)
	due, settled := issue.AddDays(30), issue.AddDays(75)
	inv := func(id string, disputed bool, settledOn Date) Invoice {
		return Invoice{ID: id, CustomerID: "C1", IssueDate: issue, DueDate: due, Amount: 100_00, SettledDate: settledOn, Disputed: disputed}
	}
	pay := func(id, invoice string, d Date, amt Money) Payment {
		return Payment{ID: id, CustomerID: "C1", InvoiceID: invoice, Date: d, Amount: amt}
	}
	for _, c := range []struct {
		name string
		l    Ledger
		// paymentsKnown is what the caller says of the (whole) ledger.
		paymentsKnown bool
		want          []CreditNote
	}{
		{
			name: "fully paid", paymentsKnown: true,
			l: Ledger{Invoices: []Invoice{inv("I1", false, settled)},
				Payments: []Payment{pay("P1", "I1", issue.AddDays(20), 40_00), pay("P2", "I1", settled, 60_00)}},
		},
		{
			name: "partly paid and settled", paymentsKnown: true,
			l: Ledger{Invoices: []Invoice{inv("I1", false, settled)},
				Payments: []Payment{pay("P1", "I1", issue.AddDays(20), 25_50)}},
			want: []CreditNote{{ID: "implied:C1/I1", CustomerID: "C1", InvoiceID: "I1", Date: settled, Amount: 74_50, Kind: KindWriteOff, Reason: ImpliedNoteReason}},
		},
		{
			name: "disputed and settled", paymentsKnown: true,
			l: Ledger{Invoices: []Invoice{inv("I1", true, settled)},
				Payments: []Payment{pay("P1", "I1", issue.AddDays(20), 90_00)}},
			want: []CreditNote{{ID: "implied:C1/I1", CustomerID: "C1", InvoiceID: "I1", Date: settled, Amount: 10_00, Kind: KindCreditNote, Reason: ImpliedNoteReason}},
		},
		{
			name: "real credit note already there", paymentsKnown: true,
			l: Ledger{Invoices: []Invoice{inv("I1", false, settled)},
				Payments:    []Payment{pay("P1", "I1", issue.AddDays(20), 25_00)},
				CreditNotes: []CreditNote{{ID: "W1", CustomerID: "C1", InvoiceID: "I1", Date: settled, Amount: 75_00, Kind: KindWriteOff}}},
		},
		{
			name: "real credit note covers part", paymentsKnown: true,
			l: Ledger{Invoices: []Invoice{inv("I1", false, settled)},
				Payments: []Payment{pay("P1", "I1", issue.AddDays(20), 25_00)},
				// Filed under another customer: notes follow the invoice id.
				CreditNotes: []CreditNote{{ID: "N1", CustomerID: "C9", InvoiceID: "I1", Date: issue.AddDays(5), Amount: 15_00, Kind: KindCreditNote}}},
			want: []CreditNote{{ID: "implied:C1/I1", CustomerID: "C1", InvoiceID: "I1", Date: settled, Amount: 60_00, Kind: KindWriteOff, Reason: ImpliedNoteReason}},
		},
		{
			name: "cash after the settlement does not cover it", paymentsKnown: true,
			l: Ledger{Invoices: []Invoice{inv("I1", false, settled)},
				Payments: []Payment{pay("P1", "I1", settled.AddDays(1), 100_00),
					// Another customer's payment naming the invoice.
					{ID: "P2", CustomerID: "C2", InvoiceID: "I1", Date: issue, Amount: 100_00}}},
			want: []CreditNote{{ID: "implied:C1/I1", CustomerID: "C1", InvoiceID: "I1", Date: settled, Amount: 100_00, Kind: KindWriteOff, Reason: ImpliedNoteReason}},
		},
		{
			name: "cash on account covers it", paymentsKnown: true,
			l: Ledger{Invoices: []Invoice{inv("I1", false, settled)},
				Payments: []Payment{pay("P1", "I1", issue.AddDays(20), 25_00), pay("P2", "", issue.AddDays(30), 75_00)}},
		},
		{
			// 120 on account by the first settlement, 50 more by the
			// second: the first takes 100, the second 70 of its 100.
			name: "cash on account goes to the earliest settlement", paymentsKnown: true,
			l: Ledger{Invoices: []Invoice{inv("I2", false, settled.AddDays(10)), inv("I1", false, settled), inv("I3", false, settled.AddDays(10))},
				Payments: []Payment{pay("P1", "", issue, 120_00), pay("P2", "NOSUCH", settled.AddDays(1), 50_00),
					pay("P3", "", settled.AddDays(11), 500_00), pay("P4", "", issue, -30_00)}},
			want: []CreditNote{
				{ID: "implied:C1/I2", CustomerID: "C1", InvoiceID: "I2", Date: settled.AddDays(10), Amount: 30_00, Kind: KindWriteOff, Reason: ImpliedNoteReason},
				{ID: "implied:C1/I3", CustomerID: "C1", InvoiceID: "I3", Date: settled.AddDays(10), Amount: 100_00, Kind: KindWriteOff, Reason: ImpliedNoteReason},
			},
		},
		{
			name: "not settled", paymentsKnown: true,
			l: Ledger{Invoices: []Invoice{inv("I1", false, 0)},
				Payments: []Payment{pay("P1", "I1", issue.AddDays(20), 25_00)}},
		},
		{
			name: "no payments at all",
			l:    Ledger{Invoices: []Invoice{inv("I1", false, settled)}},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := slices.Clone(c.l.CreditNotes)
			got, n, err := c.l.WithImpliedWriteOffs(c.paymentsKnown)
			if err != nil {
				t.Fatal(err)
			}
			if n != len(c.want) {
				t.Fatalf("%d implied notes, want %d", n, len(c.want))
			}
			if !slices.Equal(got.CreditNotes[:len(before)], before) {
				t.Fatalf("the ledger's own notes changed: %+v, want %+v", got.CreditNotes[:len(before)], before)
			}
			implied := got.CreditNotes[len(before):]
			if !slices.Equal(implied, c.want) {
				t.Fatalf("implied %+v, want %+v", implied, c.want)
			}
			for i := range implied {
				if !implied[i].Implied() {
					t.Errorf("%s is not marked implied", implied[i].ID)
				}
			}
			for i := range before {
				if before[i].Implied() {
					t.Errorf("real note %s reads as implied", before[i].ID)
				}
			}
			if !slices.Equal(c.l.CreditNotes, before) {
				t.Fatal("the input ledger was changed")
			}
			// Applied twice, nothing more: the implied notes cover.
			again, n, err := got.WithImpliedWriteOffs(c.paymentsKnown)
			if err != nil || n != 0 || len(again.CreditNotes) != len(got.CreditNotes) {
				t.Fatalf("second application: %d notes more, %v", n, err)
			}
		})
	}
}

func TestImpliedWriteOffsOverflow(t *testing.T) {
	d := NewDate(2024, 1, 10)
	l := &Ledger{Invoices: []Invoice{{ID: "I1", CustomerID: "C1", IssueDate: d, DueDate: d, Amount: MaxAmount, SettledDate: d}}}
	for i := range 10 {
		l.Payments = append(l.Payments, Payment{ID: string(rune('a' + i)), CustomerID: "C1", InvoiceID: "I1", Date: d, Amount: -Money(1) << 60})
	}
	if _, _, err := l.WithImpliedWriteOffs(true); !errors.Is(err, ErrOverflow) {
		t.Fatalf("err %v, want %v", err, ErrOverflow)
	}
}
