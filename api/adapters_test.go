package api

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/model/forecast"
	"github.com/dsopilot/dsopilot/recommender"
	"github.com/dsopilot/dsopilot/recommender/credit"
)

// TestModelForecasterServesTheForecast checks the wiring of model/forecast
// behind GET /v1/forecast: the served weeks are the package's own for the
// promoted model, a breakdown adds its groups, and a currency the server
// does not convert to is refused.
func TestModelForecasterServesTheForecast(t *testing.T) {
	const paths = 300
	fx := recommender.SimFX()
	ts := newTestServer(t, func(c *Config) { c.Forecast = NewModelForecaster(c.Models, &fx, paths) })
	snap := ts.srv.snap.Load()
	b, _, err := ts.cfg.Models.Load("")
	if err != nil {
		t.Fatal(err)
	}
	o, err := forecast.Options{AsOf: snap.asOf, Paths: paths, Seed: 1}.Validate()
	if err != nil {
		t.Fatal(err)
	}
	want, _, err := forecast.FromLedger(context.Background(), snap.ledger, b, &fx, o)
	if err != nil {
		t.Fatal(err)
	}
	got := decode[Forecast](t, ts.do(req{method: "GET", path: "/v1/forecast", role: "viewer"}))
	if got.Currency != "EUR" || len(got.Groups) != 1 || len(got.Groups[0].Weeks) != len(want.Weeks) {
		t.Fatalf("forecast %+v", got)
	}
	for k, w := range got.Groups[0].Weeks {
		ww := want.Weeks[k]
		if w.Open.Mean != ww.Open.Mean || w.Open.P10 != ww.Open.P10 || w.Open.P90 != ww.Open.P90 || w.New.P50 != ww.New.P50 ||
			w.Total != (Band{Mean: ww.Total.Mean, P10: ww.Total.P10, P50: ww.Total.P50, P90: ww.Total.P90}) ||
			w.Due == nil || *w.Due != want.DueSchedule[k].Amount || w.Start != ww.Start {
			t.Fatalf("week %d: served %+v, forecast %+v (due %v)", k+1, w, ww, want.DueSchedule[k].Amount)
		}
	}
	// The horizon's parts and the open book, as the CLI gives them.
	g := got.Groups[0]
	if g.TotalOpen.P50 != want.Total.Open.P50 || g.TotalNew.P90 != want.Total.New.P90 || g.Total.P10 != want.Total.Total.P10 ||
		got.Weeks != len(want.Weeks) || got.OpenBook.Outstanding != want.Book.Outstanding || got.OpenBook.Beyond != want.Book.Beyond ||
		got.OpenBook.Invoices != want.Book.Invoices || got.OpenBook.Invoices == 0 {
		t.Fatalf("served totals %+v and book %+v, forecast %+v and %+v", g, got.OpenBook, want.Total, want.Book)
	}
	seg := decode[Forecast](t, ts.do(req{method: "GET", path: "/v1/forecast?by=segment&weeks=4", role: "viewer"}))
	if len(seg.Groups) < 2 || seg.Groups[0].Key != "" || len(seg.Groups[1].Weeks) != 4 {
		t.Fatalf("by segment: %d groups %+v", len(seg.Groups), seg.Groups)
	}
	// Each group has its own due dates, and they add up to the portfolio's.
	for k := range 4 {
		var sum Amount
		for _, g := range seg.Groups[1:] {
			if g.Weeks[k].Due == nil {
				t.Fatalf("by segment: group %q week %d has no due dates", g.Key, k+1)
			}
			sum += *g.Weeks[k].Due
		}
		if p := seg.Groups[0].Weeks[k].Due; p == nil || *p != sum {
			t.Fatalf("by segment, week %d: the groups' due dates add to %v, the portfolio's %v", k+1, sum, p)
		}
	}
	// By customer, each named as the customer master names it.
	names := map[string]string{}
	for _, c := range snap.ledger.Customers {
		names[c.ID] = c.Name
	}
	byCust := decode[Forecast](t, ts.do(req{method: "GET", path: "/v1/forecast?by=customer&weeks=2", role: "viewer"}))
	if len(byCust.Groups) < 3 || byCust.Groups[0].Name != "" {
		t.Fatalf("by customer: %d groups, the portfolio's named %q", len(byCust.Groups), byCust.Groups[0].Name)
	}
	for _, g := range byCust.Groups[1:] {
		if g.Name == "" || g.Name != names[g.Key] {
			t.Errorf("by customer: %s named %q, the master says %q", g.Key, g.Name, names[g.Key])
		}
	}
	if got.Unconverted != nil {
		t.Errorf("every rate given, yet %+v left out", got.Unconverted)
	}
	problemOf(t, ts.do(req{method: "GET", path: "/v1/forecast?currency=USD", role: "viewer"}), 422)
	if len(got.Currencies) != 0 {
		t.Errorf("a converted forecast lists %v as added unconverted", got.Currencies)
	}
}

// A server without rates forecasts a multi-currency ledger in its own
// amounts, and says which currencies it added together unconverted, as
// the CLI's warning does.
func TestModelForecasterNamesTheCurrenciesItMixes(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.Forecast = NewModelForecaster(c.Models, nil, 300) })
	have := ts.srv.snap.Load().ledger.Currencies()
	if len(have) < 2 {
		t.Fatalf("the test ledger holds %v: the case needs several currencies", have)
	}
	got := decode[Forecast](t, ts.do(req{method: "GET", path: "/v1/forecast?weeks=4", role: "viewer"}))
	if got.Currency != "" || !slices.Equal(got.Currencies, have) {
		t.Fatalf("currency %q, currencies %v; want none and %v", got.Currency, got.Currencies, have)
	}
}

