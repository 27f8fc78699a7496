package importer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
)

// A credit note's sign is a convention of the export: a file that writes
// them negative has them read as credits of their absolute amount,
// counted; a file of mixed signs rejects the rows of the sign fewer rows
// have (positive wins a tie), naming the line; a credit note of zero
// loads with a warning.
func TestCreditNoteSignIsTheFilesConvention(t *testing.T) {
	const head = "credit_note_id,customer_id,invoice_id,date,amount\n"
	cases := []struct {
		name, rows  string
		amounts     map[string]datasets.Money // of the credit notes stored
		negative    int
		rejected    []string // file:line of the rejects
		reason      string   // in every reject
		zeroWarning bool
	}{
		{name: "all negative", rows: "CN1,K1,I1,2025-10-10,-200.00\nCN2,K1,,2025-10-12,-300.00\n",
			amounts: map[string]datasets.Money{"CN1": 20000, "CN2": 30000}, negative: 2},
		{name: "SAP trailing minus", rows: "CN1,K1,I1,2025-10-10,200.00-\n",
			amounts: map[string]datasets.Money{"CN1": 20000}, negative: 1},
		{name: "all positive", rows: "CN1,K1,I1,2025-10-10,200.00\n",
			amounts: map[string]datasets.Money{"CN1": 20000}},
		{name: "mostly positive", rows: "CN1,K1,I1,2025-10-10,-200.00\nCN2,K1,,2025-10-12,300.00\nCN3,K1,,2025-10-13,1.00\n",
			amounts: map[string]datasets.Money{"CN2": 30000, "CN3": 100}, rejected: []string{"credit_notes.csv:2"},
			reason: "a negative credit note in a file whose credit notes are positive (2 positive, 1 negative)"},
		{name: "mostly negative", rows: "CN1,K1,I1,2025-10-10,-200.00\nCN2,K1,,2025-10-12,300.00\nCN3,K1,,2025-10-13,-1.00\n",
			amounts: map[string]datasets.Money{"CN1": 20000, "CN3": 100}, negative: 2, rejected: []string{"credit_notes.csv:3"},
			reason: "a positive credit note in a file that writes its credit notes negative (2 negative, 1 positive)"},
		{name: "a tie keeps the canonical sign", rows: "CN1,K1,I1,2025-10-10,-200.00\nCN2,K1,,2025-10-12,300.00\n",
			amounts: map[string]datasets.Money{"CN2": 30000}, rejected: []string{"credit_notes.csv:2"},
			reason: "a negative credit note"},
		{name: "zero", rows: "CN1,K1,I1,2025-10-10,-200.00\nCN2,K1,,2025-10-12,0.00\n",
			amounts: map[string]datasets.Money{"CN1": 20000, "CN2": 0}, negative: 1, zeroWarning: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			writeFile(t, dir, "customers.csv", "customer_id,name\nK1,K one\n")
			writeFile(t, dir, "invoices.csv", "customer_id,invoice_id,issue_date,due_date,amount\nK1,I1,2025-10-01,2025-10-31,1000.00\n")
			writeFile(t, dir, "credit_notes.csv", head+tc.rows)
			st := openStore(t)
			o := opts(t)
			var rejects []Reject
			sum, err := Import(ctx, st, []string{dir}, o)
			if err != nil {
				t.Fatal(err)
			}
			rejects = sum.FirstRejects
			l, err := st.Load(ctx)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]datasets.Money{}
			for _, c := range l.CreditNotes {
				got[c.ID] = c.Amount
			}
			if len(got) != len(tc.amounts) {
				t.Fatalf("stored %v, want %v", got, tc.amounts)
			}
			for id, a := range tc.amounts {
				if got[id] != a {
					t.Fatalf("stored %v, want %v", got, tc.amounts)
				}
			}
			if sum.NegativeCreditNotes != tc.negative {
				t.Fatalf("negative credit notes %d, want %d", sum.NegativeCreditNotes, tc.negative)
			}
			if (tc.negative > 0) != (len(sum.Notes) == 1 && sum.Notes[0].Count == tc.negative &&
				strings.Contains(sum.Notes[0].Reason, "credit notes written negative: read as credits of their absolute amount")) {
				t.Fatalf("notes %+v, want one of %d negative credit notes", sum.Notes, tc.negative)
			}
			if len(rejects) != len(tc.rejected) {
				t.Fatalf("rejects %v, want at %v", rejects, tc.rejected)
			}
			for i, r := range rejects {
				if !strings.HasSuffix(fmt.Sprintf("%s:%d", r.File, r.Line), tc.rejected[i]) || r.Field != "amount" || !strings.Contains(r.Reason, tc.reason) {
					t.Fatalf("reject %v, want %s amount: %s", r, tc.rejected[i], tc.reason)
				}
			}
			zero := false
			for _, w := range sum.Warnings {
				zero = zero || strings.Contains(w.Reason, "credit note of zero")
			}
			if zero != tc.zeroWarning {
				t.Fatalf("warnings %+v, zero warning want %v", sum.Warnings, tc.zeroWarning)
			}
		})
	}
}

