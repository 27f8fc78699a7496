package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/recommender"
	"github.com/dsopilot/dsopilot/recommender/credit"
)

// The commands that read the ledger as of a day: credit suggest and flags.

// creditRead is the flags of the commands that read as of a day.
type creditRead struct {
	creditFlags
	fs                       *flag.FlagSet
	asOf, customer, currency *string
}

func newCreditRead(fs *flag.FlagSet, e env) creditRead {
	cf := newCreditFlags(fs, e)
	cf.parts = partsFlag(fs)
	fs.Lookup("currency").Usage = "the reporting currency (ISO 4217): the built-in policy's amounts are stated in it and, with --fx, every customer's are converted to it; " +
		"without --fx only the customers in it are assessed (default: the customers' one currency when they are all in one, else EUR)"
	return creditRead{creditFlags: cf, fs: fs,
		asOf:     fs.String("as-of", "", "the day, at its end (YYYY-MM-DD; default today)"),
		customer: fs.String("customer", "", "only this customer"),
		currency: cf.currency}
}

// creditRun is what a read command works with: the workflow, the day, the
// customers asked for, and the ledger's span as the workflow reads it.
type creditRun struct {
	svc  *credit.Service
	day  datasets.Date
	ids  []string
	span *ledgerSpan
}

// open parses args and opens the store for reading.
func (r creditRead) open(ctx context.Context, e env, args []string) (creditRun, func(), error) {
	if err := parseFlags(r.fs, args); err != nil {
		return creditRun{}, nil, err
	}
	day, err := parseAsOf("as-of", *r.asOf)
	if err != nil {
		return creditRun{}, nil, err
	}
	cur := ""
	if *r.currency != "" {
		// The code as kpi, train and the others read their --currency.
		if cur, err = datasets.ParseCurrency(*r.currency); err != nil {
			return creditRun{}, nil, fmt.Errorf("%w: %s: --%v", errUsage, r.fs.Name(), err)
		}
	}
	svc, done, err := r.service(ctx, e, r.fs.Name(), false)
	if err != nil {
		return creditRun{}, nil, err
	}
	// The ledger is read again by the assessment: once is enough.
	svc.Store = &loadOnce{Store: svc.Store}
	if cur == "" && *r.policy == "" {
		if err := r.ledgerCurrency(ctx, svc); err != nil {
			done()
			return creditRun{}, nil, err
		}
	}
	// --currency with rates is the reporting currency every customer is
	// converted to, as kpi, forecast and recommend convert theirs; without
	// rates, only the customers in it are assessed (none needs a rate).
	if *r.fx == "" {
		svc.Currency = cur
	}
	run := creditRun{svc: svc, day: day, span: &ledgerSpan{}}
	svc.Parts = run.span.watch(svc.Parts)
	if *r.customer != "" {
		run.ids = []string{*r.customer}
	}
	return run, done, nil
}

// ledgerCurrency states the built-in policy in the ledger's currency when
// its customers are all in one (a GBP ledger was assessed against the
// policy in EUR and refused for want of a rate to EUR); a ledger in
// several needs --currency, but with --fx alone, whose rates are then to
// the built-in policy's EUR.
func (r creditRead) ledgerCurrency(ctx context.Context, svc *credit.Service) error {
	cs, err := svc.CustomerCurrencies(ctx)
	if err != nil {
		return fmt.Errorf("%s: %w", r.fs.Name(), err)
	}
	if len(cs) > 1 && *r.fx == "" {
		// Which currency to report in is the user's to say: the policy's
		// EUR named in the refusal read as a currency the ledger is in.
		return fmt.Errorf("%w: %s: the customers are in %s: give --currency CODE, the reporting currency, with --fx FILE of rates to it "+
			"(without --fx only the customers in it are assessed)", errUsage, r.fs.Name(), strings.Join(cs, ", "))
	}
	if err := inCurrencyOf(svc, cs, *r.fx); err != nil {
		return fmt.Errorf("%s: %w", r.fs.Name(), err)
	}
	return nil
}

// oneLedgerCurrency states the built-in policy in the ledger's currency
// when its customers are all in one (ledgerCurrency, for a command that
// needs no refusal of a ledger in several: one customer's proposal).
func oneLedgerCurrency(ctx context.Context, svc *credit.Service, fxPath string) error {
	cs, err := svc.CustomerCurrencies(ctx)
	if err != nil {
		return err
	}
	return inCurrencyOf(svc, cs, fxPath)
}

