package main

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"github.com/dsopilot/dsopilot/model"
	"io"
	"log/slog"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/recommender"
	"github.com/dsopilot/dsopilot/recommender/credit"
)

func runCredit(ctx context.Context, e env, args []string) error {
	sub := map[string]func(context.Context, env, []string) error{
		"suggest": runCreditSuggest, "flags": runCreditFlags, "propose": runCreditPropose,
		"approve": func(ctx context.Context, e env, a []string) error { return runCreditDecide(ctx, e, a, true) },
		"reject":  func(ctx context.Context, e env, a []string) error { return runCreditDecide(ctx, e, a, false) },
		"list":    runCreditList, "expire": runCreditExpire, "policy": runCreditPolicy,
	}
	if len(args) == 0 || args[0] == "--help" || args[0] == "-h" {
		fmt.Fprintln(e.stdout, "Usage: dsopilot credit suggest|flags|propose|approve|reject|list|expire|policy [flags]\n\n"+
			"  suggest   suggested credit limits with their reasons, credit risk class (by PD) and review date\n"+
			"  flags     customers whose orders should be held: over limit, overdue, limit expired, broken promises\n"+
			"  propose   propose a limit (an amount or the suggestion) for approval\n"+
			"  approve   approve a proposal (four eyes, role thresholds): writes the credit decision and the limit\n"+
			"  reject    reject (or withdraw) a proposal\n"+
			"  list      the proposals and their audit trail\n"+
			"  expire    record the open proposals past their last day as expired\n"+
			"  policy    print the built-in credit policy, to start one's own (--policy FILE)")
		if len(args) == 0 {
			return fmt.Errorf("%w: credit: want suggest, flags, propose, approve, reject, list, expire or policy", errUsage)
		}
		return errHelp
	}
	run := sub[args[0]]
	if run == nil {
		return fmt.Errorf("%w: credit: unknown subcommand %q (want suggest, flags, propose, approve, reject, list, expire or policy)", errUsage, args[0])
	}
	return run(ctx, e, args[1:])
}

// creditFlags are the flags every credit command shares.
type creditFlags struct {
	// currency is the reporting currency: the built-in policy's amounts
	// are stated in it (credit.DefaultPolicyIn); a --policy file keeps its
	// own.
	store, policy, fx, model, registry, currency *string
	asJSON                                       *bool
	// parts is --parts of the commands that read the ledger (nil for the
	// others): it is then read in parts of whole customers.
	parts *int
}

func newCreditFlags(fs *flag.FlagSet, e env) creditFlags {
	return creditFlags{store: storeFlag(fs, e),
		policy:   fs.String("policy", "", "credit policy file, YAML or JSON (default: the built-in one, which dsopilot credit policy prints)"),
		fx:       fs.String("fx", "", "rates to the policy's currency (CSV currency,rate), needed when customers use other currencies"),
		model:    fs.String("model", "", "payment model whose 90+ probabilities give the PDs (an id, or \"promoted\"); default: a default model learnt from the ledger, or the promoted model where the ledger has too few defaults"),
		registry: registryFlag(fs, e),
		currency: fs.String("currency", "", "reporting currency (ISO 4217): the built-in policy's amounts are stated in it (default EUR); a --policy file keeps its own"),
		asJSON:   fs.Bool("json", false, "print JSON")}
}

// service opens the store (for writing with write) and builds the workflow.
func (f creditFlags) service(ctx context.Context, e env, cmd string, write bool) (*credit.Service, func(), error) {
	cur := ""
	if *f.currency != "" {
		c, err := datasets.ParseCurrency(*f.currency)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %s: --%v", errUsage, cmd, err)
		}
		cur = c
	}
	// With neither --currency nor --policy, a rates file that states its
	// target (the one currency it lists at rate 1) is the reporting
	// currency, as the ledger's one currency is for credit suggest: a
	// USD rates file failed propose and approve with "give --currency USD".
	if cur == "" && *f.policy == "" && *f.fx != "" {
		cur = ratesTarget(*f.fx)
	}
	// Told on stderr, once per run (a command may assess twice), as the
	// other warnings are: stdout holds the JSON.
	var once sync.Once
	warn := func(msg string) {
		once.Do(func() { fmt.Fprintf(e.stderr, "dsopilot: warning: %s: %s\n", cmd, msg) })
	}
	setup := credit.Setup{PolicyFile: *f.policy, Currency: cur, ModelChosen: *f.model != "", Warn: warn, Log: newLogger(e)}
	if *f.fx != "" {
		setup.Rates = func(to string) (*datasets.FX, error) {
			fx, err := datasets.ReadFXFile(*f.fx, to)
			return &fx, err
		}
	}
	if *f.model != "" {
		b, _, err := loadModel(*f.registry, strings.TrimPrefix(*f.model, "promoted"))
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", cmd, err)
		}
		setup.Model = b
	} else {
		// Without --model the registry's promoted model stands in where
		// the ledger has too few defaults to learn the default model, as
		// in the API's and the report's advice (credit.Setup).
		b, _, err := promotedModel(*f.registry, slog.New(slog.DiscardHandler))
		switch {
		case errors.Is(err, model.ErrStaleModel):
			// The credit commands need no model: an old one is passed
			// over, said, rather than fail what worked without it.
			fmt.Fprintf(e.stderr, "dsopilot: warning: %s: the promoted model is not used for PDs: %v\n", cmd, err)
		case err != nil:
			return nil, nil, fmt.Errorf("%s: %w", cmd, err)
		default:
			setup.Model = b
		}
	}
	pol, fx, risk, err := setup.Build()
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", cmd, err)
	}
	svc := &credit.Service{Policy: pol, FX: fx, Risk: risk, Log: newLogger(e)}
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

