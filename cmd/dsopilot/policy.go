package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/dsopilot/dsopilot/recommender"
	"github.com/dsopilot/dsopilot/recommender/credit"
)

func runPolicy(ctx context.Context, e env, args []string) error {
	if len(args) == 0 || args[0] == "--help" || args[0] == "-h" {
		fmt.Fprintln(e.stdout, "Usage: dsopilot policy evaluate|ope [flags]\n\n"+
			"  evaluate  simulate the policies on the same customers and report DSO, cash, contacts, cost, bad debt, value\n"+
			"  ope       doubly-robust estimate of the recommender's value on a store's logged decisions")
		if len(args) == 0 {
			return fmt.Errorf("%w: policy: want evaluate or ope", errUsage)
		}
		return errHelp
	}
	switch args[0] {
	case "evaluate":
		return runPolicyEvaluate(ctx, e, args[1:])
	case "ope":
		return runPolicyOPE(ctx, e, args[1:])
	}
	return fmt.Errorf("%w: policy: unknown subcommand %q (want evaluate or ope)", errUsage, args[0])
}

func runPolicyEvaluate(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "policy evaluate", "--customers N --months M --train-months K --seed S [--policies none,scenario,recommender,oracle] [--credit current,suggested [--credit-policy FILE]] [--capacity phone=40,email=800] [--explore 0.1] [--json]",
		"Simulates K months of dunning by the scenario with randomised variation (the logging policy), learns the\n"+
			"effects from them, then runs each policy on the same M following months (the same customers and random\n"+
			"draws) under the same capacities, and reports per policy dso, add, collected, collected_on_time_share,\n"+
			"contacts by type, contact_cost, bad_debt and value (EUR against doing nothing). The recommender and the\n"+
			"oracle (which knows the true effects) get the scenario's daily spend as their budget. Also reports the\n"+
			"doubly-robust estimate of the recommender's value on the logged history against its replayed truth,\n"+
			"and the estimated uplift per action and true behaviour against truth_action_effects.csv.\n"+
			"With --credit it compares credit policies instead (or also, with --policies): the training months run\n"+
			"under the simulator's credit team (blocking orders over the limit), the evaluation months under each\n"+
			"policy, with the scenario's dunning; per policy orders, sales, lost_sales, bad_debt, expected_loss\n"+
			"(the true hazard × exposure), defaults and limit_changes, under \"credit\" in the JSON.")
	customers := fs.Int("customers", 2000, "customers")
	months := fs.Int("months", 6, "evaluation months")
	train := fs.Int("train-months", 12, "months of logged history to learn from")
	seed := fs.Uint64("seed", 11, "simulation seed")
	policies := fs.String("policies", "none,scenario,recommender,oracle", "policies to run")
	capacity := fs.String("capacity", "", "contacts a day per channel (default: 2 calls and 40 emails per 100 customers)")
	explore := fs.Float64("explore", 0.1, "share of the logging policy's contacts replaced at random")
	holdout := fs.Float64("holdout", -1, "the recommender's own holdout (default: the scenario file's 0.05)")
	scenario := fs.String("scenario", "", "scenario file (default: the built-in standard scenario)")
	creditList := fs.String("credit", "", "credit policies to compare instead (or, with --policies, as well): current,suggested")
	creditPolicy := fs.String("credit-policy", "", "credit policy file of the suggested policy (default: the built-in one)")
	meta := fs.String("meta", "s", "the effects' meta-learner: s (one model, the arm an input), t (one model per arm), dr (doubly-robust learner of the uplift) or auto (dr only if it beats s on held-out customers)")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg := recommender.EvalConfig{Customers: *customers, Months: *months, TrainMonths: *train, Seed: *seed,
		Policies: splitList(*policies), Explore: *explore, Holdout: *holdout, Log: newLogger(e),
		Effects: recommender.EffectsOptions{Meta: recommender.MetaLearner(*meta)}}
	switch cfg.Effects.Meta {
	case recommender.MetaS, recommender.MetaT, recommender.MetaDR, recommender.MetaAuto:
	default:
		return fmt.Errorf("%w: policy evaluate: --meta %q, want s, t, dr or auto", errUsage, *meta)
	}
	if *creditList != "" {
		if !flagSet(fs, "policies") {
			cfg.Policies = nil // the credit comparison alone
		}
		pol := credit.DefaultPolicy()
		if *creditPolicy != "" {
			var err error
			if pol, err = credit.LoadPolicy(*creditPolicy); err != nil {
				return fmt.Errorf("policy evaluate: %w", err)
			}
		}
		cfg.Credit, cfg.CreditPolicies = splitList(*creditList), credit.EvalPolicies(pol, cfg.Log)
	}
	if *explore <= 0 || *explore > 0.5 {
		return fmt.Errorf("%w: policy evaluate: --explore %g, want (0, 0.5]", errUsage, *explore)
	}
	var err error
	if *scenario != "" {
		if cfg.Scenarios, err = recommender.LoadScenarios(*scenario); err != nil {
			return fmt.Errorf("policy evaluate: %w", err)
		}
	}
	if *capacity != "" {
		if cfg.Capacity, err = recommender.ParseCapacity(*capacity); err != nil {
			return fmt.Errorf("%w: policy evaluate: --capacity: %v", errUsage, err)
		}
	}
	rep, err := recommender.Evaluate(ctx, cfg)
	if errors.Is(err, recommender.ErrInput) {
		// The configuration is the flags and the files they name.
		return fmt.Errorf("%w: policy evaluate: %v", errUsage, err)
	}
	if err != nil {
		return fmt.Errorf("policy evaluate: %w", err)
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	printEvaluation(e.stdout, rep, cfg.Policies)
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func printEvaluation(w io.Writer, rep *recommender.EvalReport, order []string) {
	fmt.Fprintf(w, "seed %d: %d customers, %d training months, evaluation %s..%s, capacity %v\n",
		rep.Seed, rep.Customers, rep.TrainMonths, rep.From, rep.To, rep.Capacity)
	fmt.Fprintf(w, "%-12s %7s %6s %15s %8s %9s %12s %12s %12s  %s\n", "policy", "dso", "add", "collected", "on_time", "contacts", "contact_cost", "bad_debt", "value", "contacts by type")
	for _, name := range order {
		r, ok := rep.Policies[name]
		if !ok {
			continue
		}
		var types []string
		for _, t := range slices.Sorted(maps.Keys(r.Contacts)) {
			types = append(types, fmt.Sprintf("%s=%d", t, r.Contacts[t]))
		}
		fmt.Fprintf(w, "%-12s %7.2f %6.2f %15.0f %8.3f %9d %12.0f %12.0f %12.0f  %s\n", name, r.DSO, r.ADD, r.Collected,
			r.CollectedOnTimeShare, r.ContactsTotal, r.ContactCost, r.BadDebt, r.Value, strings.Join(types, " "))
	}
	if len(rep.Credit) > 0 {
		fmt.Fprintf(w, "credit policies, %s..%s (EUR):\n%-12s %8s %15s %13s %11s %12s %13s %8s %13s\n", rep.From, rep.To,
			"credit", "orders", "sales", "lost_sales", "lost_orders", "bad_debt", "expected_loss", "defaults", "limit_changes")
		for _, name := range slices.Sorted(maps.Keys(rep.Credit)) {
			r := rep.Credit[name]
			fmt.Fprintf(w, "%-12s %8d %15.0f %13.0f %11d %12.0f %13.0f %8d %13d\n", name, r.Orders, r.Sales, r.LostSales,
				r.LostOrders, r.BadDebt, r.ExpectedLoss, r.Defaults, r.LimitChanges)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(rep.Targets)) {
		fmt.Fprintf(w, "%s: %.3f\n", k, rep.Targets[k])
	}
	if o := rep.OPE; o != nil {
		fmt.Fprintf(w, "OPE on %d logged decisions: DR estimate %.0f EUR per decision (95%% %.0f..%.0f), simulated %.0f, logged %.0f\n",
			o.Decisions, o.Estimate.Mean, o.Estimate.Low, o.Estimate.High, o.Simulated, o.Logged)
		if o.Note != "" {
			fmt.Fprintf(w, "OPE: %s\n", o.Note)
		}
	}
	if rep.RankingSum != nil {
		fmt.Fprintf(w, "uplift ranking: %s\n", rep.RankingSum)
	}
	if ef := rep.Effects; ef != nil && ef.Choice != nil {
		c := ef.Choice
		fmt.Fprintf(w, "meta-learner: %s; held-out doubly-robust loss S-learner %.4f, DR-learner %.4f (gain %+.4f, standard error %.4f, %d decisions of %d customers)\n",
			c.Chosen, c.LossS, c.LossDR, c.Gain, c.GainSE, c.Decisions, c.Customers)
		if c.Note != "" {
			fmt.Fprintf(w, "meta-learner: %s\n", c.Note)
		}
	}
}

func runPolicyOPE(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "policy ope", "[--store S] --as-of DATE [--scenario FILE] [--fx FILE] [--parts N] [--json]",
		"Estimates, on the store's logged decisions (actions with a propensity) known by the end of DATE, the\n"+
			"value of the recommender's rule: per decision, what the invoice brought in within the horizon less the\n"+
			"contact's cost, doubly robust (outcome model plus inverse-propensity correction), with a bootstrap\n"+
			"95% interval, next to what the logged policy achieved.")
	store := storeFlag(fs, e)
	asOf := fs.String("as-of", "", "last day of the logged history (YYYY-MM-DD; default today)")
	scenario := fs.String("scenario", "", "scenario file (default: the built-in standard scenario)")
	fxPath := fs.String("fx", "", "rates to the scenario file's currency (CSV currency,rate)")
	seed := fs.Uint64("seed", 1, "bootstrap seed")
	asJSON := fs.Bool("json", false, "print JSON")
	parts := partsFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	day, err := parseAsOf("as-of", *asOf)
	if err != nil {
		return err
	}
	s, fx, err := scenarioAndRates(*scenario, *fxPath, "")
	if err != nil {
		return fmt.Errorf("policy ope: %w", err)
	}
	st, err := openStore(ctx, *store, newLogger(e), false)
	if err != nil {
		return fmt.Errorf("policy ope: %w", err)
	}
	defer st.Close()
	var span ledgerSpan
	res, err := recommender.OPEParts(ctx, span.watch(storeParts(ctx, st, *parts)), day, s, fx, recommender.EffectsOptions{Seed: *seed})
	if err != nil {
		return fmt.Errorf("policy ope: %w", err)
	}
	span.warnAsOf(e, "policy ope", day)
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	fmt.Fprintf(e.stdout, "%d logged decisions by %s: the recommender's rule is worth %.2f %s per decision (95%% %.2f..%.2f; direct method %.2f, IPS %.2f); the logged policy achieved %.2f; they agree on %.0f%% of decisions\n",
		res.Decisions, day, res.Estimate.Mean, s.Currency, res.Estimate.Low, res.Estimate.High, res.DirectMethod, res.IPS, res.Logged, 100*res.Agreement)
	if res.Note != "" {
		fmt.Fprintf(e.stdout, "%s\n", res.Note)
	}
	return nil
}
