package api

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
	"github.com/dsopilot/dsopilot/model"
	"github.com/dsopilot/dsopilot/recommender"
)

var (
	fxModelOnce sync.Once
	fxModelDir  string
	fxModelErr  error
)

// registryWithFXModel is a copy of the fixture's registry where the
// promoted model learned in SimFX's currency at SimFX's rates (trained
// once for the package).
func registryWithFXModel(t *testing.T) string {
	t.Helper()
	f := testFixture(t)
	fxModelOnce.Do(func() {
		dir, err := os.MkdirTemp("", "dsopilot-api-fxmodel-")
		if err != nil {
			fxModelErr = err
			return
		}
		fxModelDir = filepath.Join(dir, "models")
		if fxModelErr = os.CopyFS(fxModelDir, os.DirFS(f.registry)); fxModelErr != nil {
			return
		}
		fx := recommender.SimFX()
		conv, err := f.ledger.Convert(fx)
		if err != nil {
			fxModelErr = err
			return
		}
		b, err := model.Train(context.Background(), features.NewIndex(conv), model.TrainOptions{AsOf: f.asOf, Seed: 3,
			Families: []string{model.FamilyLogistic}, FX: &fx})
		if err != nil {
			fxModelErr = err
			return
		}
		reg := model.Registry{Dir: fxModelDir}
		m, err := reg.Register(b, model.Fingerprint(f.ledger), "test", time.Unix(0, 0))
		if err != nil {
			fxModelErr = err
			return
		}
		fxModelErr = reg.Promote(m.ID)
	})
	if fxModelErr != nil {
		t.Fatalf("model learned in %s: %v", recommender.SimFX().To, fxModelErr)
	}
	dst := filepath.Join(t.TempDir(), "models")
	if err := os.CopyFS(dst, os.DirFS(fxModelDir)); err != nil {
		t.Fatal(err)
	}
	return dst
}

// TestKPIsAreAtTheServersRates: the KPIs in the server's currency are at
// the server's rates (serve --fx), whatever the promoted model learned
// at. A model learned in the same currency had its conversion of the
// ledger cached as the KPIs', so a server whose rates lacked a currency
// of the ledger answered 200 with the model's figures instead of a 503
// missing-rate, and one with other rates the model's figures too.
func TestKPIsAreAtTheServersRates(t *testing.T) {
	f := testFixture(t)
	full := recommender.SimFX()
	have := f.ledger.Currencies()
	i := slices.IndexFunc(have, func(c string) bool { _, ok := full.Rates[c]; return ok && c != full.To })
	if i < 0 {
		t.Fatalf("the test ledger's currencies %v: the case needs one with a rate to %s", have, full.To)
	}
	other := have[i]
	const period = "/v1/kpi?from=2024-01-01&to=2024-03-31"
	receivables := func(fx datasets.FX) features.KPIMoney {
		conv, err := f.ledger.Convert(fx)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := features.ComputeKPIs(features.NewIndex(conv), datasets.NewDate(2024, time.January, 1), datasets.NewDate(2024, time.March, 31), "", false)
		if err != nil {
			t.Fatal(err)
		}
		return rep.Receivables
	}
	lacking := datasets.FX{To: full.To, Rates: maps.Clone(full.Rates)}
	delete(lacking.Rates, other)
	higher := datasets.FX{To: full.To, Rates: maps.Clone(full.Rates)}
	higher.Rates[other] *= 10
	cases := []struct {
		name   string
		fx     *datasets.FX
		status int
		want   datasets.FX // the rates of the figures, when 200
	}{
		{"the model's rates", &full, 200, full},
		{"a rate the server lacks", &lacking, 503, datasets.FX{}},
		{"another rate", &higher, 200, higher},
		{"no rates on the server", nil, 422, datasets.FX{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			reg := registryWithFXModel(t)
			ts := newTestServer(t, func(c *Config) { c.Models, c.FX = model.Registry{Dir: reg}, tc.fx })
			if m := ts.srv.snap.Load().model; m == nil || m.fx() == nil || m.fx().To != full.To {
				t.Fatalf("the model in service does not convert to %s", full.To)
			}
			for _, path := range []string{period, period + "&currency=" + full.To} {
				if tc.fx == nil && path == period {
					continue // amounts as recorded
				}
				w := ts.do(req{method: "GET", path: path, role: "viewer"})
				if tc.status != 200 {
					p := problemOf(t, w, tc.status)
					switch tc.status {
					case 503:
						if p.Type != problemTypeBase+"missing-rate" || !strings.Contains(p.Detail, "for "+other) {
							t.Errorf("%s: %+v, want missing-rate naming %s", path, p, other)
						}
					case 422:
						if len(p.Errors) != 1 || p.Errors[0].Parameter != "currency" {
							t.Errorf("%s: %+v, want the currency refused", path, p)
						}
					}
					continue
				}
				k := decode[KPIView](t, w)
				if want := receivables(tc.want); k.Currency != full.To || k.Receivables != want {
					t.Errorf("%s: receivables %v %s, want %v %s", path, k.Receivables, k.Currency, want, full.To)
				}
			}
		})
	}
	if receivables(full) == receivables(higher) {
		t.Fatalf("the rate of %s does not move the receivables: the case proves nothing", other)
	}
}

