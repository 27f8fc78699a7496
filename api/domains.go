package api

import (
	"context"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
)

// The interfaces below are what the API needs from the packages that
// recommend actions (issue 11), suggest credit limits and run the credit
// workflow (issue 12) and forecast cash (issue 10). Each is optional in
// Config: without it, its routes answer 503 "not available in this
// build". Their types are the API's JSON: an adapter beside the package
// (or in cmd/dsopilot) maps the package's own types onto them. Errors
// should wrap the API's sentinels: ErrNotFound (unknown customer or
// proposal), ErrConflict (a proposal already decided), ErrForbidden (an
// approval beyond the approver's threshold), ErrInvalid or a
// *ValidationError (bad values), ErrUnavailable (not ready).

// Amount is money on the wire: a JSON number with exactly two decimals
// (1234.50), read from a number or a quoted decimal, exact to the cent.
type Amount = features.KPIMoney

// Actor is who did something through the API: the key's name and role.
type Actor struct {
	Name string `json:"name"`
	Role string `json:"role"`
}

// NextAction is the recommender's next dunning action for one customer.
type NextAction struct {
	CustomerID string        `json:"customer_id"`
	Collector  string        `json:"collector"`
	Date       datasets.Date `json:"date"`
	// Type is courtesy_reminder, reminder, call, final_notice, credit_hold,
	// collection_agency; Channel email, phone, letter, portal.
	Type       string   `json:"type"`
	Channel    string   `json:"channel"`
	InvoiceIDs []string `json:"invoice_ids"`
	// Amount is what the covered invoices still owe, in Currency.
	Amount   Amount `json:"amount"`
	Currency string `json:"currency"`
	// Basis is effects when ExpectedValue and Uplift were estimated from
	// effects learnt on randomised history, scenario when the action is the
	// scenario's step for want of it: they are then null, as nothing is
	// known of the action's effect (0 would claim it has none).
	Basis string `json:"basis"`
	// ExpectedValue is the action's expected value (cash brought forward,
	// change in expected loss, less its cost).
	ExpectedValue *Amount `json:"expected_value" doc:"expected value in currency; null on a scenario basis, where no effect is known"`
	// Uplift is the estimated change in the probability of payment within
	// the horizon, with its interval.
	Uplift   *float64 `json:"uplift" doc:"change in P(paid within the horizon); null on a scenario basis"`
	UpliftLo *float64 `json:"uplift_lo" doc:"95% interval, low; null on a scenario basis"`
	UpliftHi *float64 `json:"uplift_hi" doc:"95% interval, high; null on a scenario basis"`
	// Policy is recommender or holdout; Propensity the probability the
	// policy chose this action with: record both with the action taken
	// (POST /v1/actions) so effects can be measured.
	Policy     string  `json:"policy"`
	Propensity float64 `json:"propensity"`
	// Step is the scenario step the action follows or replaces; Blocked
	// the rules that kept an alternative (or, on a deferred action, the
	// action itself) off the list, in one line; BlockedBy the same, rule by
	// rule.
	Step      string        `json:"step"`
	Blocked   string        `json:"blocked,omitempty"`
	BlockedBy []BlockedRule `json:"blocked_by,omitempty"`
	// DeferredBy, on a deferred action, is the rule that kept it off
	// today's list: quiet_day (Date is then the next working day),
	// capacity or budget.
	DeferredBy string   `json:"deferred_by,omitempty" doc:"on a deferred action: the rule that deferred it (quiet_day, capacity, budget)"`
	Reasons    []string `json:"reasons"`
}

// BlockedRule is one rule that kept something from being done: dispute,
// promise, hold, default, quiet_day, contact_cap, capacity, budget, ...
type BlockedRule struct {
	Rule      string `json:"rule"`
	InvoiceID string `json:"invoice_id,omitempty"`
	Action    string `json:"action,omitempty"`
	Detail    string `json:"detail"`
}

