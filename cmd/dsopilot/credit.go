package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/model"
	"github.com/dsopilot/dsopilot/recommender"
	"github.com/dsopilot/dsopilot/recommender/credit"
)

func runCredit(ctx context.Context, e env, args []string) error {
	sub := map[string]func(context.Context, env, []string) error{
		"suggest": runCreditSuggest, "flags": runCreditFlags, "propose": runCreditPropose,
		"approve": func(ctx context.Context, e env, a []string) error { return runCreditDecide(ctx, e, a, true) },
		"reject":  func(ctx context.Context, e env, a []string) error { return runCreditDecide(ctx, e, a, false) },
		"list":    runCreditList, "expire": runCreditExpire,
	}
	if len(args) == 0 || args[0] == "--help" || args[0] == "-h" {
		fmt.Fprintln(e.stdout, "Usage: dsopilot credit suggest|flags|propose|approve|reject|list|expire [flags]\n\n"+
			"  suggest   suggested credit limits with their reasons, risk class and review date\n"+
			"  flags     customers whose orders should be held: over limit, overdue, limit expired, broken promises\n"+
			"  propose   propose a limit (an amount or the suggestion) for approval\n"+
			"  approve   approve a proposal (four eyes, role thresholds): writes the credit decision and the limit\n"+
			"  reject    reject (or withdraw) a proposal\n"+
			"  list      the proposals and their audit trail\n"+
			"  expire    record the open proposals past their last day as expired")
		if len(args) == 0 {
			return fmt.Errorf("%w: credit: want suggest, flags, propose, approve, reject, list or expire", errUsage)
		}
		return errHelp
	}
	run := sub[args[0]]
	if run == nil {
		return fmt.Errorf("%w: credit: unknown subcommand %q (want suggest, flags, propose, approve, reject, list or expire)", errUsage, args[0])
	}
	return run(ctx, e, args[1:])
}

// creditFlags are the flags every credit command shares.
type creditFlags struct {
	store, policy, fx, model, registry *string
	asJSON                             *bool
	// parts is --parts of the commands that read the ledger (nil for the
	// others): it is then read in parts of whole customers.
	parts *int
}

func newCreditFlags(fs *flag.FlagSet, e env) creditFlags {
	return creditFlags{store: storeFlag(fs, e),
		policy:   fs.String("policy", "", "credit policy file, YAML or JSON (default: the built-in one; see recommender/credit/default_policy.yaml)"),
		fx:       fs.String("fx", "", "rates to the policy's currency (CSV currency,rate), needed when customers use other currencies"),
		model:    fs.String("model", "", "payment model whose 90+ probabilities give the PDs (an id, or \"promoted\"); default: a default model learnt from the ledger"),
		registry: registryFlag(fs, e),
		asJSON:   fs.Bool("json", false, "print JSON")}
}

// service opens the store (for writing with write) and builds the workflow.
func (f creditFlags) service(ctx context.Context, e env, cmd string, write bool) (*credit.Service, func(), error) {
	pol := credit.DefaultPolicy()
	var err error
	if *f.policy != "" {
		if pol, err = credit.LoadPolicy(*f.policy); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", cmd, err)
		}
	}
	svc := &credit.Service{Policy: pol, Risk: credit.LearnedRisk{}, Log: newLogger(e)}
	if *f.fx != "" {
		if svc.FX, err = datasets.ReadFXFile(*f.fx, pol.Currency); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", cmd, err)
		}
	}
	if *f.model != "" {
		id := strings.TrimPrefix(*f.model, "promoted")
		b, _, err := (model.Registry{Dir: *f.registry}).Load(id)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w (train one with dsopilot train)", cmd, err)
		}
		svc.Risk = credit.ModelRisk{Bundle: b}
	}
	st, err := openStore(ctx, *f.store, newLogger(e), write)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", cmd, err)
	}
	cs, ok := st.(credit.Store)
	if !ok {
		st.Close()
		return nil, nil, fmt.Errorf("%s: the store %s keeps no credit workflow", cmd, *f.store)
	}
	svc.Store = cs
	if f.parts != nil {
		svc.Parts = storeParts(ctx, st, *f.parts)
	}
	return svc, func() { st.Close() }, nil
}

// creditRead is the flags of the commands that read as of a day.
type creditRead struct {
	creditFlags
	fs             *flag.FlagSet
	asOf, customer *string
}

