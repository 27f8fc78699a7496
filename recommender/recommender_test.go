package recommender

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/synth"
)

var (
	d0  = datasets.NewDate(2025, 3, 3) // a Monday
	day = func(n int) datasets.Date { return d0.AddDays(n) }
)

// ledgerOf is a small hand-made ledger: customer C1 (DE) with invoices of
// the given days past due on d0 and amounts in EUR.
func ledgerOf(dpd []int, amounts []datasets.Money) *datasets.Ledger {
	l := &datasets.Ledger{Customers: []datasets.Customer{{ID: "C1", Name: "Nordtech GmbH", Country: "DE", Currency: "EUR", Segment: "mid_market"}}}
	for i, p := range dpd {
		due := d0.AddDays(-p)
		l.Invoices = append(l.Invoices, datasets.Invoice{ID: "I" + string(rune('1'+i)), CustomerID: "C1",
			IssueDate: due.AddDays(-30), DueDate: due, Amount: amounts[i], Currency: "EUR"})
	}
	return l
}

// settledShort adds to l an invoice I0 of C1 settled 40 days before d0
// with a payment of paid.
func settledShort(l *datasets.Ledger, amount, paid datasets.Money) {
	l.Invoices = append(l.Invoices, datasets.Invoice{ID: "I0", CustomerID: "C1", IssueDate: day(-90), DueDate: day(-60),
		SettledDate: day(-40), Amount: amount, Currency: "EUR"})
	l.Payments = append(l.Payments, datasets.Payment{ID: "P0", CustomerID: "C1", InvoiceID: "I0", Date: day(-40), Amount: paid, Currency: "EUR"})
}