// inCurrencyOf restates svc's built-in policy in cs's one currency, with
// the rates of fxPath to it; nothing when cs is not one currency or is the
// policy's.
func inCurrencyOf(svc *credit.Service, cs []string, fxPath string) error {
	if len(cs) != 1 || cs[0] == svc.Policy.Currency {
		return nil
	}
	svc.Policy = credit.DefaultPolicyIn(cs[0])
	svc.FX = datasets.FX{To: cs[0]}
	if fxPath != "" {
		fx, err := datasets.ReadFXFile(fxPath, cs[0])
		if err != nil {
			return err
		}
		svc.FX = fx
	}
	return nil
}

// loadOnce is a store whose ledger is loaded once: the currency the
// ledger is in and its assessment read the same ledger.
type loadOnce struct {
	credit.Store
	once sync.Once
	l    *datasets.Ledger
	err  error
}

func (s *loadOnce) Load(ctx context.Context) (*datasets.Ledger, error) {
	s.once.Do(func() { s.l, s.err = s.Store.Load(ctx) })
	return s.l, s.err
}

// failed says what the command needs when it failed for want of rates.
func (run creditRun) failed(cmd string, err error) error {
	return creditFailed(cmd, run.svc, err, true)
}

// creditFailed is a credit command's error, cmd's; when it failed for want
// of rates it says what to give: --fx, or (withCurrency: the command
// takes --currency) one currency alone. A command that assesses one
// customer, or one currency, needs that currency's rate: the starting
// limits, appetites and approval thresholds are in the policy's currency.
func creditFailed(cmd string, svc *credit.Service, err error, withCurrency bool) error {
	if u := modelCutoffUsage(cmd, 0, err); u != nil {
		return u
	}
	var m *credit.MissingRatesError
	if !errors.As(err, &m) {
		return fmt.Errorf("%s: %w", cmd, err)
	}
	pol := svc.Policy.Currency
	if len(m.Customers) == 0 {
		// Only records in another currency than their customer's lack
		// a rate: --currency does not help, the rates do.
		return fmt.Errorf("%s: %w; give --fx FILE with rates to %s (records in another currency than their customer's are converted to the customer's)",
			cmd, err, pol)
	}
	cur := svc.Currency
	if cs := m.Currencies(); cur == "" && !withCurrency && len(cs) == 1 {
		cur = cs[0]
	}
	if cur != "" {
		// One currency alone still needs its rate when it is not the
		// policy's: the starting limits, appetites and approval
		// thresholds are in the policy's currency.
		return fmt.Errorf("%s: %w; the policy's amounts are in %s: give --fx FILE with a rate for %s to %s, or --policy FILE with currency %s",
			cmd, err, pol, cur, pol, cur)
	}
	if !withCurrency {
		return fmt.Errorf("%s: %w; give --fx FILE with rates to %s", cmd, err, pol)
	}
	return fmt.Errorf("%s: %w; give --fx FILE with rates to %s, or --currency CODE to assess one currency alone (%s needs no rates)",
		cmd, err, pol, pol)
}

// only says which currency alone was assessed ("" for all), with the
// customers left aside in the others.
func only(cur string, others map[string]int) string {
	if cur == "" {
		return ""
	}
	s := "customers in " + cur + " only"
	if len(others) > 0 {
		n := 0
		names := make([]string, 0, len(others))
		for c, k := range others {
			n += k
			names = append(names, c)
		}
		slices.Sort(names)
		s += fmt.Sprintf(" (%s in %s not assessed)", recommender.Plural(n, "customer"), strings.Join(names, ", "))
	}
	return s
}

func runCreditSuggest(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "credit suggest", "[--store S] --as-of DATE [--policy FILE] [--customer ID] [--currency CODE] [--top N] [--fx FILE] [--model ID] [--registry DIR] [--parts N] [--json]",
		"Suggests a credit limit for every customer from what was known by the end of DATE: the exposure its\n"+
			"business needs (run-rate with the season × (terms + days late up to the policy's\n"+
			"need.late_tolerance_days) / 30 × headroom), capped by the risk\n"+
			"appetite (PD × LGD × unsecured limit ≤ the segment's maximum expected loss) and by the credit report's\n"+
			"rule (financials: the lower of shares of tangible net worth and turnover by rating), rounded to the\n"+
			"grid, with the hard rules (default or credit hold: 0; 90+ debt: no increase; new customers: the\n"+
			"segment's starting limit). Prints current limit, exposure, utilisation, suggestion, change, PD\n"+
			"(pd_12m, within a year) and its credit risk class (credit_class; not the worklist's class of\n"+
			"lateness), review date, the role that may approve it and the reasons, biggest changes first.\n"+
			"Customers in other currencies than the policy's need --fx (rates to it), or --currency to assess\n"+
			"one currency alone; without either a ledger with them is refused, naming the currencies.")
	r := newCreditRead(fs, e)
	top := fs.Int("top", 0, "print only the N biggest changes (0: all)")
	run, done, err := r.open(ctx, e, args)
	if err != nil {
		return err
	}
	defer done()
	s, err := run.svc.Suggest(ctx, run.day, run.ids...)
	if err != nil {
		return run.failed("credit suggest", err)
	}
	run.span.warnAsOf(e, "credit suggest", run.day)
	if len(s.Problems) > 0 { // none is left out without failing
		return fmt.Errorf("credit suggest: %s", strings.Join(s.Problems, "; "))
	}
	if *top > 0 && len(s.Rows) > *top {
		s.Rows = s.Rows[:*top]
	}
	if *r.asJSON {
		return writeJSON(e.stdout, s)
	}
	if o := only(s.Currency, s.OtherCurrencies); o != "" {
		fmt.Fprintln(e.stdout, o)
	}
	printSuggestions(e.stdout, s)
	return nil
}

