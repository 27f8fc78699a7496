package datasets

import (
	"fmt"
	"slices"
)

// InvoiceTerms are the payment terms a customer's invoices show, for a
// customer whose master gives none: a ledger imported without a customer
// master derives its customers from the invoices, with zero Terms, which
// print as NET0 although the invoices are due 30 or 60 days after issue.
// The credit workflow sizes such a customer's need on its invoices' terms
// too ("60-day terms (from its invoices)").
type InvoiceTerms struct {
	// Days from issue to due that most invoices have (the shortest of
	// those on a tie); Shortest and Longest bound them all.
	Days, Shortest, Longest int
	// N is how many invoices were counted; 0 when none.
	N int
}

// TermsOfInvoices is the InvoiceTerms of invs issued by the end of asOf
// (0: all of them).
func TermsOfInvoices(invs []Invoice, asOf Date) InvoiceTerms {
	var days []int
	for i := range invs {
		if v := &invs[i]; asOf == 0 || v.IssueDate <= asOf {
			days = append(days, int(v.DueDate-v.IssueDate))
		}
	}
	return TermsOfDays(days)
}

// TermsOfDays is the InvoiceTerms of invoices due days[i] days after
// their issue; a negative count (a due date before the issue date, which
// the importer refuses) is left out.
func TermsOfDays(days []int) InvoiceTerms {
	count := map[int]int{}
	var t InvoiceTerms
	for _, d := range days {
		if d < 0 {
			continue
		}
		if t.N == 0 || d < t.Shortest {
			t.Shortest = d
		}
		t.Longest = max(t.Longest, d)
		count[d]++
		t.N++
	}
	keys := make([]int, 0, len(count))
	for d := range count {
		keys = append(keys, d)
	}
	slices.Sort(keys)
	best := 0
	for _, d := range keys {
		if count[d] > best {
			t.Days, best = d, count[d]
		}
	}
	return t
}

// String says the terms as a credit manager reads them, saying they are
// the invoices': "NET60 (from its invoices)", or with the range when they
// vary, "NET60 (from its invoices, which run 30 to 60 days)"; "" when
// no invoice was counted.
func (t InvoiceTerms) String() string {
	switch {
	case t.N == 0:
		return ""
	case t.Shortest == t.Longest:
		return fmt.Sprintf("NET%d (from its invoices)", t.Days)
	}
	return fmt.Sprintf("NET%d (from its invoices, which run %d to %d days)", t.Days, t.Shortest, t.Longest)
}