func TestAssessAppliesTheGlobalRules(t *testing.T) {
	s := DefaultScenarios()
	cases := []struct {
		name      string
		mutate    func(l *datasets.Ledger, s *Scenarios)
		day       datasets.Date
		stop      string   // account-level rule
		blocked   []string // invoice-level rules
		eligibleN int
	}{
		{"nothing in the way", nil, d0, "", nil, 2},
		{"weekend", nil, day(5), RuleQuietDay, nil, 2},
		{"German holiday (Easter Monday 2025)", nil, datasets.NewDate(2025, 4, 21), RuleQuietDay, nil, 2},
		{"contact cap", func(l *datasets.Ledger, _ *Scenarios) {
			l.Actions = append(l.Actions, datasets.Action{ID: "A1", CustomerID: "C1", InvoiceID: "I1", Date: day(-3), Type: ActionReminder, Channel: "email"})
		}, d0, RuleContactCap, nil, 2},
		{"a wait is no contact", func(l *datasets.Ledger, _ *Scenarios) {
			l.Actions = append(l.Actions, datasets.Action{ID: "A1", CustomerID: "C1", InvoiceID: "I1", Date: day(-3), Type: ActionWait, Propensity: 0.01})
		}, d0, "", nil, 2},
		{"open dispute", func(l *datasets.Ledger, _ *Scenarios) {
			l.Disputes = append(l.Disputes, datasets.Dispute{ID: "D1", CustomerID: "C1", InvoiceID: "I1", Opened: day(-10)})
		}, d0, "", []string{RuleDispute}, 1},
		{"resolved dispute", func(l *datasets.Ledger, _ *Scenarios) {
			l.Disputes = append(l.Disputes, datasets.Dispute{ID: "D1", CustomerID: "C1", InvoiceID: "I1", Opened: day(-10), Resolved: day(-2)})
		}, d0, "", nil, 2},
		{"dispute opened today is not known yet", func(l *datasets.Ledger, _ *Scenarios) {
			l.Disputes = append(l.Disputes, datasets.Dispute{ID: "D1", CustomerID: "C1", InvoiceID: "I1", Opened: d0})
		}, d0, "", nil, 2},
		{"promise within grace", func(l *datasets.Ledger, _ *Scenarios) {
			l.Promises = append(l.Promises, datasets.Promise{ID: "P1", CustomerID: "C1", InvoiceID: "I2", Made: day(-9), PromisedDate: day(-2), Amount: 1, Status: datasets.PromiseOpen})
		}, d0, "", []string{RulePromise}, 1},
		{"promise past its grace", func(l *datasets.Ledger, _ *Scenarios) {
			l.Promises = append(l.Promises, datasets.Promise{ID: "P1", CustomerID: "C1", InvoiceID: "I2", Made: day(-12), PromisedDate: day(-5), Amount: 1, Status: datasets.PromiseOpen})
		}, d0, "", nil, 2},
		{"invoice hold", func(_ *datasets.Ledger, s *Scenarios) { s.Rules.HoldInvoices["I1"] = true }, d0, "", []string{RuleHold}, 1},
		{"customer hold", func(_ *datasets.Ledger, s *Scenarios) { s.Rules.HoldCustomers["C1"] = true }, d0, RuleHold, nil, 2},
		{"default", func(l *datasets.Ledger, _ *Scenarios) {
			l.CreditDecisions = append(l.CreditDecisions, datasets.CreditDecision{ID: "CD1", CustomerID: "C1", Date: day(-20), NewLimit: 0, Reason: "default"})
		}, d0, RuleDefault, nil, 2},
		{"a write-off on record is a default", func(l *datasets.Ledger, _ *Scenarios) {
			settledShort(l, 100000, 100000)
			l.CreditNotes = append(l.CreditNotes, datasets.CreditNote{ID: "W1", CustomerID: "C1", InvoiceID: "I0", Date: day(-40), Amount: 100000, Kind: datasets.KindWriteOff, Reason: "insolvency"})
		}, d0, RuleDefault, nil, 2},
		{"a cash discount taken is no default", func(l *datasets.Ledger, _ *Scenarios) {
			// Paid 98% and cleared: the cleared-items reading implies a
			// write-off of the 2% (a Skonto), not a default.
			settledShort(l, 100000, 98000)
			implied, err := datasets.ImpliedWriteOffs(l)
			if err != nil || len(implied) != 1 {
				panic(fmt.Sprint("want one implied write-off: ", implied, err))
			}
			l.CreditNotes = append(l.CreditNotes, implied...)
		}, d0, "", nil, 2},
		{"a default decision raising nothing to 0 is no default", func(l *datasets.Ledger, _ *Scenarios) {
			l.CreditDecisions = append(l.CreditDecisions, datasets.CreditDecision{ID: "CD1", CustomerID: "C1", Date: day(-20), NewLimit: 500000, Reason: "default lifted"})
		}, d0, "", nil, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := ledgerOf([]int{25, 8}, []datasets.Money{500000, 120000})
			sc := *s
			sc.Rules.HoldInvoices, sc.Rules.HoldCustomers = map[string]bool{}, map[string]bool{}
			if c.mutate != nil {
				c.mutate(l, &sc)
			}
			b, err := NewBook(l, c.day, "EUR", datasets.FX{})
			if err != nil {
				t.Fatal(err)
			}
			acc := b.Account("C1")
			if acc == nil {
				t.Fatal("no account")
			}
			a := sc.assess(b, acc)
			if a.stop.Rule != c.stop {
				t.Errorf("stop %q (%s), want %q", a.stop.Rule, a.stop.Detail, c.stop)
			}
			var got []string
			for _, bl := range a.blocked {
				got = append(got, bl.Rule)
			}
			if !slices.Equal(got, c.blocked) {
				t.Errorf("blocked %v, want %v", got, c.blocked)
			}
			if len(a.eligible) != c.eligibleN {
				t.Errorf("%d eligible invoices, want %d", len(a.eligible), c.eligibleN)
			}
		})
	}
}

