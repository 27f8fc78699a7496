package api

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
	"github.com/dsopilot/dsopilot/model"
)

func TestOpenAPICoversEveryRoute(t *testing.T) {
	ts := newTestServer(t, nil)
	docJSON, err := ts.srv.openAPIDoc()
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Paths map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(docJSON, &d); err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for p, ops := range d.Paths {
		for m := range ops {
			if m != "parameters" {
				documented[strings.ToUpper(m)+" "+p] = true
			}
		}
	}
	served := map[string]bool{}
	for _, r := range ts.srv.engine.Routes() {
		served[r.Method+" "+openAPIPath(r.Path)] = true
	}
	for k := range served {
		if !documented[k] {
			t.Errorf("route %s is served but not in the OpenAPI document", k)
		}
	}
	for k := range documented {
		if !served[k] {
			t.Errorf("route %s is in the OpenAPI document but not served", k)
		}
	}
	if len(served) < 20 {
		t.Fatalf("only %d routes", len(served))
	}
	w := ts.do(req{method: "GET", path: "/openapi.json"})
	expect(t, w, http.StatusOK)
	if !strings.Contains(w.Body.String(), `"/v1/invoices/{id}/score"`) {
		t.Fatal("the served document lacks the score route")
	}
	// Amounts in requests are numbers or quoted decimals, not base64
	// bytes (AmountText is a json.RawMessage); every proposal state is
	// listed.
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]struct {
					Type   any    `json:"type"`
					Format string `json:"format"`
					OneOf  []struct {
						Type any `json:"type"`
					} `json:"oneOf"`
				} `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(w.Body.String(), `"format":"byte"`) {
		t.Error("the document has a base64 (format byte) field")
	}
	for _, name := range []string{"GivenInvoice", "PromiseInput", "DisputeInput"} {
		a := doc.Components.Schemas[name].Properties["amount"]
		if len(a.OneOf) != 2 || fmt.Sprintf("%v %v", a.OneOf[0].Type, a.OneOf[1].Type) != "number string" {
			t.Errorf("%s.amount: %+v, want a number or a string", name, a)
		}
	}
	if !strings.Contains(w.Body.String(), `"expired"`) {
		t.Error("the proposals' status filter does not list expired")
	}
}

func TestAuthentication(t *testing.T) {
	ts := newTestServer(t, nil)
	sc := openInvoice(t, ts.srv.snap.Load(), 0)
	path := "/v1/invoices/" + sc.InvoiceID + "/score"
	cases := []struct {
		name   string
		header map[string]string
		role   string
		method string
		path   string
		body   string
		status int
	}{
		{name: "no key", method: "GET", path: path, status: 401},
		{name: "not a key", role: "hello", method: "GET", path: path, status: 401},
		{name: "unknown key of the right shape", role: "dso_000000000000_" + strings.Repeat("A", 43), method: "GET", path: path, status: 401},
		{name: "key with a wrong secret", role: ts.keys["viewer"][:len(ts.keys["viewer"])-2] + "xx", method: "GET", path: path, status: 401},
		{name: "viewer reads", role: "viewer", method: "GET", path: path, status: 200},
		{name: "viewer may not record", role: "viewer", method: "POST", path: "/v1/actions", body: `{}`, status: 403},
		{name: "collector may not ingest", role: "collector", method: "POST", path: "/v1/ingest/invoices", body: "a,b\n", status: 403},
		{name: "credit manager may not promote", role: "credit_manager", method: "POST", path: "/v1/models/x/promote", body: `{}`, status: 403},
		{name: "collector may not propose limits", role: "collector", method: "POST", path: "/v1/credit-proposals", body: `{}`, status: 403},
		{name: "basic auth with the key as password", header: map[string]string{"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte("x:"+ts.keys["viewer"]))},
			method: "GET", path: path, status: 200},
		{name: "the scheme in lower case", header: map[string]string{"Authorization": "bearer " + ts.keys["viewer"]}, method: "GET", path: path, status: 200},
		{name: "open route needs no key", method: "GET", path: "/healthz", status: 200},
		{name: "report pages without a key", method: "GET", path: "/reports/index.html", status: 401},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := req{method: c.method, path: c.path, role: c.role, body: c.body, header: c.header}
			if strings.Contains(c.path, "ingest") {
				r.ctype = "text/csv"
			}
			w := ts.do(r)
			if c.status >= 400 {
				p := problemOf(t, w, c.status)
				if c.status == 401 {
					// A browser asks for credentials only on a Basic
					// challenge: the report pages send one, the API Bearer.
					want := `Bearer realm="dsopilot"`
					if strings.HasPrefix(c.path, "/reports") {
						want = `Basic realm="dsopilot reports"`
					}
					if got := w.Header().Values("WWW-Authenticate"); len(got) != 1 || got[0] != want {
						t.Fatalf("401 challenges %q, want %q", got, want)
					}
				}
				if strings.Contains(p.Detail, "dso_") {
					t.Fatalf("a problem quotes a key: %s", p.Detail)
				}
				return
			}
			expect(t, w, c.status)
		})
	}
	for _, k := range ts.keys {
		if strings.Contains(ts.logs.String(), k) {
			t.Fatal("a key is in the log")
		}
	}
}

func TestRateLimit(t *testing.T) {
	ts := newTestServer(t, func(c *Config) { c.RateLimit, c.RateBurst = 1, 3 })
	var last int
	var w429 = 0
	for i := 0; i < 6; i++ {
		w := ts.do(req{method: "GET", path: "/v1/models", role: "viewer"})
		last = w.Code
		if w.Code == http.StatusTooManyRequests {
			w429++
			problemOf(t, w, 429)
			if ra := w.Header().Get("Retry-After"); ra == "" || ra == "0" {
				t.Fatalf("429 with Retry-After %q", ra)
			}
		}
	}
	if w429 < 2 || last != 429 {
		t.Fatalf("%d of 6 requests limited at 1/s with bursts of 3", w429)
	}
	// Another key has its own budget.
	expect(t, ts.do(req{method: "GET", path: "/v1/models", role: "admin"}), 200)
}

func TestHealthAndReadiness(t *testing.T) {
	ts := newTestServer(t, nil)
	expect(t, ts.do(req{method: "GET", path: "/healthz"}), 200)
	r := decode[readiness](t, ts.do(req{method: "GET", path: "/readyz"}))
	if r.Model != testFixture(t).modelA || r.OpenScored == 0 || r.Invoices != len(testFixture(t).ledger.Invoices) {
		t.Fatalf("readiness %+v", r)
	}
	// Without a model the server answers but is not ready, and scoring says why.
	noModel := newTestServer(t, func(c *Config) { c.Models = emptyRegistry{} })
	p := problemOf(t, noModel.do(req{method: "GET", path: "/readyz"}), 503)
	if !strings.Contains(p.Detail, "no model") {
		t.Fatalf("readyz detail %q", p.Detail)
	}
	problemOf(t, noModel.do(req{method: "POST", path: "/v1/score", role: "viewer", body: `{"invoice_ids":["x"]}`}), 503)
	expect(t, noModel.do(req{method: "GET", path: "/v1/kpi", role: "viewer"}), 200)
}

// emptyRegistry has no model.
type emptyRegistry struct{}

func (emptyRegistry) List() ([]model.Meta, string, error) { return nil, "", nil }
func (emptyRegistry) Load(id string) (*model.Bundle, model.Meta, error) {
	return nil, model.Meta{}, model.ErrNoPromoted
}
func (emptyRegistry) Promote(id string) error   { return model.ErrNoModel }
func (emptyRegistry) Promoted() (string, error) { return "", model.ErrNoPromoted }

func TestUnknownRouteAndMethod(t *testing.T) {
	ts := newTestServer(t, nil)
	problemOf(t, ts.do(req{method: "GET", path: "/v1/nothing"}), 404)
	w := ts.do(req{method: "DELETE", path: "/v1/kpi", role: "viewer"})
	if w.Code != http.StatusMethodNotAllowed {
		t.Fatalf("DELETE /v1/kpi: %d", w.Code)
	}
}

func TestRequestIDs(t *testing.T) {
	ts := newTestServer(t, nil)
	w := ts.do(req{method: "GET", path: "/v1/customers/nobody", role: "viewer", header: map[string]string{"X-Request-ID": "trace-42"}})
	p := problemOf(t, w, 404)
	if p.RequestID != "trace-42" || w.Header().Get("X-Request-ID") != "trace-42" {
		t.Fatalf("request id %q / %q", p.RequestID, w.Header().Get("X-Request-ID"))
	}
	waitFor(t, "the access log line", func() bool { return strings.Contains(ts.logs.String(), `"request_id":"trace-42"`) })
	// A hostile id is replaced.
	w = ts.do(req{method: "GET", path: "/healthz", header: map[string]string{"X-Request-ID": "a\"b\nc"}})
	if id := w.Header().Get("X-Request-ID"); id == "" || strings.ContainsAny(id, "\"\n") {
		t.Fatalf("request id %q", id)
	}
	for _, line := range strings.Split(strings.TrimSpace(ts.logs.String()), "\n") {
		if strings.Contains(line, `"msg":"request"`) && !strings.Contains(line, `"request_id":`) {
			t.Fatalf("access log line without request id: %s", line)
		}
	}
}

func TestMetricsLabelRoutesNotPaths(t *testing.T) {
	ts := newTestServer(t, nil)
	sc := openInvoice(t, ts.srv.snap.Load(), 1)
	ts.do(req{method: "GET", path: "/v1/invoices/" + sc.InvoiceID + "/score", role: "viewer"})
	ts.do(req{method: "GET", path: "/v1/invoices/NOPE/score", role: "viewer"})
	w := ts.do(req{method: "GET", path: "/metrics"})
	expect(t, w, 200)
	m := w.Body.String()
	for _, want := range []string{
		`dsopilot_http_requests_total{method="GET",route="/v1/invoices/:id/score",status="200"} 1`,
		`dsopilot_http_requests_total{method="GET",route="/v1/invoices/:id/score",status="404"} 1`,
		`dsopilot_http_request_duration_seconds_bucket{method="GET",route="/v1/invoices/:id/score",status="200"`,
		`dsopilot_model_info{model_id="` + testFixture(t).modelA + `"} 1`,
		`dsopilot_spool_depth 0`, `dsopilot_scored_invoices_total{source="stored"} 1`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(m, sc.InvoiceID) || strings.Contains(m, "NOPE") {
		t.Fatal("a raw path is in the metrics")
	}
}

func TestModelsAndHotSwap(t *testing.T) {
	ts := newTestServer(t, nil)
	f := testFixture(t)
	list := decode[ModelList](t, ts.do(req{method: "GET", path: "/v1/models", role: "viewer"}))
	if list.Promoted != f.modelA || list.Serving != f.modelA || len(list.Models) != 2 {
		t.Fatalf("models %+v", list)
	}
	problemOf(t, ts.do(req{method: "POST", path: "/v1/models/none/promote", role: "admin", body: `{}`}), 404)
	sc := openInvoice(t, ts.srv.snap.Load(), 2)
	path := "/v1/invoices/" + sc.InvoiceID + "/score"
	// Requests run while the model is promoted; none may fail, and the
	// answers switch from A to B.
	stop := make(chan struct{})
	errs := make(chan error, 4)
	seen := make(chan string, 100000)
	for range 4 {
		go func() {
			for {
				select {
				case <-stop:
					errs <- nil
					return
				default:
				}
				hr, _ := http.NewRequest("GET", path, nil)
				hr.Header.Set("Authorization", "Bearer "+ts.keys["viewer"])
				w := httptest.NewRecorder()
				ts.srv.Handler().ServeHTTP(w, hr)
				if w.Code != 200 {
					errs <- fmt.Errorf("status %d during the swap: %s", w.Code, w.Body.String())
					return
				}
				seen <- decode[InvoiceScore](t, w).Model
			}
		}()
	}
	time.Sleep(100 * time.Millisecond)
	w := ts.do(req{method: "POST", path: "/v1/models/" + f.modelB + "/promote", role: "admin", body: `{}`})
	expect(t, w, 200)
	waitFor(t, "model B to score", func() bool { return ts.srv.snap.Load().modelID() == f.modelB })
	time.Sleep(100 * time.Millisecond)
	close(stop)
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	close(seen)
	models := map[string]int{}
	for m := range seen {
		models[m]++
	}
	if models[f.modelA] == 0 || models[f.modelB] == 0 {
		t.Fatalf("answers by model: %v", models)
	}
	// A promotion by the CLI (another process) is picked up by polling.
	if err := ts.srv.cfg.Models.Promote(f.modelA); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "model A back", func() bool { return ts.srv.snap.Load().modelID() == f.modelA })
}

func TestScoreStored(t *testing.T) {
	ts := newTestServer(t, nil)
	snap := ts.srv.snap.Load()
	a, b := openInvoice(t, snap, 0), openInvoice(t, snap, 5)
	w := ts.do(req{method: "GET", path: "/v1/invoices/" + a.InvoiceID + "/score?reasons=1", role: "viewer"})
	got := decode[InvoiceScore](t, w)
	if got.Score.InvoiceID != a.InvoiceID || got.Model != testFixture(t).modelA || len(got.Score.Reasons) > 1 || len(got.Score.PaidByWeek) != 13 {
		t.Fatalf("score %+v", got)
	}
	if s := got.Score.POnTime + got.Score.PLate1To30 + got.Score.PVeryLate; s < 0.999 || s > 1.001 {
		t.Fatalf("class split sums to %v", s)
	}
	resp := decode[ScoreResponse](t, ts.do(req{method: "POST", path: "/v1/score?reasons=0", role: "viewer",
		body: fmt.Sprintf(`{"invoice_ids":[%q,%q]}`, b.InvoiceID, a.InvoiceID)}))
	if len(resp.Scores) != 2 || resp.Scores[0].InvoiceID != b.InvoiceID || resp.Scores[1].InvoiceID != a.InvoiceID || resp.Scores[1].PLate != a.PLate {
		t.Fatalf("batch %+v", resp)
	}
	// As of another date the score is computed, not looked up; as of the
	// snapshot's date both paths agree.
	earlier := snap.asOf.AddDays(-10)
	w = ts.do(req{method: "GET", path: fmt.Sprintf("/v1/invoices/%s/score?as_of=%s", a.InvoiceID, snap.asOf), role: "viewer"})
	if decode[InvoiceScore](t, w).Score.PLate != a.PLate {
		t.Fatal("explicit as_of differs from the snapshot")
	}
	computed, err := snap.scoreCustomers(snap.asOf, 3, []string{a.CustomerID}, nil, nil, func(id string) bool { return id == a.InvoiceID })
	if err != nil || len(computed) != 1 || computed[0].PLate != a.PLate || computed[0].PayDate != a.PayDate {
		t.Fatalf("the per-customer path gives %+v (%v), the book %v", computed, err, a.PLate)
	}
	v, _ := findInvoice(snap.ledger, a.InvoiceID)
	w = ts.do(req{method: "GET", path: fmt.Sprintf("/v1/invoices/%s/score?as_of=%s", a.InvoiceID, earlier), role: "viewer"})
	if v.IssueDate <= earlier {
		if s := decode[InvoiceScore](t, w).Score; s.AsOf != earlier {
			t.Fatalf("as_of %s answered %s", earlier, s.AsOf)
		}
	} else {
		problemOf(t, w, 404)
	}
	// A settled invoice, an unknown one, bad parameters.
	var settled string
	for _, inv := range snap.ledger.Invoices {
		if inv.SettledDate != 0 && inv.SettledDate < snap.asOf {
			settled = inv.ID
			break
		}
	}
	cases := []struct {
		path   string
		status int
		want   string
	}{
		{"/v1/invoices/" + settled + "/score", 422, "was settled on"},
		{"/v1/invoices/NOPE/score", 404, "no invoice"},
		{"/v1/invoices/" + a.InvoiceID + "/score?reasons=99", 422, "reasons"},
		{"/v1/invoices/" + a.InvoiceID + "/score?reasons=x", 422, "reasons"},
		{"/v1/invoices/" + a.InvoiceID + "/score?as_of=2024-02-30", 422, "as_of"},
	}
	for _, c := range cases {
		p := problemOf(t, ts.do(req{method: "GET", path: c.path, role: "viewer"}), c.status)
		if !strings.Contains(p.Detail+fmt.Sprint(p.Errors), c.want) {
			t.Errorf("%s: %q lacks %q", c.path, p.Detail, c.want)
		}
	}
}

func TestScoreGiven(t *testing.T) {
	ts := newTestServer(t, nil)
	snap := ts.srv.snap.Load()
	a := openInvoice(t, snap, 3)
	v, _ := findInvoice(snap.ledger, a.InvoiceID)
	// A stored open invoice given in full scores exactly as stored.
	body := fmt.Sprintf(`{"invoices":[{"invoice_id":%q,"customer_id":%q,"issue_date":%q,"due_date":%q,"amount":%s,"currency":%q,"disputed":%v}]}`,
		v.ID, v.CustomerID, v.IssueDate, v.DueDate, v.Amount, v.Currency, v.Disputed)
	resp := decode[ScoreResponse](t, ts.do(req{method: "POST", path: "/v1/score", role: "viewer", body: body}))
	if len(resp.Scores) != 1 || resp.Scores[0].PLate != a.PLate || resp.Scores[0].PayDate != a.PayDate {
		t.Fatalf("given %+v, stored %+v", resp.Scores, a)
	}
	// Drafts: a new invoice of a known customer and one of a new customer
	// (cold start), an amount as a quoted decimal.
	body = fmt.Sprintf(`{"as_of":%q,"invoices":[
		{"invoice_id":"DRAFT-1","customer_id":%q,"issue_date":%q,"due_date":%q,"amount":"1,250.50"},
		{"invoice_id":"DRAFT-2","customer_id":"NEW-CUSTOMER","issue_date":%q,"due_date":%q,"amount":99.99,"segment":"enterprise","currency":%q}]}`,
		snap.asOf, v.CustomerID, snap.asOf, snap.asOf.AddDays(30), snap.asOf, snap.asOf.AddDays(45), v.Currency)
	resp = decode[ScoreResponse](t, ts.do(req{method: "POST", path: "/v1/score?reasons=2", role: "viewer", body: body}))
	if len(resp.Scores) != 2 || resp.Scores[0].InvoiceID != "DRAFT-1" || resp.Scores[1].InvoiceID != "DRAFT-2" {
		t.Fatalf("drafts %+v", resp.Scores)
	}
	if !resp.Scores[1].ColdStart || resp.Scores[0].ColdStart == resp.Scores[1].ColdStart && !a.ColdStart {
		t.Fatalf("cold start: %v %v", resp.Scores[0].ColdStart, resp.Scores[1].ColdStart)
	}
	if !slices.ContainsFunc(resp.Scores[1].Reasons, func(r Reason) bool { return r.Feature == "cold_start" }) {
		t.Fatal("a cold-start score does not say so in its reasons")
	}
	// A customer without history is described as such and scored on the
	// draft's segment prior, or the portfolio's without one: never a blank
	// segment with a made-up 0%.
	for _, c := range []struct{ segment, want string }{
		{"enterprise", "scored on the enterprise segment prior ("},
		{"", "no segment given, so scored on the portfolio prior ("},
	} {
		body := fmt.Sprintf(`{"as_of":%q,"invoices":[{"invoice_id":"DRAFT-N","customer_id":"NEW-2","issue_date":%q,"due_date":%q,"amount":500,"segment":%q,"currency":%q}]}`,
			snap.asOf, snap.asOf, snap.asOf.AddDays(30), c.segment, v.Currency)
		resp := decode[ScoreResponse](t, ts.do(req{method: "POST", path: "/v1/score?reasons=1", role: "viewer", body: body}))
		i := slices.IndexFunc(resp.Scores[0].Reasons, func(r Reason) bool { return r.Feature == "cold_start" })
		if i < 0 {
			t.Fatalf("segment %q: no cold-start reason in %+v", c.segment, resp.Scores[0].Reasons)
		}
		text := resp.Scores[0].Reasons[i].Text
		if !strings.HasPrefix(text, "new customer: no payment history, ") || !strings.Contains(text, c.want) || regexp.MustCompile(`\b0%|\( customers`).MatchString(text) {
			t.Errorf("segment %q: %q", c.segment, text)
		}
	}
	bad := []struct {
		name, body, ctype string
		status            int
		pointer           string
	}{
		{"not JSON", `{"invoice_ids":`, "", 400, ""},
		{"two values", `{} {}`, "", 400, ""},
		{"wrong type", `{"invoice_ids":"x"}`, "", 422, "/invoice_ids"},
		{"unknown field", `{"invoice_idz":["x"]}`, "", 422, "/invoice_idz"},
		{"unknown field in an invoice", `{"invoices":[{"invoice_id":"b","customer_id":"c","issue_date":"2024-01-10","due_date":"2024-02-01","amount":1,"colour":"red"}]}`, "", 422, "/invoices/0/colour"},
		{"wrong type in an invoice", `{"invoices":[{"invoice_id":"b","customer_id":"c","issue_date":"2024-01-10","due_date":"2024-02-01","amount":1,"disputed":"yes"}]}`, "", 422, "/invoices/0/disputed"},
		{"neither", `{}`, "", 422, ""},
		{"both", `{"invoice_ids":["a"],"invoices":[{"invoice_id":"b"}]}`, "", 422, ""},
		{"bad fields", `{"invoices":[{"invoice_id":"b","customer_id":"c","issue_date":"2024-01-10","due_date":"2024-01-01","amount":"x"}]}`, "", 422, "/invoices/0/amount"},
		{"due before issue", `{"invoices":[{"invoice_id":"b","customer_id":"c","issue_date":"2024-01-10","due_date":"2024-01-01","amount":1}]}`, "", 422, "/invoices/0/due_date"},
		{"negative", `{"invoices":[{"invoice_id":"b","customer_id":"c","issue_date":"2024-01-10","due_date":"2024-02-01","amount":"-5.00"}]}`, "", 422, "/invoices/0/amount"},
		{"owes nothing", `{"invoices":[{"invoice_id":"b","customer_id":"c","issue_date":"2024-01-10","due_date":"2024-02-01","amount":"0.00"}]}`, "", 422, "/invoices/0/amount"},
		{"issued after as_of", fmt.Sprintf(`{"invoices":[{"invoice_id":"b","customer_id":"c","issue_date":%q,"due_date":%q,"amount":1}]}`, snap.asOf.AddDays(1), snap.asOf.AddDays(9)), "", 422, "/invoices/0/issue_date"},
		{"duplicate ids", `{"invoices":[{"invoice_id":"b","customer_id":"c","issue_date":"2024-01-10","due_date":"2024-02-01","amount":1},{"invoice_id":"b","customer_id":"c","issue_date":"2024-01-10","due_date":"2024-02-01","amount":1}]}`, "", 422, "/invoices/1/invoice_id"},
		{"unknown ids", `{"invoice_ids":["nope"]}`, "", 422, "/invoice_ids/0"},
		{"too many", `{"invoice_ids":[` + strings.Repeat(`"x",`, maxScoreBatch) + `"x"]}`, "", 422, ""},
		{"wrong content type", `{"invoice_ids":["a"]}`, "text/plain", 415, ""},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			p := problemOf(t, ts.do(req{method: "POST", path: "/v1/score", role: "viewer", body: c.body, ctype: c.ctype}), c.status)
			if c.pointer != "" && !slices.ContainsFunc(p.Errors, func(e FieldError) bool { return e.Where() == c.pointer }) {
				t.Fatalf("errors %+v lack %s", p.Errors, c.pointer)
			}
			// The API reads no files: no advice of flags (a trial's
			// negative draft was told to pass --columns).
			if strings.Contains(p.Detail, "--") || slices.ContainsFunc(p.Errors, func(e FieldError) bool { return strings.Contains(e.Detail, "--") }) {
				t.Fatalf("a command-line flag in an API error: %+v", p)
			}
		})
	}
	small := newTestServer(t, func(c *Config) { c.MaxBodyBytes = 100 })
	problemOf(t, small.do(req{method: "POST", path: "/v1/score", role: "viewer", body: `{"invoice_ids":["` + strings.Repeat("x", 200) + `"]}`}), 413)
}

func TestCustomerAndKPI(t *testing.T) {
	ts := newTestServer(t, nil)
	snap := ts.srv.snap.Load()
	a := openInvoice(t, snap, 0)
	w := ts.do(req{method: "GET", path: "/v1/customers/" + a.CustomerID, role: "viewer"})
	v := decode[CustomerView](t, w)
	if v.Customer.ID != a.CustomerID || !v.Customer.InMaster || len(v.Features) < 20 || len(v.OpenItems) == 0 || v.Scores.Scored != len(snap.byCustomer[a.CustomerID]) {
		t.Fatalf("customer view %+v", v)
	}
	var sum datasets.Money
	for _, it := range v.OpenItems {
		if it.Score == nil || it.Outstanding <= 0 || it.Outstanding > it.Amount {
			t.Fatalf("open item %+v", it)
		}
		sum += datasets.Money(it.Outstanding)
	}
	var total datasets.Money
	for _, o := range v.Scores.Outstanding {
		total += datasets.Money(o.Amount)
	}
	if total != sum || v.KPIs.Days != 90 {
		t.Fatalf("outstanding %v vs items %v; KPI days %d", total, sum, v.KPIs.Days)
	}
	// The customer's KPIs equal its line of the portfolio's KPIs by customer.
	rep := decode[KPIView](t, ts.do(req{method: "GET", path: "/v1/kpi?by=customer", role: "viewer"}))
	i := slices.IndexFunc(rep.Groups, func(g features.KPIGroup) bool { return g.Key == a.CustomerID })
	j1, _ := json.Marshal(v.KPIs)
	var j2 []byte
	if i >= 0 {
		j2, _ = json.Marshal(rep.Groups[i].KPIs)
	}
	if i < 0 || string(j1) != string(j2) {
		t.Fatalf("customer KPIs %+v\nportfolio's line %+v", v.KPIs, rep.Groups[i].KPIs)
	}
	problemOf(t, ts.do(req{method: "GET", path: "/v1/customers/NOPE", role: "viewer"}), 404)
	problemOf(t, ts.do(req{method: "GET", path: "/v1/customers/" + a.CustomerID + "?from=2024-03-01&to=2024-01-01", role: "viewer"}), 422)
	problemOf(t, ts.do(req{method: "GET", path: "/v1/customers/" + a.CustomerID + "?as_of=x", role: "viewer"}), 422)

	k := decode[KPIView](t, ts.do(req{method: "GET", path: "/v1/kpi?from=2024-01-01&to=2024-03-31&monthly=true&by=segment", role: "viewer"}))
	if k.From != "2024-01-01" || len(k.Months) != 3 || len(k.Groups) == 0 || len(k.Currencies) < 2 {
		t.Fatalf("kpi %+v", k)
	}
	// By collector (features' tests hold the groups to the Go and SQL
	// engines): the fixture's customers have no collector, so one group,
	// "", with the portfolio's KPIs.
	kc := decode[KPIView](t, ts.do(req{method: "GET", path: "/v1/kpi?from=2024-01-01&to=2024-03-31&by=collector", role: "viewer"}))
	whole, _ := json.Marshal(kc.KPIs)
	if len(kc.Groups) != 1 || kc.Groups[0].Key != "" {
		t.Fatalf("kpi by collector: %d groups, want one, \"\"", len(kc.Groups))
	}
	if g, _ := json.Marshal(kc.Groups[0].KPIs); string(g) != string(whole) {
		t.Fatalf("kpi by collector: the one group's KPIs %s, want the portfolio's %s", g, whole)
	}
	for _, q := range []string{"by=planet", "from=2024-04-01&to=2024-01-01", "monthly=maybe", "currency=EURO", "currency=JPY", "to=2024-13-01"} {
		p := problemOf(t, ts.do(req{method: "GET", path: "/v1/kpi?" + q, role: "viewer"}), 422)
		if len(p.Errors) == 0 {
			t.Errorf("%s: no field errors", q)
		}
	}
	// With the server's rates the KPIs are in one currency.
	withFX := newTestServer(t, func(c *Config) {
		c.FX = &datasets.FX{To: "EUR", Rates: map[string]datasets.Rate{}}
		for _, cur := range testFixture(t).ledger.Currencies() {
			one, _ := datasets.ParseRate("1")
			c.FX.Rates[cur] = one
		}
	})
	k = decode[KPIView](t, withFX.do(req{method: "GET", path: "/v1/kpi?currency=eur", role: "viewer"}))
	if k.Currency != "EUR" || len(k.Currencies) != 0 {
		t.Fatalf("converted kpi %+v", k)
	}
}

// A query parameter the route does not take is a 422 naming it, not
// ignored: POST /v1/score?as_of= used to score as of the served date.
func TestUnknownQueryParametersAreRefused(t *testing.T) {
	ts := newTestServer(t, nil)
	sc := openInvoice(t, ts.srv.snap.Load(), 0)
	for _, c := range []struct {
		method, path, body, param, want string
	}{
		{"POST", "/v1/score?as_of=2024-02-29", fmt.Sprintf(`{"invoice_ids":[%q]}`, sc.InvoiceID), "query:as_of", "want reasons"},
		{"GET", "/v1/kpi?from=2024-01-01&to=2024-03-31&foo=1", "", "query:foo", "want from, to, by, currency, monthly"},
		{"GET", "/v1/invoices/" + sc.InvoiceID + "/score?asof=2024-02-29", "", "query:asof", "want as_of, reasons"},
	} {
		p := problemOf(t, ts.do(req{method: c.method, path: c.path, role: "viewer", body: c.body}), 422)
		if len(p.Errors) != 1 || p.Errors[0].Where() != c.param || !strings.Contains(p.Errors[0].Detail, c.want) ||
			!strings.Contains(p.Detail, "parameter "+strings.TrimPrefix(c.param, "query:")+": ") {
			t.Errorf("%s %s: %+v, want one error on %s saying %q", c.method, c.path, p, c.param, c.want)
		}
	}
	expect(t, ts.do(req{method: "GET", path: "/v1/invoices/" + sc.InvoiceID + "/score?reasons=2", role: "viewer"}), 200)
}
