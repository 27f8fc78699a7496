package recommender

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/synth"
)

// EvalCreditCurrent is the simulator's own credit team, blocking orders
// over the limit: the credit policy others are compared with.
const EvalCreditCurrent = "current"

// CreditPolicyMaker builds a credit policy for the evaluation months from
// the history simulated before them (what was known by the end of the day
// before from). recommender/credit provides the suggested policy's.
type CreditPolicyMaker func(ctx context.Context, history *datasets.Ledger, from datasets.Date) (synth.CreditPolicy, error)

// CreditResult is one credit policy's figures over the evaluation months,
// in EUR.
type CreditResult struct {
	Orders    int     `json:"orders"`
	Sales     float64 `json:"sales"`
	LostSales float64 `json:"lost_sales"`
	// LostOrders counts the orders blocked.
	LostOrders int `json:"lost_orders"`
	// BadDebt is the exposure at default of the customers who defaulted.
	BadDebt float64 `json:"bad_debt"`
	// ExpectedLoss is the loss expected from the exposure the policy let
	// run: Σ over days and customers of the true daily default hazard ×
	// the exposure (the simulator's truth; bad debt is one draw of it).
	ExpectedLoss float64 `json:"expected_loss"`
	Defaults     int     `json:"defaults"`
	// LimitChanges counts the policy's limit decisions (not the zero at a
	// default, which the simulator records itself).
	LimitChanges int     `json:"limit_changes"`
	Seconds      float64 `json:"seconds"`
}

// evaluateCreditOnly compares the credit policies alone (no dunning policy
// asked for).
func evaluateCreditOnly(ctx context.Context, cfg EvalConfig, env synth.EnvConfig) (*EvalReport, error) {
	if len(cfg.Credit) == 0 {
		return nil, fmt.Errorf("%w: no dunning or credit policy to evaluate", ErrInput)
	}
	rep := &EvalReport{Seed: cfg.Seed, Customers: cfg.Customers, TrainMonths: cfg.TrainMonths, Months: cfg.Months,
		Capacity: cfg.Capacity, Policies: map[string]PolicyResult{}, Targets: map[string]float64{}}
	if err := evaluateCredit(ctx, cfg, env, rep); err != nil {
		return nil, err
	}
	return rep, nil
}

// evaluateCredit runs each credit policy of cfg.Credit on the evaluation
// months: the same customers, orders and draws, the training months under
// the simulator's own team (blocking over the limit) and the scenario's
// dunning, then the policy from the first evaluation day on, with the
// scenario's dunning (without randomisation) for all.
func evaluateCredit(ctx context.Context, cfg EvalConfig, env synth.EnvConfig, rep *EvalReport) error {
	for _, name := range cfg.Credit {
		if name != EvalCreditCurrent && cfg.CreditPolicies[name] == nil {
			return fmt.Errorf("%w: unknown credit policy %q (want current or %s)", ErrInput, name, strings.Join(sortedKeys(cfg.CreditPolicies), ", "))
		}
	}
	fx := SimFX()
	s := cfg.Scenarios
	env.Credit = synth.CreditTeam{BlockOverLimit: true}
	rep.Credit = map[string]CreditResult{}
	for _, name := range cfg.Credit {
		t0 := time.Now()
		e, err := synth.NewEnv(env)
		if err != nil {
			return err
		}
		from := e.MonthStart(cfg.TrainMonths)
		rep.From, rep.To = from, e.End()-1
		if err := e.RunUntil(ctx, from, NewScenarioPolicy(s, fx, cfg.Capacity, cfg.Explore, cfg.Seed^0x10661)); err != nil {
			return err
		}
		if name != EvalCreditCurrent {
			p, err := cfg.CreditPolicies[name](ctx, e.Ledger(), from)
			if err != nil {
				return fmt.Errorf("credit policy %s: %w", name, err)
			}
			e.SetCredit(p)
		}
		before := e.Stats()
		if err := e.RunUntil(ctx, e.End(), NewScenarioPolicy(s, fx, cfg.Capacity, 0, 0)); err != nil {
			return fmt.Errorf("simulate credit policy %s: %w", name, err)
		}
		st := e.Stats()
		res := CreditResult{Orders: st.Orders - before.Orders, Sales: (st.Sales - before.Sales).Float(),
			LostSales: (st.LostSales - before.LostSales).Float(), LostOrders: st.LostCount - before.LostCount,
			BadDebt: (st.BadDebt - before.BadDebt).Float(), ExpectedLoss: (st.ExpectedLoss - before.ExpectedLoss).Float(),
			Defaults: st.Defaults - before.Defaults, Seconds: time.Since(t0).Seconds()}
		for _, d := range e.Ledger().CreditDecisions {
			if d.Date >= from && d.Reason != synth.ReasonDefault {
				res.LimitChanges++
			}
		}
		rep.Credit[name] = res
		cfg.Log.Info("credit policy simulated", "policy", name, "sales", res.Sales, "bad_debt", res.BadDebt, "seconds", res.Seconds)
	}
	cur, ok := rep.Credit[EvalCreditCurrent]
	if !ok {
		return nil
	}
	for _, name := range cfg.Credit {
		r := rep.Credit[name]
		if name == EvalCreditCurrent || cur.Sales == 0 {
			continue
		}
		rep.Targets[name+"_vs_current_sales"] = r.Sales/cur.Sales - 1
		if cur.BadDebt > 0 {
			rep.Targets[name+"_vs_current_bad_debt"] = r.BadDebt/cur.BadDebt - 1
		}
		if cur.ExpectedLoss > 0 {
			rep.Targets[name+"_vs_current_expected_loss"] = r.ExpectedLoss/cur.ExpectedLoss - 1
		}
	}
	return nil
}
