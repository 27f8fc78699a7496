package recommender

import (
	"context"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
)

// Which accounts the randomised holdout may touch: none that is 90+ days
// past due, over its limit, on credit hold or at the final notice or
// beyond.
func TestHoldoutEligibility(t *testing.T) {
	s := DefaultScenarios()
	s.Types["legal_letter"] = &ActionType{Name: "legal_letter", Channel: "letter", After: []string{ActionCollectionAgency}, MinDPD: 30, MaxDPD: 730}
	s.Types["second_reminder"] = &ActionType{Name: "second_reminder", Channel: "email", After: []string{ActionReminder}, MinDPD: 1, MaxDPD: 365}
	item := func(dpd int, value datasets.Money, attempts map[string]int) *Item {
		return &Item{Invoice: datasets.Invoice{ID: "I1"}, DPD: dpd, Value: value, Outstanding: value, Attempts: attempts}
	}
	cases := []struct {
		name         string
		open         []*Item
		limit        datasets.Money
		holdDay      datasets.Date
		action, step string
		want         string // substring of the reason; "" when eligible
	}{
		{"prompt payer, reminder", []*Item{item(8, 50_000, nil)}, 0, 0, ActionReminder, ActionReminder, ""},
		{"89 days past due", []*Item{item(89, 50_000, map[string]int{ActionReminder: 1})}, 0, 0, ActionCall, "", ""},
		{"90 days past due", []*Item{item(10, 50_000, nil), item(90, 1_000, nil)}, 0, 0, ActionReminder, "", "90 days past due"},
		{"over the limit", []*Item{item(10, 60_000, nil), item(-3, 50_000, nil)}, 100_000, 0, ActionReminder, "", "over its credit limit"},
		{"at the limit", []*Item{item(10, 100_000, nil)}, 100_000, 0, ActionReminder, "", ""},
		{"no limit recorded", []*Item{item(10, 100_000, nil)}, 0, 0, ActionReminder, "", ""},
		{"customer on credit hold", []*Item{item(20, 1_000, nil)}, 0, d0.AddDays(-30), ActionCall, "", "credit hold"},
		{"credit hold long ago", []*Item{item(20, 1_000, nil)}, 0, d0.AddDays(-200), ActionCall, "", ""},
		{"invoice on credit hold", []*Item{item(20, 1_000, map[string]int{ActionCreditHold: 1})}, 0, 0, ActionCall, "", "credit hold"},
		{"had a final notice", []*Item{item(50, 1_000, map[string]int{ActionFinalNotice: 1})}, 0, 0, ActionCall, "", "final_notice"},
		{"recommended a final notice", []*Item{item(46, 1_000, map[string]int{ActionReminder: 1})}, 0, 0, ActionFinalNotice, "", "final-notice stage"},
		{"scenario due an agency", []*Item{item(60, 1_000, nil)}, 0, 0, ActionCall, ActionCollectionAgency, "collection_agency"},
		{"custom step beyond the agency", []*Item{item(60, 1_000, nil)}, 0, 0, "legal_letter", "", "legal_letter"},
		{"custom step before the final notice", []*Item{item(20, 1_000, nil)}, 0, 0, "second_reminder", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			acc := &Account{Customer: datasets.Customer{ID: "C1"}, Open: c.open, CreditLimit: c.limit, CreditHoldDay: c.holdDay}
			got := s.holdoutExempt(&assessment{acc: acc}, d0, c.action, c.step)
			switch {
			case c.want == "" && got != "":
				t.Errorf("exempt (%s), want eligible", got)
			case c.want != "" && !strings.Contains(got, c.want):
				t.Errorf("reason %q, want one naming %q", got, c.want)
			}
		})
	}
}

// The holdout leaves a severe account's recommendation alone, with
// propensity 1 and the reason, and randomises the others with their
// propensities: 1 − hold for the recommendation kept, hold/k for the
// alternative drawn (here only wait, k = 1).
func TestRandomiseSkipsSevereAccounts(t *testing.T) {
	s := DefaultScenarios()
	const hold = 0.3
	for _, c := range []struct {
		name   string
		dpd    int
		severe bool
	}{{"30 days past due", 30, false}, {"120 days past due", 120, true}} {
		t.Run(c.name, func(t *testing.T) {
			it := &Item{Invoice: datasets.Invoice{ID: "I1"}, DPD: c.dpd, Value: 10_000, Outstanding: 10_000}
			acc := &Account{Customer: datasets.Customer{ID: "C1"}, Open: []*Item{it}}
			p := &planned{a: &assessment{acc: acc, eligible: acc.Open}, cands: []candidate{{typ: s.Types[ActionReminder], items: acc.Open, value: 10_000}}}
			r := &Recommender{S: s, rng: rand.New(rand.NewPCG(7, 7))}
			b := &Book{Day: d0, Currency: "EUR"}
			seen := map[string]int{}
			for range 400 {
				rec := Recommendation{CustomerID: "C1", Action: ActionReminder, Invoices: []string{"I1"}, Policy: PolicyRecommender, Propensity: 1}
				r.randomise(&rec, b, p, 0, s.newCapacity(nil), hold)
				seen[rec.Action]++
				want := map[string]float64{ActionReminder: 1 - hold, ActionWait: hold}[rec.Action]
				if c.severe {
					want = 1
					if rec.HoldoutExempt == "" || !strings.Contains(strings.Join(rec.Reasons, " "), "not eligible for the randomised holdout") {
						t.Fatalf("severe account without its reason: %+v", rec)
					}
				}
				if rec.Propensity != want {
					t.Fatalf("%s with propensity %v, want %v", rec.Action, rec.Propensity, want)
				}
			}
			if c.severe && seen[ActionWait] > 0 {
				t.Errorf("a severe account was made to wait %d times of 400", seen[ActionWait])
			}
			if !c.severe && (seen[ActionWait] < 80 || seen[ActionWait] > 160) {
				t.Errorf("waited %d times of 400 at a holdout of %.0f%%", seen[ActionWait], 100*hold)
			}
		})
	}
}

