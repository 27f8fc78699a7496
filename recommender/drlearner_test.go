package recommender

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// spreadRows is confoundedRows with the decisions spread over customers,
// as the DR-learner's folds and bootstrap are by customer.
func spreadRows(n int, resp map[string]float64, seed uint64, customers int) []decisionRow {
	rows := confoundedRows(n, resp, seed)
	for i := range rows {
		rows[i].customer = fmt.Sprintf("C%03d", i%customers)
		rows[i].invoice = fmt.Sprintf("I%05d", i)
	}
	return rows
}

// responseRatios is each type's mean response ratio over rows,
// Σ uplift / Σ (1 − P̂_w), as the ranking measures it.
func responseRatios(e *Effects, rows []decisionRow, resp map[string]float64) map[string]float64 {
	est := map[string]float64{}
	for a := range resp {
		num, den := 0.0, 0.0
		for i := range rows {
			u := e.UpliftAt(a, rows[i].x)
			num += u.Uplift
			den += 1 - u.PaidWithinWait
		}
		est[a] = num / den
	}
	return est
}

// TestDRLearnerRecoversTypeEffects checks that the DR-learner's mean
// response ratio per type lands near the simulated effect and orders the
// types as they are, and that each uplift carries an interval around it.
func TestDRLearnerRecoversTypeEffects(t *testing.T) {
	resp := map[string]float64{ActionCourtesyReminder: 0.1, ActionReminder: 0.3, ActionCall: 0.5, ActionFinalNotice: 0.7, ActionCollectionAgency: 0.2}
	rows := spreadRows(8000, resp, 4, 400)
	e, err := learnRows(context.Background(), rows, 0, DefaultScenarios(), EffectsOptions{Seed: 1, Bags: 3, Meta: MetaDR}.withDefaults())
	if err != nil {
		t.Fatal(err)
	}
	if e.Meta != MetaDR {
		t.Fatalf("meta %q, want %q", e.Meta, MetaDR)
	}
	est := responseRatios(e, rows, resp)
	for a, want := range resp {
		if math.Abs(est[a]-want) > 0.12 {
			t.Errorf("%s: estimated response %.3f, simulated %.3f", a, est[a], want)
		}
		for b, wb := range resp {
			if want > wb+0.15 && est[a] <= est[b] {
				t.Errorf("%s (simulated %.2f) estimated %.3f, not above %s (simulated %.2f) at %.3f", a, want, est[a], b, wb, est[b])
			}
		}
	}
	u := e.UpliftAt(ActionCall, rows[0].x)
	if !(u.Low < u.Uplift && u.Uplift < u.High) {
		t.Errorf("call's uplift %.3f outside its interval [%.3f, %.3f]: the bags did not vary", u.Uplift, u.Low, u.High)
	}
}

// TestDRModelFlatMatchesRows checks that the DR-learner's flat prediction
// gives each row what Predict gives it, and that wait's is the S-learner's.
func TestDRModelFlatMatchesRows(t *testing.T) {
	resp := map[string]float64{ActionReminder: 0.3, ActionCall: 0.5}
	rows := spreadRows(3000, resp, 9, 150)
	e, err := learnRows(context.Background(), rows, 0, DefaultScenarios(), EffectsOptions{Seed: 2, Bags: 2, Meta: MetaDR}.withDefaults())
	if err != nil {
		t.Fatal(err)
	}
	stride := len(e.Features) + len(e.Arms)
	var X []float64
	for i := range 40 {
		X = append(X, e.armInput(rows[i].x, e.Arms[i%len(e.Arms)], nil)...)
	}
	for k := range curveDays {
		for b, m := range e.models[k] {
			d, ok := m.(drModel)
			if !ok {
				t.Fatalf("curve point %d bag %d: %T, want a drModel", k, b, m)
			}
			out := make([]float64, len(X)/stride)
			m.PredictFlat(X, stride, out)
			for r, got := range out {
				row := X[r*stride : (r+1)*stride]
				if want := m.Predict(row); math.Abs(got-want) > 1e-12 {
					t.Errorf("curve point %d bag %d row %d: flat %.6f, row by row %.6f", k, b, r, got, want)
				}
				if r%len(e.Arms) == 0 {
					if want := d.base.Predict(row); math.Abs(got-want) > 1e-12 {
						t.Errorf("curve point %d bag %d row %d: wait %.6f, the S-learner's %.6f", k, b, r, got, want)
					}
				}
			}
		}
	}
}