func newCreditRead(fs *flag.FlagSet, e env) creditRead {
	cf := newCreditFlags(fs, e)
	cf.parts = partsFlag(fs)
	return creditRead{creditFlags: cf, fs: fs,
		asOf:     fs.String("as-of", "", "the day, at its end (YYYY-MM-DD; default today)"),
		customer: fs.String("customer", "", "only this customer")}
}

// open parses args and opens the store for reading.
func (r creditRead) open(ctx context.Context, e env, args []string) (*credit.Service, datasets.Date, []string, func(), error) {
	if err := parseFlags(r.fs, args); err != nil {
		return nil, 0, nil, nil, err
	}
	day, err := parseAsOf("as-of", *r.asOf)
	if err != nil {
		return nil, 0, nil, nil, err
	}
	svc, done, err := r.service(ctx, e, r.fs.Name(), false)
	if err != nil {
		return nil, 0, nil, nil, err
	}
	var ids []string
	if *r.customer != "" {
		ids = []string{*r.customer}
	}
	return svc, day, ids, done, nil
}

func runCreditSuggest(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "credit suggest", "[--store S] --as-of DATE [--policy FILE] [--customer ID] [--top N] [--fx FILE] [--model ID] [--parts N] [--json]",
		"Suggests a credit limit for every customer from what was known by the end of DATE: the exposure its\n"+
			"business needs (run-rate with the season × (terms + days late) / 30 × headroom), capped by the risk\n"+
			"appetite (PD × LGD × unsecured limit ≤ the segment's maximum expected loss) and by the credit report's\n"+
			"rule (financials: the lower of shares of tangible net worth and turnover by rating), rounded to the\n"+
			"grid, with the hard rules (default or credit hold: 0; 90+ debt: no increase; new customers: the\n"+
			"segment's starting limit). Prints current limit, exposure, utilisation, suggestion, change, risk\n"+
			"class, review date, the role that may approve it and the reasons, biggest changes first.")
	r := newCreditRead(fs, e)
	top := fs.Int("top", 0, "print only the N biggest changes (0: all)")
	svc, day, ids, done, err := r.open(ctx, e, args)
	if err != nil {
		return err
	}
	defer done()
	s, err := svc.Suggest(ctx, day, ids...)
	if err != nil {
		return fmt.Errorf("credit suggest: %w", err)
	}
	assessed := len(s.Rows)
	if *top > 0 && len(s.Rows) > *top {
		s.Rows = s.Rows[:*top]
	}
	if *r.asJSON {
		if err := writeJSON(e.stdout, s); err != nil {
			return err
		}
	} else {
		printSuggestions(e.stdout, s)
	}
	return leftOut(e.stderr, "credit suggest", s.Problems, assessed)
}

func printSuggestions(w io.Writer, s *credit.Suggestions) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "customer\tsegment\tcurrency\tcurrent\texposure\tused\tsuggested\tchange\tbound\tpd\tclass\treview\tapprover\t")
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
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%.1f%%\t%s\t%s\t%s\t\n", r.CustomerID, r.Segment, r.Currency,
			recommender.FormatAmount(r.Current.Money()), recommender.FormatAmount(r.Exposure.Money()), used,
			recommender.FormatAmount(r.Suggested.Money()), change, r.Bound, 100*r.PD, r.RiskClass, r.Review,
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

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func runCreditFlags(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "credit flags", "[--store S] --as-of DATE [--policy FILE] [--customer ID] [--fx FILE] [--model ID] [--parts N] [--json]",
		"Lists the customers whose orders should be held as of the end of DATE: over the limit, an invoice\n"+
			"overdue beyond flags.overdue_days, a limit past its review date, or flags.broken_promises broken\n"+
			"promises, each with the amount, the reason and the expected resolution, most exposed first.")
	r := newCreditRead(fs, e)
	svc, day, ids, done, err := r.open(ctx, e, args)
	if err != nil {
		return err
	}
	defer done()
	flags, problems, err := svc.Flags(ctx, day, ids...)
	if err != nil {
		return fmt.Errorf("credit flags: %w", err)
	}
	if *r.asJSON {
		if err := writeJSON(e.stdout, map[string]any{"as_of": day, "customers": flags}); err != nil {
			return err
		}
		// flags lists the flagged customers only, not all assessed.
		return leftOut(e.stderr, "credit flags", problems, -1)
	}
	for _, c := range flags {
		held := ""
		if c.Blocked() {
			held = " — orders held"
		}
		name := c.CustomerID
		if c.Customer != "" {
			name += " (" + c.Customer + ")"
		}
		fmt.Fprintf(e.stdout, "%s: owes %s %s, limit %s%s\n", name, recommender.FormatAmount(c.Exposure.Money()),
			c.Currency, recommender.FormatAmount(c.Limit.Money()), held)
		for _, f := range c.Flags {
			fmt.Fprintf(e.stdout, "  %-15s %12s  %s\n  %15s %12s  expected: %s\n", f.Kind, recommender.FormatAmount(f.Amount.Money()), f.Reason, "", "", f.Resolution)
		}
	}
	fmt.Fprintf(e.stdout, "%d customers flagged as of %s\n", len(flags), day)
	return leftOut(e.stderr, "credit flags", problems, -1)
}