// TestCreditWorkflowOnTheServersStore runs the credit routes on the real
// workflow and the server's own embedded store: advice from the policy,
// four eyes and the role thresholds as 403, one decision written by the
// workflow (not a second one by the API), and the new limit in the
// snapshot after the reload the approval asks for.
func TestCreditWorkflowOnTheServersStore(t *testing.T) {
	roles := map[string]string{"admin": "finance_director"}
	ts := newTestServer(t, func(c *Config) {
		c.Credit = NewCreditWorkflow(credit.DefaultPolicy(), recommender.SimFX(), nil, roles, nil)
	})
	snap := ts.srv.snap.Load()
	cust := snap.ledger.Customers[0].ID
	adv := decode[CreditAdvice](t, ts.do(req{method: "GET", path: "/v1/customers/" + cust + "/credit-limit", role: "viewer"}))
	if adv.CustomerID != cust || adv.RiskClass == "" || len(adv.Reasons) == 0 || adv.AsOf != snap.asOf {
		t.Fatalf("advice %+v", adv)
	}
	// The PD and where it comes from, as credit suggest --json gives them.
	if adv.PD <= 0 || adv.PD > 1 || (adv.PDSource != "model" && adv.PDSource != "payment_model" && adv.PDSource != "segment" && adv.PDSource != "default") {
		t.Errorf("advice PD %v from %q: want a probability and its source", adv.PD, adv.PDSource)
	}
	propose := func(limit datasets.Money) Proposal {
		w := ts.do(req{method: "POST", path: "/v1/credit-proposals", role: "credit_manager",
			body: fmt.Sprintf(`{"customer_id":%q,"new_limit":%q,"reason":"growth"}`, cust, limit.String())})
		expect(t, w, 201)
		return decode[Proposal](t, w)
	}
	small := propose(snap.ledger.Customers[0].CreditLimit + 5_000_00)
	// The proposer's role is the key's (mapped as approvals map it), in
	// the answer and in the listed proposal alike.
	if small.Status != ProposalPending || small.ProposedBy != (Actor{Name: "test-credit_manager", Role: "credit_manager"}) || small.CustomerID != cust {
		t.Fatalf("proposal %+v", small)
	}
	pending := decode[ProposalList](t, ts.do(req{method: "GET", path: "/v1/credit-proposals?status=pending", role: "viewer"}))
	if len(pending.Proposals) != 1 || pending.Proposals[0].ProposedBy.Role != "credit_manager" {
		t.Fatalf("pending proposals %+v: want the proposer's role", pending)
	}
	// The proposer may not approve (four eyes).
	problemOf(t, ts.do(req{method: "POST", path: "/v1/credit-proposals/" + small.ID + "/approve", role: "credit_manager", body: `{}`}), 403)
	w := ts.do(req{method: "POST", path: "/v1/credit-proposals/" + small.ID + "/approve", role: "admin", body: `{"note":"ok"}`})
	expect(t, w, 200)
	d := decode[DecidedProposal](t, w)
	if d.Proposal.Status != ProposalApproved || d.Proposal.DecisionID == "" || d.CreditDecision == nil || d.CreditDecision.ID != d.Proposal.DecisionID {
		t.Fatalf("decided %+v, recorded %+v", d.Proposal, d.CreditDecision)
	}
	problemOf(t, ts.do(req{method: "POST", path: "/v1/credit-proposals/" + small.ID + "/reject", role: "admin", body: `{}`}), 409)
	list := decode[ProposalList](t, ts.do(req{method: "GET", path: "/v1/credit-proposals?status=approved", role: "viewer"}))
	if len(list.Proposals) != 1 || list.Proposals[0].ID != small.ID {
		t.Fatalf("approved proposals %+v", list)
	}
	waitFor(t, "the approved limit in the snapshot", func() bool {
		l := ts.srv.snap.Load().ledger
		i := slices.IndexFunc(l.Customers, func(c datasets.Customer) bool { return c.ID == cust })
		return i >= 0 && l.Customers[i].CreditLimit == small.ProposedLimit.Money()
	})
	l := ts.srv.snap.Load().ledger
	n := 0
	for _, cd := range l.CreditDecisions {
		if cd.ID == d.Proposal.DecisionID {
			n++
		}
		if cd.ID == "proposal-"+small.ID {
			t.Fatal("the API recorded a second decision beside the workflow's")
		}
	}
	if n != 1 {
		t.Fatalf("%d decisions %s in the ledger, want 1", n, d.Proposal.DecisionID)
	}
}

// A server with a reporting currency answers KPIs in it unless the query
// names another: never a silent sum of several currencies.
func TestKPIDefaultsToTheServersCurrency(t *testing.T) {
	fx := recommender.SimFX()
	ts := newTestServer(t, func(c *Config) { c.FX = &fx })
	def := decode[map[string]any](t, ts.do(req{method: "GET", path: "/v1/kpi?from=2024-01-01&to=2024-03-31", role: "viewer"}))
	eur := decode[map[string]any](t, ts.do(req{method: "GET", path: "/v1/kpi?from=2024-01-01&to=2024-03-31&currency=EUR", role: "viewer"}))
	if def["currency"] != "EUR" || def["dso"] != eur["dso"] || def["dso"] == nil {
		t.Fatalf("default: currency %v dso %v; with currency=EUR: dso %v", def["currency"], def["dso"], eur["dso"])
	}
}
