package credit

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
	"github.com/dsopilot/dsopilot/recommender"
)

// Proposal sources.
const (
	SourceSuggestion = "suggestion"
	SourceManual     = "manual"
)

// Store is what the workflow needs of a store.
type Store interface {
	Load(ctx context.Context) (*datasets.Ledger, error)
	datasets.CreditStore
}

// Service runs the credit workflow on a store. Its methods are safe for
// concurrent use when the store's are; a proposal is decided once however
// many approve it at the same time.
type Service struct {
	Store  Store
	Policy *Policy
	// Risk gives the customers' probabilities of 90+ or write-off; nil: the
	// segments' observed rates.
	Risk RiskSource
	// FX converts customers' currencies to the policy's.
	FX datasets.FX
	// Now is the clock (nil: time.Now): the events' times, the audit
	// trail's. Day is the business day (nil: Now's UTC day): what the
	// proposals' review and expiry count from, the day decisions are
	// dated and proposals expire by; a server on a fixed --as-of sets it to
	// that day, its audit times staying the wall clock of each action.
	Now func() time.Time
	Day func() datasets.Date
	Log *slog.Logger
	// Currency, when set, assesses only the customers in it
	// (Options.Currency), in Suggest, Flags and Advice.
	Currency string
	// Parts, when set, reads the store's ledger in parts of whole
	// customers instead of Store.Load, so that Suggest, Flags and Advice
	// hold one part at a time and the accounts (a ledger larger than
	// memory); Risk must then be a PartRiskSource.
	Parts features.Parts
}

// Step is one entry of a proposal's audit trail.
type Step struct {
	At      time.Time `json:"at"`
	Kind    string    `json:"kind"`
	By      string    `json:"by"`
	Role    string    `json:"role,omitempty"`
	Comment string    `json:"comment,omitempty"`
}

// Proposal is a proposed limit change, its state and its audit trail.
// Amounts are in the customer's currency.
type Proposal struct {
	ID         string            `json:"id"`
	CustomerID string            `json:"customer_id"`
	Currency   string            `json:"currency,omitempty"`
	Status     string            `json:"status"` // proposed, approved, rejected or expired
	OldLimit   features.KPIMoney `json:"old_limit"`
	// OldLimitBlank says no limit was recorded before (a blank master
	// credit_limit): OldLimit is then 0.00 and means nothing (null in the
	// JSON).
	OldLimitBlank bool              `json:"old_limit_blank,omitempty"`
	NewLimit      features.KPIMoney `json:"new_limit"`
	Secured       features.KPIMoney `json:"secured"`
	Reason        string            `json:"reason"`
	Source        string            `json:"source"`
	RiskClass     string            `json:"risk_class,omitempty"`
	// Review is when the new limit, once approved, is due for review.
	Review datasets.Date `json:"review_date,omitempty"`
	// Expires is the last day the proposal may be decided.
	Expires datasets.Date `json:"expires"`
	// RequiredRole is the least role that may approve it ("" when none may).
	RequiredRole string    `json:"required_role"`
	ProposedBy   string    `json:"proposed_by"`
	ProposedRole string    `json:"proposed_role,omitempty"`
	ProposedAt   time.Time `json:"proposed_at"`
	// ProposedOn and DecidedOn are the business days (the events' Day),
	// ProposedAt and DecidedAt the wall clock of the actions.
	ProposedOn  datasets.Date `json:"proposed_on"`
	DecidedBy   string        `json:"decided_by,omitempty"`
	DecidedRole string        `json:"decided_role,omitempty"`
	DecidedAt   time.Time     `json:"decided_at,omitzero"`
	DecidedOn   datasets.Date `json:"decided_on,omitempty"`
	Comment     string        `json:"comment,omitempty"`
	DecisionID  string        `json:"decision_id,omitempty"`
	History     []Step        `json:"history"`
}

// ProposeRequest asks for a limit change.
type ProposeRequest struct {
	CustomerID string
	// Limit is the proposed limit, in the customer's currency; with
	// FromSuggestion the suggestion's limit is proposed instead.
	Limit          datasets.Money
	FromSuggestion bool
	// Reason is required by hand; from the suggestion its reasons are used
	// when it is empty.
	Reason string
	By     string
	// Role is the proposer's role (the API key's, or --role), kept in the
	// audit trail beside the name.
	Role string
	// AsOf is the day the suggestion (the limit with FromSuggestion) is
	// computed as of; zero means yesterday, the last whole day. It cannot
	// be later than yesterday. The risk class, and with it the review
	// date, are the customer's at the decision whatever AsOf says
	// (decisionClass).
	AsOf datasets.Date
}

