package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/model"
	"github.com/dsopilot/dsopilot/model/forecast"
)

// runForecastBacktest runs dsopilot forecast backtest: the forecast made
// at past origins against what came in, from an export (--input) or a
// store (--store, a ClickHouse one read in parts).
func runForecastBacktest(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "forecast backtest", "(--input PATH [--columns ...] [--date-format FMT] | --store S [--parts N]) (--origins D1,D2,... | --from DATE --every DAYS [--to DATE]) [--weeks 13] [--paths N] [--families ...] [--currency CUR --fx FILE] [--json] [--predictions FILE]",
		"Backtests the cash forecast. PATH (a ledger directory or a cleared-items CSV) is imported into a temporary\n"+
			"store as dsopilot backtest does. At each origin a model is trained only on what was known then, the open\n"+
			"book is forecast and compared with what its invoices brought in: WAPE of the P50, bias of the mean, pinball\n"+
			"losses, P10-P90 coverage and WAPE by week ahead, with the due-date schedule and the customer's average\n"+
			"delay as baselines on the same weeks. --from/--every step origins from DATE while their horizon fits the data.\n"+
			"With --store instead, the ledger of that store; on ClickHouse it is read in parts of whole customers (at each\n"+
			"origin: the training set, the portfolio's record, each part's book and receipts), its span asked of the database.")
	in := newInputFlags(fs)
	// Not storeFlag: without --store the ledger is --input's, whatever
	// DSOPILOT_STORE says.
	store := fs.String("store", "", "backtest the ledger of this store instead of --input (a ClickHouse store is read in parts;\n"+
		"DSOPILOT_STORE does not apply: the source is named every time)")
	parts := partsFlag(fs)
	originsFlag := fs.String("origins", "", "comma-separated origins (YYYY-MM-DD)")
	from := fs.String("from", "", "first origin (with --every)")
	to := fs.String("to", "", "last origin (with --every; default: the last whose horizon the data cover)")
	every := fs.Int("every", 0, "days between origins (with --from)")
	weeks := fs.Int("weeks", forecast.DefaultWeeks, "weeks to score (each forecast computed over 13, as dsopilot forecast does)")
	paths := fs.Int("paths", forecast.DefaultPaths, "simulated paths behind the bands")
	tf := newTrainFlags(fs)
	asJSON := fs.Bool("json", false, "print the result as JSON")
	predictions := fs.String("predictions", "", "write part,origin,week_start,mean,p10,p50,p90,actual per origin-week")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := in.check(fs, "forecast backtest", *store); err != nil {
		return err
	}
	switch {
	case *parts < 0:
		return fmt.Errorf("%w: forecast backtest: --parts %d: want 0 or more", errUsage, *parts)
	case *parts != 0 && *store == "":
		return fmt.Errorf("%w: forecast backtest: --parts reads a --store in parts; an --input file is read whole", errUsage)
	case (*originsFlag == "") == (*from == ""):
		return fmt.Errorf("%w: forecast backtest: give either --origins or --from with --every", errUsage)
	case *from != "" && *every <= 0:
		return fmt.Errorf("%w: forecast backtest: --from needs --every DAYS (positive)", errUsage)
	case *to != "" && *from == "":
		return fmt.Errorf("%w: forecast backtest: --to ends the origins --from steps; with --origins, list them", errUsage)
	case *weeks < 1 || *weeks > forecast.DefaultWeeks:
		return fmt.Errorf("%w: forecast backtest: --weeks %d: want 1 to %d (the pay-date model's horizon)", errUsage, *weeks, forecast.DefaultWeeks)
	case *paths < forecast.MinPaths:
		return fmt.Errorf("%w: forecast backtest: --paths %d: want at least %d", errUsage, *paths, forecast.MinPaths)
	}
	origins, err := parseOrigins(*originsFlag)
	if err != nil {
		return err
	}
	if *from != "" && *to != "" {
		// Caught here, before a store is read, rather than as an empty
		// list of origins.
		f, err1 := datasets.ParseDate(*from)
		l, err2 := datasets.ParseDate(*to)
		if err1 == nil && err2 == nil && l < f {
			return fmt.Errorf("%w: forecast backtest: --to %s comes before --from %s", errUsage, l, f)
		}
	}
	to0, err := tf.options("forecast backtest")
	if err != nil {
		return err
	}
	to0.Log = newLogger(e)
	o := forecast.BacktestOptions{Weeks: *weeks, Paths: *paths, Seed: to0.Seed, Train: to0, Log: newLogger(e)}
	// The origins given, or stepped up to the ledger's last day.
	step := func(last datasets.Date) ([]datasets.Date, error) {
		if *from == "" {
			return origins, nil
		}
		return stepOrigins(last, *from, *to, *every, *weeks)
	}
	var (
		res  *forecast.Backtest
		rows []forecast.PredictionRow
	)
	if *store != "" {
		res, rows, err = forecastBacktestOnStore(ctx, e, *store, *parts, tf, step, o)
	} else {
		var l *datasets.Ledger
		if l, err = importTemp(ctx, e, "forecast backtest", in); err != nil {
			return err
		}
		res, rows, err = forecastBacktestLedger(ctx, e, l, tf, step, o)
	}
	if err != nil {
		return err
	}
	if *predictions != "" {
		if err := writeForecastPredictions(*predictions, rows); err != nil {
			return fmt.Errorf("forecast backtest: %w", err)
		}
	}
	if *asJSON {
		return writeJSON(e.stdout, res)
	}
	return printForecastBacktest(e.stdout, res)
}

