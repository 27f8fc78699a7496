package api

import (
	"fmt"
	"strings"
	"testing"
)

// A date far outside the ledger is a 422 naming the parameter where the
// answer would be meaningless, and carries a warning where it is only
// doubtful (span.go has the rules).
func TestDatesOutsideTheLedger(t *testing.T) {
	ts := newTestServer(t, func(c *Config) {
		c.Collections = &fakeCollections{}
		c.Credit = &fakeCredit{}
		c.Forecast = fakeForecast{}
	})
	snap := ts.srv.snap.Load()
	sp := snap.span
	if sp.Empty() || sp.Last < snap.asOf-StaleAfterDays {
		t.Fatalf("the fixture's span %+v does not reach its served date %s", sp, snap.asOf)
	}
	before, after, far := sp.First.AddDays(-30), sp.Last.AddDays(60), ts.srv.latestDay().AddDays(1)
	inv := openInvoice(t, snap, 0)
	cust := inv.CustomerID
	score := "/v1/invoices/" + inv.InvoiceID + "/score"
	post := func(asOf fmt.Stringer) string {
		return fmt.Sprintf(`{"as_of":%q,"invoices":[{"invoice_id":"D1","customer_id":%q,"issue_date":%q,"due_date":%q,"amount":10}]}`,
			asOf, cust, sp.First, sp.First.AddDays(30))
	}
	cases := []struct {
		name, method, path, body string
		status                   int
		where                    string // the field error's place, for a 422
		warn                     string // in warnings, for a 200; "" for none
	}{
		{"kpi in the ledger", "GET", fmt.Sprintf("/v1/kpi?from=%s&to=%s", sp.Last.AddDays(-30), sp.Last), "", 200, "", ""},
		{"kpi far ahead", "GET", fmt.Sprintf("/v1/kpi?from=2099-01-01&to=2099-03-01"), "", 422, "query:from", ""},
		{"kpi before the ledger", "GET", "/v1/kpi?to=" + before.String(), "", 422, "query:to", ""},
		{"kpi from long before", "GET", fmt.Sprintf("/v1/kpi?from=%s&to=%s", before, sp.Last), "", 200, "", "before the ledger's first invoice"},
		{"kpi to after the ledger", "GET", fmt.Sprintf("/v1/kpi?from=%s&to=%s", sp.Last.AddDays(-30), after), "", 200, "", "after the ledger's latest record"},
		{"score before the ledger", "GET", score + "?as_of=" + before.String(), "", 422, "query:as_of", ""},
		{"score on a day not begun", "GET", score + "?as_of=" + far.String(), "", 422, "query:as_of", ""},
		{"score after the ledger", "GET", score + "?as_of=" + after.String(), "", 200, "", "frozen on " + sp.Last.String()},
		{"post score before the ledger", "POST", "/v1/score", post(before), 422, "/as_of", ""},
		{"post score after the ledger", "POST", "/v1/score", post(after), 200, "", "frozen on " + sp.Last.String()},
		{"customer before the ledger", "GET", "/v1/customers/" + cust + "?as_of=" + before.String(), "", 422, "query:as_of", ""},
		{"customer on a day not begun", "GET", "/v1/customers/" + cust + "?as_of=" + far.String(), "", 422, "query:as_of", ""},
		{"customer after the ledger", "GET", "/v1/customers/" + cust + "?as_of=" + after.String(), "", 200, "", "frozen on " + sp.Last.String()},
		{"credit limit on a day not begun", "GET", "/v1/customers/" + cust + "/credit-limit?as_of=" + far.String(), "", 422, "query:as_of", ""},
		{"credit limit after the ledger", "GET", "/v1/customers/" + cust + "/credit-limit?as_of=" + after.String(), "", 200, "", "frozen on"},
		{"forecast before the ledger", "GET", "/v1/forecast?as_of=" + before.String(), "", 422, "query:as_of", ""},
		{"forecast after the ledger", "GET", "/v1/forecast?as_of=" + after.String(), "", 200, "", "frozen on"},
		{"worklist before the ledger", "GET", "/v1/worklist?date=" + before.String(), "", 422, "query:date", ""},
		{"worklist planned ahead", "GET", "/v1/worklist?date=" + far.String(), "", 200, "", "after the ledger's latest record"},
		{"next action after the ledger", "GET", "/v1/customers/" + cust + "/next-action?date=" + after.String(), "", 200, "", "frozen on"},
		{"next action in the ledger", "GET", "/v1/customers/" + cust + "/next-action", "", 200, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := ts.do(req{method: c.method, path: c.path, role: "viewer", body: c.body})
			if c.status == 422 {
				p := problemOf(t, w, 422)
				if len(p.Errors) != 1 || p.Errors[0].Where() != c.where {
					t.Fatalf("errors %+v, want one at %s", p.Errors, c.where)
				}
				return
			}
			got := decode[struct {
				Warnings []string `json:"warnings"`
			}](t, w)
			switch {
			case c.warn == "" && len(got.Warnings) > 0:
				t.Fatalf("warnings %q, want none", got.Warnings)
			case c.warn != "" && (len(got.Warnings) != 1 || !strings.Contains(got.Warnings[0], c.warn)):
				t.Fatalf("warnings %q, want one saying %q", got.Warnings, c.warn)
			}
		})
	}
}