// DecideRequest is an approver's decision.
type DecideRequest struct {
	By, Role, Comment string
}

// Filter selects proposals; empty fields select all.
type Filter struct {
	Statuses   []string
	CustomerID string
}

// ParseLimit reads a limit given as text ("50000", "50000.00"): a plain,
// non-negative amount with at most two decimals. "NaN", "-5", "1e6" and
// amounts above datasets.MaxAmount are errors wrapping ErrInvalidAmount.
func ParseLimit(s string) (datasets.Money, error) {
	m, err := datasets.ParseMoney(s)
	switch {
	case err != nil:
		return 0, fmt.Errorf("%w: limit %q: %v", ErrInvalidAmount, s, err)
	case m < 0:
		return 0, fmt.Errorf("%w: limit %q is negative: a limit is 0 (no credit) or more", ErrInvalidAmount, s)
	case m > datasets.MaxAmount:
		return 0, fmt.Errorf("%w: limit %q is above %s", ErrInvalidAmount, s, datasets.MaxAmount)
	}
	return m, nil
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC().Truncate(time.Second)
	}
	return time.Now().UTC().Truncate(time.Second)
}

func (s *Service) today() datasets.Date {
	if s.Day != nil {
		return s.Day()
	}
	return datasets.DateOf(s.now())
}

func (s *Service) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.New(slog.DiscardHandler)
}

// Propose records a proposal. The customer's current limit is the stored
// one; the limit from the suggestion is its suggestion's as of req.AsOf,
// by default yesterday (the ledger is read for it); its risk class, and so
// the new limit's review date, are the class at the decision: at the last
// month-end whose day is whole by the proposal's day (decisionClass).
func (s *Service) Propose(ctx context.Context, req ProposeRequest) (Proposal, error) {
	req.By, req.Role, req.Reason = strings.TrimSpace(req.By), strings.TrimSpace(req.Role), strings.TrimSpace(req.Reason)
	switch {
	case req.By == "":
		return Proposal{}, fmt.Errorf("%w: a proposal needs its proposer (--by)", ErrInput)
	case req.Reason == "" && !req.FromSuggestion:
		return Proposal{}, fmt.Errorf("%w: a proposal by hand needs a reason (--reason)", ErrInput)
	case !req.FromSuggestion && (req.Limit < 0 || req.Limit > datasets.MaxAmount):
		return Proposal{}, fmt.Errorf("%w: limit %s: a limit is 0 (no credit) to %s", ErrInvalidAmount, req.Limit, datasets.MaxAmount)
	}
	c, err := s.Store.Customer(ctx, req.CustomerID)
	if err != nil {
		return Proposal{}, s.notFound(err, "customer %q", req.CustomerID)
	}
	now, day := s.now(), s.today()
	asOf := day - 1
	if req.AsOf != 0 {
		if req.AsOf > asOf {
			return Proposal{}, fmt.Errorf("%w: a suggestion as of %s: the latest whole day is %s", ErrInput, req.AsOf, asOf)
		}
		asOf = req.AsOf
	}
	if err := s.nonePending(ctx, c.ID, day); err != nil {
		return Proposal{}, err
	}
	// The ledger is read once, for the suggestion and the class at the
	// decision.
	parts, l, err := s.ledger(ctx)
	if err != nil {
		return Proposal{}, err
	}
	o, err := s.options(ctx, parts, l, asOf, []string{c.ID})
	if err != nil {
		return Proposal{}, err
	}
	sugg, err := suggestParts(parts, asOf, s.Policy, o)
	if err != nil {
		return Proposal{}, err
	}
	if len(sugg.Rows) != 1 {
		return Proposal{}, fmt.Errorf("%w: %s", ErrInput, strings.Join(sugg.Problems, "; "))
	}
	sg := sugg.Rows[0]
	limit, source := req.Limit, SourceManual
	if req.FromSuggestion {
		limit, source = sg.Suggested.Money(), SourceSuggestion
		if req.Reason == "" {
			req.Reason = strings.Join(sg.Reasons, "; ")
		}
	}
	// A proposal of the limit in force is a renewal: once approved, the
	// limit gets a new review date (what clears an expired-limit flag).
	// Not of a limit of 0, which has no review date (flags): 0 where the
	// limit in force is 0 would record a decision that decides nothing.
	// A blank limit is none recorded: 0 then records no credit.
	if limit == 0 && c.CreditLimit == 0 && !c.CreditLimitBlank {
		if req.FromSuggestion {
			return Proposal{}, fmt.Errorf("%w: nothing to propose for customer %s: its limit in force is 0 (no credit) and its suggestion keeps it at 0 for %s; a limit of 0 has no review date to renew",
				ErrInput, c.ID, cutLabel(sg.Bound))
		}
		return Proposal{}, fmt.Errorf("%w: nothing to propose for customer %s: its limit in force is already 0 (no credit), and a limit of 0 has no review date to renew", ErrInput, c.ID)
	}
	riskClass, err := s.decisionClass(ctx, parts, l, c.ID, day, asOf, sg.RiskClass)
	if err != nil {
		return Proposal{}, err
	}
	class, _ := s.classNamed(riskClass)
	e := datasets.CreditEvent{ProposalID: newProposalID(day), Kind: datasets.CreditProposed, At: now, Day: day, PolicyCurrency: s.Policy.Currency,
		CustomerID: c.ID, Currency: cmp.Or(c.Currency, s.Policy.Currency), OldLimit: c.CreditLimit, OldLimitBlank: c.CreditLimitBlank, NewLimit: limit,
		Secured: sg.Secured.Money(), Reason: req.Reason, Source: source, RiskClass: riskClass,
		Review: day.AddMonths(class.ReviewMonths), Expires: day.AddDays(s.Policy.Approval.ProposalDays), By: req.By, Role: req.Role}
	if err := s.Store.AddCreditProposal(ctx, e); err != nil {
		return Proposal{}, err
	}
	s.log().Info("credit limit proposed", "proposal", e.ProposalID, "customer", c.ID, "old", c.CreditLimit, "new", limit, "by", req.By, "role", req.Role)
	return s.proposal([]datasets.CreditEvent{e}, day)
}

