package main

import (
	"cmp"
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/model/forecast"
)

// runForecast dispatches dsopilot forecast and its subcommands backtest,
// snapshot and compare.
func runForecast(ctx context.Context, e env, args []string) error {
	if len(args) > 0 {
		switch args[0] {
		case "backtest":
			return runForecastBacktest(ctx, e, args[1:])
		case "snapshot":
			return runForecastSnapshot(ctx, e, args[1:])
		case "compare":
			return runForecastCompare(ctx, e, args[1:])
		}
	}
	fs := newFlags(e, "forecast", "[--store S] --as-of DATE [--weeks 13] [--by currency|segment|customer|country] [--currency CUR --fx FILE] [--model ID] [--registry DIR] [--parts N] [--json | --format csv]\n"+
		"       dsopilot forecast backtest (--input PATH | --store S [--parts N]) (--origins D1,D2,... | --from DATE --every DAYS) [--weeks 13] [--json] [--predictions FILE]\n"+
		"       dsopilot forecast snapshot [--store S] --as-of DATE [...]\n"+
		"       dsopilot forecast compare [--store S] [--snapshot ID] [--fx FILE] [--parts N] [--json]",
		"Forecasts the cash receipts of the weeks after DATE (week k: DATE+7(k-1)+1 ... DATE+7k) for treasury:\n"+
			"from the invoices open at DATE (after partial payments and credit notes; open disputes held back at the\n"+
			"customer's measured credit rate; open promises to pay moved to their week at its promise-kept rate) and,\n"+
			"as a separate part, from invoices still to be issued (each customer's run-rate). Each week and the horizon\n"+
			"total have a mean and P10/P50/P90 from a simulation in which a customer's invoices move together and a\n"+
			"portfolio-wide factor and month-end and holiday weeks shift everyone, the scales estimated from the\n"+
			"ledger's own past forecasts. The due-date schedule is shown for comparison.")
	f := newForecastFlags(fs, e)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	res, _, _, err := f.run(ctx, e, "forecast")
	if err != nil {
		return err
	}
	switch {
	case *f.asJSON:
		return writeJSON(e.stdout, res)
	case *f.format == "csv":
		return writeForecastCSV(e.stdout, res)
	}
	return printForecast(e.stdout, res)
}

// forecastFlags are the flags of forecast and forecast snapshot.
type forecastFlags struct {
	store, asOf, by, currency, fx, model, registry, format *string
	weeks, paths, parts                                    *int
	seed                                                   *uint64
	asJSON                                                 *bool
}

func newForecastFlags(fs *flag.FlagSet, e env) forecastFlags {
	return forecastFlags{
		store:    storeFlag(fs, e),
		asOf:     fs.String("as-of", "", "date of the open book (YYYY-MM-DD; default today)"),
		weeks:    fs.Int("weeks", forecast.DefaultWeeks, "weeks to report (at most the model's 13; computed over 13, week k the same whatever --weeks)"),
		by:       fs.String("by", "", "break down by currency, segment, customer (with the invoices behind each week) or country"),
		currency: fs.String("currency", "", "reporting currency (ISO 4217) to convert every amount to"),
		fx:       fs.String("fx", "", "exchange rates to the reporting currency: CSV with columns currency,rate"),
		model:    fs.String("model", "", "model id (default: the promoted one)"),
		registry: registryFlag(fs, e),
		format:   fs.String("format", "text", "text or csv (--json for JSON)"),
		paths:    fs.Int("paths", forecast.DefaultPaths, "simulated paths behind the bands"),
		seed:     fs.Uint64("seed", 1, "random seed of the simulation"),
		asJSON:   fs.Bool("json", false, "print JSON"),
		parts:    partsFlag(fs),
	}
}

