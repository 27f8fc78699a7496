package datasets

import (
	"testing"
)

// A settled invoice counts as written off (no payment) when write-off
// notes dated by its settlement cover at least half of it; a small residue
// written off, a credit note or a later write-off leave it paid.
func TestWrittenOff(t *testing.T) {
	settled := NewDate(2024, 5, 31)
	v := Invoice{ID: "I1", CustomerID: "C1", Amount: 1000_00, SettledDate: settled}
	wo := func(amount Money, on Date) CreditNote {
		return CreditNote{InvoiceID: "I1", Kind: KindWriteOff, Amount: amount, Date: on}
	}
	for _, c := range []struct {
		name  string
		notes []CreditNote
		want  bool
	}{
		{"no notes", nil, false},
		{"written off in full", []CreditNote{wo(1000_00, settled)}, true},
		{"half written off", []CreditNote{wo(500_00, settled)}, true},
		{"a residue written off", []CreditNote{wo(3_50, settled)}, false},
		{"two write-offs making half", []CreditNote{wo(250_00, settled.AddDays(-9)), wo(250_00, settled)}, true},
		{"a credit note", []CreditNote{{InvoiceID: "I1", Kind: KindCreditNote, Amount: 1000_00, Date: settled}}, false},
		{"written off after the settlement", []CreditNote{wo(1000_00, settled.AddDays(1))}, false},
	} {
		if got := v.MostlyWrittenOff(c.notes); got != c.want {
			t.Errorf("%s: written off %v, want %v", c.name, got, c.want)
		}
	}
}
