package api

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/recommender"
	"github.com/dsopilot/dsopilot/recommender/credit"
)

// The credit-limit advice says where the current limit comes from (the
// customer master with no decision on record, a credit decision of the
// ledger, an approval of the workflow, with the day it was taken), which
// flags hold orders and whether any does.
func TestCreditAdviceSaysWhereTheLimitComesFromAndWhatHoldsOrders(t *testing.T) {
	pol := credit.DefaultPolicy()
	asOf := testFixture(t).asOf
	ts := newTestServer(t, func(c *Config) {
		w := NewCreditWorkflow(pol, recommender.SimFX(), nil, map[string]string{"admin": "finance_director"}, nil)
		// Decisions fall on the served day, as with a server's --as-of;
		// their audit times are the wall clock's.
		w.Day = func() datasets.Date { return asOf }
		c.Credit = w
	})
	l := ts.srv.snap.Load().ledger
	advice := func(id string) (CreditAdvice, map[string]any) {
		t.Helper()
		w := ts.do(req{method: "GET", path: "/v1/customers/" + id + "/credit-limit", role: "viewer"})
		expect(t, w, 200)
		var raw map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &raw); err != nil {
			t.Fatal(err)
		}
		return decode[CreditAdvice](t, w), raw
	}

	// The latest decision of each customer by the served day.
	last := map[string]datasets.Date{}
	for _, d := range l.CreditDecisions {
		if d.Date <= asOf {
			last[d.CustomerID] = max(last[d.CustomerID], d.Date)
		}
	}
	master, decided := "", ""
	for _, c := range l.Customers {
		if _, ok := last[c.ID]; !ok && master == "" {
			master = c.ID
		} else if ok && decided == "" {
			decided = c.ID
		}
	}
	if master == "" || decided == "" {
		t.Fatalf("the fixture needs a customer with a credit decision (%q) and one without (%q)", decided, master)
	}
	cases := []struct {
		id, source string
		set        datasets.Date
	}{
		{master, credit.LimitFromMaster, 0},
		{decided, credit.LimitFromDecision, last[decided]},
	}
	for _, c := range cases {
		a, raw := advice(c.id)
		if a.LimitSource != c.source || a.LimitSet != c.set || raw["limit_source"] != c.source {
			t.Fatalf("customer %s: limit_source %q set %v, want %q set %v", c.id, a.LimitSource, a.LimitSet, c.source, c.set)
		}
		if _, ok := raw["limit_set_date"]; ok != (c.set != 0) {
			t.Fatalf("customer %s: limit_set_date present %v, want it only with a decision: %v", c.id, ok, raw)
		}
		// The class is named as the credit policy's class of the PD,
		// apart from the worklist's class of lateness; risk_class stays,
		// the same value, for its readers.
		if cls, _ := raw["credit_risk_class"].(string); cls == "" || raw["risk_class"] != cls || a.CreditRiskClass != cls {
			t.Fatalf("customer %s: credit_risk_class %v, risk_class %v: want one class under both names", c.id, raw["credit_risk_class"], raw["risk_class"])
		}
		if !slices.ContainsFunc(a.Reasons, func(r string) bool { return strings.Contains(r, "credit risk class "+a.CreditRiskClass) }) {
			t.Fatalf("customer %s: no reason names the credit risk class: %q", c.id, a.Reasons)
		}
		// The current limit's own review date, beside the suggestion's.
		if _, ok := raw["limit_review_date"]; ok != (c.set != 0) || (c.set != 0 && a.LimitReview <= c.set) {
			t.Fatalf("customer %s: limit_review_date %v (present %v), want one after the decision of %v, none for the master's limit", c.id, a.LimitReview, ok, c.set)
		}
	}

	// Approved in the workflow, the master's limit is the approval's, at
	// once: the advice lays the approval over the snapshot, which reloads
	// only every few seconds (it showed the old limit beside the
	// approval's review date until then).
	i := slices.IndexFunc(l.Customers, func(c datasets.Customer) bool { return c.ID == master })
	started := time.Now().Add(-time.Second)
	gen := ts.srv.Generation()
	limit := l.Customers[i].CreditLimit + 5_000_00
	w := ts.do(req{method: "POST", path: "/v1/credit-proposals", role: "credit_manager",
		body: fmt.Sprintf(`{"customer_id":%q,"new_limit":%q,"reason":"growth"}`, master, limit.String())})
	expect(t, w, 201)
	p := decode[Proposal](t, w)
	aw := ts.do(req{method: "POST", path: "/v1/credit-proposals/" + p.ID + "/approve", role: "admin", body: `{}`})
	expect(t, aw, 200)
	approved := decode[struct {
		Proposal Proposal `json:"proposal"`
	}](t, aw).Proposal
	// The business day is the served day, the audit times the wall
	// clock's (they were the served day's, at the clock's time of day).
	if approved.Effective != asOf || approved.ProposedOn != asOf || approved.DecidedAt == nil ||
		approved.ProposedAt.Before(started) || approved.DecidedAt.Before(started) || time.Since(*approved.DecidedAt) > time.Minute {
		t.Fatalf("approved proposal: proposed %v on %v, decided %v effective %v: want the wall clock's times, on the served day %v",
			approved.ProposedAt, approved.ProposedOn, approved.DecidedAt, approved.Effective, asOf)
	}
	if a, _ := advice(master); a.LimitSource != credit.LimitFromApproval || a.LimitSet != asOf || a.Current == nil || a.Current.Money() != limit {
		t.Fatalf("after the approval: limit %v from %q set on %v, want %s from approval on %v", a.Current, a.LimitSource, a.LimitSet, limit, asOf)
	} else if a.LimitReview == 0 || a.LimitReview != approved.Review {
		t.Fatalf("after the approval: limit_review_date %v, want the approval's review date %v", a.LimitReview, approved.Review)
	}
	// The approval rereads the store: the advice of the new snapshot is
	// prepared anew (503 until then).
	waitFor(t, "the snapshot to reread the store", func() bool { return ts.srv.Generation() > gen })
	ts.creditPrepared()

	// Each flag says whether it holds orders, as the policy has it, and
	// orders_held whether any does: a customer with a blocking flag and,
	// when the fixture has one, one flagged for attention only.
	flagged, _, err := credit.Flags(l, asOf, pol, credit.Options{FX: recommender.SimFX()})
	if err != nil {
		t.Fatal(err)
	}
	var held, attention *credit.CustomerFlags
	for k := range flagged {
		if f := &flagged[k]; f.Blocked() && held == nil && f.CustomerID != master {
			held = f
		} else if !f.Blocked() && attention == nil && f.CustomerID != master {
			attention = f
		}
	}
	if held == nil {
		t.Fatal("the fixture has no customer whose orders a flag holds")
	}
	for _, want := range []*credit.CustomerFlags{held, attention} {
		if want == nil {
			continue
		}
		a, raw := advice(want.CustomerID)
		if raw["orders_held"] != want.Blocked() || a.OrdersHeld != want.Blocked() {
			t.Fatalf("customer %s: orders_held %v, want %v", want.CustomerID, raw["orders_held"], want.Blocked())
		}
		if len(a.Flags) != len(want.Flags) {
			t.Fatalf("customer %s: flags %+v, want %+v", want.CustomerID, a.Flags, want.Flags)
		}
		rawFlags, _ := raw["flags"].([]any)
		for k, f := range want.Flags {
			rf, _ := rawFlags[k].(map[string]any)
			if a.Flags[k].Kind != f.Kind || rf["blocks_orders"] != f.BlocksOrders {
				t.Fatalf("customer %s: flag %d %s blocks_orders %v, want %s %v", want.CustomerID, k, a.Flags[k].Kind, rf["blocks_orders"], f.Kind, f.BlocksOrders)
			}
		}
	}
}
