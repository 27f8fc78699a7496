package reports

import (
	"testing"

	"github.com/dsopilot/dsopilot/features"
)

// The Receivables tile says what is owed net of unapplied cash and credit
// notes only when there are some.
func TestKPIReceivablesTileNetOfUnapplied(t *testing.T) {
	for _, tc := range []struct {
		name       string
		k          features.KPIs
		sub, title string
	}{
		{"none", features.KPIs{Receivables: 150000, NetReceivables: 150000}, "", ""},
		{"trial example", features.KPIs{Receivables: 150000, UnappliedCash: 10000, UnappliedCredits: 30000, OnAccount: 40000, NetReceivables: 110000},
			" · net 1,100 after what customers hold on account", "; not netted: on account 400 (unapplied cash 100, credit notes on no invoice 300, overpaid invoices 0)"},
		{"credit balance", features.KPIs{Receivables: 0, UnappliedCash: 250000, OnAccount: 250000, NetReceivables: -250000},
			" · net -2,500 after what customers hold on account", "; not netted: on account 2,500 (unapplied cash 2,500, credit notes on no invoice 0, overpaid invoices 0)"},
		{"overpaid only", features.KPIs{Receivables: 150000, Overpayments: 25000, OnAccount: 25000, NetReceivables: 125000},
			" · net 1,250 after what customers hold on account", "; not netted: on account 250 (unapplied cash 0, credit notes on no invoice 0, overpaid invoices 250)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := netSub(&tc.k); got != tc.sub {
				t.Errorf("sub %q, want %q", got, tc.sub)
			}
			if got := netTitle(&tc.k); got != tc.title {
				t.Errorf("title %q, want %q", got, tc.title)
			}
		})
	}
}
