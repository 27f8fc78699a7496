package reports

import (
	"context"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
)

// The headline figures are those of the PeriodDays days ending on the
// report's date, whatever day of the month it is (a trial's report as of
// 4 September led with 1–4 September), for the portfolio and for each
// segment: what was invoiced in them, counted here from the ledger.
func TestHeadlineFiguresCoverThePeriodDaysEndingOnTheReportDate(t *testing.T) {
	l, _ := simulated(t, 40, 12, 3)
	asOf := datasets.NewDate(2023, 12, 4)
	segment := map[string]string{}
	for _, c := range l.Customers {
		segment[c.ID] = c.Segment
	}
	for _, days := range []int{0, 7, 91} {
		want := days
		if want == 0 {
			want = DefaultPeriodDays
		}
		from := asOf.AddDays(-(want - 1))
		var total datasets.Money
		bySeg := map[string]datasets.Money{}
		n := 0
		for _, v := range l.Invoices {
			if v.IssueDate >= from && v.IssueDate <= asOf {
				total += v.Amount
				bySeg[segment[v.CustomerID]] += v.Amount
				n++
			}
		}
		b, err := newBook(context.Background(), Input{Ledger: l, AsOf: asOf, PeriodDays: days})
		if err != nil {
			t.Fatal(err)
		}
		k := b.portfolio.now
		if k.From != from.String() || k.To != asOf.String() || k.Days != want {
			t.Errorf("period days %d: headline period %s to %s (%d days), want %s to %s", days, k.From, k.To, k.Days, from, asOf)
		}
		if k.Invoiced.Money() != total || k.InvoicesIssued != n {
			t.Errorf("period days %d: invoiced %s in %d invoices, want %s in %d", days, k.Invoiced.Money(), k.InvoicesIssued, total, n)
		}
		if len(b.dims[kindSegment]) == 0 {
			t.Fatal("no segments in the report")
		}
		for _, s := range b.dims[kindSegment] {
			if got := s.now.Invoiced.Money(); got != bySeg[s.Key] {
				t.Errorf("period days %d: segment %q invoiced %s, want %s", days, s.Key, got, bySeg[s.Key])
			}
		}
	}
	if _, err := newBook(context.Background(), Input{Ledger: l, AsOf: asOf, PeriodDays: 400}); err == nil {
		t.Error("a headline period of 400 days: no error")
	}
}

func TestPeriodLabelNamesBothEndsOfAPeriodAcrossMonths(t *testing.T) {
	for _, c := range []struct{ from, to, want string }{
		{"2026-08-01", "2026-08-31", "August 2026"},
		{"2026-09-01", "2026-09-04", "1–4 September 2026"},
		{"2026-08-06", "2026-09-04", "6 August – 4 September 2026"},
		{"2025-12-20", "2026-01-18", "20 December 2025 – 18 January 2026"},
		{"2026-06-01", "2026-08-31", "1 June – 31 August 2026"},
	} {
		if got := periodLabel(features.KPIs{From: c.from, To: c.to}); got != c.want {
			t.Errorf("periodLabel(%s, %s) = %q, want %q", c.from, c.to, got, c.want)
		}
	}
}
