// Package storetest is the conformance suite every datasets.Store must pass.
// Each implementation's tests call Run with a constructor of empty stores.
package storetest

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
)

// Opener returns a new, empty store. reopen, when not nil, closes the store
// and opens the same data again, to prove durability.
type Opener func(t *testing.T) (s datasets.Store, reopen func() datasets.Store)

// Sample returns a small ledger with one record of every kind and every
// optional field exercised (empty, zero, negative and large amounts; a
// score of 0 that is known and one that is not).
func Sample() *datasets.Ledger {
	d := datasets.NewDate
	return &datasets.Ledger{
		Customers: []datasets.Customer{
			{ID: "C1", Name: "Acme, \"the\" Ltd", Segment: "enterprise", Country: "DE", Currency: "EUR",
				CreditLimit: 5_000_000, Terms: datasets.Terms{Days: 30}, Channel: "direct", Since: d(2019, 3, 1), Collector: "Jörg M."},
			{ID: "C2", Name: "Zeta", Segment: "small_business", Country: "FR", Currency: "EUR",
				Terms: datasets.Terms{Days: 45, EOM: true}, CreditLimitBlank: true},
		},
		Invoices: []datasets.Invoice{
			{ID: "I1", CustomerID: "C1", IssueDate: d(2024, 1, 5), DueDate: d(2024, 2, 4), Amount: 123_456,
				Currency: "EUR", SettledDate: d(2024, 2, 10), Disputed: true, Country: "DE", Segment: "enterprise", Channel: "direct"},
			{ID: "I2", CustomerID: "C2", IssueDate: d(2024, 1, 31), DueDate: d(2024, 3, 15), Amount: 999_999_999_999,
				Currency: "EUR"},
		},
		Payments: []datasets.Payment{
			{ID: "P1", CustomerID: "C1", InvoiceID: "I1", Date: d(2024, 2, 10), Amount: 100_000, Currency: "EUR"},
			{ID: "P2", CustomerID: "C2", Date: d(2024, 2, 11), Amount: 1, Currency: "EUR"},
		},
		CreditNotes: []datasets.CreditNote{
			{ID: "N1", CustomerID: "C1", InvoiceID: "I1", Date: d(2024, 2, 9), Amount: 23_456, Kind: datasets.KindCreditNote, Reason: "price"},
			{ID: "W1", CustomerID: "C2", InvoiceID: "I2", Date: d(2024, 9, 1), Amount: 5, Kind: datasets.KindWriteOff},
		},
		Disputes: []datasets.Dispute{
			{ID: "D1", CustomerID: "C1", InvoiceID: "I1", Opened: d(2024, 1, 20), Resolved: d(2024, 2, 8),
				Reason: "price", Amount: 23_456, Outcome: "credited"},
			{ID: "D2", CustomerID: "C2", InvoiceID: "I2", Opened: d(2024, 3, 1), Reason: "quality", Amount: -1},
		},
		Actions: []datasets.Action{
			{ID: "A1", CustomerID: "C1", InvoiceID: "I1", Date: d(2024, 2, 5), Type: "reminder", Channel: "email", Outcome: "promise",
				Policy: "holdout", Propensity: 0.125},
			{ID: "A2", CustomerID: "C2", Date: d(2024, 3, 20), Type: "call"},
		},
		Promises: []datasets.Promise{
			{ID: "PR1", CustomerID: "C1", InvoiceID: "I1", Made: d(2024, 2, 5), PromisedDate: d(2024, 2, 10), Amount: 100_000, Status: datasets.PromiseKept},
			{ID: "PR2", CustomerID: "C2", Made: d(2024, 3, 20), PromisedDate: d(2024, 3, 30), Amount: 10, Status: datasets.PromiseOpen},
		},
		CreditDecisions: []datasets.CreditDecision{
			{ID: "CD1", CustomerID: "C1", Date: d(2023, 12, 1), OldLimit: 4_000_000, NewLimit: 5_000_000, Reason: "growth", DecidedBy: "jane"},
		},
		Financials: []datasets.Financial{
			{ID: "C1|2024-01-15|creditreform", CustomerID: "C1", Date: d(2024, 1, 15), TangibleNetWorth: -12_345_678,
				Turnover: 98_765_432_100, Rating: "BB+", Score: 0, HasScore: true, Source: "creditreform"},
			{ID: "F2", CustomerID: "C2", Date: d(2024, 2, 1), TangibleNetWorth: 1, Turnover: 0, Rating: "3"},
			{ID: "F3", CustomerID: "C2", Date: d(2024, 3, 1), Score: 612.5, HasScore: true, Source: "dnb"},
		},
	}
}

