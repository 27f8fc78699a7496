package credit

import (
	_ "embed"
	"fmt"
	"math"
	"slices"

	"github.com/dsopilot/dsopilot/datasets"
)

//go:embed default_policy.yaml
var defaultPolicyYAML []byte

// DefaultPolicyFile is the name errors give the embedded default policy.
const DefaultPolicyFile = "default_policy.yaml"

// Policy is a credit policy file: how limits are sized, capped, rounded,
// classed, flagged and approved. Amounts are in Currency.
type Policy struct {
	Source           string
	Currency         string
	LossGivenDefault float64
	HistoryMonths    int
	Need             NeedRule
	Slipping         SlipRule
	Grid             []GridStep
	MinChange        float64
	// Segments by name; "*" applies to any other segment.
	Segments    map[string]Segment
	RiskClasses []RiskClass
	Financials  FinancialRule
	Flags       FlagRule
	// Secured parts by customer id.
	Secured  map[string]Security
	Approval Approval
}

// NeedRule sizes the exposure a relationship needs.
type NeedRule struct {
	Headroom    float64 // multiplier for growth, ≥ 1
	Cover       float64 // share of days whose exposure the need holds, in [0.5, 0.999]
	MinInvoices int     // fewer invoices in the history: cold start
	// LateToleranceDays is the most days late on average the need counts
	// beyond the terms: a customer paying later does not earn a larger
	// limit for it.
	LateToleranceDays float64
	// PeakMultiple is the most a raise may reach, as a multiple of the
	// customer's highest exposure in the history window, unless its
	// run-rate grew (peak.go); 0: no bound.
	PeakMultiple float64
}

// SlipRule says when a customer's payments are slipping (slip.go): the
// lateness of the last 3 months, open overdue invoices counted at their
// days overdue so far, at least Days and Share × the history's mean above
// that mean and beyond Need.LateToleranceDays, on at least MinInvoices
// invoices. A slipping customer's limit is not raised, and with
// CutToExposure it is cut to what it owes, rounded up to the grid. Days 0:
// no such rule.
type SlipRule struct {
	Days          float64
	Share         float64
	MinInvoices   int
	CutToExposure bool
}

// GridStep rounds amounts below Below (0: any) down to multiples of Step,
// in the customer's currency.
type GridStep struct {
	Below datasets.Money
	Step  datasets.Money
}

// Segment is a segment's appetite. The largest expected loss accepted on
// one customer is MaxExpectedLoss, or MaxExpectedLossShare of what the
// customer was invoiced over the history when that is more: a customer who
// buys more earns the margin that carries more risk.
type Segment struct {
	StartingLimit        datasets.Money
	MaxExpectedLoss      datasets.Money
	MaxExpectedLossShare float64
}

// RiskClass is a band of risk: customers whose probability of 90+ or
// write-off is at most MaxPD (or whose points are at least MinPoints) and
// did not fit a better class. The last class has neither and takes the rest.
type RiskClass struct {
	Name         string
	MaxPD        float64
	MinPoints    float64
	ByPoints     bool
	ReviewMonths int
}

// FinancialRule limits credit from a provider's report.
type FinancialRule struct {
	MaxAgeMonths int
	// Ratings by the provider's class as written; "*" for any other.
	Ratings map[string]RatingShares
}

// RatingShares are the shares of tangible net worth and of turnover a
// rating class allows; the limit is the lower of the two.
type RatingShares struct{ NetWorth, Turnover float64 }

// Order-block flag kinds.
const (
	FlagOverLimit = "over_limit"
	FlagOverdue   = "overdue"
	// FlagReviewDue is a limit past its review date by no more than the
	// grace (FlagRule.ReviewGraceDays); FlagExpired one past the grace.
	FlagReviewDue      = "review_due"
	FlagExpired        = "expired"
	FlagBrokenPromises = "broken_promises"
	// FlagNoLimit is debt of a customer with no limit recorded (its
	// master's credit_limit blank, no decision since): listed, not over a
	// limit of 0; the shipped policy holds no orders on it.
	FlagNoLimit = "no_limit"
)

// flagKinds are the flag kinds in the order a customer's flags list them.
func flagKinds() []string {
	return []string{FlagOverLimit, FlagNoLimit, FlagOverdue, FlagReviewDue, FlagExpired, FlagBrokenPromises}
}

// FlagRule says when a customer's orders are flagged.
type FlagRule struct {
	OverdueDays       int
	BrokenPromises    int
	BrokenPromiseDays int
	// ReviewGraceDays is how long after its review date a limit is listed
	// as due for review (FlagReviewDue) before it is expired (FlagExpired):
	// a review a few days late is a task for the credit team, not a reason
	// to hold a good customer's orders.
	ReviewGraceDays int
	// BlockOrdersOn lists the flag kinds that block orders.
	BlockOrdersOn []string
}

