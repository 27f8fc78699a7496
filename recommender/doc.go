// Package recommender answers a credit manager's morning question, "whom do
// I contact today, how, and about which invoices?", with expected value, and
// measures that it beats the fixed dunning scenario.
//
// Scenarios (LoadScenarios, DefaultScenarios) are the configured dunning
// process and the global rules every recommendation obeys: one contact per
// customer per N days, quiet days, exclusions (open disputes, promises to
// pay, manual holds), daily capacity per channel and per collector, and a
// minimum amount for escalation. Book is the receivables ledger as known on
// the morning of a day. Effects learns, from the ledger's randomised
// actions (Action.Policy and Action.Propensity), the uplift of each action
// type on the probability of payment within H days and on the expected days
// to pay, per customer and invoice (an S-learner over gradient-boosted
// trees with inverse-propensity weights, bootstrap bags for the intervals,
// doubly-robust average effects).
// Recommender turns a Book into a Worklist: the next action per customer
// with its expected value (cash brought forward × cost of capital + change
// in expected loss − action cost), allocated under the capacities, with
// reasons in sentences. Without randomised history it says so and follows
// the scenario.
//
// The same policies run in the simulator's closed loop (synth.Env):
// ScenarioPolicy (with randomised variation, to generate a learnable
// history), the Recommender's policy and an oracle that knows the true
// effects. Evaluate runs them on the same customers and random draws and
// reports DSO, ADD, cash collected, contacts, cost, bad debt and value; OPE
// is the doubly-robust off-policy estimate of a policy's value on a logged
// history.
package recommender

import "errors"

// Sentinel errors of the package.
var (
	// ErrScenario marks an invalid scenario file.
	ErrScenario = errors.New("invalid scenario file")
	// ErrNoRandomisation says a ledger has no randomised actions to learn
	// effects from.
	ErrNoRandomisation = errors.New("no randomised actions in the ledger")
	// ErrInput marks a bad argument (a date, a capacity, a policy name).
	ErrInput = errors.New("invalid input")
)