// A blank due date is the issue date plus the payment terms, the row's
// own when the file maps payment_terms, else the customer master's (this
// import's customers file, else the store's), EOM terms included; each
// counted. Without terms the row is rejected as before, naming the field.
func TestABlankDueDateIsDerivedFromPaymentTerms(t *testing.T) {
	const custs = "customer_id,name,payment_terms\nK1,K one,Net 30\nK2,K two,EOM30\nK3,K three,\nK4,K four,Due on receipt\nK5,K five,NET0\n"
	cases := []struct {
		name      string
		stored    bool // the customers were imported before, not now
		invoices  string
		due       map[string]string // invoice id -> due date stored
		derived   int
		rejectsAt []string // line field
	}{
		{name: "from the customer master", invoices: "customer_id,invoice_id,issue_date,due_date,amount\n" +
			"K1,I1,2025-01-10,,10.00\nK2,I2,2025-01-10,,10.00\nK1,I3,2025-01-10,2025-01-20,10.00\n",
			due: map[string]string{"I1": "2025-02-09", "I2": "2025-03-02", "I3": "2025-01-20"}, derived: 2},
		// Written due on receipt in this import's master: the issue date.
		// The store keeps it as it keeps blank terms (K3), so a master
		// imported before cannot say it (below).
		{name: "due on receipt in the customer master", invoices: "customer_id,invoice_id,issue_date,due_date,amount\n" +
			"K4,I1,2025-01-10,,10.00\nK5,I2,2025-01-11,,10.00\nK3,I3,2025-01-10,,10.00\n",
			due: map[string]string{"I1": "2025-01-10", "I2": "2025-01-11"}, derived: 2, rejectsAt: []string{"4 due_date"}},
		{name: "due on receipt in the stored master", stored: true, invoices: "customer_id,invoice_id,issue_date,due_date,amount\n" +
			"K4,I1,2025-01-10,,10.00\n",
			due: map[string]string{}, rejectsAt: []string{"2 due_date"}},
		{name: "from the stored master", stored: true, invoices: "customer_id,invoice_id,issue_date,due_date,amount\n" +
			"K1,I1,2025-01-10,,10.00\nK2,I2,2025-01-10,,10.00\n",
			due: map[string]string{"I1": "2025-02-09", "I2": "2025-03-02"}, derived: 2},
		{name: "the row's terms first", invoices: "customer_id,invoice_id,issue_date,due_date,amount,payment_terms\n" +
			"K1,I1,2025-01-10,,10.00,Net 60\nK1,I2,2025-01-10,,10.00,\nK3,I3,2025-01-10,,10.00,NET15\n",
			due: map[string]string{"I1": "2025-03-11", "I2": "2025-02-09", "I3": "2025-01-25"}, derived: 3},
		{name: "no terms", invoices: "customer_id,invoice_id,issue_date,due_date,amount,payment_terms\n" +
			"K3,I1,2025-01-10,,10.00,\nK1,I2,2025-01-10,,10.00,soon\nK1,I3,,,10.00,\n",
			due: map[string]string{}, rejectsAt: []string{"2 due_date", "3 payment_terms", "4 issue_date", "4 due_date"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			st := openStore(t)
			cp := writeFile(t, t.TempDir(), "customers.csv", custs)
			paths := []string{writeFile(t, dir, "invoices.csv", tc.invoices)}
			if tc.stored {
				if _, err := Import(ctx, st, []string{cp}, opts(t)); err != nil {
					t.Fatal(err)
				}
			} else {
				paths = append(paths, cp)
			}
			sum, err := Import(ctx, st, paths, opts(t))
			if err != nil && len(tc.rejectsAt) == 0 {
				t.Fatal(err)
			}
			checkDueDates(t, st, tc.due)
			if sum.DerivedDueDates != tc.derived || (tc.derived > 0) != (len(sum.Notes) == 1 && sum.Notes[0].Count == tc.derived) {
				t.Fatalf("derived %d, notes %+v, want %d", sum.DerivedDueDates, sum.Notes, tc.derived)
			}
			var at []string
			for _, r := range sum.FirstRejects {
				at = append(at, fmt.Sprintf("%d %s", r.Line, r.Field))
				if r.Field == "due_date" && !strings.HasPrefix(r.Reason, "missing date") {
					t.Errorf("reject %v, want a missing date", r)
				}
			}
			if fmt.Sprint(at) != fmt.Sprint(tc.rejectsAt) {
				t.Fatalf("rejects at %v (%v), want %v", at, sum.FirstRejects, tc.rejectsAt)
			}
		})
	}
}