// run loads the model and the ledger and computes the forecast; it
// returns the model's id and the rates the ledger was converted at (nil:
// not converted) too.
func (f forecastFlags) run(ctx context.Context, e env, cmd string) (*forecast.Result, string, *datasets.FX, error) {
	if *f.format != "text" && *f.format != "csv" {
		return nil, "", nil, fmt.Errorf("%w: %s: --format %q, want text or csv", errUsage, cmd, *f.format)
	}
	if *f.fx != "" && *f.currency == "" {
		return nil, "", nil, fmt.Errorf("%w: %s: --fx needs --currency, the currency its rates convert to", errUsage, cmd)
	}
	t, err := parseAsOf("as-of", *f.asOf)
	if err != nil {
		return nil, "", nil, err
	}
	o := forecast.Options{AsOf: t, Weeks: *f.weeks, Paths: *f.paths, Seed: *f.seed, By: *f.by, Log: newLogger(e)}
	if _, err := o.Validate(); err != nil {
		return nil, "", nil, fmt.Errorf("%w: %s: %v", errUsage, cmd, err)
	}
	b, meta, err := loadModel(*f.registry, *f.model)
	if err != nil {
		return nil, "", nil, fmt.Errorf("%s: no model to forecast with: %w", cmd, err)
	}
	fx, err := reportingFX(*f.currency, *f.fx)
	if err != nil {
		return nil, "", nil, fmt.Errorf("%s: %w", cmd, err)
	}
	st, err := openStore(ctx, *f.store, newLogger(e), false)
	if err != nil {
		return nil, "", nil, fmt.Errorf("%s: %w", cmd, err)
	}
	defer st.Close()
	// In parts of whole customers (on ClickHouse; the embedded store's
	// ledger is one part), read twice: the portfolio's record, then each
	// part's book against it.
	res, info, err := forecast.FromParts(ctx, storeParts(ctx, st, *f.parts), b, fx, o)
	if err != nil {
		return nil, "", nil, fmt.Errorf("%s: %w", cmd, usageIfRequest(err))
	}
	for _, w := range forecastWarnings(info.LastDay, b.Options.AsOf, o.AsOf) {
		fmt.Fprintf(e.stderr, "dsopilot: warning: %s: %s\n", cmd, w)
	}
	if res.Unconverted != nil {
		// Said on stderr too, so that a script reading the CSV or JSON
		// sees it in its log.
		fmt.Fprintf(e.stderr, "dsopilot: warning: %s: %s\n", cmd, res.Unconverted)
	}
	if len(info.Mixed) > 1 {
		fmt.Fprintf(e.stderr, "dsopilot: warning: %s: amounts in %s are added unconverted; give --currency and --fx, or --by currency\n",
			cmd, strings.Join(info.Mixed, ", "))
	}
	return res, meta.ID, fx, nil
}

// boundedText says which of a customer's invoices the new business's
// run-rate counted at the outlier bound, and what that took off.
func boundedText(b forecast.Bounded, g func(forecast.Money) string) string {
	what, each := fmt.Sprintf("one invoice of %s", g(b.Largest)), ""
	if b.Invoices > 1 {
		what, each = fmt.Sprintf("%d invoices (the largest %s)", b.Invoices, g(b.Largest)), " each"
	}
	return fmt.Sprintf("customer %s's run-rate counts %s at %s%s, %d× its median invoice of %s (%s less invoiced in the last 13 weeks; the year's %s above the bound spread over the year): expected invoicing %s",
		b.CustomerID, what, g(b.Bound), each, forecast.OutlierFactor, g(b.Median), g(b.Excess), g(b.YearExcess), loweredText(b.Lowered, g))
}

// loweredText says what the bound changed the expected invoicing by: a
// year's large invoices spread over it can count for more than the last 13
// weeks' did, which raises it.
func loweredText(m forecast.Money, g func(forecast.Money) string) string {
	if m < 0 {
		return "raised by " + g(-m)
	}
	return "lowered by " + g(m)
}

// boundedShown is how many bounded customers the text names, the largest
// changes first; --json lists them all (new_business.bounded). The demo
// ledger bounds 150 of 559 customers: a line each buried the forecast.
const boundedShown = 3

