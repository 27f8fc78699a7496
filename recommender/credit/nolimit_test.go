package credit

import (
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
)

// A customer with no limit on record (derived from invoices, no master,
// no decision; or a master's blank credit_limit) is flagged no_limit, its
// orders not held, and gets a suggested first limit; a master's limit of
// 0.00 is no credit, over which everything is. An expired review is
// listed, not held, by the shipped policy; a policy that lists expired
// in block_orders_on holds it. Before, a trial's ledger without limits had
// 120 of 120 customers' orders held, and with limits decided 14 months
// earlier 141 of 141.
func TestNoLimitAndExpiredReviewsHoldNoOrdersByDefault(t *testing.T) {
	holdExpired := DefaultPolicy()
	holdExpired.Flags.BlockOrdersOn = []string{FlagOverLimit, FlagExpired}
	derived := func(l *datasets.Ledger) {
		l.Customers[0] = datasets.Customer{ID: "C1", Segment: "mid_market", Currency: "EUR"}
		l.CreditDecisions = nil
	}
	cases := []struct {
		name   string
		change func(*datasets.Ledger)
		pol    *Policy
		kind   string
		source string
		held   bool
	}{
		{"derived from invoices", derived, DefaultPolicy(), FlagNoLimit, LimitNone, false},
		{"blank in the master", func(l *datasets.Ledger) {
			l.Customers[0].CreditLimit, l.Customers[0].CreditLimitBlank = 0, true
			l.CreditDecisions = nil
		}, DefaultPolicy(), FlagNoLimit, LimitNotRecorded, false},
		{"0.00 in the master", func(l *datasets.Ledger) {
			l.Customers[0].CreditLimit = 0
			l.CreditDecisions = nil
		}, DefaultPolicy(), FlagOverLimit, LimitFromMaster, true},
		{"review expired", func(l *datasets.Ledger) {
			l.CreditDecisions[0].Date, l.CreditDecisions[0].NewLimit = asOf.AddDays(-420), 900_000_00
		}, DefaultPolicy(), FlagExpired, LimitFromDecision, false},
		{"review expired, the policy holds it", func(l *datasets.Ledger) {
			l.CreditDecisions[0].Date, l.CreditDecisions[0].NewLimit = asOf.AddDays(-420), 900_000_00
		}, holdExpired, FlagExpired, LimitFromDecision, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := baseLedger()
			c.change(l)
			o := Options{Risk: map[string]Risk{"C1": {PD: 0.005, Source: "model"}}, Customers: []string{"C1"}}
			fl, _, err := Flags(l, asOf, c.pol, o)
			if err != nil {
				t.Fatal(err)
			}
			if len(fl) != 1 || len(fl[0].Flags) != 1 || fl[0].Flags[0].Kind != c.kind || fl[0].OrdersHeld != c.held || fl[0].LimitSource != c.source {
				t.Fatalf("flags %+v, want one %s flag (limit source %s), orders held %v", fl, c.kind, c.source, c.held)
			}
			s := suggestOne(t, l, c.pol, o.Risk, "C1")
			if c.kind == FlagNoLimit && (s.Suggested.Money() <= 0 || s.LimitSource != c.source) {
				t.Fatalf("suggested %v (limit source %s), want a first limit: %v", s.Suggested, s.LimitSource, s.Reasons)
			}
		})
	}
}