// TestPseudoOutcomesAreCrossFitted checks that a decision's pseudo-outcome
// never uses a model trained on it: flipping the outcomes of one fold's
// decisions leaves that fold's outcome-model uplifts (μ_a − μ_w) unchanged,
// and changes the other fold's.
func TestPseudoOutcomesAreCrossFitted(t *testing.T) {
	resp := map[string]float64{ActionReminder: 0.3, ActionCall: 0.5}
	rows := spreadRows(3000, resp, 5, 150)
	o := EffectsOptions{Seed: 3}.withDefaults()
	fits := func(rows []decisionRow) (map[int]float64, map[int]int) {
		e := &Effects{Arms: append([]string{ActionWait}, DefaultScenarios().ActionTypes()...), Features: featureNames(), rows: rows}
		idx := make([]int, len(rows))
		for i := range idx {
			idx[i] = i
		}
		ps, fold, err := e.pseudoOutcomes(context.Background(), idx, 1, o, rand.New(rand.NewPCG(1, 1)), 1, 0)
		if err != nil {
			t.Fatal(err)
		}
		out := map[int]float64{}
		for _, p := range ps[3] { // a call
			out[p.row] = p.fit
		}
		return out, fold
	}
	before, fold := fits(rows)
	flipped := make([]decisionRow, len(rows))
	copy(flipped, rows)
	for i := range flipped {
		if fold[i] == 0 {
			for k := range flipped[i].paid {
				flipped[i].paid[k] = 1 - flipped[i].paid[k]
			}
		}
	}
	after, _ := fits(flipped)
	if len(before) == 0 {
		t.Fatal("no pseudo-outcomes for calls")
	}
	changed := [2]int{}
	for i, v := range before {
		if after[i] != v {
			changed[fold[i]]++
		}
	}
	if changed[0] != 0 {
		t.Errorf("%d fold-0 decisions' outcome model changed when fold 0's own outcomes were flipped", changed[0])
	}
	if changed[1] == 0 {
		t.Error("no fold-1 decision's outcome model changed when fold 0's outcomes, its training data, were flipped")
	}
}

// TestMetaAutoChoice checks the held-out rule: with an outcome model too
// penalised to see any effect (a logistic regression of L2 1000 finds
// every type's uplift near 0 against simulated responses of 0.5 and 0.7),
// the DR-learner's pseudo-outcomes, corrected by the logged propensities,
// beat it by more than a standard error and it is chosen; with the
// default outcome model and no effect at all, there is nothing for the
// DR-learner to correct, and the S-learner is kept and reproduced exactly.
func TestMetaAutoChoice(t *testing.T) {
	strong := map[string]float64{ActionCall: 0.5, ActionFinalNotice: 0.7}
	rows := spreadRows(6000, strong, 6, 300)
	blind := LogisticLearner{L2: 1000}
	e, err := learnRows(context.Background(), rows, 0, DefaultScenarios(), EffectsOptions{Seed: 4, Bags: 2, Meta: MetaAuto, Learner: blind}.withDefaults())
	if err != nil {
		t.Fatal(err)
	}
	c := e.Choice
	if c == nil || c.Chosen != MetaDR || e.Meta != MetaDR {
		t.Fatalf("blind outcome model: choice %+v, want the DR-learner", c)
	}
	if math.Abs(c.Gain-(c.LossS-c.LossDR)) > 1e-9 || c.Gain < c.GainSE {
		t.Errorf("choice %+v: gain is not LossS − LossDR, or below its standard error", c)
	}
	dr, err := learnRows(context.Background(), rows, 0, DefaultScenarios(), EffectsOptions{Seed: 4, Bags: 2, Meta: MetaDR, Learner: blind}.withDefaults())
	if err != nil {
		t.Fatal(err)
	}
	if dr.Choice == nil || *dr.Choice != *c {
		t.Errorf("MetaDR records choice %+v, MetaAuto made %+v", dr.Choice, c)
	}
	for i := 0; i < len(rows); i += 97 {
		if ua, ud := e.UpliftAt(ActionCall, rows[i].x), dr.UpliftAt(ActionCall, rows[i].x); ua != ud {
			t.Fatalf("row %d: auto chose the DR-learner but estimates %+v, MetaDR %+v", i, ua, ud)
		}
	}

	none := map[string]float64{}
	rows = spreadRows(6000, none, 7, 300)
	auto, err := learnRows(context.Background(), rows, 0, DefaultScenarios(), EffectsOptions{Seed: 5, Bags: 2, Meta: MetaAuto}.withDefaults())
	if err != nil {
		t.Fatal(err)
	}
	if auto.Choice == nil || auto.Choice.Chosen != MetaS {
		t.Fatalf("no effect: choice %+v, want the S-learner kept", auto.Choice)
	}
	s, err := learnRows(context.Background(), rows, 0, DefaultScenarios(), EffectsOptions{Seed: 5, Bags: 2}.withDefaults())
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range auto.Arms[1:] {
		for i := 0; i < len(rows); i += 97 {
			if ua, us := auto.UpliftAt(a, rows[i].x), s.UpliftAt(a, rows[i].x); ua != us {
				t.Fatalf("%s row %d: auto kept the S-learner but estimates %+v, the S-learner %+v", a, i, ua, us)
			}
		}
	}
	if auto.ATE[ActionCall] != s.ATE[ActionCall] {
		t.Errorf("auto kept the S-learner but its ATE %+v differs from the S-learner's %+v", auto.ATE[ActionCall], s.ATE[ActionCall])
	}
}
