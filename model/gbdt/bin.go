package gbdt

import (
	"math"
	"slices"
)

// maxBinSample is the most rows whose values are sorted to place the cut
// points of one feature.
const maxBinSample = 100_000

// binBlock is the number of rows one task bins; fixed so work splits the
// same way whatever the thread count (binning is exact, so it only matters
// for load balance).
const binBlock = 16_384

// missingBin is the bin of NaN values; value bins are 1..n.
const missingBin = 0

// makeCuts returns strictly increasing cut points for one feature: a value v
// falls in value bin 1 + #{c in cuts : c <= v}, so splitting after value bin
// b (left = bins 1..b) is the rule v < cuts[b-1].
//
// With at most maxVal distinct values in the sample, the cuts are the
// midpoints between neighbouring distinct values (every distinct value has
// its own bin); otherwise they are exact quantiles of the sorted sample
// (unweighted), deduplicated.
func makeCuts(vals []float64, maxVal int) []float64 {
	if len(vals) == 0 {
		return nil
	}
	slices.Sort(vals)
	distinct := 1
	for i := 1; i < len(vals); i++ {
		if vals[i] != vals[i-1] {
			distinct++
		}
	}
	if distinct <= maxVal {
		cuts := make([]float64, 0, distinct-1)
		for i := 1; i < len(vals); i++ {
			a, b := vals[i-1], vals[i]
			if a == b {
				continue
			}
			mid := a + (b-a)/2
			if !(mid > a && mid <= b) { // adjacent floats, infinities
				mid = b
			}
			cuts = append(cuts, mid)
		}
		return cuts
	}
	cuts := make([]float64, 0, maxVal-1)
	m := len(vals)
	for j := 1; j < maxVal; j++ {
		c := vals[j*m/maxVal]
		if c <= vals[0] || (len(cuts) > 0 && c <= cuts[len(cuts)-1]) {
			continue
		}
		cuts = append(cuts, c)
	}
	return cuts
}

// binOf returns the bin of v for the given cuts (0 for NaN).
func binOf(cuts []float64, v float64) uint8 {
	if v != v {
		return missingBin
	}
	lo, hi := 0, len(cuts) // first index with cuts[i] > v
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if cuts[mid] <= v {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return uint8(lo + 1)
}

// binned is the training matrix quantised to one byte per value, stored
// column-major.
type binned struct {
	n, nf int
	cols  [][]uint8   // cols[f][row]
	rows  []uint8     // rows[row*nf+f]: the same bins row-major
	cuts  [][]float64 // cuts[f]
	nbins []int       // bins of feature f including the missing bin
	off   []int       // offset of feature f in a flat histogram
	total int         // total histogram length
}

func binData(X [][]float64, nf, maxBins, threads int) *binned {
	n := len(X)
	maxVal := min(maxBins, 255)
	bd := &binned{n: n, nf: nf, cols: make([][]uint8, nf), cuts: make([][]float64, nf),
		nbins: make([]int, nf), off: make([]int, nf)}
	sample := n
	if sample > maxBinSample {
		sample = maxBinSample
	}
	parallelFor(threads, nf, func(f int) {
		vals := make([]float64, 0, sample)
		for i := 0; i < sample; i++ {
			r := i
			if sample < n {
				r = int(int64(i) * int64(n) / int64(sample))
			}
			if v := X[r][f]; !math.IsNaN(v) {
				vals = append(vals, v)
			}
		}
		bd.cuts[f] = makeCuts(vals, maxVal)
		bd.nbins[f] = len(bd.cuts[f]) + 2
		bd.cols[f] = make([]uint8, n)
	})
	for f := 0; f < nf; f++ {
		bd.off[f] = bd.total
		bd.total += bd.nbins[f]
	}
	bd.rows = make([]uint8, n*nf)
	blocks := (n + binBlock - 1) / binBlock
	parallelFor(threads, blocks, func(b int) {
		lo, hi := b*binBlock, min(n, (b+1)*binBlock)
		for r := lo; r < hi; r++ {
			row := X[r]
			out := bd.rows[r*nf : (r+1)*nf]
			for f, v := range row {
				b := binOf(bd.cuts[f], v)
				bd.cols[f][r] = b
				out[f] = b
			}
		}
	})
	return bd
}
