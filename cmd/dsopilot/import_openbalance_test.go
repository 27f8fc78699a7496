package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// dsopilot import reads an invoices file's open balance as of
// --export-date (else the file's newest date), says which in its summary,
// and derives the payment the balance implies on that date; a bad
// --export-date is a usage error.
func TestImportOpenBalanceAsOfTheExportDate(t *testing.T) {
	dir := t.TempDir()
	export := filepath.Join(dir, "export")
	os.Mkdir(export, 0o755)
	os.WriteFile(filepath.Join(export, "invoices.csv"), []byte("customer_id,invoice_id,issue_date,due_date,amount,Open Balance\nC1,I1,2024-01-05,2024-02-04,100.00,60.00\n"), 0o644)
	os.WriteFile(filepath.Join(export, "payments.csv"), []byte("payment_id,customer_id,invoice_id,payment_date,amount\nP1,C1,I1,2024-02-01,10.00\n"), 0o644)
	store := filepath.Join(dir, "store")
	_, _, err := call(t, nil, "import", "--store", store, "--export-date", "03/31/2024", export)
	if exitCode(err) != 2 || !strings.Contains(err.Error(), "want YYYY-MM-DD") {
		t.Fatalf("exit %d (%v), want 2", exitCode(err), err)
	}
	out, errOut, err := call(t, nil, "import", "--store", store, "--export-date", "2024-03-31", "--columns", "invoices.open_balance=Open Balance", export)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	out += errOut
	for _, want := range []string{"open balances read as of the export date", "2024-03-31, --export-date", `payment of 30.00 derived on 2024-03-31`} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	l := loadStore(t, store)
	if len(l.Payments) != 2 || l.Payments[0].ID != "P1" && l.Payments[1].ID != "P1" {
		t.Fatalf("payments %+v", l.Payments)
	}
}

// The payments file imported after the invoices file whose open balance
// derived a payment: the real payment supersedes it (lowered, the summary
// naming it and what replaced it), and the invoice is paid once.
func TestImportPaymentsLaterSupersedeTheDerivedOne(t *testing.T) {
	dir := t.TempDir()
	inv := filepath.Join(dir, "invoices")
	pay := filepath.Join(dir, "payments")
	os.Mkdir(inv, 0o755)
	os.Mkdir(pay, 0o755)
	os.WriteFile(filepath.Join(inv, "invoices.csv"), []byte("customer_id,invoice_id,issue_date,due_date,amount,Open Balance\nC1,I1,2024-01-05,2024-02-04,100.00,60.00\n"), 0o644)
	os.WriteFile(filepath.Join(pay, "payments.csv"), []byte("payment_id,customer_id,invoice_id,payment_date,amount\nP0,C1,,2024-01-10,1.00\nP1,C1,I1,2024-02-01,40.00\n"), 0o644)
	store := filepath.Join(dir, "store")
	// A ledger with payment records: the difference is derived as a payment.
	os.WriteFile(filepath.Join(dir, "first.csv"), []byte("payment_id,customer_id,invoice_id,payment_date,amount\nP0,C1,,2024-01-10,1.00\n"), 0o644)
	if out, _, err := call(t, nil, "import", "--store", store, "--kind", "payments", filepath.Join(dir, "first.csv")); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if out, _, err := call(t, nil, "import", "--store", store, "--export-date", "2024-03-31", "--columns", "invoices.open_balance=Open Balance", inv); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	out, errOut, err := call(t, nil, "import", "--store", store, pay)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	out += errOut
	for _, want := range []string{"derived from an open balance by an earlier import", `"open-balance:I1:2024-03-31" of 40.00 dated 2024-03-31 now 0.00, replaced by P1 40.00 of 2024-02-01`} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	paid := 0
	for _, p := range loadStore(t, store).Payments {
		if p.InvoiceID == "I1" {
			paid += int(p.Amount)
		}
	}
	if paid != 4000 {
		t.Fatalf("I1 paid %d cents, want 4000", paid)
	}
}
