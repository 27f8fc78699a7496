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

// A customer row rejected by an earlier import leaves its invoices of a
// later import rejected: the summary says the store's master lacks their
// customer and what to do, INCOMPLETE with exit 1 when most rows were
// rejected, a note otherwise.
func TestLaterImportOfRowsOfARejectedCustomer(t *testing.T) {
	cases := []struct {
		name     string
		invoices string
		exit     int
		line     string
	}{
		{name: "most rows", invoices: "B;I1;2024-01-05;2024-02-04;10,00\nB;I2;2024-01-05;2024-02-04;10,00\nA;I3;2024-01-05;2024-02-04;10,00\n",
			exit: 1, line: "INCOMPLETE: 2 rows of 1 customer rejected because the store's customer master lacks their customer, first at "},
		{name: "few rows", invoices: "A;I1;2024-01-05;2024-02-04;10,00\nB;I2;2024-01-05;2024-02-04;10,00\nA;I3;2024-01-05;2024-02-04;10,00\n",
			exit: 0, line: "note: 1 row of 1 customer rejected because the store's customer master lacks their customer, first at "},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			store := filepath.Join(dir, "store")
			customers := filepath.Join(dir, "Kunden.csv")
			os.WriteFile(customers, []byte("customer_id;name;credit_limit\nA;Acme;100,00\nB;Beta;viel\n"), 0o644)
			if _, _, err := call(t, nil, "import", "--store", store, customers); err != nil {
				t.Fatal(err)
			}
			invoices := filepath.Join(dir, "Rechnungen.csv")
			os.WriteFile(invoices, []byte("customer_id;invoice_id;issue_date;due_date;amount\n"+tc.invoices), 0o644)
			out, stderr, err := call(t, nil, "import", "--store", store, "--kind", "invoices", invoices)
			if exitCode(err) != tc.exit {
				t.Fatalf("exit %d (%v), want %d\n%s", exitCode(err), err, tc.exit, out)
			}
			if !strings.Contains(out, tc.line+invoices+":") {
				t.Errorf("summary lacks %q:\n%s", tc.line, out)
			}
			if !strings.Contains(stderr, `the store's customer master (1 customer) lacks "B" and this import has no customers file`) {
				t.Errorf("rejects do not say the customer is absent from the store's master:\n%s", stderr)
			}
		})
	}
}
