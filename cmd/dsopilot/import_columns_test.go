package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A column mapped twice is a usage error naming both headers (the last
// used to win silently); mapped per entity, one import reads files that
// name it differently.
func TestImportColumnsMappedTwiceOrPerEntity(t *testing.T) {
	dir := t.TempDir()
	export := filepath.Join(dir, "export")
	os.Mkdir(export, 0o755)
	os.WriteFile(filepath.Join(export, "invoices.csv"), []byte("Account,Invoice No,issue_date,due_date,Total\nC1,I1,2024-01-05,2024-02-04,10.00\n"), 0o644)
	os.WriteFile(filepath.Join(export, "payments.csv"), []byte("payment_id,Account,Invoice No,payment_date,Amount Received\nP1,C1,I1,2024-02-01,10.00\n"), 0o644)
	store := filepath.Join(dir, "store")
	_, _, err := call(t, nil, "import", "--store", store, "--columns", "customer_id=Account,invoice_id=Invoice No,amount=Total,amount=Amount Received", export)
	if exitCode(err) != 2 {
		t.Fatalf("exit %d (%v), want 2", exitCode(err), err)
	}
	for _, want := range []string{"amount is mapped twice", `"Total"`, `"Amount Received"`, "<entity>.amount=Total,<other entity>.amount=Amount Received"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if _, err := os.Stat(store); err == nil {
		t.Errorf("a usage error created the store")
	}
	out, _, err := call(t, nil, "import", "--store", store, "--columns",
		"customer_id=Account,invoice_id=Invoice No,invoices.amount=Total,payments.amount=Amount Received", export)
	if err != nil {
		t.Fatalf("per entity: %v\n%s", err, out)
	}
	l := loadStore(t, store)
	if len(l.Invoices) != 1 || len(l.Payments) != 1 || l.Invoices[0].Amount != 1000 || l.Payments[0].Amount != 1000 {
		t.Fatalf("stored %d invoices, %d payments (%+v, %+v), want one of each of 10.00", len(l.Invoices), len(l.Payments), l.Invoices, l.Payments)
	}
}

// The text summary says what --json does: the columns not read, and the
// values read by a convention of the export, counted.
func TestImportTextSummaryListsIgnoredColumnsAndConventions(t *testing.T) {
	dir := t.TempDir()
	export := filepath.Join(dir, "export")
	os.Mkdir(export, 0o755)
	os.WriteFile(filepath.Join(export, "customers.csv"), []byte("customer_id,name,payment_terms\nC1,One,Net 30\n"), 0o644)
	os.WriteFile(filepath.Join(export, "invoices.csv"), []byte("customer_id,invoice_id,issue_date,due_date,amount,Type\nC1,I1,2024-01-05,,10.00,Invoice\n"), 0o644)
	os.WriteFile(filepath.Join(export, "credit_notes.csv"), []byte("credit_note_id,customer_id,invoice_id,date,amount\nN1,C1,I1,2024-01-09,-4.00\n"), 0o644)
	out, _, err := call(t, nil, "import", "--store", filepath.Join(dir, "store"), export)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"ignored columns of " + filepath.Join(export, "invoices.csv") + ": Type",
		"1 due dates derived from payment terms",
		"1 credit notes written negative: read as credits of their absolute amount",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
}

// --date-format entity=FORMAT reads one entity's files so: one import of
// an export whose files write dates differently; a format given twice
// differently is a usage error.
func TestImportDateFormatPerEntity(t *testing.T) {
	dir := t.TempDir()
	export := filepath.Join(dir, "export")
	os.Mkdir(export, 0o755)
	os.WriteFile(filepath.Join(export, "invoices.csv"), []byte("customer_id,invoice_id,issue_date,due_date,amount\nC1,I1,01/05/2024,02/04/2024,10.00\n"), 0o644)
	os.WriteFile(filepath.Join(export, "payments.csv"), []byte("payment_id,customer_id,invoice_id,payment_date,amount\nP1,C1,I1,01-Feb-2024,10.00\n"), 0o644)
	store := filepath.Join(dir, "store")
	if _, _, err := call(t, nil, "import", "--store", store, "--date-format", "%m/%d/%Y", "--date-format", "%d-%b-%Y", export); exitCode(err) != 2 ||
		!strings.Contains(err.Error(), `given twice, "%m/%d/%Y" and "%d-%b-%Y"`) {
		t.Fatalf("two formats: exit %d (%v), want 2 naming both", exitCode(err), err)
	}
	if out, _, err := call(t, nil, "import", "--store", store, "--date-format", "%m/%d/%Y", "--date-format", "payments=%d-%b-%Y", export); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	l := loadStore(t, store)
	if len(l.Invoices) != 1 || len(l.Payments) != 1 || l.Invoices[0].IssueDate.String() != "2024-01-05" || l.Payments[0].Date.String() != "2024-02-01" {
		t.Fatalf("stored %+v and %+v", l.Invoices, l.Payments)
	}
}

// A Sage-like export: US dates, no due date column but a terms column,
// credit notes among the invoices told by a Type column (written
// negative, one by a value --doc-types names), USD and CAD. Mapped, it
// loads whole: the credit notes as credit notes, the due dates from the
// terms, each counted in the summary.
func TestImportSageLikeExport(t *testing.T) {
	dir := t.TempDir()
	export := filepath.Join(dir, "export")
	os.Mkdir(export, 0o755)
	os.WriteFile(filepath.Join(export, "invoices.csv"), []byte("Type,Number,Account,Date,Terms,Total,Currency,Reference\n"+
		"Invoice,1001,C1,01/05/2024,Net 30,100.00,USD,\n"+
		"Invoice,1002,C2,01/06/2024,Net 30,80.00,CAD,\n"+
		"Credit Note,CN1,C1,01/09/2024,Net 30,-20.00,USD,1001\n"+
		"Adj Credit,CN2,C2,01/10/2024,,-5.00,CAD,\n"), 0o644)
	store := filepath.Join(dir, "store")
	out, _, err := call(t, nil, "import", "--store", store, "--date-format", "%m/%d/%Y", "--doc-types", "credit_note=Adj Credit", "--columns",
		"invoices.type=Type,invoice_id=Number,customer_id=Account,issue_date=Date,invoices.payment_terms=Terms,amount=Total,invoices.applies_to=Reference", export)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, want := range []string{"2 credit notes read from the invoices file", "2 due dates derived from payment terms, the file having no due_date column"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	l := loadStore(t, store)
	if len(l.Invoices) != 2 || len(l.CreditNotes) != 2 || l.Invoices[0].DueDate.String() != "2024-02-04" {
		t.Fatalf("stored invoices %+v, credit notes %+v", l.Invoices, l.CreditNotes)
	}
	for _, c := range l.CreditNotes {
		if (c.ID == "CN1") != (c.InvoiceID == "1001") || c.Amount <= 0 {
			t.Errorf("credit note %+v", c)
		}
	}
}