// printBounded says how many customers' run-rates the outlier bound
// changed, by how much in all, and names the largest changes.
func printBounded(w io.Writer, bs []forecast.Bounded, g func(forecast.Money) string) {
	if len(bs) == 0 {
		return
	}
	var net forecast.Money
	for _, b := range bs {
		net += b.Lowered
	}
	fmt.Fprintf(w, "new business: %d customers' run-rates count invoices above %d× their median at that bound, the year's excess spread over the year: expected invoicing %s in all",
		len(bs), forecast.OutlierFactor, loweredText(net, g))
	if len(bs) > boundedShown {
		fmt.Fprintf(w, " (the %d largest changes below; all in --json, new_business.bounded)", boundedShown)
	}
	fmt.Fprintln(w)
	top := slices.Clone(bs)
	abs := func(m forecast.Money) forecast.Money { return max(m, -m) }
	slices.SortStableFunc(top, func(a, b forecast.Bounded) int { return cmp.Compare(abs(b.Lowered), abs(a.Lowered)) })
	for _, b := range top[:min(len(top), boundedShown)] {
		fmt.Fprintf(w, "new business: %s\n", boundedText(b, g))
	}
}

// dueSum is a due schedule's total over its weeks.
func dueSum(due []forecast.Scheduled) forecast.Money {
	var sum forecast.Money
	for _, d := range due {
		sum += d.Amount
	}
	return sum
}

// printForecast prints the forecast as a table a treasurer reads.
func printForecast(w io.Writer, r *forecast.Result) error {
	cur := r.Currency
	if cur == "" {
		cur = "mixed currencies"
	}
	b := r.Book
	// Amounts as a treasurer reads them, with thousands separators (a
	// trial's treasurer read 508197.83); the CSV and JSON keep plain
	// decimals.
	g := func(m forecast.Money) string { return m.Money().Grouped() }
	fmt.Fprintf(w, "cash receipts forecast as of %s, %s; %d weeks (the total sums them), %d paths\n", r.AsOf, cur, len(r.Weeks), r.Paths)
	fmt.Fprintf(w, "open book: %d invoices of %d customers, %s outstanding (%s overdue); disputed %s, expected credit %s; promised %s; expected after the horizon or never %s\n",
		b.Invoices, b.Customers, g(b.Outstanding), g(b.Overdue), g(b.Disputed), g(b.ExpectedCredit), g(b.Promised), g(b.Beyond))
	if b.RunPayers > 0 {
		// Invoices moved together widen the bands where they fall: the
		// treasurer is told why.
		fmt.Fprintf(w, "payment runs: %d customers settle invoices of one due date on one day; %d of their open invoices move together\n", b.RunPayers, b.RunInvoices)
	}
	fmt.Fprintf(w, "new business: %d customers expected to invoice %s over the horizon (seasonal factor %.2f)\n",
		r.NewBusiness.Customers, g(r.NewBusiness.Invoicing), r.NewBusiness.Seasonal)
	// A run-rate that counted an exceptional invoice at the outlier bound
	// says so: the projection was lowered, not silently changed.
	printBounded(w, r.NewBusiness.Bounded, g)
	if r.Unconverted != nil {
		fmt.Fprintf(w, "NOT IN THIS FORECAST: %s\n", r.Unconverted)
	}
	s := r.Shocks
	how := "estimated from " + strconv.Itoa(s.Replays) + " past weekly forecasts"
	if !s.Estimated {
		how = "defaults: too little history (" + strconv.Itoa(s.Replays) + " past weeks) to estimate them"
	}
	fmt.Fprintf(w, "shocks (%s): customer %.3f, portfolio %.3f, week boundary %.3f, month-end/holiday boundary %.3f, new business volume %.3f and week %.3f\n",
		how, s.Customer, s.Portfolio, s.Week, s.WeekCalendar, s.NewVolume, s.NewWeek)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "week\tfrom\tto\topen P10\topen P50\topen P90\topen mean\tnew mean\ttotal P10\ttotal P50\ttotal P90\tdue dates\t")
	for k, wk := range r.Weeks {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", k+1, wk.Start, wk.End, g(wk.Open.P10), g(wk.Open.P50), g(wk.Open.P90),
			g(wk.Open.Mean), g(wk.New.Mean), g(wk.Total.P10), g(wk.Total.P50), g(wk.Total.P90), g(r.DueSchedule[k].Amount))
	}
	t := r.Total
	due := dueSum(r.DueSchedule)
	fmt.Fprintf(tw, "total %d wk\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", len(r.Weeks), r.Weeks[0].Start, r.Weeks[len(r.Weeks)-1].End,
		g(t.Open.P10), g(t.Open.P50), g(t.Open.P90), g(t.Open.Mean), g(t.New.Mean), g(t.Total.P10), g(t.Total.P50), g(t.Total.P90), g(due))
	if err := tw.Flush(); err != nil {
		return err
	}
	// The total row's percentiles are not the columns' sums: a path's
	// weeks are summed first, and the sum's P10/P90 are narrower than the
	// weekly P10/P90 added up. Said here so nobody adds the column.
	fmt.Fprintf(w, "total row: P10/P50/P90 are percentiles of the %d-week sum over the paths (not the sums of the weekly percentiles above); mean and due dates are sums of the weeks\n", len(r.Weeks))
	// The baseline puts what is already overdue in week 1: a trial's
	// treasurer read week 1's due dates as due that week.
	fmt.Fprintf(w, "due dates: each open invoice in the week it falls due, those already overdue (%s) in week 1\n", g(b.Overdue))
	if len(r.Groups) == 0 {
		return nil
	}
	in := ""
	if r.By == "currency" && r.Currency != "" {
		// The groups are the invoices' own currencies; the amounts are
		// converted (a trial read GBP's row as pounds).
		in = fmt.Sprintf(", amounts in %s: each row is the invoices written in its currency, converted", r.Currency)
	}
	order := ""
	groups := r.Groups
	if r.By == "customer" {
		// The largest first: a treasurer reads the customers that carry
		// the cash, not the ids in order.
		groups = slices.Clone(r.Groups)
		slices.SortStableFunc(groups, func(a, b forecast.Group) int { return cmp.Compare(b.Total.Total.Mean, a.Total.Total.Mean) })
		order = ", the largest total first"
	}
	fmt.Fprintf(w, "\nby %s, whole horizon of %d weeks (P10/P50/P90 percentiles of each group's %d-week sum, means and due dates sums of its weeks; the groups' due dates add up to the total row's%s%s):\n", r.By, len(r.Weeks), len(r.Weeks), in, order)
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	name, nameHead := func(forecast.Group) string { return "" }, ""
	if r.By == forecast.ByCustomer {
		// The master's name beside the id: a treasurer knows customers by
		// name.
		name, nameHead = func(gr forecast.Group) string { return gr.Name + "\t" }, "name\t"
	}
	fmt.Fprintf(tw, "%s\t%sopen P10\topen P50\topen P90\topen mean\tnew mean\ttotal P50\tdue dates\t\n", r.By, nameHead)
	for _, gr := range groups {
		t := gr.Total
		fmt.Fprintf(tw, "%s\t%s%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", gr.Key, name(gr), g(t.Open.P10), g(t.Open.P50), g(t.Open.P90), g(t.Open.Mean), g(t.New.Mean), g(t.Total.P50), g(dueSum(gr.DueSchedule)))
	}
	return tw.Flush()
}