func TestScenarioStepsArePendingOnceTheirDayHasCome(t *testing.T) {
	s := DefaultScenarios()
	cases := []struct {
		name    string
		dpd     int
		amount  datasets.Money
		actions []datasets.Action
		want    string // action type, "" for nothing due
	}{
		{"courtesy for a large invoice", -5, 1500000, nil, ActionCourtesyReminder},
		{"no courtesy below 10,000 EUR", -5, 900000, nil, ""},
		{"nothing between steps", 3, 500000, nil, ""},
		{"reminder at due+7", 7, 500000, nil, ActionReminder},
		{"reminder still pending at due+9", 9, 500000, nil, ActionReminder},
		{"reminder handled", 9, 500000, []datasets.Action{{Type: ActionReminder, Date: day(-2)}}, ""},
		{"a holdout wait handles the step", 9, 500000, []datasets.Action{{Type: ActionWait, Date: day(-2), Propensity: 0.02}}, ""},
		{"call at due+21 after the reminder", 21, 500000, []datasets.Action{{Type: ActionReminder, Date: day(-14)}}, ActionCall},
		{"final notice at due+45", 50, 500000, []datasets.Action{{Type: ActionReminder, Date: day(-43)}, {Type: ActionCall, Date: day(-29)}}, ActionFinalNotice},
		{"agency only after a final notice", 95, 500000, []datasets.Action{{Type: ActionReminder, Date: day(-88)}, {Type: ActionCall, Date: day(-74)}}, ActionFinalNotice},
		{"escalation needs the minimum amount", 21, 5000, nil, ActionReminder},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := ledgerOf([]int{c.dpd}, []datasets.Money{c.amount})
			for i, a := range c.actions {
				a.ID, a.CustomerID, a.InvoiceID = "A"+string(rune('1'+i)), "C1", "I1"
				l.Actions = append(l.Actions, a)
			}
			b, err := NewBook(l, d0, "EUR", datasets.FX{})
			if err != nil {
				t.Fatal(err)
			}
			a := s.assess(b, b.Account("C1"))
			plan, _, ok := s.scenarioPlan(a)
			got := ""
			if ok {
				got = plan.typ.Name
			}
			if got != c.want {
				t.Errorf("pending %q, want %q", got, c.want)
			}
		})
	}
}

func TestBookConvertsAndRefusesMissingRates(t *testing.T) {
	l := ledgerOf([]int{10}, []datasets.Money{1150000})
	l.Invoices[0].Currency = "SEK"
	if _, err := NewBook(l, d0, "EUR", datasets.FX{}); !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), "SEK") {
		t.Fatalf("got %v, want a missing SEK rate", err)
	}
	b, err := NewBook(l, d0, "EUR", SimFX())
	if err != nil {
		t.Fatal(err)
	}
	if v := b.Account("C1").Open[0].Value; v < 99000 || v > 101000 {
		t.Fatalf("11,500 SEK is %s EUR, want about 1,000", v)
	}
}

