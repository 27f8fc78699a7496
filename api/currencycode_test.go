package api

import (
	"fmt"
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/model"
	"github.com/dsopilot/dsopilot/recommender"
)

// TestANonCurrencyIsTheClientsFault: a currency that is no ISO 4217 code
// ("EURO") is checked as the importer checks it (datasets.ParseCurrency)
// before any rate is looked up, on every endpoint that takes one: a 422
// at the field. Ingest took it for a currency without a rate and
// answered a 503 missing-rate with Retry-After, telling the operator to
// retrain with a rates file that has EURO, a retry that never succeeds;
// a draft to score had a second error at its currency, about the model's
// rates.
func TestANonCurrencyIsTheClientsFault(t *testing.T) {
	fx := recommender.SimFX()
	reg := registryWithFXModel(t)
	ts := newTestServer(t, func(c *Config) { c.FX = &fx; c.Models = model.Registry{Dir: reg} })
	snap := ts.srv.snap.Load()
	if m := snap.model; m == nil || m.fx() == nil {
		t.Fatal("the model in service does not convert")
	}
	cust := snap.ledger.Customers[0].ID
	notCode := "not a currency code"
	for _, c := range []struct {
		entity, body, ctype string
		line                int
	}{
		{"invoices", "customer_id,invoice_id,issue_date,due_date,amount,currency\n" + cust + ",CUR-1,2024-03-01,2024-03-31,100.00,EURO\n", "text/csv", 2},
		{"payments", "payment_id,customer_id,invoice_id,payment_date,amount,currency\nCUR-P1," + cust + ",CUR-1,2024-03-10,10.00,Euro\n", "text/csv", 2},
		{"customers", "customer_id,segment,country,currency\nCUR-C1,smb,DE,EU\n", "text/csv", 2},
		{"invoices", `{"customer_id":"` + cust + `","invoice_id":"CUR-J1","issue_date":"2024-03-01","due_date":"2024-03-31","amount":100,"currency":"EURO"}` + "\n", "application/x-ndjson", 1},
	} {
		t.Run(c.entity+" "+c.ctype, func(t *testing.T) {
			w := ts.do(req{method: "POST", path: "/v1/ingest/" + c.entity, role: "admin", body: c.body, ctype: c.ctype})
			p := problemOf(t, w, 422)
			if w.Header().Get("Retry-After") != "" || strings.HasSuffix(p.Type, "missing-rate") || len(p.Errors) != 1 ||
				p.Errors[0].Line != c.line || p.Errors[0].Field != "currency" || !strings.Contains(p.Errors[0].Detail, notCode) {
				t.Fatalf("type %q, Retry-After %q, errors %+v: want a 422 at line %d's currency, %q", p.Type, w.Header().Get("Retry-After"), p.Errors, c.line, notCode)
			}
		})
	}
	t.Run("ingest with a currency without rate", func(t *testing.T) {
		// A body with both: the missing rate is the 503's, the EURO row
		// among the invalid ones a retry will not store.
		body := "customer_id,invoice_id,issue_date,due_date,amount,currency\n" +
			cust + ",CUR-2,2024-03-01,2024-03-31,100.00,EURO\n" +
			cust + ",CUR-3,2024-03-01,2024-03-31,100.00,CHF\n"
		p := problemOf(t, ts.do(req{method: "POST", path: "/v1/ingest/invoices", role: "admin", body: body, ctype: "text/csv"}), 503)
		if !strings.HasPrefix(p.Detail, "the server has no exchange rate for CHF:") || strings.Contains(p.Detail, "EURO") ||
			!strings.Contains(p.Detail, "1 other row is invalid") || len(p.Errors) != 2 ||
			p.Errors[1].Line != 2 || !strings.Contains(p.Errors[1].Detail, notCode) {
			t.Fatalf("detail %q, errors %+v", p.Detail, p.Errors)
		}
	})
	t.Run("score", func(t *testing.T) {
		body := fmt.Sprintf(`{"as_of":%q,"invoices":[{"invoice_id":"DRAFT-1","customer_id":%q,"issue_date":%q,"due_date":%q,"amount":100,"currency":"EURO"}]}`,
			snap.asOf, cust, snap.asOf, snap.asOf.AddDays(30))
		p := problemOf(t, ts.do(req{method: "POST", path: "/v1/score", role: "viewer", body: body}), 422)
		if len(p.Errors) != 1 || p.Errors[0].Where() != "/invoices/0/currency" || !strings.Contains(p.Errors[0].Detail, notCode) {
			t.Fatalf("errors %+v: want one at /invoices/0/currency, %q", p.Errors, notCode)
		}
	})
	for _, path := range []string{"/v1/kpi?from=2024-01-01&to=2024-03-31&currency=EURO", "/v1/forecast?currency=EURO", "/v1/forecast?currency=E1R"} {
		t.Run(path, func(t *testing.T) {
			p := problemOf(t, ts.do(req{method: "GET", path: path, role: "viewer"}), 422)
			if len(p.Errors) != 1 || p.Errors[0].Where() != "query:currency" || !strings.Contains(p.Errors[0].Detail, "want a 3-letter ISO 4217 code") {
				t.Fatalf("errors %+v", p.Errors)
			}
		})
	}
	// The codes are read as the importer reads them: any case, spaces around.
	expect(t, ts.do(req{method: "GET", path: "/v1/kpi?from=2024-01-01&to=2024-03-31&currency=%20eur", role: "viewer"}), 200)
}
