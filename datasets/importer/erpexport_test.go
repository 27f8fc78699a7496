package importer

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
)

// ERP exports named in the user's language (Kunden.csv, Rechnungen.csv)
// and told apart by their mapped headers: what a German distributor's
// trial met.

// germanColumns maps a German ERP's headers onto the canonical ones.
var germanColumns = map[string]string{
	"customer_id": "Kundennummer", "name": "Name", "credit_limit": "Kreditlimit", "payment_terms": "Zahlungsbedingung",
	"invoice_id": "Belegnummer", "issue_date": "Belegdatum", "due_date": "Fälligkeit", "amount": "Betrag",
}

const (
	kunden     = "Kundennummer;Name;Kreditlimit;Zahlungsbedingung\nD1;Eins GmbH;1000,00;30 Tage netto\nD2;Zwei BV;2000,00;14 dagen\n"
	rechnungen = "Kundennummer;Belegnummer;Belegdatum;Fälligkeit;Betrag\nD1;R1;2026-11-02;2026-12-02;10,00\nD99;R2;2026-11-03;2026-12-03;20,00\nD2;R3;2026-11-04;2026-12-04;30,00\n"
)

// A customers file told by its header, not by --kind or its name, is the
// import's customer master as one named customers.csv is: an invoice of a
// customer it lacks is rejected, not loaded with a customer derived from
// it, whatever the order of the files on the command line.
func TestACustomersFileToldByItsHeaderIsTheMaster(t *testing.T) {
	for storeName, open := range stores(t) {
		for _, order := range []string{"customers first", "invoices first"} {
			t.Run(storeName+"/"+order, func(t *testing.T) {
				ctx := context.Background()
				st, dir := open(t), t.TempDir()
				k, r := writeFile(t, dir, "Kunden.csv", kunden), writeFile(t, dir, "Rechnungen.csv", rechnungen)
				paths := []string{k, r}
				if order == "invoices first" {
					paths = []string{r, k}
				}
				o := opts(t)
				o.Columns = germanColumns
				sum, err := Import(ctx, st, paths, o)
				if err != nil {
					t.Fatalf("%v\n%+v", err, sum)
				}
				if sum.DerivedCustomers != 0 || sum.Rejected != 1 || sum.Loaded != 4 {
					t.Fatalf("derived %d, rejected %d, loaded %d; want 0, 1 (the invoice of D99), 4", sum.DerivedCustomers, sum.Rejected, sum.Loaded)
				}
				if got := sum.Files[0].Entity; got != datasets.EntityCustomers {
					t.Errorf("first file loaded %s, want customers", got)
				}
				if rj := sum.FirstRejects[0]; rj.Line != 3 || rj.Field != "customer_id" || !strings.Contains(rj.Reason, "unknown customer") {
					t.Errorf("reject %v, want Rechnungen.csv:3 customer_id unknown", rj)
				}
				l, err := st.Load(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if len(l.Customers) != 2 || l.Customers[0].Terms != (datasets.Terms{Days: 30}) || l.Customers[1].Terms != (datasets.Terms{Days: 14}) {
					t.Errorf("customers %+v, want D1 NET30 and D2 NET14 (terms written in words)", l.Customers)
				}
			})
		}
	}
}

// A customer whose own row is rejected does not load, and its invoices
// are then rejected as of an unknown customer: the reject says whose row
// it was, the summary counts the cascade naming that row, and the import
// ends in ErrIncomplete though fewer than half the rows were rejected;
// the good rows load. An invoice of a customer the master never had is
// rejected as before and not counted as a cascade.
func TestARejectedCustomerRowCascadesVisibly(t *testing.T) {
	for storeName, open := range stores(t) {
		t.Run(storeName, func(t *testing.T) {
			ctx := context.Background()
			st, dir := open(t), t.TempDir()
			c := writeFile(t, dir, "customers.csv", "customer_id,name,credit_limit\nA,Acme,100.00\nB,Beta,lots\nC,Gamma,50.00\n")
			inv := writeFile(t, dir, "invoices.csv", "customer_id,invoice_id,issue_date,due_date,amount\n"+
				"A,I1,2026-11-01,2026-12-01,10.00\nA,I2,2026-11-01,2026-12-01,10.00\nB,I3,2026-11-01,2026-12-01,10.00\n"+
				"B,I4,2026-11-02,2026-12-02,10.00\nZ,I5,2026-11-02,2026-12-02,10.00\nC,I6,2026-11-02,2026-12-02,10.00\nC,I7,2026-11-02,2026-12-02,10.00\n")
			sum, err := Import(ctx, st, []string{c, inv}, opts(t))
			if !errors.Is(err, ErrIncomplete) || errors.Is(err, ErrRejected) {
				t.Fatalf("%v; want ErrIncomplete alone", err)
			}
			if sum.Cascaded != 2 || sum.Files[1].Cascaded != 2 || sum.Rejected != 4 || sum.Loaded != 6 {
				t.Fatalf("cascaded %d (file %d), rejected %d, loaded %d; want 2, 2, 4 (B's row, its 2 invoices, Z's), 6",
					sum.Cascaded, sum.Files[1].Cascaded, sum.Rejected, sum.Loaded)
			}
			for _, want := range []string{"2 rows rejected because their customer's own row was rejected at " + c + ":3 (B)", "import the files again"} {
				if !strings.Contains(sum.Cascade, want) || !strings.Contains(err.Error(), want) {
					t.Errorf("cascade %q (error %v) lacks %q", sum.Cascade, err, want)
				}
			}
			var b, z bool
			for _, r := range sum.FirstRejects {
				switch r.Value {
				case "B":
					b = r.Field == "customer_id" && strings.Contains(r.Reason, "its own row was rejected at "+c+":3")
				case "Z":
					z = strings.HasPrefix(r.Reason, unknownCustomer)
				}
			}
			if !b || !z {
				t.Errorf("rejects %v: want B's invoices to name its row, Z's to be of an unknown customer", sum.FirstRejects)
			}
		})
	}
}

// A date that says something happened (an issue, a dispute opened) later
// than today is rejected, as the API's record endpoints do; a due date or
// a promised date ahead is what they are for.
func TestFutureDatedRecordsAreRejected(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) // the latest day is 2026-03-02 (UTC+14)
	for storeName, open := range stores(t) {
		t.Run(storeName, func(t *testing.T) {
			ctx := context.Background()
			st, dir := open(t), t.TempDir()
			inv := writeFile(t, dir, "invoices.csv", "customer_id,invoice_id,issue_date,due_date,amount\n"+
				"A,I1,2026-03-02,2026-06-01,10.00\nA,I2,2026-03-03,2026-06-01,10.00\nA,I3,2026-02-01,2026-03-01,10.00\nA,I4,2026-02-01,2026-03-01,10.00\n")
			dis := writeFile(t, dir, "disputes.csv", "dispute_id,customer_id,invoice_id,opened_date,resolved_date\n"+
				"D1,A,I1,2026-03-02,\nD2,A,I3,2026-02-10,2026-03-09\nD3,A,I4,2026-02-10,2026-02-20\n")
			o := opts(t)
			o.Now = func() time.Time { return now }
			sum, err := Import(ctx, st, []string{inv, dis}, o)
			if err != nil {
				t.Fatalf("%v\n%+v", err, sum)
			}
			if sum.Rejected != 2 || sum.Loaded != 5 {
				t.Fatalf("rejected %d, loaded %d; want 2 (I2 issued, D2 resolved after 2026-03-02), 5", sum.Rejected, sum.Loaded)
			}
			want := map[string]string{"issue_date": "2026-03-03", "resolved_date": "2026-03-09"}
			for _, r := range sum.FirstRejects {
				if want[r.Field] != r.Value || !strings.Contains(r.Reason, "is in the future") || !strings.Contains(r.Reason, "2026-03-02 at the latest") {
					t.Errorf("reject %v", r)
				}
			}
			o = opts(t)
			o.Now, o.LatestDay = func() time.Time { return now }, datasets.NewDate(2026, 3, 31)
			if sum, err := Import(ctx, st, []string{dis}, o); err != nil || sum.Rejected != 0 {
				t.Fatalf("with LatestDay 2026-03-31: %v, %d rejected; want none", err, sum.Rejected)
			}
		})
	}
}

