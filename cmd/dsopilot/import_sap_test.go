package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// sapExport is a small SAP customer line-item list, written by hand:
// invoices (RV) with terms keys, one with its due date blank, a credit
// memo (DG), the payments (DZ) that cleared them, a clearing line (AB)
// and reason codes.
const sapExport = "Account;Document Number;Document Type;Document Date;Net due date;Amount in doc. curr.;Document currency;Clearing Document;Clearing date;Terms of Payment;Reason code;Assignment\n" +
	"100;1800000001;RV;02.03.2026;01.04.2026;1.000,00;EUR;1400000001;03.04.2026;ZB30;;1800000001\n" +
	"100;1400000001;DZ;03.04.2026;03.04.2026;900,00-;EUR;1400000001;03.04.2026;;;1800000001\n" +
	"100;CM1800000001;DG;20.03.2026;20.03.2026;100,00-;EUR;1400000001;03.04.2026;;Z1;1800000001\n" +
	"100;1800000002;RV;05.03.2026;;250,00;EUR;;;ZN60;Z2;1800000002\n" +
	"100;9000000001;AB;03.04.2026;03.04.2026;0,00;EUR;1400000001;03.04.2026;;;\n" +
	"200;1800000003;RV;06.03.2026;05.04.2026;300,00;EUR;;;ZB30;;1800000003\n"

const sapColumns = "customer_id=Account,invoice_id=Document Number,issue_date=Document Date,due_date=Net due date,amount=Amount in doc. curr.," +
	"currency=Document currency,settled_date=Clearing date,invoices.type=Document Type,invoices.applies_to=Assignment," +
	"invoices.payment_terms=Terms of Payment,invoices.dispute_reason=Reason code"

// The import of an SAP export as it is written: with its payment type
// named, its payments load (paying the invoice their clearing cleared),
// with its clearing lines skipped, its terms keys named and its reason
// codes read as disputes, and it exits 0; without the payment and skip
// types named, the rows of those types are rejected and the import exits
// 1 saying how to name them, though they are fewer than half the rows.
func TestImportSAPExportWithPaymentsTermsAndReasons(t *testing.T) {
	cases := []struct {
		name     string
		args     []string
		exit     int
		out      []string // in the summary
		payments []string // id invoice
		due      string   // of 1800000002, "" when not loaded
		disputed []string
	}{
		{name: "named", args: []string{"--doc-types", "invoice=RV,credit_note=DG,payment=DZ,skip=AB", "--terms", "ZB30=30,ZN60=60"},
			out: []string{"1 payments read from the invoices file", "1 rows skipped by their document type", `fbl5n.csv: "AB" 1`, "invoices (of them 1 credit notes, 1 payments)",
				"1 due dates derived from payment terms", `"Z2" 1`},
			payments: []string{"1400000001 1800000001"}, due: "2026-05-04", disputed: []string{"1800000002"}},
		{name: "terms from a file, one reason listed", args: []string{"--doc-types", "invoice=RV,credit_note=DG,payment=DZ,skip=AB", "--terms", "FILE", "--dispute-reasons", "Z9"},
			out:      []string{"1 payments read from the invoices file"},
			payments: []string{"1400000001 1800000001"}, due: "2026-05-04"},
		{name: "payments and clearing lines unnamed", args: []string{"--doc-types", "invoice=RV,credit_note=DG", "--terms", "ZB30=30,ZN60=60"},
			exit: 1, out: []string{"FAILED", `2 of 6 rows are of document types --doc-types does not name ("AB" 1, "DZ" 1)`, "payment=VALUE"},
			due: "2026-05-04", disputed: []string{"1800000002"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			export := filepath.Join(dir, "fbl5n.csv")
			os.WriteFile(export, []byte(sapExport), 0o644)
			terms := filepath.Join(dir, "zterm.csv")
			os.WriteFile(terms, []byte("ZTERM;Terms\nZB30;NET30\nZN60;60\n"), 0o644)
			store := filepath.Join(dir, "store")
			args := []string{"import", "--store", store, "--kind", "invoices", "--columns", sapColumns, "--date-format", "%d.%m.%Y", "--rejects", filepath.Join(dir, "r.csv")}
			for _, a := range tc.args {
				if a == "FILE" {
					a = terms
				}
				args = append(args, a)
			}
			out, stderr, err := call(t, nil, append(args, export)...)
			if exitCode(err) != tc.exit {
				t.Fatalf("exit %d (%v), want %d\n%s\n%s", exitCode(err), err, tc.exit, out, stderr)
			}
			for _, s := range tc.out {
				if !strings.Contains(out, s) {
					t.Errorf("summary lacks %q:\n%s", s, out)
				}
			}
			l := loadStore(t, store)
			var pays, disputed []string
			for _, p := range l.Payments {
				pays = append(pays, p.ID+" "+p.InvoiceID)
			}
			due := ""
			for _, v := range l.Invoices {
				if v.ID == "1800000002" {
					due = v.DueDate.String()
				}
				if v.Disputed {
					disputed = append(disputed, v.ID)
				}
			}
			if !slices.Equal(pays, tc.payments) || due != tc.due || !slices.Equal(disputed, tc.disputed) {
				t.Fatalf("payments %v, due %q, disputed %v; want %v, %q, %v", pays, due, disputed, tc.payments, tc.due, tc.disputed)
			}
		})
	}
}

// Bad --terms and --doc-types values are usage errors naming what is
// wrong, before anything is read.
func TestImportSAPOptionErrors(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{args: []string{"--terms", "ZB30"}, want: "want KEY=DAYS or KEY=TERMS"},
		{args: []string{"--terms", "ZB30=30,ZB30=60"}, want: "terms key ZB30 is given as NET30 and as NET60"},
		{args: []string{"--doc-types", "cash=DZ"}, want: "want invoice, credit_note, payment or skip"},
	}
	for _, tc := range cases {
		dir := t.TempDir()
		export := filepath.Join(dir, "fbl5n.csv")
		os.WriteFile(export, []byte(sapExport), 0o644)
		_, _, err := call(t, nil, append(append([]string{"import", "--store", filepath.Join(dir, "store")}, tc.args...), export)...)
		if exitCode(err) != 2 || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: exit %d (%v), want 2: %s", tc.args, exitCode(err), err, tc.want)
		}
	}
}

// A backtest of an --input export writes its rejects in the current
// directory, as import writes them beside its store, and says where:
// not in the temporary directory, where a trial did not find them.
func TestBacktestInputRejectsInCurrentDirectory(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	export := filepath.Join(dir, "invoices.csv")
	os.WriteFile(export, []byte("customer_id,invoice_id,issue_date,due_date,amount\nA,I1,2024-01-05,2024-02-04,10.00\nA,I2,2024-01-06,2024-13-04,10.00\n"), 0o644)
	_, stderr, _ := call(t, nil, "backtest", "--input", export)
	files, _ := filepath.Glob(filepath.Join(dir, "dsopilot-rejects-*.csv"))
	if len(files) != 1 {
		t.Fatalf("rejects files in the current directory %v, want one\n%s", files, stderr)
	}
	if !strings.Contains(stderr, "every reject is in "+filepath.Base(files[0])) {
		t.Errorf("stderr does not name the rejects file %s:\n%s", files[0], stderr)
	}
}
