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

// The Service's reading side: the suggestions, flags and advice as of a
// day, from the store's ledger (whole or in parts) and its workflow events.

// ledger returns the ledger to assess, with the write-offs its
// settlements imply (datasets.ImpliedWriteOffs): the store's in parts when
// s.Parts is set, else loaded whole (l, which a caller holding it passes).
func (s *Service) ledger(ctx context.Context) (features.Parts, *datasets.Ledger, error) {
	if s.Parts != nil {
		return features.SettledParts(s.Parts), nil, nil
	}
	l, err := s.Store.Load(ctx)
	if err != nil {
		return nil, nil, err
	}
	// Settled is not paid: a settlement no cash covers is a write-off,
	// which the exposure and the default history must see.
	if l, _, err = l.WithImpliedWriteOffs(len(l.Payments) > 0); err != nil {
		return nil, nil, fmt.Errorf("settled invoices: %w", err)
	}
	return features.WholeLedger(l), l, nil
}

// options gathers what Suggest and Flags need beyond the ledger, l when
// it is held whole (nil: read in parts).
func (s *Service) options(ctx context.Context, parts features.Parts, l *datasets.Ledger, asOf datasets.Date, ids []string) (Options, error) {
	return s.optionsOn(ctx, riskBasis{parts: parts, l: l}, asOf, ids, nil)
}

// riskBasis is the ledger the risk is computed on: l when held whole, else
// parts.
type riskBasis struct {
	parts features.Parts
	l     *datasets.Ledger
}

// optionsOn is options with the risk computed on rb, and events the
// workflow's events when the caller read them already (nil: read here).
// AdviceOn computes the risk on the snapshot it was given, not on the
// snapshot with its approvals laid over it: a cache of the snapshot's
// risks (the server's) then serves every call until the snapshot reloads,
// instead of a ledger new on each call being learnt again (seconds a
// call).
func (s *Service) optionsOn(ctx context.Context, rb riskBasis, asOf datasets.Date, ids []string, events []datasets.CreditEvent) (Options, error) {
	parts, l := rb.parts, rb.l
	o := Options{FX: s.FX, Customers: ids, Currency: s.Currency}
	if s.Risk != nil {
		var (
			r   map[string]Risk
			err error
		)
		if l != nil {
			r, err = s.Risk.CustomerRisk(ctx, l, asOf)
		} else {
			r, err = riskParts(ctx, s.Risk, parts, asOf)
		}
		if err != nil {
			return o, err
		}
		o.Risk = r
	}
	o.RiskAtDays = s.riskAtDays(ctx, parts, l)
	if events == nil {
		var err error
		if events, err = s.Store.CreditEvents(ctx, ""); err != nil {
			return o, err
		}
	}
	o.Events = events
	return o, nil
}

// riskAtDays gives the risk as of the month-ends the review dates look at
// (Options.RiskAtDays), from the same source as the as-of day's (nil: the
// segments' rates, which assess applies), over one read of the ledger
// (riskDays; l is the ledger when held whole). A learnt default model's warning that it fell back is the
// as-of day's alone: early month-ends of a ledger have too few defaults,
// and a warning a month would bury it.
func (s *Service) riskAtDays(ctx context.Context, parts features.Parts, l *datasets.Ledger) func([]datasets.Date) (map[datasets.Date]map[string]Risk, error) {
	src := s.Risk
	if lr, ok := src.(LearnedRisk); ok {
		lr.Warn = nil
		src = lr
	}
	return func(days []datasets.Date) (map[datasets.Date]map[string]Risk, error) {
		return riskDays(ctx, src, parts, l, days)
	}
}

// Suggest suggests limits as of asOf for the given customers (all when none
// is given). A customer whose currency has no rate fails it with a
// *MissingRatesError naming every such currency.
func (s *Service) Suggest(ctx context.Context, asOf datasets.Date, customerIDs ...string) (*Suggestions, error) {
	parts, l, err := s.ledger(ctx)
	if err != nil {
		return nil, err
	}
	o, err := s.options(ctx, parts, l, asOf, customerIDs)
	if err != nil {
		return nil, err
	}
	return suggestParts(parts, asOf, s.Policy, o)
}

// Advice is a customer's suggestion and flags together: what a customer's
// page and GET /customers/{id}/credit-limit show.
type Advice struct {
	// Suggestion carries the current limit's review date (LimitReview),
	// the flags' own.
	Suggestion
	Flags []Flag `json:"flags"`
}

// Advice returns the suggestion and flags of the given customers (all when
// none is given), as of asOf, in customer order; an unknown customer is an
// error wrapping ErrNotFound; a customer whose amounts lack a rate one
// wrapping ErrInput and a *MissingRatesError, saying what each given
// customer lacks, and, for all customers, a *MissingRatesError naming
// every such currency.
func (s *Service) Advice(ctx context.Context, asOf datasets.Date, customerIDs ...string) ([]Advice, error) {
	parts, l, err := s.ledger(ctx)
	if err != nil {
		return nil, err
	}
	return s.advice(ctx, parts, l, asOf, customerIDs)
}

