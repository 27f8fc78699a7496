package synth

import (
	"math"
	"math/rand/v2"
)

// Purposes of a customer's random streams. The profile stream draws the
// latent parameters and the monthly invoice counts, and nothing else, so that
// the invoice numbering pass can replay it cheaply; the event stream draws
// everything else.
const (
	streamProfile uint64 = 1
	streamEvents  uint64 = 2
)

// stream returns the random stream for one purpose of one customer. Hashing
// (seed, customer, purpose) through SplitMix64 gives unrelated PCG states, so
// customers can be simulated in any order on any number of goroutines.
func stream(seed uint64, customer int, purpose uint64) *rand.Rand {
	k := splitmix(seed ^ splitmix(uint64(customer)+0x632be59bd9b4e019))
	k = splitmix(k ^ purpose*0x9e3779b97f4a7c15)
	return rand.New(rand.NewPCG(k, splitmix(k)))
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// poisson draws a Poisson count. Knuth's product method is exact and cheap
// for the small means used here; larger means are split into a sum of
// independent Poisson draws, which is again Poisson.
func poisson(r *rand.Rand, mean float64) int {
	n := 0
	for mean > 30 {
		n += poissonSmall(r, 30)
		mean -= 30
	}
	return n + poissonSmall(r, mean)
}

func poissonSmall(r *rand.Rand, mean float64) int {
	if mean <= 0 {
		return 0
	}
	limit := math.Exp(-mean)
	k := 0
	for p := r.Float64(); p > limit; p *= r.Float64() {
		k++
	}
	return k
}

// intIn draws uniformly from [lo, hi].
func intIn(r *rand.Rand, lo, hi int) int {
	if hi <= lo {
		return lo
	}
	return lo + r.IntN(hi-lo+1)
}
