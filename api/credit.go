package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/recommender/credit"
)

// CreditWorkflow serves the credit routes from recommender/credit on the
// server's own store: advice on the served snapshot's ledger, proposals and
// decisions in the store's credit event log (where the decision and the
// customer's new limit are written with the claim that settles races, so
// the handler records nothing more).
type CreditWorkflow struct {
	policy *credit.Policy
	fx     datasets.FX
	risk   credit.RiskSource
	cache  *cachedRisk // risk, when set
	roles  map[string]string
	log    *slog.Logger

	// Now is the workflow's clock, the audit times of proposals and
	// decisions (nil: the wall clock); Day the business day (nil: Now's
	// UTC day), which decisions are dated on and expiry and review dates
	// count from. A server serving a fixed --as-of sets Day to that day:
	// decisions fall on the day it serves, at the time they were made.
	Now func() time.Time
	Day func() datasets.Date

	mu    sync.RWMutex
	l     *datasets.Ledger
	store func(context.Context) (Store, error)
	// bg is the server's context the advice is prepared under (nil: not
	// prepared, creditprep.go), prep the snapshot's preparation and
	// lastTook how long the last one took (for Retry-After).
	bg       context.Context
	prep     *creditPrep
	lastTook time.Duration
	// refreshing is prep prepared again after the credit events changed
	// (nil: not), which replaces it once done.
	refreshing *creditPrep
	// served is the last preparation that finished without error, which
	// answers customers whose records a newer snapshot left untouched
	// while that one's is prepared (previous).
	served *creditPrep
}

var (
	_ Credit   = (*CreditWorkflow)(nil)
	_ Follower = (*CreditWorkflow)(nil)
)

// NewCreditWorkflow returns the credit part: pol is the credit policy, fx
// the rates to its currency, risk the customers' default probabilities
// (nil: the segments' observed rates), roles maps an API key's role to
// the policy's approval role (a role left out is passed as it is: with
// the default policy, credit_manager is credit_manager, and admin should
// be mapped to finance_director if admins may approve any increase).
func NewCreditWorkflow(pol *credit.Policy, fx datasets.FX, risk credit.RiskSource, roles map[string]string, log *slog.Logger) *CreditWorkflow {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var cache *cachedRisk
	if risk != nil {
		cache = &cachedRisk{src: risk}
		risk = cache
	}
	return &CreditWorkflow{policy: pol, fx: fx, risk: risk, cache: cache, roles: roles, log: log}
}

// Follow implements Follower: the advice on the new snapshot is prepared
// in the background (creditprep.go).
func (w *CreditWorkflow) Follow(l *datasets.Ledger, asOf datasets.Date) {
	w.mu.Lock()
	w.l = l
	w.prepare(l, asOf)
	w.mu.Unlock()
}

// bindStore gives the workflow the server's store (New calls it).
func (w *CreditWorkflow) bindStore(get func(context.Context) (Store, error)) {
	w.mu.Lock()
	w.store = get
	w.mu.Unlock()
}

// storeBinder is a part that works on the server's own store.
type storeBinder interface {
	bindStore(get func(context.Context) (Store, error))
}

var _ storeBinder = (*CreditWorkflow)(nil)

func (w *CreditWorkflow) service(ctx context.Context) (*credit.Service, *datasets.Ledger, error) {
	w.mu.RLock()
	get, l := w.store, w.l
	w.mu.RUnlock()
	if get == nil {
		return nil, nil, unavailable("the credit-limit workflow (no store)")
	}
	st, err := get(ctx)
	if err != nil {
		return nil, nil, err
	}
	cs, ok := st.(credit.Store)
	if !ok {
		return nil, nil, unavailable(fmt.Sprintf("the credit-limit workflow (a %T keeps no credit events)", st))
	}
	return &credit.Service{Store: cs, Policy: w.policy, Risk: w.risk, FX: w.fx, Now: w.Now, Day: w.Day, Log: w.log}, l, nil
}

// CreditLimit implements Credit.
func (w *CreditWorkflow) CreditLimit(ctx context.Context, customerID string, asOf datasets.Date) (*CreditAdvice, error) {
	svc, l, err := w.service(ctx)
	if err != nil {
		return nil, err
	}
	if l == nil {
		return nil, notRead("the credit-limit advice")
	}
	a, basis, err := w.prepared(ctx, svc.Store, l, asOf, customerID)
	if err != nil {
		return nil, err
	}
	if basis == computeOwn {
		// Computed here, under the request's deadline (Config.RequestDeadline):
		// past it, a 503 rather than an answer after the write timeout.
		as, err := svc.AdviceOn(ctx, l, asOf, customerID)
		if err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, overDeadline(ctx, customerID, asOf)
		}
		if err != nil {
			return nil, rateError(err)
		}
		if len(as) == 0 {
			return nil, fmt.Errorf("%w: customer %q", ErrNotFound, customerID)
		}
		a = as[0]
	}
	out := adviceOf(a, asOf)
	if basis == previousSnapshot {
		out.PreviousSnapshot = true
		out.Warnings = append(out.Warnings, "prepared on the snapshot before the one in service, which holds the same records of this customer and whose own advice is still being prepared (/readyz); "+
			"the month-end default models behind its risk class may shift slightly once they are learnt on the new snapshot's records of other customers")
	}
	return out, nil
}

