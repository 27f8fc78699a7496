package storetest

import (
	"slices"

	"github.com/dsopilot/dsopilot/datasets"
)

// WithStrays returns a copy of l in which some records name another
// customer than their invoice's, as when an invoice moved between accounts
// or a parent pays, promises or is credited for a subsidiary: every 50th
// payment, every 3rd dispute, promise and credit note (write-offs
// included). Read in parts (datasets.Ledger.SplitByCustomer), the moved
// payments, disputes and promises lie in another part than their invoice;
// a credit note stays with its invoice (CreditNoteOwner). Tests use it to
// check that a command reading parts gives what it gives on the whole
// ledger. l must have customers.
func WithStrays(l *datasets.Ledger) *datasets.Ledger {
	out := *l
	out.Payments = slices.Clone(l.Payments)
	out.Disputes = slices.Clone(l.Disputes)
	out.Promises = slices.Clone(l.Promises)
	out.CreditNotes = slices.Clone(l.CreditNotes)
	other := func(i int) string { return l.Customers[(i*7+3)%len(l.Customers)].ID }
	for i := 0; i < len(out.Payments); i += 50 {
		out.Payments[i].CustomerID = other(i)
	}
	for i := 0; i < len(out.Disputes); i += 3 {
		out.Disputes[i].CustomerID = other(i)
	}
	for i := 0; i < len(out.Promises); i += 3 {
		out.Promises[i].CustomerID = other(i)
	}
	for i := 0; i < len(out.CreditNotes); i += 3 {
		out.CreditNotes[i].CustomerID = other(i)
	}
	return &out
}