// parseOrigins reads --origins: dates, each once.
func parseOrigins(list string) ([]datasets.Date, error) {
	var out []datasets.Date
	seen := map[datasets.Date]bool{}
	for _, s := range strings.Split(list, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		d, err := datasets.ParseDate(s)
		if err != nil {
			return nil, fmt.Errorf("%w: forecast backtest: --origins: %v", errUsage, err)
		}
		if seen[d] {
			return nil, fmt.Errorf("%w: forecast backtest: --origins: %s is given twice (its weeks would count twice)", errUsage, d)
		}
		seen[d] = true
		out = append(out, d)
	}
	return out, nil
}

// forecastBacktestLedger backtests the forecast on the whole ledger l in
// its own currencies, at the origins step gives from its last day.
func forecastBacktestLedger(ctx context.Context, e env, l *datasets.Ledger, tf trainFlags, step func(last datasets.Date) ([]datasets.Date, error), o forecast.BacktestOptions) (*forecast.Backtest, []forecast.PredictionRow, error) {
	orig := forecast.InvoiceCurrencies(l)
	l, err := tf.convert(e, "forecast backtest", l, &o.Train)
	if err != nil {
		return nil, nil, err
	}
	if o.Train.FX != nil {
		o.Currency = o.Train.FX.To
	}
	_, last := forecast.NewHistory(l, nil).Span()
	if o.Origins, err = step(last); err != nil {
		return nil, nil, err
	}
	res, rows, err := forecast.RunBacktest(ctx, l, orig, o)
	if err != nil {
		return nil, nil, fmt.Errorf("forecast backtest: %w", err)
	}
	return res, rows, nil
}

// forecastBacktestOnStore backtests the forecast on the ledger in store
// (forecastBacktestFromStore).
func forecastBacktestOnStore(ctx context.Context, e env, store string, parts int, tf trainFlags, step func(last datasets.Date) ([]datasets.Date, error), o forecast.BacktestOptions) (*forecast.Backtest, []forecast.PredictionRow, error) {
	st, err := openStore(ctx, store, newLogger(e), false)
	if err != nil {
		return nil, nil, fmt.Errorf("forecast backtest: %w", err)
	}
	defer st.Close()
	return forecastBacktestFromStore(ctx, e, st, parts, tf, step, o)
}