// A ledger without randomised actions gets the scenario's steps, marked
// as such.
func TestRecommendWithoutRandomisationFollowsTheScenario(t *testing.T) {
	l, _, err := synth.Collect(context.Background(), synth.Config{Customers: 300, Months: 8, Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	asOf := datasets.NewDate(2023, 8, 21)
	w, err := Recommend(context.Background(), l, asOf, RecommendOptions{FX: SimFX(), Capacity: map[string]int{ActionCall: 3}})
	if err != nil {
		t.Fatal(err)
	}
	if w.Basis != BasisScenario || !strings.Contains(w.Note, "scenario-based") || !strings.Contains(w.Note, "randomised") {
		t.Fatalf("basis %q, note %q", w.Basis, w.Note)
	}
	if len(w.Recommendations) == 0 {
		t.Fatalf("no recommendation; excluded %v, deferred %d", w.Excluded, len(w.Deferred))
	}
	calls := 0
	for _, r := range w.Recommendations {
		if r.Basis != BasisScenario || r.Relation != "scenario" || r.ExpectedValue != nil || r.Step == "" {
			t.Errorf("not marked as scenario-based: %+v", r)
		}
		if r.Action == ActionCall {
			calls++
		}
		if r.Date != asOf || len(r.Invoices) == 0 || r.Amount <= 0 {
			t.Errorf("bad recommendation %+v", r)
		}
	}
	if calls > 3 {
		t.Errorf("%d calls over a capacity of 3", calls)
	}
	for i := 1; i < len(w.Recommendations); i++ {
		if w.Recommendations[i].Amount > w.Recommendations[i-1].Amount {
			t.Fatal("scenario-based list is not biggest amount first")
		}
	}
	var buf bytes.Buffer
	if err := w.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	if lines := strings.Count(buf.String(), "\n"); lines < len(w.Recommendations)+1 || !strings.HasPrefix(buf.String(), "date,customer_id") {
		t.Errorf("CSV has %d lines for %d recommendations", lines, len(w.Recommendations))
	}
}

// logged simulates months of dunning by the scenario with randomised
// variation.
func logged(t *testing.T, customers, months int, seed uint64, explore float64) *synth.Env {
	t.Helper()
	e, err := synth.NewEnv(synth.EnvConfig{Config: synth.Config{Customers: customers, Months: months, Seed: seed}})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.RunUntil(context.Background(), e.End(), NewScenarioPolicy(DefaultScenarios(), SimFX(), nil, explore, seed)); err != nil {
		t.Fatal(err)
	}
	return e
}

func TestLearntEffectsDriveTheWorklist(t *testing.T) {
	e := logged(t, 250, 9, 21, 0.2)
	l := e.Ledger()
	randomised := 0
	for _, a := range l.Actions {
		if a.Propensity > 0 && a.Propensity < 1 {
			randomised++
			if a.Policy != PolicyScenario && a.Policy != PolicyHoldout {
				t.Fatalf("randomised action of policy %q", a.Policy)
			}
		}
	}
	if randomised == 0 {
		t.Fatal("the logging policy logged no propensity")
	}
	cutoff := e.End() - 1
	eff, err := LearnEffects(context.Background(), l, cutoff, DefaultScenarios(), SimFX(), EffectsOptions{Seed: 3, Bags: 3})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{ActionReminder, ActionCall} {
		if est := eff.ATE[a]; est.Mean <= 0 || est.Low > est.Mean || est.High < est.Mean || est.N == 0 {
			t.Errorf("%s: average uplift %+v, want positive with an interval around it", a, est)
		}
	}
	r := &Recommender{S: DefaultScenarios(), FX: SimFX(), Effects: eff, Holdout: 0.2, Seed: 5,
		Capacity: map[string]int{"phone": 4}}
	on := cutoff + 1
	for wd := on.Time().Weekday(); wd == time.Saturday || wd == time.Sunday; wd = on.Time().Weekday() {
		on++
	}
	w, err := r.Worklist(l, on)
	if err != nil {
		t.Fatal(err)
	}
	if w.Basis != BasisEffects || len(w.Recommendations) == 0 {
		t.Fatalf("basis %s with %d recommendations", w.Basis, len(w.Recommendations))
	}
	// The worklist values accounts in batches: the same values as one
	// candidate at a time.
	book, err := NewBook(l, on, r.S.Currency, r.FX)
	if err != nil {
		t.Fatal(err)
	}
	v := &effectsValuer{e: eff, s: r.S}
	var accs []accountCands
	for _, acc := range book.Accounts {
		a := r.S.assess(book, acc)
		if cands := r.S.candidates(a, r.S.ActionTypes()); len(cands) > 0 {
			accs = append(accs, accountCands{a: a, cands: cands})
		}
	}
	if len(accs) < 10 {
		t.Fatalf("%d accounts with candidates", len(accs))
	}
	for i, vals := range v.valuesMany(book, accs) {
		for k, got := range vals {
			if want := v.value(book, accs[i].a, &accs[i].cands[k]); math.Abs(got.ev-want.ev) > 1e-9*(1+math.Abs(want.ev)) || got.uplift != want.uplift {
				t.Fatalf("account %d, candidate %d: %+v in a batch, %+v alone", i, k, got, want)
			}
		}
	}
	calls, holdouts := 0, 0
	for i, rec := range w.Recommendations {
		if rec.Channel == "phone" {
			calls++
		}
		if rec.Policy == PolicyHoldout {
			holdouts++
			if rec.Propensity <= 0 || rec.Propensity > 0.2+1e-9 {
				t.Errorf("holdout propensity %g", rec.Propensity)
			}
			continue
		}
		want := 0.8 // 1 − the holdout; 1 where the holdout may not go
		if rec.HoldoutExempt != "" {
			want = 1
		}
		if rec.ExpectedValue == nil || *rec.ExpectedValue <= 0 || rec.Uplift == nil || math.Abs(rec.Propensity-want) > 1e-9 {
			t.Errorf("recommendation %d lacks a positive value, an uplift or its propensity: %+v", i, rec)
		}
		if rec.Uplift != nil && (rec.Uplift.Low > rec.Uplift.Uplift+1e-9 || rec.Uplift.High < rec.Uplift.Uplift-1e-9) {
			t.Errorf("uplift %+v outside its interval", *rec.Uplift)
		}
		if len(rec.Reasons) < 3 || !strings.Contains(strings.Join(rec.Reasons, " "), "raises the chance of payment") {
			t.Errorf("reasons %q", rec.Reasons)
		}
		if i > 0 && w.Recommendations[i-1].Policy != PolicyHoldout && evOf(w.Recommendations[i-1]) < evOf(rec) {
			t.Errorf("not most valuable first at %d", i)
		}
	}
	if calls > 4 {
		t.Errorf("%d calls over a capacity of 4", calls)
	}
	first := w.Recommendations[0]
	one := &Recommender{S: DefaultScenarios(), FX: SimFX(), Effects: eff, Holdout: 0, Customers: []string{first.CustomerID}}
	w1, err := one.Worklist(l, on)
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := w1.For(first.CustomerID); !ok || len(w1.Recommendations) != 1 || got.Action == "" {
		t.Errorf("one customer's next action: %+v (%d recommendations)", got, len(w1.Recommendations))
	}
	if _, ok := w1.For("nobody"); ok {
		t.Error("a customer with nothing to do got an action")
	}
	var buf bytes.Buffer
	if err := w.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil || back["basis"] != BasisEffects {
		t.Fatalf("JSON: %v %v", err, back["basis"])
	}
	ope, err := OPE(context.Background(), l, cutoff, DefaultScenarios(), SimFX(), EffectsOptions{Seed: 3, Bags: 3})
	if err != nil {
		t.Fatal(err)
	}
	if ope.Decisions == 0 || ope.Estimate.Low > ope.Estimate.Mean || ope.Estimate.High < ope.Estimate.Mean || ope.Logged <= 0 {
		t.Errorf("OPE %+v", ope)
	}
	// The same history without its propensities has nothing to learn from.
	bare := *l
	bare.Actions = slices.Clone(l.Actions)
	for i := range bare.Actions {
		bare.Actions[i].Propensity, bare.Actions[i].Policy = 0, ""
	}
	if _, err := LearnEffects(context.Background(), &bare, cutoff, DefaultScenarios(), SimFX(), EffectsOptions{}); !errors.Is(err, ErrNoRandomisation) {
		t.Fatalf("got %v, want ErrNoRandomisation", err)
	}
}

func TestEvaluateOnCommonRandomNumbers(t *testing.T) {
	if testing.Short() {
		t.Skip("simulates five policies")
	}
	rep, err := Evaluate(context.Background(), EvalConfig{Customers: 200, Months: 2, TrainMonths: 7, Seed: 31,
		Policies: []string{EvalNone, EvalScenario, EvalRecommender, EvalOracle}, Holdout: -1,
		Effects: EffectsOptions{Bags: 3}})
	if err != nil {
		t.Fatal(err)
	}
	none, sc, rec, or := rep.Policies[EvalNone], rep.Policies[EvalScenario], rep.Policies[EvalRecommender], rep.Policies[EvalOracle]
	if none.ContactsTotal != 0 || none.Value != 0 || none.ContactCost != 0 {
		t.Errorf("none contacted: %+v", none)
	}
	if !(sc.DSO < none.DSO && or.DSO < none.DSO && rec.DSO < none.DSO) {
		t.Errorf("DSO none %.2f, scenario %.2f, recommender %.2f, oracle %.2f: dunning should lower it", none.DSO, sc.DSO, rec.DSO, or.DSO)
	}
	// The budget is the scenario's daily spend: the others may not spend
	// more than it over the period (a day's rounding aside).
	for name, r := range map[string]PolicyResult{EvalRecommender: rec, EvalOracle: or} {
		if r.ContactCost > sc.ContactCost*1.02 {
			t.Errorf("%s spent %.0f, the scenario %.0f", name, r.ContactCost, sc.ContactCost)
		}
	}
	if rec.Holdouts == 0 {
		t.Error("the recommender kept no holdout")
	}
	if rep.OPE == nil || rep.OPE.Decisions == 0 || rep.OPE.Simulated == 0 {
		t.Fatalf("OPE %+v", rep.OPE)
	}
	if e := math.Abs(rep.OPE.Estimate.Mean/rep.OPE.Simulated - 1); e > 0.15 {
		t.Errorf("DR estimate %.0f is %.0f%% off the replayed %.0f", rep.OPE.Estimate.Mean, 100*e, rep.OPE.Simulated)
	}
	if len(rep.Ranking) == 0 || rep.RankingSum == nil || rep.RankingSum.Pairs == 0 || len(rep.RankingSum.List) != rep.RankingSum.Pairs {
		t.Errorf("uplift ranking %d rows, summary %+v", len(rep.Ranking), rep.RankingSum)
	}
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var back struct {
		Seed     uint64                     `json:"seed"`
		Policies map[string]json.RawMessage `json:"policies"`
	}
	if err := json.Unmarshal(b, &back); err != nil || back.Seed != 31 || len(back.Policies) != 4 {
		t.Fatalf("JSON %v: seed %d, %d policies", err, back.Seed, len(back.Policies))
	}
	if _, err := Evaluate(context.Background(), EvalConfig{Customers: 10, Months: 1, TrainMonths: 1, Policies: []string{"greedy"}}); !errors.Is(err, ErrInput) {
		t.Errorf("unknown policy: %v", err)
	}
}

// A cleared-items export: invoices alone, no customer master, no currency,
// no actions, amounts from cents to millions.
func TestRecommendOnAClearedItemsExport(t *testing.T) {
	l := &datasets.Ledger{}
	amounts := []datasets.Money{2500, 125000, 99999999, 4200000, 310}
	for i := range 40 {
		due := d0.AddDays(-(i*3)%60 + 5)
		inv := datasets.Invoice{ID: fmt.Sprintf("X%d", i), CustomerID: fmt.Sprintf("K%d", i%7), IssueDate: due - 30, DueDate: due,
			Amount: amounts[i%len(amounts)]}
		if i%4 == 0 {
			inv.SettledDate = due.AddDays(i % 9)
		}
		l.Invoices = append(l.Invoices, inv)
	}
	w, err := Recommend(context.Background(), l, d0, RecommendOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if w.Basis != BasisScenario || len(w.Recommendations) == 0 {
		t.Fatalf("basis %s, %d recommendations, excluded %v", w.Basis, len(w.Recommendations), w.Excluded)
	}
	for _, r := range w.Recommendations {
		if r.Amount <= 0 || len(r.Invoices) == 0 || len(r.Reasons) == 0 {
			t.Errorf("recommendation %+v", r)
		}
	}
}

// An empty worklist still writes every list, as [] (an integrating reader
// tells "none" from "not computed" by its presence).
func TestEmptyWorklistJSONHasEveryList(t *testing.T) {
	w := &Worklist{Day: datasets.NewDate(2024, 3, 1), Currency: "EUR", Basis: BasisScenario}
	var buf bytes.Buffer
	if err := w.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var back map[string]json.RawMessage
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{"recommendations": "[]", "deferred": "[]", "excluded_customers": "[]", "disputes": "[]", "excluded": "{}"} {
		if got := string(back[key]); got != want {
			t.Errorf("%s = %q, want %q", key, got, want)
		}
	}
	if w.Deferred != nil {
		t.Error("WriteJSON changed the worklist")
	}
}
