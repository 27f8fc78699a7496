package credit

import (
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
)

// onAccountLedger is customer H1, limit 8,000 EUR (the master's), owing one
// open invoice of 10,000 EUR, with the given payments and credit notes.
func onAccountLedger(pays []datasets.Payment, notes []datasets.CreditNote, more []datasets.Invoice) *datasets.Ledger {
	l := &datasets.Ledger{Customers: []datasets.Customer{{ID: "H1", Name: "Hand GmbH", Segment: "mid_market", Currency: "EUR",
		CreditLimit: 8_000_00, Terms: datasets.Terms{Days: 30}, Since: asOf.AddDays(-400)}}}
	l.Invoices = append([]datasets.Invoice{{ID: "H-OPEN", CustomerID: "H1", IssueDate: asOf.AddDays(-10), DueDate: asOf.AddDays(20),
		Amount: 10_000_00, Currency: "EUR", Segment: "mid_market"}}, more...)
	l.Payments, l.CreditNotes = pays, notes
	return l
}

// TestExposureIsNetOfWhatIsOnAccount: a customer owing 10,000 on its
// invoices with 3,000 of cash (or credit notes) on account is 7,000
// exposed, under its 8,000 limit: its orders are not held. Cash paid after
// the as-of day, or taken since by an invoice it settled, does not count.
func TestExposureIsNetOfWhatIsOnAccount(t *testing.T) {
	onAccount := func(id string, d datasets.Date, m datasets.Money) datasets.Payment {
		return datasets.Payment{ID: id, CustomerID: "H1", Date: d, Amount: m, Currency: "EUR"}
	}
	cases := []struct {
		name                string
		pays                []datasets.Payment
		notes               []datasets.CreditNote
		more                []datasets.Invoice
		net, cash, credits  datasets.Money
		over                datasets.Money // 0: no over_limit flag
		reasonHas, reasonNo string
	}{
		{name: "nothing on account", net: 10_000_00, over: 2_000_00, reasonNo: "net"},
		{name: "3,000 cash on account", pays: []datasets.Payment{onAccount("PA", asOf.AddDays(-3), 3_000_00)},
			net: 7_000_00, cash: 3_000_00},
		{name: "3,000 credit note on no invoice", notes: []datasets.CreditNote{{ID: "CN1", CustomerID: "H1", Date: asOf.AddDays(-3),
			Amount: 3_000_00, Kind: datasets.KindCreditNote}},
			net: 7_000_00, credits: 3_000_00},
		{name: "1,500 cash: still over, by less", pays: []datasets.Payment{onAccount("PA", asOf.AddDays(-3), 1_500_00)},
			net: 8_500_00, cash: 1_500_00, over: 500_00,
			reasonHas: "owes 8,500 EUR net (10,000 EUR open on its invoices less 1,500 EUR of unapplied cash) against a limit of 8,000 EUR: 500 EUR over"},
		// A refund naming no invoice (of an overpayment an invoice took)
		// is unapplied cash below 0: it nets nothing, and must not raise
		// the exposure above what the invoices owe.
		{name: "a refund on account nets nothing", pays: []datasets.Payment{onAccount("RF", asOf.AddDays(-3), -2_000_00)},
			net: 10_000_00, cash: -2_000_00, over: 2_000_00, reasonNo: "net"},
		{name: "cash paid the day after", pays: []datasets.Payment{onAccount("PA", asOf.AddDays(1), 3_000_00)},
			net: 10_000_00, over: 2_000_00},
		// An invoice settled with no payment of its own took the cash on
		// account (datasets.ImpliedWriteOffs, the KPIs' unapplied cash).
		{name: "cash taken by a settled invoice", pays: []datasets.Payment{onAccount("PA", asOf.AddDays(-40), 3_000_00)},
			more: []datasets.Invoice{{ID: "H-OLD", CustomerID: "H1", IssueDate: asOf.AddDays(-60), DueDate: asOf.AddDays(-30),
				SettledDate: asOf.AddDays(-35), Amount: 3_000_00, Currency: "EUR", Segment: "mid_market"}},
			net: 10_000_00, over: 2_000_00},
	}
	pol := DefaultPolicy()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := onAccountLedger(c.pays, c.notes, c.more)
			fs, problems, err := Flags(l, asOf, pol, Options{Risk: map[string]Risk{"H1": {PD: 0.01, Source: "model"}}})
			if err != nil || len(problems) > 0 {
				t.Fatalf("flags: %v %v", err, problems)
			}
			var over *Flag
			for i := range fs {
				for k := range fs[i].Flags {
					if fs[i].Flags[k].Kind == FlagOverLimit {
						over = &fs[i].Flags[k]
					}
				}
				want := ExposureBasis{GrossExposure: 10_000_00, UnappliedCash: kpi(c.cash), UnappliedCredits: kpi(c.credits)}
				if fs[i].Exposure.Money() != c.net || fs[i].ExposureBasis != want {
					t.Errorf("flags: exposure %s %+v, want %s %+v", fs[i].Exposure, fs[i].ExposureBasis, c.net, want)
				}
			}
			switch {
			case c.over == 0 && over != nil:
				t.Fatalf("flagged over the limit by %s: %s", over.Amount, over.Reason)
			case c.over != 0 && over == nil:
				t.Fatalf("not flagged over the limit, want %s over", c.over)
			case over != nil && (over.Amount.Money() != c.over || !over.BlocksOrders):
				t.Fatalf("over the limit by %s (blocks %v), want %s, blocking", over.Amount, over.BlocksOrders, c.over)
			case over != nil && c.reasonHas != "" && !strings.Contains(over.Reason, c.reasonHas):
				t.Fatalf("reason %q, want %q", over.Reason, c.reasonHas)
			case over != nil && c.reasonNo != "" && strings.Contains(over.Reason, c.reasonNo):
				t.Fatalf("reason %q, want no %q", over.Reason, c.reasonNo)
			}
			s := suggestOne(t, l, pol, map[string]Risk{"H1": {PD: 0.01, Source: "model"}}, "H1")
			if s.Exposure.Money() != c.net || s.GrossExposure.Money() != 10_000_00 || s.UnappliedCash.Money() != c.cash ||
				s.UnappliedCredits.Money() != c.credits {
				t.Fatalf("suggestion: exposure %s, basis %+v, want %s net", s.Exposure, s.ExposureBasis, c.net)
			}
			if u := c.net.Float() / 8_000; s.Utilisation == nil || *s.Utilisation != round4(u) {
				t.Fatalf("utilisation %v, want %.4f", s.Utilisation, u)
			}
		})
	}
}

func kpi(m datasets.Money) features.KPIMoney { return features.KPIMoney(m) }
