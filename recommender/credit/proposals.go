package credit

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
)

// Reading the workflow: a proposal's state and audit trail built from its
// events, one or all of them.

// Get returns one proposal.
func (s *Service) Get(ctx context.Context, id string) (Proposal, error) {
	events, _, err := s.find(ctx, id)
	if err != nil {
		return Proposal{}, err
	}
	return s.proposal(events, s.today())
}

// List returns the proposals that pass f, newest first.
func (s *Service) List(ctx context.Context, f Filter) ([]Proposal, error) {
	for _, st := range f.Statuses {
		if !slices.Contains([]string{datasets.CreditProposed, datasets.CreditApproved, datasets.CreditRejected, datasets.CreditExpired}, st) {
			return nil, fmt.Errorf("%w: status %q (want proposed, approved, rejected or expired)", ErrInput, st)
		}
	}
	all, err := s.Store.CreditEvents(ctx, f.CustomerID)
	if err != nil {
		return nil, err
	}
	day := s.today()
	out := []Proposal{}
	for _, evs := range byProposal(all) {
		p, err := s.proposal(evs, day)
		if err != nil {
			return nil, err
		}
		if len(f.Statuses) == 0 || slices.Contains(f.Statuses, p.Status) {
			out = append(out, p)
		}
	}
	slices.SortStableFunc(out, func(x, y Proposal) int {
		return cmp.Or(y.ProposedAt.Compare(x.ProposedAt), strings.Compare(x.ID, y.ID))
	})
	return out, nil
}

// PolicyCurrency is the currency of the policy proposal id was made under
// ("" when its event predates it being kept).
func (s *Service) PolicyCurrency(ctx context.Context, id string) (string, error) {
	_, p, err := s.find(ctx, id)
	if err != nil {
		return "", err
	}
	return p.PolicyCurrency, nil
}

// find returns the events of proposal id and its proposal event.
func (s *Service) find(ctx context.Context, id string) ([]datasets.CreditEvent, datasets.CreditEvent, error) {
	all, err := s.Store.CreditEvents(ctx, "")
	if err != nil {
		return nil, datasets.CreditEvent{}, err
	}
	var out []datasets.CreditEvent
	for _, e := range all {
		if e.ProposalID == id {
			out = append(out, e)
		}
	}
	if len(out) == 0 || out[0].Kind != datasets.CreditProposed {
		return nil, datasets.CreditEvent{}, fmt.Errorf("%w: no credit proposal %q", ErrNotFound, id)
	}
	return out, out[0], nil
}

// proposal builds a proposal's state from its events as of day.
func (s *Service) proposal(events []datasets.CreditEvent, day datasets.Date) (Proposal, error) {
	if len(events) == 0 || events[0].Kind != datasets.CreditProposed {
		return Proposal{}, fmt.Errorf("%w: events without their proposal", ErrNotFound)
	}
	e := events[0]
	p := Proposal{ID: e.ProposalID, CustomerID: e.CustomerID, Currency: e.Currency, Status: datasets.CreditProposed,
		OldLimit: features.KPIMoney(e.OldLimit), OldLimitBlank: e.OldLimitBlank, NewLimit: features.KPIMoney(e.NewLimit), Secured: features.KPIMoney(e.Secured),
		Reason: e.Reason, Source: e.Source, RiskClass: e.RiskClass, Review: e.Review, Expires: e.Expires,
		ProposedBy: e.By, ProposedRole: e.Role, ProposedAt: e.At, ProposedOn: e.BusinessDay()}
	if r, ok := currencyRate(e.Currency, s.Policy.Currency, s.FX); ok {
		p.RequiredRole = s.Policy.RequiredRole(unsecuredChange(e, r))
	}
	for _, x := range events {
		p.History = append(p.History, Step{At: x.At, Kind: x.Kind, By: x.By, Role: x.Role, Comment: x.Comment})
		if x.Terminal() {
			p.Status, p.DecidedBy, p.DecidedRole, p.DecidedAt, p.Comment, p.DecisionID = x.Kind, x.By, x.Role, x.At, x.Comment, x.DecisionID
			p.DecidedOn = x.BusinessDay()
			if x.Kind == datasets.CreditApproved {
				p.Review, p.OldLimit, p.OldLimitBlank = x.Review, features.KPIMoney(x.OldLimit), x.OldLimitBlank
			}
		}
	}
	if p.Status == datasets.CreditProposed && day > p.Expires {
		p.Status = datasets.CreditExpired
	}
	return p, nil
}

// byProposal groups events by proposal, in proposal id order.
func byProposal(all []datasets.CreditEvent) [][]datasets.CreditEvent {
	var out [][]datasets.CreditEvent
	for i := 0; i < len(all); {
		j := i + 1
		for j < len(all) && all[j].ProposalID == all[i].ProposalID {
			j++
		}
		out = append(out, all[i:j])
		i = j
	}
	return out
}