// ExcludedCustomer is a customer with open invoices that a rule kept from
// any contact on the day: an open promise, the contact cap, a hold, a
// default, or every open invoice disputed or promised.
type ExcludedCustomer struct {
	CustomerID string `json:"customer_id"`
	Collector  string `json:"collector"`
	Rule       string `json:"rule"`
	Detail     string `json:"detail"`
	// Overdue is the customer's overdue total, in Currency.
	Overdue   Amount        `json:"overdue"`
	Currency  string        `json:"currency"`
	BlockedBy []BlockedRule `json:"blocked_by,omitempty"`
}

// WorklistQuery selects the day's worklist and a page of its actions.
type WorklistQuery struct {
	Date      datasets.Date
	Collector string // "" for all
	Channel   string // "" for all
	// Offset and Limit select the page of actions: Limit of them from the
	// Offset-th (0-based) of those that match.
	Offset, Limit int
}

// Collections is the recommender (issue 11).
type Collections interface {
	// Worklist returns the day's worklist for the query: the page of
	// matching actions (highest expected value first) with Total, the
	// number that match, and every matching deferred action and excluded
	// customer. Date and the paging fields are the handler's. An unknown
	// channel or collector is a *ValidationError naming the query
	// parameter and the values it may take.
	Worklist(ctx context.Context, q WorklistQuery) (*Worklist, error)
	// NextAction returns the customer's next action as of date, or the
	// deferred one, or why it is excluded; both nil when nothing should be
	// done (ErrNotFound for an unknown customer).
	NextAction(ctx context.Context, customerID string, date datasets.Date) (*NextAction, *ExcludedCustomer, error)
}

// CreditFlag is an order-block flag: over_limit, no_limit (debt with no
// limit recorded: a blank credit_limit), overdue, review_due (a limit past
// its review date within the policy's grace), expired (past the grace),
// broken_promises, ...
type CreditFlag struct {
	Kind       string `json:"kind"`
	Amount     Amount `json:"amount"`
	Reason     string `json:"reason"`
	Resolution string `json:"resolution"`
	// BlocksOrders: the credit policy holds orders on this kind of flag
	// (its flags.block_orders_on); the others are for attention only.
	BlocksOrders bool `json:"blocks_orders" doc:"true when the credit policy holds the customer's orders on this flag (flags.block_orders_on); false: for attention only"`
}

