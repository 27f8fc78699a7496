package forecast

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
)

// consistent reports what is wrong with a band of receipts that are never
// negative: its percentiles out of order, or a mean below the
// 0.4·P50 + 0.1·P90 that such percentiles imply (the paths at or above
// the median are at least P50, the top tenth at least P90).
func consistent(b Band) error {
	if b.P10 < 0 || b.P10 > b.P50 || b.P50 > b.P90 {
		return fmt.Errorf("percentiles out of order or negative: %+v", b)
	}
	if lb := 0.4*float64(b.P50) + 0.1*float64(b.P90); float64(b.Mean) < lb-1 {
		return fmt.Errorf("mean %s below the %.0f cents its percentiles imply: %+v", b.Mean, lb, b)
	}
	return nil
}

// The README's case: week 1 of this ledger's new business read mean
// 227.06, P50 258.37, P90 4,104.61 when each path drew a normal clipped
// at zero. Fails on that code; the bands of every week, of the whole and
// of each segment, must describe a distribution with the mean reported.
func TestNewBusinessBandsHoldTheirMean(t *testing.T) {
	ctx := context.Background()
	h := NewHistory(simulatedEUR(t, 200, 24, 61), nil)
	res, err := Forecast(ctx, h, nil, Options{AsOf: d(2024, 12, 31), Paths: 1000, Seed: 1, By: BySegment})
	if err != nil {
		t.Fatal(err)
	}
	if res.NewBusiness.Customers < 100 || res.Weeks[0].New.Mean <= 0 {
		t.Fatalf("too little new business to test: %d customers, week 1 %+v", res.NewBusiness.Customers, res.Weeks[0].New)
	}
	check := func(name string, weeks []Week, total Horizon) {
		for k, w := range weeks {
			if err := consistent(w.New); err != nil {
				t.Errorf("%s week %d: %v", name, k+1, err)
			}
		}
		if err := consistent(total.New); err != nil {
			t.Errorf("%s 13 weeks: %v", name, err)
		}
	}
	check("portfolio", res.Weeks, res.Total)
	for _, g := range res.Groups {
		check("segment "+g.Key, g.Weeks, g.Total)
	}
}

// newTestPart builds new business of nc customers with amounts in cents
// and expected counts per week rising from almost none (week 1, before
// new invoices fall due) to a few.
func newTestPart(nc, weeks int, seed uint64) *newPart {
	r := rand.New(rand.NewPCG(seed, 3))
	p := &newPart{mean: make([]float64, weeks)}
	for c := range nc {
		amts := make([]int64, 1+r.IntN(12))
		for i := range amts {
			amts[i] = int64(math.Exp(9 + 0.7*r.NormFloat64()))
		}
		m := make([]float64, weeks)
		var ea float64
		for _, a := range amts {
			ea += float64(a)
		}
		ea /= float64(len(amts))
		for k := range m {
			m[k] = ea * float64(len(amts)) / 13 * min(float64(k*k)/16, 1) * (0.5 + r.Float64())
			if k == 0 {
				m[k] = ea * 0.02 * r.Float64()
			}
		}
		rt := rate{amts: amts}
		nc := rt.newCust(fmt.Sprintf("C%05d", c), m)
		if c%3 == 0 {
			// Early payments: small, in the first weeks.
			e := &newCust{id: nc.id, amts: []int64{int64(ea / 10), int64(ea / 4)}, count: make([]float64, weeks)}
			e.moments()
			e.count[0], e.count[1] = 0.05, 0.1
			nc.early = e
			for k := range m {
				m[k] += e.count[k] * e.ea
			}
		}
		p.add(newPart{mean: m, custs: []*newCust{nc}})
	}
	return p
}

// The simulated paths average to the expected receipts, spread as the
// count and amount laws say (with the volume factors off: Σ count·E[a²]
// for the invoices' and early payments' own luck plus Σ mean²/n for the
// customers' factors), and hold their bands consistent; drawn customer by
// customer and, past newAllExplicit customers, with most of them pooled.
func TestSimulatedNewBusinessAveragesToItsMean(t *testing.T) {
	const W = 6
	// A rare invoice's weeks are heavy-tailed: their spread needs many
	// paths to measure.
	for _, c := range []struct{ nc, P int }{{1, 100_000}, {40, 20_000}, {newAllExplicit + 900, 3000}} {
		nc, P := c.nc, c.P
		t.Run(fmt.Sprint(nc, " customers"), func(t *testing.T) {
			p := newTestPart(nc, W, uint64(nc))
			vol := newVolume(7, P, W, 0, 0)
			out := make([]float64, P*W)
			simulateNew(9, 1, vol, p, W, out)
			for k := range W {
				col := make([]float64, P)
				var s, s2 float64
				n := float64(P)
				for i := range P {
					x := out[i*W+k]
					col[i] = x
					s += x
					s2 += x * x
					if x < 0 || x != math.Round(x) {
						t.Fatalf("week %d path %d: %v is not whole cents ≥ 0", k+1, i, x)
					}
				}
				got := s / n
				sd := math.Sqrt(max(s2/n-got*got, 0))
				if math.Abs(got-p.mean[k]) > 4.5*sd/math.Sqrt(n)+1e-9 {
					t.Errorf("week %d: paths average %.0f ± %.0f, expected %.0f", k+1, got, sd/math.Sqrt(n), p.mean[k])
				}
				var v float64
				for _, c := range p.custs {
					v += c.variance(k)
				}
				if want := math.Sqrt(v); math.Abs(sd-want) > 0.1*want {
					t.Errorf("week %d: paths' sd %.0f, want %.0f", k+1, sd, want)
				}
				if err := consistent(band(p.mean[k], col)); err != nil {
					t.Errorf("week %d: %v", k+1, err)
				}
			}
		})
	}
}

