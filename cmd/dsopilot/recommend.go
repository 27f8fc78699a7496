package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
	"github.com/dsopilot/dsopilot/model"
	"github.com/dsopilot/dsopilot/recommender"
)

func runRecommend(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "recommend", "[--store S] --as-of DATE [--scenario FILE | --currency CODE] [--model ID] [--registry DIR] [--capacity call=40,email=1000] [--collector NAME] [--holdout 0.05] [--fx FILE] [--parts N] [--format csv|json]",
		"Prints the day's dunning worklist: for each customer with something to do on DATE, the next action\n"+
			"(type, channel, date), the invoices it covers and their amount, its expected value (cash brought\n"+
			"forward × cost of capital + expected loss avoided − the action's cost), the estimated uplift on\n"+
			"P(paid within H days) with its interval, the scenario step it follows or replaces, the rules that\n"+
			"blocked alternatives and the reasons, most valuable first. What was known by the end of the day\n"+
			"before DATE counts. Effects are learnt from the ledger's randomised actions (actions.policy and\n"+
			"actions.propensity); without them the list follows the scenario and says so. A share of the\n"+
			"recommendations (--holdout) is replaced by a random alternative, with its propensity, so that\n"+
			"effects can be measured; record the policy and propensity columns with the actions taken. Severe\n"+
			"accounts (90+ days past due, over the credit limit, on credit hold, at the final notice or beyond)\n"+
			"are never randomised: they get the recommended action with propensity 1, and the row says why.")
	store := storeFlag(fs, e)
	asOf := fs.String("as-of", "", "the day the actions are for (YYYY-MM-DD; default today)")
	scenario := fs.String("scenario", "", "scenario file, YAML or JSON (default: the built-in standard scenario)")
	capacity := fs.String("capacity", "", "contacts a day per channel or action type, e.g. call=40,email=1000 (overrides the file)")
	collector := fs.String("collector", "", "only this collector's agenda")
	holdout := fs.Float64("holdout", -1, "share of recommendations replaced by a random alternative (default: the file's, 0.05)")
	fxPath := fs.String("fx", "", "rates to the scenario's currency (CSV currency,rate), needed when invoices are in other currencies")
	currency := fs.String("currency", "", "reporting currency (ISO 4217): the built-in scenario's amounts are stated in it (default EUR); a --scenario file keeps its own")
	format := fs.String("format", "csv", "csv or json")
	seed := fs.Uint64("seed", 1, "seed of the holdout's draws and of the bootstrap")
	reg := registryFlag(fs, e)
	modelID := fs.String("model", "", "payment model whose late and 90+ probabilities set risk classes and default hazards (an id, or \"promoted\")")
	parts := partsFlag(fs)
	meta := fs.String("meta", "s", "the effects' meta-learner: s, t, dr (doubly-robust learner of the uplift) or auto (dr only if it beats s on held-out customers)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch recommender.MetaLearner(*meta) {
	case recommender.MetaS, recommender.MetaT, recommender.MetaDR, recommender.MetaAuto:
	default:
		return fmt.Errorf("%w: recommend: --meta %q, want s, t, dr or auto", errUsage, *meta)
	}
	if *format != "csv" && *format != "json" {
		return fmt.Errorf("%w: recommend: --format %q, want csv or json", errUsage, *format)
	}
	if *holdout > 0.5 {
		return fmt.Errorf("%w: recommend: --holdout %g, want 0..0.5", errUsage, *holdout)
	}
	day, err := parseAsOf("as-of", *asOf)
	if err != nil {
		return err
	}
	capa, err := recommender.ParseCapacity(*capacity)
	if err != nil {
		return fmt.Errorf("%w: recommend: --capacity: %v", errUsage, err)
	}
	cur := ""
	if *currency != "" {
		if cur, err = datasets.ParseCurrency(*currency); err != nil {
			return fmt.Errorf("%w: recommend: --%v", errUsage, err)
		}
	}
	s, fx, err := scenarioAndRates(*scenario, *fxPath, cur)
	if err != nil {
		return fmt.Errorf("recommend: %w", err)
	}
	if cur != "" && s.Currency != cur {
		// A file states its own currency: --fx converts to it, and a
		// reporting currency beside it would say the amounts are in another.
		return fmt.Errorf("%w: recommend: --currency %s, but the scenario file %s states its amounts in %s: leave --currency out (--fx then gives rates to %s) or set currency: %s in the file",
			errUsage, cur, s.Source, s.Currency, s.Currency, cur)
	}
	var bundle *model.Bundle
	if *modelID != "" {
		id := *modelID
		if id == "promoted" {
			id = ""
		}
		if bundle, _, err = loadModel(*reg, id); err != nil {
			return fmt.Errorf("recommend: %w", err)
		}
		// The worklist of day knows what was known by the end of the day
		// before: a model trained later has seen what came after.
		if err := recommender.CheckModelKnownBy(bundle, day.AddDays(-1)); err != nil {
			if u := modelCutoffUsage("recommend", 1, err); u != nil {
				return u
			}
			return fmt.Errorf("recommend: %w", err)
		}
	}
	st, err := openStore(ctx, *store, newLogger(e), false)
	if err != nil {
		return fmt.Errorf("recommend: %w", err)
	}
	defer st.Close()
	var span ledgerSpan
	w, err := recommender.RecommendParts(ctx, span.watch(storeParts(ctx, st, *parts)), day, recommender.RecommendOptions{Scenarios: s, FX: fx, Capacity: capa,
		Collector: *collector, Holdout: *holdout, Seed: *seed, Model: bundle, Log: newLogger(e), Effects: recommender.EffectsOptions{Meta: recommender.MetaLearner(*meta)}})
	if err != nil {
		return fmt.Errorf("recommend: %w", err)
	}
	span.warnAsOf(e, "recommend", day)
	if w.Note != "" {
		fmt.Fprintln(e.stderr, "recommend:", w.Note)
	}
	// The CSV lists the actions only: say what the rules kept off it (the
	// JSON has them in deferred and excluded_customers).
	fmt.Fprintln(e.stderr, "recommend:", w.Summary())
	if *format == "json" {
		return w.WriteJSON(e.stdout)
	}
	return w.WriteCSV(e.stdout)
}

