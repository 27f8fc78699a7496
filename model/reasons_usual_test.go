package model

import (
	"fmt"
	"github.com/dsopilot/dsopilot/datasets"
	"math"
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/features"
)

// An invoice is compared with the customer's usual only when the customer
// has one: a brand-new customer's first (draft) invoice is in the window
// alone, its ratio 1.0 of itself, and no "customer's usual" is claimed.
func TestAmountReasonClaimsNoUsualWithoutHistory(t *testing.T) {
	s, specs := sentenceScorer(&Bundle{})
	long := features.Options{}.WithDefaults().Longest()
	issued := fmt.Sprintf("invoices_issued_%dd", long)
	cases := []struct {
		name string
		set  map[string]any
		want string
		not  string
	}{
		{"first invoice, issued today", map[string]any{"inv_amount": 1000.0, "inv_amount_vs_usual": 1.0, issued: 1.0, "inv_age_days": 0.0},
			"no usual amount", "customer's usual"},
		{"one earlier invoice", map[string]any{"inv_amount": 1000.0, "inv_amount_vs_usual": 1.3, issued: 2.0, "inv_age_days": 0.0},
			"1.3 times the customer's usual", "no usual"},
		{"scored invoice older than the window, one other", map[string]any{"inv_amount": 1000.0, "inv_amount_vs_usual": 2.0, issued: 1.0, "inv_age_days": float64(long + 10)},
			"2.0 times the customer's usual", "no usual"},
		{"nothing in the window", map[string]any{"inv_amount": 1000.0, "inv_amount_vs_usual": math.NaN(), issued: 0.0, "inv_age_days": float64(long + 10)},
			"invoice of 1,000.00", "usual"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fv := featureValues{s: s, r: s.row(specs, c.set)}
			for _, f := range []string{"inv_amount", "inv_amount_vs_usual"} {
				got := sentence(specNamed(t, specs, f), 0.2, fv)
				if !strings.Contains(got, c.want) || strings.Contains(got, c.not) {
					t.Errorf("%s: %q, want %q and not %q", f, got, c.want, c.not)
				}
			}
		})
	}
}

// The rows the feature engine makes for a brand-new customer's first
// invoice, issued on the scoring day, read as having no usual: the
// invoice counts in its own window (what hasOtherInvoices assumes), and a
// second invoice gives the customer one.
func TestFirstInvoiceRowHasNoUsual(t *testing.T) {
	day := datasets.NewDate(2024, 12, 31)
	inv := func(id string, issued datasets.Date, amount datasets.Money) datasets.Invoice {
		return datasets.Invoice{ID: id, CustomerID: "N1", IssueDate: issued, DueDate: issued.AddDays(30), Amount: amount, Currency: "EUR"}
	}
	cases := []struct {
		name     string
		invoices []datasets.Invoice
		usual    bool
	}{
		{"first invoice", []datasets.Invoice{inv("D1", day, 100000)}, false},
		{"second invoice", []datasets.Invoice{inv("E1", day.AddDays(-40), 50000), inv("D1", day, 100000)}, true},
	}
	s, specs := sentenceScorer(&Bundle{})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := &datasets.Ledger{Customers: []datasets.Customer{{ID: "N1", Name: "New AG", Country: "DE", Currency: "EUR", Segment: "smb"}},
				Invoices: c.invoices}
			tab := features.NewEngine(features.NewIndex(l), features.Options{}).OpenInvoices(day)
			var row *features.Row
			for i := range tab.Rows {
				if tab.Rows[i].InvoiceID == "D1" {
					row = &tab.Rows[i]
				}
			}
			if row == nil {
				t.Fatalf("no row for D1 in %d rows", len(tab.Rows))
			}
			got := sentence(specNamed(t, specs, "inv_amount_vs_usual"), 0.2, featureValues{s: s, r: row})
			if strings.Contains(got, "customer's usual") != c.usual {
				t.Errorf("%q: claims a usual %v, want %v", got, !c.usual, c.usual)
			}
		})
	}
}
