package credit

import (
	"fmt"

	"github.com/dsopilot/dsopilot/datasets"
)

// Where the limit in force comes from (Suggestion.LimitSource).
const (
	// LimitFromMaster is the customer master's credit_limit, with no
	// credit decision on record by the as-of day: it has no review date
	// and never expires.
	LimitFromMaster = "customer_master"
	// LimitNone is no limit on record at all: a customer the importer
	// derived from invoices (no customer master) with no decision, whose
	// 0 no one set. Like a blank master's (LimitNotRecorded) it is no
	// limit, not a limit of 0 (no credit): its debt is flagged no_limit,
	// not over_limit (a trial's ledger without limits had all 120
	// customers' orders held on its first day). It has no review date.
	LimitNone = "none"
	// LimitNotRecorded is a customer master whose credit_limit was left
	// blank, with no decision since: no limit is recorded, which is not a
	// limit of 0 (no credit). It is not over a limit it does not have; its
	// debt is flagged no_limit instead, and it has no review date.
	LimitNotRecorded = "not_recorded"
	// LimitFromDecision is a credit decision of the ledger
	// (credit_decisions.csv, or one recorded by another system).
	LimitFromDecision = "credit_decision"
	// LimitFromApproval is a decision the credit workflow recorded when it
	// approved a proposal (Service.Approve).
	LimitFromApproval = "approval"
)

// approvals are the workflow's approvals by customer, for telling the
// decisions they recorded from those imported with the ledger.
type approvals map[string][]approved

// approved is what an approval recorded: a decision on the day it was made,
// to that limit.
type approved struct {
	day   datasets.Date
	limit datasets.Money
}

// approvalsOf indexes the approvals among the workflow's events.
func approvalsOf(events []datasets.CreditEvent) approvals {
	var out approvals
	for i := range events {
		e := &events[i]
		if e.Kind != datasets.CreditApproved {
			continue
		}
		if out == nil {
			out = approvals{}
		}
		// Approve dates the decision on the approval's business day.
		out[e.CustomerID] = append(out[e.CustomerID], approved{day: e.BusinessDay(), limit: e.NewLimit})
	}
	return out
}

// limitSource says where a's limit in force comes from, and the day it was
// set (zero for the master's). The decision in force is the customer's
// last dated a.limitSet; Approve dates its decision on the day of the
// approval event and gives it the proposal's limit, so an approval of that
// day to that limit recorded it. The decision's id would tell it exactly,
// but the accounts keep only the day (an imported decision of the same day
// to the same limit is then taken for the approval: the limit and the day
// shown are the same either way).
func (ap approvals) limitSource(a *account) (string, datasets.Date) {
	if a.limitSet == 0 {
		if a.derivedNoLimit() {
			return LimitNone, 0
		}
		if a.notRecorded() {
			return LimitNotRecorded, 0
		}
		return LimitFromMaster, 0
	}
	for _, x := range ap[a.c.ID] {
		if x.day == a.limitSet && x.limit == a.limit {
			return LimitFromApproval, a.limitSet
		}
	}
	return LimitFromDecision, a.limitSet
}

// notRecorded says no limit is recorded for a: the master's credit_limit
// was blank and no decision has set one by the day (a.blank: as of a day
// before an approval that set one, its decision's OldLimitBlank).
func (a *account) notRecorded() bool {
	return (a.blank || a.derivedNoLimit()) && a.limitSet == 0 && a.limit == 0
}

// derivedNoLimit says a is a customer derived from invoices (no master)
// with no limit set by the day: no decision, and a 0 nobody wrote.
func (a *account) derivedNoLimit() bool {
	return !a.c.FromMaster() && !a.blank && a.limitSet == 0 && a.limit == 0
}

// limitSourceReason says in words where the limit in force comes from.
func limitSourceReason(source string, set datasets.Date, limit string) string {
	switch source {
	case LimitFromApproval:
		return fmt.Sprintf("the limit of %s was approved in the credit workflow on %s", limit, longDate(set))
	case LimitFromDecision:
		return fmt.Sprintf("the limit of %s was set by a credit decision on %s", limit, longDate(set))
	}
	if source == LimitNotRecorded {
		return "no credit limit is recorded: the customer master's credit_limit is blank (not 0.00, which would be no credit) and no credit decision is on record, so it has no review date (credit propose sets one)"
	}
	if source == LimitNone {
		return "no credit limit is on record: the customer was derived from its invoices, with no customer master and no credit decision, so no limit is set (not a limit of 0, which would be no credit) and it has no review date (credit propose sets one)"
	}
	return fmt.Sprintf("the limit of %s is the customer master's, with no credit decision on record: it has no review date", limit)
}
