package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/chstore/chsql"
	"github.com/dsopilot/dsopilot/features"
)

// parseAsOf reads a --as-of style date; empty means today (UTC).
func parseAsOf(flagName, s string) (datasets.Date, error) {
	if s == "" {
		return datasets.DateOf(time.Now().UTC()), nil
	}
	d, err := datasets.ParseDate(s)
	if err != nil {
		return 0, fmt.Errorf("%w: --%s: %v", errUsage, flagName, err)
	}
	return d, nil
}

func runFeatures(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "features", "[--store S] --as-of DATE [--level customer|invoice] [--customer ID] [--format csv|json]",
		"Prints point-in-time payment-behaviour features as of the end of day DATE: one row per customer (a customer\n"+
			"with neither a start date nor an invoice by DATE is left out: it did not exist yet), or per invoice\n"+
			"open at DATE with --level invoice. On ClickHouse the features are computed inside the\n"+
			"database by SQL; on the embedded store by the Go engine. Both print the same output for the same\n"+
			"ledger. --catalogue prints the definitions (docs/features.md) instead.")
	store := storeFlag(fs, e)
	asOf := fs.String("as-of", "", "date the features describe (YYYY-MM-DD; default today)")
	level := fs.String("level", "customer", "customer or invoice")
	var customers multiFlag
	fs.Var(&customers, "customer", "only this customer id (repeatable)")
	format := fs.String("format", "csv", "csv or json")
	engine := fs.String("engine", "auto", "auto (SQL on ClickHouse, Go otherwise), go or sql")
	catalogue := fs.Bool("catalogue", false, "print the feature catalogue as Markdown and exit")
	grace := fs.Int("grace-days", 0, "days after the due date before a settlement counts as late")
	after := disputeAfterFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	opts := features.Options{GraceDays: *grace}
	var err error
	if opts.DisputeOpenedAfterDays, err = disputeAfter("features", *after); err != nil {
		return err
	}
	if *catalogue {
		_, err := io.WriteString(e.stdout, features.Markdown(opts))
		return err
	}
	t, err := parseAsOf("as-of", *asOf)
	if err != nil {
		return err
	}
	if opts.DisputeOpenedAfterDays != nil {
		fmt.Fprintf(e.stderr, "dsopilot: features: assumption: on a ledger without dispute records, an invoice's disputed flag is read from %d days after its issue date\n", *opts.DisputeOpenedAfterDays)
	}
	if *level != "customer" && *level != "invoice" {
		return fmt.Errorf("%w: features: --level %q, want customer or invoice", errUsage, *level)
	}
	if *format != "csv" && *format != "json" {
		return fmt.Errorf("%w: features: --format %q, want csv or json", errUsage, *format)
	}
	st, err := openStore(ctx, *store, newLogger(e), false)
	if err != nil {
		return fmt.Errorf("features: %w", err)
	}
	defer st.Close()
	var tab *features.Table
	q, isCH := st.(chsql.Querier)
	switch {
	case *engine == "sql" && !isCH:
		return fmt.Errorf("%w: features: --engine sql needs a ClickHouse store", errUsage)
	case isCH && *engine != "go":
		sql := features.NewSQLEngine(q, opts)
		if *level == "invoice" {
			tab, err = sql.OpenInvoices(ctx, t, customers...)
		} else {
			tab, err = sql.Customers(ctx, t, customers...)
		}
		if err != nil {
			return fmt.Errorf("features: %w", err)
		}
		if sr, ok := st.(spanReader); ok {
			var span ledgerSpan
			if err := span.ask(ctx, sr); err != nil {
				return fmt.Errorf("features: %w", err)
			}
			span.warnAsOf(e, "features", t)
		}
	default:
		l, err := loadSettled(ctx, st)
		if err != nil {
			return fmt.Errorf("features: %w", err)
		}
		var span ledgerSpan
		span.see(l)
		span.warnAsOf(e, "features", t)
		eng := features.NewEngine(features.NewIndex(l), opts)
		if *level == "invoice" {
			tab = eng.OpenInvoices(t, customers...)
		} else {
			tab = eng.Customers(t, customers...)
		}
	}
	var unknown []string
	if *level == "customer" {
		tab.DropNotStarted()
		unknown = unknownCustomers(tab, customers)
		if len(unknown) > 0 && len(unknown) == len(slices.Compact(slices.Sorted(slices.Values(customers)))) {
			return fmt.Errorf("features: no customer %s known as of %s", strings.Join(unknown, ", "), t)
		}
	}
	if *format == "json" {
		err = tab.WriteJSON(e.stdout)
	} else {
		err = tab.WriteCSV(e.stdout)
	}
	if err == nil && len(unknown) > 0 {
		fmt.Fprintf(e.stderr, "dsopilot: warning: features: no customer %s known as of %s: left out\n", strings.Join(unknown, ", "), t)
	}
	return err
}