func runCreditPropose(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "credit propose", "[--store S] --customer ID --limit AMOUNT|suggested [--as-of DATE] --reason TEXT --by USER --role ROLE [--policy FILE] [--parts N] [--json]",
		"Proposes a new credit limit for a customer (in its currency): an amount, or \"suggested\" for the\n"+
			"suggestion as of --as-of (default yesterday; whose reasons are the reason when --reason is not given); the limit in\n"+
			"force proposed again is a renewal, which gives it a new review date once approved. The proposal\n"+
			"waits for approval by someone else whose role covers the change (credit approve) and expires after\n"+
			"approval.proposal_days. Prints the proposal; its id is what approve and reject take.")
	cf := newCreditFlags(fs, e)
	cf.parts = partsFlag(fs)
	customer := fs.String("customer", "", "customer id")
	limit := fs.String("limit", "", "the proposed limit, e.g. 50000 or 50000.00, or suggested")
	reason := fs.String("reason", "", "why (required unless --limit suggested)")
	by := fs.String("by", "", "who proposes it")
	role := fs.String("role", "", "their role, one of the policy's approval.roles (kept in the audit trail)")
	asOf := fs.String("as-of", "", "the day the suggestion is computed as of, as credit suggest and flags take it (default yesterday)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *customer == "" || *limit == "" || strings.TrimSpace(*role) == "" {
		return fmt.Errorf("%w: credit propose: --customer, --limit and --role are required", errUsage)
	}
	req := credit.ProposeRequest{CustomerID: *customer, Reason: *reason, By: *by, Role: strings.TrimSpace(*role), FromSuggestion: *limit == "suggested"}
	if *asOf != "" {
		d, err := parseAsOf("as-of", *asOf)
		if err != nil {
			return err
		}
		req.AsOf = d
	}
	if !req.FromSuggestion {
		m, err := credit.ParseLimit(*limit)
		if err != nil {
			return fmt.Errorf("%w: credit propose: --limit: %v", errUsage, err)
		}
		req.Limit = m
	}
	svc, done, err := cf.service(ctx, e, "credit propose", true)
	if err != nil {
		return err
	}
	defer done()
	if svc.Policy.RoleRank(req.Role) < 0 {
		return fmt.Errorf("%w: credit propose: --role %q is not among the policy's approval roles (%s)", errUsage, req.Role, policyRoles(svc.Policy))
	}
	p, err := svc.Propose(ctx, req)
	if err != nil {
		return fmt.Errorf("credit propose: %w", err)
	}
	return printProposal(e.stdout, p, *cf.asJSON)
}

func runCreditDecide(ctx context.Context, e env, args []string, approve bool) error {
	name := "credit reject"
	about := "Rejects an open proposal (any role; the proposer too, to withdraw it)."
	if approve {
		name = "credit approve"
		about = "Approves a proposal: the approver is not its proposer (four eyes), their role covers the change of\n" +
			"the unsecured limit (approval.roles), the proposal is open and not expired, and the customer's limit\n" +
			"is still the one it changes. The customer's limit is then changed and a credit decision recorded.\n" +
			"A refusal names its rule, changes nothing and exits 1; of two approvals at once, one wins."
	}
	fs := newFlags(e, name, "PROPOSAL [--store S] --by USER --role ROLE [--comment TEXT] [--policy FILE] [--json]", about)
	cf := newCreditFlags(fs, e)
	by := fs.String("by", "", "who decides")
	role := fs.String("role", "", "their role, one of the policy's approval.roles")
	comment := fs.String("comment", "", "a comment for the audit trail")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("%w: %s: give exactly one proposal id", errUsage, name)
	}
	svc, done, err := cf.service(ctx, e, name, true)
	if err != nil {
		return err
	}
	defer done()
	req := credit.DecideRequest{By: *by, Role: *role, Comment: *comment}
	var p credit.Proposal
	if approve {
		p, err = svc.Approve(ctx, pos[0], req)
	} else {
		p, err = svc.Reject(ctx, pos[0], req)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return printProposal(e.stdout, p, *cf.asJSON)
}

