package importer

import (
	"context"
	"testing"
)

func TestHeaderKey(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"customer_id", "customer_id"},
		{"Customer ID", "customer_id"},
		{"  Due  Date ", "due_date"},
		{"payment-terms", "payment_terms"},
		{"Inv. No.", "inv_no"},
		{"Amount", "amount"},
		{"Amount Remaining", "amount_remaining"},
		{"_id_", "id"},
		{"Betrag (EUR)", "betrag_(eur)"},
	} {
		if got := headerKey(tc.in); got != tc.want {
			t.Errorf("headerKey(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// An ERP's spaced, capitalised headers read as the canonical columns with
// no --columns mapping: every row loads with the right fields.
func TestSpacedHeadersNeedNoMapping(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	dir := t.TempDir()
	paths := []string{
		writeFile(t, dir, "customers.csv", "Customer ID,Name,Payment Terms\nK1,K one,Net 30\n"),
		writeFile(t, dir, "invoices.csv", "Customer ID,Invoice ID,Issue Date,Due Date,Amount\nK1,I1,2025-01-10,,10.00\nK1,I2,2025-01-10,2025-01-20,12.50\n"),
	}
	sum, err := Import(ctx, st, paths, opts(t))
	if err != nil {
		t.Fatalf("import: %v (%+v)", err, sum.Files)
	}
	for _, f := range sum.Files {
		if f.Rejected != 0 || f.Loaded == 0 {
			t.Errorf("%s: %d loaded, %d rejected", f.Path, f.Loaded, f.Rejected)
		}
	}
	checkDueDates(t, st, map[string]string{"I1": "2025-02-09", "I2": "2025-01-20"})
	l, err := st.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Customers) != 1 || l.Customers[0].Name != "K one" || len(l.Invoices) != 2 || l.Invoices[1].Amount != 1250 {
		t.Fatalf("stored %+v / %+v", l.Customers, l.Invoices)
	}
}
