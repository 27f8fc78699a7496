package api

import (
	"encoding/json"
	"fmt"
	"github.com/dsopilot/dsopilot/datasets"
	"testing"
)

// A customer master's blank credit_limit is no limit recorded: the
// customer view gives credit_limit null, not 0.00 (no credit), which a
// written 0.00 still gives. (Both were 0.00.)
func TestTheCustomerViewShowsABlankLimitAsNull(t *testing.T) {
	ts := newTestServer(t, func(cfg *Config) { cfg.Credit = &fakeCredit{} })
	l := ts.srv.snap.Load().ledger
	if len(l.Customers) < 2 {
		t.Fatal("the fixture has fewer than two customers")
	}
	// Customers without credit decisions: a decision's limit is the one in
	// force, whatever the master says.
	undecided := undecidedCustomers(l)
	if len(undecided) < 2 {
		t.Fatal("the fixture has fewer than two customers without credit decisions")
	}
	blank, zero := undecided[0], undecided[1]
	body := fmt.Sprintf("customer_id,name,credit_limit\n%s,Blank Ltd,\n%s,Zero Ltd,0.00\n", blank, zero)
	expect(t, ts.do(req{method: "POST", path: "/v1/ingest/customers", role: "admin", body: body, ctype: "text/csv"}), 200)
	ts.settle()
	for _, c := range []struct {
		id, want string
	}{{blank, "null"}, {zero, "0.00"}} {
		w := ts.do(req{method: "GET", path: "/v1/customers/" + c.id, role: "viewer"})
		expect(t, w, 200)
		var v struct {
			Customer map[string]json.RawMessage `json:"customer"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
			t.Fatal(err)
		}
		if got := string(v.Customer["credit_limit"]); got != c.want {
			t.Errorf("customer %s: credit_limit %s, want %s", c.id, got, c.want)
		}
	}
}

// The view's credit limit is the one in force at as_of: before an
// approval over a blank master limit, not recorded (null); from its day,
// the approved limit. It was the master's today at any as_of.
func TestTheCustomerViewShowsTheLimitInForceAtAsOf(t *testing.T) {
	ts := newTestServer(t, func(cfg *Config) { cfg.Credit = &fakeCredit{} })
	snap := ts.srv.snap.Load()
	undecided := undecidedCustomers(snap.ledger)
	if len(undecided) == 0 {
		t.Fatal("the fixture has no customer without credit decisions")
	}
	id, asOf := undecided[0], snap.asOf
	expect(t, ts.do(req{method: "POST", path: "/v1/ingest/customers", role: "admin", body: "customer_id,name,credit_limit\n" + id + ",Blank Ltd,\n", ctype: "text/csv"}), 200)
	approved := asOf.AddDays(-10)
	body := fmt.Sprintf("decision_id,customer_id,decision_date,old_limit,new_limit,old_limit_blank\nCD-1,%s,%s,0.00,20000.00,true\n", id, approved)
	expect(t, ts.do(req{method: "POST", path: "/v1/ingest/credit_decisions", role: "admin", body: body, ctype: "text/csv"}), 200)
	ts.settle()
	for _, c := range []struct {
		asOf datasets.Date
		want string
	}{{approved.AddDays(-1), "null"}, {approved, "20000.00"}, {asOf, "20000.00"}} {
		w := ts.do(req{method: "GET", path: "/v1/customers/" + id + "?as_of=" + c.asOf.String(), role: "viewer"})
		expect(t, w, 200)
		var v struct {
			Customer map[string]json.RawMessage `json:"customer"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
			t.Fatal(err)
		}
		if got := string(v.Customer["credit_limit"]); got != c.want {
			t.Errorf("as of %s: credit_limit %s, want %s", c.asOf, got, c.want)
		}
	}
}

// undecidedCustomers are the ids of l's customers without a credit
// decision, in the master's order.
func undecidedCustomers(l *datasets.Ledger) []string {
	decided := map[string]bool{}
	for _, d := range l.CreditDecisions {
		decided[d.CustomerID] = true
	}
	var out []string
	for _, c := range l.Customers {
		if !decided[c.ID] {
			out = append(out, c.ID)
		}
	}
	return out
}
