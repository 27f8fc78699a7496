package main

import (
	"log/slog"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/model"
	"github.com/dsopilot/dsopilot/recommender"
)

// collectionsConfig is what serve and report need to show worklists.
type collectionsConfig struct {
	scenario string        // scenario file ("" for the built-in one)
	fx       *datasets.FX  // the command's reporting rates (may be nil)
	model    *model.Bundle // the promoted model, if any, sets risk classes
	log      *slog.Logger
}

// newDaily builds the worklist source of serve and report: the scenario
// file, the rates to its currency (the command's when they convert to
// the scenario's currency; none otherwise, which is enough for a ledger in
// that currency and gives each other currency's request a clear error) and
// the model, when there is one, for risk classes.
func newDaily(c collectionsConfig) (*recommender.Daily, error) {
	// The built-in scenario's amounts are stated in the reporting currency.
	cur := ""
	if c.fx != nil {
		cur = c.fx.To
	}
	s, _, err := scenarioAndRates(c.scenario, "", cur)
	if err != nil {
		return nil, err
	}
	fx := datasets.FX{To: s.Currency}
	if c.fx != nil {
		if c.fx.To == s.Currency {
			fx = *c.fx
		} else {
			c.log.Warn("the scenario's amounts are in its own currency, not --currency's: the worklist fails for invoices in any other currency; "+
				"give --scenario a copy of the scenario (the built-in one is recommender/default_scenarios.yaml) with currency set to --currency's",
				"scenario", s.Currency, "currency", c.fx.To)
		}
	}
	o := recommender.RecommendOptions{Scenarios: s, FX: fx, Holdout: -1, Seed: 1, Log: c.log, Model: c.model}
	return recommender.NewDaily(o), nil
}
