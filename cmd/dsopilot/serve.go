package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dsopilot/dsopilot/api"
	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/model"
	"github.com/dsopilot/dsopilot/model/forecast"
	"github.com/dsopilot/dsopilot/recommender"
	"github.com/dsopilot/dsopilot/recommender/credit"
	"github.com/dsopilot/dsopilot/reports"
)

// serveConfig is dsopilot serve's flags and DSOPILOT_* variables.
type serveConfig struct {
	store, registry, keys, addr, state string
	asOf                               datasets.Date
	currency, fx, scenario             string
	creditPolicy                       string
	rateLimit                          float64
	rateBurst                          int
	maxBody, maxIngest                 int64
	reload, poll, shutdown             time.Duration
	accessLog, reports                 bool
}

// envDefault returns the variable's value, or def when it is unset.
func envDefault(e env, name, def string) string {
	if v := e.getenv(name); v != "" {
		return v
	}
	return def
}

func parseServe(e env, args []string) (serveConfig, error) {
	fs := newFlags(e, "serve", "[--store S] [--registry DIR] [--keys FILE] [--addr HOST:PORT] [--state DIR] [flags]",
		"Serves the HTTP API (see the README's API section and GET /openapi.json): scoring, customers, KPIs,\n"+
			"recording actions, promises and disputes, ingest, the reports under /reports/, the dunning worklist and\n"+
			"next actions (from --scenario and the promoted model at start), and the credit and forecast routes. Every flag has a DSOPILOT_<FLAG> variable\n"+
			"(DSOPILOT_ADDR, DSOPILOT_KEYS, DSOPILOT_RATE_LIMIT, ...). Stops gracefully on SIGTERM.")
	var c serveConfig
	fs.StringVar(&c.store, "store", envDefault(e, "DSOPILOT_STORE", "./data"), "clickhouse://host:port/database, or the embedded store's directory (env DSOPILOT_STORE)")
	fs.StringVar(&c.registry, "registry", envDefault(e, "DSOPILOT_REGISTRY", "./models"), "model registry directory (env DSOPILOT_REGISTRY)")
	fs.StringVar(&c.keys, "keys", envDefault(e, "DSOPILOT_KEYS", "./keys.json"), "keys file made by dsopilot keys create (env DSOPILOT_KEYS)")
	fs.StringVar(&c.addr, "addr", envDefault(e, "DSOPILOT_ADDR", "127.0.0.1:8080"), "listen address (env DSOPILOT_ADDR)")
	fs.StringVar(&c.state, "state", envDefault(e, "DSOPILOT_STATE", "./serve-state"), "directory for the spool and the idempotency keys (env DSOPILOT_STATE)")
	asOf := fs.String("as-of", e.getenv("DSOPILOT_AS_OF"), "the served day (default today, rolling; env DSOPILOT_AS_OF): answers know what happened by the end of the day before, "+
		"as the morning's worklist does, so a model trained as of D serves from D+1 (score --as-of D knows D itself)")
	fs.StringVar(&c.currency, "currency", e.getenv("DSOPILOT_CURRENCY"), "reporting currency for KPIs and reports (env DSOPILOT_CURRENCY)")
	fs.StringVar(&c.fx, "fx", e.getenv("DSOPILOT_FX"), "rates to --currency: CSV currency,rate (env DSOPILOT_FX)")
	fs.StringVar(&c.creditPolicy, "credit-policy", e.getenv("DSOPILOT_CREDIT_POLICY"), "credit policy file for the credit routes, YAML or JSON (default the built-in one; env DSOPILOT_CREDIT_POLICY)")
	fs.StringVar(&c.scenario, "scenario", e.getenv("DSOPILOT_SCENARIO"), "dunning scenario file for the worklist routes, YAML or JSON (default the built-in one; env DSOPILOT_SCENARIO)")
	num := func(name string, def float64, usage string) *float64 {
		v := def
		if s := e.getenv("DSOPILOT_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))); s != "" {
			if f, err := strconv.ParseFloat(s, 64); err == nil {
				v = f
			}
		}
		return fs.Float64(name, v, usage)
	}
	dur := func(name string, def time.Duration, usage string) *time.Duration {
		v := def
		if s := e.getenv("DSOPILOT_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))); s != "" {
			if d, err := time.ParseDuration(s); err == nil {
				v = d
			}
		}
		return fs.Duration(name, v, usage)
	}
	rate := num("rate-limit", 100, "requests per second per key (0: no limit)")
	burst := num("rate-burst", 200, "requests a key may send at once above the rate")
	maxBody := num("max-body-mb", 16, "largest JSON body in MiB")
	maxIngest := num("max-ingest-mb", 2048, "largest ingest body in MiB")
	reload := dur("reload", 10*time.Minute, "reread the whole ledger from the store this often (0: only at start)")
	poll := dur("poll", 2*time.Second, "how often the promoted model, the keys file and the spool are checked")
	shutdown := dur("shutdown-timeout", 30*time.Second, "time SIGTERM leaves requests in flight and the spool")
	accessLog := fs.Bool("access-log", envDefault(e, "DSOPILOT_ACCESS_LOG", "true") == "true", "one JSON log line per request")
	noReports := fs.Bool("no-reports", e.getenv("DSOPILOT_NO_REPORTS") == "true", "do not build the report site under /reports/")
	if err := parseFlags(fs, args); err != nil {
		return c, err
	}
	if *asOf != "" {
		d, err := datasets.ParseDate(*asOf)
		if err != nil {
			return c, fmt.Errorf("%w: serve: --as-of: %v", errUsage, err)
		}
		c.asOf = d
	}
	if *rate < 0 || *burst < 0 || *maxBody <= 0 || *maxIngest <= 0 || *poll <= 0 || *reload < 0 {
		return c, fmt.Errorf("%w: serve: --rate-limit, --rate-burst, --reload must not be negative; --max-body-mb, --max-ingest-mb and --poll must be positive", errUsage)
	}
	if c.fx != "" && c.currency == "" {
		return c, fmt.Errorf("%w: serve: --fx needs --currency, the currency its rates convert to", errUsage)
	}
	c.rateLimit, c.rateBurst = *rate, int(*burst)
	c.maxBody, c.maxIngest = int64(*maxBody*(1<<20)), int64(*maxIngest*(1<<20))
	c.reload, c.poll, c.shutdown = *reload, *poll, *shutdown
	c.accessLog, c.reports = *accessLog, !*noReports
	return c, nil
}

