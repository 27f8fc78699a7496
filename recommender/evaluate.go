package recommender

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/synth"
	"github.com/dsopilot/dsopilot/features"
)

// Policies Evaluate knows.
const (
	EvalNone        = "none"
	EvalScenario    = "scenario"
	EvalRecommender = "recommender"
	EvalOracle      = "oracle"
)

// EvalConfig says what Evaluate simulates.
type EvalConfig struct {
	Customers   int
	Months      int // evaluation months, after the training months
	TrainMonths int
	Seed        uint64
	Start       datasets.Date // first day of the training months; zero: synth's default
	Policies    []string
	Scenarios   *Scenarios // nil: the default file
	// Capacity per channel, the same for every policy; nil: ScaledCapacity.
	Capacity map[string]int
	// Explore is the share of the logging (scenario) policy's contacts
	// replaced at random during the training months (default 0.1).
	Explore float64
	// Holdout is the recommender's own randomised share during evaluation
	// (negative: the scenario file's).
	Holdout float64
	Effects EffectsOptions
	Log     *slog.Logger
	// Credit names the credit policies to compare (evaluate_credit.go):
	// "current" (the simulator's team) and those of CreditPolicies.
	Credit         []string
	CreditPolicies map[string]CreditPolicyMaker
}

// ScaledCapacity is the default daily capacity for a simulated portfolio:
// 2 calls and 40 emails a day per 100 customers (40 calls for 2,000), so
// calls are scarce and must go where they pay.
func ScaledCapacity(customers int) map[string]int {
	return map[string]int{"phone": max(1, customers*2/100), "email": max(5, customers*40/100)}
}

// PolicyResult is one policy's figures over the evaluation months. Money is
// in EUR.
type PolicyResult struct {
	// DSO and ADD are the means of the monthly figures (features.KPIs).
	DSO float64 `json:"dso"`
	ADD float64 `json:"add"`
	// Collected is the cash received in the period; CollectedOnTimeShare
	// the share of the invoice-linked part received by the due date.
	Collected            float64        `json:"collected"`
	CollectedOnTimeShare float64        `json:"collected_on_time_share"`
	Contacts             map[string]int `json:"contacts"` // by type, one per customer, day and type
	ContactsTotal        int            `json:"contacts_total"`
	ContactCost          float64        `json:"contact_cost"`
	// BadDebt is the exposure at default of customers who defaulted in the
	// period.
	BadDebt float64 `json:"bad_debt"`
	// ReceivableDays is Σ over the days of the period of the receivables
	// (EUR-days): the cash tied up.
	ReceivableDays float64 `json:"receivable_eur_days"`
	// Value is what the policy earned against doing nothing: cost of
	// capital on the receivable-days freed + bad debt avoided − contact
	// cost.
	Value float64 `json:"value"`
	// Holdouts counts the randomised decisions of the policy.
	Holdouts int     `json:"holdouts,omitempty"`
	Seconds  float64 `json:"seconds"`
}

// EvalReport is Evaluate's answer.
type EvalReport struct {
	Seed        uint64                  `json:"seed"`
	Customers   int                     `json:"customers"`
	TrainMonths int                     `json:"train_months"`
	Months      int                     `json:"months"`
	From        datasets.Date           `json:"from"`
	To          datasets.Date           `json:"to"`
	Capacity    map[string]int          `json:"capacity"`
	Budget      float64                 `json:"daily_budget,omitempty"` // recommender and oracle
	Policies    map[string]PolicyResult `json:"policies"`
	Effects     *EffectsSummary         `json:"effects,omitempty"`
	OPE         *OPEResult              `json:"ope,omitempty"`
	Ranking     []RankingRow            `json:"uplift_ranking,omitempty"`
	RankingSum  *RankingSummary         `json:"uplift_ranking_summary,omitempty"`
	Credit      map[string]CreditResult `json:"credit,omitempty"`
	Targets     map[string]float64      `json:"targets,omitempty"`
}

// EffectsSummary is what the learnt effects rest on.
type EffectsSummary struct {
	Horizon    int                 `json:"horizon_days"`
	Rows       map[string]int      `json:"rows"`
	Randomised int                 `json:"randomised"`
	ATE        map[string]Estimate `json:"ate"`
	Explore    float64             `json:"explore,omitempty"`
	// Meta is the meta-learner of the effects; Choice how MetaAuto chose.
	Meta   MetaLearner `json:"meta"`
	Choice *MetaChoice `json:"meta_choice,omitempty"`
}