// unknownCustomers lists the customer ids asked for that have no row in
// tab (the engines leave out ids they do not know), each once, sorted.
func unknownCustomers(tab *features.Table, asked []string) []string {
	have := make(map[string]bool, len(tab.Rows))
	for _, r := range tab.Rows {
		have[r.CustomerID] = true
	}
	var out []string
	for _, id := range slices.Compact(slices.Sorted(slices.Values(asked))) {
		if !have[id] {
			out = append(out, id)
		}
	}
	return out
}

func runKPI(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "kpi", "[--store S] --from DATE --to DATE [--by "+strings.Join(features.KPIGroupings(), "|")+"] [--monthly] [--currency CUR --fx FILE] [--json] [--parts N] [--engine auto|go|sql]",
		"Prints receivables KPIs for the period [from, to]: DSO, countback DSO, best-possible DSO, ADD, CEI,\n"+
			"aging, overdue ratio, late rate, recovery rate, days to pay, dispute and promise figures;\n"+
			"per group with --by and month by month with --monthly. With --currency and --fx (a CSV of\n"+
			"currency,rate: units of CUR one unit of currency is worth) every amount is converted to CUR first;\n"+
			"without them a ledger in several currencies is summed unconverted, and a warning says so.\n"+
			"On ClickHouse the KPIs are summed inside the database by SQL, on each shard of a cluster, converted\n"+
			"there too with --currency; with --parts or --engine go, and on the embedded store, by the Go engine.\n"+
			"Both print the same.")
	store := storeFlag(fs, e)
	from := fs.String("from", "", "first day of the period (YYYY-MM-DD, required)")
	to := fs.String("to", "", "last day of the period (YYYY-MM-DD, required)")
	by := fs.String("by", "", "group by "+strings.Join(features.KPIGroupings(), ", "))
	currency := fs.String("currency", "", "reporting currency (ISO 4217) to convert every amount to")
	fxPath := fs.String("fx", "", "exchange rates to the reporting currency: CSV with columns currency,rate")
	monthly := fs.Bool("monthly", false, "add the same KPIs month by month")
	asJSON := fs.Bool("json", false, "print JSON (the only format for now besides a short text summary)")
	parts := partsFlag(fs)
	engine := fs.String("engine", "auto", "auto, go or sql: on ClickHouse, auto computes the KPIs in SQL inside the database\n"+
		"(in Go, part by part, with --parts, or with --currency when a currency of the ledger has no rate);\n"+
		"the embedded store has the Go engine only")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *from == "" || *to == "" {
		return fmt.Errorf("%w: kpi: --from and --to are required", errUsage)
	}
	f, err := parseAsOf("from", *from)
	if err != nil {
		return err
	}
	t, err := parseAsOf("to", *to)
	if err != nil {
		return err
	}
	if _, err := datasets.CheckReporting(*currency, *fxPath); err != nil {
		return fmt.Errorf("%w: kpi: %v", errUsage, err)
	}
	if *by == "currency" && *currency != "" {
		// Converted first, every invoice would be in the reporting
		// currency and the groups would fold into one.
		return fmt.Errorf("%w: kpi: --by currency reports each currency in its own; leave out --currency and --fx, or group by segment, country or customer to have amounts converted to %s", errUsage, *currency)
	}
	rep, fx, mixed, err := kpiReport(ctx, e, *store, f, t, features.KPIOptions{By: *by, Monthly: *monthly}, *currency, *fxPath, *parts, *engine)
	if err != nil {
		return err
	}
	if fx != nil {
		rep.Currency = fx.To
	}
	if len(mixed) > 1 {
		rep.Currencies = mixed
		hint := "give --currency and --fx, or --by currency"
		if *by == "currency" && !*monthly {
			// The text prints the currencies' lines only; the JSON's
			// kpis still add them, and the warning is for it.
			hint = "each currency's own line is in that currency"
		}
		if *by != "currency" || *monthly || *asJSON {
			fmt.Fprintf(e.stderr, "dsopilot: warning: kpi: the portfolio totals add amounts in %s unconverted; %s\n",
				strings.Join(mixed, ", "), hint)
		}
	}
	if *asJSON {
		return writeJSON(e.stdout, rep)
	}
	return printKPIs(e.stdout, rep)
}

