package recommender

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/dsopilot/dsopilot/datasets/synth"
)

// TestCellRatioRecoversTheResponse logs decisions as the scenario policy
// does (the type 90% of the time, wait at random) with a known response
// probability p and a known share paid anyway under wait, and scores them
// with an effects model that is off. The ratio must find p whatever the
// model says; the first doubly-robust ratio divided by the model's margin
// and left [0, 1] when the model's P(paid | wait) was too high.
func TestCellRatioRecoversTheResponse(t *testing.T) {
	tests := []struct {
		name       string
		p, paidW   float64 // the truth
		muA, muW   float64 // the model's (wrong) P(paid)
		propensity float64 // of waiting
	}{
		{"model right", 0.7, 0.3, 0.79, 0.3, 0.05},
		{"model's wait too high (forgetful courtesy reminders)", 0.7, 0.3, 0.75, 0.7, 0.05},
		{"model's wait too low", 0.2, 0.5, 0.5, 0.1, 0.025},
		{"no effect", 0, 0.4, 0.6, 0.2, 0.05},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(7, 11))
			var s cellSums
			for range 100000 {
				o := cellObs{action: "call", arm: "call", propensity: 1 - tc.propensity, muA: tc.muA, muW: tc.muW}
				if rng.Float64() < tc.propensity {
					o.arm, o.propensity = ActionWait, tc.propensity
				}
				paid := rng.Float64() < tc.paidW
				if o.arm == "call" && !paid {
					paid = rng.Float64() < tc.p
				}
				if paid {
					o.paid = 1
				}
				s.add(o)
			}
			if got := s.ratio(); math.Abs(got-tc.p) > 0.04 {
				t.Errorf("ratio %.3f, want %.2f", got, tc.p)
			}
		})
	}
	var empty cellSums
	empty.add(cellObs{action: "call", arm: "call", propensity: 0.9, paid: 1, muA: 0.5, muW: 0.2})
	if got := empty.ratio(); got != 0 {
		t.Errorf("a cell without a wait: ratio %v, want 0 (not measured)", got)
	}
}

// TestBootstrapPairsTheTypes: two types measured on the same customers get
// the same resamples, so identical cells differ by exactly zero.
func TestBootstrapPairsTheTypes(t *testing.T) {
	var b behaviourCells
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 300 {
		cust := string(rune('a'+i%26)) + string(rune('a'+i/26))
		arm := []string{"call", ActionWait}[rng.IntN(2)]
		y := float64(rng.IntN(2))
		for _, a := range []string{"call", "reminder"} {
			o := cellObs{action: a, arm: arm, propensity: 0.5, paid: y, muA: 0.5, muW: 0.3}
			if arm == "call" {
				o.arm = a
			}
			b.add(cust, o)
		}
	}
	reps := b.bootstrap(50, rng)
	if len(reps["call"]) != 50 || len(reps["reminder"]) != 50 {
		t.Fatalf("resamples: %d and %d", len(reps["call"]), len(reps["reminder"]))
	}
	for r := range reps["call"] {
		if reps["call"][r] != reps["reminder"][r] {
			t.Fatalf("resample %d: %v and %v", r, reps["call"][r], reps["reminder"][r])
		}
	}
	lo, hi := percentiles(append([]float64(nil), reps["call"]...))
	c := b.total("call")
	if m := c.ratio(); lo > m || hi < m {
		t.Errorf("interval [%v, %v] leaves out the estimate %v", lo, hi, m)
	}
}