// CreditAdvice is a customer's suggested credit limit and flags.
type CreditAdvice struct {
	CustomerID string        `json:"customer_id"`
	AsOf       datasets.Date `json:"as_of"`
	Currency   string        `json:"currency"`
	// Current is nil when no limit is recorded (LimitSource not_recorded):
	// 0.00 would read as no credit.
	Current *Amount `json:"current_limit" doc:"the limit in force at as_of, in currency; null when no limit is recorded (limit_source not_recorded: a blank credit_limit), which is not 0.00 (no credit), as the customer view's credit_limit"`
	// LimitSource says where Current comes from; LimitSet is the day of
	// the decision that set it (absent for the master's limit).
	LimitSource string        `json:"limit_source" doc:"where current_limit comes from: credit_decision (a credit decision of the ledger, e.g. credit_decisions.csv), approval (a proposal approved in the credit workflow), customer_master (the customer master's credit_limit with no credit decision on record: no review date, never expired), none (a customer derived from invoices, with no customer master and no decision: a limit of 0 no one set, no credit, no review date), not_recorded (the customer master's credit_limit is blank and no decision is on record: no limit recorded, which is not 0, no credit; current_limit is then null, utilisation is absent and debt is flagged no_limit, not over_limit)"`
	LimitSet    datasets.Date `json:"limit_set_date,omitempty" doc:"the day the credit decision or approval in force was taken; absent for customer_master"`
	Exposure    Amount        `json:"exposure" doc:"what the customer owes, net: gross_exposure less unapplied_cash and unapplied_credits, never below 0; the flags, utilisation and suggestion read it"`
	// GrossExposure, UnappliedCash and UnappliedCredits say how Exposure
	// nets (credit.ExposureBasis).
	GrossExposure    Amount `json:"gross_exposure" doc:"the customer's open invoices' outstanding at as_of"`
	UnappliedCash    Amount `json:"unapplied_cash" doc:"cash on account at as_of: payments naming no invoice of the customer, less what its settled invoices took from them (the KPIs' unapplied_cash for the customer)"`
	UnappliedCredits Amount `json:"unapplied_credits" doc:"credit notes dated by as_of naming no invoice of the ledger (the KPIs' unapplied_credits for the customer)"`
	Suggested        Amount `json:"suggested_limit"`
	// LimitReview is when Current is (or was) due for review: absent for
	// the master's limit, which no decision set and which never expires.
	LimitReview datasets.Date `json:"limit_review_date,omitempty" doc:"the day current_limit is (or was) due for review: the approval's review date, else the cadence of the risk class the customer had at the decision that set it (the last month-end on or before it), brought forward by a worse class first seen at a later month-end to its own cadence, but not before that month-end; past it, the limit is flagged review_due for the policy's flags.review_grace_days, then expired. Absent for customer_master"`
	// LimitReviewFrom, LimitReviewClass and LimitReviewClassAsOf say which
	// class, read on which day, set LimitReview.
	LimitReviewFrom      string        `json:"limit_review_from,omitempty" doc:"what set limit_review_date: decision_class (the class at the decision), worse_class (a worse class seen later brought it forward), approval (the date the workflow's approval recorded)"`
	LimitReviewClass     string        `json:"limit_review_class,omitempty" doc:"the risk class whose cadence set limit_review_date"`
	LimitReviewClassAsOf datasets.Date `json:"limit_review_class_as_of,omitempty" doc:"the month-end limit_review_class was read at: the last one on or before the decision (its month's end when nothing was on record by then), or the first at which a worse class held; absent for an approval's class"`
	CreditRiskClass      string        `json:"credit_risk_class" doc:"the credit policy's risk class (low, medium, high by its risk_classes) of pd, the probability of default within a year; not the collections worklist's risk_class, which classes the probability of paying late: a customer paying every invoice late but never defaulting can be low here and high there"`
	RiskClass            string        `json:"risk_class" doc:"deprecated: credit_risk_class under its older name, the same value (it is not the worklist's risk_class of lateness)"`
	PD                   float64       `json:"pd" doc:"the customer's probability of default within a year, which sets credit_risk_class"`
	PDSource             string        `json:"pd_source" doc:"where pd comes from: default (in default: 1), model (the default model learnt from the ledger gave the customer its own), payment_model (the payment model in service: its open invoices' amount-weighted probability of ending 90+ days overdue or written off), segment (the segment's rate: no model gave it one)"`
	PDCaution            string        `json:"pd_caution,omitempty" doc:"set on an increase whose pd is the segment's rate, not the customer's own: its risk class and risk cap are the segment's; check its standing before approving"`
	Review               datasets.Date `json:"review_date" doc:"the day suggested_limit, once approved, would be due for review: the cadence of the risk class at the last month-end on or before as_of (review_class), counted from as_of; the current limit's own is limit_review_date"`
	ReviewClass          string        `json:"review_class,omitempty" doc:"the class whose cadence set review_date, when it was read at a month-end before as_of (review_class_as_of); absent when it is risk_class"`
	ReviewClassAsOf      datasets.Date `json:"review_class_as_of,omitempty" doc:"the month-end review_class was read at"`
	// BelowExposure, set only when Suggested is below Exposure, says why
	// the cut is advised (such a limit holds the customer's orders).
	// OrdersHeld says a flag blocks orders (any flag's BlocksOrders).
	BelowExposure string       `json:"below_exposure,omitempty"`
	OrdersHeld    bool         `json:"orders_held" doc:"true when any flag blocks orders (blocks_orders): the customer's orders are held until each blocking flag is resolved"`
	Reasons       []string     `json:"reasons"`
	Flags         []CreditFlag `json:"flags"`
	Warnings      []string     `json:"warnings,omitempty" doc:"what makes the answer doubtful: a date more than 7 days after the ledger's latest record (the book is frozen on that day), an answer prepared on the snapshot before (previous_snapshot); absent when nothing does"`
	// PreviousSnapshot is set on advice prepared on the snapshot before
	// the one in service (creditprep.go's previous).
	PreviousSnapshot bool `json:"previous_snapshot,omitempty" doc:"true when the advice was prepared on the snapshot before the one in service: the new snapshot (an ingest, a reload) holds the same records of this customer and its own advice is still being prepared; absent otherwise. A customer whose records changed is a 503 with Retry-After until then"`
}

