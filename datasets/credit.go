package datasets

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The credit-limit workflow's state: proposals to change a customer's
// limit and what became of them, kept as an append-only log of events.
// A proposal has at most two events: its proposal, and one terminal event
// (approved, rejected or expired). An approval also writes a
// CreditDecision and the customer's new limit. The rules (who may approve
// what) live in recommender/credit; the stores only guarantee that a
// proposal is decided once and that a customer's decisions happen one after
// the other (CreditStore.DecideCredit).

// Kinds of credit events.
const (
	CreditProposed = "proposed"
	CreditApproved = "approved"
	CreditRejected = "rejected"
	CreditExpired  = "expired"
)

// CreditEvent is one step of a credit-limit proposal. Amounts are in the
// customer's currency (Currency). Its JSON form (the tags) is how the
// embedded store keeps it; the names must not change.
type CreditEvent struct {
	ProposalID string `json:"proposal_id"`
	// Kind is CreditProposed, CreditApproved, CreditRejected or
	// CreditExpired.
	Kind string `json:"kind"`
	// At is when it happened, to the second (ClickHouse keeps seconds).
	At         time.Time `json:"at"`
	CustomerID string    `json:"customer_id"`
	Currency   string    `json:"currency,omitempty"`
	// OldLimit is the limit in force when the event happened; NewLimit the
	// proposed limit; Secured the part covered by credit insurance or
	// guarantees, to which no approval threshold applies.
	OldLimit Money `json:"old_limit"`
	NewLimit Money `json:"new_limit"`
	// OldLimitBlank says no limit was recorded when the event happened
	// (the customer master's credit_limit was blank): OldLimit is then 0
	// and means nothing. False in events stored before it was kept.
	OldLimitBlank bool   `json:"old_limit_blank,omitempty"`
	Secured       Money  `json:"secured,omitempty"`
	Reason        string `json:"reason,omitempty"`
	Source        string `json:"source,omitempty"` // "suggestion" or "manual" (proposals)
	RiskClass     string `json:"risk_class,omitempty"`
	// Review is the day the limit, once approved, is due for review (its
	// expiry); Expires the last day on which the proposal may be decided.
	Review  Date   `json:"review_date,omitempty"`
	Expires Date   `json:"expires,omitempty"`
	By      string `json:"by,omitempty"`
	Role    string `json:"role,omitempty"`
	Comment string `json:"comment,omitempty"`
	// DecisionID is the credit decision an approval wrote.
	DecisionID string `json:"decision_id,omitempty"`
	// Claim numbers a customer's terminal events 1, 2, ...: the n-th
	// proposal of a customer to be decided has Claim n. Zero for proposals.
	Claim int `json:"claim,omitempty"`
	// Day is the business day the event counts on: an approval's decision
	// date, the day a proposal's review and expiry count from. At stays
	// the wall clock of the action (the audit trail's time) when the
	// workflow runs on another day (a server's fixed --as-of). Zero: At's
	// UTC day (events stored before it was kept).
	Day Date `json:"day,omitempty"`
	// PolicyCurrency is the currency the credit policy's amounts (the
	// approval thresholds) were stated in when the proposal was made: its
	// decision is taken under the same. Empty in events stored before it
	// was kept.
	PolicyCurrency string `json:"policy_currency,omitempty"`
}

// BusinessDay is the day e counts on: Day, else At's UTC day.
func (e *CreditEvent) BusinessDay() Date {
	if e.Day != 0 {
		return e.Day
	}
	return DateOf(e.At.UTC())
}

// ID is the event's natural id: the proposal's id, then 1 for the proposal
// and 2 for its terminal event.
func (e *CreditEvent) ID() string {
	if e.Kind == CreditProposed {
		return e.ProposalID + "/1"
	}
	return e.ProposalID + "/2"
}

// Terminal reports whether e ends its proposal.
func (e *CreditEvent) Terminal() bool {
	return e.Kind == CreditApproved || e.Kind == CreditRejected || e.Kind == CreditExpired
}