// writeForecastCSV writes one row per week (and group), then the horizon
// total (its week_start and week_end say which weeks it sums; the period
// stays "total" for the readers that key on it), each with the open, new
// and total bands and the due-date schedule (each group's own in a
// breakdown). A breakdown by customer has the customer's name after its
// id. When amounts were left out for want of a rate, a last column
// "unconverted" says what on every row (it is absent otherwise, so that
// the usual file is unchanged): a reader of any row sees that the figures
// leave it out.
func writeForecastCSV(w io.Writer, r *forecast.Result) error {
	cw := csv.NewWriter(w)
	head := []string{"period", "week_start", "week_end"}
	for _, p := range []string{"open", "new", "total"} {
		head = append(head, p+"_mean", p+"_p10", p+"_p50", p+"_p90")
	}
	head = append(head, "due_schedule")
	byName := r.By == forecast.ByCustomer
	switch {
	case byName:
		head = append([]string{r.By, "name"}, head...)
	case r.By != "":
		head = append([]string{r.By}, head...)
	}
	if r.Unconverted != nil {
		head = append(head, "unconverted")
	}
	cw.Write(head)
	row := func(key, name, period string, from, to datasets.Date, open, nw, tot forecast.Band, due string) {
		rec := []string{period, from.String(), to.String()}
		for _, b := range []forecast.Band{open, nw, tot} {
			rec = append(rec, b.Mean.String(), b.P10.String(), b.P50.String(), b.P90.String())
		}
		rec = append(rec, due)
		switch {
		case byName:
			rec = append([]string{key, name}, rec...)
		case r.By != "":
			rec = append([]string{key}, rec...)
		}
		if r.Unconverted != nil {
			rec = append(rec, r.Unconverted.String())
		}
		cw.Write(rec)
	}
	emit := func(key, name string, weeks []forecast.Week, total forecast.Horizon, due []forecast.Scheduled) {
		var sum forecast.Money
		for k, wk := range weeks {
			d := ""
			if due != nil {
				d = due[k].Amount.String()
				sum += due[k].Amount
			}
			row(key, name, "week "+strconv.Itoa(k+1), wk.Start, wk.End, wk.Open, wk.New, wk.Total, d)
		}
		d := ""
		if due != nil {
			d = sum.String()
		}
		row(key, name, "total", weeks[0].Start, weeks[len(weeks)-1].End, total.Open, total.New, total.Total, d)
	}
	if r.By == "" {
		emit("", "", r.Weeks, r.Total, r.DueSchedule)
	}
	for _, g := range r.Groups {
		emit(g.Key, g.Name, g.Weeks, g.Total, g.DueSchedule)
	}
	cw.Flush()
	return cw.Error()
}