// A file without a due_date column reads as if every due date were blank
// when terms can give them (its payment_terms column, or the customer
// master), counted and noted; without either the file is refused, naming
// it and the field.
func TestNoDueDateColumnDerivesFromTerms(t *testing.T) {
	const custs = "customer_id,name,payment_terms\nK1,K one,Net 30\nK3,K three,\n"
	cases := []struct {
		name      string
		master    bool
		invoices  string
		due       map[string]string
		rejectsAt []string
		refused   string // in the file's error
	}{
		{name: "the row's terms", invoices: "customer_id,invoice_id,issue_date,amount,Terms\nK1,I1,2025-01-10,10.00,Net 30\nK2,I2,2025-01-31,10.00,EOM30\n",
			due: map[string]string{"I1": "2025-02-09", "I2": "2025-03-02"}},
		{name: "the master's terms", master: true, invoices: "customer_id,invoice_id,issue_date,amount\nK1,I1,2025-01-10,10.00\nK1,I2,2025-01-11,10.00\nK3,I3,2025-01-10,10.00\n",
			due: map[string]string{"I1": "2025-02-09", "I2": "2025-02-10"}, rejectsAt: []string{"4 due_date"}},
		{name: "no terms", invoices: "customer_id,invoice_id,issue_date,amount\nK1,I1,2025-01-10,10.00\n",
			due: map[string]string{}, refused: `invoices.csv has no due_date column (looked for the header "due_date") and no payment terms`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			st := openStore(t)
			dir := t.TempDir()
			paths := []string{writeFile(t, dir, "invoices.csv", tc.invoices)}
			if tc.master {
				paths = append(paths, writeFile(t, dir, "customers.csv", custs))
			}
			o := opts(t)
			o.Columns = map[string]string{"invoices.payment_terms": "Terms"}
			sum, err := Import(ctx, st, paths, o)
			if tc.refused != "" {
				if !errors.Is(err, ErrFiles) || !strings.Contains(sum.Files[0].Error, tc.refused) {
					t.Fatalf("err %v, file %+v, want it refused: %s", err, sum.Files[0], tc.refused)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			checkDueDates(t, st, tc.due)
			if sum.DerivedDueDates != len(tc.due) || len(sum.Notes) != 1 || sum.Notes[0].Count != len(tc.due) ||
				!strings.Contains(sum.Notes[0].Reason, "the file having no due_date column") {
				t.Fatalf("derived %d, notes %+v, want %d", sum.DerivedDueDates, sum.Notes, len(tc.due))
			}
			var at []string
			for _, r := range sum.FirstRejects {
				at = append(at, fmt.Sprintf("%d %s", r.Line, r.Field))
			}
			if fmt.Sprint(at) != fmt.Sprint(tc.rejectsAt) {
				t.Fatalf("rejects %v, want at %v", sum.FirstRejects, tc.rejectsAt)
			}
		})
	}
}

// checkDueDates fails t unless the invoices of st have the due dates want
// (invoice id to date).
func checkDueDates(t *testing.T, st interface {
	Load(context.Context) (*datasets.Ledger, error)
}, want map[string]string) {
	t.Helper()
	l, err := st.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, v := range l.Invoices {
		got[v.ID] = v.DueDate.String()
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("due dates %v, want %v", got, want)
	}
}