// A directory of ERP-named files holds no ledger file by their names: the
// error lists the files it skipped and how to import them.
func TestADirectoryWithoutLedgerNamesListsItsFiles(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "Kunden.csv", kunden)
	writeFile(t, dir, "Rechnungen.csv", rechnungen)
	os.Mkdir(filepath.Join(dir, "archiv"), 0o755)
	_, err := Import(context.Background(), openStore(t), []string{dir}, opts(t))
	if !errors.Is(err, ErrUsage) {
		t.Fatalf("%v, want ErrUsage", err)
	}
	for _, want := range []string{"holds no ledger file", "Kunden.csv, Rechnungen.csv", "--kind", "--columns"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%v lacks %q", err, want)
		}
	}
}

// TestTermsNotReadLoadTheCustomerWithAWarning: payment terms that cannot
// be read leave the customer loaded without terms and warned of, all as
// one kind; the customer's invoices with a due date load, one without is
// rejected for it. Rejecting the customer row instead lost a Spanish
// master's customers and, with them, every one of their invoices. Terms
// with a cash discount and net terms beside it are read as the net terms
// (the German trial's master was loaded without them) and warned of, so
// that the discount column is mapped; a discount alone is not read.
func TestTermsNotReadLoadTheCustomerWithAWarning(t *testing.T) {
	dir := t.TempDir()
	c := writeFile(t, dir, "customers.csv", "customer_id;name;payment_terms\nA;Acme;14 Tage 2% Skonto, 30 Tage netto\nB;Beta;Ende Folgemonat\nC;Gamma;30 Tage netto\nD;Delta;60 días fin de mes\nE;Epsilon;30 Tage Skonto\n")
	inv := writeFile(t, dir, "invoices.csv", "invoice_id;customer_id;issue_date;due_date;amount;currency\n"+
		"I1;A;2024-01-02;2024-02-01;100.00;EUR\nI2;A;2024-01-02;;100.00;EUR\nI3;C;2024-01-02;;100.00;EUR\nI4;E;2024-01-02;;100.00;EUR\n")
	st := openStore(t)
	sum, err := Import(context.Background(), st, []string{c, inv}, opts(t))
	if err != nil || sum.Rejected != 1 || sum.Loaded != 8 {
		t.Fatalf("%v, %d loaded, %d rejected; want the 5 customers, I1, I2 and I3 loaded and I4 rejected", err, sum.Loaded, sum.Rejected)
	}
	r := sum.FirstRejects[0]
	if r.Line != 5 || r.Field != "due_date" || !strings.Contains(r.Reason, "not read: see the warnings") {
		t.Errorf("reject %+v: want I4's missing due date, pointing at the terms not read", r)
	}
	kind := func(reason string) *Warning {
		for i := range sum.Warnings {
			if sum.Warnings[i].Reason == reason {
				return &sum.Warnings[i]
			}
		}
		return nil
	}
	if w := kind(warnTermsNotRead); w == nil || w.Count != 2 || len(w.Rows) != 2 || !strings.Contains(w.Rows[0], "customers.csv:3") || !strings.Contains(w.Rows[1], "customers.csv:6") {
		t.Fatalf("warnings %+v: want lines 3 and 6 as one kind", sum.Warnings)
	}
	if w := kind(warnTermsTwoWays); w == nil || w.Count != 1 || !strings.Contains(w.Rows[0], "customers.csv:5") {
		t.Errorf("warnings %+v: want line 5's end of month without \"after\" as its own kind", sum.Warnings)
	}
	if w := kind(warnTermsDiscount); w == nil || w.Count != 1 || !strings.Contains(w.Rows[0], "customers.csv:2") {
		t.Errorf("warnings %+v: want line 2's cash discount as its own kind", sum.Warnings)
	}
	l, err := st.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, cu := range l.Customers {
		if want := (cu.ID == "A" || cu.ID == "C"); (cu.Terms != datasets.Terms{}) != want {
			t.Errorf("customer %s terms %v: want blank unless read", cu.ID, cu.Terms)
		}
	}
	if v, _ := findInvoice(l, "I2"); v.DueDate.String() != "2024-02-01" {
		t.Errorf("I2 due %s, want 2024-02-01 (net 30 of the Skonto terms)", v.DueDate)
	}
}

