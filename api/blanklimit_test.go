package api

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/recommender"
	"github.com/dsopilot/dsopilot/recommender/credit"
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

// A blank credit_limit is no limit recorded: the credit-limit advice, the
// proposal made over it and the proposals' list give current_limit null,
// as the customer view's credit_limit, not 0.00 (no credit), which a
// written 0.00 still gives. (All three gave 0.00 beside limit_source
// not_recorded.)
func TestCreditResponsesGiveABlankLimitAsNull(t *testing.T) {
	asOf := testFixture(t).asOf
	ts := newTestServer(t, func(c *Config) {
		w := NewCreditWorkflow(credit.DefaultPolicy(), recommender.SimFX(), nil, map[string]string{"admin": "finance_director"}, nil)
		w.Day = func() datasets.Date { return asOf }
		c.Credit = w
	})
	undecided := undecidedCustomers(ts.srv.snap.Load().ledger)
	if len(undecided) < 2 {
		t.Fatal("the fixture has fewer than two customers without credit decisions")
	}
	blank, zero := undecided[0], undecided[1]
	body := fmt.Sprintf("customer_id,name,credit_limit\n%s,Blank Ltd,\n%s,Zero Ltd,0.00\n", blank, zero)
	expect(t, ts.do(req{method: "POST", path: "/v1/ingest/customers", role: "admin", body: body, ctype: "text/csv"}), 200)
	ts.settle()
	raw := func(w *httptest.ResponseRecorder) map[string]json.RawMessage {
		t.Helper()
		var v map[string]json.RawMessage
		if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, c := range []struct{ id, want, source string }{
		{blank, "null", credit.LimitNotRecorded}, {zero, "0.00", credit.LimitFromMaster},
	} {
		w := ts.do(req{method: "GET", path: "/v1/customers/" + c.id + "/credit-limit", role: "viewer"})
		expect(t, w, 200)
		v := raw(w)
		if got, src := string(v["current_limit"]), string(v["limit_source"]); got != c.want || src != `"`+c.source+`"` {
			t.Errorf("advice of %s: current_limit %s from %s, want %s from %s", c.id, got, src, c.want, c.source)
		}
		w = ts.do(req{method: "POST", path: "/v1/credit-proposals", role: "credit_manager",
			body: fmt.Sprintf(`{"customer_id":%q,"new_limit":"1000.00","reason":"first limit"}`, c.id)})
		expect(t, w, 201)
		if got := string(raw(w)["current_limit"]); got != c.want {
			t.Errorf("proposal for %s: current_limit %s, want %s", c.id, got, c.want)
		}
	}
	w := ts.do(req{method: "GET", path: "/v1/credit-proposals", role: "viewer"})
	expect(t, w, 200)
	var list struct {
		Proposals []map[string]json.RawMessage `json:"proposals"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &list); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, p := range list.Proposals {
		var id string
		_ = json.Unmarshal(p["customer_id"], &id)
		got[id] = string(p["current_limit"])
	}
	if got[blank] != "null" || got[zero] != "0.00" {
		t.Errorf("proposals' current_limit %v, want null for %s, 0.00 for %s", got, blank, zero)
	}
}