// ProposalInput is a request to change a customer's credit limit.
type ProposalInput struct {
	CustomerID string `json:"customer_id"`
	NewLimit   Amount `json:"new_limit"`
	Reason     string `json:"reason"`
}

// Proposal states.
const (
	ProposalPending  = "pending"
	ProposalApproved = "approved"
	ProposalRejected = "rejected"
	ProposalExpired  = "expired" // not decided within the policy's days
)

// proposalStates are the states a proposal can be in, as the route's
// filter and its documentation list them.
func proposalStates() []string {
	return []string{ProposalPending, ProposalApproved, ProposalRejected, ProposalExpired}
}

// Proposal is a credit-limit change and its decision.
type Proposal struct {
	ID            string        `json:"id"`
	CustomerID    string        `json:"customer_id"`
	Currency      string        `json:"currency"`
	CurrentLimit  *Amount       `json:"current_limit" doc:"the limit in force when the proposal was made, in currency; null when none was recorded (a blank credit_limit: limit_source not_recorded), which is not 0.00 (no credit)"`
	ProposedLimit Amount        `json:"proposed_limit"`
	Reason        string        `json:"reason"`
	Status        string        `json:"status"`
	ProposedBy    Actor         `json:"proposed_by"`
	ProposedAt    time.Time     `json:"proposed_at" doc:"the wall-clock time the proposal was made (the audit trail's); proposed_on is its business day"`
	ProposedOn    datasets.Date `json:"proposed_on" doc:"the business day of the proposal: the server's --as-of when it serves a fixed day, else proposed_at's UTC day; its review and expiry count from it"`
	DecidedBy     *Actor        `json:"decided_by"`
	DecidedAt     *time.Time    `json:"decided_at" doc:"the wall-clock time of the decision (the audit trail's); effective_date is its business day"`
	DecisionNote  string        `json:"decision_note"`
	Effective     datasets.Date `json:"effective_date" doc:"the business day of the decision, the credit decision's date: the server's --as-of when it serves a fixed day, else decided_at's UTC day"`
	// DecisionID is the credit decision an approval wrote, when the
	// workflow records it itself (then the API records nothing more).
	DecisionID string `json:"decision_id,omitempty"`
	// Review is when the approved limit is due for review; Expires the
	// last day the proposal may be decided (zero when not known).
	Review  datasets.Date `json:"review_date,omitempty"`
	Expires datasets.Date `json:"expires,omitempty"`
}

// Decision approves or rejects a proposal.
type Decision struct {
	Approve bool
	Note    string
}

// Credit is the credit-limit advice and workflow (issue 12). When Decide
// approves, the API records the new limit as a credit decision in the
// ledger (through the store or the spool), unless the part recorded it
// itself and says so with the proposal's DecisionID (CreditWorkflow does,
// with the claim that settles concurrent approvals).
type Credit interface {
	CreditLimit(ctx context.Context, customerID string, asOf datasets.Date) (*CreditAdvice, error)
	Propose(ctx context.Context, in ProposalInput, by Actor) (*Proposal, error)
	// Proposals lists proposals of a status ("" for all), newest first.
	Proposals(ctx context.Context, status string) ([]Proposal, error)
	// Decide approves or rejects proposal id: ErrConflict when it was
	// decided already, ErrForbidden when beyond by's thresholds.
	Decide(ctx context.Context, id string, d Decision, by Actor) (*Proposal, error)
}

// ForecastQuery selects a cash-receipts forecast.
type ForecastQuery struct {
	AsOf     datasets.Date
	Weeks    int    // 1..13 (default 13)
	By       string // "", segment, country, currency or customer
	Currency string // reporting currency ("" for amounts as recorded)
}

// Band is an uncertain amount: its mean and P10, P50, P90.
type Band struct {
	Mean Amount `json:"mean"`
	P10  Amount `json:"p10"`
	P50  Amount `json:"p50"`
	P90  Amount `json:"p90"`
}

