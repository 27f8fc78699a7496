package features

import (
	"context"
	"os"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
)

// The customer's own 90+ history as of t: the invoices still owed
// something at the end of their 90-day mark (due_date + 90), settled since
// or not, counted from the mark on; an invoice whose mark is after t is
// not seen at t, however late it is going to be. The same in both engines.
func TestPast90FeaturesPointInTime(t *testing.T) {
	d := datasets.NewDate
	l := &datasets.Ledger{
		Customers: []datasets.Customer{{ID: "C1"}, {ID: "C2"}},
		Invoices: []datasets.Invoice{
			// paid 10 days late: never 90+
			{ID: "A", CustomerID: "C1", IssueDate: d(2024, 1, 1), DueDate: d(2024, 1, 31), Amount: 10_000, SettledDate: d(2024, 2, 10)},
			// mark 2024-04-30, paid 105 days late: 90+ from its mark
			{ID: "B", CustomerID: "C1", IssueDate: d(2024, 1, 1), DueDate: d(2024, 1, 31), Amount: 20_000, SettledDate: d(2024, 5, 15)},
			// mark 2024-04-30, paid on it (90 days late): not 90+
			{ID: "E", CustomerID: "C1", IssueDate: d(2024, 1, 1), DueDate: d(2024, 1, 31), Amount: 30_000, SettledDate: d(2024, 4, 30)},
			// mark 2024-05-30, half paid before it, still open: 90+
			{ID: "C", CustomerID: "C1", IssueDate: d(2024, 2, 1), DueDate: d(2024, 3, 1), Amount: 40_000},
			// mark 2024-05-30, credited in full on it, no settled date: not 90+
			{ID: "F", CustomerID: "C1", IssueDate: d(2024, 2, 1), DueDate: d(2024, 3, 1), Amount: 50_000},
			// mark 2024-08-13, open at 2024-06-30 and never paid: not seen
			// at 2024-06-30, 90+ from its mark
			{ID: "G", CustomerID: "C1", IssueDate: d(2024, 4, 15), DueDate: d(2024, 5, 15), Amount: 60_000},
			// C2: nothing matured by 2024-08-13
			{ID: "H", CustomerID: "C2", IssueDate: d(2024, 5, 1), DueDate: d(2024, 5, 31), Amount: 70_000},
		},
		Payments: []datasets.Payment{
			{ID: "pA", CustomerID: "C1", InvoiceID: "A", Date: d(2024, 2, 10), Amount: 10_000},
			{ID: "pB", CustomerID: "C1", InvoiceID: "B", Date: d(2024, 5, 15), Amount: 20_000},
			{ID: "pE", CustomerID: "C1", InvoiceID: "E", Date: d(2024, 4, 30), Amount: 30_000},
			{ID: "pC", CustomerID: "C1", InvoiceID: "C", Date: d(2024, 4, 1), Amount: 20_000},
		},
		CreditNotes: []datasets.CreditNote{
			{ID: "nF", CustomerID: "C1", InvoiceID: "F", Date: d(2024, 5, 30), Amount: 50_000, Kind: datasets.KindCreditNote},
		},
	}
	nan := nan()
	for _, c := range []struct {
		at                  datasets.Date
		count, rate, recent float64
	}{
		// no mark by t
		{d(2024, 4, 29), 0, nan, nan},
		// A, B, E matured; B still owed at its mark
		{d(2024, 4, 30), 1, 1.0 / 3, 0},
		// B's payment after its mark changes nothing
		{d(2024, 5, 29), 1, 1.0 / 3, 29},
		// + C (90+) and F (credited on its mark); G, open 46 days past
		// due, is not seen
		{d(2024, 6, 30), 2, 2.0 / 5, 31},
		// the day before G's mark
		{d(2024, 8, 12), 2, 2.0 / 5, 74},
		// G's mark
		{d(2024, 8, 13), 3, 3.0 / 6, 0},
	} {
		t.Run(c.at.String(), func(t *testing.T) {
			check := func(t *testing.T, tab *Table) {
				t.Helper()
				for name, want := range map[string]float64{"invoices_past_90": c.count, "past_90_rate": c.rate, "days_since_past_90": c.recent} {
					if got := value(t, tab, "C1", name); !sameFloat(got, want) {
						t.Errorf("C1: %s = %v, want %v", name, got, want)
					}
				}
				for name, want := range map[string]float64{"invoices_past_90": 0, "past_90_rate": nan, "days_since_past_90": nan} {
					if got := value(t, tab, "C2", name); !sameFloat(got, want) {
						t.Errorf("C2: %s = %v, want %v", name, got, want)
					}
				}
			}
			gold := NewEngine(NewIndex(l), Options{}).Customers(c.at)
			check(t, gold)
			// What happens after t changes nothing at t: G paid the day
			// after t (before its mark), C paid in full after t.
			later := *l
			later.Invoices = append([]datasets.Invoice(nil), l.Invoices...)
			later.Invoices[3].SettledDate, later.Invoices[5].SettledDate = c.at.AddDays(1), c.at.AddDays(1)
			later.Payments = append(append([]datasets.Payment(nil), l.Payments...),
				datasets.Payment{ID: "pC2", CustomerID: "C1", InvoiceID: "C", Date: c.at.AddDays(1), Amount: 20_000},
				datasets.Payment{ID: "pG", CustomerID: "C1", InvoiceID: "G", Date: c.at.AddDays(1), Amount: 60_000})
			assertSameTables(t, NewEngine(NewIndex(&later), Options{}).Customers(c.at), nil, gold)
			if os.Getenv(envClickHouse) != "" {
				for _, lg := range []*datasets.Ledger{l, &later} {
					got, err := sqlEngine(ledgerDatabase(t, lg), Options{}).Customers(context.Background(), c.at)
					assertSameTables(t, got, err, gold)
				}
			}
		})
	}
}
