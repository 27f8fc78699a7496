package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/model"
	"github.com/dsopilot/dsopilot/model/forecast"
	"github.com/dsopilot/dsopilot/recommender/credit"
	"github.com/dsopilot/dsopilot/reports"
)

func runReport(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "report", "[--store S] --as-of DATE [--registry DIR] [--currency CUR --fx FILE] [--scenario FILE] [--credit-policy FILE] [--backtest FILE] [--backtest-predictions FILE] --out DIR",
		"Writes the receivables report as a static HTML site with charts: the portfolio's DSO, CEI, aging and top\n"+
			"customers, a page per segment, country, currency and customer (each invoice at an anchor of its customer's\n"+
			"page), disputes, collections and the model's evidence. Every figure and chart drills down to the rows\n"+
			"behind it. The site needs no network: ECharts is served from its assets/ directory. --out must be empty\n"+
			"or hold an earlier report, which is replaced.")
	store := storeFlag(fs, e)
	asOf := fs.String("as-of", "", "date the report describes (YYYY-MM-DD; default today)")
	reg := registryFlag(fs, e)
	currency := fs.String("currency", "", "reporting currency (ISO 4217) to convert every amount to")
	fxPath := fs.String("fx", "", "exchange rates to the reporting currency: CSV with columns currency,rate")
	scenario := fs.String("scenario", "", "dunning scenario file for the collections page's worklist (default: the built-in one)")
	creditPolicy := fs.String("credit-policy", "", "credit policy file for the credit-limit advice (default: the built-in one)")
	months := fs.Int("months", reports.DefaultMonths, "months of history in the trend charts")
	periodDays := fs.Int("period-days", reports.DefaultPeriodDays, "length in days of the headline period, ending on --as-of, whose figures (DSO, CEI, invoiced, collected) the pages lead with")
	backtest := fs.String("backtest", "", "the JSON of dsopilot backtest --json, for the comparison with the baselines")
	predictions := fs.String("backtest-predictions", "", "the --predictions file of dsopilot backtest, for the ROC and reliability curves")
	out := fs.String("out", "", "directory to write the site to (required)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return fmt.Errorf("%w: report: --out is required", errUsage)
	}
	t, err := parseAsOf("as-of", *asOf)
	if err != nil {
		return err
	}
	if *fxPath != "" && *currency == "" {
		return fmt.Errorf("%w: report: --fx needs --currency, the currency its rates convert to", errUsage)
	}
	if err := reports.CheckAssets(); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	start := time.Now()
	in := reports.Input{AsOf: t, Months: *months, PeriodDays: *periodDays, Models: registryAt{model.Registry{Dir: *reg}}, Build: version, Log: newLogger(e)}
	if *backtest != "" {
		if in.Backtest, err = readBacktest(*backtest); err != nil {
			return fmt.Errorf("report: %w", err)
		}
	}
	if *predictions != "" {
		f, err := os.Open(*predictions)
		if err != nil {
			return fmt.Errorf("report: %w", err)
		}
		in.BacktestRows, err = reports.ReadBacktestPredictions(f, *predictions)
		f.Close()
		if err != nil {
			return fmt.Errorf("report: %w", err)
		}
	}
	l, err := loadLedger(ctx, e, *store, "report")
	if err != nil {
		return err
	}
	// The report converts the ledger itself, keeping each invoice's own
	// currency, and leaves out what the rates lack as the forecast does
	// (named on its pages); --currency without rates still needs a ledger
	// in that currency alone.
	fx, err := reportingFX(*currency, *fxPath)
	if err == nil && fx != nil && len(fx.Rates) == 0 {
		_, _, _, err = reportingLedger(l, *currency, *fxPath)
	}
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	in.Ledger, in.FX = l, fx
	var span ledgerSpan
	span.see(l)
	span.warnAsOf(e, "report", t)
	promoted, missing, err := promotedModel(*reg, in.Log)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	// The pages know what was known by the end of --as-of (the worklist
	// is the next working day's), as score does: a model trained later
	// has seen what came after.
	if err := checkPromotedCutoff("report", promoted, t, 0, 0); err != nil {
		return err
	}
	if promoted == nil {
		// The pages say it where the scores, the amount at risk and the
		// cash forecast would be; a report written without them, exit 0,
		// must say it where the command was run too.
		fmt.Fprintf(e.stderr, "dsopilot: warning: report: the invoices' scores, the amount at risk and the cash forecast are left out: %s\n", missing)
	}
	daily, err := newDaily(collectionsConfig{scenario: *scenario, fx: fx, model: promoted, log: in.Log})
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	in.Collections = reports.RecommenderCollections(daily, l, fx)
	if err := reportStoreParts(ctx, e, *store, *creditPolicy, l, fx, promoted, &in); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	site, err := reports.New(ctx, in)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if err := site.WriteSite(ctx, *out); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	index, _ := filepath.Abs(filepath.Join(*out, "index.html"))
	fmt.Fprintf(e.stdout, "wrote %d pages in %.1fs: %s\n", len(site.Paths()), time.Since(start).Seconds(), index)
	// The site is written with notes where a part failed; a scheduled run
	// must still fail, naming the parts, or nobody reads the notes.
	if fails := site.Failures(); len(fails) > 0 {
		return fmt.Errorf("report: %d part(s) of the report failed, their pages say so: %s", len(fails), strings.Join(fails, "; "))
	}
	return nil
}

// readBacktest reads the JSON of dsopilot backtest --json.
func readBacktest(path string) (*model.Backtest, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var bt model.Backtest
	if err := json.Unmarshal(data, &bt); err != nil {
		return nil, fmt.Errorf("%s: %w (want the output of dsopilot backtest --json)", path, err)
	}
	if bt.NTest == 0 {
		return nil, fmt.Errorf("%s: no test invoices: want the output of dsopilot backtest --json", path)
	}
	return &bt, nil
}

// reportStoreParts adds the parts that read the store beyond the ledger:
// the cash forecast with the saved snapshots (with a promoted model) and
// the credit advice with the workflow's events.
func reportStoreParts(ctx context.Context, e env, spec, policy string, l *datasets.Ledger, fx *datasets.FX, b *model.Bundle, in *reports.Input) error {
	st, err := openStore(ctx, spec, in.Log, false)
	if err != nil {
		return err
	}
	// The report reads it while it builds the pages: closed by the caller's
	// exit (a read-only handle).
	if b != nil {
		var snaps []datasets.ForecastSnapshot
		if ss, ok := st.(datasets.SnapshotStore); ok {
			if snaps, err = ss.Snapshots(ctx); err != nil {
				return err
			}
		}
		in.Forecast = reports.ModelForecast(l, b, fx, snaps, 0)
	}
	cs, ok := st.(credit.Store)
	if !ok {
		return nil
	}
	pol, cfx, risk, err := creditAdvice(policy, fx, b, in.Log)
	if err != nil {
		return err
	}
	svc := &credit.Service{Store: cs, Policy: pol, Risk: risk, FX: cfx, Log: in.Log}
	in.Credit = reports.CreditFrom(func(ctx context.Context, asOf datasets.Date, ids ...string) ([]credit.Advice, error) {
		// Advised on what the report keeps: the invoices in a currency
		// the rates lack are left out, by the cash forecast's rule, as
		// every page leaves them out (their customers' pages say so);
		// one unrated currency failed every customer's advice. More than
		// half the open invoices without a rate fail the report itself.
		kept, _, err := forecast.LeaveOutUnconverted(l, fx, asOf)
		if err != nil {
			return nil, err
		}
		return svc.AdviceOn(ctx, kept, asOf, ids...)
	}, fx)
	return nil
}
