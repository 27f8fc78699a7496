package forecast

import (
	"math"
	"slices"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
)

func repeat(n int, xs ...int32) []int32 {
	var out []int32
	for _, x := range xs {
		for range n {
			out = append(out, x)
		}
	}
	return out
}

func TestBandwidth(t *testing.T) {
	for _, c := range []struct {
		name string
		paid []int32
		want float64
	}{
		{"no record", nil, maxBandwidth},
		{"nine invoices: too few to measure", []int32{-5, -4, -3, -2, -1, 0, 1, 2, 3}, maxBandwidth},
		{"ten paid on the same day", repeat(10, 4), 0},
		// sd 1.00791, IQR 2 (1.4925 of a normal's): (4/64)^(1/3)·1.00791.
		{"64 a day either side", repeat(32, -1, 1), 0.399987468},
		// sd 24.4 from four very late payments; the IQR of 4 decides:
		// 0.39685·4/1.34.
		{"quartiles, not the outliers", append(repeat(20, -2, 0, 2), 100, 100, 100, 100), 1.184627651},
		// 0..9: sd 3.0277, (4/10)^(1/3)·3.0277 = 2.23, capped.
		{"ten scattered: capped", []int32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, maxBandwidth},
		// seven days, nine invoices each: sd 2.01606, (4/63)^(1/3)·sd.
		{"a week's habit", slices.Sorted(slices.Values(repeat(9, -8, -7, -6, -5, -4, -3, -2))), 0.804286735},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := bandwidth(c.paid); !near(got, c.want, 1e-8) {
				t.Errorf("bandwidth = %.9f, want %.9f", got, c.want)
			}
		})
	}
}

func TestSmoothingKernel(t *testing.T) {
	for _, c := range []struct {
		sigma float64
		width int // 2k+1
	}{
		{0, 1}, {0.4, 1}, {0.5, 3}, {0.8, 3}, {1.18, 5}, {1.41, 5}, {1.7, 5}, {1.8, 7}, {maxBandwidth, 7},
	} {
		w := smoothingKernel(c.sigma)
		if len(w) != c.width {
			t.Errorf("sigma %.2f: %d weights, want %d", c.sigma, len(w), c.width)
			continue
		}
		var s float64
		for _, x := range w {
			s += x
			if !near(x, w[0], 1e-15) {
				t.Errorf("sigma %.2f: weights %v not equal", c.sigma, w)
			}
		}
		if !near(s, 1, 1e-12) {
			t.Errorf("sigma %.2f: weights sum to %v", c.sigma, s)
		}
	}
}

// A customer with 63 invoices paid evenly 8 to 2 days before their due
// dates has an invoice due 30 days after the as-of date: week 4 (days
// 22–28) is exactly its habit. Its record is long and tight, so it is
// smoothed by one day either way (bandwidth 0.80): 19/21 of the invoice
// in week 4, 1/21 either side. The fixed ±3 days put only 37/49 there.
func TestTimingSmoothingNarrowsForALongTightRecord(t *testing.T) {
	d := datasets.NewDate
	var l datasets.Ledger
	for i := range 63 {
		issue := d(2023, 7, 10).AddDays(5 * i)
		due := issue.AddDays(30)
		l.Invoices = append(l.Invoices, datasets.Invoice{ID: "I" + string(rune('A'+i/26)) + string(rune('a'+i%26)), CustomerID: "A",
			IssueDate: issue, DueDate: due, SettledDate: due.AddDays(-8 + i%7), Amount: 100_00})
	}
	l.Invoices = append(l.Invoices, datasets.Invoice{ID: "OPEN", CustomerID: "A", IssueDate: d(2024, 6, 20), DueDate: d(2024, 7, 30), Amount: 100_00})
	tm := NewHistory(&l, nil).Timing(d(2024, 6, 30))
	q := make([]float64, 6)
	tm.Weekly("A", d(2024, 7, 30), q)
	want := []float64{0, 0, 1.0 / 21, 19.0 / 21, 1.0 / 21, 0}
	for k := range q {
		if !near(q[k], want[k], 1e-9) {
			t.Fatalf("weekly probabilities %v, want %v", q, want)
		}
	}
	if old := 37.0 / 49; q[3] <= old {
		t.Errorf("week 4 %.3f, no better than the fixed smoothing's %.3f", q[3], old)
	}
	if math.Abs(q[2]-q[4]) > 1e-12 {
		t.Errorf("the smoothing is not symmetric: %v", q)
	}
}
