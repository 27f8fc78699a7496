package credit

import (
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/dsopilot/dsopilot/datasets"
)

// The need is the run-rate over terms plus days late, with the cover and
// the headroom: recomputed here from the ledger's own parameters.
func TestSuggestNeedFromBehaviour(t *testing.T) {
	pol := DefaultPolicy()
	// The need alone: the bound of the year's highest exposure (1.5 ×
	// about 100,000 here) would hold it (TestARaiseIsBoundedByThePeakExposure).
	pol.Need.PeakMultiple = 0
	l := baseLedger()
	s := suggestOne(t, l, pol, map[string]Risk{"C1": {PD: 0.01, Source: "model"}}, "C1")

	perMonth := daysPerMonth / baseEvery
	// The run-rate is the year's, or the last three months' when higher.
	recent := 0.0
	for _, v := range l.Invoices {
		if v.CustomerID == "C1" && float64(asOf-v.IssueDate) < 3*daysPerMonth {
			recent += v.Amount.Float() / 3
		}
	}
	runRate := max(perMonth*baseAmount.Float(), recent)
	days := float64(baseTerms + baseLate)
	mean := runRate * days / daysPerMonth
	sd := mean * math.Sqrt(1/(perMonth*days/daysPerMonth)) // equal amounts: cv² = 0
	need := (mean + distuv.UnitNormal.Quantile(pol.Need.Cover)*sd) * pol.Need.Headroom
	if got := s.Need.Money().Float(); math.Abs(got/need-1) > 0.03 {
		t.Fatalf("need %.0f, want about %.0f (run-rate %.0f over %.0f days)", got, need, runRate, days)
	}
	if s.Bound != BoundNeed || s.Suggested.Money() != s.Need.Money()/500000*500000 {
		t.Fatalf("bound %s, suggested %s, need %s: want the need rounded down to 5,000 (the grid above 100,000)", s.Bound, s.Suggested.Money(), s.Need.Money())
	}
	if s.Change.Money() != s.Suggested.Money()-baseLimit || s.Current.Money() != baseLimit {
		t.Fatalf("current %s change %s", s.Current.Money(), s.Change.Money())
	}
	if want := exposureOf(l, "C1", asOf); s.Exposure.Money() != want || s.Utilisation == nil || math.Abs(*s.Utilisation-want.Float()/baseLimit.Float()) > 1e-3 {
		t.Fatalf("exposure %s utilisation %v, want %s", s.Exposure.Money(), s.Utilisation, want)
	}
	if s.RiskClass != "low" || s.Review != asOf.AddMonths(12) {
		t.Fatalf("class %s review %s, want low and a year on", s.RiskClass, s.Review)
	}
	if s.RequiredRole != "finance_director" { // more than 50,000 EUR more
		t.Fatalf("required role %q for a change of %s", s.RequiredRole, s.Change.Money())
	}
	all := strings.Join(s.Reasons, " | ")
	for _, want := range []string{"invoices 4", "EUR a month", "on NET60 terms and pays 10 days late on average", "it needs about", "the need binds", "review by 30 June 2025"} {
		if !strings.Contains(all, want) {
			t.Errorf("reasons lack %q:\n%s", want, all)
		}
	}
}