// forecastBacktestFromStore backtests the forecast on the ledger in st. A
// store that reads parts (ClickHouse) is read in parts of whole customers
// (forecast.BacktestParts): at each origin to train (as dsopilot train
// does) and twice to forecast, every read, and the queries for the
// ledger's span before them, checked by one guard, so that an import landing during the
// backtest fails it. The rates are read once for every origin. The
// embedded store's ledger is read whole.
func forecastBacktestFromStore(ctx context.Context, e env, st datasets.Store, parts int, tf trainFlags, step func(last datasets.Date) ([]datasets.Date, error), o forecast.BacktestOptions) (*forecast.Backtest, []forecast.PredictionRow, error) {
	fail := func(err error) (*forecast.Backtest, []forecast.PredictionRow, error) {
		return nil, nil, fmt.Errorf("forecast backtest: %w", err)
	}
	pl, ok := st.(partLoader)
	if !ok {
		l, err := loadSettled(ctx, st)
		if err != nil {
			return fail(err)
		}
		return forecastBacktestLedger(ctx, e, l, tf, step, o)
	}
	fx, err := reportingFX(*tf.currency, *tf.fx)
	if err != nil {
		return fail(err)
	}
	// The span and the invoices are asked of the database, under the
	// guard of every read after them.
	g := &readGuard{}
	if err := g.begin(ctx, pl); err != nil {
		return fail(err)
	}
	span, err := storeSpan(ctx, pl)
	if err != nil {
		return fail(err)
	}
	if span.Invoices == 0 {
		return fail(errors.New("the store holds no invoices: import a ledger first (dsopilot import)"))
	}
	if o.Origins, err = step(span.Last); err != nil {
		return nil, nil, err
	}
	// Currencies left unconverted are warned of once, by the first
	// origin's training. A usage error (rates missing for --currency) is
	// the command's, not an origin's, and is reported as --input reports
	// it.
	warnAs := "forecast backtest"
	var usage error
	train := func(ctx context.Context, asOf datasets.Date) (*model.Bundle, error) {
		to := o.Train
		to.AsOf = asOf
		b, _, err := trainFromStore(ctx, e, warnAs, st, parts, customerSample{}, g, fx, to)
		warnAs = ""
		if errors.Is(err, errUsage) {
			usage = err
		}
		return b, err
	}
	res, rows, err := forecast.BacktestParts(ctx, guardedParts(ctx, st, parts, g), train, fx, &span, o)
	if usage != nil {
		return fail(usage)
	}
	if err != nil {
		return fail(usageIfRequest(err))
	}
	return res, rows, nil
}

// storeSpan is the span and the invoice count of the ledger in pl, which
// forecast.SpanOfParts would read every part for.
func storeSpan(ctx context.Context, pl partLoader) (forecast.LedgerSpan, error) {
	first, last, err := pl.Span(ctx)
	if err != nil {
		return forecast.LedgerSpan{}, err
	}
	c, err := pl.Counts(ctx)
	if err != nil {
		return forecast.LedgerSpan{}, err
	}
	return forecast.LedgerSpan{First: first, Last: last, Invoices: int(c.Invoices)}, nil
}

// stepOrigins lists origins from, from+every, ... up to to (default: the
// last whose horizon ends by last, the ledger's last day).
func stepOrigins(last datasets.Date, from, to string, every, weeks int) ([]datasets.Date, error) {
	f, err := datasets.ParseDate(from)
	if err != nil {
		return nil, fmt.Errorf("%w: forecast backtest: --from: %v", errUsage, err)
	}
	end := forecast.DataThrough(last).AddDays(-7 * weeks)
	if to != "" {
		if end, err = datasets.ParseDate(to); err != nil {
			return nil, fmt.Errorf("%w: forecast backtest: --to: %v", errUsage, err)
		}
	}
	var out []datasets.Date
	for d := f; d <= end; d = d.AddDays(every) {
		out = append(out, d)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("forecast backtest: %w: no origin from %s: the data end %s, and %d weeks after %s run past them",
			forecast.ErrAfterData, f, last, weeks, f)
	}
	return out, nil
}

