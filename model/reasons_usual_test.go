package model

import (
	"fmt"
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
