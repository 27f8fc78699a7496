package forecast

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
)

// TestSeasonalFactorIsShrunkByItsNoise: the seasonal factor keeps a
// season every customer shows and drops one its own noise explains.
func TestSeasonalFactorIsShrunkByItsNoise(t *testing.T) {
	t0 := datasets.NewDate(2025, 6, 30)
	first := t0.AddDays(-3 * 364)
	// sums builds the sums of customers invoicing invoices of 1,000.00 in
	// Poisson counts of mean base (per 13 weeks) in the base window and
	// base·season[y] in year y's horizon window.
	sums := func(customers int, base float64, season []float64, seed uint64) *seasonSums {
		r := rand.New(rand.NewPCG(seed, 1))
		var s seasonSums
		for range customers {
			for y, f := range season {
				s.addCustomer(y, 100000*int64(poisson(r, base*f)), 100000*int64(poisson(r, base)))
			}
		}
		return &s
	}
	cases := []struct {
		name   string
		s      *seasonSums
		first  datasets.Date
		lo, hi float64
	}{
		{"no season, few invoices: the raw ratio is noise", sums(30, 6, []float64{1}, 1), first, 1, 1},
		{"a strong season every customer shows, two years", sums(200, 20, []float64{1.5, 1.5}, 2), first, 1.4, 1.6},
		{"the same season from one year", sums(200, 20, []float64{1.5}, 3), first, 1.38, 1.62},
		{"two years that disagree", sums(200, 20, []float64{1.4, 1 / 1.4}, 4), first, 0.9, 1.1},
		{"a year too few in the ledger", sums(200, 20, []float64{1.5}, 5), t0.AddDays(-364), 1, 1},
		{"one customer", sums(1, 50, []float64{1.5}, 6), first, 1, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// NaN fails every comparison: the one-customer case read NaN
			// and passed.
			if got := c.s.factor(t0, c.first, 13); math.IsNaN(got) || got < c.lo || got > c.hi {
				t.Errorf("factor %.4f, want %.2f to %.2f", got, c.lo, c.hi)
			}
		})
	}
}

// TestSeasonalFactorOnLedgersWithoutSeason: the simulated ledgers'
// invoicing has no season (a constant monthly rate per customer), so the
// factor should stay near 1; read raw from one year it strayed by 7% on
// average and up to 18%.
func TestSeasonalFactorOnLedgersWithoutSeason(t *testing.T) {
	var sum float64
	n := 0
	for _, c := range []struct {
		customers int
		seed      uint64
	}{{150, 7}, {100, 19}, {80, 61}, {30, 33}} {
		h := NewHistory(simulatedEUR(t, c.customers, 24, c.seed), nil)
		for _, asOf := range []datasets.Date{datasets.NewDate(2024, 4, 30), datasets.NewDate(2024, 6, 30), datasets.NewDate(2024, 9, 30), datasets.NewDate(2024, 12, 31)} {
			_, f := h.runRate(asOf, DefaultWeeks, nil)
			sum += math.Abs(math.Log(f))
			n++
		}
	}
	if m := sum / float64(n); m > 0.04 {
		t.Errorf("the seasonal factor strays from 1 by %.3f on average (log scale) on ledgers without season", m)
	}
}