func writeForecastPredictions(path string, rows []forecast.PredictionRow) error {
	return writeCSVFile(path, []string{"part", "origin", "week_start", "mean", "p10", "p50", "p90", "actual"}, len(rows), func(i int) []string {
		r := rows[i]
		return []string{r.Part, r.Origin.String(), r.WeekStart.String(), r.Band.Mean.String(), r.Band.P10.String(),
			r.Band.P50.String(), r.Band.P90.String(), r.Actual.String()}
	})
}

func printForecastBacktest(w io.Writer, r *forecast.Backtest) error {
	span := fmt.Sprintf("%d origins %s..%s", len(r.Origins), r.Origins[0], r.Origins[len(r.Origins)-1])
	if len(r.Origins) == 1 {
		span = "1 origin " + r.Origins[0].String()
	}
	fmt.Fprintf(w, "%s, %d weeks each, %d paths; %s received from the open books\n",
		span, r.Weeks, r.Paths, strings.TrimSpace(r.Actual.Money().Grouped()+" "+r.Currency))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "open book\tWAPE\tbias\tweek 1\tweek 2\tweek 3\tweek 4\t")
	line := func(name string, s forecast.Score) {
		fmt.Fprintf(tw, "%s\t%.3f\t%+.1f%%\t", name, s.WAPE, 100*s.Bias)
		for k := range min(4, len(s.WAPEByWeek)) {
			if math.IsNaN(s.WAPEByWeek[k]) { // nothing received that week
				fmt.Fprint(tw, "n/a\t")
				continue
			}
			fmt.Fprintf(tw, "%.3f\t", s.WAPEByWeek[k])
		}
		fmt.Fprintln(tw)
	}
	line("dsopilot P50", forecast.Score{WAPE: r.WAPE, Bias: r.BiasP50, WAPEByWeek: r.WAPEByWeek})
	line("dsopilot mean", r.Mean)
	line("timing record alone", r.TimingOnly)
	line("due-date schedule", r.Baselines.DueDate)
	line("average delay", r.Baselines.AvgDelay)
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "P50 WAPE is %.2f of the better baseline's; P10-P90 coverage %.1f%%; pinball P10 %.4f P50 %.4f P90 %.4f (scaled by receipts)\n",
		r.VsBestBaseline, 100*r.Coverage, r.Pinball.P10, r.Pinball.P50, r.Pinball.P90)
	// Named in full: the P50's error and the mean's bias can differ in
	// size and sign (a trial read "WAPE 0.001, bias -0.9%" as one figure).
	fmt.Fprintf(w, "whole horizon (open book, each origin's %d-week total): WAPE of the P50 %.3f, bias of the mean %+.1f%%, %d of %d origins within P10-P90\n", r.Weeks,
		r.Horizon.WAPE, 100*r.Horizon.Bias, int(math.Round(r.Horizon.Coverage*float64(len(r.Origins)))), len(r.Origins))
	fmt.Fprintf(w, "new business: WAPE %.3f, bias %+.1f%% (the P50's %+.1f%%: below the mean by design), coverage %.1f%%\n",
		r.New.WAPE, 100*r.New.Bias, 100*r.New.BiasP50, 100*r.New.Coverage)
	fmt.Fprintf(w, "all receipts (open book and new business): WAPE %.3f, bias %+.1f%%, coverage %.1f%%; the run rate (each week the mean of the 13 weeks before the origin): WAPE %.3f, bias %+.1f%%; %.2f of the run rate's WAPE\n",
		r.Total.WAPE, 100*r.Total.Bias, 100*r.Total.Coverage, r.Total.RunRate.WAPE, 100*r.Total.RunRate.Bias, r.Total.VsRunRate)
	return nil
}