// ratesTarget is the currency a rates file states its rates to: the one
// currency it lists at rate 1 and reads cleanly as rates to; "" when none
// or several do (the user says which with --currency).
func ratesTarget(path string) string {
	// A probe to a currency no file lists, for the currencies it lists;
	// each is then read as the target in its own right.
	probe, _ := datasets.ReadFXFile(path, "XXX")
	var found []string
	for c := range probe.Rates {
		if fx, err := datasets.ReadFXFile(path, c); err == nil {
			if _, listed := fx.Rates[c]; listed {
				found = append(found, c)
			}
		}
	}
	if len(found) != 1 {
		return ""
	}
	return found[0]
}

func runCreditPropose(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "credit propose", "[--store S] --customer ID --limit AMOUNT|suggested [--as-of DATE] --reason TEXT --by USER --role ROLE [--policy FILE | --currency CODE] [--fx FILE] [--model ID] [--registry DIR] [--parts N] [--json]",
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
	if *cf.currency == "" && *cf.policy == "" {
		// The ledger's one currency, as credit suggest takes it.
		if err := oneLedgerCurrency(ctx, svc, *cf.fx); err != nil {
			return fmt.Errorf("credit propose: %w", err)
		}
	}
	if svc.Policy.RoleRank(req.Role) < 0 {
		return fmt.Errorf("%w: credit propose: --role %q is not among the policy's approval roles (%s)", errUsage, req.Role, policyRoles(svc.Policy))
	}
	// The proposal starts from the suggestion as of its day (yesterday by
	// default), which on a ledger that ended long before is the book
	// frozen then: told as credit suggest tells it.
	now := time.Now().UTC()
	svc.Now = func() time.Time { return now }
	day := cmp.Or(req.AsOf, datasets.DateOf(now)-1)
	var span ledgerSpan
	svc.Parts = span.watch(svc.Parts)
	p, err := svc.Propose(ctx, req)
	if err != nil {
		return creditFailed("credit propose", svc, err, false)
	}
	span.warnAsOf(e, "credit propose", day)
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
	fs := newFlags(e, name, "PROPOSAL [--store S] --by USER --role ROLE [--comment TEXT] [--policy FILE | --currency CODE] [--fx FILE] [--json]", about)
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
	if err := cf.proposalsCurrency(ctx, svc, pos[0]); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
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

// proposalsCurrency states the built-in policy in the currency the
// proposal was made under, when neither --currency nor --policy is given:
// approve reads it from the proposal, so that propose and approve need not
// be given the same --currency (a proposal made with --currency GBP was
// decided against the thresholds in EUR, or refused for want of a GBP
// rate). Given either, the service refuses a proposal made under another.
func (f creditFlags) proposalsCurrency(ctx context.Context, svc *credit.Service, id string) error {
	if *f.currency != "" || *f.policy != "" {
		return nil
	}
	cur, err := svc.PolicyCurrency(ctx, id)
	if err != nil || cur == "" || cur == svc.Policy.Currency {
		return err
	}
	svc.Policy = credit.DefaultPolicyIn(cur)
	if *f.fx != "" {
		if svc.FX, err = datasets.ReadFXFile(*f.fx, cur); err != nil {
			return err
		}
	}
	return nil
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
			limitText(p.OldLimit.Money(), p.OldLimitBlank), recommender.FormatAmount(p.NewLimit.Money()), p.ProposedBy,
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
		limitText(p.OldLimit.Money(), p.OldLimitBlank), recommender.FormatAmount(p.NewLimit.Money()), p.Currency, by,
		dash(p.RequiredRole), p.Expires)
	if p.DecidedBy != "" {
		fmt.Fprintf(w, "  %s by %s (%s) on %s; decision %s; review by %s\n", p.Status, p.DecidedBy, p.DecidedRole,
			p.DecidedAt.Format(time.DateOnly), dash(p.DecisionID), p.Review)
	}
	fmt.Fprintf(w, "  reason: %s\n", p.Reason)
	return nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// runCreditPolicy prints the built-in policy: the binary carries it, not
// the source file the help used to name, so a user starting their own
// policy gets it from here.
func runCreditPolicy(_ context.Context, e env, args []string) error {
	fs := newFlags(e, "credit policy", "[--currency CODE]",
		"Prints the built-in credit policy (YAML, with its comments): every number the credit commands use.\n"+
			"Save it (dsopilot credit policy > policy.yaml), change it and pass it with --policy policy.yaml;\n"+
			"a field left out takes the built-in value. With --currency, its amounts are stated in that currency,\n"+
			"as the credit commands state them with --currency and no --policy.")
	currency := fs.String("currency", "", "state the amounts in this currency (ISO 4217): the same figures, not converted (default EUR)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	text := credit.DefaultPolicyYAML()
	if *currency != "" {
		cur, err := datasets.ParseCurrency(*currency)
		if err != nil {
			return fmt.Errorf("%w: credit policy: --%v", errUsage, err)
		}
		const line = "\ncurrency: EUR\n"
		if !bytes.Contains(text, []byte(line)) {
			return fmt.Errorf("credit policy: the built-in policy has no line %q to restate", strings.TrimSpace(line))
		}
		text = bytes.Replace(text, []byte(line), []byte("\ncurrency: "+cur+"\n"), 1)
	}
	_, err := e.stdout.Write(text)
	return err
}
