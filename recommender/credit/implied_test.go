package credit

import (
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
)

// A settlement no cash covers implies a write-off (settled is not paid),
// but it is no record of a default: on an export without its credit notes
// a commercial credit looks the same, and read as a default it cut a
// healthy, still trading customer's limit to 0. A recorded write-off still
// is one.
func TestAnImpliedWriteOffIsNoDefault(t *testing.T) {
	pol := DefaultPolicy()
	base := baseLedger()
	// C1's first settled invoice: its payment left out of the export.
	first := base.Invoices[0]
	if first.SettledDate == 0 || first.SettledDate > asOf {
		t.Fatalf("the fixture's first invoice is not settled by %s: %+v", asOf, first)
	}
	var kept []datasets.Payment
	for _, p := range base.Payments {
		if p.InvoiceID != first.ID {
			kept = append(kept, p)
		}
	}
	base.Payments = kept
	implied, n, err := base.WithImpliedWriteOffs(true)
	if err != nil || n != 1 {
		t.Fatalf("implied write-offs: %d, %v; want 1", n, err)
	}
	recorded := *implied
	recorded.CreditNotes = []datasets.CreditNote{{ID: "WO1", CustomerID: "C1", InvoiceID: first.ID, Date: first.SettledDate,
		Amount: first.Amount, Kind: datasets.KindWriteOff, Reason: "uncollectable"}}
	for _, c := range []struct {
		name        string
		l           *datasets.Ledger
		wantDefault bool
	}{
		{"implied", implied, false},
		{"recorded", &recorded, true},
	} {
		s, err := Suggest(c.l, asOf, pol, Options{Risk: map[string]Risk{"C1": {PD: 0.01, Source: "model"}}, Customers: []string{"C1"}})
		if err != nil {
			t.Fatal(err)
		}
		if got := s.Rows[0].Bound == BoundDefault; got != c.wantDefault {
			t.Errorf("%s write-off: bound %q, suggested %s; want default %v", c.name, s.Rows[0].Bound, s.Rows[0].Suggested.Money(), c.wantDefault)
		}
	}
}