// scenarioAndRates loads the scenario file (the built-in one when path is
// empty, its amounts stated in the reporting currency cur: "" for EUR)
// and, when fxPath is set, the rates to its currency.
func scenarioAndRates(path, fxPath, cur string) (*recommender.Scenarios, datasets.FX, error) {
	s := recommender.DefaultScenariosIn(cur)
	var fx datasets.FX
	var err error
	if path != "" {
		if s, err = recommender.LoadScenarios(path); err != nil {
			return nil, fx, err
		}
	}
	if fxPath != "" {
		if fx, err = datasets.ReadFXFile(fxPath, s.Currency); err != nil {
			return nil, fx, err
		}
	}
	return s, fx, nil
}

// storeParts is the ledger in st read by eachPart, for the packages that
// take their ledger in parts (features.Parts). A store that cannot read
// parts (the embedded one) is loaded once, on the first read, and is one
// part for every read after: a command that reads its parts twice
// (forecast) does not load it twice.
func storeParts(ctx context.Context, st datasets.Store, n int) features.Parts {
	// One guard for every pass: the passes must read one ledger.
	return guardedParts(ctx, st, n, &readGuard{})
}

// guardedParts is storeParts with the guard g, which the caller shares
// with its other reads of st.
func guardedParts(ctx context.Context, st datasets.Store, n int, g *readGuard) features.Parts {
	if _, ok := st.(partLoader); ok || n < 0 {
		return func(fn func(*datasets.Ledger, features.LedgerFacts) error) error {
			return eachSampledPart(ctx, st, n, customerSample{}, g, fn)
		}
	}
	var l *datasets.Ledger
	return func(fn func(*datasets.Ledger, features.LedgerFacts) error) error {
		if l == nil {
			var err error
			if l, err = loadSettled(ctx, st); err != nil {
				return err
			}
		}
		return fn(l, features.FactsOf(l))
	}
}

// modelCutoffUsage is err, when it refuses a --model bundle trained after
// the last day the command's answer may know of
// (recommender.ModelCutoffError), as a one-line usage error naming the
// --as-of day and the cut-off; nil for any other error. lag is how many
// days --as-of comes after that last day (recommend's worklist knows the
// day before its own; the credit commands know their --as-of day).
func modelCutoffUsage(cmd string, lag int, err error) error {
	return modelCutoffUsageOr(cmd, lag, ", or no --model", err)
}

// modelCutoffUsageOr is modelCutoffUsage whose remedies end with or
// (", or no --model" where the command can do without one).
func modelCutoffUsageOr(cmd string, lag int, or string, err error) error {
	var mc *recommender.ModelCutoffError
	if !errors.As(err, &mc) {
		return nil
	}
	asOf, known := mc.Known.AddDays(lag), ""
	if lag != 0 {
		known = fmt.Sprintf(" (what was known by the end of %s)", mc.Known)
	}
	return fmt.Errorf("%w: %s: --as-of %s%s is before the --model bundle's training cut-off %s: the model learnt from what happened after it "+
		"(a point-in-time leak); give --as-of %s or later, a model trained by %s%s",
		errUsage, cmd, asOf, known, mc.Cutoff, mc.Cutoff.AddDays(lag), mc.Known, or)
}