// A week in which one of a customer's invoices comes in one time in four
// has its P90 at that invoice, not at nothing (the scaled Poisson draw
// tried before put P90 at 0 in such weeks), and a week in which none is
// expected has nothing in any path.
func TestAnUnlikelyInvoiceShowsInTheTopBand(t *testing.T) {
	const P = 4000
	c := &newCust{id: "A", amts: []int64{500_00, 500_00, 500_00, 500_00, 500_00, 500_00, 500_00, 500_00}, count: []float64{0, 0.3}, ea: 500_00, ea2: 500_00 * 500_00, n: 8}
	p := &newPart{mean: []float64{0, 0.3 * 500_00}, custs: []*newCust{c}}
	out := make([]float64, P*2)
	simulateNew(3, 1, newVolume(5, P, 2, 0.1, 0.2), p, 2, out)
	w1, w2 := make([]float64, P), make([]float64, P)
	for i := range P {
		w1[i], w2[i] = out[2*i], out[2*i+1]
	}
	if b := band(0, w1); b.P90 != 0 || slices.Max(w1) != 0 {
		t.Errorf("week 1 expects nothing, got %+v, max %v", b, slices.Max(w1))
	}
	b := band(p.mean[1], w2)
	if b.P50 != 0 || b.P90 != 500_00 {
		t.Errorf("week 2: %+v, want P50 0 and P90 500.00", b)
	}
}

func TestPoissonAndGammaDraws(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const n = 200_000
	for _, lam := range []float64{0.01, 0.5, 3, 9.99, 10, 47, 1000} {
		var s, s2 float64
		for range n {
			x := float64(poisson(r, lam))
			s += x
			s2 += x * x
		}
		m := s / n
		v := s2/n - m*m
		if math.Abs(m-lam) > 5*math.Sqrt(lam/n) || math.Abs(v-lam) > 0.03*lam+5*math.Sqrt(2*lam*lam/n) {
			t.Errorf("Poisson(%g): mean %.4f, variance %.4f", lam, m, v)
		}
	}
	for _, a := range []float64{1, 3, 30} {
		var s, s2 float64
		for range n {
			x := gammaDraw(r, a)
			s += x
			s2 += x * x
		}
		m := s / n
		v := s2/n - m*m
		if math.Abs(m-a) > 5*math.Sqrt(a/n) || math.Abs(v-a) > 0.03*a {
			t.Errorf("Gamma(%g): mean %.4f, variance %.4f", a, m, v)
		}
	}
}

// A customer that pays a tenth of each invoice 5 days after issue and the
// rest 30 days after its due date: its new invoices bring nothing by
// settlement within two weeks, but their deposits do. earlyPays finds
// them (and not the settling payments), and new business expects them in
// its first weeks, takes their share off the settlements, and keeps the
// horizon's expectation where it was.
func TestEarlyPaymentsOfNewBusiness(t *testing.T) {
	l := &datasets.Ledger{Customers: []datasets.Customer{{ID: "A", Currency: "EUR"}}}
	for i := range 40 {
		issue := d(2023, 7, 3).AddDays(7 * i)
		due := issue.AddDays(30)
		id := fmt.Sprintf("A%02d", i)
		settled := due.AddDays(30)
		l.Invoices = append(l.Invoices, datasets.Invoice{ID: id, CustomerID: "A", IssueDate: issue, DueDate: due, SettledDate: settled, Amount: 1000_00, Currency: "EUR"})
		l.Payments = append(l.Payments,
			datasets.Payment{ID: id + "d", CustomerID: "A", InvoiceID: id, Date: issue.AddDays(5), Amount: 100_00, Currency: "EUR"},
			datasets.Payment{ID: id + "s", CustomerID: "A", InvoiceID: id, Date: settled, Amount: 900_00, Currency: "EUR"})
	}
	h := NewHistory(l, nil)
	asOf := d(2024, 3, 31)
	lags, amts, seen, share := h.earlyPays(0, asOf)
	if seen == 0 || len(lags) != seen || slices.ContainsFunc(lags, func(x int32) bool { return x != 5 }) || slices.ContainsFunc(amts, func(a int64) bool { return a != 100_00 }) || !near(share, 0.1, 1e-12) {
		t.Fatalf("early payments: lags %v, amounts %v of %d invoices, share %v", lags, amts, seen, share)
	}
	nb := h.NewBusiness(asOf, 13)
	pa, _ := nb.customer("A")
	c := pa.custs[0]
	if c.early == nil || nb.total.mean[0] <= 0 || nb.total.mean[1] <= 0 {
		t.Fatalf("no early payments in the first weeks: %v", nb.total.mean)
	}
	// Week 2 (days 8–14): the deposits of invoices issued on days 3–9, 13
	// invoices in 91 days each bringing one of 100.00.
	if got, want := nb.total.mean[1], 7*(13.0/91)*100_00; !near(got, want, 1) {
		t.Errorf("week 2 expects %.0f cents of deposits, want %.0f", got, want)
	}
	var main, early float64
	for k := range 13 {
		main += c.count[k] * c.ea
		early += c.early.count[k] * c.early.ea
	}
	if early <= 0 || main <= 0 {
		t.Fatalf("main %.0f, early %.0f", main, early)
	}
	p := &newPart{mean: nb.total.mean, custs: []*newCust{c}}
	const P = 2000
	out := make([]float64, P*13)
	simulateNew(1, 1, newVolume(2, P, 13, 0.1, 0.1), p, 13, out)
	col := make([]float64, P)
	for i := range P {
		col[i] = out[i*13+1]
	}
	if b := band(p.mean[1], col); b.P90 <= 0 || consistent(b) != nil {
		t.Errorf("week 2 of deposits: %+v", b)
	}
}
