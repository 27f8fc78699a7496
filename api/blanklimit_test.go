package api

import (
	"encoding/json"
	"fmt"
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
	blank, zero := l.Customers[0].ID, l.Customers[1].ID
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
