package forecast

import (
	"math"
	"math/rand/v2"
	"testing"
)

// randomItems builds n invoices of nc customers with random curves.
func randomItems(n, nc, weeks int, seed uint64) ([]simItem, []float64) {
	r := rand.New(rand.NewPCG(seed, 1))
	items := make([]simItem, n)
	mean := make([]float64, weeks)
	for i := range items {
		amt := math.Exp(8 + 1.5*r.NormFloat64())
		q := make([]float64, weeks)
		left := 0.2 + 0.8*r.Float64()
		for k := range q {
			q[k] = left * r.Float64() * 0.5
			left -= q[k]
		}
		thr := make([]float64, weeks)
		c := 0.0
		for k := range q {
			c += q[k]
			thr[k] = probit(c)
			mean[k] += amt * q[k]
		}
		items[i] = simItem{amt: amt, thr: thr, cust: int32(r.IntN(nc)), pWeek: -1}
	}
	return items, mean
}

func TestSimulatedPathsAverageToTheExpectedReceipts(t *testing.T) {
	const W, P = 13, 4000
	for _, c := range []struct {
		name  string
		n, nc int
		s     Shocks
	}{
		{"explicit, independent", 500, 50, Shocks{}},
		{"explicit, factors", 500, 50, Shocks{Customer: 0.3, Portfolio: 0.1, Week: 0.8}},
		{"tiers, independent", 20000, 3000, Shocks{}},
		{"tiers, factors", 20000, 3000, Shocks{Customer: 0.3, Portfolio: 0.1, Week: 0.8}},
		{"explicit, level", 500, 50, Shocks{Customer: 0.3, Portfolio: 0.1, Week: 0.8, Level: 0.05}},
		{"tiers, level", 20000, 3000, Shocks{Customer: 0.3, Portfolio: 0.1, Week: 0.8, Level: 0.05}},
	} {
		t.Run(c.name, func(t *testing.T) {
			items, mean := randomItems(c.n, c.nc, W, 7)
			scale := make([]float64, W)
			for k := range scale {
				scale[k] = c.s.Week
			}
			e := newEngine(items, W, c.s, scale)
			draws := newDraws(3, P, W)
			out := make([]float64, P*W)
			e.run(3, 1, draws, out)
			for k := range W {
				var s, s2 float64
				for p := range P {
					x := out[p*W+k]
					s += x
					s2 += x * x
				}
				got := s / P
				// Four standard errors of the paths' mean, plus 1% for the
				// approximations of the tiers.
				se := math.Sqrt(max(s2/P-got*got, 0) / P)
				if math.Abs(got-mean[k]) > 4*se+0.01*mean[k] {
					t.Errorf("week %d: paths average %.0f ± %.0f, expected %.0f", k+1, got, se, mean[k])
				}
			}
		})
	}
}

// The collection-level factor adds its own spread to the horizon's total:
// with no other shock, the total's relative standard deviation grows from
// the invoices' luck alone to about √(luck² + Level²).
func TestLevelWidensTheHorizonTotal(t *testing.T) {
	const W, P = 13, 4000
	items, _ := randomItems(20000, 3000, W, 11)
	relSD := func(level float64) float64 {
		e := newEngine(items, W, Shocks{Level: level}, make([]float64, W))
		out := make([]float64, P*W)
		e.run(5, 1, newDraws(5, P, W), out)
		var s, s2 float64
		for p := range P {
			var tot float64
			for _, x := range out[p*W : (p+1)*W] {
				tot += x
			}
			s += tot
			s2 += tot * tot
		}
		m := s / P
		return math.Sqrt(max(s2/P-m*m, 0)) / m
	}
	for _, level := range []float64{0.01, 0.03, 0.1} {
		base, got := relSD(0), relSD(level)
		want := math.Hypot(base, level)
		if math.Abs(got-want) > 0.1*want {
			t.Errorf("level %v: total's relative sd %.4f, want about %.4f (%.4f without it)", level, got, want, base)
		}
	}
}

func TestProbitInvertsPhi(t *testing.T) {
	for _, p := range []float64{1e-12, 1e-6, 0.001, 0.02, 0.02425, 0.1, 0.3, 0.5, 0.7, 0.9, 0.97576, 0.999, 1 - 1e-9} {
		if got := phi(probit(p)); math.Abs(got-p) > 1e-9*math.Max(p, 1e-3) && math.Abs(got-p)/p > 1e-8 {
			t.Errorf("Φ(probit(%g)) = %g", p, got)
		}
	}
	if probit(0) != -probitCap || probit(1) != probitCap {
		t.Errorf("probit(0), probit(1) = %v, %v", probit(0), probit(1))
	}
}

func TestBivariateNormal(t *testing.T) {
	b := newBivariate()
	for _, c := range []struct{ h, k, rho, want, tol float64 }{
		// Φ₂(0, 0; ρ) = 1/4 + asin(ρ)/(2π).
		{0, 0, 0, 0.25, 1e-12},
		{0, 0, 0.5, 0.25 + math.Asin(0.5)/(2*math.Pi), 1e-9},
		{0, 0, 0.9, 0.25 + math.Asin(0.9)/(2*math.Pi), 1e-9},
		// Independence, and nearly perfect dependence: about Φ(min).
		{1, -0.5, 0, phi(1) * phi(-0.5), 1e-12},
		{1.2, 0.3, 0.999, phi(0.3), 2e-3},
	} {
		if got := b.cdf(c.h, c.k, c.rho); math.Abs(got-c.want) > c.tol {
			t.Errorf("Φ₂(%v, %v; %v) = %.9f, want %.9f", c.h, c.k, c.rho, got, c.want)
		}
	}
}