func printSuggestions(w io.Writer, s *credit.Suggestions) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "customer\tsegment\tcurrency\tcurrent\tlimit_from\texposure\tused\tsuggested\tchange\tbound\tpd_12m\tcredit_class\treview\tapprover\t")
	for _, r := range s.Rows {
		used := "-"
		if r.Utilisation != nil {
			used = fmt.Sprintf("%.0f%%", 100**r.Utilisation)
		}
		change := recommender.FormatAmount(r.Change.Money())
		switch m := r.Change.Money(); {
		case m > 0:
			change = "+" + change
		case m < 0: // FormatAmount rounds whole units up, so a negative by its size
			change = "-" + recommender.FormatAmount(-m)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%.1f%%\t%s\t%s\t%s\t\n", r.CustomerID, r.Segment, r.Currency,
			current(r), limitFrom(r), recommender.FormatAmount(r.Exposure.Money()), used,
			recommender.FormatAmount(r.Suggested.Money()), change, r.Bound, 100*r.PD, r.CreditRiskClass, r.Review,
			dash(r.RequiredRole))
	}
	tw.Flush()
	for _, r := range s.Rows {
		if r.Change.Money() == 0 {
			continue
		}
		fmt.Fprintf(w, "%s: %s\n", r.CustomerID, strings.Join(r.Reasons, "; "))
	}
}

// current is a suggestion's current limit in a column: "none recorded",
// as flags, propose and list say it, when none is (a blank in the customer
// master is not a limit of 0).
func current(r credit.Suggestion) string {
	return limitText(r.Current.Money(), r.LimitSource == credit.LimitNotRecorded)
}

// limitText is a limit in words: "none recorded" for a blank in the
// customer master (no limit recorded), which 0 would misread as no credit.
func limitText(m datasets.Money, blank bool) string {
	if blank {
		return "none recorded"
	}
	return recommender.FormatAmount(m)
}

// limitFrom is where a suggestion's current limit comes from, in a
// column: master, or the decision's kind and day.
func limitFrom(r credit.Suggestion) string {
	switch r.LimitSource {
	case credit.LimitFromMaster:
		return "master"
	case credit.LimitNone:
		return "none"
	case credit.LimitNotRecorded:
		return "blank"
	case credit.LimitFromDecision:
		return "decision " + r.LimitSet.String()
	case credit.LimitFromApproval:
		return "approval " + r.LimitSet.String()
	}
	return dash(r.LimitSource)
}

