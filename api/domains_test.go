package api

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
)

// fakeCollections stands in for the recommender (issue 11).
type fakeCollections struct {
	list []NextAction
	last WorklistQuery
}

func (f *fakeCollections) Worklist(_ context.Context, q WorklistQuery) (*Worklist, error) {
	f.last = q
	out := &Worklist{Basis: "effects"}
	for _, a := range f.list {
		if (q.Collector == "" || a.Collector == q.Collector) && (q.Channel == "" || a.Channel == q.Channel) {
			if out.Total >= q.Offset && len(out.Actions) < q.Limit {
				out.Actions = append(out.Actions, a)
			}
			out.Total++
		}
	}
	return out, nil
}

func (f *fakeCollections) NextAction(_ context.Context, id string, d datasets.Date) (*NextAction, *ExcludedCustomer, error) {
	for _, a := range f.list {
		if a.CustomerID == id {
			a.Date = d
			return &a, nil, nil
		}
	}
	return nil, nil, nil
}

// fakeCredit stands in for the credit workflow (issue 12): a credit
// manager may approve up to 50,000.
type fakeCredit struct {
	mu    sync.Mutex
	props []Proposal
}

func (f *fakeCredit) CreditLimit(_ context.Context, id string, asOf datasets.Date) (*CreditAdvice, error) {
	return &CreditAdvice{CustomerID: id, AsOf: asOf, Currency: "EUR", Current: new(Amount(100000)), Suggested: 150000, RiskClass: "B",
		Reasons: []string{"pays on time"}, Flags: []CreditFlag{}}, nil
}

func (f *fakeCredit) Propose(_ context.Context, in ProposalInput, by Actor) (*Proposal, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := Proposal{ID: fmt.Sprintf("CP-%d", len(f.props)+1), CustomerID: in.CustomerID, Currency: "EUR", CurrentLimit: new(Amount(100000)),
		ProposedLimit: in.NewLimit, Reason: in.Reason, Status: ProposalPending, ProposedBy: by, ProposedAt: time.Unix(1700000000, 0).UTC()}
	f.props = append(f.props, p)
	return &p, nil
}

func (f *fakeCredit) Proposals(_ context.Context, status string) ([]Proposal, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Proposal
	for _, p := range f.props {
		if status == "" || p.Status == status {
			out = append(out, p)
		}
	}
	return out, nil
}

func (f *fakeCredit) Decide(_ context.Context, id string, d Decision, by Actor) (*Proposal, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	i := slices.IndexFunc(f.props, func(p Proposal) bool { return p.ID == id })
	if i < 0 {
		return nil, fmt.Errorf("%w: no proposal %q", ErrNotFound, id)
	}
	p := &f.props[i]
	if p.Status != ProposalPending {
		return nil, fmt.Errorf("%w: proposal %s is %s already", ErrConflict, id, p.Status)
	}
	if d.Approve && by.Role == RoleCreditManager.String() && p.ProposedLimit > 5_000_000 {
		return nil, fmt.Errorf("%w: %s may approve limits up to 50000.00", ErrForbidden, by.Role)
	}
	p.Status = ProposalRejected
	if d.Approve {
		p.Status = ProposalApproved
	}
	now := time.Unix(1700000100, 0).UTC()
	p.DecidedBy, p.DecidedAt, p.DecisionNote = &by, &now, d.Note
	return p, nil
}

// fakeForecast stands in for the cash forecast (issue 10).
type fakeForecast struct{}

func (fakeForecast) Forecast(_ context.Context, q ForecastQuery) (*Forecast, error) {
	g := ForecastGroup{Key: ""}
	for k := range q.Weeks {
		start := q.AsOf.AddDays(7*k + 1)
		due := Amount(1200)
		g.Weeks = append(g.Weeks, ForecastWeek{Start: start, End: start.AddDays(6), Open: Band{Mean: 1000, P10: 500, P50: 900, P90: 1500}, Due: &due})
	}
	return &Forecast{AsOf: q.AsOf, Currency: q.Currency, By: q.By, Groups: []ForecastGroup{g}}, nil
}

