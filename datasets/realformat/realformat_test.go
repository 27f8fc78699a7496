package realformat

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/embedded"
	"github.com/dsopilot/dsopilot/datasets/importer"
)

// Every standard export is a small ledger of the size the issue asks for,
// mostly new customers where it says so, and reads back through the
// importer with the flags Export gives: every row loaded, every amount to
// the cent, every date.
func TestVariantsImportCleanly(t *testing.T) {
	ctx := context.Background()
	for _, v := range Variants() {
		t.Run(v.Name, func(t *testing.T) {
			dir := t.TempDir()
			e, err := v.Write(ctx, filepath.Join(dir, "export"))
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: %d invoices, %d customers, %d with fewer than 3 invoices (%d with one)", v.Name, e.Invoices, e.Customers, e.ColdStart, e.OneInvoice)
			if e.Invoices < 1500 || e.Invoices > 5000 || e.Customers < 50 || e.Customers > 200 {
				t.Errorf("%d invoices from %d customers, want 1,500-5,000 from 50-200", e.Invoices, e.Customers)
			}
			if v.Occasional > 0 && float64(e.ColdStart) < 0.7*float64(e.Customers) {
				t.Errorf("%d of %d customers have fewer than 3 invoices, want most", e.ColdStart, e.Customers)
			}
			st, err := embedded.Open(ctx, filepath.Join(dir, "store"), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			sum, err := importer.Import(ctx, st, []string{e.Path}, importer.Options{Kind: datasets.EntityInvoices, Columns: e.Columns,
				DateFormat: e.DateFormat, DecimalComma: e.DecimalComma, RejectsPath: filepath.Join(dir, "rejects.csv")})
			if err != nil {
				t.Fatal(err)
			}
			if sum.Loaded != e.Invoices || sum.Rejected != 0 {
				t.Fatalf("imported %d of %d rows, %d rejected", sum.Loaded, e.Invoices, sum.Rejected)
			}
			l, err := st.Load(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(l.Customers) != e.Customers {
				t.Errorf("%d customers derived, want %d", len(l.Customers), e.Customers)
			}
			again, err := v.Write(ctx, filepath.Join(dir, "again"))
			if err != nil {
				t.Fatal(err)
			}
			a, _ := os.ReadFile(e.Path)
			b, _ := os.ReadFile(again.Path)
			if !bytes.Equal(a, b) {
				t.Error("the same variant wrote different bytes")
			}
		})
	}
}

func TestFormatAmount(t *testing.T) {
	for _, c := range []struct {
		m            datasets.Money
		comma, group bool
		want         string
	}{
		{123456789, true, true, "1.234.567,89"}, {123456789, false, true, "1,234,567.89"}, {123456789, false, false, "1234567.89"},
		{-5, true, false, "-0,05"}, {100000, true, true, "1.000,00"}, {99999, false, true, "999.99"},
	} {
		if got := formatAmount(c.m, c.comma, c.group); got != c.want {
			t.Errorf("formatAmount(%d, %v, %v) = %q, want %q", c.m, c.comma, c.group, got, c.want)
		}
	}
}
