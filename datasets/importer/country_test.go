package importer

import (
	"context"
	"strings"
	"testing"
)

// A country written as a name or an alpha-3 code is stored as its ISO
// code and each such row warned of; a text that is no code is kept,
// upper-cased, with its own warning. Nothing is rejected for it.
func TestCountryNamesAreReadAsCodes(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	dir := t.TempDir()
	p := writeFile(t, dir, "customers.csv", "customer_id,name,country\nK1,a,United States\nK2,b,USA\nK3,c,de\nK4,d,Atlantis\nK5,e,\n")
	sum, err := Import(ctx, st, []string{p}, opts(t))
	if err != nil {
		t.Fatal(err)
	}
	l, err := st.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"K1": "US", "K2": "US", "K3": "DE", "K4": "ATLANTIS", "K5": ""}
	for _, c := range l.Customers {
		if c.Country != want[c.ID] {
			t.Errorf("%s: country %q, want %q", c.ID, c.Country, want[c.ID])
		}
	}
	if len(l.Customers) != len(want) {
		t.Fatalf("%d customers stored, want %d", len(l.Customers), len(want))
	}
	counts := map[string]int{}
	for _, w := range sum.Warnings {
		counts[w.Reason] = w.Count
	}
	if counts[warnCountryRead] != 2 || counts[warnCountryNotCode] != 1 {
		t.Fatalf("warnings %+v, want 2 read as codes and 1 not a code", sum.Warnings)
	}
	for _, w := range sum.Warnings {
		if w.Reason == warnCountryNotCode && !strings.Contains(strings.Join(w.Rows, " "), "customers.csv:5") {
			t.Errorf("the warning of Atlantis names rows %v, want line 5", w.Rows)
		}
	}
}