// kpiReport computes the KPIs of the ledger in store: in SQL inside
// ClickHouse (features.SQLKPIReport) when engine allows it, else with the
// Go engine, converted to the reporting currency when asked, one part of
// whole customers at a time on a store that reads parts (eachPart). The
// two engines print the same. It returns the conversion (nil when none)
// and, when not converted, the currencies the amounts are in.
func kpiReport(ctx context.Context, e env, store string, from, to datasets.Date, o features.KPIOptions,
	currency, fxPath string, parts int, engine string) (*features.KPIReport, *datasets.FX, []string, error) {
	if _, err := features.NewKPIRun(from, to, o, features.LedgerFacts{}); err != nil {
		return nil, nil, nil, fmt.Errorf("%w: kpi: %v", errUsage, err)
	}
	if engine != "auto" && engine != "go" && engine != "sql" {
		return nil, nil, nil, fmt.Errorf("%w: kpi: --engine %q, want auto, go or sql", errUsage, engine)
	}
	if engine == "sql" && parts != 0 {
		// Parts are how the Go engine reads a large ledger.
		return nil, nil, nil, fmt.Errorf("%w: kpi: --engine sql sums inside the database: --parts needs --engine go", errUsage)
	}
	// The rates are read, and a bad rates file refused, before the store
	// is opened, whichever engine runs.
	fx, err := reportingFX(currency, fxPath)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("kpi: %w", err)
	}
	st, err := openStore(ctx, store, newLogger(e), false)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("kpi: %w", err)
	}
	defer st.Close()
	q, isCH := st.(chsql.Querier)
	if engine == "sql" && !isCH {
		return nil, nil, nil, fmt.Errorf("%w: kpi: --engine sql needs a ClickHouse store", errUsage)
	}
	inSQL := isCH && (engine == "sql" || (engine == "auto" && parts == 0))
	convert := fx != nil && len(fx.Rates) > 0
	if inSQL && convert {
		// Converted in the database when every currency the ledger's
		// amounts can be in has a rate. Otherwise the Go engine
		// converts, which names each currency without a rate, how many
		// amounts and one record with one (or finds none lacking).
		ok, missing, err := features.SQLRatesCover(ctx, q, *fx)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("kpi: %w", err)
		}
		if !ok && engine == "sql" {
			return nil, nil, nil, fmt.Errorf("kpi: %w: no rate to %s for %s (the ledger has amounts or customers in it); --engine go names the records",
				datasets.ErrFX, fx.To, strings.Join(missing, ", "))
		}
		inSQL = ok
	}
	if inSQL {
		// The currencies (for the mixed-units warning, or to check that a
		// report in one currency without rates needs none) are read while
		// the KPIs are summed: two queries the server runs side by side.
		// So are the write-offs the settlements imply, which the user
		// is told of (impliedTally), as the Go engine's reads count them.
		var (
			mixed   []string
			implied features.ImpliedSummary
			curErr  error
			impErr  error
			done    = make(chan struct{}, 2)
		)
		go func() {
			defer func() { done <- struct{}{} }()
			if !convert {
				mixed, curErr = features.SQLLedgerCurrencies(ctx, q)
			}
		}()
		go func() {
			defer func() { done <- struct{}{} }()
			if convert {
				implied, impErr = features.SQLImpliedWriteOffsIn(ctx, q, *fx)
				return
			}
			implied, impErr = features.SQLImpliedWriteOffs(ctx, q)
		}()
		var rep *features.KPIReport
		if convert {
			rep, err = features.SQLKPIReportIn(ctx, q, from, to, o, *fx)
		} else {
			rep, err = features.SQLKPIReport(ctx, q, from, to, o)
		}
		<-done
		<-done
		if err == nil {
			err = cmp.Or(curErr, impErr)
		}
		if err == nil && fx != nil && !convert {
			// A reporting currency without rates: the ledger must be
			// in it already (datasets.Ledger.InCurrency).
			// The Go engine's refusal, word for word: InCurrency on a
			// ledger of one invoice per currency the ledger has.
			probe := &datasets.Ledger{}
			for _, c := range mixed {
				probe.Invoices = append(probe.Invoices, datasets.Invoice{ID: c, Currency: c})
			}
			if _, _, err := probe.InCurrency(fx); err != nil {
				return nil, nil, nil, fmt.Errorf("kpi: %w", usageIfRequest(err))
			}
			mixed = nil
		}
		if t := impliedTallyOf(ctx); t != nil && err == nil {
			t.addSummary(implied)
		}
		var span ledgerSpan
		if sr, ok := st.(spanReader); ok && err == nil {
			err = span.ask(ctx, sr)
		}
		if err != nil {
			return nil, nil, nil, fmt.Errorf("kpi: %w", err)
		}
		if w := span.periodWarning(from, to); w != "" && span.days().Last != 0 {
			fmt.Fprintf(e.stderr, "dsopilot: warning: kpi: %s\n", w)
		}
		return rep, fx, mixed, nil
	}
	pc := newFXConverter(fx)
	var (
		run  *features.KPIRun
		span ledgerSpan
	)
	// Each part is converted before the write-offs its settlements imply
	// are added (convert, then imply), as the SQL engine does: implied
	// from the amounts in their own currencies and then converted, a
	// note could round a cent apart from the converted shortfall.
	convertPart := func(l *datasets.Ledger) (*datasets.Ledger, bool, error) {
		span.see(l)
		return pc.convert(l) // !ok: missing rates, counted over every part below
	}
	err = eachPartConverted(ctx, st, parts, convertPart, func(l *datasets.Ledger, whole features.LedgerFacts) error {
		if run == nil {
			if run, err = features.NewKPIRun(from, to, o, whole); err != nil {
				return err
			}
		}
		return run.Add(features.NewPartIndex(l, whole))
	})
	if err == nil {
		err = pc.err()
	}
	if err != nil {
		return nil, nil, nil, fmt.Errorf("kpi: %w", err)
	}
	rep, err := run.Report()
	if err != nil {
		return nil, nil, nil, fmt.Errorf("kpi: %w", err)
	}
	if w := span.periodWarning(from, to); w != "" {
		fmt.Fprintf(e.stderr, "dsopilot: warning: kpi: %s\n", w)
	}
	return rep, pc.fx, pc.pc.Mixed(), nil
}

