package reports

import (
	"context"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/model"
)

// The interfaces below are what the report needs from packages built
// beside it. Each is optional: a nil source leaves its place on the pages
// saying the part is not available yet. Every amount a source returns is in
// the report's currency (Input.Currency) and as of the date asked for.

// Slice names a part of the portfolio: Kind is "" for the whole portfolio,
// or "segment", "country", "currency" or "customer", and Key its value.
type Slice struct {
	Kind string
	Key  string
}

// Band is an uncertain amount: its mean and its 10th, 50th and 90th
// percentiles.
type Band struct {
	Mean, P10, P50, P90 datasets.Money
}

// ForecastWeek is one week of a cash-receipts forecast: the days Start..End,
// the receipts expected from invoices open at the as-of date (Open) and from
// invoices still to be issued (New), and what the open invoices' due dates
// alone would say (Due, the due-date schedule).
type ForecastWeek struct {
	Start, End datasets.Date
	Open, New  Band
	Due        datasets.Money
}

// Forecast is a cash-receipts forecast made at AsOf (model/forecast).
type Forecast struct {
	AsOf  datasets.Date
	Weeks []ForecastWeek
	// HasDue says whether the weeks carry the due-date schedule (the
	// portfolio's does; a slice's may not).
	HasDue bool
	// Total is the whole horizon, open and new together.
	Total Band
	// LeftOut says what the forecast left out for want of an exchange
	// rate ("": nothing).
	LeftOut string
}

// ForecastSnapshot is a forecast made at an earlier date lined up against
// what was received since: Actual[k] is what the invoices open at the
// snapshot's date brought in during Weeks[k] (the outcome of the Open
// part), for the weeks already over at the report's date.
type ForecastSnapshot struct {
	Forecast
	Actual []datasets.Money
}

// ForecastSource gives the cash forecast (issue 10's model/forecast).
type ForecastSource interface {
	// Forecast returns the forecast made at asOf for slice s; nil and no
	// error when it has none for that slice.
	Forecast(ctx context.Context, asOf datasets.Date, s Slice) (*Forecast, error)
	// Snapshots returns the portfolio forecasts saved before asOf, oldest
	// first, each with what was received since.
	Snapshots(ctx context.Context, asOf datasets.Date) ([]ForecastSnapshot, error)
}

// NextAction is the recommender's next dunning action for one customer.
type NextAction struct {
	CustomerID string
	Collector  string
	Date       datasets.Date
	Type       string // courtesy_reminder, reminder, call, final_notice, ...
	Channel    string
	InvoiceIDs []string
	// Amount is what the covered invoices still owe.
	Amount datasets.Money
	// Value is the expected value of the action (cash brought forward,
	// change in expected loss, less its cost) and Uplift its effect, when
	// Valued: a worklist that follows the scenario for want of randomised
	// history has neither.
	Valued bool
	Value  datasets.Money
	// Uplift is the estimated change in the probability of payment within
	// the horizon, with its interval, when HasUplift.
	HasUplift                  bool
	Uplift, UpliftLo, UpliftHi float64
	// Step is the scenario step the action follows or replaces; Blocked the
	// rule that kept an alternative off the list (dispute, promise, ...).
	Step, Blocked string
	// Holdout marks a randomised alternative kept to measure effects.
	Holdout bool
	Reasons []string
}

// Worklist is a day's worklist: the actions on it, and the customers with
// something overdue that a rule kept off it.
type Worklist struct {
	Actions []NextAction
	KeptOff []KeptOff
}

// KeptOff is a customer a rule kept off the day's list (a dispute, a
// promise, a default, a quiet day, the contact cap, capacity).
type KeptOff struct {
	CustomerID string
	Rule       string
	Detail     string
	// Action is the action the rule deferred, and Amount what its invoices
	// owe; for a customer kept from any contact, Action is empty and Amount
	// its overdue total.
	Action string
	Amount datasets.Money
}

// ActionEffect is the measured effect of one action type: the change in
// the probability of payment within the horizon, with its interval, from N
// actions; Randomised says whether it rests on randomised holdouts.
type ActionEffect struct {
	Type           string
	HorizonDays    int
	Uplift, Lo, Hi float64
	// Days is the change in expected days to pay, with its interval, when
	// HasDays (the recommender measures the change in P(paid) only).
	HasDays              bool
	Days, DaysLo, DaysHi float64
	N                    int
	Randomised           bool
}

// CollectionsSource gives the day's worklist and the measured action
// effects (issue 11's recommender).
type CollectionsSource interface {
	Worklist(ctx context.Context, asOf datasets.Date) (*Worklist, error)
	Effects(ctx context.Context, asOf datasets.Date) ([]ActionEffect, error)
}

// CreditFlag is an order-block flag: Kind (over_limit, overdue,
// review_due, expired, broken_promises, ...), the amount concerned, why,
// and the expected resolution.
type CreditFlag struct {
	Kind       string
	Amount     datasets.Money
	Reason     string
	Resolution string
}

// CreditAdvice is a customer's suggested credit limit and flags (issue 12).
type CreditAdvice struct {
	CustomerID string
	Current    datasets.Money
	// LimitNotRecorded says no limit is recorded (credit's limit_source
	// not_recorded): Current is then 0 and means nothing.
	LimitNotRecorded bool
	Exposure         datasets.Money
	Suggested        datasets.Money
	RiskClass        string
	Review           datasets.Date
	Reasons          []string
	Flags            []CreditFlag
	// NoRate is the currency of the customer's advice when the report's
	// rates have none for it: its amounts are then left out (zero), and
	// its page says so.
	NoRate string
}

// CreditSource gives credit-limit suggestions and flags (issue 12).
type CreditSource interface {
	// Credit returns the advice for the given customers, or for every
	// customer when none is given.
	Credit(ctx context.Context, asOf datasets.Date, customerIDs ...string) ([]CreditAdvice, error)
}

// Models is what the report reads from the model registry; model.Registry
// implements it.
type Models interface {
	// List returns every registered model and the promoted id.
	List() ([]model.Meta, string, error)
	// Load reads a model ("" for the promoted one).
	Load(id string) (*model.Bundle, model.Meta, error)
}

var _ Models = model.Registry{}
