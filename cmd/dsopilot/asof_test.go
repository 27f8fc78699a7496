package main

import (
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
)

// TestAsOfOutsideTheLedgerIsSaid: a day before the first invoice or more
// than a week after the latest record is warned about, naming the days to
// use; a day within the ledger, or a few days after its end, is not.
func TestAsOfOutsideTheLedgerIsSaid(t *testing.T) {
	d := func(s string) datasets.Date { return mustDay(t, s) }
	l := &datasets.Ledger{
		Invoices: []datasets.Invoice{{ID: "I2", IssueDate: d("2024-02-01")}, {ID: "I1", IssueDate: d("2024-01-15"), SettledDate: d("2024-03-01")}},
		Payments: []datasets.Payment{{ID: "P1", Date: d("2024-03-10")}},
	}
	for _, tc := range []struct {
		asOf string
		want []string // "" for no warning
	}{
		{"2023-12-31", []string{"before the ledger's first invoice (2024-01-15)", "from 2024-01-15 to 2024-03-10"}},
		{"2024-01-15", nil},
		{"2024-03-17", nil},
		{"2024-03-18", []string{"latest record is of 2024-03-10, 8 days before", "--as-of 2024-03-10"}},
	} {
		var s ledgerSpan
		// Two parts: the span is over both.
		s.see(&datasets.Ledger{Invoices: l.Invoices[:1]})
		s.see(&datasets.Ledger{Invoices: l.Invoices[1:], Payments: l.Payments})
		got := s.warning(d(tc.asOf))
		if (got == "") != (tc.want == nil) {
			t.Errorf("as of %s: warning %q, want one: %v", tc.asOf, got, tc.want != nil)
		}
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("as of %s: warning %q lacks %q", tc.asOf, got, w)
			}
		}
	}
	var empty ledgerSpan
	if !strings.Contains(empty.warning(d("2024-01-01")), "no records") {
		t.Errorf("an empty ledger: %q", empty.warning(d("2024-01-01")))
	}
}

// TestAPeriodOutsideTheLedgerIsSaid: a KPI period wholly before the first
// invoice, or starting more than a week after the latest record, is warned
// about; one that overlaps the ledger is not.
func TestAPeriodOutsideTheLedgerIsSaid(t *testing.T) {
	d := func(s string) datasets.Date { return mustDay(t, s) }
	var s ledgerSpan
	s.see(&datasets.Ledger{Invoices: []datasets.Invoice{{ID: "I1", IssueDate: d("2024-01-15"), SettledDate: d("2024-03-01")}}})
	for _, tc := range []struct {
		from, to, want string
	}{
		{"2023-01-01", "2023-12-31", "ends before the ledger's first invoice (2024-01-15)"},
		{"2023-12-01", "2024-01-15", ""},
		{"2024-03-01", "2024-06-30", ""},
		{"2024-03-08", "2024-06-30", ""},
		{"2099-01-01", "2099-12-31", "days after the ledger's latest record (2024-03-01)"},
	} {
		got := s.periodWarning(d(tc.from), d(tc.to))
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("%s to %s: %q, want %q", tc.from, tc.to, got, tc.want)
		}
	}
}

// mustDay is the day s (YYYY-MM-DD), for tests.
func mustDay(t *testing.T, s string) datasets.Date {
	t.Helper()
	v, err := datasets.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