func TestNotWiredPartsAnswer503(t *testing.T) {
	ts := newTestServer(t, nil)
	cust := ts.srv.snap.Load().ledger.Customers[0].ID
	for _, r := range []req{
		{method: "GET", path: "/v1/worklist", role: "viewer"},
		{method: "GET", path: "/v1/customers/" + cust + "/next-action", role: "viewer"},
		{method: "GET", path: "/v1/customers/" + cust + "/credit-limit", role: "viewer"},
		{method: "GET", path: "/v1/credit-proposals", role: "viewer"},
		{method: "POST", path: "/v1/credit-proposals", role: "credit_manager", body: fmt.Sprintf(`{"customer_id":%q,"new_limit":10,"reason":"growth"}`, cust)},
		{method: "POST", path: "/v1/credit-proposals/CP-1/approve", role: "credit_manager", body: `{}`},
		{method: "POST", path: "/v1/credit-proposals/CP-1/reject", role: "credit_manager", body: `{}`},
		{method: "GET", path: "/v1/forecast", role: "viewer"},
		{method: "GET", path: "/reports/index.html", role: "viewer"},
	} {
		p := problemOf(t, ts.do(r), 503)
		if !strings.Contains(p.Detail, "not available in this build") {
			t.Errorf("%s %s: %q", r.method, r.path, p.Detail)
		}
	}
}

func TestCollectionsRoutes(t *testing.T) {
	fc := &fakeCollections{}
	ts := newTestServer(t, func(c *Config) { c.Collections = fc })
	snap := ts.srv.snap.Load()
	a := openInvoice(t, snap, 0)
	fc.list = []NextAction{
		{CustomerID: a.CustomerID, Collector: "anna", Type: "call", Channel: "phone", InvoiceIDs: []string{a.InvoiceID}, Amount: 12345,
			Currency: "EUR", ExpectedValue: ptrTo[Amount](2000), Uplift: ptrTo(0.1), UpliftLo: ptrTo(0.05), UpliftHi: ptrTo(0.15), Policy: "recommender", Propensity: 0.9, Step: "reminder", Reasons: []string{"overdue"}},
		{CustomerID: "other", Collector: "ben", Type: "reminder", Channel: "email", InvoiceIDs: []string{}, Policy: "holdout", Propensity: 0.1, Reasons: []string{}},
	}
	w := decode[Worklist](t, ts.do(req{method: "GET", path: "/v1/worklist?collector=anna&channel=PHONE&limit=5&date=2024-03-29", role: "viewer"}))
	if len(w.Actions) != 1 || w.Actions[0].Amount != 12345 || fc.last.Limit != 5 || fc.last.Date.String() != "2024-03-29" || fc.last.Channel != "phone" ||
		w.Total != 1 || w.Truncated || w.NextOffset != nil || w.Deferred == nil || w.Excluded == nil {
		t.Fatalf("worklist %+v, query %+v", w, fc.last)
	}
	// A limit that cuts the list says so, with the next page's offset.
	all := decode[Worklist](t, ts.do(req{method: "GET", path: "/v1/worklist?limit=1", role: "viewer"}))
	if len(all.Actions) != 1 || all.Total != 2 || !all.Truncated || all.NextOffset == nil || *all.NextOffset != 1 || all.Limit != 1 {
		t.Fatalf("limit 1 of 2: %+v", all)
	}
	next := decode[Worklist](t, ts.do(req{method: "GET", path: "/v1/worklist?limit=1&offset=1", role: "viewer"}))
	if len(next.Actions) != 1 || next.Actions[0].CustomerID != "other" || next.Truncated || next.NextOffset != nil || next.Offset != 1 {
		t.Fatalf("second page: %+v", next)
	}
	na := decode[NextActionView](t, ts.do(req{method: "GET", path: "/v1/customers/" + a.CustomerID + "/next-action", role: "viewer"}))
	if na.Action == nil || na.Action.Type != "call" || na.Date != snap.asOf {
		t.Fatalf("next action %+v", na)
	}
	quiet := snap.ledger.Customers[len(snap.ledger.Customers)-1].ID
	if na := decode[NextActionView](t, ts.do(req{method: "GET", path: "/v1/customers/" + quiet + "/next-action", role: "viewer"})); na.Action != nil {
		t.Fatalf("want no action, got %+v", na)
	}
	problemOf(t, ts.do(req{method: "GET", path: "/v1/customers/NOPE/next-action", role: "viewer"}), 404)
	problemOf(t, ts.do(req{method: "GET", path: "/v1/customers/" + a.CustomerID + "/next-action?date=soon", role: "viewer"}), 422)
	for _, tc := range []struct{ query, pointer string }{
		{"limit=0", "query:limit"}, {"limit=10001", "query:limit"}, {"offset=-1", "query:offset"},
		{"chanel=phone", "query:chanel"}, {"date=2024-02-31", "query:date"},
	} {
		p := problemOf(t, ts.do(req{method: "GET", path: "/v1/worklist?" + tc.query, role: "viewer"}), 422)
		if len(p.Errors) != 1 || p.Errors[0].Where() != tc.pointer {
			t.Errorf("%s: errors %+v, want one naming %s", tc.query, p.Errors, tc.pointer)
		}
	}
	problemOf(t, ts.do(req{method: "GET", path: "/v1/customers/" + a.CustomerID + "/next-action?as_of=2024-03-29", role: "viewer"}), 422)
	// On the wire a query parameter is "parameter", never a "pointer",
	// which is a JSON pointer into a body.
	bad := ts.do(req{method: "GET", path: "/v1/worklist?date=2024-02-31", role: "viewer"})
	problemOf(t, bad, 422)
	var raw struct{ Errors []map[string]string }
	if err := json.Unmarshal(bad.Body.Bytes(), &raw); err != nil || len(raw.Errors) != 1 {
		t.Fatalf("errors %s: %v", bad.Body.Bytes(), err)
	}
	if _, has := raw.Errors[0]["pointer"]; has || raw.Errors[0]["parameter"] != "date" {
		t.Errorf("query error on the wire: %v, want parameter date and no pointer", raw.Errors[0])
	}
}