func runForecastSnapshot(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "forecast snapshot", "[--store S] --as-of DATE [--weeks 13] [--currency CUR --fx FILE] [--model ID] [--parts N] [--json]",
		"Computes the forecast as dsopilot forecast does and saves it in the store with the rates it converted\n"+
			"at (ClickHouse: the forecast_snapshots and forecast_snapshot_rates tables, after applying pending\n"+
			"migrations; embedded: its own bucket), so that dsopilot forecast compare can later line it up against\n"+
			"what was received, converted at the same rates. Prints the snapshot id.")
	f := newForecastFlags(fs, e)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *f.by != "" {
		return fmt.Errorf("%w: forecast snapshot: --by does not apply, a snapshot keeps the portfolio's weeks", errUsage)
	}
	res, id, fx, err := f.run(ctx, e, "forecast snapshot")
	if err != nil {
		return err
	}
	st, err := openStore(ctx, *f.store, newLogger(e), true)
	if err != nil {
		return fmt.Errorf("forecast snapshot: %w", err)
	}
	defer st.Close()
	ss, ok := st.(datasets.SnapshotStore)
	if !ok {
		return fmt.Errorf("forecast snapshot: store %s cannot keep snapshots", *f.store)
	}
	now := time.Now()
	snap := res.Snapshot(forecast.SnapshotID(res.AsOf, now), now, id)
	// The rates go with it, so that compare converts what comes in since
	// at the rates the forecast was made at.
	snap.FX = datasets.SnapshotFX(fx)
	if err := ss.PutSnapshot(ctx, snap); err != nil {
		return fmt.Errorf("forecast snapshot: %w", err)
	}
	if *f.asJSON {
		return writeJSON(e.stdout, map[string]any{"snapshot": snap.ID, "forecast": res})
	}
	fmt.Fprintf(e.stdout, "saved forecast snapshot %s (as of %s, %d weeks, %d open invoices, model %s)\n",
		snap.ID, snap.AsOf, len(snap.Weeks), snap.Invoices, id)
	return nil
}

