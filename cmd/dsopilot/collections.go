package main

import (
	"errors"
	"fmt"
	"log/slog"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/model"
	"github.com/dsopilot/dsopilot/recommender"
)

// collectionsConfig is what serve and report need to show worklists.
type collectionsConfig struct {
	scenario string       // scenario file ("" for the built-in one)
	fx       *datasets.FX // the command's reporting rates (may be nil)
	registry string       // its promoted model, if any, sets risk classes
	log      *slog.Logger
}

// newDaily builds the worklist source of serve and report: the scenario
// file, the rates to its currency (the command's when they convert to
// the scenario's currency; none otherwise, which is enough for a ledger in
// that currency and gives each other currency's request a clear error) and
// the promoted model when there is one.
func newDaily(c collectionsConfig) (*recommender.Daily, error) {
	s, _, err := scenarioAndRates(c.scenario, "")
	if err != nil {
		return nil, err
	}
	fx := datasets.FX{To: s.Currency}
	if c.fx != nil {
		if c.fx.To == s.Currency {
			fx = *c.fx
		} else {
			c.log.Warn("the scenario file's currency differs from --currency: worklists convert no other currency", "scenario", s.Currency, "currency", c.fx.To)
		}
	}
	o := recommender.RecommendOptions{Scenarios: s, FX: fx, Holdout: -1, Seed: 1, Log: c.log}
	b, meta, err := model.Registry{Dir: c.registry}.Load("")
	switch {
	case err == nil:
		o.Model = b
		c.log.Info("worklists use the promoted model's risk classes", "model", meta.ID)
	case errors.Is(err, model.ErrNoPromoted) || errors.Is(err, model.ErrNoModel):
		c.log.Info("no promoted model: worklists take risk classes from payment behaviour")
	default:
		return nil, fmt.Errorf("worklists: %w", err)
	}
	return recommender.NewDaily(o), nil
}
