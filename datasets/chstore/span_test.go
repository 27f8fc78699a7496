package chstore

import (
	"context"
	"testing"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
)

// Store.Span, one query, is the span of the ledger it loads
// (datasets.Ledger.Span): its latest record is the receivables', never a
// dunning action, credit decision or credit report recorded later (a
// credit approval dated today made the CLI's reading of a ClickHouse
// ledger look current while kpi, which asks Span, still warned).
func TestSpanIsTheLoadedLedgers(t *testing.T) {
	ctx := context.Background()
	s, _ := openMigrated(t)
	d := func(y, m, day int) datasets.Date { return datasets.NewDate(y, time.Month(m), day) }
	l := &datasets.Ledger{
		Customers: []datasets.Customer{{ID: "C1", Currency: "EUR"}},
		Invoices: []datasets.Invoice{{ID: "I1", CustomerID: "C1", IssueDate: d(2024, 5, 1), DueDate: d(2024, 6, 30), Amount: 100, Currency: "EUR"},
			{ID: "I2", CustomerID: "C1", IssueDate: d(2024, 5, 15), DueDate: d(2024, 7, 14), SettledDate: d(2024, 6, 30), Amount: 100, Currency: "EUR"}},
		Actions:         []datasets.Action{{ID: "A1", CustomerID: "C1", InvoiceID: "I1", Date: d(2026, 12, 1), Type: "call"}},
		CreditDecisions: []datasets.CreditDecision{{ID: "D1", CustomerID: "C1", Date: d(2026, 12, 4), NewLimit: 850000}},
		Financials:      []datasets.Financial{{ID: "F1", CustomerID: "C1", Date: d(2026, 11, 1), Source: "x"}},
	}
	if err := s.Put(ctx, l); err != nil {
		t.Fatal(err)
	}
	first, last, err := s.Span(ctx)
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := s.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := datasets.Span{First: d(2024, 5, 1), Last: d(2024, 6, 30)}
	if got := (datasets.Span{First: first, Last: last}); got != want || loaded.Span() != want {
		t.Fatalf("Store.Span %+v, the loaded ledger's %+v, want %+v", got, loaded.Span(), want)
	}
}