// TestRankingOnASimulatedHistory learns the effects from a simulated
// history and checks the ranking's doubly-robust ratios where they are
// measured: a share of the invoices unpaid under wait, so within [0, 1] up
// to noise, and near the same decisions replayed in the simulator. The
// first doubly-robust ratio came out at 1.6–2.0 for forgetful payers'
// courtesy reminders (truth 0.7).
func TestRankingOnASimulatedHistory(t *testing.T) {
	if testing.Short() {
		t.Skip("simulates 12 months")
	}
	ctx := context.Background()
	s := DefaultScenarios()
	capa := ScaledCapacity(400)
	env, err := synth.NewEnv(synth.EnvConfig{Config: synth.Config{Customers: 400, Months: 13, Seed: 3}, Capacity: capa})
	if err != nil {
		t.Fatal(err)
	}
	end := env.MonthStart(12)
	if err := env.RunUntil(ctx, end, NewScenarioPolicy(s, SimFX(), capa, 0.1, 3^0x10661)); err != nil {
		t.Fatal(err)
	}
	eff, err := LearnEffects(ctx, env.Ledger(), end-1, s, SimFX(), EffectsOptions{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	// Wait records the scenario's planned invoices, so every wait is
	// planned; a random alternative covers its own, some of them not.
	unplanned := 0
	for _, r := range eff.rows {
		if r.arm == ActionWait && !r.planned {
			t.Fatalf("a wait about %s on %s not in the scenario's plan", r.invoice, r.day)
		}
		if !r.planned {
			unplanned++
		}
	}
	if unplanned == 0 {
		t.Error("no decision outside the scenario's plan")
	}
	rows, sum := upliftRanking(eff, env, rand.New(rand.NewPCG(3, 0x4a2c)))
	measured := 0
	for _, r := range rows {
		if r.Taken < minRankingEvidence || r.Waited < minRankingEvidence {
			if r.Measured {
				t.Errorf("%s %s: measured on %d taken and %d waited", r.Behaviour, r.Action, r.Taken, r.Waited)
			}
			continue
		}
		measured++
		if r.DR.Mean < -0.25 || r.DR.Mean > 1.05 || r.DR.Low > r.DR.Mean || r.DR.High < r.DR.Mean {
			t.Errorf("%s %s: DR ratio %.3f [%.3f, %.3f] (%d taken, %d waited)", r.Behaviour, r.Action, r.DR.Mean, r.DR.Low, r.DR.High, r.Taken, r.Waited)
		}
		if math.Abs(r.Replayed-r.PRespond) > 0.1 {
			t.Errorf("%s %s: replayed %.3f, truth %.3f", r.Behaviour, r.Action, r.Replayed, r.PRespond)
		}
	}
	if measured < 4 || sum.Measured == 0 || sum.DRCorrect > sum.Measured || sum.MeasuredCorrect > sum.Measured {
		t.Errorf("%d measured cells; summary %s", measured, sum)
	}
}

// TestBootstrapLeavesOutResamplesWithoutAnArm: when waits are rare (one
// customer in twelve waited) many resamples draw no wait at all. Those
// resamples have no ratio; counting them as 0 put the interval's low end
// at "no effect" although every customer who was called paid and the one
// who waited did not.
func TestBootstrapLeavesOutResamplesWithoutAnArm(t *testing.T) {
	var b behaviourCells
	for i := range 12 {
		cust := string(rune('a' + i))
		o := cellObs{action: "call", arm: "call", propensity: 0.9, paid: 1, muA: 0.6, muW: 0.3}
		if i == 0 {
			o.arm, o.propensity, o.paid = ActionWait, 0.1, 0
		}
		b.add(cust, o)
	}
	reps := b.bootstrap(400, rand.New(rand.NewPCG(3, 4)))["call"]
	nan := 0
	for _, v := range reps {
		if math.IsNaN(v) {
			nan++
		} else if v <= 0 {
			t.Fatalf("a resample with both arms gave ratio %v, want > 0", v)
		}
	}
	// P(no draw of the one waiting customer in 12) = (11/12)^12 ≈ 0.35.
	if nan < 100 || nan > 180 {
		t.Errorf("%d of 400 resamples without a wait, want about 140", nan)
	}
	lo, hi := percentiles(reps)
	if lo <= 0 || hi < lo {
		t.Errorf("interval [%v, %v]: the resamples without a wait must not pull it to 0", lo, hi)
	}
}
