package recommender

import (
	"fmt"
	"slices"

	"github.com/dsopilot/dsopilot/datasets"
)

// Accounts a credit manager would not let a randomised holdout touch.
// Replacing a call or a final notice with "wait" on an account 90 days
// past due, or over its limit, or already on credit hold or past the
// final notice, costs real money and credibility for a measurement; such
// accounts get the recommended action with propensity 1 and say why.
//
// Off-policy evaluation must then respect positivity: on these accounts
// only the recommended action is ever logged, so no estimator that
// reweights logged actions (IPS, the correction of DR) can say what
// another action would have done there (see opeScores and doublyRobust).
const (
	// severeDPD is the days past due from which an account is severe.
	severeDPD = 90
	// creditHoldDays is how long a customer-level credit hold (one not
	// naming an invoice) counts: the ledger records no release.
	creditHoldDays = 90
)

// holdoutExempt says why the account may not be randomised today, "" when
// it may. action is the action recommended, step the scenario's step due
// today ("" when none): either at the final notice or beyond makes the
// account severe.
func (s *Scenarios) holdoutExempt(a *assessment, day datasets.Date, action, step string) string {
	acc := a.acc
	worst := 0
	for _, it := range acc.Open {
		worst = max(worst, it.DPD)
	}
	if worst >= severeDPD {
		return fmt.Sprintf("an invoice is %d days past due (%d or more)", worst, severeDPD)
	}
	if lim := acc.CreditLimit; lim > 0 {
		if exp := acc.Exposure(); exp > lim {
			return fmt.Sprintf("over its credit limit (owes %s against a limit of %s %s)", exp.Grouped(), lim.Grouped(), s.Currency)
		}
	}
	if acc.CreditHoldDay != 0 && acc.CreditHoldDay > day.AddDays(-creditHoldDays) {
		return fmt.Sprintf("on credit hold since %s", acc.CreditHoldDay)
	}
	for _, it := range acc.Open {
		if it.Attempts[ActionCreditHold] > 0 {
			return fmt.Sprintf("invoice %s is on credit hold", it.Invoice.ID)
		}
	}
	for _, it := range acc.Open {
		for t, n := range it.Attempts {
			if n > 0 && s.finalOrLater(t) {
				return fmt.Sprintf("invoice %s has had a %s (final-notice stage or later)", it.Invoice.ID, t)
			}
		}
	}
	for _, t := range []string{action, step} {
		if t != "" && s.finalOrLater(t) {
			return fmt.Sprintf("the account is due a %s (final-notice stage or later)", t)
		}
	}
	return ""
}

// finalOrLater reports whether an action type is the final notice or a
// step beyond it: the agency, a credit hold, or a custom type that may
// only follow a final notice, directly or through other steps.
func (s *Scenarios) finalOrLater(name string) bool {
	seen := map[string]bool{}
	var walk func(n string) bool
	walk = func(n string) bool {
		switch n {
		case ActionFinalNotice, ActionCollectionAgency, ActionCreditHold:
			return true
		}
		if seen[n] {
			return false // a cycle: validation refuses these files
		}
		seen[n] = true
		t := s.Types[n]
		return t != nil && slices.ContainsFunc(t.After, walk)
	}
	return walk(name)
}