// FieldError's JSON names a body field by pointer (even the whole body,
// "") and a query parameter by name.
func TestFieldErrorJSON(t *testing.T) {
	for _, c := range []struct {
		where, want string
	}{
		{"/invoices/3/due_date", `{"pointer":"/invoices/3/due_date","detail":"d"}`},
		{"", `{"pointer":"","detail":"d"}`},
		{"query:limit", `{"parameter":"limit","detail":"d"}`},
		{"query", `{"parameter":"*","detail":"d"}`},
		{"header:Idempotency-Key", `{"header":"Idempotency-Key","detail":"d"}`},
	} {
		fe := fieldAt(c.where, "d")
		b, err := json.Marshal(fe)
		if err != nil || string(b) != c.want {
			t.Errorf("%q: %s %v, want %s", c.where, b, err, c.want)
		}
		var back FieldError
		if err := json.Unmarshal(b, &back); err != nil || back.Where() != c.where {
			t.Errorf("%q: back as %q (%v)", c.where, back.Where(), err)
		}
	}
}

func TestCreditRoutes(t *testing.T) {
	fc := &fakeCredit{}
	ts := newTestServer(t, func(c *Config) { c.Credit = fc })
	snap := ts.srv.snap.Load()
	cust := snap.ledger.Customers[0].ID
	adv := decode[CreditAdvice](t, ts.do(req{method: "GET", path: "/v1/customers/" + cust + "/credit-limit", role: "viewer"}))
	if adv.Suggested != 150000 || adv.AsOf != snap.asOf {
		t.Fatalf("advice %+v", adv)
	}
	problemOf(t, ts.do(req{method: "GET", path: "/v1/customers/NOPE/credit-limit", role: "viewer"}), 404)
	problemOf(t, ts.do(req{method: "GET", path: "/v1/customers/" + cust + "/credit-limit?as_of=x", role: "viewer"}), 422)

	propose := func(limit string) Proposal {
		w := ts.do(req{method: "POST", path: "/v1/credit-proposals", role: "credit_manager", body: fmt.Sprintf(`{"customer_id":%q,"new_limit":%s,"reason":"growth"}`, cust, limit)})
		expect(t, w, 201)
		return decode[Proposal](t, w)
	}
	small, big := propose("20000"), propose(`"90,000.00"`)
	if small.ProposedBy.Name != "test-credit_manager" || big.ProposedLimit != 9_000_000 || small.Status != ProposalPending {
		t.Fatalf("proposals %+v %+v", small, big)
	}
	for _, body := range []string{`{"customer_id":"` + cust + `","new_limit":-1,"reason":"x"}`, `{"customer_id":"` + cust + `","new_limit":1}`, `{"new_limit":1,"reason":"x"}`} {
		problemOf(t, ts.do(req{method: "POST", path: "/v1/credit-proposals", role: "credit_manager", body: body}), 422)
	}
	problemOf(t, ts.do(req{method: "POST", path: "/v1/credit-proposals", role: "credit_manager", body: `{"customer_id":"NOPE","new_limit":1,"reason":"x"}`}), 404)
	list := decode[ProposalList](t, ts.do(req{method: "GET", path: "/v1/credit-proposals?status=pending", role: "viewer"}))
	if len(list.Proposals) != 2 {
		t.Fatalf("pending %+v", list)
	}
	problemOf(t, ts.do(req{method: "GET", path: "/v1/credit-proposals?status=maybe", role: "viewer"}), 422)
	// Beyond the credit manager's threshold: 403 from the workflow.
	problemOf(t, ts.do(req{method: "POST", path: "/v1/credit-proposals/" + big.ID + "/approve", role: "credit_manager", body: `{}`}), 403)
	w := ts.do(req{method: "POST", path: "/v1/credit-proposals/" + small.ID + "/approve", role: "credit_manager", body: `{"note":"ok"}`,
		header: map[string]string{"Idempotency-Key": "approve-1"}})
	expect(t, w, 200)
	d := decode[DecidedProposal](t, w)
	if d.Proposal.Status != ProposalApproved || d.Proposal.DecidedBy.Name != "test-credit_manager" || d.CreditDecision == nil || d.CreditDecision.State != "stored" {
		t.Fatalf("decided %+v", d)
	}
	// A retry with the same key gets the same answer; without it, a conflict.
	again := ts.do(req{method: "POST", path: "/v1/credit-proposals/" + small.ID + "/approve", role: "credit_manager", body: `{"note":"ok"}`,
		header: map[string]string{"Idempotency-Key": "approve-1"}})
	if again.Code != 200 || again.Body.String() != w.Body.String() {
		t.Fatalf("replayed approval %d", again.Code)
	}
	problemOf(t, ts.do(req{method: "POST", path: "/v1/credit-proposals/" + small.ID + "/approve", role: "credit_manager", body: `{}`}), 409)
	problemOf(t, ts.do(req{method: "POST", path: "/v1/credit-proposals/NOPE/reject", role: "credit_manager", body: `{}`}), 404)
	r := decode[DecidedProposal](t, ts.do(req{method: "POST", path: "/v1/credit-proposals/" + big.ID + "/reject", role: "admin", body: `{"note":"too much"}`}))
	if r.Proposal.Status != ProposalRejected || r.CreditDecision != nil {
		t.Fatalf("rejected %+v", r)
	}
	// The approved limit is a credit decision in the ledger.
	ts.settle()
	l := ts.srv.snap.Load().ledger
	i := slices.IndexFunc(l.CreditDecisions, func(c datasets.CreditDecision) bool { return c.ID == "proposal-"+small.ID })
	if i < 0 || l.CreditDecisions[i].NewLimit != 2_000_000 || l.CreditDecisions[i].DecidedBy != "test-credit_manager" {
		t.Fatal("approved limit not recorded")
	}
}

func TestForecastRoute(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.Forecast = fakeForecast{} })
	f := decode[Forecast](t, ts.do(req{method: "GET", path: "/v1/forecast?weeks=4&by=segment&currency=eur", role: "viewer"}))
	if len(f.Groups) != 1 || len(f.Groups[0].Weeks) != 4 || f.Currency != "EUR" || f.By != "segment" {
		t.Fatalf("forecast %+v", f)
	}
	for _, q := range []string{"weeks=14", "weeks=x", "by=planet", "currency=euros", "as_of=2024-99-01"} {
		problemOf(t, ts.do(req{method: "GET", path: "/v1/forecast?" + q, role: "viewer"}), 422)
	}
}

func ptrTo[T any](v T) *T { return &v }
