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
	last := f.ledger.LastDay()
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

func TestAnEmptyLedgerIsNotStale(t *testing.T) {
	d := func(n int) datasets.Date { return datasets.NewDate(2024, time.January, 1).AddDays(n) }
	if _, w := StaleLedger(&datasets.Ledger{}, d(1000)); w != "" {
		t.Fatalf("an empty ledger warns: %q", w)
	}
}
