package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/dsopilot/dsopilot/model"
	"github.com/dsopilot/dsopilot/reports"
)

func runReport(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "report", "[--store S] --as-of DATE [--registry DIR] [--currency CUR --fx FILE] [--backtest FILE] [--backtest-predictions FILE] --out DIR",
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
	months := fs.Int("months", reports.DefaultMonths, "months of history in the trend charts")
	backtest := fs.String("backtest", "", "the JSON of dsopilot backtest --json, for the comparison with the baselines")
	predictions := fs.String("backtest-predictions", "", "the --predictions file of dsopilot backtest, for the ROC and reliability curves")
	out := fs.String("out", "", "directory to write the site to (required)")
	if _, err := parse(fs, args); err != nil {
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
	in := reports.Input{AsOf: t, Months: *months, Models: model.Registry{Dir: *reg}, Build: version, Log: newLogger(e)}
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
	// reportingLedger checks the flags and reads the rates; the report
	// converts the ledger itself, keeping each invoice's own currency.
	_, fx, _, err := reportingLedger(l, *currency, *fxPath)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	in.Ledger, in.FX = l, fx
	site, err := reports.New(ctx, in)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if err := site.WriteSite(ctx, *out); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	index, _ := filepath.Abs(filepath.Join(*out, "index.html"))
	fmt.Fprintf(e.stdout, "wrote %d pages in %.1fs: %s\n", len(site.Paths()), time.Since(start).Seconds(), index)
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