// Evaluate simulates TrainMonths under the scenario with randomised
// variation, learns the effects from that history, then runs each policy on
// the same following months: every run starts from the same customers and
// draws (common random numbers). The recommender and the oracle get a daily
// contact budget equal to the scenario's average daily spend, so they spend
// no more than it.
func Evaluate(ctx context.Context, cfg EvalConfig) (*EvalReport, error) {
	if cfg.Customers <= 0 || cfg.Months <= 0 || cfg.TrainMonths <= 0 {
		return nil, fmt.Errorf("%w: customers, months and train months must be positive", ErrInput)
	}
	for _, p := range cfg.Policies {
		if !slices.Contains([]string{EvalNone, EvalScenario, EvalRecommender, EvalOracle}, p) {
			return nil, fmt.Errorf("%w: unknown policy %q (want none, scenario, recommender or oracle)", ErrInput, p)
		}
	}
	if cfg.Scenarios == nil {
		cfg.Scenarios = DefaultScenarios()
	}
	if cfg.Capacity == nil {
		cfg.Capacity = ScaledCapacity(cfg.Customers)
	}
	if cfg.Explore == 0 {
		cfg.Explore = 0.1
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	env := synth.EnvConfig{Config: synth.Config{Customers: cfg.Customers, Months: cfg.TrainMonths + cfg.Months,
		Seed: cfg.Seed, Start: cfg.Start}, Capacity: cfg.Capacity}
	fx := SimFX()
	s := cfg.Scenarios
	logging := func() synth.Policy { return NewScenarioPolicy(s, fx, cfg.Capacity, cfg.Explore, cfg.Seed^0x10661) }
	if len(cfg.Policies) == 0 {
		return evaluateCreditOnly(ctx, cfg, env)
	}

	// Training months, and the effects learnt from them.
	t0 := time.Now()
	train, err := synth.NewEnv(env)
	if err != nil {
		return nil, err
	}
	trainEnd := train.MonthStart(cfg.TrainMonths)
	if err := train.RunUntil(ctx, trainEnd, logging()); err != nil {
		return nil, err
	}
	cfg.Log.Info("training history simulated", "days", int(trainEnd-train.Start()), "seconds", time.Since(t0).Seconds())
	rep := &EvalReport{Seed: cfg.Seed, Customers: cfg.Customers, TrainMonths: cfg.TrainMonths, Months: cfg.Months,
		From: trainEnd, To: train.End() - 1, Capacity: cfg.Capacity, Policies: map[string]PolicyResult{}, Targets: map[string]float64{}}
	var eff *Effects
	needEffects := slices.Contains(cfg.Policies, EvalRecommender)
	if needEffects {
		t1 := time.Now()
		eo := cfg.Effects
		eo.Seed = cfg.Seed
		eff, err = LearnEffects(ctx, train.Ledger(), trainEnd-1, s, fx, eo)
		if err != nil {
			return nil, err
		}
		rep.Effects = &EffectsSummary{Horizon: eff.Horizon, Rows: eff.Rows, Randomised: eff.Randomised, ATE: eff.ATE, Explore: cfg.Explore,
			Meta: eff.Meta, Choice: eff.Choice}
		cfg.Log.Info("effects learnt", "decisions", len(eff.rows), "randomised", eff.Randomised, "meta", eff.Meta, "seconds", time.Since(t1).Seconds())
		// The off-policy estimate scores the recommender's rule with the
		// meta-learner it runs on, not a second choice on each half.
		eo.Meta = eff.Meta
		rk, sum := upliftRanking(eff, train, rand.New(rand.NewPCG(cfg.Seed, 0x4a2c)))
		rep.Ranking, rep.RankingSum = rk, &sum
		ope, err := evaluateOPE(ctx, eff, train, s, eo)
		if err != nil {
			return nil, err
		}
		rep.OPE = ope
	}

	// Each policy on the same evaluation months. none always runs: it is
	// the baseline of value; the scenario runs before the recommender and
	// the oracle, whose budget it sets.
	order := []string{EvalNone}
	for _, p := range []string{EvalScenario, EvalRecommender, EvalOracle} {
		if slices.Contains(cfg.Policies, p) || (p == EvalScenario && (slices.Contains(cfg.Policies, EvalRecommender) || slices.Contains(cfg.Policies, EvalOracle))) {
			order = append(order, p)
		}
	}
	budgeted := *s
	budgeted.Rules.DailyBudget = 0
	for _, name := range order {
		t1 := time.Now()
		e, err := synth.NewEnv(env)
		if err != nil {
			return nil, err
		}
		if err := e.RunUntil(ctx, trainEnd, logging()); err != nil {
			return nil, err
		}
		before := e.Stats()
		var p synth.Policy
		switch name {
		case EvalNone:
			p = synth.NonePolicy{}
		case EvalScenario:
			p = NewScenarioPolicy(s, fx, cfg.Capacity, 0, 0)
		case EvalRecommender:
			p = &Recommender{S: &budgeted, FX: fx, Effects: eff, Capacity: cfg.Capacity, Holdout: cfg.Holdout, Seed: cfg.Seed}
		case EvalOracle:
			p = NewOracle(&budgeted, fx, e, cfg.Capacity)
		}
		if err := e.RunUntil(ctx, e.End(), p); err != nil {
			return nil, fmt.Errorf("simulate %s: %w", name, err)
		}
		res, err := measure(e, s, trainEnd, before)
		if err != nil {
			return nil, err
		}
		res.Seconds = time.Since(t1).Seconds()
		rep.Policies[name] = res
		if name == EvalScenario {
			// The day's budget is the scenario's spend per day with a
			// contact.
			days := contactDays(e.Ledger(), trainEnd)
			if days > 0 {
				budgeted.Rules.DailyBudget = datasets.Money(math.Floor(res.ContactCost / float64(days) * 100))
				rep.Budget = budgeted.Rules.DailyBudget.Float()
			}
		}
		cfg.Log.Info("policy simulated", "policy", name, "dso", res.DSO, "seconds", res.Seconds)
	}
	none := rep.Policies[EvalNone]
	for name, r := range rep.Policies {
		r.Value = s.CostOfCapital/365*(none.ReceivableDays-r.ReceivableDays) + (none.BadDebt - r.BadDebt) - r.ContactCost
		rep.Policies[name] = r
	}
	rep.targets()
	for name := range rep.Policies {
		if !slices.Contains(cfg.Policies, name) {
			delete(rep.Policies, name)
		}
	}
	if len(cfg.Credit) > 0 {
		if err := evaluateCredit(ctx, cfg, env, rep); err != nil {
			return nil, err
		}
	}
	return rep, nil
}

// targets derives the issue's target ratios from the results.
func (rep *EvalReport) targets() {
	none, okN := rep.Policies[EvalNone]
	sc, okS := rep.Policies[EvalScenario]
	rec, okR := rep.Policies[EvalRecommender]
	or, okO := rep.Policies[EvalOracle]
	if !okN || !okS {
		return
	}
	redS := none.DSO - sc.DSO
	if okR && redS != 0 {
		rep.Targets["recommender_vs_scenario_dso_reduction"] = (none.DSO - rec.DSO) / redS
		rep.Targets["recommender_vs_scenario_collected"] = rec.Collected/sc.Collected - 1
		rep.Targets["recommender_vs_scenario_contact_cost"] = rec.ContactCost / sc.ContactCost
	}
	if okO && redS != 0 {
		rep.Targets["oracle_vs_scenario_dso_reduction"] = (none.DSO - or.DSO) / redS
	}
	if okR && okO && none.DSO != or.DSO {
		rep.Targets["recommender_vs_oracle_dso_reduction"] = (none.DSO - rec.DSO) / (none.DSO - or.DSO)
	}
	if rep.OPE != nil && rep.OPE.Simulated != 0 {
		rep.Targets["ope_relative_error"] = rep.OPE.Estimate.Mean/rep.OPE.Simulated - 1
	}
}

// contactDays counts the days from from on with at least one contact.
func contactDays(l *datasets.Ledger, from datasets.Date) int {
	days := map[datasets.Date]bool{}
	for i := range l.Actions {
		a := &l.Actions[i]
		if a.Date >= from && a.Type != ActionWait && a.Type != ActionCreditHold {
			days[a.Date] = true
		}
	}
	return len(days)
}

// measure computes a policy's figures over [from, end) of an environment.
func measure(e *synth.Env, s *Scenarios, from datasets.Date, before synth.EnvStats) (PolicyResult, error) {
	to := e.End() - 1
	l, err := e.Ledger().Convert(SimFX())
	if err != nil {
		return PolicyResult{}, err
	}
	res := PolicyResult{Contacts: map[string]int{}}
	ix := features.NewIndex(l)
	kpi, err := features.ComputeKPIsWith(ix, from, to, features.KPIOptions{Monthly: true})
	if err != nil {
		return res, err
	}
	n := 0
	for _, m := range kpi.Months {
		if m.DSO != nil && m.ADD != nil {
			res.DSO += *m.DSO
			res.ADD += *m.ADD
			n++
		}
	}
	if n > 0 {
		res.DSO /= float64(n)
		res.ADD /= float64(n)
	}
	due := make(map[string]datasets.Date, len(l.Invoices))
	for i := range l.Invoices {
		due[l.Invoices[i].ID] = l.Invoices[i].DueDate
	}
	var collected, linked, onTime datasets.Money
	for i := range l.Payments {
		p := &l.Payments[i]
		if p.Date < from || p.Date > to {
			continue
		}
		collected += p.Amount
		if d, ok := due[p.InvoiceID]; ok {
			linked += p.Amount
			if p.Date <= d {
				onTime += p.Amount
			}
		}
	}
	res.Collected = collected.Float()
	if linked > 0 {
		res.CollectedOnTimeShare = float64(onTime) / float64(linked)
	}
	type contact struct {
		customer string
		day      datasets.Date
		typ      string
	}
	seen := map[contact]bool{}
	for i := range l.Actions {
		a := &l.Actions[i]
		if a.Date < from || a.Type == ActionWait || a.Type == ActionCreditHold {
			if a.Date >= from && a.Type == ActionWait {
				res.Holdouts++
			}
			continue
		}
		if a.Policy == PolicyHoldout {
			res.Holdouts++
		}
		k := contact{a.CustomerID, a.Date, a.Type}
		if seen[k] {
			continue
		}
		seen[k] = true
		res.Contacts[a.Type]++
		res.ContactsTotal++
		if t := s.Types[a.Type]; t != nil {
			res.ContactCost += t.Cost.Float()
		}
	}
	st := e.Stats()
	res.BadDebt = (st.BadDebt - before.BadDebt).Float()
	res.ReceivableDays = receivableDays(l, from, to)
	return res, nil
}

// receivableDays is Σ over days in [from, to] of the receivables at the end
// of the day: each invoice's outstanding amount (less the payments and
// credit notes linked to it) from its issue to its settlement.
func receivableDays(l *datasets.Ledger, from, to datasets.Date) float64 {
	type change struct {
		day datasets.Date
		amt datasets.Money
	}
	changes := map[string][]change{}
	for i := range l.Payments {
		p := &l.Payments[i]
		if p.InvoiceID != "" {
			changes[p.InvoiceID] = append(changes[p.InvoiceID], change{p.Date, p.Amount})
		}
	}
	for i := range l.CreditNotes {
		cn := &l.CreditNotes[i]
		if cn.InvoiceID != "" {
			changes[cn.InvoiceID] = append(changes[cn.InvoiceID], change{cn.Date, cn.Amount})
		}
	}
	total := 0.0
	for i := range l.Invoices {
		inv := &l.Invoices[i]
		end := to
		if !inv.SettledDate.IsZero() && inv.SettledDate-1 < end {
			end = inv.SettledDate - 1
		}
		start := max(inv.IssueDate, from)
		if end < start {
			continue
		}
		// outstanding(d) = amount − Σ changes dated ≤ d, for d in [start, end]
		total += inv.Amount.Float() * float64(end-start+1)
		for _, c := range changes[inv.ID] {
			if c.day > end {
				continue
			}
			total -= c.amt.Float() * float64(end-max(c.day, start)+1)
		}
	}
	return total
}