// Check reports what makes e unstorable, naming the field.
func (e *CreditEvent) Check() error {
	var bad []string
	add := func(field, reason string) { bad = append(bad, field+": "+reason) }
	if strings.TrimSpace(e.ProposalID) == "" || strings.ContainsAny(e.ProposalID, "/\x00") {
		add("proposal_id", fmt.Sprintf("%q: want a non-empty id without / or NUL", e.ProposalID))
	}
	if strings.TrimSpace(e.CustomerID) == "" {
		add("customer_id", "empty id")
	}
	switch e.Kind {
	case CreditProposed:
		if e.Claim != 0 {
			add("claim", "a proposal takes no claim")
		}
	case CreditApproved, CreditRejected, CreditExpired:
		if e.Claim < 1 {
			add("claim", "a decision takes claim 1 or more, got "+strconv.Itoa(e.Claim))
		}
	default:
		add("kind", fmt.Sprintf("%q: want proposed, approved, rejected or expired", e.Kind))
	}
	if e.At.IsZero() {
		add("at", "no time")
	}
	for _, m := range []struct {
		name string
		v    Money
	}{{"old_limit", e.OldLimit}, {"new_limit", e.NewLimit}, {"secured", e.Secured}} {
		if m.v < 0 || m.v > MaxAmount {
			add(m.name, m.v.String()+" outside 0.."+MaxAmount.String())
		}
	}
	for _, d := range []struct {
		name string
		v    Date
	}{{"review_date", e.Review}, {"expires", e.Expires}} {
		if d.v < 0 || d.v > MaxDate {
			add(d.name, "outside the storable dates")
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("%w: credit event %s: %s", ErrInvalid, e.ID(), strings.Join(bad, "; "))
	}
	return nil
}

// CreditStore keeps the credit workflow. Both stores implement it and pass
// the same conformance suite (storetest.RunCredit).
type CreditStore interface {
	// CreditEvents returns the stored events, of one customer when
	// customerID is not empty, ordered by proposal id and then proposal
	// before decision.
	CreditEvents(ctx context.Context, customerID string) ([]CreditEvent, error)
	// AddCreditProposal stores a new proposal (an event of kind
	// CreditProposed). A proposal id already stored is an error wrapping
	// ErrConflict.
	AddCreditProposal(ctx context.Context, e CreditEvent) error
	// DecideCredit stores e, the terminal event of proposal e.ProposalID,
	// and, with a decision (an approval), the decision and its new limit as
	// the stored customer's credit_limit, provided
	// that the proposal has no terminal event yet and the customer has
	// exactly e.Claim−1 of them, i.e. nothing was decided for the customer
	// since the caller read its events. Otherwise it changes nothing and
	// returns an error wrapping ErrConflict; of concurrent calls with the
	// same customer and claim, exactly one succeeds. An unknown proposal is
	// an error wrapping ErrNotFound.
	DecideCredit(ctx context.Context, e CreditEvent, decision *CreditDecision) error
	// Customer returns one stored customer, or an error wrapping
	// ErrNotFound.
	Customer(ctx context.Context, id string) (Customer, error)
}

// CreditLimitAt is customer c's credit limit in force at the end of day t,
// and whether it is blank (no limit recorded), from its credit decisions
// ds (any order; other customers' are ignored): the newest decision by t
// (by date, then id); before the first decision, that decision's old limit
// and OldLimitBlank (an approval clears the master's blank, so only the
// decision keeps it); with no decisions, the customer master's. The
// features' and the credit workflow's reading of the limit of a past day.
func CreditLimitAt(c *Customer, ds []CreditDecision, t Date) (limit Money, blank bool) {
	var last, next *CreditDecision
	for i := range ds {
		d := &ds[i]
		if d.CustomerID != c.ID {
			continue
		}
		if d.Date <= t {
			if last == nil || d.Date > last.Date || (d.Date == last.Date && d.ID > last.ID) {
				last = d
			}
		} else if next == nil || d.Date < next.Date || (d.Date == next.Date && d.ID < next.ID) {
			next = d
		}
	}
	switch {
	case last != nil:
		return last.NewLimit, false
	case next != nil:
		return next.OldLimit, next.OldLimitBlank
	}
	return c.CreditLimit, c.CreditLimitBlank
}