// The credit limit that decides "over its limit" is the one in force on
// the day, not the master's latest.
func TestBookCreditLimitIsPointInTime(t *testing.T) {
	l := ledgerOf([]int{10}, []datasets.Money{80_000})
	l.Customers[0].CreditLimit = 50_000 // cut after d0
	l.CreditDecisions = []datasets.CreditDecision{
		{ID: "D2", CustomerID: "C1", Date: day(5), OldLimit: 100_000, NewLimit: 50_000},
		{ID: "D1", CustomerID: "C1", Date: day(-20), OldLimit: 20_000, NewLimit: 100_000},
	}
	for _, c := range []struct {
		on   datasets.Date
		want datasets.Money
	}{{day(-30), 20_000}, {d0, 100_000}, {day(10), 50_000}} {
		b, err := NewBook(l, c.on, "EUR", datasets.FX{})
		if err != nil {
			t.Fatal(err)
		}
		if acc := b.Account("C1"); acc == nil || acc.CreditLimit != c.want {
			t.Errorf("on %s: limit %v, want %v", c.on, acc.CreditLimit, c.want)
		}
	}
}

// Off-policy evaluation on a log whose randomisation spares severe
// accounts: those decisions (propensity 1) are left out of the estimate
// and of the replayed truth alike, said so in the note, and the
// doubly-robust estimate on the rest stays near the truth replayed in the
// simulator with the same draws.
func TestOPEOnRestrictedRandomisation(t *testing.T) {
	if testing.Short() {
		t.Skip("simulates ten months of dunning")
	}
	ctx := context.Background()
	const seed = 43
	env := logged(t, 300, 10, seed, 0.1)
	l := env.Ledger()
	due := map[string]datasets.Date{}
	for _, inv := range l.Invoices {
		due[inv.ID] = inv.DueDate
	}
	severe, randomised := 0, 0
	for _, a := range l.Actions {
		if a.InvoiceID == "" || a.Propensity == 0 {
			continue
		}
		late := int(a.Date - due[a.InvoiceID])
		if a.Policy == PolicyHoldout {
			randomised++
			if late >= severeDPD {
				t.Fatalf("action %s randomised on an invoice %d days past due", a.ID, late)
			}
		}
		if a.Propensity == 1 {
			severe++
		}
	}
	if severe == 0 || randomised == 0 {
		t.Fatalf("%d decisions with propensity 1, %d randomised: the log does not exercise the restriction", severe, randomised)
	}
	s := DefaultScenarios()
	cutoff := env.End() - 1
	eff, err := LearnEffects(ctx, l, cutoff, s, SimFX(), EffectsOptions{Seed: seed, Bags: 3})
	if err != nil {
		t.Fatal(err)
	}
	res, err := evaluateOPE(ctx, eff, env, s, EffectsOptions{Seed: seed, Bags: 3})
	if err != nil {
		t.Fatal(err)
	}
	if res.NotRandomised == 0 || !strings.Contains(res.Note, "positivity") {
		t.Errorf("%d decisions left out, note %q: the severe ones should be, and said so", res.NotRandomised, res.Note)
	}
	if res.Decisions == 0 || res.Simulated == 0 {
		t.Fatalf("OPE %+v", res)
	}
	if e := math.Abs(res.Estimate.Mean/res.Simulated - 1); e > 0.10 {
		t.Errorf("DR estimate %.0f is %.1f%% off the replayed %.0f", res.Estimate.Mean, 100*e, res.Simulated)
	}
	t.Logf("DR %.0f (%.0f..%.0f), replayed %.0f, IPS %.0f, DM %.0f on %d decisions; %d left out (%d the policy would change)",
		res.Estimate.Mean, res.Estimate.Low, res.Estimate.High, res.Simulated, res.IPS, res.DirectMethod, res.Decisions, res.NotRandomised, res.NotRandomisedDiffer)
}

// The summary on stderr counts the actions the holdout may not touch.
func TestSummaryCountsHoldoutExempt(t *testing.T) {
	for _, c := range []struct {
		exempt []string
		want   string
	}{
		{[]string{"", ""}, ""},
		{[]string{"over its credit limit", "", "an invoice is 95 days past due (90 or more)"}, "; 2 of the actions on severe accounts, never randomised"},
	} {
		w := &Worklist{}
		for _, e := range c.exempt {
			w.Recommendations = append(w.Recommendations, Recommendation{HoldoutExempt: e})
		}
		got := w.Summary()
		if c.want == "" && strings.Contains(got, "severe") || !strings.Contains(got, c.want) {
			t.Errorf("%d exempt of %d: summary %q", len(c.exempt), len(w.Recommendations), got)
		}
	}
}
