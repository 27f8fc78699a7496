package forecast

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// The speed-ups of stop 30 replace general code by special cases that
// must give the same values bit for bit: each is checked here against the
// code it replaced.

func TestSortObsLikeComparatorSort(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	gen := func(n int, span int32) []obs {
		os := make([]obs, n)
		for i := range os {
			os[i] = obs{x: r.Int32N(span) - span/3, kind: int8(r.IntN(3))}
		}
		return os
	}
	cases := []struct {
		name string
		os   []obs
	}{
		{"empty", nil},
		{"one", []obs{{x: -4, kind: 2}}},
		{"a customer's few, ties", gen(25, 6)},
		{"dense days: counted", gen(5000, 400)},
		{"sparse days: keys", gen(300, 1_000_000)},
		{"extreme days", []obs{{x: math.MaxInt32, kind: 0}, {x: math.MinInt32, kind: 1}, {x: 0, kind: 2}, {x: math.MinInt32, kind: 2}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want := slices.Clone(c.os)
			slices.SortFunc(want, func(a, b obs) int { return cmp.Or(cmp.Compare(a.x, b.x), cmp.Compare(b.kind, a.kind)) })
			got := slices.Clone(c.os)
			sortObs(got)
			if !slices.Equal(got, want) {
				t.Errorf("got %v, want %v", got, want)
			}
		})
	}
}

func TestLargestLikeSort(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, c := range []struct {
		name   string
		n, k   int
		values int // distinct amounts (0: continuous)
	}{
		{"all kept", 10, 10, 0},
		{"continuous", 5000, 1024, 0},
		{"many ties at the cut", 5000, 1024, 7},
		{"one value", 3000, 1024, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			items := make([]simItem, c.n)
			amts := make([]float64, c.n)
			for i := range items {
				a := 1 + 1e6*r.Float64()
				if c.values > 0 {
					a = float64(1 + r.IntN(c.values))
				}
				items[i].amt, amts[i] = a, a
			}
			slices.Sort(amts)
			wantCut := amts[len(amts)-c.k]
			wantAt := 0
			for _, a := range amts[len(amts)-c.k:] {
				if a == wantCut {
					wantAt++
				}
			}
			cut, at := largest(items, c.k)
			if cut != wantCut || at != wantAt {
				t.Errorf("cut %v with %d at it, want %v with %d", cut, at, wantCut, wantAt)
			}
		})
	}
}

func TestSmoothIntoLikeDirectSums(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, k := range []int{0, 1, 2, 3} {
		kern := smoothingKernel(math.Sqrt(float64(k*(k+1)) / 3))
		if len(kern) != 2*k+1 {
			t.Fatalf("kernel of %d for k=%d", len(kern), k)
		}
		// A step function with a few steps and flat stretches.
		steps := make([]float64, 200+2*k)
		v := 0.0
		for i := range steps {
			if r.IntN(9) == 0 {
				v += r.Float64() / 10
			}
			steps[i] = v
		}
		got := make([]float64, 200)
		smoothInto(got, steps, kern)
		for i := range got {
			var s float64
			for d, w := range kern {
				s += w * steps[i+d]
			}
			if got[i] != s {
				t.Fatalf("k=%d day %d: %v, want %v", k, i, got[i], s)
			}
		}
	}
}

func TestModeLikeSorting(t *testing.T) {
	for _, xs := range [][]int{nil, {30}, {30, 30, 30}, {60, 30, 30, 60}, {45, 30, 45, 30, 60}, {-2, -2, 5}} {
		want := slices.Clone(xs)
		slices.Sort(want)
		wv, wc := 0, 0
		for i := 0; i < len(want); {
			j := i
			for j < len(want) && want[j] == want[i] {
				j++
			}
			if j-i > wc {
				wv, wc = want[i], j-i
			}
			i = j
		}
		if v, c := mode(slices.Clone(xs)); v != wv || c != wc {
			t.Errorf("mode(%v) = %d ×%d, want %d ×%d", xs, v, c, wv, wc)
		}
	}
}

func TestBookCustomersCounted(t *testing.T) {
	book := func(ids ...string) *Inputs {
		in := &Inputs{}
		for _, id := range ids {
			in.Book = append(in.Book, Item{CustomerID: id})
		}
		return in
	}
	for _, c := range []struct {
		in   *Inputs
		want int
	}{
		{book(), 0},
		{book("A"), 1},
		{book("A", "A", "B", "C", "C"), 3},
		// Not listed by customer (a book put together from parts): each
		// counts once still.
		{book("B", "A", "B", "C", "A"), 3},
		{book("A", "B", "A"), 2},
	} {
		if got := c.in.customers(); got != c.want {
			t.Errorf("%v: %d customers, want %d", c.in.Book, got, c.want)
		}
	}
}