// Security is the secured part of a customer's limit.
type Security struct {
	Amount datasets.Money
	Kind   string        // credit_insurance, guarantee, ...
	Until  datasets.Date // zero: open-ended
}

// Approval says who may approve what.
type Approval struct {
	ProposalDays int
	// Roles from the least to the most authority.
	Roles        []Role
	DecreaseRole string
}

// Role is an approver's role and the largest increase of the unsecured
// limit it may approve (Unlimited: any).
type Role struct {
	Name        string
	MaxIncrease datasets.Money
	Unlimited   bool
}

// DefaultPolicy returns the shipped policy (default_policy.yaml).
func DefaultPolicy() *Policy {
	p, err := ParsePolicy(DefaultPolicyFile, defaultPolicyYAML)
	if err != nil {
		panic("the embedded default credit policy does not parse: " + err.Error())
	}
	return p
}

// DefaultPolicyIn is the shipped policy with its amounts stated in
// currency cur (the reporting currency; "" keeps the file's EUR): the same
// round figures (starting limits, appetites' floors, approval thresholds,
// the grid), not converted from euros. The figures are a starting point
// sized for a business in EUR, USD, GBP, CHF or CAD alike, where a
// conversion would give odd amounts (a 25,000 EUR threshold as 27,312.50
// USD) for no better reason; in a currency of another magnitude (JPY,
// SEK) they are too small, and a policy file states one's own. Source
// names the currency ("default_policy.yaml (amounts in USD)").
func DefaultPolicyIn(cur string) *Policy {
	p := DefaultPolicy()
	if cur != "" && cur != p.Currency {
		p.Currency = cur
		p.Source = fmt.Sprintf("%s (amounts in %s)", p.Source, cur)
	}
	return p
}

// DefaultPolicyYAML returns the text of the shipped policy, to start one's
// own from.
func DefaultPolicyYAML() []byte { return slices.Clone(defaultPolicyYAML) }

// segment returns the appetite of a segment.
func (p *Policy) segment(name string) (Segment, string) {
	if s, ok := p.Segments[name]; ok {
		return s, name
	}
	return p.Segments["*"], "*"
}

// shares returns the financial rule's shares of a rating.
func (p *Policy) shares(rating string) RatingShares {
	if r, ok := p.Financials.Ratings[rating]; ok {
		return r
	}
	return p.Financials.Ratings["*"]
}

// class returns the risk class of a probability of 90+ or write-off.
func (p *Policy) class(pd float64) RiskClass {
	points := Points(pd)
	for _, c := range p.RiskClasses[:len(p.RiskClasses)-1] {
		if c.ByPoints && points >= c.MinPoints || !c.ByPoints && pd <= c.MaxPD {
			return c
		}
	}
	return p.RiskClasses[len(p.RiskClasses)-1]
}

// Points is a probability of 90+ or write-off on the scorecard's scale: 600
// points at odds of 50 good to 1 bad, 20 points more for each doubling of
// the odds (model/scorecard's scaling).
func Points(pd float64) float64 {
	pd = min(max(pd, 1e-6), 1-1e-6)
	factor := 20 / math.Ln2
	return 600 + factor*(math.Log((1-pd)/pd)-math.Log(50))
}

// round rounds an amount down to its grid step.
func (p *Policy) round(m datasets.Money) datasets.Money {
	if m <= 0 {
		return 0
	}
	for _, g := range p.Grid {
		if g.Below == 0 || m < g.Below {
			return m / g.Step * g.Step
		}
	}
	return m
}

// roundUp rounds m up to the grid (the step that applies to m).
func (p *Policy) roundUp(m datasets.Money) datasets.Money {
	if d := p.round(m); d < m {
		for _, g := range p.Grid {
			if g.Below == 0 || m < g.Below {
				return d + g.Step
			}
		}
	}
	return p.round(m)
}

// RoleRank is the position of role among the approval roles, -1 when it is
// not one.
func (p *Policy) RoleRank(role string) int {
	return slices.IndexFunc(p.Approval.Roles, func(r Role) bool { return r.Name == role })
}

// RequiredRole is the least role that may approve a change of the unsecured
// limit by delta (in the policy's currency): a decrease needs DecreaseRole,
// an increase the first role whose MaxIncrease covers it; "" when none may.
func (p *Policy) RequiredRole(delta datasets.Money) string {
	if delta <= 0 {
		return p.Approval.DecreaseRole
	}
	for _, r := range p.Approval.Roles {
		if r.Unlimited || delta <= r.MaxIncrease {
			return r.Name
		}
	}
	return ""
}

// blocks reports whether a flag kind blocks orders.
func (p *Policy) blocks(kind string) bool { return slices.Contains(p.Flags.BlockOrdersOn, kind) }
