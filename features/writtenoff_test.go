package features

import (
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
)

// A settled invoice counts as written off (no payment) when write-off
// notes dated by its settlement cover at least half of it; a small residue
// written off, a credit note or a later write-off leave it paid.
func TestWrittenOff(t *testing.T) {
	settled := datasets.NewDate(2024, 5, 31)
	v := datasets.Invoice{ID: "I1", CustomerID: "C1", Amount: 1000_00, SettledDate: settled}
	wo := func(amount datasets.Money, on datasets.Date) datasets.CreditNote {
		return datasets.CreditNote{InvoiceID: "I1", Kind: datasets.KindWriteOff, Amount: amount, Date: on}
	}
	for _, c := range []struct {
		name  string
		notes []datasets.CreditNote
		want  bool
	}{
		{"no notes", nil, false},
		{"written off in full", []datasets.CreditNote{wo(1000_00, settled)}, true},
		{"half written off", []datasets.CreditNote{wo(500_00, settled)}, true},
		{"a residue written off", []datasets.CreditNote{wo(3_50, settled)}, false},
		{"two write-offs making half", []datasets.CreditNote{wo(250_00, settled.AddDays(-9)), wo(250_00, settled)}, true},
		{"a credit note", []datasets.CreditNote{{InvoiceID: "I1", Kind: datasets.KindCreditNote, Amount: 1000_00, Date: settled}}, false},
		{"written off after the settlement", []datasets.CreditNote{wo(1000_00, settled.AddDays(1))}, false},
	} {
		if got := writtenOff(&v, c.notes); got != c.want {
			t.Errorf("%s: written off %v, want %v", c.name, got, c.want)
		}
	}
}