// nonePending refuses a proposal for a customer that has one pending on
// day: two open proposals of one limit are two answers to one question,
// and approving either would leave the other to fail as stale (its old
// limit changed) or, approved first, to be overturned. The pending one is
// decided (or left to expire) first.
func (s *Service) nonePending(ctx context.Context, customerID string, day datasets.Date) error {
	evs, err := s.Store.CreditEvents(ctx, customerID)
	if err != nil {
		return err
	}
	for _, pe := range byProposal(evs) {
		p, err := s.proposal(pe, day)
		if err != nil {
			return err
		}
		if p.Status == datasets.CreditProposed {
			return fmt.Errorf("%w: customer %s already has proposal %s pending (%s to %s, by %s, until %s): approve or reject it first",
				ErrConflict, customerID, p.ID, recommender.FormatAmount(p.OldLimit.Money()), recommender.FormatAmount(p.NewLimit.Money()), p.ProposedBy, p.Expires)
		}
	}
	return nil
}

// Approve approves a proposal: the approver is not the proposer (four
// eyes), their role covers the change of the unsecured limit, the proposal
// is still open and not expired, and the customer's limit is still the one
// it changes. The customer's limit is then changed and a credit decision
// recorded. Each refusal names its rule, wraps its sentinel error and
// changes nothing.
func (s *Service) Approve(ctx context.Context, id string, req DecideRequest) (Proposal, error) {
	return s.decide(ctx, id, req, datasets.CreditApproved)
}

// Reject rejects an open proposal; any role may, the proposer too (a
// withdrawal).
func (s *Service) Reject(ctx context.Context, id string, req DecideRequest) (Proposal, error) {
	return s.decide(ctx, id, req, datasets.CreditRejected)
}

