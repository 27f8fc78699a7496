//go:build rankingexp

package recommender

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/dsopilot/dsopilot/datasets/synth"
)

// TestRankingHarness prints the uplift ranking, cell by cell, for the
// training months of `policy evaluate` (the same history and effects as
// its uplift_ranking, without the policies' months):
//
//	DSOPILOT_RANKING_SEEDS=11,12 go test -tags rankingexp ./recommender -run TestRankingHarness -v
//
// It is an experiment, built only with the rankingexp tag: a test that
// skipped itself without the variable made CI fail (a skip is a failure
// there).
//
// DSOPILOT_RANKING_CUSTOMERS (default 1000) and DSOPILOT_RANKING_MONTHS
// (training months, default 12; the environment runs 6 more, as the
// evaluation's default does, so that the history is the evaluation's);
// DSOPILOT_RANKING_META the meta-learners, comma-separated (s, the
// default, t, dr or auto), each learnt on the same history;
// DSOPILOT_RANKING_TREES the trees of the default learner's GBDT (default
// 80); DSOPILOT_RANKING_DR2=logistic regresses the DR-learner's
// pseudo-outcomes with the logistic family instead of the default GBDT.
func TestRankingHarness(t *testing.T) {
	seeds := os.Getenv("DSOPILOT_RANKING_SEEDS")
	if seeds == "" {
		t.Fatal("set DSOPILOT_RANKING_SEEDS (e.g. 11,12)")
	}
	customers, months := 1000, 12
	if v, err := strconv.Atoi(os.Getenv("DSOPILOT_RANKING_CUSTOMERS")); err == nil {
		customers = v
	}
	if v, err := strconv.Atoi(os.Getenv("DSOPILOT_RANKING_MONTHS")); err == nil {
		months = v
	}
	metas := splitComma(os.Getenv("DSOPILOT_RANKING_META"))
	if len(metas) == 0 {
		metas = []string{string(MetaS)}
	}
	for _, f := range splitComma(seeds) {
		seed, _ := strconv.ParseUint(f, 10, 64)
		t0 := time.Now()
		ctx := context.Background()
		s := DefaultScenarios()
		capa := ScaledCapacity(customers)
		env, err := synth.NewEnv(synth.EnvConfig{Config: synth.Config{Customers: customers, Months: months + 6, Seed: seed}, Capacity: capa})
		if err != nil {
			t.Fatal(err)
		}
		end := env.MonthStart(months)
		if err := env.RunUntil(ctx, end, NewScenarioPolicy(s, SimFX(), capa, 0.1, seed^0x10661)); err != nil {
			t.Fatal(err)
		}
		for _, meta := range metas {
			eo := EffectsOptions{Seed: seed, Meta: MetaLearner(meta)}
			if v, err := strconv.Atoi(os.Getenv("DSOPILOT_RANKING_TREES")); err == nil {
				l := DefaultLearner().(GBDTLearner)
				l.Params.Trees = v
				eo.Learner = l
			}
			if os.Getenv("DSOPILOT_RANKING_DR2") == "logistic" {
				eo.DRLearner = LogisticLearner{L2: 1e-3}
			}
			eff, err := LearnEffects(ctx, env.Ledger(), end-1, s, SimFX(), eo)
			if err != nil {
				t.Fatal(err)
			}
			rows, sum := upliftRanking(eff, env, rand.New(rand.NewPCG(seed, 0x4a2c)))
			fmt.Printf("seed %d meta %s (%.0fs): %s\n", seed, meta, time.Since(t0).Seconds(), sum)
			if eff.Choice != nil {
				fmt.Printf("  choice: %+v\n", *eff.Choice)
			}
			printRanking(rows)
			t0 = time.Now()
		}
	}
}

func printRanking(rows []RankingRow) {
	for _, r := range rows {
		fmt.Printf("  %-14s %-18s h=%2d truth %.3f replayed %.3f model %+.3f [%+.3f,%+.3f] dr %+.3f [%+.3f,%+.3f] measured %-5v decisions %d unplanned %d taken %d waited %d\n",
			r.Behaviour, r.Action, r.HorizonDays, r.PRespond, r.Replayed, r.Response, r.Low, r.High, r.DR.Mean, r.DR.Low, r.DR.High,
			r.Measured, r.Situations, r.Unplanned, r.Taken, r.Waited)
	}
}

func splitComma(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			if i > start {
				out = append(out, s[start:i])
			}
			start = i + 1
		}
	}
	return out
}