func runForecastCompare(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "forecast compare", "[--store S] [--snapshot ID] [--fx FILE] [--parts N] [--json]",
		"Lines a saved forecast (the latest, or --snapshot ID) up against what the store now shows was received,\n"+
			"week by week: the open book's receipts against its P10/P50/P90, and new business against its forecast;\n"+
			"then the total over the weeks against the snapshot's band of it (open book, new business, both), judged\n"+
			"within P10-P90 or not once every week is complete.\n"+
			"Weeks the ledger has not reached yet are pending. What came in is converted to the snapshot's currency at the\n"+
			"rates the snapshot was made at, kept with it. With --list, lists the saved snapshots.")
	store := storeFlag(fs, e)
	id := fs.String("snapshot", "", "snapshot id (default: the latest saved)")
	fxPath := fs.String("fx", "", "rates to the snapshot's currency for the currencies it keeps no rate for (every one, for a snapshot saved before snapshots kept their rates)")
	list := fs.Bool("list", false, "list the saved snapshots instead")
	asJSON := fs.Bool("json", false, "print JSON")
	parts := partsFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	st, err := openStore(ctx, *store, newLogger(e), false)
	if err != nil {
		return fmt.Errorf("forecast compare: %w", err)
	}
	defer st.Close()
	ss, ok := st.(datasets.SnapshotStore)
	if !ok {
		return fmt.Errorf("forecast compare: store %s cannot keep snapshots", *store)
	}
	all, err := ss.Snapshots(ctx)
	if err != nil {
		return fmt.Errorf("forecast compare: %w", err)
	}
	if *list {
		if *asJSON {
			return writeJSON(e.stdout, all)
		}
		for _, s := range all {
			fmt.Fprintf(e.stdout, "%s  as of %s  %d weeks  %d open invoices  %s  model %s\n", s.ID, s.AsOf, len(s.Weeks), s.Invoices, s.Currency, s.Model)
		}
		return nil
	}
	var snap *datasets.ForecastSnapshot
	switch {
	case *id != "":
		if snap, err = ss.Snapshot(ctx, *id); err != nil {
			return fmt.Errorf("forecast compare: %w", err)
		}
	case len(all) == 0:
		return fmt.Errorf("forecast compare: no forecast snapshot in %s (save one with dsopilot forecast snapshot)", *store)
	default:
		snap = &all[len(all)-1]
	}
	var given *datasets.FX
	if snap.Currency != "" {
		if given, err = reportingFX(snap.Currency, *fxPath); err != nil {
			return fmt.Errorf("forecast compare: snapshot %s is in %s: %w", snap.ID, snap.Currency, err)
		}
	}
	fx, from, added := forecast.ActualsRates(snap, given)
	c, err := forecast.CompareParts(storeParts(ctx, st, *parts), fx, snap)
	if err != nil {
		return fmt.Errorf("forecast compare: %w", usageIfRequest(err))
	}
	rates := ""
	if fx != nil && len(fx.Rates) > 0 {
		c.ActualsFX, c.ActualsFXFrom, c.ActualsFXGivenFor = fx, from, added
		rates = fxList(c.ActualsFX)
	}
	switch {
	case c.ActualsFX == nil:
	case from == forecast.RatesGiven:
		fmt.Fprintf(e.stderr, "dsopilot: warning: forecast compare: snapshot %s keeps no exchange rates (saved before snapshots kept them): what came in since %s is converted to %s at the rates given now (%s: %s), "+
			"not necessarily those its forecast was made at, so a move in rates counts as forecast error\n", c.Snapshot, c.AsOf, c.Currency, *fxPath, rates)
	case len(added) > 0:
		fmt.Fprintf(e.stderr, "dsopilot: warning: forecast compare: snapshot %s has no rate for %s: what came in since %s in those currencies is converted to %s at the rates of %s given now, "+
			"not ones its forecast was made at\n", c.Snapshot, strings.Join(added, ", "), c.AsOf, c.Currency, *fxPath)
	}
	if *asJSON {
		return writeJSON(e.stdout, c)
	}
	unit := "amounts in " + c.Currency
	if c.Currency == "" {
		unit = "amounts as recorded, currencies added unconverted"
	}
	fmt.Fprintf(e.stdout, "snapshot %s: forecast as of %s with model %s, %s; the ledger runs to %s\n", c.Snapshot, c.AsOf, c.Model, unit, c.Through)
	switch {
	case c.ActualsFX == nil:
	case from == forecast.RatesGiven:
		fmt.Fprintf(e.stdout, "received amounts converted to %s at the rates of %s given now, not the snapshot's (it keeps none): %s\n", c.Currency, *fxPath, rates)
	case len(added) > 0:
		fmt.Fprintf(e.stdout, "received amounts converted to %s at the snapshot's own rates, those its forecast was made at, and for %s at the rates of %s given now: %s\n",
			c.Currency, strings.Join(added, ", "), *fxPath, rates)
	default:
		fmt.Fprintf(e.stdout, "received amounts converted to %s at the snapshot's own rates, those its forecast was made at: %s\n", c.Currency, rates)
	}
	if c.BookChanged {
		fmt.Fprintf(e.stdout, "note: the ledger now shows %d open invoices (%s) at %s; the snapshot saw %d (%s): later exports changed history\n",
			c.BookNow.Invoices, c.BookNow.Outstanding, c.AsOf, snap.Invoices, snap.Outstanding)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	// Grouped digits, as the forecast prints them (a trial found the
	// compare's plain 1153830.00 beside the forecast's 1,153,830.00).
	g := func(m forecast.Money) string { return m.Money().Grouped() }
	// Every receipt of the week has a column, so that the row adds up to
	// the cash the ledger records (a trial's compare left out the cash on
	// account and on invoices the snapshot did not know).
	fmt.Fprintln(tw, "week\tfrom\tto\tstatus\topen P10\topen P50\topen P90\topen received\twithin\tnew mean\tnew received\tclosed invoices\tunapplied\tall received\t")
	for k, w := range c.Weeks {
		within := ""
		if w.Status == "complete" {
			within = "no"
			if w.Within {
				within = "yes"
			}
		}
		r := w.Received
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", k+1, w.Start, w.End, w.Status, g(w.Open.P10), g(w.Open.P50), g(w.Open.P90),
			g(w.ActualOpen), within, g(w.New.Mean), g(w.ActualNew), g(r.Closed), g(r.Unapplied), g(r.Total))
	}
	r := c.Received
	fmt.Fprintf(tw, "received\t\t\t\t\t\t\t%s\t\t\t%s\t%s\t%s\t%s\t\n", g(r.Open), g(r.New), g(r.Closed), g(r.Unapplied), g(r.Total))
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "received row: the complete and partial weeks; all received = open + new + closed invoices (paid after they were settled or credited by %s) + unapplied (payments naming no invoice the ledger holds)\n", c.AsOf)
	if c.Complete > 0 {
		fmt.Fprintf(e.stdout, "over %d complete weeks: WAPE %.3f, bias %+.1f%%, %d%% of weeks within P10-P90; new business (mean against invoices issued after %s): WAPE %.3f, bias %+.1f%%\n",
			c.Complete, c.WAPE, 100*c.Bias, int(100*c.Coverage+0.5), c.AsOf, c.NewWAPE, 100*c.NewBias)
	}
	return printCompareTotal(e.stdout, c, g)
}