func (s *Service) decide(ctx context.Context, id string, req DecideRequest, kind string) (Proposal, error) {
	req.By, req.Role = strings.TrimSpace(req.By), strings.TrimSpace(req.Role)
	verb := "approve"
	if kind == datasets.CreditRejected {
		verb = "reject"
	}
	if req.By == "" {
		return Proposal{}, fmt.Errorf("%w: who decides (--by) is required", ErrInput)
	}
	rank := s.Policy.RoleRank(req.Role)
	if rank < 0 {
		return Proposal{}, fmt.Errorf("%w: role %q is not among the policy's roles (%s)", ErrInput, req.Role, s.roleNames())
	}
	events, p, err := s.find(ctx, id)
	if err != nil {
		return Proposal{}, err
	}
	now, day := s.now(), s.today()
	cur, err := s.proposal(events, day)
	if err != nil {
		return Proposal{}, err
	}
	switch cur.Status {
	case datasets.CreditApproved, datasets.CreditRejected:
		return cur, fmt.Errorf("%w: proposal %s was %s by %s on %s", ErrConflict, id, cur.Status, cur.DecidedBy, cur.DecidedAt.Format(time.DateOnly))
	case datasets.CreditExpired:
		return cur, fmt.Errorf("%w: proposal %s expired on %s (proposals are decided within %s): propose again", ErrExpired, id, p.Expires, plural(s.Policy.Approval.ProposalDays, "day"))
	}
	// The thresholds the proposal was checked against are in the policy's
	// currency of the day it was made: another one would apply other
	// amounts (the built-in policy states the same figures in any).
	if p.PolicyCurrency != "" && p.PolicyCurrency != s.Policy.Currency {
		return cur, fmt.Errorf("%w: proposal %s was made under a credit policy in %s, this one is in %s: decide it under the same (the built-in policy with --currency %s, or the same --policy)",
			ErrInput, id, p.PolicyCurrency, s.Policy.Currency, p.PolicyCurrency)
	}
	if kind == datasets.CreditApproved {
		if strings.EqualFold(req.By, p.By) {
			return cur, fmt.Errorf("%w: %s proposed %s and cannot approve it: another person must", ErrFourEyes, p.By, id)
		}
		if err := s.mayApprove(p, req.Role); err != nil {
			return cur, err
		}
	}
	c, err := s.Store.Customer(ctx, p.CustomerID)
	if err != nil {
		return cur, s.notFound(err, "customer %q", p.CustomerID)
	}
	if kind == datasets.CreditApproved && c.CreditLimit != p.OldLimit {
		return cur, fmt.Errorf("%w: customer %s's limit changed since proposal %s (from %s to %s): propose again",
			ErrConflict, c.ID, id, recommender.FormatAmount(p.OldLimit), recommender.FormatAmount(c.CreditLimit))
	}
	claim, err := s.nextClaim(ctx, p.CustomerID)
	if err != nil {
		return cur, err
	}
	e := p
	e.Kind, e.At, e.Day, e.By, e.Role, e.Comment, e.Claim = kind, now, day, req.By, req.Role, strings.TrimSpace(req.Comment), claim
	// The blank goes on the event and the decision: the decision clears the
	// master's, and the days before it still had no limit recorded.
	e.OldLimit, e.OldLimitBlank = c.CreditLimit, c.CreditLimitBlank
	var d *datasets.CreditDecision
	if kind == datasets.CreditApproved {
		class, _ := s.classNamed(p.RiskClass)
		e.Review = day.AddMonths(class.ReviewMonths)
		e.DecisionID = decisionID(claim, id)
		d = &datasets.CreditDecision{ID: e.DecisionID, CustomerID: c.ID, Date: day, OldLimit: c.CreditLimit, NewLimit: p.NewLimit,
			Reason: p.Reason, DecidedBy: req.By, OldLimitBlank: c.CreditLimitBlank}
	}
	if err := s.Store.DecideCredit(ctx, e, d); err != nil {
		if errors.Is(err, datasets.ErrConflict) {
			return cur, fmt.Errorf("%w: could not %s proposal %s: %w", ErrConflict, verb, id, err)
		}
		return cur, err
	}
	s.log().Info("credit proposal decided", "proposal", id, "status", kind, "by", req.By, "role", req.Role)
	return s.proposal(append(events, e), day)
}

// nextClaim is the claim of the customer's next decision: one more than
// its decisions so far (datasets.CreditStore.DecideCredit).
func (s *Service) nextClaim(ctx context.Context, customerID string) (int, error) {
	mine, err := s.Store.CreditEvents(ctx, customerID)
	if err != nil {
		return 0, err
	}
	claim := 1
	for i := range mine {
		if mine[i].Terminal() {
			claim++
		}
	}
	return claim, nil
}