// jsonLogger logs JSON lines to stderr at the level DSOPILOT_LOG sets.
func jsonLogger(e env) *slog.Logger {
	text := newLogger(e).Handler()
	level := slog.LevelError
	for l := slog.LevelDebug; l <= slog.LevelError; l += 4 {
		if text.Enabled(context.Background(), l) {
			level = l
			break
		}
	}
	return slog.New(slog.NewJSONHandler(e.stderr, &slog.HandlerOptions{Level: level}))
}

func runServe(ctx context.Context, e env, args []string) error {
	c, err := parseServe(e, args)
	if err != nil {
		return err
	}
	log := jsonLogger(e)
	var fx *datasets.FX
	if c.currency != "" {
		if c.fx == "" {
			fx = &datasets.FX{To: strings.ToUpper(c.currency)}
		} else {
			f, err := datasets.ReadFXFile(c.fx, strings.ToUpper(c.currency))
			if err != nil {
				return fmt.Errorf("serve: %w", err)
			}
			fx = &f
		}
	}
	if !strings.HasPrefix(c.store, "clickhouse://") {
		if _, err := os.Stat(c.store); errors.Is(err, fs.ErrNotExist) {
			// serve creates it (records can be ingested), but most often
			// the path is mistyped: the log and /readyz say so.
			log.Warn("no store at --store: serving a new, empty one there", "store", c.store)
		}
	}
	reg := model.Registry{Dir: c.registry}
	cfg := api.Config{Addr: c.addr, Models: reg, KeysPath: c.keys, StateDir: c.state, AsOf: c.asOf, FX: fx,
		RateLimit: c.rateLimit, RateBurst: c.rateBurst, MaxBodyBytes: c.maxBody, MaxIngestBytes: c.maxIngest,
		ShutdownTimeout: c.shutdown, PollEvery: c.poll, ReloadEvery: c.reload, AccessLog: c.accessLog, Log: log, Build: version,
		OpenStore: func(ctx context.Context) (api.Store, error) {
			return openStore(ctx, c.store, log, true)
		}}
	// The worklist and the credit advice take the model promoted at start;
	// scoring and the forecast follow promotions.
	promoted, _, err := promotedModel(c.registry, log)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	// The worklist of the served day (--as-of, else today) knows the day
	// before, as recommend's: a model trained later has seen what came
	// after.
	if err := checkPromotedCutoff("serve", promoted, c.asOf, 1, datasets.DateOf(time.Now().UTC())); err != nil {
		return err
	}
	daily, err := newDaily(collectionsConfig{scenario: c.scenario, fx: fx, model: promoted, log: log})
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	cfg.Collections = &staleWatch{RecommenderCollections: api.NewRecommenderCollections(daily), log: log, fixed: c.asOf != 0}
	cfg.Forecast = api.NewModelForecaster(reg, fx, 0)
	pol, cfx, risk, err := creditAdvice(c.creditPolicy, fx, promoted, log)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	// An admin key approves as the policy's most senior role.
	roles := map[string]string{"admin": pol.Approval.Roles[len(pol.Approval.Roles)-1].Name}
	cw := api.NewCreditWorkflow(pol, cfx, risk, roles, log)
	if c.asOf != 0 {
		// A server living on a fixed day decides on that day, so a
		// decision counts in that day's advice; its audit times stay the
		// wall clock of each action.
		day := c.asOf
		cw.Day = func() datasets.Date { return day }
	}
	cfg.Credit = cw
	if c.reports {
		if err := reports.CheckAssets(); err != nil {
			log.Warn("reports not served", "err", err)
		} else {
			cfg.Reports = &reportSite{in: reports.Input{FX: fx, Models: registryAt{reg}, Build: version, Log: log}, daily: daily, credit: cw, model: promoted, log: log}
		}
	}
	srv, err := api.New(cfg)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	if err := srv.Run(ctx); err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

// staleWatch is the worklist part that also warns, in the log, when the
// served ledger ends long before the served date: without --as-of a
// server on an old export is ready, but every invoice looks unpaid since,
// the forecast collects in week 1 what was settled long ago and the
// worklist is empty. /readyz says the same (api.StaleLedger). It warns
// once per ledger end and served date, so at start and after a reload
// that changes either, not every snapshot.
type staleWatch struct {
	*api.RecommenderCollections
	log    *slog.Logger
	fixed  bool // --as-of given
	mu     sync.Mutex
	warned [2]datasets.Date
}

// Follow implements api.Follower.
func (w *staleWatch) Follow(l *datasets.Ledger, asOf datasets.Date) {
	w.RecommenderCollections.Follow(l, asOf)
	last, warning := api.StaleLedger(l, asOf)
	if warning == "" {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.warned == [2]datasets.Date{last, asOf} {
		return
	}
	w.warned = [2]datasets.Date{last, asOf}
	served := "today (no --as-of)"
	if w.fixed {
		served = "--as-of"
	}
	w.log.Warn("the ledger ends long before the served date: pass --as-of "+last.AddDays(1).String(),
		"ledger_last_day", last.String(), "as_of", asOf.String(), "served_date", served, "days_behind", int(asOf-last), "detail", warning)
}

// reportSite serves the report pages of the latest ledger.
type reportSite struct {
	in     reports.Input
	daily  *recommender.Daily
	credit *api.CreditWorkflow
	model  *model.Bundle
	log    *slog.Logger
	h      atomic.Pointer[reports.Handler]
}

func (r *reportSite) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	h := r.h.Load()
	if h == nil {
		http.Error(w, "the report site is being built", http.StatusServiceUnavailable)
		return
	}
	h.ServeHTTP(w, req)
}

func (r *reportSite) Update(ctx context.Context, l *datasets.Ledger, asOf datasets.Date) error {
	in := r.in
	in.Ledger, in.AsOf = l, asOf
	in.Collections = reports.RecommenderCollections(r.daily, l, in.FX)
	in.Credit = reports.CreditFrom(func(ctx context.Context, asOf datasets.Date, ids ...string) ([]credit.Advice, error) {
		// As dsopilot report advises: on the invoices the rates convert.
		kept, _, err := forecast.LeaveOutUnconverted(l, in.FX, asOf)
		if err != nil {
			return nil, err
		}
		return r.credit.Advice(ctx, kept, asOf, ids...)
	}, in.FX)
	if r.model != nil {
		in.Forecast = reports.ModelForecast(l, r.model, in.FX, nil, 0) // saved snapshots: dsopilot report
	}
	site, err := reports.New(ctx, in)
	if err != nil {
		return err
	}
	if h := r.h.Load(); h != nil {
		h.Swap(site)
	} else {
		r.h.Store(reports.NewHandler(site, r.log))
	}
	return nil
}