// adviceOf is the API's answer of the workflow's advice a as of asOf.
func adviceOf(a credit.Advice, asOf datasets.Date) *CreditAdvice {
	out := &CreditAdvice{CustomerID: a.CustomerID, AsOf: asOf, Currency: a.Currency, Current: limitOrNull(a.Current, a.LimitSource == credit.LimitNotRecorded),
		LimitSource: a.LimitSource, LimitSet: a.LimitSet, LimitReview: a.LimitReview, Exposure: a.Exposure,
		GrossExposure: a.GrossExposure, UnappliedCash: a.UnappliedCash, UnappliedCredits: a.UnappliedCredits,
		LimitReviewFrom: a.From, LimitReviewClass: a.Class, LimitReviewClassAsOf: a.ClassAsOf,
		Suggested: a.Suggested, CreditRiskClass: a.CreditRiskClass, RiskClass: a.CreditRiskClass, PD: a.PD, PDSource: a.PDSource, PDCaution: a.PDCaution,
		Review: a.Review, ReviewClass: a.ReviewClass, ReviewClassAsOf: a.ReviewClassAsOf,
		BelowExposure: a.BelowExposure, Reasons: a.Reasons, Flags: []CreditFlag{}}
	if out.Reasons == nil {
		out.Reasons = []string{}
	}
	for _, f := range a.Flags {
		out.Flags = append(out.Flags, CreditFlag{Kind: f.Kind, Amount: f.Amount, Reason: f.Reason, Resolution: f.Resolution, BlocksOrders: f.BlocksOrders})
		out.OrdersHeld = out.OrdersHeld || f.BlocksOrders
	}
	return out
}

// Propose implements Credit.
func (w *CreditWorkflow) Propose(ctx context.Context, in ProposalInput, by Actor) (*Proposal, error) {
	svc, _, err := w.service(ctx)
	if err != nil {
		return nil, err
	}
	p, err := svc.Propose(ctx, credit.ProposeRequest{CustomerID: in.CustomerID, Limit: in.NewLimit.Money(), Reason: in.Reason,
		By: by.Name, Role: w.role(by.Role)})
	if err != nil {
		return nil, rateError(err)
	}
	return proposalOf(&p), nil
}

// Proposals implements Credit.
func (w *CreditWorkflow) Proposals(ctx context.Context, status string) ([]Proposal, error) {
	svc, _, err := w.service(ctx)
	if err != nil {
		return nil, err
	}
	f := credit.Filter{}
	if status != "" {
		st := status
		if st == ProposalPending {
			st = datasets.CreditProposed
		}
		f.Statuses = []string{st}
	}
	ps, err := svc.List(ctx, f)
	if err != nil {
		return nil, err
	}
	out := make([]Proposal, 0, len(ps))
	for i := len(ps) - 1; i >= 0; i-- { // newest first
		out = append(out, *proposalOf(&ps[i]))
	}
	return out, nil
}

// Decide implements Credit. The policy's thresholds apply to the key's
// role as mapped by NewCreditWorkflow's roles.
func (w *CreditWorkflow) Decide(ctx context.Context, id string, d Decision, by Actor) (*Proposal, error) {
	svc, _, err := w.service(ctx)
	if err != nil {
		return nil, err
	}
	req := credit.DecideRequest{By: by.Name, Role: w.role(by.Role), Comment: d.Note}
	var p credit.Proposal
	if d.Approve {
		p, err = svc.Approve(ctx, id, req)
	} else {
		p, err = svc.Reject(ctx, id, req)
	}
	if err != nil {
		return nil, err
	}
	return proposalOf(&p), nil
}

// role is the policy's role of an API key's role (see NewCreditWorkflow).
func (w *CreditWorkflow) role(keyRole string) string {
	if r, ok := w.roles[keyRole]; ok {
		return r
	}
	return keyRole
}

// proposalOf maps the workflow's proposal onto the API's.
func proposalOf(p *credit.Proposal) *Proposal {
	out := &Proposal{ID: p.ID, CustomerID: p.CustomerID, Currency: p.Currency, CurrentLimit: limitOrNull(p.OldLimit, p.OldLimitBlank), ProposedLimit: p.NewLimit,
		Reason: p.Reason, Status: p.Status, ProposedBy: Actor{Name: p.ProposedBy, Role: p.ProposedRole}, ProposedAt: p.ProposedAt, ProposedOn: p.ProposedOn,
		DecisionNote: p.Comment, DecisionID: p.DecisionID, Review: p.Review, Expires: p.Expires}
	if p.Status == datasets.CreditProposed {
		out.Status = ProposalPending
	}
	if p.DecidedBy != "" {
		out.DecidedBy = &Actor{Name: p.DecidedBy, Role: p.DecidedRole}
		at := p.DecidedAt
		out.DecidedAt = &at
		out.Effective = p.DecidedOn
	}
	return out
}

// limitOrNull is a limit as the API gives it: nil (null) when none is
// recorded (notRecorded: a blank credit_limit), which 0.00 would misread as
// no credit.
func limitOrNull(m Amount, notRecorded bool) *Amount {
	if notRecorded {
		return nil
	}
	return &m
}

// Advice is the workflow's advice on ledger l (the report site's), with
// the store's credit events: what the report's credit part shows.
func (w *CreditWorkflow) Advice(ctx context.Context, l *datasets.Ledger, asOf datasets.Date, customerIDs ...string) ([]credit.Advice, error) {
	svc, _, err := w.service(ctx)
	if err != nil {
		return nil, err
	}
	as, err := svc.AdviceOn(ctx, l, asOf, customerIDs...)
	if nr := asNoRate(err); nr != nil {
		return nil, nr
	}
	return as, err
}

// rateError is err, a refusal of the workflow, as an ErrNoRate when the
// server's rates lack a currency of the customer's amounts (the workflow's
// *MissingRatesError, for the CLI the user's --fx), which on the server is
// its operator's to mend.
func rateError(err error) error {
	if nr := asNoRate(err); nr != nil {
		return nr
	}
	return err
}