// AdviceOn is Advice on a ledger the caller holds already (the API's
// snapshot of the store), with the workflow's events read from the store.
// An approval the snapshot does not hold yet (it is reloaded every few
// seconds) counts at once: its decision is laid over the snapshot, as the
// store recorded it, so the limit approved is the limit shown beside the
// review date the approval set.
func (s *Service) AdviceOn(ctx context.Context, l *datasets.Ledger, asOf datasets.Date, customerIDs ...string) ([]Advice, error) {
	ev, err := s.Store.CreditEvents(ctx, "")
	if err != nil {
		return nil, err
	}
	// The events are read once, for the overlay and the limits' sources;
	// the risk is the snapshot's (optionsOn): an approval changes limits,
	// and the PDs follow once the snapshot holds it.
	over := withApprovals(l, ev)
	o, err := s.optionsOn(ctx, riskBasis{parts: features.WholeLedger(l), l: l}, asOf, customerIDs, ev)
	if err != nil {
		return nil, err
	}
	return s.adviceWith(features.WholeLedger(over), asOf, customerIDs, o)
}

// withApprovals is l with the decisions of the approvals among events that
// l does not hold (by decision id), and their customers' limits set as
// DecideCredit sets them in the store; l itself when it holds them all.
// A customer's approvals come in the order the store settled them (their
// claims), so the last one decided sets its limit, whatever the clocks of
// the callers said.
func withApprovals(l *datasets.Ledger, events []datasets.CreditEvent) *datasets.Ledger {
	have := make(map[string]bool, len(l.CreditDecisions))
	for i := range l.CreditDecisions {
		have[l.CreditDecisions[i].ID] = true
	}
	var missing []datasets.CreditEvent
	for _, e := range events {
		if e.Kind == datasets.CreditApproved && e.DecisionID != "" && !have[e.DecisionID] {
			missing = append(missing, e)
		}
	}
	if len(missing) == 0 {
		return l
	}
	slices.SortStableFunc(missing, func(x, y datasets.CreditEvent) int {
		return cmp.Or(strings.Compare(x.CustomerID, y.CustomerID), cmp.Compare(x.Claim, y.Claim))
	})
	out := *l
	out.CreditDecisions = slices.Clone(l.CreditDecisions)
	out.Customers = slices.Clone(l.Customers)
	at := make(map[string]int, len(out.Customers))
	for i := range out.Customers {
		at[out.Customers[i].ID] = i
	}
	for _, e := range missing {
		i, ok := at[e.CustomerID]
		if !ok {
			continue // a customer the snapshot does not know yet: nothing to show it on
		}
		out.CreditDecisions = append(out.CreditDecisions, datasets.CreditDecision{ID: e.DecisionID, CustomerID: e.CustomerID,
			Date: e.BusinessDay(), OldLimit: e.OldLimit, NewLimit: e.NewLimit, Reason: e.Reason, DecidedBy: e.By, OldLimitBlank: e.OldLimitBlank})
		out.Customers[i].CreditLimit, out.Customers[i].CreditLimitBlank = e.NewLimit, false
	}
	return &out
}

// advice is Advice on parts (l: the same ledger held whole, or nil).
func (s *Service) advice(ctx context.Context, parts features.Parts, l *datasets.Ledger, asOf datasets.Date, customerIDs []string) ([]Advice, error) {
	o, err := s.options(ctx, parts, l, asOf, customerIDs)
	if err != nil {
		return nil, err
	}
	return s.adviceWith(parts, asOf, customerIDs, o)
}

// adviceWith is advice on parts with the options gathered.
func (s *Service) adviceWith(parts features.Parts, asOf datasets.Date, customerIDs []string, o Options) ([]Advice, error) {
	as, err := assessParts(parts, asOf, s.Policy, o)
	if err != nil {
		return nil, err
	}
	// Refused as Suggest and Flags refuse, with a *MissingRatesError the
	// caller can tell from bad input (the server answers it as its own
	// configuration's fault): for the whole portfolio (a report's credit
	// pages), pages that quietly lack the customers in a currency without
	// a rate would read as "no suggestion" for them.
	if err := as.missingRates(); err != nil {
		if len(customerIDs) > 0 {
			// The customers asked about, each with what it lacks.
			return nil, &refusal{msg: ErrInput.Error() + ": " + strings.Join(as.problems, "; "), missing: as.missing}
		}
		return nil, err
	}
	out := make([]Advice, 0, len(as.list))
	ap := approvalsOf(o.Events)
	for _, a := range as.list {
		sg := as.suggest(a, ap)
		f := as.flags(a, &sg)
		out = append(out, Advice{Suggestion: sg, Flags: f.Flags})
	}
	return out, nil
}

// Flags returns the flagged customers as of asOf (among the given ones, or
// all), and the customers that could not be assessed with the reason. A
// customer whose currency has no rate fails it with a
// *MissingRatesError naming every such currency.
func (s *Service) Flags(ctx context.Context, asOf datasets.Date, customerIDs ...string) ([]CustomerFlags, []string, error) {
	parts, l, err := s.ledger(ctx)
	if err != nil {
		return nil, nil, err
	}
	o, err := s.options(ctx, parts, l, asOf, customerIDs)
	if err != nil {
		return nil, nil, err
	}
	as, err := assessParts(parts, asOf, s.Policy, o)
	if err != nil {
		return nil, nil, err
	}
	return as.flagged(true)
}

// refusal is the advice on given customers refused for want of rates: its
// message says what each lacks, and it is both an input error (the CLI's
// --fx) and the *MissingRatesError (the server's own rates, a 503).
type refusal struct {
	msg     string
	missing *MissingRatesError
}

func (r *refusal) Error() string   { return r.msg }
func (r *refusal) Unwrap() []error { return []error{ErrInput, r.missing} }