// mayApprove checks the approver's role against the change of the
// unsecured limit, in the policy's currency.
func (s *Service) mayApprove(p datasets.CreditEvent, role string) error {
	r, ok := currencyRate(p.Currency, s.Policy.Currency, s.FX)
	if !ok {
		return fmt.Errorf("%w: no rate from %s to %s to weigh the change against the approval thresholds: give the rates (--fx FILE) with one for %s", ErrInput, p.Currency, s.Policy.Currency, p.Currency)
	}
	delta := unsecuredChange(p, r)
	need := s.Policy.RequiredRole(delta)
	rank := s.Policy.RoleRank(role)
	rr := s.Policy.Approval.Roles[rank]
	amt := func(m datasets.Money) string { return recommender.FormatAmount(m) + " " + s.Policy.Currency }
	switch {
	case delta <= 0 && rank >= s.Policy.RoleRank(s.Policy.Approval.DecreaseRole):
		return nil
	case delta <= 0:
		return fmt.Errorf("%w: a decrease needs %s or above; %s is below", ErrRole, s.Policy.Approval.DecreaseRole, role)
	case rr.Unlimited || delta <= rr.MaxIncrease:
		return nil
	case need == "":
		return fmt.Errorf("%w: an increase of the unsecured limit by %s is above what any role may approve", ErrRole, amt(delta))
	}
	return fmt.Errorf("%w: raising the unsecured limit by %s needs %s; %s may approve up to %s", ErrRole, amt(delta), need, role, amt(rr.MaxIncrease))
}

// unsecuredChange is the change of the unsecured part of the limit in the
// policy's currency (rate: policy currency per unit of the customer's).
func unsecuredChange(p datasets.CreditEvent, rate float64) datasets.Money {
	d := max(0, p.NewLimit-p.Secured) - max(0, p.OldLimit-p.Secured)
	return datasets.Money(math.Round(float64(d) * rate))
}

// Expire records every open proposal past its last day as expired (an
// audit event by by) and returns how many.
func (s *Service) Expire(ctx context.Context, by string) (int, error) {
	if strings.TrimSpace(by) == "" {
		return 0, fmt.Errorf("%w: who records the expiry (--by) is required", ErrInput)
	}
	all, err := s.Store.CreditEvents(ctx, "")
	if err != nil {
		return 0, err
	}
	day := s.today()
	n := 0
	for _, evs := range byProposal(all) {
		p, err := s.proposal(evs, day)
		if err != nil || p.Status != datasets.CreditExpired || len(evs) != 1 {
			continue
		}
		claim, err := s.nextClaim(ctx, p.CustomerID)
		if err != nil {
			return n, err
		}
		e := evs[0]
		e.Kind, e.At, e.Day, e.By, e.Role, e.Comment, e.Claim = datasets.CreditExpired, s.now(), day, strings.TrimSpace(by), "", "not decided by "+e.Expires.String(), claim
		if err := s.Store.DecideCredit(ctx, e, nil); err != nil && !errors.Is(err, datasets.ErrConflict) {
			return n, err
		} else if err == nil {
			n++
		}
	}
	return n, nil
}

// classNamed returns the policy's class of that name, or its last class.
func (s *Service) classNamed(name string) (RiskClass, bool) {
	for _, c := range s.Policy.RiskClasses {
		if c.Name == name {
			return c, true
		}
	}
	return s.Policy.RiskClasses[len(s.Policy.RiskClasses)-1], false
}

func (s *Service) roleNames() string {
	var names []string
	for _, r := range s.Policy.Approval.Roles {
		names = append(names, r.Name)
	}
	return strings.Join(names, ", ")
}

// notFound turns a store's ErrNotFound into the package's.
func (s *Service) notFound(err error, format string, args ...any) error {
	if errors.Is(err, datasets.ErrNotFound) {
		return fmt.Errorf("%w: no %s", ErrNotFound, fmt.Sprintf(format, args...))
	}
	return err
}

// decisionID names the credit decision approving proposal id with the
// customer's claim. The features take the limit in force from a
// customer's decisions in (date, id) order, and proposal ids end in
// random bits, so "CD-"+id put two approvals of one day in a random order
// (the limit in force could be the one replaced). Each decision of a
// customer takes the next claim: zero-padded and first, it orders a day's
// decisions as they were made. (An id of the earlier form, "CD-CP-…",
// sorts after these: only two decisions of one customer on the day of the
// upgrade can be out of order.)
func decisionID(claim int, proposalID string) string {
	return fmt.Sprintf("CD-%08d-%s", claim, proposalID)
}

// newProposalID returns a fresh proposal id: the day and 64 random bits.
func newProposalID(day datasets.Date) string {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("crypto/rand: " + err.Error()) // documented never to fail
	}
	return "CP-" + strings.ReplaceAll(day.String(), "-", "") + "-" + hex.EncodeToString(b[:])
}
