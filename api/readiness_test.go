package api

import (
	"strings"
	"testing"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
)

// A server without --as-of on an old export is ready, but says that its
// ledger ends long before the served date, and which day to serve.
func TestReadinessWarnsOfAnOldLedger(t *testing.T) {
	f := testFixture(t)
	last := LastDay(f.ledger)
	if last == 0 || last > f.asOf {
		t.Fatalf("the fixture's last day %s, as of %s", last, f.asOf)
	}
	cases := []struct {
		name string
		asOf datasets.Date
		warn bool
	}{
		{"served on the ledger's end", f.asOf, false},
		{"a week after it", last.AddDays(StaleAfterDays), false},
		{"a year after it (today, no --as-of)", last.AddDays(365), true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(t, func(c *Config) { c.AsOf = tc.asOf })
			r := decode[readiness](t, ts.do(req{method: "GET", path: "/readyz"}))
			if r.Status != "ready" || r.LedgerLastDay != last.String() || r.Warnings == nil {
				t.Fatalf("readiness %+v, want ready with the ledger's last day %s", r, last)
			}
			if got := len(r.Warnings) > 0; got != tc.warn {
				t.Fatalf("warnings %q, want a warning: %v", r.Warnings, tc.warn)
			}
			if tc.warn {
				if w := r.Warnings[0]; !strings.Contains(w, last.String()) || !strings.Contains(w, "--as-of "+last.AddDays(1).String()) {
					t.Fatalf("warning %q: want the last day and the --as-of to serve", w)
				}
			}
		})
	}
}

func TestLastDayIsTheLatestRecord(t *testing.T) {
	d := func(n int) datasets.Date { return datasets.NewDate(2024, time.January, 1).AddDays(n) }
	base := func() *datasets.Ledger {
		return &datasets.Ledger{Invoices: []datasets.Invoice{{ID: "I1", IssueDate: d(0), DueDate: d(300)}}}
	}
	cases := []struct {
		name string
		edit func(*datasets.Ledger)
		want datasets.Date
	}{
		{"an invoice: its issue, not its due date", nil, d(0)},
		{"a payment", func(l *datasets.Ledger) { l.Payments = append(l.Payments, datasets.Payment{Date: d(5)}) }, d(5)},
		{"a promise: when made, not the promised date", func(l *datasets.Ledger) {
			l.Promises = append(l.Promises, datasets.Promise{Made: d(7), PromisedDate: d(400)})
		}, d(7)},
		{"a dispute resolved", func(l *datasets.Ledger) {
			l.Disputes = append(l.Disputes, datasets.Dispute{Opened: d(1), Resolved: d(9)})
		}, d(9)},
		{"an action", func(l *datasets.Ledger) { l.Actions = append(l.Actions, datasets.Action{Date: d(11)}) }, d(11)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := base()
			if tc.edit != nil {
				tc.edit(l)
			}
			if got := LastDay(l); got != tc.want {
				t.Fatalf("LastDay %s, want %s", got, tc.want)
			}
		})
	}
	if LastDay(&datasets.Ledger{}) != 0 {
		t.Fatal("an empty ledger has no last day")
	}
	if _, w := StaleLedger(&datasets.Ledger{}, d(1000)); w != "" {
		t.Fatalf("an empty ledger warns: %q", w)
	}
}
