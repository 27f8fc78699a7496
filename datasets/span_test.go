package datasets

import "testing"

// TestSpanOfPartsIsTheWholeLedgers: the span of a ledger is its first
// invoice and its latest receivables record (Ledger.LastDay), and the union of its parts'
// spans is the whole ledger's.
func TestSpanOfPartsIsTheWholeLedgers(t *testing.T) {
	d := func(s string) Date {
		v, err := ParseDate(s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	a := &Ledger{Invoices: []Invoice{{ID: "I1", IssueDate: d("2024-02-01")}}, Payments: []Payment{{ID: "P1", Date: d("2024-05-02")}}}
	b := &Ledger{Invoices: []Invoice{{ID: "I2", IssueDate: d("2024-01-10"), SettledDate: d("2024-03-01")}}}
	whole := &Ledger{Invoices: append(append([]Invoice(nil), a.Invoices...), b.Invoices...), Payments: a.Payments}
	want := Span{First: d("2024-01-10"), Last: d("2024-05-02")}
	for name, got := range map[string]Span{"whole": whole.Span(), "a+b": a.Span().Union(b.Span()), "b+a": b.Span().Union(a.Span()),
		"with an empty part": (&Ledger{}).Span().Union(whole.Span())} {
		if got != want {
			t.Errorf("%s: %+v, want %+v", name, got, want)
		}
	}
	if !(&Ledger{}).Span().Empty() || whole.Span().Empty() {
		t.Error("Empty is wrong")
	}
}
