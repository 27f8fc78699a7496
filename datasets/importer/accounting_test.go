package importer

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
)

func TestAccountingAmount(t *testing.T) {
	for _, tc := range []struct {
		in, body, sign string
		err            error
	}{
		{"1234.50", "1234.50", "", nil},
		{"12.50-", "12.50-", "", nil},
		{"(361.95)", "-361.95", "", nil},
		{"($361.95)", "-361.95", "$", nil},
		{"$2,278.48", "2,278.48", "$", nil},
		{"-$12.00", "-12.00", "$", nil},
		{"$-12.00", "-12.00", "$", nil},
		{"US$ 5", "5", "US$", nil},
		{"CA$1,234.50", "1,234.50", "CA$", nil}, // en-US NetSuite's CAD
		{"(CA$12.00)", "-12.00", "CA$", nil},
		{"AU$ 7", "7", "AU$", nil},
		{"R$ 1.234,56", "1.234,56", "R$", nil},
		{"CN¥88", "88", "CN¥", nil},
		{"€ 12,50", "12,50", "€", nil},
		{"1.234,56 €", "1.234,56", "€", nil},
		{"£1,000", "1,000", "£", nil},
		{"EUR 12,50", "12,50", "EUR", nil},
		{"12.50 GBP", "12.50", "GBP", nil},
		{"(EUR 7)", "-7", "EUR", nil},
		{"(-12.00)", "(-12.00)", "", errSignInParentheses},
		{"TBD", "TBD", "", nil},       // left to the amount parser, which refuses it
		{"12 Eur", "12 Eur", "", nil}, // not a code: refused by the amount parser
		{"ABC123", "ABC123", "", nil}, // three capitals are no currency: refused likewise
		{"XYZ 5", "XYZ 5", "", nil},
	} {
		body, sign, err := accountingAmount(tc.in)
		if body != tc.body || sign != tc.sign || !errors.Is(err, tc.err) {
			t.Errorf("accountingAmount(%q) = %q, %q, %v; want %q, %q, %v", tc.in, body, sign, err, tc.body, tc.sign, tc.err)
		}
	}
}

// A QuickBooks-style export: dollar signs, thousands separators and credit
// memos in parentheses are read; an amount written in another currency
// than its row's is refused, naming the file, line and field.
func TestAccountingExportImports(t *testing.T) {
	ctx := context.Background()
	p := writeFile(t, t.TempDir(), "invoices.csv", "Type,customer_id,invoice_id,issue_date,due_date,amount,currency\n"+
		"Invoice,K1,I1,01/05/2024,02/04/2024,\"$2,278.48\",USD\n"+
		"Credit Memo,K1,CM1,01/09/2024,01/09/2024,($361.95),USD\n"+
		"Invoice,K2,I2,01/06/2024,02/05/2024,\"£1,000.00\",GBP\n"+
		"Invoice,K2,I3,01/06/2024,02/05/2024,£12.00,USD\n"+
		"Invoice,K2,I4,01/06/2024,02/05/2024,(-3.00),GBP\n")
	st := openStore(t)
	o := opts(t)
	o.DateFormat = "%m/%d/%Y"
	o.Columns = map[string]string{}
	if err := ParseColumns(o.Columns, "invoices.type=Type"); err != nil {
		t.Fatal(err)
	}
	sum, err := Import(ctx, st, []string{p}, o)
	if err != nil && !errors.Is(err, ErrRejected) {
		t.Fatal(err)
	}
	l, err := st.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	amounts := map[string]datasets.Money{}
	for _, v := range l.Invoices {
		amounts[v.ID] = v.Amount
	}
	for _, c := range l.CreditNotes {
		amounts[c.ID] = -c.Amount
	}
	want := map[string]datasets.Money{"I1": 227848, "CM1": -36195, "I2": 100000}
	if len(amounts) != len(want) {
		t.Fatalf("stored %v, want %v", amounts, want)
	}
	for id, m := range want {
		if amounts[id] != m {
			t.Errorf("%s stored %s, want %s", id, amounts[id], m)
		}
	}
	if sum.Rejected != 2 {
		t.Fatalf("rejected %d, want 2 (I3 in pounds on a dollar row, I4 signed twice)", sum.Rejected)
	}
	rj, err := os.ReadFile(o.RejectsPath)
	if err != nil {
		t.Fatal(err)
	}
	rejects := string(rj)
	for _, w := range []string{",5,", "amount", "written in £, but the row's currency is USD", ",6,", "a sign inside parentheses"} {
		if !strings.Contains(rejects, w) {
			t.Errorf("rejects %q lack %q", rejects, w)
		}
	}
}

func TestEntityFromName(t *testing.T) {
	for _, tc := range []struct {
		name string
		want datasets.Entity
	}{
		{"invoices.csv", datasets.EntityInvoices},
		{"Invoices_2024.CSV", datasets.EntityInvoices},
		{"invoicesfoo.csv", ""},
		{"AR_Invoices.csv", datasets.EntityInvoices},
		{"2024-payments.csv", datasets.EntityPayments},
		{"sap_credit_notes_q1.csv", datasets.EntityCreditNotes},
		{"customer_invoices.csv", datasets.EntityInvoices}, // "customer" is no entity
		{"invoices_and_payments.csv", datasets.EntityInvoices},
		{"open_invoices_and_payments.csv", ""}, // names two
		{"fx_rates.csv", ""},
		{"myinvoices.csv", ""},
	} {
		if got := entityFromName("/x/" + tc.name); got != tc.want {
			t.Errorf("entityFromName(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
}

// A directory's file naming an entity further on is read only when no
// file is named after that entity: a simulator's truth_customers.csv
// beside customers.csv is skipped, an ERP's AR_Invoices.csv beside
// customers.csv is read.
func TestDirectoryReadsFilesNamingAnEntityOnlyWhereNoneStartsWithIt(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"customers.csv", "truth_customers.csv", "AR_Invoices.csv", "notes.txt"} {
		writeFile(t, dir, n, "x\n")
	}
	in, skipped, err := expand([]string{dir}, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range in {
		got = append(got, filepath.Base(f.path)+"="+string(f.entity))
	}
	var skip []string
	for _, f := range skipped {
		skip = append(skip, filepath.Base(f))
	}
	slices.Sort(skip)
	if want := []string{"customers.csv=customers", "AR_Invoices.csv=invoices"}; !slices.Equal(got, want) {
		t.Errorf("read %q, want %q", got, want)
	}
	if want := []string{"notes.txt", "truth_customers.csv"}; !slices.Equal(skip, want) {
		t.Errorf("skipped %q, want %q", skip, want)
	}
}

// A currency written on a row that names none (a credit note) cannot be
// checked: the amount is read as written and the row warned of.
func TestCurrencySignOnARowWithoutCurrencyIsWarned(t *testing.T) {
	ctx := context.Background()
	p := writeFile(t, t.TempDir(), "credit_notes.csv", "credit_note_id,customer_id,date,amount\nN1,K1,2024-01-09,£12.00\nN2,K1,2024-01-09,5.00\n")
	st := openStore(t)
	sum, err := Import(ctx, st, []string{p}, opts(t))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Loaded != 2 {
		t.Fatalf("loaded %d, want 2", sum.Loaded)
	}
	warned := slices.ContainsFunc(sum.Warnings, func(w Warning) bool {
		return w.Reason == warnSignUnchecked && w.Count == 1 && slices.ContainsFunc(w.Rows, func(r string) bool { return strings.Contains(r, "credit_notes.csv:2") })
	})
	if !warned {
		t.Fatalf("warnings %+v: want line 2's unchecked currency", sum.Warnings)
	}
}
