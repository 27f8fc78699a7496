package credit

import (
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
)

// An invoice more than 90 days overdue freezes the limit unless it is in
// dispute (a dispute record open at the as-of day, or the invoice's
// disputed flag): a dispute is a query, not a default. The reason names
// the disputed amount. Before, a trial's good payer had its limit frozen,
// and its orders held, by one disputed invoice of 124 EUR.
func TestDisputedInvoicesAreOutOfTheNinetyDayRule(t *testing.T) {
	own := map[string]Risk{"C1": {PD: 0.005, Source: "model"}}
	stray := func(l *datasets.Ledger) *datasets.Invoice {
		due := asOf.AddDays(-120)
		l.Invoices = append(l.Invoices, datasets.Invoice{ID: "X1", CustomerID: "C1", IssueDate: due.AddDays(-baseTerms), DueDate: due,
			Amount: 300_00, Currency: "EUR", Segment: "mid_market"})
		return &l.Invoices[len(l.Invoices)-1]
	}
	record := func(resolved datasets.Date) func(*datasets.Ledger) {
		return func(l *datasets.Ledger) {
			stray(l)
			l.Disputes = append(l.Disputes, datasets.Dispute{ID: "DSP1", CustomerID: "C1", InvoiceID: "X1", Opened: asOf.AddDays(-100), Resolved: resolved})
		}
	}
	cases := []struct {
		name     string
		change   func(*datasets.Ledger)
		frozen   bool
		disputed bool
	}{
		{"not in dispute", func(l *datasets.Ledger) { stray(l) }, true, false},
		{"disputed flag", func(l *datasets.Ledger) { stray(l).Disputed = true }, false, true},
		{"dispute record open", record(0), false, true},
		{"dispute record resolved", record(asOf.AddDays(-10)), true, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := baseLedger()
			c.change(l)
			s := suggestOne(t, l, DefaultPolicy(), own, "C1")
			why := strings.Join(s.Reasons, "; ")
			if frozen := s.Bound == BoundOverdue90; frozen != c.frozen {
				t.Fatalf("bound %s change %v, frozen by the 90-day rule %v, want %v: %v", s.Bound, s.Change, frozen, c.frozen, s.Reasons)
			}
			if got := strings.Contains(why, "300 EUR more than 90 days overdue is in dispute"); got != c.disputed {
				t.Fatalf("the reasons name the dispute: %v, want %v: %v", got, c.disputed, s.Reasons)
			}
		})
	}
}

// The flags' expected resolution names an invoice in dispute as such, not
// as "no promise to pay", and does not let it undate the others. Before,
// a trial's good payer's 9,355 EUR dispute read "99 days overdue with no
// promise to pay".
func TestFlagsNameTheDispute(t *testing.T) {
	l := baseLedger()
	due := asOf.AddDays(-99)
	l.Customers[1].CreditLimit = 1_000_00
	l.Invoices = append(l.Invoices, datasets.Invoice{ID: "X9", CustomerID: "C2", IssueDate: due.AddDays(-30), DueDate: due,
		Amount: 2_000_00, Currency: "EUR", Segment: "small_business", Disputed: true})
	fl, _, err := Flags(l, asOf, DefaultPolicy(), Options{Risk: map[string]Risk{"C2": {PD: 0.01, Source: "model"}}, Customers: []string{"C2"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(fl) != 1 || len(fl[0].Flags) == 0 || fl[0].Flags[0].Kind != FlagOverLimit {
		t.Fatalf("flags %+v, want C2 over its limit", fl)
	}
	res := fl[0].Flags[0].Resolution
	if !strings.Contains(res, "99 days overdue and in dispute") || strings.Contains(res, "no promise to pay") {
		t.Fatalf("resolution %q, want the disputed invoice named as in dispute", res)
	}
}
