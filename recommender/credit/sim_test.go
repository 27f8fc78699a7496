package credit

import (
	"context"
	"math"
	"testing"

	"github.com/dsopilot/dsopilot/recommender"
)

// The credit comparison runs both policies on the same orders (common
// random numbers): what one sells or loses the other does too, and only
// the split between sales and lost sales differs.
func TestEvaluateCreditPolicies(t *testing.T) {
	if testing.Short() {
		t.Skip("simulates 600 customers for 14 months twice")
	}
	rep, err := recommender.Evaluate(context.Background(), recommender.EvalConfig{Customers: 600, Months: 2, TrainMonths: 12, Seed: 7,
		Credit: []string{recommender.EvalCreditCurrent, EvalSuggested}, CreditPolicies: EvalPolicies(DefaultPolicy(), nil)})
	if err != nil {
		t.Fatal(err)
	}
	cur, sug := rep.Credit[recommender.EvalCreditCurrent], rep.Credit[EvalSuggested]
	if cur.Orders == 0 || cur.Orders != sug.Orders {
		t.Fatalf("orders %d and %d: want the same orders under both policies", cur.Orders, sug.Orders)
	}
	if a, b := cur.Sales+cur.LostSales, sug.Sales+sug.LostSales; math.Abs(a-b) > 1 {
		t.Fatalf("orders worth %.0f under current, %.0f under suggested", a, b)
	}
	if cur.LostOrders == 0 || sug.LimitChanges == 0 || cur.ExpectedLoss <= 0 || sug.ExpectedLoss <= 0 {
		t.Fatalf("current %+v, suggested %+v: want blocked orders, limit changes and an expected loss", cur, sug)
	}
	if _, ok := rep.Targets[EvalSuggested+"_vs_current_sales"]; !ok {
		t.Fatalf("targets %v", rep.Targets)
	}
	t.Logf("current %+v\nsuggested %+v", cur, sug)
}
