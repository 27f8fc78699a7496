package main

import (
	"log/slog"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/model"
	"github.com/dsopilot/dsopilot/recommender/credit"
)

// creditAdvice builds the credit workflow's policy, rates and PDs for serve
// and report, as credit suggest builds them (credit.Setup): the policy file
// (the built-in one when empty, in the reporting currency), the command's
// rates when they convert to the policy's currency, and the default model
// learnt from the ledger with the promoted model (nil: none) standing in
// where the ledger has too few defaults.
func creditAdvice(path string, fx *datasets.FX, promoted *model.Bundle, log *slog.Logger) (*credit.Policy, datasets.FX, credit.RiskSource, error) {
	s := credit.Setup{PolicyFile: path, Model: promoted, Log: log,
		Rates: func(string) (*datasets.FX, error) { return fx, nil }}
	if fx != nil {
		s.Currency = fx.To
	}
	return s.Build()
}