// errLocked stands for the embedded store's lock held by another process.
var errLocked = errors.New("open store S/ledger.db: locked by another dsopilot process (pid 4242: dsopilot serve --store S)")

// TestNothingIsAnsweredBeforeTheLedgerIsRead: while no ledger was read
// (the store locked by another process, unreachable), every route that
// answers from the ledger is a 503 giving the reason /readyz gives. The
// empty snapshot of the start was served as data: KPIs of nothing (200),
// "no customer" (404) for every customer, "no model is in service" on a
// server with the promoted model loaded, and "not available in this
// build" from the forecast and the worklist.
func TestNothingIsAnsweredBeforeTheLedgerIsRead(t *testing.T) {
	f := testFixture(t)
	ts := newTestServer(t, func(c *Config) {
		c.OpenStore = func(context.Context) (Store, error) { return nil, errLocked }
		c.PollEvery = 3 * time.Second // the retry the 503s announce
		c.Forecast = NewModelForecaster(c.Models, nil, 100)
		c.Collections = NewRecommenderCollections(recommender.NewDaily(recommender.RecommendOptions{FX: recommender.SimFX(), Holdout: -1, Seed: 1}))
		c.Credit = &fakeCredit{}
	})
	if ts.srv.model.Load() == nil {
		t.Fatal("no model loaded: the case needs the promoted one")
	}
	cust, inv := f.ledger.Invoices[0].CustomerID, f.ledger.Invoices[0].ID
	paths := map[string]string{":id": cust, "*path": "index.html", ":entity": "invoices"}
	n := 0
	for _, r := range ts.srv.routes {
		if !r.ledger {
			continue
		}
		n++
		path := r.path
		for k, v := range paths {
			if strings.HasPrefix(path, "/v1/invoices/") && k == ":id" {
				v = inv
			}
			path = strings.Replace(path, k, v, 1)
		}
		t.Run(r.method+" "+path, func(t *testing.T) {
			rq := req{method: r.method, path: path, role: "admin"}
			if r.method == "POST" {
				rq.body = "{}"
			}
			w := ts.do(rq)
			p := problemOf(t, w, 503)
			// The detail says the server retries every 3 s: so does the
			// header a client acts on.
			if ra := w.Header().Get("Retry-After"); ra != "3" {
				t.Errorf("Retry-After %q, want 3 (the server's retry)", ra)
			}
			for _, want := range []string{"no ledger has been read from the store yet", "locked by another dsopilot process (pid 4242", "retries every 3s"} {
				if !strings.Contains(p.Detail, want) {
					t.Errorf("detail %q does not say %q", p.Detail, want)
				}
			}
		})
	}
	// The trial's answers, whatever marks the routes.
	for _, path := range []string{"/v1/kpi", "/v1/customers/" + cust, "/v1/customers/" + cust + "/credit-limit", "/v1/customers/" + cust + "/next-action",
		"/v1/invoices/" + inv + "/score", "/v1/forecast", "/v1/worklist"} {
		p := problemOf(t, ts.do(req{method: "GET", path: path, role: "viewer"}), 503)
		if !strings.Contains(p.Detail, "pid 4242") || strings.Contains(p.Detail, "no model") || strings.Contains(p.Detail, "in this build") {
			t.Errorf("%s: %q, want the lock and its holder", path, p.Detail)
		}
	}
	// What needs no ledger still answers.
	expect(t, ts.do(req{method: "GET", path: "/v1/models", role: "viewer"}), 200)
	w := ts.do(req{method: "GET", path: "/readyz"})
	p := problemOf(t, w, 503)
	if !strings.Contains(p.Detail, "pid 4242") || strings.Contains(p.Detail, "no model") || w.Header().Get("Retry-After") != "3" {
		t.Errorf("readyz: %q, Retry-After %q", p.Detail, w.Header().Get("Retry-After"))
	}
	t.Logf("%d routes refuse; e.g. %s", n, p.Detail)
}