// Run runs the conformance suite.
func Run(t *testing.T, open Opener) {
	t.Helper()
	ctx := context.Background()

	t.Run("RoundTripsEveryField", func(t *testing.T) {
		s, _ := open(t)
		want := Sample()
		if err := s.Put(ctx, want); err != nil {
			t.Fatalf("put: %v", err)
		}
		got, err := s.Load(ctx)
		if err != nil {
			t.Fatalf("load: %v", err)
		}
		assertLedgerEqual(t, got, want)
	})

	t.Run("PutTwiceChangesNothing", func(t *testing.T) {
		s, _ := open(t)
		for i := 0; i < 2; i++ {
			if err := s.Put(ctx, Sample()); err != nil {
				t.Fatalf("put %d: %v", i, err)
			}
		}
		c, err := s.Counts(ctx)
		if err != nil {
			t.Fatalf("counts: %v", err)
		}
		if want := Sample().Counts(); c != want {
			t.Fatalf("counts after two puts = %+v, want %+v", c, want)
		}
		got, err := s.Load(ctx)
		if err != nil {
			t.Fatalf("load: %v", err)
		}
		assertLedgerEqual(t, got, Sample())
	})

	t.Run("LaterWriteOfAnIDWins", func(t *testing.T) {
		s, _ := open(t)
		if err := s.Put(ctx, Sample()); err != nil {
			t.Fatalf("put: %v", err)
		}
		upd := &datasets.Ledger{Invoices: []datasets.Invoice{Sample().Invoices[1]}}
		upd.Invoices[0].SettledDate = datasets.NewDate(2024, 4, 2)
		if err := s.Put(ctx, upd); err != nil {
			t.Fatalf("put update: %v", err)
		}
		got, err := s.Load(ctx)
		if err != nil {
			t.Fatalf("load: %v", err)
		}
		if len(got.Invoices) != 2 || got.Invoices[1].SettledDate != datasets.NewDate(2024, 4, 2) {
			t.Fatalf("invoices after update = %+v, want I2 settled 2024-04-02", got.Invoices)
		}
	})

	t.Run("EmptyStore", func(t *testing.T) {
		s, _ := open(t)
		c, err := s.Counts(ctx)
		if err != nil {
			t.Fatalf("counts: %v", err)
		}
		if c != (datasets.Counts{}) {
			t.Fatalf("counts of empty store = %+v", c)
		}
		ids, err := s.CustomerIDs(ctx)
		if err != nil || len(ids) != 0 {
			t.Fatalf("customer ids of empty store = %v, %v", ids, err)
		}
		l, err := s.Load(ctx)
		if err != nil || l.Len() != 0 {
			t.Fatalf("load of empty store = %d records, %v", l.Len(), err)
		}
	})

	t.Run("ManyRecordsSortedByID", func(t *testing.T) {
		s, _ := open(t)
		const n = 5000
		b := &datasets.Ledger{}
		for i := n - 1; i >= 0; i-- {
			b.Invoices = append(b.Invoices, datasets.Invoice{ID: fmt.Sprintf("INV%06d", i), CustomerID: "C1",
				IssueDate: datasets.NewDate(2024, 1, 1).AddDays(i % 300), DueDate: datasets.NewDate(2024, 3, 1).AddDays(i % 300),
				Amount: datasets.Money(i * 101), Currency: "EUR"})
		}
		if err := s.Put(ctx, b); err != nil {
			t.Fatalf("put: %v", err)
		}
		got, err := s.Load(ctx)
		if err != nil {
			t.Fatalf("load: %v", err)
		}
		if len(got.Invoices) != n {
			t.Fatalf("loaded %d invoices, want %d", len(got.Invoices), n)
		}
		for i, v := range got.Invoices {
			if want := fmt.Sprintf("INV%06d", i); v.ID != want || v.Amount != datasets.Money(i*101) {
				t.Fatalf("invoice %d = %s %v, want %s %v", i, v.ID, v.Amount, want, datasets.Money(i*101))
			}
		}
	})

	t.Run("CustomerIDs", func(t *testing.T) {
		s, _ := open(t)
		if err := s.Put(ctx, Sample()); err != nil {
			t.Fatalf("put: %v", err)
		}
		ids, err := s.CustomerIDs(ctx)
		if err != nil {
			t.Fatalf("customer ids: %v", err)
		}
		if !reflect.DeepEqual(ids, []string{"C1", "C2"}) {
			t.Fatalf("customer ids = %v, want [C1 C2]", ids)
		}
	})

	t.Run("SurvivesReopen", func(t *testing.T) {
		s, reopen := open(t)
		if reopen == nil {
			t.Skip("store has no reopen")
		}
		if err := s.Put(ctx, Sample()); err != nil {
			t.Fatalf("put: %v", err)
		}
		s = reopen()
		got, err := s.Load(ctx)
		if err != nil {
			t.Fatalf("load after reopen: %v", err)
		}
		assertLedgerEqual(t, got, Sample())
	})
}

func assertLedgerEqual(t *testing.T, got, want *datasets.Ledger) {
	t.Helper()
	gv, wv := reflect.ValueOf(got).Elem(), reflect.ValueOf(want).Elem()
	for i := 0; i < gv.NumField(); i++ {
		g, w := gv.Field(i), wv.Field(i)
		if g.Len() == 0 && w.Len() == 0 {
			continue
		}
		if !reflect.DeepEqual(g.Interface(), w.Interface()) {
			t.Errorf("%s:\n got  %+v\n want %+v", gv.Type().Field(i).Name, g.Interface(), w.Interface())
		}
	}
}
