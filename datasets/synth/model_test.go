package synth

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestPLateMatchesDraw checks the closed form against the simulator's own
// draw, which is what writes the ledger: for each model the frequency of late
// paths over many draws must match pLate within sampling error.
func TestPLateMatchesDraw(t *testing.T) {
	mix := func(w, m0, s0, m1, s1 float64) [2]component {
		return [2]component{{1 - w, m0, s0}, {w, m1, s1}}
	}
	tests := []struct {
		name string
		m    invoiceModel
	}{
		{"prompt no courtesy", invoiceModel{comps: mix(0.05, -4, 3, 12, 8), eff: &effects[prompt], term: 30}},
		{"forgetful courtesy", invoiceModel{comps: mix(0.45, -2, 3, 40, 12), eff: &effects[forgetful], courtesy: true, term: 30}},
		{"chronic courtesy", invoiceModel{comps: mix(0.1, 15, 7, 45, 15), eff: &effects[chronicLate], courtesy: true, term: 45}},
		{"default hazard from issue", invoiceModel{comps: mix(0.15, 8, 7, 40, 15), eff: &effects[cashStrapped],
			hazard: 1.0 / 60, hazardFrom: -30, term: 30}},
		{"default hazard with courtesy", invoiceModel{comps: mix(0.15, -1, 6, 40, 15), eff: &effects[cashStrapped],
			courtesy: true, hazard: 1.0 / 40, hazardFrom: -60, term: 60}},
		{"distress starts before due", invoiceModel{comps: mix(0.15, -2, 6, 30, 15), eff: &effects[cashStrapped],
			courtesy: true, hazard: 1.0 / 20, hazardFrom: -12, term: 30}},
		{"distress starts after due", invoiceModel{comps: mix(0.15, -2, 6, 30, 15), eff: &effects[cashStrapped],
			hazard: 1.0 / 20, hazardFrom: 5, term: 30}},
		{"disputer", invoiceModel{comps: mix(0.1, 1, 4, 20, 10), eff: &effects[disputer], courtesy: true,
			pDispute: 0.35, disputeMu: math.Log(28), disputeSigma: disputeSigma, term: 30}},
		{"dispute long terms", invoiceModel{comps: mix(0.1, 1, 4, 20, 10), eff: &effects[disputer],
			pDispute: 0.5, disputeMu: math.Log(35), disputeSigma: disputeSigma, term: 61}},
	}
	const draws = 200_000
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := tc.m
			if m.pDispute > 0 {
				m.lateIfDisputed = disputeLate(m.disputeMu, m.disputeSigma, m.term)
			}
			want := m.pLate()
			r := rand.New(rand.NewPCG(7, uint64(i)))
			late := 0
			for range draws {
				tau := math.Inf(1)
				if m.hazard > 0 {
					tau = m.hazardFrom + r.ExpFloat64()/m.hazard
				}
				p := m.draw(r, tau)
				if p.late() {
					late++
				}
			}
			got := float64(late) / draws
			se := math.Sqrt(want * (1 - want) / draws)
			if math.Abs(got-want) > 4*se+1e-4 {
				t.Errorf("late frequency %.5f, pLate %.5f (4 SE = %.5f)", got, want, 4*se)
			}
		})
	}
}

// The courtesy reminder must lower P(late) exactly for customers who react
// to it, and the hazard must raise it.
func TestPLateMechanisms(t *testing.T) {
	base := invoiceModel{comps: [2]component{{0.55, -2, 3}, {0.45, 40, 12}}, eff: &effects[forgetful], term: 30}
	withCourtesy := base
	withCourtesy.courtesy = true
	if a, b := base.pLate(), withCourtesy.pLate(); !(b < a-0.2) {
		t.Errorf("forgetful: courtesy reminder should cut p_late a lot: %.3f -> %.3f", a, b)
	}
	withHazard := base
	withHazard.hazard, withHazard.hazardFrom = 0.01, -30
	if a, b := base.pLate(), withHazard.pLate(); !(b > a) {
		t.Errorf("default hazard should raise p_late: %.3f -> %.3f", a, b)
	}
}

func TestDisputeLateIsMonotoneInTerm(t *testing.T) {
	prev := 1.0
	for term := 30; term <= 91; term++ {
		p := disputeLate(math.Log(25), disputeSigma, term)
		if p > prev+1e-12 || p < 0 || p > 1 {
			t.Fatalf("term %d: P(late|disputed) = %v after %v", term, p, prev)
		}
		prev = p
	}
}

func TestPoissonMean(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, mean := range []float64{0.3, 4, 29, 75} {
		const n = 20000
		sum := 0
		for range n {
			sum += poisson(r, mean)
		}
		got := float64(sum) / n
		if se := math.Sqrt(mean / n); math.Abs(got-mean) > 5*se {
			t.Errorf("poisson(%v): mean %v", mean, got)
		}
	}
}
