package importer

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
)

func TestParseColumnsRefusesAKeyMappedTwice(t *testing.T) {
	for _, c := range []struct {
		specs []string
		want  string // "" for no error
	}{
		{specs: []string{"amount=Total,customer_id=Account"}},
		{specs: []string{"amount=Total", "amount=Total"}}, // the same twice says one thing
		{specs: []string{"amount=Total,payments.amount=Amount Received"}},
		{specs: []string{"amount=Total,amount=Amount Received"}, want: `amount is mapped twice, to "Total" and to "Amount Received"`},
		{specs: []string{"amount=Total", "amount=Amount Received"}, want: `amount is mapped twice, to "Total" and to "Amount Received"`},
		{specs: []string{"payments.amount=A,payments.amount=B"}, want: `payments.amount is mapped twice, to "A" and to "B"`},
		{specs: []string{"amount"}, want: "want canonical=header"},
	} {
		m := map[string]string{}
		var err error
		for _, s := range c.specs {
			if err = ParseColumns(m, s); err != nil {
				break
			}
		}
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%v: %v", c.specs, err)
		case c.want != "" && (!errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%v: %v, want ErrUsage with %q", c.specs, err, c.want)
		}
	}
}

func TestColumnsPerEntity(t *testing.T) {
	for _, c := range []struct {
		cols map[string]string
		want string // in the error, "" for none
	}{
		{cols: map[string]string{"payments.amount": "Amount Received", "invoices.amount": "Total", "customer_id": "Account"}},
		// The entity's own mapping wins over the plain one.
		{cols: map[string]string{"payments.amount": "Amount Received", "amount": "Total", "customer_id": "Account"}},
		{cols: map[string]string{"payment.amount": "X"}, want: `"payment" is no entity`},
		{cols: map[string]string{"payments.due_date": "X"}, want: `payments has no column "due_date"`},
		// Only an invoice reads payment_terms (for a blank due date).
		{cols: map[string]string{"invoices.payment_terms": "Terms", "payments.amount": "Amount Received", "invoices.amount": "Total", "customer_id": "Account"}},
	} {
		dir := t.TempDir()
		writeFile(t, dir, "invoices.csv", "Account,invoice_id,issue_date,due_date,Total,Amount Received\nC1,I1,2024-01-05,2024-02-04,10.00,1.00\n")
		writeFile(t, dir, "payments.csv", "payment_id,Account,invoice_id,payment_date,Total,Amount Received\nP1,C1,I1,2024-02-01,99.00,10.00\n")
		st := openStore(t)
		o := opts(t)
		o.Columns = c.cols
		_, err := Import(context.Background(), st, []string{dir}, o)
		if c.want != "" {
			if !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%v: %v, want ErrUsage with %q", c.cols, err, c.want)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%v: %v", c.cols, err)
		}
		l, _ := st.Load(context.Background())
		if len(l.Invoices) != 1 || len(l.Payments) != 1 || l.Invoices[0].Amount != 1000 || l.Payments[0].Amount != 1000 {
			t.Errorf("%v: stored %+v and %+v, want both of 10.00", c.cols, l.Invoices, l.Payments)
		}
	}
}

// The most common reason counts the rows rejected for it whatever their
// values: the value quoted is said to be the first row's, not the count's.
func TestTheMostCommonReasonQuotesItsFirstRowAsSuch(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "invoices.csv", "customer_id,invoice_id,issue_date,due_date,amount\n"+
		"K1,I1,2024-03-05,2024-04-04,1.00\nK1,I2,2024-03-05,2024-04-04,2OO.00\nK1,I3,2024-03-05,2024-04-04,99.00 €uro\nK1,I4,2024-03-05,2024-04-04,x\n")
	sum, _ := Import(context.Background(), openStore(t), []string{p}, opts(t))
	want := `3 of 4 rows rejected; most common reason (3 rows, the first on line 3: amount "2OO.00"): not a plain decimal amount`
	if d := sum.Files[0].Diagnosis; !strings.HasPrefix(d, want) {
		t.Fatalf("diagnosis %q, want it to begin %q", d, want)
	}
}

func TestDateFormatsPerEntity(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "invoices.csv", "customer_id,invoice_id,issue_date,due_date,amount\nC1,I1,01/05/2024,02/04/2024,10.00\n")
	writeFile(t, dir, "payments.csv", "payment_id,customer_id,invoice_id,payment_date,amount\nP1,C1,I1,01-Feb-2024,10.00\n")
	st := openStore(t)
	o := opts(t)
	o.DateFormat, o.DateFormats = "%m/%d/%Y", map[datasets.Entity]string{datasets.EntityPayments: "%d-%b-%Y"}
	sum, err := Import(context.Background(), st, []string{dir}, o)
	if err != nil || sum.Loaded != 2 {
		t.Fatalf("%v, %+v", err, sum)
	}
	o.DateFormats = map[datasets.Entity]string{"payment": "%d-%b-%Y"}
	if _, err := Import(context.Background(), st, []string{dir}, o); !errors.Is(err, ErrUsage) {
		t.Fatalf("an unknown entity's format: %v, want ErrUsage", err)
	}
}
