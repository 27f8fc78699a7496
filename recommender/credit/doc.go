// Package credit suggests credit limits, flags the customers whose orders
// should be held, and runs the approval workflow of limit changes.
//
// Suggest sizes each customer's limit from its behaviour (the exposure its
// business needs: the invoicing run-rate with its season, over the terms
// plus the days it pays late, with room for the exposure's swings and for
// growth; an invoice above 5 × the median of the customer's own invoices
// counts at that bound, so that one exceptional order does not size the
// limit on its own, and the reason says so; a raise held to
// Need.PeakMultiple × the highest exposure of the history window, grown
// with the run-rate when it grew: peak.go), caps it by the risk appetite (probability of 90+ or write-off ×
// loss given default × the unsecured limit within the segment's maximum
// expected loss) and, when a credit report is on file, by the report's rule
// (the lower of shares of tangible net worth and turnover, by rating
// class), rounds it down to a grid, and applies the hard rules: no credit
// in default or on credit hold, no increase with debt 90+ days overdue
// (debt in dispute aside: a dispute is a query, not a default), no
// increase while payments slip, and then a cut to what the customer owes
// (slip.go), the segment's starting limit for a new customer. Every suggestion says which
// rule bound it, in sentences with the customer's numbers, where the limit
// in force comes from (a credit decision of the ledger, one an approval of
// the workflow recorded, or the customer master's limit with no decision on
// record: LimitSource), and carries a risk class and its own review date:
// the cadence of the class at the last month-end on or before the as-of
// day, the class a proposal made the next day is made with. An increase
// whose PD is its segment's rate, not one learnt for the customer, carries
// a caution saying so (PDCaution). The limit in force is due for review by the cadence of the class
// the customer had at its decision (PDs learnt as of the month-end before
// it, Options.RiskAt; with a payment model, ModelRisk, a month-end before
// the model's training cut-off gets the default model learnt as of that
// month-end, not the later model's scores), brought forward by a worse class from the month-end
// it was first seen at, never postponed by a better one
// (CustomerFlags.ReviewBasis says which). The exposure is what the
// customer owes net of what it holds on account: its open invoices less
// its unapplied cash and credit notes, as the KPIs count them for the
// customer (ExposureBasis shows the three). Flags lists the customers
// over their limit, overdue beyond N days, with a limit past its review
// date (due for review within the policy's grace, expired past it) or with
// broken promises, each with the amount, the reason and the expected
// resolution, and where the limit comes from with its own review date.
// A Policy (LoadPolicy, DefaultPolicy) holds every number, including which
// flags hold orders; DefaultPolicyIn states the shipped figures in a
// reporting currency.
//
// Service is the workflow over a store (datasets.CreditStore): proposals,
// by hand or from the suggestion, are approved or rejected by someone other
// than the proposer whose role covers the change of the unsecured limit, or
// expire; an approval records a credit decision and the customer's new
// limit with its review date, the cadence of the class the proposal was
// made with: the customer's at the decision, as of the last month-end whose
// day is whole by the proposal's day, as for a decision of the ledger
// (not the class of the day its suggestion is asked about); the limit in
// force proposed again is a renewal, which sets a new review date (but for
// a limit of 0, which has none: 0 proposed over 0 is refused as nothing to
// propose). Every step is an event in the store's
// append-only log, and a proposal is decided once even when approvals race
// (the stores' DecideCredit). With Service.Parts set, the ledger is read
// in parts of whole customers (a ledger larger than memory) and the
// suggestions, flags and advice are those of the whole ledger, value for
// value: what is the portfolio's (the default model's training snapshots,
// the segments' seasons and fallback rates) is gathered from every part.
//
// SimPolicy is the same policy in the simulator's closed loop (a
// synth.CreditPolicy), which recommender.Evaluate compares with the
// simulator's own credit team (EvalPolicies).
package credit

import "errors"

// Sentinel errors of the package. Each refusal of the workflow names its
// rule and wraps one of them.
var (
	// ErrPolicy marks an invalid policy file.
	ErrPolicy = errors.New("invalid credit policy")
	// ErrNotFound: an unknown customer or proposal.
	ErrNotFound = errors.New("not found")
	// ErrFourEyes: the proposer cannot approve their own proposal.
	ErrFourEyes = errors.New("four eyes")
	// ErrRole: the approver's role is below what the change needs.
	ErrRole = errors.New("role below the approval threshold")
	// ErrConflict: the proposal is already decided, or the customer's
	// limit changed since it was read (a concurrent decision).
	ErrConflict = errors.New("conflict")
	// ErrExpired: the proposal was not decided in time.
	ErrExpired = errors.New("proposal expired")
	// ErrInvalidAmount: a limit that is negative, not a number or too large.
	ErrInvalidAmount = errors.New("invalid amount")
	// ErrInput: another bad argument (a missing user or reason, an unknown
	// role or status).
	ErrInput = errors.New("invalid input")
)
