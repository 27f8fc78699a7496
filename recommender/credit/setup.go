package credit

import (
	"context"
	"log/slog"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
	"github.com/dsopilot/dsopilot/model"
)

// Setup is the one construction of the credit advice's policy, rates and
// PDs that dsopilot credit suggest and flags, the API's credit-limit route
// and the report's customer pages share. They built it each on their own
// and gave the same customer, day and registry different advice: the
// commands fell back to the payment model where the ledger has too few
// defaults to learn the default model, serve and report to the segments'
// rates (a trial's customer owing 11× its limit, most of it 90+ days
// overdue, was "low" risk with no change on its report page and in the
// API, "high" with a cut in credit suggest).
type Setup struct {
	// PolicyFile is a policy file; "" is the built-in policy, its amounts
	// stated in Currency (DefaultPolicyIn).
	PolicyFile string
	// Currency is the reporting currency ("" for the built-in policy's).
	Currency string
	// Rates gives the rates to the policy's currency (nil, or a nil
	// result: none). Rates to another currency are not used: the policy's
	// amounts would be compared with amounts in that one; Log says so.
	Rates func(to string) (*datasets.FX, error)
	// Model is a payment model (dsopilot train): the registry's promoted
	// one, whose PDs stand in where the ledger has too few defaults to
	// learn the default model, or, with ModelChosen (--model), the PDs of
	// every customer.
	Model       *model.Bundle
	ModelChosen bool
	// Warn is told, once per assessment, when the default model falls
	// back (LearnedRisk.Warn); nil: not told.
	Warn func(msg string)
	Log  *slog.Logger
}

// Build returns the policy, the rates to its currency and the risk source.
func (s Setup) Build() (*Policy, datasets.FX, RiskSource, error) {
	pol := DefaultPolicyIn(s.Currency)
	if s.PolicyFile != "" {
		var err error
		if pol, err = LoadPolicy(s.PolicyFile); err != nil {
			return nil, datasets.FX{}, nil, err
		}
	}
	fx := datasets.FX{To: pol.Currency}
	if s.Rates != nil {
		r, err := s.Rates(pol.Currency)
		if err != nil {
			return nil, datasets.FX{}, nil, err
		}
		switch {
		case r == nil:
		case r.To == pol.Currency:
			fx = *r
		case s.Log != nil:
			s.Log.Warn("the credit policy's amounts are in its own currency, not --currency's: credit advice fails for customers in any other currency; "+
				"give a copy of the policy (dsopilot credit policy prints the built-in one) with currency set to --currency's",
				"policy", pol.Currency, "currency", r.To)
		}
	}
	return pol, fx, AdviceRisk(s.Model, s.ModelChosen, s.Warn), nil
}

// AdviceRisk is the risk source of the credit advice: with a chosen
// payment model b, its PDs; else the default model learnt from the ledger,
// falling back to b's PDs (the promoted model, when there is one) where
// the ledger has too few defaults, and to the segments' rates without b.
func AdviceRisk(b *model.Bundle, chosen bool, warn func(string)) RiskSource {
	if b != nil && chosen {
		return ModelRisk{Bundle: b}
	}
	lr := LearnedRisk{Warn: warn}
	if b != nil {
		lr.Fallback = ModelRisk{Bundle: b}
	}
	return lr
}

// CustomerCurrencies lists the currencies the store's customers are in,
// sorted (a customer with none stated is not counted): a command given no
// reporting currency takes the ledger's one currency, as a user reporting
// in it expects, rather than the built-in policy's EUR.
func (s *Service) CustomerCurrencies(ctx context.Context) ([]string, error) {
	seen := map[string]bool{}
	add := func(l *datasets.Ledger) {
		for i := range l.Customers {
			if c := l.Customers[i].Currency; c != "" {
				seen[c] = true
			}
		}
	}
	if s.Parts != nil {
		err := s.Parts(func(l *datasets.Ledger, _ features.LedgerFacts) error { add(l); return ctx.Err() })
		if err != nil {
			return nil, err
		}
		return sortedIDs(seen), nil
	}
	l, err := s.Store.Load(ctx)
	if err != nil {
		return nil, err
	}
	add(l)
	return sortedIDs(seen), nil
}
