package features

import (
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
)

// A customer drifting toward default leaves invoices open past due: the
// open book shows it at once (overdue_share, overdue_days_weighted), while
// the settled history still shows its old self. What is paid after t does
// not change the features at t.
func TestOpenBookFeaturesByHand(t *testing.T) {
	d := datasets.NewDate
	at := d(2024, 6, 30)
	l := &datasets.Ledger{
		Customers: []datasets.Customer{{ID: "C1"}, {ID: "C2"}},
		Invoices: []datasets.Invoice{
			// paid on time long ago
			{ID: "A", CustomerID: "C1", IssueDate: d(2024, 1, 1), DueDate: d(2024, 1, 31), Amount: 10_000, SettledDate: d(2024, 1, 30)},
			// open, 60 days overdue at t: 400 of 1,000 still owed
			{ID: "B", CustomerID: "C1", IssueDate: d(2024, 4, 1), DueDate: d(2024, 5, 1), Amount: 100_000},
			// open, 10 days overdue at t
			{ID: "C", CustomerID: "C1", IssueDate: d(2024, 5, 21), DueDate: d(2024, 6, 20), Amount: 20_000},
			// open, not yet due
			{ID: "D", CustomerID: "C1", IssueDate: d(2024, 6, 20), DueDate: d(2024, 7, 20), Amount: 40_000, SettledDate: d(2024, 7, 2)},
			// C2 owes nothing at t
			{ID: "E", CustomerID: "C2", IssueDate: d(2024, 6, 1), DueDate: d(2024, 7, 1), Amount: 5_000, SettledDate: d(2024, 6, 2)},
		},
		Payments: []datasets.Payment{
			{ID: "pA", CustomerID: "C1", InvoiceID: "A", Date: d(2024, 1, 30), Amount: 10_000},
			{ID: "pB", CustomerID: "C1", InvoiceID: "B", Date: d(2024, 6, 1), Amount: 60_000},
			{ID: "pE", CustomerID: "C2", InvoiceID: "E", Date: d(2024, 6, 2), Amount: 5_000},
			// after t: changes nothing at t
			{ID: "pB2", CustomerID: "C1", InvoiceID: "B", Date: d(2024, 7, 1), Amount: 40_000},
			{ID: "pD", CustomerID: "C1", InvoiceID: "D", Date: d(2024, 7, 2), Amount: 40_000},
		},
	}
	tab := NewEngine(NewIndex(l), Options{}).Customers(at)
	// open: B 400 (60 days), C 200 (10 days), D 400 (0 days) = 1,000
	for name, want := range map[string]float64{
		"open_amount": 1000, "overdue_amount": 600, "overdue_share": 0.6,
		"overdue_days_weighted": (40_000*60 + 20_000*10) / 100_000.0, "oldest_overdue_days": 60,
	} {
		if got := value(t, tab, "C1", name); !sameFloat(got, want) {
			t.Errorf("C1: %s = %v, want %v", name, got, want)
		}
	}
	for _, name := range []string{"overdue_share", "overdue_days_weighted"} {
		if got := value(t, tab, "C2", name); !sameFloat(got, nan()) {
			t.Errorf("C2 owes nothing: %s = %v, want missing", name, got)
		}
	}
	// Point in time: the ledger cut at t gives the same features.
	cut := *l
	cut.Payments = cut.Payments[:3]
	cut.Invoices = append([]datasets.Invoice(nil), l.Invoices...)
	cut.Invoices[3].SettledDate = 0
	assertSameTables(t, NewEngine(NewIndex(&cut), Options{}).Customers(at), nil, tab)
}

// The compact set models read by the flag (Spec.Core) holds the open-book
// features, on both levels.
func TestCoreSetHoldsTheOpenBook(t *testing.T) {
	for _, specs := range [][]Spec{CustomerSpecs(Options{}), InvoiceSpecs(Options{})} {
		core := map[string]bool{}
		for _, s := range specs {
			if s.Core {
				if s.Kind != Numeric {
					t.Errorf("%s: a categorical feature in the compact set", s.Name)
				}
				core[s.Name] = true
			}
		}
		for _, n := range []string{"overdue_amount", "oldest_overdue_days", "overdue_share", "overdue_days_weighted", "late_ratio_90d", "late_ratio_365d", "promise_kept_rate_365d"} {
			if !core[n] {
				t.Errorf("%s is not in the compact set", n)
			}
		}
		if core["promise_kept_rate_90d"] || core["write_off_rate_365d"] {
			t.Errorf("compact set %v holds more than it should", core)
		}
	}
}