func TestSuggestRulesAndCaps(t *testing.T) {
	pol := DefaultPolicy()
	low := map[string]Risk{"C1": {PD: 0.01, Source: "model"}}
	cases := []struct {
		name   string
		edit   func(l *datasets.Ledger)
		risk   map[string]Risk
		bound  string
		limit  datasets.Money // -1: not checked
		class  string
		reason string
	}{
		{name: "risk appetite", risk: map[string]Risk{"C1": {PD: 0.15, Source: "model"}}, bound: BoundRiskAppetite,
			// The appetite: 0.75% of the 530,000 EUR invoiced in the year
			// (53 invoices), 3,975 EUR, more than the segment's 3,000;
			// 3,975 / (15% × 60%) = 44,167, rounded down to 44,000.
			limit: 44_000_00, class: "high", reason: "the expected loss at the current limit, 4,500 EUR, exceeds the mid market appetite of 3,975 EUR (0.75% of its 530,000 EUR a year), which allows 44,167 EUR"},
		{name: "financials", risk: low, bound: BoundFinancials, limit: 80_000_00, class: "low",
			edit: func(l *datasets.Ledger) {
				l.Financials = append(l.Financials, datasets.Financial{ID: "F1", CustomerID: "C1", Date: asOf.AddDays(-40),
					TangibleNetWorth: 800_000_00, Turnover: 2_000_000_00, Rating: "B", Source: "Creditsafe"})
			},
			reason: "the Creditsafe report of 21 May 2024, rating B allows 80,000 EUR: the lower of 10% of the tangible net worth (800,000 EUR) and 5% of the turnover (2,000,000 EUR)"},
		{name: "financials issued after asOf are not known", risk: low, bound: BoundPeak, limit: -1, class: "low",
			edit: func(l *datasets.Ledger) {
				l.Financials = append(l.Financials, datasets.Financial{ID: "F1", CustomerID: "C1", Date: asOf.AddDays(1),
					TangibleNetWorth: 1_00, Turnover: 1_00, Rating: "B", Source: "Creditsafe"})
			}},
		// In default, whatever the risk source says: PD 1, the worst class.
		{name: "default", risk: low, bound: BoundDefault, limit: 0, class: "high", reason: "risk class high (in default: probability of default 100%)",
			edit: func(l *datasets.Ledger) {
				l.CreditNotes = append(l.CreditNotes, datasets.CreditNote{ID: "W1", CustomerID: "C1", InvoiceID: "I0001",
					Date: asOf.AddDays(-3), Amount: 1_00, Kind: datasets.KindWriteOff})
			}},
		{name: "default without a risk source (the segment's rate)", bound: BoundDefault, limit: 0, class: "high", reason: "in default since",
			edit: func(l *datasets.Ledger) {
				l.CreditNotes = append(l.CreditNotes, datasets.CreditNote{ID: "W1", CustomerID: "C1", InvoiceID: "I0001",
					Date: asOf.AddDays(-3), Amount: 1_00, Kind: datasets.KindWriteOff})
			}},
		{name: "write-off after asOf is not known", risk: low, bound: BoundPeak, limit: -1, class: "low",
			edit: func(l *datasets.Ledger) {
				l.CreditNotes = append(l.CreditNotes, datasets.CreditNote{ID: "W1", CustomerID: "C1", InvoiceID: "I0001",
					Date: asOf.AddDays(1), Amount: 1_00, Kind: datasets.KindWriteOff})
			}},
		{name: "credit hold", risk: low, bound: BoundCreditHold, limit: 0, class: "low", reason: "on credit hold since 20 June 2024",
			edit: func(l *datasets.Ledger) {
				l.Actions = append(l.Actions, datasets.Action{ID: "A1", CustomerID: "C1", Date: asOf.AddDays(-10), Type: "credit_hold", Channel: "letter"})
			}},
		{name: "90+ debt freezes increases", risk: low, bound: BoundOverdue90, limit: baseLimit, class: "low",
			reason: "10,000 EUR is more than 90 days overdue: the limit is not raised",
			edit: func(l *datasets.Ledger) {
				for i := range l.Invoices {
					if l.Invoices[i].ID == "I0030" { // due about 170 days before asOf
						l.Invoices[i].SettledDate = 0
					}
				}
				l.Payments = dropPayment(l.Payments, "PI0030")
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := baseLedger()
			if tc.edit != nil {
				tc.edit(l)
			}
			s := suggestOne(t, l, pol, tc.risk, "C1")
			if s.Bound != tc.bound || tc.limit >= 0 && s.Suggested.Money() != tc.limit || s.RiskClass != tc.class {
				t.Fatalf("bound %s limit %s class %s, want %s %s %s\n%s", s.Bound, s.Suggested.Money(), s.RiskClass, tc.bound,
					tc.limit, tc.class, strings.Join(s.Reasons, "\n"))
			}
			all := strings.Join(s.Reasons, " | ")
			if !strings.Contains(all, tc.reason) {
				t.Fatalf("reasons lack %q:\n%s", tc.reason, all)
			}
			if tc.bound == BoundDefault && (s.PD != 1 || s.PDSource != "default" || s.RiskCap != nil || strings.Contains(all, "segment's rate")) {
				t.Fatalf("in default: pd %v from %q, risk cap %v, want 1 from default and none\n%s", s.PD, s.PDSource, s.RiskCap, all)
			}
		})
	}
}