// The parts say what they miss before the server hands them a ledger,
// not that they are not in this build.
func TestPartsWithoutALedgerSaySo(t *testing.T) {
	fx := recommender.SimFX()
	ctx := context.Background()
	_, err := NewModelForecaster(model.Registry{Dir: t.TempDir()}, nil, 100).Forecast(ctx, ForecastQuery{Weeks: 13})
	_, werr := NewRecommenderCollections(recommender.NewDaily(recommender.RecommendOptions{FX: fx, Holdout: -1, Seed: 1})).Worklist(ctx, WorklistQuery{Date: datasets.NewDate(2024, time.March, 1), Limit: 10})
	for _, e := range []error{err, werr} {
		if !errors.Is(e, ErrUnavailable) || strings.Contains(e.Error(), "in this build") || !strings.Contains(e.Error(), "no ledger has been read") {
			t.Errorf("%v: want a 503 saying no ledger has been read", e)
		}
	}
}

// failingLoad is a store that answers but whose ledger does not load.
type failingLoad struct{ Store }

func (failingLoad) Load(context.Context) (*datasets.Ledger, error) {
	return nil, errors.New("invoices row 7: amount overflows")
}

// A store that answers but whose ledger does not load: /readyz and the
// routes say why, not only that the ledger was not read.
func TestALedgerThatDoesNotLoadIsNamed(t *testing.T) {
	ts := newTestServer(t, func(c *Config) {
		open := c.OpenStore
		c.OpenStore = func(ctx context.Context) (Store, error) {
			st, err := open(ctx)
			if err != nil {
				return nil, err
			}
			return failingLoad{st}, nil
		}
	})
	for _, path := range []string{"/readyz", "/v1/kpi"} {
		p := problemOf(t, ts.do(req{method: "GET", path: path, role: "viewer"}), 503)
		if !strings.Contains(p.Detail, "been read from the store yet") || !strings.Contains(p.Detail, "load ledger: invoices row 7: amount overflows") {
			t.Errorf("%s: %q, want the ledger not read and why", path, p.Detail)
		}
	}
}

// TestDraftInACurrencyTheModelHasNoRateFor: a draft invoice in a currency
// the model in service has no rate to is the request's fault, placed like
// every other bad field: a 422 whose errors point at its currency (it was
// a 422 with no errors at all).
func TestDraftInACurrencyTheModelHasNoRateFor(t *testing.T) {
	reg := registryWithFXModel(t)
	ts := newTestServer(t, func(c *Config) { c.Models = model.Registry{Dir: reg} })
	snap := ts.srv.snap.Load()
	if m := snap.model; m == nil || m.fx() == nil {
		t.Fatal("the model in service does not convert")
	}
	if _, ok := snap.model.fx().Rates["JPY"]; ok {
		t.Fatal("the case needs a currency the model has no rate for")
	}
	cust := snap.ledger.Customers[0].ID
	body := fmt.Sprintf(`{"as_of":%q,"invoices":[
		{"invoice_id":"DRAFT-1","customer_id":%q,"issue_date":%q,"due_date":%q,"amount":100},
		{"invoice_id":"DRAFT-2","customer_id":%q,"issue_date":%q,"due_date":%q,"amount":100,"currency":"jpy"}]}`,
		snap.asOf, cust, snap.asOf, snap.asOf.AddDays(30), cust, snap.asOf, snap.asOf.AddDays(30))
	p := problemOf(t, ts.do(req{method: "POST", path: "/v1/score", role: "viewer", body: body}), 422)
	if len(p.Errors) != 1 || p.Errors[0].Where() != "/invoices/1/currency" || !strings.Contains(p.Errors[0].Detail, `"JPY": the model in service learned in `+snap.model.fx().To) {
		t.Fatalf("problem %+v, want one error at /invoices/1/currency naming JPY", p)
	}
}
