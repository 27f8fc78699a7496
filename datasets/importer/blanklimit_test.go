package importer

import (
	"context"
	"testing"
)

// A blank credit limit is stored as no limit recorded, apart from a
// written 0.00 (no credit): the flag survives the store. (Both were stored
// as 0.00 and read as no credit.)
func TestABlankCreditLimitIsKeptApartFromZero(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name, body string
		blank      map[string]bool
	}{
		{"blank and written", "customer_id,credit_limit\nC1,5000.00\nC2,\nC3,0.00\n", map[string]bool{"C1": false, "C2": true, "C3": false}},
		{"no column", "customer_id,name\nC1,Alpha\n", map[string]bool{"C1": false}},
	} {
		t.Run(c.name, func(t *testing.T) {
			st := openStore(t)
			p := writeFile(t, t.TempDir(), "customers.csv", c.body)
			if _, err := Import(ctx, st, []string{p}, opts(t)); err != nil {
				t.Fatal(err)
			}
			l, err := st.Load(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(l.Customers) != len(c.blank) {
				t.Fatalf("%d customers stored, want %d", len(l.Customers), len(c.blank))
			}
			for _, cu := range l.Customers {
				if cu.CreditLimitBlank != c.blank[cu.ID] {
					t.Errorf("customer %s: credit_limit_blank %v (limit %s), want %v", cu.ID, cu.CreditLimitBlank, cu.CreditLimit, c.blank[cu.ID])
				}
			}
		})
	}
}

// A file dsopilot wrote keeps a blank limit blank when imported again, and
// one that says a limit is blank and gives it an amount is refused.
func TestTheBlankLimitFlagIsReadBack(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	p := writeFile(t, t.TempDir(), "customers.csv", "customer_id,credit_limit,credit_limit_blank\nC1,0.00,true\nC2,0.00,false\nC3,100.00,true\n")
	sum, err := Import(ctx, st, []string{p}, opts(t))
	if err != nil {
		t.Fatal(err)
	}
	l, err := st.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, cu := range l.Customers {
		got[cu.ID] = cu.CreditLimitBlank
	}
	if len(got) != 2 || !got["C1"] || got["C2"] {
		t.Fatalf("stored %v, want C1 blank and C2 not (C3 refused); summary %+v", got, sum)
	}
}