// ForecastWeek is one week of receipts: from invoices open at the as-of
// date (Open), from invoices still to be issued (New), and what the due
// dates alone say (Due; the portfolio's group only, absent from a
// breakdown's groups, whose due schedule is not computed).
type ForecastWeek struct {
	Start datasets.Date `json:"start"`
	End   datasets.Date `json:"end"`
	Open  Band          `json:"open"`
	New   Band          `json:"new"`
	// Total is the week's open and new receipts together, banded from the
	// same simulated paths: percentiles do not add, so a client cannot
	// make it from Open and New (a trial's integrator could not).
	Total Band    `json:"total" doc:"open and new together, from the same simulated paths (the parts' percentiles do not add up to it)"`
	Due   *Amount `json:"due,omitempty"`
}

// ForecastGroup is the forecast of one group (Key "" for the portfolio).
type ForecastGroup struct {
	Key string `json:"key"`
	// Name is the customer's name from the customer master in a breakdown
	// by customer.
	Name  string         `json:"name,omitempty" doc:"the customer's name from the customer master, in a breakdown by customer; absent when the master has none"`
	Weeks []ForecastWeek `json:"weeks"`
	// Total is the horizon's receipts, TotalOpen and TotalNew its parts,
	// each banded over the simulated paths.
	Total     Band `json:"total"`
	TotalOpen Band `json:"total_open" doc:"the horizon's receipts from invoices open at as_of"`
	TotalNew  Band `json:"total_new" doc:"the horizon's receipts from invoices still to be issued"`
}

// ForecastBook is the open book the forecast starts from, in the
// forecast's currency.
type ForecastBook struct {
	Invoices    int    `json:"invoices"`
	Customers   int    `json:"customers"`
	Outstanding Amount `json:"outstanding"`
	Overdue     Amount `json:"overdue"`
	Disputed    Amount `json:"disputed"`
	// ExpectedCredit is what open disputes are expected to be credited,
	// Promised the amount under open promises to pay.
	ExpectedCredit Amount `json:"expected_credit"`
	Promised       Amount `json:"promised"`
	// Beyond is the expected part of the book not received within the
	// horizon: paid later, or never.
	Beyond Amount `json:"beyond_horizon" doc:"expected part of the open book not received within the horizon (paid later, or never)"`
	// Unscored and PastModel count open invoices forecast by their
	// timing record alone: the model gave none, or only "90+ days late".
	Unscored  int `json:"unscored"`
	PastModel int `json:"past_model"`
	// RunPayers counts the customers measured to pay invoices of one due
	// date together, RunInvoices their open invoices that move together.
	RunPayers   int `json:"run_payers" doc:"customers measured to settle invoices of one due date on one day (payment runs): their invoices move together in the bands"`
	RunInvoices int `json:"run_invoices" doc:"the run payers' open invoices that move together"`
}

// Forecast is a cash-receipts forecast made at AsOf.
type Forecast struct {
	AsOf     datasets.Date `json:"as_of"`
	Currency string        `json:"currency"`
	// Currencies lists the currencies whose amounts were added together
	// unconverted (a multi-currency ledger on a server started without
	// --currency and --fx); absent when the amounts are in one currency.
	Currencies []string `json:"currencies,omitempty" doc:"currencies added together unconverted: the sums mix them (start the server with --currency and --fx); absent when the amounts are in one currency"`
	By         string   `json:"by"`
	// Weeks is how many weeks are reported and the totals sum.
	Weeks int `json:"weeks"`
	// OpenBook is the portfolio's open book at AsOf.
	OpenBook ForecastBook    `json:"open_book"`
	Groups   []ForecastGroup `json:"groups"`
	Warnings []string        `json:"warnings,omitempty" doc:"what makes the answer doubtful: a date more than 7 days after the ledger's latest record (the book is frozen on that day), a period that begins long before its first invoice; absent when nothing does"`
	// Unconverted is what the forecast left out for want of a rate to
	// Currency (see ForecastUnconverted).
	Unconverted *ForecastUnconverted `json:"unconverted,omitempty" doc:"invoices and records left out of the forecast because the server's rates (--fx) have no rate for their currency, per currency; absent when nothing was left out"`
}

// Forecaster is the cash forecast (issue 10).
type Forecaster interface {
	Forecast(ctx context.Context, q ForecastQuery) (*Forecast, error)
}
