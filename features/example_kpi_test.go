package features_test

import (
	"fmt"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
)

// January 2024: 100,000 invoiced, 40,000 still owed at the end of the
// month, so DSO = 40,000 / 100,000 × 31 days = 12.4 days.
func ExampleComputeKPIs() {
	jan := func(day int) datasets.Date { return datasets.NewDate(2024, 1, day) }
	ledger := &datasets.Ledger{
		Customers: []datasets.Customer{{ID: "C1", Segment: "enterprise"}},
		Invoices: []datasets.Invoice{
			{ID: "A", CustomerID: "C1", IssueDate: jan(5), DueDate: jan(5) + 30, Amount: 60_000_00, SettledDate: jan(20)},
			{ID: "B", CustomerID: "C1", IssueDate: jan(15), DueDate: jan(15) + 30, Amount: 40_000_00},
		},
		Payments: []datasets.Payment{{ID: "P1", CustomerID: "C1", InvoiceID: "A", Date: jan(20), Amount: 60_000_00}},
	}
	rep, err := features.ComputeKPIs(features.NewIndex(ledger), jan(1), jan(31), "", false)
	if err != nil {
		panic(err)
	}
	fmt.Printf("invoiced %v, receivables %v over %d days\n", rep.Invoiced, rep.Receivables, rep.Days)
	fmt.Printf("DSO %.1f days, best possible %.1f, CEI %.0f%%\n", *rep.DSO, *rep.BestPossibleDSO, *rep.CEI)
	fmt.Println("recovery rate defined:", rep.RecoveryRate != nil)
	// Output:
	// invoiced 100000.00, receivables 40000.00 over 31 days
	// DSO 12.4 days, best possible 12.4, CEI 100%
	// recovery rate defined: false
}