// reportingLedger converts l to the reporting currency when asked. It
// returns the ledger to report on, the conversion (nil when none) and, when
// not converted, the currencies its amounts are in.
func reportingLedger(l *datasets.Ledger, currency, fxPath string) (*datasets.Ledger, *datasets.FX, []string, error) {
	fx, err := reportingFX(currency, fxPath)
	if err != nil {
		return nil, nil, nil, err
	}
	l, mixed, err := l.InCurrency(fx)
	if err != nil {
		return nil, nil, nil, usageIfRequest(err)
	}
	return l, fx, mixed, nil
}

// reportingFX reads the rates to the reporting currency (nil: none
// asked for), as reportingLedger does, for a command that converts its
// ledger part by part.
func reportingFX(currency, fxPath string) (*datasets.FX, error) {
	fx, err := datasets.ReportingFX(currency, fxPath)
	if err != nil {
		return nil, usageIfRequest(err)
	}
	return fx, nil
}

// multiFlag collects a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return fmt.Sprint(*m) }
func (m *multiFlag) Set(s string) error { *m = append(*m, s); return nil }

// printKPIs prints the headline KPIs as text, one per line, then groups and
// months as a table.
func printKPIs(w io.Writer, r *features.KPIReport) error {
	f := func(p *float64, unit string) string {
		if p == nil {
			return "n/a"
		}
		return fmt.Sprintf("%.1f%s", *p, unit)
	}
	pct := func(p *float64) string {
		if p == nil {
			return "n/a"
		}
		return fmt.Sprintf("%.1f%%", *p*100)
	}
	k := r.KPIs
	if r.By == "currency" && r.Currency == "" && len(r.Currencies) > 1 && len(r.Months) == 0 {
		// Each currency's line is in its own unit; a portfolio line would
		// add EUR to SEK. Only the table is meaningful, so only it is shown.
		fmt.Fprintf(w, "KPIs %s .. %s (%d days, each currency in its own; no portfolio line: %s are not added. "+
			"For one, run kpi without --by, with --currency and --fx)\n", k.From, k.To, k.Days, strings.Join(r.Currencies, ", "))
		return printKPITables(w, r, f, pct)
	}
	unit := ""
	switch {
	case r.Currency != "":
		unit = ", amounts in " + r.Currency
	case len(r.Currencies) > 1:
		unit = ", amounts in " + strings.Join(r.Currencies, " + ") + " added unconverted"
	}
	fmt.Fprintf(w, "KPIs %s .. %s (%d days%s)\n", k.From, k.To, k.Days, unit)
	countback := f(k.CountbackDSO, "d")
	if k.CountbackCapped && k.CountbackDSO != nil {
		// Receivables outlast every month counted back: a lower bound.
		countback = "≥" + countback + " (receivables exceed every month's sales counted back)"
	}
	fmt.Fprintf(w, "  DSO %s   countback DSO %s   best-possible DSO %s   ADD %s\n",
		f(k.DSO, "d"), countback, f(k.BestPossibleDSO, "d"), f(k.ADD, "d"))
	fmt.Fprintf(w, "  CEI %s   late rate %s   overdue ratio %s   recovery rate %s\n",
		f(k.CEI, ""), pct(k.LateRate), pct(k.OverdueRatio), pct(k.RecoveryRate))
	// Without payment records collected is what the settlements cleared
	// (cash, credit and write-offs alike): say so next to the figure.
	basis := ""
	if k.CollectedBasis == features.CollectedCleared {
		basis = " (cleared by settlements: no payment records)"
	}
	fmt.Fprintf(w, "  invoiced %s   collected %s%s   receivables %s (current %s, overdue %s)\n",
		money(k.Invoiced), money(k.Collected), basis, money(k.Receivables), money(k.CurrentReceivables), money(k.OverdueReceivables))
	fmt.Fprintf(w, "  aging: current %s | 1-30 %s | 31-60 %s | 61-90 %s | 90+ %s\n",
		money(k.Aging.Current), money(k.Aging.Days1To30), money(k.Aging.Days31To60), money(k.Aging.Days61To90), money(k.Aging.Over90))
	// Receivables (and the DSO) are gross: cash on account, credit notes
	// on no invoice and what overpaid invoices leave reduce none. Say so,
	// with what the customers owe once they are taken off, whenever there
	// are some.
	if unapplied(&k) {
		fmt.Fprintf(w, "  on account %s (unapplied cash %s, credits %s, overpaid invoices %s) not netted in receivables; net receivables %s\n",
			money(k.OnAccount), money(k.UnappliedCash), money(k.UnappliedCredits), money(k.Overpayments), money(k.NetReceivables))
	}
	// The written-off settlements are no payments: say how many the days
	// to pay leave out, so that its base is plain; when none are, there is
	// nothing left out to say.
	leftOut := ""
	if k.InvoicesWrittenOff > 0 {
		leftOut = fmt.Sprintf("; %d of %d settled written off, left out", k.InvoicesWrittenOff, k.InvoicesSettled)
	}
	fmt.Fprintf(w, "  days to pay %s (amount-weighted %s%s)   dispute rate %s, resolved in %s   promises kept %s\n",
		f(k.AvgDaysToPay, "d"), f(k.AvgDaysToPayWeighted, "d"), leftOut,
		pct(k.DisputeRate), f(k.DisputeResolutionDays, "d"), pct(k.PromiseKeptRate))
	return printKPITables(w, r, f, pct)
}

