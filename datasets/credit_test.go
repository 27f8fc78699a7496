package datasets

import "testing"

func TestCreditLimitAt(t *testing.T) {
	d := NewDate
	blank := &Customer{ID: "C", CreditLimit: 0, CreditLimitBlank: true}
	ds := []CreditDecision{
		{ID: "B", CustomerID: "C", Date: d(2024, 5, 1), OldLimit: 20_000_00, NewLimit: 30_000_00},
		{ID: "A", CustomerID: "C", Date: d(2024, 3, 1), OldLimit: 0, NewLimit: 20_000_00, OldLimitBlank: true},
		{ID: "Z", CustomerID: "X", Date: d(2024, 1, 1), NewLimit: 1},
		{ID: "C2", CustomerID: "C", Date: d(2024, 5, 1), OldLimit: 30_000_00, NewLimit: 35_000_00},
	}
	for _, c := range []struct {
		name  string
		c     *Customer
		ds    []CreditDecision
		t     Date
		limit Money
		blank bool
	}{
		{"before the first decision: its old limit, blank", blank, ds, d(2024, 2, 28), 0, true},
		{"on the first decision's day", blank, ds, d(2024, 3, 1), 20_000_00, false},
		{"two decisions on a day: the later id", blank, ds, d(2024, 5, 1), 35_000_00, false},
		{"no decisions: the master's", &Customer{ID: "C", CreditLimit: 5_00}, nil, d(2024, 1, 1), 5_00, false},
		{"no decisions, blank master", blank, ds[2:3], d(2024, 1, 1), 0, true},
	} {
		limit, b := CreditLimitAt(c.c, c.ds, c.t)
		if limit != c.limit || b != c.blank {
			t.Errorf("%s: %s blank %v, want %s blank %v", c.name, limit, b, c.limit, c.blank)
		}
	}
}
