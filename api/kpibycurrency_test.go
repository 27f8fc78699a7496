package api

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
	"github.com/dsopilot/dsopilot/recommender"
)

// TestKPIsByCurrencyKeepEachCurrency: a server with complete rates
// answered by=currency with one group, its reporting currency's, since
// every invoice had been converted before grouping; each currency must be
// its own group, in its own currency, whether the server's rates are
// complete or not, and a client asking to convert them is told why not.
func TestKPIsByCurrencyKeepEachCurrency(t *testing.T) {
	fx := recommender.SimFX()
	ts := newTestServer(t, func(c *Config) { c.FX = &fx })
	snap := ts.srv.snap.Load()
	have := snap.ledger.Currencies()
	if len(have) < 2 {
		t.Fatalf("the test ledger's currencies %v: the case needs several", have)
	}
	const period = "/v1/kpi?from=2024-01-01&to=2024-03-31"
	v := decode[KPIView](t, ts.do(req{method: "GET", path: period + "&by=currency", role: "viewer"}))
	var keys []string
	for _, g := range v.Groups {
		keys = append(keys, g.Key)
	}
	slices.Sort(keys)
	if !reflect.DeepEqual(keys, have) {
		t.Errorf("groups %v, want one per ledger currency %v", keys, have)
	}
	want, err := features.ComputeKPIsWith(features.NewIndex(snap.ledger), datasets.NewDate(2024, 1, 1), datasets.NewDate(2024, 3, 31), features.KPIOptions{By: "currency"})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(v.Groups, want.Groups) {
		t.Errorf("groups by currency: %+v\nwant the ledger's unconverted %+v", v.Groups, want.Groups)
	}
	if !slices.ContainsFunc(v.Warnings, func(w string) bool {
		return strings.Contains(w, "each currency's KPIs are in that currency") && strings.Contains(w, "without by=currency for the portfolio in "+fx.To)
	}) {
		t.Errorf("no warning that the portfolio adds currencies up: %q", v.Warnings)
	}
	// Not grouped by currency, the server's currency converts as before.
	all := decode[KPIView](t, ts.do(req{method: "GET", path: period, role: "viewer"}))
	if all.Currency != fx.To || len(all.Currencies) != 0 {
		t.Errorf("portfolio KPIs in %q (currencies %v), want %s converted", all.Currency, all.Currencies, fx.To)
	}
	p := problemOf(t, ts.do(req{method: "GET", path: period + "&by=currency&currency=" + fx.To, role: "viewer"}), 422)
	if !slices.ContainsFunc(p.Errors, func(e FieldError) bool {
		return e.Parameter == "currency" && strings.Contains(e.Detail, "by=currency reports each currency in its own")
	}) {
		t.Errorf("by=currency&currency=%s: %+v", fx.To, p)
	}
}
