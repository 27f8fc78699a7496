package credit

import (
	"context"
	"fmt"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
	"github.com/dsopilot/dsopilot/model"
	"github.com/dsopilot/dsopilot/recommender"
)

// RiskSource says how risky customers are as of a day.
type RiskSource interface {
	CustomerRisk(ctx context.Context, l *datasets.Ledger, asOf datasets.Date) (map[string]Risk, error)
}

// PartRiskSource is a RiskSource that also reads a ledger in parts of
// whole customers (features.Parts), for a Service with Parts set.
type PartRiskSource interface {
	RiskSource
	CustomerRiskParts(ctx context.Context, parts features.Parts, asOf datasets.Date) (map[string]Risk, error)
}

var (
	_ PartRiskSource = ModelRisk{}
	_ PartRiskSource = (*DefaultModel)(nil)
	_ PartRiskSource = LearnedRisk{}
)

// riskParts asks src about a ledger read in parts, which it must be able
// to read.
func riskParts(ctx context.Context, src RiskSource, parts features.Parts, asOf datasets.Date) (map[string]Risk, error) {
	ps, ok := src.(PartRiskSource)
	if !ok {
		return nil, fmt.Errorf("%w: the risk source %T cannot read a ledger in parts", ErrInput, src)
	}
	return ps.CustomerRiskParts(ctx, parts, asOf)
}

// ModelRisk is the risk a payment model bundle (dsopilot train) gives: for
// each customer with open invoices, the amount-weighted mean of their
// probabilities of ending 90+ days overdue or written off. It goes through
// recommender.ModelRisk, the one place that scores with the model package.
// For the review dates' month-ends it scores only those at or after the
// bundle's training cut-off (customerRiskDays).
type ModelRisk struct{ Bundle *model.Bundle }

var _ RiskSource = ModelRisk{}

// CustomerRisk scores the invoices open at the end of asOf.
func (m ModelRisk) CustomerRisk(ctx context.Context, l *datasets.Ledger, asOf datasets.Date) (map[string]Risk, error) {
	return m.CustomerRiskParts(ctx, features.WholeLedger(l), asOf)
}

// CustomerRiskParts is CustomerRisk over a ledger read in parts.
// A day before the bundle's training cut-off is refused
// (recommender.CheckModelKnownBy): the model has seen how that day's
// customers went on.
func (m ModelRisk) CustomerRiskParts(ctx context.Context, parts features.Parts, asOf datasets.Date) (map[string]Risk, error) {
	if err := recommender.CheckModelKnownBy(m.Bundle, asOf); err != nil {
		return nil, err
	}
	return m.scoreParts(ctx, parts, asOf)
}

// scoreParts is CustomerRiskParts without the check of the cut-off.
func (m ModelRisk) scoreParts(ctx context.Context, parts features.Parts, asOf datasets.Date) (map[string]Risk, error) {
	rs, err := recommender.ModelRiskParts(ctx, parts, m.Bundle, asOf)
	if err != nil {
		return nil, err
	}
	out := make(map[string]Risk, len(rs))
	for id, r := range rs {
		if r.PDefault90 > 0 {
			out[id] = Risk{PD: r.PDefault90, Source: "payment_model"}
		}
	}
	return out, nil
}
