package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A customer row rejected in the import takes its invoices with it: the
// summary says so, naming the row, and the import exits 1 (the data
// loaded is known to be incomplete) with the good rows loaded. Terms
// written in German load.
func TestImportCascadeExitsNonZero(t *testing.T) {
	dir := t.TempDir()
	export := filepath.Join(dir, "export")
	os.Mkdir(export, 0o755)
	os.WriteFile(filepath.Join(export, "customers.csv"), []byte("customer_id;name;credit_limit;payment_terms\nA;Acme;100,00;30 Tage netto\nB;Beta;viel;14 dagen\n"), 0o644)
	os.WriteFile(filepath.Join(export, "invoices.csv"), []byte("customer_id;invoice_id;issue_date;due_date;amount\n"+
		"A;I1;2024-01-05;2024-02-04;10,00\nA;I2;2024-01-05;2024-02-04;10,00\nB;I3;2024-01-05;2024-02-04;10,00\n"), 0o644)
	store := filepath.Join(dir, "store")
	out, _, err := call(t, nil, "import", "--store", store, export)
	if exitCode(err) != 1 || !strings.Contains(err.Error(), "the data loaded is incomplete") {
		t.Fatalf("exit %d (%v), want 1: incomplete\n%s", exitCode(err), err, out)
	}
	want := "INCOMPLETE: 1 rows rejected because their customer's own row was rejected at " + filepath.Join(export, "customers.csv") + ":3 (B)"
	if !strings.Contains(out, want) {
		t.Errorf("summary lacks %q:\n%s", want, out)
	}
	l := loadStore(t, store)
	if len(l.Customers) != 1 || len(l.Invoices) != 2 || l.Customers[0].Terms.Days != 30 {
		t.Fatalf("stored %d customers (%+v), %d invoices; want A (NET30) and its 2 invoices", len(l.Customers), l.Customers, len(l.Invoices))
	}
}
