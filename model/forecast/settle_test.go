package forecast

import (
	"slices"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
)

// Settled is not paid: on a ledger whose settlements carry the write-offs
// they imply (datasets.Ledger.WithImpliedWriteOffs, as every command reads
// it), an invoice settled for more than its cash brings its cash only, and
// counts as written off in the timing record; cash on account still
// settles the invoice it was matched to.
func TestReceiptsOfAnImpliedWriteOff(t *testing.T) {
	l := ledger()
	l.Invoices = append(l.Invoices, datasets.Invoice{ID: "B4", CustomerID: "B", IssueDate: d(2024, 5, 1), DueDate: d(2024, 5, 31),
		SettledDate: d(2024, 7, 5), Amount: 400_00})
	l.Payments = append(l.Payments, datasets.Payment{ID: "P9", CustomerID: "B", InvoiceID: "B4", Date: d(2024, 7, 5), Amount: 100_00})
	settled, n, err := l.WithImpliedWriteOffs(true)
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Fatalf("%d implied notes, want 1 (B4's 300; A4 was paid on account)", n)
	}
	for _, c := range []struct {
		name string
		l    *datasets.Ledger
		b4   []datasets.Money
	}{
		{"as exported", l, []datasets.Money{400_00, 0, 0}},
		{"settled", settled, []datasets.Money{100_00, 0, 0}},
	} {
		h := NewHistory(c.l, nil)
		get := func(id string) *invoice {
			return &h.inv[slices.IndexFunc(h.inv, func(v invoice) bool { return v.ID == id })]
		}
		got := make([]datasets.Money, 3)
		get("B4").receipts(d(2024, 6, 30), got)
		if !slices.Equal(got, c.b4) {
			t.Errorf("%s: B4 receipts %v, want %v", c.name, got, c.b4)
		}
		got = make([]datasets.Money, 3)
		get("A4").receipts(d(2024, 5, 1), got)
		if !slices.Equal(got, []datasets.Money{0, 100_00, 0}) {
			t.Errorf("%s: A4 (paid on account) receipts %v, want its 100 in week 2", c.name, got)
		}
		if wo := get("B4").writeOff; wo != (c.l == settled) {
			t.Errorf("%s: B4 written off %v", c.name, wo)
		}
	}
}
