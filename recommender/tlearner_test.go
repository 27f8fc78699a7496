package recommender

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// confoundedRows simulates logged decisions whose true effects are known:
// each type a gets a share resp[a] of the invoices that waiting leaves
// unpaid paid, P_a = P_w + (1 − P_w)·resp[a]; P_w falls with days past due,
// and the logging policy's planned type depends on days past due too (a
// call at 15–35 days), so that a naive comparison of arms is confounded.
// 10% of the decisions are drawn uniformly from every arm, wait included,
// with the propensity recorded.
func confoundedRows(n int, resp map[string]float64, seed uint64) []decisionRow {
	rng := rand.New(rand.NewPCG(seed, 7))
	arms := []string{ActionWait, ActionCourtesyReminder, ActionReminder, ActionCall, ActionFinalNotice, ActionCollectionAgency}
	nf := len(featureNames())
	rows := make([]decisionRow, n)
	for i := range rows {
		dpd := -5 + rng.Float64()*65
		late := rng.Float64()
		x := make([]float64, nf)
		x[0], x[1] = dpd, late
		planned := ActionFinalNotice
		switch {
		case dpd < 0:
			planned = ActionCourtesyReminder
		case dpd < 15:
			planned = ActionReminder
		case dpd < 35:
			planned = ActionCall
		}
		arm := planned
		if rng.Float64() < 0.1 {
			arm = arms[rng.IntN(len(arms))]
		}
		prop := 0.1 / float64(len(arms))
		if arm == planned {
			prop += 0.9
		}
		pw := 0.7 - dpd/150 - 0.3*late
		p := pw + (1-pw)*resp[arm]
		paid := int8(0)
		if rng.Float64() < p {
			paid = 1
		}
		r := decisionRow{customer: "c", invoice: "i", arm: arm, propensity: prop, x: x, feasible: arms, allowed: arms[1:], planned: true}
		for k := range r.paid {
			r.paid[k] = paid
		}
		rows[i] = r
	}
	return rows
}

// TestTLearnerRecoversTypeEffects checks that the T-learner's mean response
// ratio per type, (P̂_a − P̂_w) / (1 − P̂_w) over the logged decisions,
// lands near the effect the rows were simulated with and orders the types
// as they do.
func TestTLearnerRecoversTypeEffects(t *testing.T) {
	resp := map[string]float64{ActionCourtesyReminder: 0.1, ActionReminder: 0.3, ActionCall: 0.5, ActionFinalNotice: 0.7, ActionCollectionAgency: 0.2}
	rows := confoundedRows(6000, resp, 4)
	e, err := learnRows(context.Background(), rows, 0, DefaultScenarios(), EffectsOptions{Seed: 1, Bags: 3, Meta: MetaT}.withDefaults())
	if err != nil {
		t.Fatal(err)
	}
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
	for a, want := range resp {
		if math.Abs(est[a]-want) > 0.12 {
			t.Errorf("%s: estimated response %.3f, simulated %.3f", a, est[a], want)
		}
		for b, wb := range resp {
			if want > wb+0.05 && est[a] <= est[b] {
				t.Errorf("%s (simulated %.2f) estimated %.3f, not above %s (simulated %.2f) at %.3f", a, want, est[a], b, wb, est[b])
			}
		}
	}
}

// TestTModelFlatMatchesRows checks that the T-learner's flat prediction,
// which groups rows by arm, gives each row what its own arm's model says.
func TestTModelFlatMatchesRows(t *testing.T) {
	resp := map[string]float64{ActionReminder: 0.3, ActionCall: 0.5}
	rows := confoundedRows(3000, resp, 9)
	e, err := learnRows(context.Background(), rows, 0, DefaultScenarios(), EffectsOptions{Seed: 2, Bags: 2, Meta: MetaT}.withDefaults())
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
			if _, ok := m.(tModel); !ok {
				t.Fatalf("curve point %d bag %d: %T, want a tModel", k, b, m)
			}
			out := make([]float64, len(X)/stride)
			m.PredictFlat(X, stride, out)
			for r, got := range out {
				if want := m.Predict(X[r*stride : (r+1)*stride]); math.Abs(got-want) > 1e-12 {
					t.Errorf("curve point %d bag %d row %d: flat %.6f, row by row %.6f", k, b, r, got, want)
				}
			}
		}
	}
}

func TestUnknownMetaLearner(t *testing.T) {
	rows := confoundedRows(500, map[string]float64{ActionCall: 0.5}, 3)
	_, err := learnRows(context.Background(), rows, 0, DefaultScenarios(), EffectsOptions{Seed: 1, Meta: "x"}.withDefaults())
	if err == nil {
		t.Fatal("unknown meta-learner accepted")
	}
	if errors.Is(err, ErrNoRandomisation) {
		t.Fatalf("unknown meta-learner reported as missing randomisation: %v", err)
	}
}
