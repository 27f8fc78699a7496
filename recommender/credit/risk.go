package credit

import (
	"context"
	"fmt"
	"slices"

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

// scoreParts is CustomerRiskParts without the check of the cut-off. The
// invoices in dispute at asOf are left out (undisputed): a disputed
// invoice unpaid is a query about the goods or the price, not a sign that
// the customer will not pay, and as the mean's only or largest open item it
// set the customer's PD (a trial's good payer, one disputed invoice of 206
// EUR open, had a PD of 40.5%, the model's chance that invoice stays
// unpaid).
func (m ModelRisk) scoreParts(ctx context.Context, parts features.Parts, asOf datasets.Date) (map[string]Risk, error) {
	rs, err := recommender.ModelRiskParts(ctx, undisputed(parts, m.Bundle.Options.Features, asOf), m.Bundle, asOf)
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

// undisputed is parts with the invoices in dispute at the end of asOf
// taken out of each part, with the records naming them (payments, credit
// notes, disputes, actions, promises): the customer is scored as though
// they were not there. In dispute is what the features say (inv_disputed:
// a dispute record open at asOf, or the invoice's disputed flag as the
// features date it, opt), so the credit rules and the PD agree on it.
func undisputed(parts features.Parts, opt features.Options, asOf datasets.Date) features.Parts {
	return func(fn func(*datasets.Ledger, features.LedgerFacts) error) error {
		return parts(func(l *datasets.Ledger, whole features.LedgerFacts) error {
			tab := features.NewEngine(features.NewPartIndex(l, whole), opt).OpenInvoices(asOf)
			col, err := columns(tab.Specs, "inv_disputed")
			if err != nil {
				return err
			}
			out := map[string]bool{}
			for _, r := range tab.Rows {
				if r.Num[col[0]] == 1 {
					out[r.InvoiceID] = true
				}
			}
			if len(out) == 0 {
				return fn(l, whole)
			}
			return fn(withoutInvoices(l, out), whole)
		})
	}
}

// withoutInvoices is a shallow copy of l without the invoices in drop and
// the records that name them.
func withoutInvoices(l *datasets.Ledger, drop map[string]bool) *datasets.Ledger {
	c := *l
	c.Invoices = slices.DeleteFunc(slices.Clone(l.Invoices), func(v datasets.Invoice) bool { return drop[v.ID] })
	c.Payments = slices.DeleteFunc(slices.Clone(l.Payments), func(p datasets.Payment) bool { return drop[p.InvoiceID] })
	c.CreditNotes = slices.DeleteFunc(slices.Clone(l.CreditNotes), func(n datasets.CreditNote) bool { return drop[n.InvoiceID] })
	c.Disputes = slices.DeleteFunc(slices.Clone(l.Disputes), func(d datasets.Dispute) bool { return drop[d.InvoiceID] })
	c.Actions = slices.DeleteFunc(slices.Clone(l.Actions), func(a datasets.Action) bool { return drop[a.InvoiceID] })
	c.Promises = slices.DeleteFunc(slices.Clone(l.Promises), func(p datasets.Promise) bool { return drop[p.InvoiceID] })
	return &c
}