func runCreditFlags(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "credit flags", "[--store S] --as-of DATE [--policy FILE] [--customer ID] [--currency CODE] [--fx FILE] [--model ID] [--registry DIR] [--parts N] [--json]",
		"Lists the customers whose orders should be held, or looked at, as of the end of DATE: over the limit\n"+
			"(a limit of 0 is no credit), debt with no limit recorded (no_limit: a blank credit_limit, or a customer\n"+
			"derived from invoices with no decision; told in one line, --json lists them),\n"+
			"an invoice overdue beyond flags.overdue_days, a limit a credit decision\n"+
			"set past its review date (review_due within flags.review_grace_days, expired after), or\n"+
			"flags.broken_promises broken promises, each with the amount, the reason and the expected resolution,\n"+
			"most exposed first; flags.block_orders_on says which hold orders. The amount is the part over the\n"+
			"limit, the overdue debt, the limit itself for review_due and expired (owed or not), the promises\n"+
			"broken. --json gives each customer's\n"+
			"limit_source, limit_set_date and limit_review_date (the current limit's) as credit suggest and the\n"+
			"API do. Currencies as for credit suggest.")
	r := newCreditRead(fs, e)
	run, done, err := r.open(ctx, e, args)
	if err != nil {
		return err
	}
	defer done()
	flags, problems, err := run.svc.Flags(ctx, run.day, run.ids...)
	if err != nil {
		return run.failed("credit flags", err)
	}
	run.span.warnAsOf(e, "credit flags", run.day)
	if len(problems) > 0 { // none is left out without failing
		return fmt.Errorf("credit flags: %s", strings.Join(problems, "; "))
	}
	if *r.asJSON {
		out := map[string]any{"as_of": run.day, "customers": flags, "policy": run.svc.Policy.Source, "policy_currency": run.svc.Policy.Currency}
		if run.svc.Currency != "" {
			out["currency"] = run.svc.Currency
		}
		return writeJSON(e.stdout, out)
	}
	// Customers with no limit on record and no other flag are told once,
	// not one by one: a ledger imported without limits has every customer
	// there, and 120 entries saying the same hid the rest.
	var noLimit []credit.CustomerFlags
	for _, c := range flags {
		if onlyNoLimit(c) {
			noLimit = append(noLimit, c)
			continue
		}
		held := ""
		if c.OrdersHeld {
			held = " — orders held"
		}
		name := c.CustomerID
		if c.Customer != "" {
			name += " (" + c.Customer + ")"
		}
		net := ""
		if c.UnappliedCash != 0 || c.UnappliedCredits != 0 {
			// Why it owes less than its open invoices: what it has on account.
			net = fmt.Sprintf(" net (open %s, unapplied cash %s, unapplied credits %s)", recommender.FormatAmount(c.GrossExposure.Money()),
				recommender.FormatAmount(c.UnappliedCash.Money()), recommender.FormatAmount(c.UnappliedCredits.Money()))
		}
		fmt.Fprintf(e.stdout, "%s: owes %s %s%s, limit %s%s\n", name, recommender.FormatAmount(c.Exposure.Money()),
			c.Currency, net, limitText(c.Limit.Money(), c.LimitSource == credit.LimitNotRecorded), held)
		for _, f := range c.Flags {
			fmt.Fprintf(e.stdout, "  %-15s %12s  %s\n  %15s %12s  expected: %s\n", f.Kind, recommender.FormatAmount(f.Amount.Money()), f.Reason, "", "", f.Resolution)
		}
	}
	scope := ""
	if run.svc.Currency != "" {
		scope = ", customers in " + run.svc.Currency + " only"
	}
	held := 0
	for i := range flags {
		if flags[i].OrdersHeld {
			held++
		}
	}
	if len(noLimit) > 0 {
		printNoLimit(e.stdout, noLimit, run.day)
	}
	fmt.Fprintf(e.stdout, "%s flagged as of %s%s: %d with orders held\n", recommender.Plural(len(flags), "customer"), run.day, scope, held)
	return nil
}

// onlyNoLimit says c's one flag is no_limit, holding no orders.
func onlyNoLimit(c credit.CustomerFlags) bool {
	return len(c.Flags) == 1 && c.Flags[0].Kind == credit.FlagNoLimit && !c.OrdersHeld
}

// printNoLimit tells once that the customers of cs have no limit on
// record: how many, what they owe by currency, the first few, and what to
// do (credit suggest gives each a first limit, credit propose sets it).
func printNoLimit(w io.Writer, cs []credit.CustomerFlags, day datasets.Date) {
	owed := map[string]datasets.Money{}
	var curs, ids []string
	for _, c := range cs {
		if _, ok := owed[c.Currency]; !ok {
			curs = append(curs, c.Currency)
		}
		owed[c.Currency] += c.Exposure.Money()
		if len(ids) < 5 {
			ids = append(ids, c.CustomerID)
		}
	}
	slices.Sort(curs)
	var sums []string
	for _, cur := range curs {
		sums = append(sums, recommender.FormatAmount(owed[cur])+" "+cur)
	}
	more := ""
	if n := len(cs) - len(ids); n > 0 {
		more = fmt.Sprintf(" and %d more", n)
	}
	have, their := "have", "their"
	if len(cs) == 1 {
		have, their = "has", "its"
	}
	fmt.Fprintf(w, "no_limit: %s owing %s %s no credit limit on record (a blank credit_limit, or derived from invoices, and no credit decision: %s%s); "+
		"%s orders are not held. dsopilot credit suggest --as-of %s gives each a first limit; credit propose --limit suggested sets it; "+
		"--json lists them one by one\n",
		recommender.Plural(len(cs), "customer"), strings.Join(sums, ", "), have, strings.Join(ids, ", "), more, their, day)
}
