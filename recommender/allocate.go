package recommender

import (
	"cmp"
	"slices"
)

// option is one possible action for one customer: its value and what it
// uses of each limited resource (a channel's contacts, a collector's
// contacts, the day's budget).
type option struct {
	value float64
	uses  []use
}

type use struct {
	res int
	amt float64
}

// allocate chooses at most one option per customer to maximise the total
// value under the resources' capacities (a multiple-choice knapsack). It
// prices the resources first (Lagrange multipliers found by bisection, a
// few rounds over the resources), lets each customer pick the option of
// best value net of those prices, then walks the picks by net value
// ("value density") and keeps each that still fits, falling back to the
// customer's next best option that fits; leftover capacity goes to the
// best remaining options by plain value. It returns the chosen option per
// customer, -1 for none. A test holds it near the LP optimum.
func allocate(opts [][]option, capacity []float64) []int {
	price := make([]float64, len(capacity))
	hi := 0.0
	for _, os := range opts {
		for _, o := range os {
			hi = max(hi, o.value)
		}
	}
	usage := make([]float64, len(capacity))
	demand := func() {
		clear(usage)
		for _, os := range opts {
			if k := bestNet(os, price); k >= 0 {
				for _, u := range os[k].uses {
					usage[u.res] += u.amt
				}
			}
		}
	}
	for round := 0; round < 3; round++ {
		for r := range capacity {
			demand()
			if usage[r] <= capacity[r] && (price[r] == 0 || round > 0) {
				continue
			}
			lo, top := 0.0, hi+1
			for range 30 {
				price[r] = (lo + top) / 2
				demand()
				if usage[r] > capacity[r] {
					lo = price[r]
				} else {
					top = price[r]
				}
			}
			price[r] = top
		}
	}
	// Keep picks in order of net value while they fit.
	left := slices.Clone(capacity)
	choice := make([]int, len(opts))
	order := make([]int, 0, len(opts))
	for c := range opts {
		choice[c] = -1
		if bestNet(opts[c], price) >= 0 {
			order = append(order, c)
		}
	}
	net := func(c int) float64 { return netValue(opts[c][bestNet(opts[c], price)], price) }
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(net(b), net(a)) })
	for _, c := range order {
		ranked := rankBy(opts[c], func(o option) float64 { return netValue(o, price) })
		for _, k := range ranked {
			if opts[c][k].value > 0 && fits(opts[c][k], left) {
				take(opts[c][k], left)
				choice[c] = k
				break
			}
		}
	}
	// Fill what is left by plain value.
	type pick struct{ c, k int }
	var rest []pick
	for c := range opts {
		if choice[c] >= 0 {
			continue
		}
		for k, o := range opts[c] {
			if o.value > 0 {
				rest = append(rest, pick{c, k})
			}
		}
	}
	slices.SortStableFunc(rest, func(a, b pick) int { return cmp.Compare(opts[b.c][b.k].value, opts[a.c][a.k].value) })
	for _, p := range rest {
		if choice[p.c] < 0 && fits(opts[p.c][p.k], left) {
			take(opts[p.c][p.k], left)
			choice[p.c] = p.k
		}
	}
	return choice
}

func netValue(o option, price []float64) float64 {
	v := o.value
	for _, u := range o.uses {
		v -= price[u.res] * u.amt
	}
	return v
}

// bestNet is the option of highest positive net value, -1 when none.
func bestNet(os []option, price []float64) int {
	best, bv := -1, 0.0
	for k, o := range os {
		if o.value <= 0 {
			continue
		}
		if v := netValue(o, price); v > bv {
			best, bv = k, v
		}
	}
	return best
}

func rankBy(os []option, f func(option) float64) []int {
	idx := make([]int, len(os))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(f(os[b]), f(os[a])) })
	return idx
}

func fits(o option, left []float64) bool {
	for _, u := range o.uses {
		if left[u.res] < u.amt-1e-9 {
			return false
		}
	}
	return true
}

func take(o option, left []float64) {
	for _, u := range o.uses {
		left[u.res] -= u.amt
	}
}
