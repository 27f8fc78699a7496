package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/features"
)

// features --customer with an id the ledger does not know says so: an
// error when none is known, a warning naming it beside the others' rows.
func TestFeaturesNamesUnknownCustomers(t *testing.T) {
	_, store := simulated(t)
	_, _, err := call(t, nil, "features", "--store", store, "--as-of", "2023-12-31", "--customer", "NOPE")
	if err == nil || !strings.Contains(err.Error(), "no customer NOPE known as of 2023-12-31") {
		t.Fatalf("an unknown customer alone: %v", err)
	}
	out, errOut, err := call(t, nil, "features", "--store", store, "--as-of", "2023-12-31", "--customer", "C000001", "--customer", "NOPE")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "\nC000001,") || !strings.Contains(errOut, "no customer NOPE known as of 2023-12-31: left out") {
		t.Fatalf("a known and an unknown customer: stdout %q, stderr %q", out, errOut)
	}
}

// The KPI text names the written-off settlements the days to pay leave out
// only when there are some: "0 of N written off, left out" says nothing.
func TestKPITextNamesWriteOffsOnlyWhenThereAreSome(t *testing.T) {
	for _, tc := range []struct {
		name       string
		writtenOff int
		want       string
		wantNot    string
	}{
		{"none written off", 0, "days to pay n/a (amount-weighted n/a)", "left out"},
		{"some written off", 2, "(amount-weighted n/a; 2 of 5 settled written off, left out)", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := &features.KPIReport{}
			rep.KPIs.InvoicesSettled = 5
			rep.KPIs.InvoicesWrittenOff = tc.writtenOff
			var b strings.Builder
			if err := printKPIs(&b, rep); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(b.String(), tc.want) || (tc.wantNot != "" && strings.Contains(b.String(), tc.wantNot)) {
				t.Fatalf("want %q without %q in\n%s", tc.want, tc.wantNot, b.String())
			}
		})
	}
}

// A countback DSO that ran out of months to count back is a lower bound,
// and the text says so; an ordinary one is printed as it is.
func TestKPITextMarksACappedCountback(t *testing.T) {
	for _, tc := range []struct {
		name   string
		capped bool
		want   string
	}{
		{"capped", true, "countback DSO ≥1096.0d (receivables exceed every month's sales counted back)"},
		{"not capped", false, "countback DSO 1096.0d   best-possible"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := &features.KPIReport{}
			v := 1096.0
			rep.KPIs.CountbackDSO, rep.KPIs.CountbackCapped = &v, tc.capped
			var b strings.Builder
			if err := printKPIs(&b, rep); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(b.String(), tc.want) {
				t.Fatalf("want %q in\n%s", tc.want, b.String())
			}
		})
	}
}

// A customer the importer derived from invoices is not listed at customer
// level before its first invoice: it did not exist yet, and its row would
// be all blanks. Asked for by id, it is named as not known then.
func TestFeaturesLeaveOutCustomersBeforeTheirFirstInvoice(t *testing.T) {
	dir := t.TempDir()
	inv := filepath.Join(dir, "invoices.csv")
	body := "invoice_id,customer_id,issue_date,due_date,amount,currency\n" +
		"I1,EARLY,2024-01-10,2024-02-09,100.00,EUR\n" +
		"I2,LATE,2024-03-10,2024-04-09,200.00,EUR\n"
	if err := os.WriteFile(inv, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	store := filepath.Join(dir, "store")
	if _, _, err := call(t, nil, "import", "--store", store, "--rejects", filepath.Join(dir, "r.csv"), inv); err != nil {
		t.Fatalf("import: %v", err)
	}
	for _, tc := range []struct {
		asOf       string
		want, gone []string
	}{
		{"2024-02-28", []string{"\nEARLY,"}, []string{"\nLATE,"}},
		{"2024-03-10", []string{"\nEARLY,", "\nLATE,"}, nil},
	} {
		out, _, err := call(t, nil, "features", "--store", store, "--as-of", tc.asOf)
		if err != nil {
			t.Fatalf("as of %s: %v", tc.asOf, err)
		}
		for _, w := range tc.want {
			if !strings.Contains(out, w) {
				t.Errorf("as of %s: no row %q in\n%s", tc.asOf, w, out)
			}
		}
		for _, g := range tc.gone {
			if strings.Contains(out, g) {
				t.Errorf("as of %s: row %q listed before its first invoice", tc.asOf, g)
			}
		}
	}
	_, _, err := call(t, nil, "features", "--store", store, "--as-of", "2024-02-28", "--customer", "LATE")
	if err == nil || !strings.Contains(err.Error(), "no customer LATE known as of 2024-02-28") {
		t.Errorf("asked for by id before its first invoice: %v", err)
	}
}

// The KPI text says what is on account and the net receivables only when
// something is; the group and month tables then get a net column.
func TestKPITextNamesUnappliedOnlyWhenThereIsSome(t *testing.T) {
	const line = "on account 400.00 (unapplied cash 100.00, credits 300.00, overpaid invoices 0.00) not netted in receivables; net receivables 1,100.00"
	for _, tc := range []struct {
		name                string
		cash, credits, over features.KPIMoney
		want, wantNot       []string
	}{
		{"trial example", 10000, 30000, 0, []string{line, "receivables  net receivables", "1,100.00"}, nil},
		{"none", 0, 0, 0, []string{"receivables 1,500.00"}, []string{"on account", "net receivables"}},
		{"credit balance", 200000, 0, 0, []string{"on account 2,000.00 (unapplied cash 2,000.00, credits 0.00, overpaid invoices 0.00) not netted in receivables; net receivables -500.00"}, nil},
		{"overpaid invoice only", 0, 0, 10000, []string{"on account 100.00 (unapplied cash 0.00, credits 0.00, overpaid invoices 100.00) not netted in receivables; net receivables 1,400.00", "receivables  net receivables"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			on := tc.cash + tc.credits + tc.over
			k := features.KPIs{From: "2024-03-01", To: "2024-03-31", Days: 31, Receivables: 150000,
				UnappliedCash: tc.cash, UnappliedCredits: tc.credits, Overpayments: tc.over, OnAccount: on, NetReceivables: 150000 - on}
			rep := &features.KPIReport{By: "customer", KPIs: k, Groups: []features.KPIGroup{{Key: "C1", KPIs: k}}}
			var b strings.Builder
			if err := printKPIs(&b, rep); err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("want %q in\n%s", w, b.String())
				}
			}
			for _, w := range tc.wantNot {
				if strings.Contains(b.String(), w) {
					t.Errorf("want no %q in\n%s", w, b.String())
				}
			}
		})
	}
}
