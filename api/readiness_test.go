package api

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/embedded"
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

// A server on a store that holds no invoices (most often a mistyped
// --store, which serve creates) is ready, for ingest, but says so.
func TestReadinessWarnsOfAnEmptyLedger(t *testing.T) {
	empty := filepath.Join(t.TempDir(), "no-such-store")
	ts := newTestServer(t, func(c *Config) {
		c.OpenStore = func(ctx context.Context) (Store, error) { return embedded.Open(ctx, empty, nil) }
	})
	r := decode[readiness](t, ts.do(req{method: "GET", path: "/readyz"}))
	if r.Status != "ready" || r.Invoices != 0 || len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0], "holds no invoices") ||
		!strings.Contains(r.Warnings[0], "--store") {
		t.Fatalf("readiness %+v: want ready with a warning naming --store", r)
	}
}

// Records of a day that has not begun are refused, naming the field: one
// would pass for the ledger's latest record and hide that it is stale.
func TestRecordsFromTheFutureAreRefused(t *testing.T) {
	ts := newTestServer(t, nil)
	snap := ts.srv.snap.Load()
	a := openInvoice(t, snap, 0)
	future := datasets.DateOf(time.Now().UTC()).AddDays(3)
	for _, c := range []struct{ path, body, pointer string }{
		{"/v1/actions", fmt.Sprintf(`{"customer_id":%q,"action_date":%q,"type":"call"}`, a.CustomerID, future), "/action_date"},
		{"/v1/promises", fmt.Sprintf(`{"customer_id":%q,"invoice_id":%q,"made_date":%q,"promised_date":%q,"amount":"10.00"}`,
			a.CustomerID, a.InvoiceID, future, future.AddDays(7)), "/made_date"},
		{"/v1/disputes", fmt.Sprintf(`{"customer_id":%q,"invoice_id":%q,"opened_date":%q}`, a.CustomerID, a.InvoiceID, future), "/opened_date"},
		{"/v1/disputes", fmt.Sprintf(`{"customer_id":%q,"invoice_id":%q,"opened_date":%q,"resolved_date":%q,"outcome":"credited"}`,
			a.CustomerID, a.InvoiceID, snap.asOf, future), "/resolved_date"},
	} {
		p := problemOf(t, ts.do(req{method: "POST", path: c.path, role: "collector", body: c.body}), 422)
		if len(p.Errors) != 1 || p.Errors[0].Pointer != c.pointer || !strings.Contains(p.Errors[0].Detail, "in the future") {
			t.Errorf("%s %s: %+v, want one error at %s", c.path, c.body, p, c.pointer)
		}
	}
	// A promise to pay in the future is what a promise is.
	expect(t, ts.do(req{method: "POST", path: "/v1/promises", role: "collector", body: fmt.Sprintf(
		`{"customer_id":%q,"invoice_id":%q,"made_date":%q,"promised_date":%q,"amount":"10.00"}`, a.CustomerID, a.InvoiceID, snap.asOf, future)}), 201)
}