// A credit decision whose old limit is blank was made over no recorded
// limit: it keeps the blank (as an approval of the workflow does), so a
// view of a day before it reads "not recorded", not a limit of 0.00 (no
// credit); each such row is warned of.
func TestADecisionsBlankOldLimitIsNoLimitRecorded(t *testing.T) {
	dir := t.TempDir()
	c := writeFile(t, dir, "customers.csv", "customer_id,name,credit_limit\nA,Acme,\nB,Beta,0.00\n")
	d := writeFile(t, dir, "credit_decisions.csv", "decision_id,customer_id,decision_date,old_limit,new_limit\nD1,A,2024-03-01,,20000.00\nD2,B,2024-03-01,0.00,5000.00\n")
	st := openStore(t)
	sum, err := Import(context.Background(), st, []string{c, d}, opts(t))
	if err != nil || sum.Rejected != 0 {
		t.Fatalf("%v, %d rejected", err, sum.Rejected)
	}
	warned := slices.ContainsFunc(sum.Warnings, func(w Warning) bool {
		return strings.HasPrefix(w.Reason, "old_limit is empty") && w.Count == 1 && strings.Contains(w.Rows[0], "credit_decisions.csv:2")
	})
	if !warned {
		t.Errorf("warnings %+v: want line 2's blank old limit", sum.Warnings)
	}
	l, err := st.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range l.CreditDecisions {
		if want := x.ID == "D1"; x.OldLimitBlank != want {
			t.Errorf("decision %s: old limit blank %v, want %v", x.ID, x.OldLimitBlank, want)
		}
	}
}
