package datasets

import "testing"

// A customer without terms in its master is told its invoices' terms, said
// to be theirs, with the range when they vary.
func TestTermsOfInvoices(t *testing.T) {
	day := NewDate(2024, 1, 1)
	inv := func(issue, terms int) Invoice {
		return Invoice{IssueDate: day.AddDays(issue), DueDate: day.AddDays(issue + terms)}
	}
	for _, tc := range []struct {
		name string
		invs []Invoice
		asOf Date
		want string
	}{
		{"none", nil, 0, ""},
		{"all NET60", []Invoice{inv(0, 60), inv(10, 60)}, 0, "NET60 (from its invoices)"},
		{"most NET30", []Invoice{inv(0, 30), inv(1, 60), inv(2, 30)}, 0, "NET30 (from its invoices, which run 30 to 60 days)"},
		{"a tie: the shorter", []Invoice{inv(0, 60), inv(1, 30)}, 0, "NET30 (from its invoices, which run 30 to 60 days)"},
		{"issued by the as-of date only", []Invoice{inv(0, 45), inv(100, 90)}, day.AddDays(50), "NET45 (from its invoices)"},
	} {
		if got := TermsOfInvoices(tc.invs, tc.asOf).String(); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
