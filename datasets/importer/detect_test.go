package importer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
)

// An invoice export whose due date was left unmapped must not load as a
// customer master of its customer ids (customer_id is all a customers file
// needs): the file fails, named, with the field it lacks.
func TestInvoiceExportWithoutDueDateIsNotACustomerMaster(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("Kunde;Belegnummer;Belegdatum;Nettofälligkeit;Betrag in HW\n")
	for i := range 40 {
		fmt.Fprintf(&b, "%d;%d;05.01.2024;04.02.2024;1.234,56\n", 4700+i%3, 90000+i)
	}
	p := writeFile(t, dir, "OP-Liste.csv", b.String())
	o := opts(t)
	o.DateFormat = "%d.%m.%Y"
	o.Columns = map[string]string{"customer_id": "Kunde", "invoice_id": "Belegnummer", "issue_date": "Belegdatum", "amount": "Betrag in HW"}
	st := openStore(t)
	sum, err := Import(ctx, st, []string{p}, o)
	if !errors.Is(err, ErrFiles) {
		t.Fatalf("err = %v, want ErrFiles", err)
	}
	for _, want := range []string{"OP-Liste.csv", "looks like invoices", "lacks due_date", "--columns due_date=<header>"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if c, _ := st.Counts(ctx); c != (datasets.Counts{}) || sum.Loaded != 0 || !sum.Files[0].Failed || sum.Files[0].Entity != datasets.EntityInvoices {
		t.Fatalf("store %+v, summary %+v; want nothing loaded and the file failed as invoices", c, sum)
	}
	// Mapped, it loads.
	o.Columns["due_date"] = "Nettofälligkeit"
	if sum, err = Import(ctx, st, []string{p}, o); err != nil || sum.Loaded != 40 || sum.DerivedCustomers != 3 {
		t.Fatalf("mapped: %v, %+v", err, sum)
	}
}

// Every entity's own header is read as that entity, not as a look-alike.
func TestEveryCanonicalHeaderIsNoLookalike(t *testing.T) {
	for _, e := range datasets.Entities() {
		pos := map[string]int{}
		for i, c := range e.Columns() {
			pos[c] = i
		}
		if got := detectEntity(pos); got != e {
			t.Errorf("%s: detected as %q", e, got)
			continue
		}
		if like, has, lacks := lookalike(pos, e); like != "" {
			t.Errorf("%s: looks like %s (has %v, lacks %v)", e, like, has, lacks)
		}
		req := map[string]int{}
		for i, c := range e.Required() {
			req[c] = i
		}
		if like, has, lacks := lookalike(req, e); like != "" {
			t.Errorf("%s, required columns only: looks like %s (has %v, lacks %v)", e, like, has, lacks)
		}
	}
}

// A file of which most rows repeat an id of the file is not one row per
// record (here the customer column was mapped as the invoice id): it does
// not import silently. Ids repeated from an earlier file of the import (a
// newer export of the same open items) are no sign of that.
func TestMostlyDuplicateIdsFailTheFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("customer_id,invoice_id,issue_date,due_date,amount\n")
	for i := range 10 {
		c := fmt.Sprintf("C%d", i%2)
		fmt.Fprintf(&b, "%s,%s,2024-01-%02d,2024-02-%02d,10.00\n", c, c, i+1, i+1)
	}
	p := writeFile(t, dir, "invoices.csv", b.String())
	sum, err := Import(ctx, openStore(t), []string{p}, opts(t))
	if !errors.Is(err, ErrDuplicates) || !sum.Files[0].Failed || sum.Duplicates != 8 ||
		!strings.Contains(sum.Files[0].Diagnosis, "8 of 10 rows repeat the invoice_id of an earlier row of the file") {
		t.Fatalf("err = %v, file %+v; want ErrDuplicates and the file failed with the count", err, sum.Files)
	}
	if !strings.Contains(err.Error(), p) {
		t.Fatalf("err %q does not name the file", err)
	}

	jan := "customer_id,invoice_id,issue_date,due_date,amount\nC1,I1,2024-01-01,2024-02-01,10.00\nC1,I2,2024-01-02,2024-02-02,10.00\nC1,I3,2024-01-03,2024-02-03,10.00\n"
	feb := jan + "C1,I4,2024-02-01,2024-03-01,10.00\n"
	paths := []string{writeFile(t, dir, "invoices_jan.csv", jan), writeFile(t, dir, "invoices_feb.csv", feb)}
	sum, err = Import(ctx, openStore(t), paths, opts(t))
	if err != nil || sum.Duplicates != 3 || sum.Files[1].Failed {
		t.Fatalf("two monthly exports: %v, %+v; want them loaded, 3 duplicates", err, sum)
	}
}