func dropPayment(ps []datasets.Payment, id string) []datasets.Payment {
	out := ps[:0]
	for _, p := range ps {
		if p.ID != id {
			out = append(out, p)
		}
	}
	return out
}

func TestSuggestColdStartAndReviewCadence(t *testing.T) {
	pol := DefaultPolicy()
	s := suggestOne(t, baseLedger(), pol, map[string]Risk{"C2": {PD: 0.05, Source: "model"}}, "C2")
	// Small business: starting limit 5,000 EUR, within the appetite (500 /
	// (5% × 60%) = 16,666).
	if s.Bound != BoundColdStart || s.Suggested.Money() != 5_000_00 {
		t.Fatalf("cold start: bound %s limit %s\n%s", s.Bound, s.Suggested.Money(), strings.Join(s.Reasons, "\n"))
	}
	if s.RiskClass != "medium" || s.Review != asOf.AddMonths(6) {
		t.Fatalf("class %s review %s, want medium and six months on", s.RiskClass, s.Review)
	}
	if !strings.Contains(strings.Join(s.Reasons, " "), "the small business starting limit of 5,000 EUR") {
		t.Fatalf("reasons: %v", s.Reasons)
	}
}

// Secured parts are outside the risk cap and the approval thresholds.
func TestSuggestSecuredPart(t *testing.T) {
	pol := DefaultPolicy()
	pol.Secured = map[string]Security{"C1": {Amount: 100_000_00, Kind: "credit_insurance"}}
	s := suggestOne(t, baseLedger(), pol, map[string]Risk{"C1": {PD: 0.15, Source: "model"}}, "C1")
	// Cap: 100,000 secured + 44,167 unsecured, rounded down to 5,000; the
	// need (about 280,000) is above it.
	if s.Bound != BoundRiskAppetite || s.Suggested.Money() != 140_000_00 || s.Secured.Money() != 100_000_00 {
		t.Fatalf("bound %s limit %s secured %s", s.Bound, s.Suggested.Money(), s.Secured.Money())
	}
	// The unsecured part goes from 0 to 40,000: a credit manager's.
	if s.RequiredRole != "credit_manager" {
		t.Fatalf("required role %q", s.RequiredRole)
	}
}

func TestSuggestUnknownCustomer(t *testing.T) {
	if _, err := Suggest(baseLedger(), asOf, DefaultPolicy(), Options{Customers: []string{"NOPE"}}); err == nil || !strings.Contains(err.Error(), `customer "NOPE"`) {
		t.Fatalf("err %v", err)
	}
}

// A cleared-items export: customers derived from the invoices have no
// terms, so the need reads them from the invoices and says so.
func TestSuggestTermsFromInvoices(t *testing.T) {
	l := baseLedger()
	l.Customers[0].Terms = datasets.Terms{}
	s := suggestOne(t, l, DefaultPolicy(), map[string]Risk{"C1": {PD: 0.01, Source: "model"}}, "C1")
	if all := strings.Join(s.Reasons, " | "); !strings.Contains(all, "on 60-day terms (from its invoices) and pays 10 days late") {
		t.Fatalf("reasons: %s", all)
	}
	want := suggestOne(t, baseLedger(), DefaultPolicy(), map[string]Risk{"C1": {PD: 0.01, Source: "model"}}, "C1")
	if s.Need != want.Need {
		t.Fatalf("need %s without terms, %s with NET60", s.Need.Money(), want.Need.Money())
	}
}
