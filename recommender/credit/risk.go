package credit

import (
	"context"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/model"
	"github.com/dsopilot/dsopilot/recommender"
)

// RiskSource says how risky customers are as of a day.
type RiskSource interface {
	CustomerRisk(ctx context.Context, l *datasets.Ledger, asOf datasets.Date) (map[string]Risk, error)
}

// ModelRisk is the risk a payment model bundle (dsopilot train) gives: for
// each customer with open invoices, the amount-weighted mean of their
// probabilities of ending 90+ days overdue or written off. It goes through
// recommender.ModelRisk, the one place that scores with the model package.
type ModelRisk struct{ Bundle *model.Bundle }

var _ RiskSource = ModelRisk{}

// CustomerRisk scores the invoices open at the end of asOf.
func (m ModelRisk) CustomerRisk(ctx context.Context, l *datasets.Ledger, asOf datasets.Date) (map[string]Risk, error) {
	rs, err := recommender.ModelRisk(ctx, l, m.Bundle, asOf)
	if err != nil {
		return nil, err
	}
	out := make(map[string]Risk, len(rs))
	for id, r := range rs {
		if r.PDefault90 > 0 {
			out[id] = Risk{PD: r.PDefault90, Source: "model"}
		}
	}
	return out, nil
}