func runCreditList(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "credit list", "[--store S] [--status proposed,approved,rejected,expired] [--customer ID] [--json]",
		"Lists the credit proposals, newest first, with their state and audit trail (--json).")
	cf := newCreditFlags(fs, e)
	status := fs.String("status", "", "only these statuses (comma-separated)")
	customer := fs.String("customer", "", "only this customer's")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	svc, done, err := cf.service(ctx, e, "credit list", false)
	if err != nil {
		return err
	}
	defer done()
	ps, err := svc.List(ctx, credit.Filter{Statuses: splitList(*status), CustomerID: *customer})
	if errors.Is(err, credit.ErrInput) {
		// A filter comes from the flags only: --status naming no status.
		return fmt.Errorf("%w: credit list: %v", errUsage, err)
	}
	if err != nil {
		return fmt.Errorf("credit list: %w", err)
	}
	if *cf.asJSON {
		return writeJSON(e.stdout, map[string]any{"proposals": ps})
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "id\tcustomer\tstatus\told\tnew\tproposed_by\tproposed_at\tneeds\tdecided_by\texpires\treview")
	for _, p := range ps {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", p.ID, p.CustomerID, p.Status,
			recommender.FormatAmount(p.OldLimit.Money()), recommender.FormatAmount(p.NewLimit.Money()), p.ProposedBy,
			p.ProposedAt.Format(time.DateOnly), dash(p.RequiredRole), dash(p.DecidedBy), p.Expires, p.Review)
	}
	return tw.Flush()
}

func runCreditExpire(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "credit expire", "[--store S] --by USER",
		"Records every open proposal past its last day as expired, in the audit trail (list and approve treat\n"+
			"them as expired in any case).")
	cf := newCreditFlags(fs, e)
	by := fs.String("by", "", "who records it (e.g. a scheduler's name)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	svc, done, err := cf.service(ctx, e, "credit expire", true)
	if err != nil {
		return err
	}
	defer done()
	n, err := svc.Expire(ctx, *by)
	if err != nil {
		return fmt.Errorf("credit expire: %w", err)
	}
	fmt.Fprintf(e.stdout, "%d proposals expired\n", n)
	return nil
}

// policyRoles lists the policy's approval roles, for a usage error.
func policyRoles(pol *credit.Policy) string {
	names := make([]string, len(pol.Approval.Roles))
	for i, r := range pol.Approval.Roles {
		names[i] = r.Name
	}
	return strings.Join(names, ", ")
}

func printProposal(w io.Writer, p credit.Proposal, asJSON bool) error {
	if asJSON {
		return writeJSON(w, p)
	}
	by := p.ProposedBy
	if p.ProposedRole != "" {
		by += " (" + p.ProposedRole + ")"
	}
	fmt.Fprintf(w, "%s %s: customer %s, limit %s -> %s %s, proposed by %s, needs %s, expires %s\n", p.ID, p.Status, p.CustomerID,
		recommender.FormatAmount(p.OldLimit.Money()), recommender.FormatAmount(p.NewLimit.Money()), p.Currency, by,
		dash(p.RequiredRole), p.Expires)
	if p.DecidedBy != "" {
		fmt.Fprintf(w, "  %s by %s (%s) on %s; decision %s; review by %s\n", p.Status, p.DecidedBy, p.DecidedRole,
			p.DecidedAt.Format(time.DateOnly), dash(p.DecisionID), p.Review)
	}
	fmt.Fprintf(w, "  reason: %s\n", p.Reason)
	return nil
}

// leftOut reports the customers a credit command left out (problems, one
// line each) after the kept ones it printed, and counts them, so that a
// list with customers missing never passes for the whole: more left out
// than kept (when kept is known, ≥ 0) is a failed run (exit status 1).
func leftOut(w io.Writer, cmd string, problems []string, kept int) error {
	if len(problems) == 0 {
		return nil
	}
	for _, p := range problems {
		fmt.Fprintf(w, "%s: %s\n", cmd, p)
	}
	msg := fmt.Sprintf("%d customers left out (listed above); the list covers the others", len(problems))
	if kept >= 0 {
		msg = fmt.Sprintf("%d of %d customers left out (listed above)", len(problems), len(problems)+kept)
	}
	if kept >= 0 && len(problems) > kept {
		return fmt.Errorf("%s: %s", cmd, msg)
	}
	fmt.Fprintf(w, "dsopilot: warning: %s: %s\n", cmd, msg)
	return nil
}