// fxList lists fx's rates as "CUR rate", by currency.
func fxList(fx *datasets.FX) string {
	cs := slices.Sorted(maps.Keys(fx.Rates))
	for i, c := range cs {
		cs[i] = c + " " + fx.Rates[c].String()
	}
	return strings.Join(cs, ", ")
}

// forecastWarnings says what makes a forecast as of t of a ledger whose
// latest record is of last with a model
// trained as of trained doubtful though it runs: a ledger that ends long
// before t (every invoice then looks unpaid since, and week 1 collects
// what is long settled or lost) and a model that has seen what happened
// after t (a snapshot or a comparison from it flatters the forecast).
func forecastWarnings(last datasets.Date, trained string, t datasets.Date) []string {
	var out []string
	if last != 0 && t-last > datasets.StaleAfterDays {
		out = append(out, fmt.Sprintf("the ledger's latest record is of %s, %d days before the as-of date %s: nothing paid, "+
			"invoiced or recorded since is known, so the forecast describes a book frozen on %s; give --as-of %s to forecast "+
			"from the ledger's end, or load the recent records", last, int(t-last), t, last, last.AddDays(1)))
	}
	if d, err := datasets.ParseDate(trained); err == nil && d > t {
		out = append(out, fmt.Sprintf("the model was trained as of %s, after the as-of date %s: it has learnt from what "+
			"happened after %s, so this forecast (and a snapshot or comparison of it) is better than one made then could be; "+
			"train a model as of %s or earlier for an honest one", d, t, t, t))
	}
	return out
}
