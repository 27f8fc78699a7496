package recommender

import (
	"context"
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
)

// A customer kept from any contact is listed with its rule, not dropped
// without a word: every open invoice disputed, or promised, or the whole
// account under the contact cap. The counts by rule are the list's.
func TestExcludedCustomersNameTheirRule(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(l *datasets.Ledger)
		rule   string // "" : not excluded
		detail string
	}{
		{"nothing in the way", nil, "", ""},
		{"one invoice disputed of two", func(l *datasets.Ledger) {
			l.Disputes = append(l.Disputes, datasets.Dispute{ID: "D1", CustomerID: "C1", InvoiceID: "I1", Opened: day(-10)})
		}, "", ""},
		{"every invoice disputed", func(l *datasets.Ledger) {
			l.Disputes = append(l.Disputes, datasets.Dispute{ID: "D1", CustomerID: "C1", InvoiceID: "I1", Opened: day(-10)},
				datasets.Dispute{ID: "D2", CustomerID: "C1", InvoiceID: "I2", Opened: day(-10)})
		}, RuleDispute, "every open invoice is blocked (dispute: 2 invoices)"},
		{"one disputed, one promised", func(l *datasets.Ledger) {
			l.Disputes = append(l.Disputes, datasets.Dispute{ID: "D1", CustomerID: "C1", InvoiceID: "I1", Opened: day(-10)})
			l.Promises = append(l.Promises, datasets.Promise{ID: "P1", CustomerID: "C1", InvoiceID: "I2", Made: day(-2), PromisedDate: day(5), Amount: 1, Status: datasets.PromiseOpen})
		}, RuleDispute, "(dispute: 1 invoice, promise: 1 invoice)"},
		// An ERP export without dispute records flags its disputed
		// invoices: known as of the ledger's own date, so on its
		// worklist (a trial's worklist called about invoices flagged
		// Litigio)...
		{"every invoice flagged disputed, no dispute records", func(l *datasets.Ledger) {
			l.Invoices[0].Disputed, l.Invoices[1].Disputed = true, true
		}, RuleDispute, "every open invoice is blocked (dispute: 2 invoices)"},
		// ...but not on a day before it: the flag is today's, and a
		// past worklist reading it would know the future.
		{"flags not yet known on a day before the ledger's date", func(l *datasets.Ledger) {
			l.Invoices[0].Disputed, l.Invoices[1].Disputed = true, true
			l.Invoices = append(l.Invoices, datasets.Invoice{ID: "I9", CustomerID: "C1", IssueDate: day(10), DueDate: day(40), Amount: 5_00, Currency: "EUR"})
		}, "", ""},
		// Dispute records, where the ledger has them, are the truth.
		{"flags beside dispute records", func(l *datasets.Ledger) {
			l.Invoices[1].Disputed = true
			l.Disputes = append(l.Disputes, datasets.Dispute{ID: "D1", CustomerID: "C1", InvoiceID: "I1", Opened: day(-10)})
		}, "", ""},
		{"contact cap", func(l *datasets.Ledger) {
			l.Actions = append(l.Actions, datasets.Action{ID: "A1", CustomerID: "C1", InvoiceID: "I1", Date: day(-3), Type: ActionReminder, Channel: "email"})
		}, RuleContactCap, "one contact per 7 days"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := ledgerOf([]int{20, 40}, []datasets.Money{1_000_00, 2_000_00})
			if tc.mutate != nil {
				tc.mutate(l)
			}
			w, err := Recommend(context.Background(), l, d0, RecommendOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if tc.rule == "" {
				if len(w.ExcludedCustomers) != 0 || len(w.Recommendations) != 1 {
					t.Fatalf("excluded %+v, %d recommendations; want the customer on the list", w.ExcludedCustomers, len(w.Recommendations))
				}
				return
			}
			if len(w.ExcludedCustomers) != 1 || len(w.Recommendations) != 0 || w.Excluded[tc.rule] != 1 || len(w.Excluded) != 1 {
				t.Fatalf("excluded %+v (counts %v), %d recommendations; want C1 excluded by %s", w.ExcludedCustomers, w.Excluded, len(w.Recommendations), tc.rule)
			}
			if got, want := w.Summary(), "0 actions on the list; 1 customer kept from any contact ("+tc.rule+" 1)"; got != want {
				t.Fatalf("summary %q, want %q", got, want)
			}
			e := w.ExcludedCustomers[0]
			if e.CustomerID != "C1" || e.Rule != tc.rule || !strings.Contains(e.Detail, tc.detail) || e.Overdue.Money() != 3_000_00 {
				t.Fatalf("exclusion %+v, want rule %s, detail with %q, overdue 3,000.00", e, tc.rule, tc.detail)
			}
		})
	}
}

func TestPlural(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want string
	}{{0, "0 days"}, {1, "1 day"}, {-1, "-1 day"}, {2, "2 days"}, {21, "21 days"}} {
		if got := Plural(tc.n, "day"); got != tc.want {
			t.Errorf("Plural(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}