// printKPITables prints the groups' and the months' tables of r, with f
// and pct formatting days and rates as the headline does.
func printKPITables(w io.Writer, r *features.KPIReport, f func(*float64, string) string, pct func(*float64) string) error {
	// The tables get a net receivables column when a row has something
	// on account.
	net := false
	for i := range r.Groups {
		net = net || unapplied(&r.Groups[i].KPIs)
	}
	for i := range r.Months {
		net = net || unapplied(&r.Months[i])
	}
	head, row := "\t\n", func(k *features.KPIs) string { return "\t\n" }
	if net {
		head, row = "\tnet receivables\t\n", func(k *features.KPIs) string { return "\t" + money(k.NetReceivables) + "\t\n" }
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	if len(r.Groups) > 0 {
		fmt.Fprintf(tw, "%s\tDSO\tbest\tADD\tCEI\tlate rate\treceivables%s", r.By, head)
		for _, g := range r.Groups {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s%s", g.Key, f(g.DSO, ""), f(g.BestPossibleDSO, ""), f(g.ADD, ""), f(g.CEI, ""), pct(g.LateRate), money(g.Receivables), row(&g.KPIs))
		}
	}
	if len(r.Months) > 0 {
		fmt.Fprintf(tw, "month\tDSO\tbest\tADD\tCEI\tlate rate\treceivables%s", head)
		for _, m := range r.Months {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s%s", m.From[:7], f(m.DSO, ""), f(m.BestPossibleDSO, ""), f(m.ADD, ""), f(m.CEI, ""), pct(m.LateRate), money(m.Receivables), row(&m))
		}
	}
	return tw.Flush()
}

// money formats a KPI amount for the text: digits grouped, as the
// forecast prints them (the JSON keeps the plain decimal).
func money(m features.KPIMoney) string { return m.Money().Grouped() }

// unapplied reports whether k has anything on account: cash, credit
// notes or overpaid invoices.
func unapplied(k *features.KPIs) bool {
	return k.UnappliedCash != 0 || k.UnappliedCredits != 0 || k.Overpayments != 0
}
