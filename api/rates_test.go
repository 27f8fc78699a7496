package api

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
	"github.com/dsopilot/dsopilot/recommender"
	"github.com/dsopilot/dsopilot/recommender/credit"
)

// TestAMissingServerRateIsTheServersFault: a server whose rates (serve
// --fx) lack a currency its ledger's customers are in answers the routes
// that need that rate with a 503 of type missing-rate naming the currency
// and what the operator has to give (they answered 422, a client error,
// though no request could mend it), and logs it for the operator; a
// currency the client names itself without rates stays a 422.
func TestAMissingServerRateIsTheServersFault(t *testing.T) {
	full := recommender.SimFX()
	have := testFixture(t).ledger.Currencies()
	i := slices.IndexFunc(have, func(c string) bool { _, ok := full.Rates[c]; return ok && c != full.To })
	if i < 0 {
		t.Fatalf("the test ledger's currencies %v: the case needs one with a rate to %s", have, full.To)
	}
	gone := have[i]
	fx := datasets.FX{To: full.To, Rates: maps.Clone(full.Rates)}
	delete(fx.Rates, gone)
	ts := newTestServer(t, func(c *Config) {
		c.FX = &fx
		c.Forecast = NewModelForecaster(c.Models, &fx, 100)
		c.Collections = NewRecommenderCollections(recommender.NewDaily(recommender.RecommendOptions{FX: fx, Holdout: -1, Seed: 1}))
		c.Credit = NewCreditWorkflow(credit.DefaultPolicy(), fx, nil, nil, nil)
	})
	snap := ts.srv.snap.Load()
	k := slices.IndexFunc(snap.ledger.Customers, func(c datasets.Customer) bool { return c.Currency == gone })
	if k < 0 {
		t.Fatalf("no customer in %s", gone)
	}
	cust := snap.ledger.Customers[k].ID
	k = slices.IndexFunc(snap.ledger.Customers, func(c datasets.Customer) bool { return c.Currency == fx.To })
	if k < 0 {
		t.Fatalf("no customer in %s", fx.To)
	}
	inTo := snap.ledger.Customers[k].ID
	for _, tc := range []struct {
		name, method, path, body string
	}{
		{"kpi in the server's currency", "GET", "/v1/kpi?from=2024-01-01&to=2024-03-31", ""},
		{"kpi naming it", "GET", "/v1/kpi?from=2024-01-01&to=2024-03-31&currency=" + fx.To, ""},
		{"worklist", "GET", "/v1/worklist?date=" + snap.asOf.String(), ""},
		{"next action of a customer in " + fx.To, "GET", "/v1/customers/" + inTo + "/next-action", ""},
		{"credit limit", "GET", "/v1/customers/" + cust + "/credit-limit", ""},
		{"credit proposal", "POST", "/v1/credit-proposals", fmt.Sprintf(`{"customer_id":%q,"new_limit":1000,"reason":"growth"}`, cust)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			role := "viewer"
			if tc.method == "POST" {
				role = "credit_manager"
			}
			w := ts.do(req{method: tc.method, path: tc.path, role: role, body: tc.body})
			p := problemOf(t, w, 503)
			t.Log(p.Detail)
			if p.Type != problemTypeBase+"missing-rate" {
				t.Errorf("type %q, want %smissing-rate", p.Type, problemTypeBase)
			}
			// When to ask again, as every 503 the server can tell it for.
			if ra := w.Header().Get("Retry-After"); ra != "300" {
				t.Errorf("Retry-After %q, want 300", ra)
			}
			if want := "--fx FILE holding a rate for " + gone; !strings.Contains(p.Detail, want) || !strings.HasPrefix(p.Detail, "the server has no exchange rate to "+fx.To+" for "+gone+":") && !strings.Contains(p.Detail, ": the server has no exchange rate to "+fx.To+" for "+gone+":") {
				t.Errorf("detail %q, want it to name %s and say %q", p.Detail, gone, want)
			}
			// A record to look at, as the forecast's detail gives (the
			// worklist's named none: "934 amounts"); the credit advice's
			// is the customer asked about.
			if !strings.Contains(p.Detail, "e.g. ") && !strings.Contains(p.Detail, "customer "+cust+":") {
				t.Errorf("detail %q names no record in %s", p.Detail, gone)
			}
		})
	}
	// The forecast leaves the invoices in that currency out and names them
	// (a minority of its open book: more would be a 503 too).
	fc := decode[Forecast](t, ts.do(req{method: "GET", path: "/v1/forecast?weeks=4", role: "viewer"}))
	if u := fc.Unconverted; u == nil || len(u.Currencies) != 1 || u.Currencies[0].Currency != gone || u.Currencies[0].OpenInvoices == 0 ||
		u.Currencies[0].Outstanding <= 0 || len(u.Currencies[0].Examples) == 0 || u.BookInvoices != fc.OpenBook.Invoices {
		t.Errorf("forecast: unconverted %+v, want the open invoices in %s named beside the %d forecast", u, gone, fc.OpenBook.Invoices)
	}
	if logs := ts.logs.String(); !strings.Contains(logs, "request needs an exchange rate the server was not given") {
		t.Errorf("the server's log does not tell the operator:\n%s", logs)
	}
	// Ready (scores, customers and the other answers stand), but /readyz
	// and the log at start name the rate missing: it said ready with no
	// warning while these answers were 503.
	r := decode[readiness](t, ts.do(req{method: "GET", path: "/readyz"}))
	if want := "lack " + gone + ", a currency of the ledger"; r.Status != "ready" || !slices.ContainsFunc(r.Warnings, func(w string) bool {
		return strings.Contains(w, want) && strings.Contains(w, "--fx FILE holding a rate for "+gone) &&
			strings.Contains(w, "(the KPIs, the worklist") && strings.Contains(w, "the forecast leaves them out and names them") &&
			strings.Contains(w, "the scores, the customers with their KPIs in their own currencies, and the KPIs grouped by currency (by=currency, each currency in its own, unconverted) still answer")
	}) {
		t.Errorf("readyz %+v: want ready, warning %q", r, want)
	}
	if logs := ts.logs.String(); !strings.Contains(logs, "lack "+gone+", a currency of the ledger") {
		t.Errorf("the log does not warn of the rate missing at start:\n%s", logs)
	}
	// What the warning says still answers does: the customer in the
	// currency without a rate, its KPIs unconverted.
	v := decode[CustomerView](t, ts.do(req{method: "GET", path: "/v1/customers/" + cust + "?from=2024-01-01&to=2024-03-31", role: "viewer"}))
	if v.KPIs == nil && len(v.KPIsByCurrency) == 0 || v.KPIs != nil && v.KPIsCurrency != gone {
		t.Errorf("customer %s in %s: kpis %v in %q, by currency %v", cust, gone, v.KPIs, v.KPIsCurrency, v.KPIsByCurrency)
	}
	// The KPIs grouped by currency need no rate: they answer, each
	// currency in its own (they were a 503 for a conversion nobody asked
	// for), and say why they are not converted.
	byCur := decode[KPIView](t, ts.do(req{method: "GET", path: "/v1/kpi?from=2024-01-01&to=2024-03-31&by=currency", role: "viewer"}))
	keys := []string{}
	for _, g := range byCur.Groups {
		keys = append(keys, g.Key)
	}
	if byCur.Currency != "" || !slices.Contains(keys, gone) || !slices.Contains(keys, fx.To) || !slices.Contains(byCur.Currencies, gone) ||
		!slices.ContainsFunc(byCur.Warnings, func(w string) bool {
			return strings.Contains(w, "not converted to "+fx.To+": the server's rates (--fx) lack "+gone) && strings.Contains(w, "--fx FILE holding a rate for "+gone)
		}) {
		t.Errorf("kpi by currency without the rate of %s: currency %q, groups %v, currencies %v, warnings %q", gone, byCur.Currency, keys, byCur.Currencies, byCur.Warnings)
	}
	// Each group is its own currency's KPIs, the ledger's unconverted.
	want, err := features.ComputeKPIsWith(features.NewIndex(snap.ledger), datasets.NewDate(2024, 1, 1), datasets.NewDate(2024, 3, 31), features.KPIOptions{By: "currency"})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(byCur.Groups, want.Groups) {
		t.Errorf("groups by currency: %+v\nwant the ledger's unconverted %+v", byCur.Groups, want.Groups)
	}
	// A currency the client chose, which the server has no rates to: the
	// request is at fault.
	p := problemOf(t, ts.do(req{method: "GET", path: "/v1/kpi?from=2024-01-01&to=2024-03-31&currency=JPY", role: "viewer"}), 422)
	if p.Type != problemTypeBase+"invalid" || len(p.Errors) != 1 || p.Errors[0].Parameter != "currency" {
		t.Errorf("currency=JPY: %+v", p)
	}
}
