package datasets

import (
	"math"
	"reflect"
	"slices"
	"testing"
)

// TestSchemasAreConsistent checks every entity's description: unique
// column names (in files and in the stores), the id first in store order,
// required columns among the columns, and allowed values only on text.
func TestSchemasAreConsistent(t *testing.T) {
	for _, e := range Entities() {
		d := Describe(e)
		if d == nil || d.Entity() != e {
			t.Fatalf("Describe(%s) = %v", e, d)
		}
		names, stored := map[string]bool{}, map[string]bool{}
		for _, c := range d.Columns() {
			if names[c.Name] || stored[c.StoreName()] {
				t.Errorf("%s: column %s twice", e, c.Name)
			}
			names[c.Name], stored[c.StoreName()] = true, true
			if len(c.Values) > 0 && c.Kind != KindText {
				t.Errorf("%s.%s: allowed values on a %v field", e, c.Name, c.Kind)
			}
		}
		if !names[d.IDColumn()] || !names["customer_id"] {
			t.Errorf("%s: id %s or customer_id missing", e, d.IDColumn())
		}
		for _, r := range e.Required() {
			if !names[r] {
				t.Errorf("%s: required %s is no column", e, r)
			}
		}
	}
	if Describe("bananas") != nil {
		t.Error("Describe of an unknown entity is not nil")
	}
}

func TestStoreOrderPutsTheIDFirst(t *testing.T) {
	s := InvoicesSchema()
	var got []string
	for _, f := range s.StoreOrder() {
		got = append(got, f.Name)
	}
	want := append([]string{"invoice_id", "customer_id"}, EntityInvoices.Columns()[2:]...)
	if !slices.Equal(got, want) {
		t.Fatalf("store order %v, want %v", got, want)
	}
}

func TestRecordFormatsEveryKind(t *testing.T) {
	a := Action{ID: "A1", CustomerID: "C1", Date: NewDate(2024, 2, 5), Type: "call", Policy: "holdout", Propensity: 0.125}
	if got, want := a.Record(), []string{"A1", "C1", "", "2024-02-05", "call", "", "", "holdout", "0.125"}; !slices.Equal(got, want) {
		t.Errorf("action record %q, want %q", got, want)
	}
	a.Propensity = 0
	if got := a.Record()[8]; got != "" {
		t.Errorf("unknown propensity written as %q, want empty", got)
	}
	f := Financial{ID: "F1", CustomerID: "C1", Date: NewDate(2024, 1, 15), TangibleNetWorth: -150, Turnover: 100_000, Rating: "BB+", HasScore: true}
	if got, want := f.Record(), []string{"F1", "C1", "2024-01-15", "-1.50", "1000.00", "BB+", "0", ""}; !slices.Equal(got, want) {
		t.Errorf("financial record %q, want %q (a known score of 0 is written)", got, want)
	}
	f.HasScore = false
	if got := f.Record()[6]; got != "" {
		t.Errorf("unknown score written as %q, want empty", got)
	}
	c := Customer{ID: "C1", Terms: Terms{Days: 45, EOM: true}, CreditLimit: 5, Collector: "ann"}
	if got, want := c.Record(), []string{"C1", "", "", "", "", "0.05", "EOM45", "", "", "ann", "false"}; !slices.Equal(got, want) {
		t.Errorf("customer record %q, want %q", got, want)
	}
	// A blank limit is written as 0.00 with its flag: read back, it is
	// blank again, not a limit of 0 (no credit).
	c = Customer{ID: "C2", CreditLimitBlank: true}
	if got, want := c.Record(), []string{"C2", "", "", "", "", "0.00", "NET0", "", "", "", "true"}; !slices.Equal(got, want) {
		t.Errorf("customer record %q, want %q", got, want)
	}
}

func TestCheckAndComplete(t *testing.T) {
	problems := func(check func(func(Problem))) []Problem {
		var out []Problem
		check(func(p Problem) { out = append(out, p) })
		return out
	}
	n := CreditNote{ID: "N1", CustomerID: "C1", Date: NewDate(2024, 1, 1)}
	CreditNotesSchema().Complete(&n)
	if n.Kind != KindCreditNote {
		t.Errorf("empty kind completed to %q, want %q", n.Kind, KindCreditNote)
	}
	n.Kind = "refund"
	if got := problems(func(bad func(Problem)) { CreditNotesSchema().Check(&n, bad) }); len(got) != 1 || got[0].Field != "kind" {
		t.Errorf("kind refund: problems %+v", got)
	}
	v := Invoice{ID: "I1", IssueDate: NewDate(2024, 2, 1), DueDate: NewDate(2024, 1, 1), Amount: -1}
	got := problems(func(bad func(Problem)) { InvoicesSchema().Check(&v, bad) })
	var fields []string
	for _, p := range got {
		fields = append(fields, p.Field)
	}
	if want := []string{"customer_id", "due_date", "amount"}; !reflect.DeepEqual(fields, want) {
		t.Errorf("invoice problems on %v, want %v: %+v", fields, want, got)
	}
	a := Action{ID: "A1", CustomerID: "C1", Type: "call", Propensity: 1.5}
	if got := problems(func(bad func(Problem)) { ActionsSchema().Check(&a, bad) }); len(got) != 1 || got[0].Field != "propensity" {
		t.Errorf("propensity 1.5: problems %+v", got)
	}
	f := Financial{CustomerID: "C1", Date: NewDate(2024, 1, 15), Source: "dnb", Score: math.Inf(1), HasScore: true}
	FinancialsSchema().Complete(&f)
	if f.ID != "C1|2024-01-15|dnb" {
		t.Errorf("derived financial id %q", f.ID)
	}
	if got := problems(func(bad func(Problem)) { FinancialsSchema().Check(&f, bad) }); len(got) != 1 || got[0].Field != "score" {
		t.Errorf("infinite score: problems %+v", got)
	}
	p := Payment{ID: "P1", CustomerID: "C1", Amount: -5}
	if got := problems(func(w func(Problem)) { PaymentsSchema().Warn(&p, w) }); len(got) != 1 || got[0].Field != "amount" {
		t.Errorf("negative payment: warnings %+v", got)
	}
	// A currency is empty (its customer's) or three letters.
	for _, c := range []struct {
		code string
		ok   bool
	}{{"", true}, {"EUR", true}, {"XYZ", false}, {"XEU", false}, {"HRK", true}, {"CHF", true}, {"DEM", true}, {"EURO", false}, {"€", false}, {"E1R", false}, {"eu", false}} {
		for _, check := range []func(bad func(Problem)){
			func(bad func(Problem)) {
				InvoicesSchema().Check(&Invoice{ID: "I", CustomerID: "C", Currency: c.code}, bad)
			},
			func(bad func(Problem)) {
				PaymentsSchema().Check(&Payment{ID: "P", CustomerID: "C", Currency: c.code}, bad)
			},
			func(bad func(Problem)) { CustomersSchema().Check(&Customer{ID: "C", Currency: c.code}, bad) },
		} {
			got := problems(check)
			if c.ok != (len(got) == 0) || !c.ok && (got[0].Field != "currency" || got[0].Value != c.code) {
				t.Errorf("currency %q: problems %+v, want ok=%v", c.code, got, c.ok)
			}
		}
	}
}
