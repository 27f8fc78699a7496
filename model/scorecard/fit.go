package scorecard

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/dsopilot/dsopilot/model/linear"
)

// Sentinel errors. Returned errors wrap one of these (test with errors.Is)
// and name the operation and the offending value.
var (
	// ErrNoData: X has no rows or no columns.
	ErrNoData = errors.New("no data")
	// ErrLength: slice lengths disagree (rows of X, y, names, x and y).
	ErrLength = errors.New("length mismatch")
	// ErrLabel: a label is not 0 or 1.
	ErrLabel = errors.New("label not 0 or 1")
	// ErrOneClass: y contains a single class, so there is nothing to learn.
	ErrOneClass = errors.New("y has a single class")
	// ErrOption: an Options or ChiMerge field is out of range.
	ErrOption = errors.New("invalid option")
)

// Defaults of Options. See Options for why.
const (
	DefaultL2          = 1e-3
	DefaultMinBinShare = 0.02
	DefaultBasePoints  = 600
	DefaultBaseOdds    = 50
	DefaultPDO         = 20
)

// smoothing is the number of pseudo-rows added to every bin, split between
// bad and good in the overall proportion. It keeps WOE finite for empty and
// one-class bins and pulls small bins towards WOE 0 (no evidence) rather
// than towards the prior odds, which plain add-½ smoothing would do.
const smoothing = 1.0

// maxBins bounds the number of bins per feature so bin indices fit in a
// uint16 during Fit (ChiMerge produces a handful; this only guards against
// a custom Binner gone wild).
const maxBins = math.MaxUint16 - 1

// Drop reasons recorded in Feature.Dropped.
const (
	ReasonAllMissing = "all values missing"
	ReasonConstant   = "constant"
	ReasonSingleBin  = "single bin: no significant split"
)

// Options configures Fit. Zero fields take the defaults.
type Options struct {
	// Binner finds the cut points of every column. Default: ChiMerge with
	// its defaults and Seed.
	Binner Binner
	// L2 is the ridge strength of the logistic fit on the WOE values, on
	// linear's scale (standardised coefficients, mean loss). Default 1e-3:
	// WOE columns are already on the log-odds scale, so only a light ridge
	// is wanted, enough to keep coefficients finite when two features carry
	// the same information. Use a tiny positive value for an essentially
	// unpenalised fit.
	L2 float64
	// MinBinShare: bins holding fewer than this share of all rows are
	// merged with the neighbour whose bad rate is most alike, because the
	// WOE of a tiny bin is noise. Default 0.02, in [0, 0.5). The missing
	// bin has no neighbour and is never merged.
	MinBinShare float64
	// Seed seeds the default Binner's row sample.
	Seed uint64
	// BasePoints, BaseOdds, PDO define classic points scaling: BasePoints
	// points at good:bad odds of BaseOdds:1, and PDO more points every time
	// the odds double. Defaults 600, 50 and 20.
	BasePoints, BaseOdds, PDO float64
}

func (o Options) withDefaults() (Options, error) {
	if o.Binner == nil {
		o.Binner = ChiMerge{Seed: o.Seed}
	}
	if o.L2 == 0 {
		o.L2 = DefaultL2
	}
	if o.MinBinShare == 0 {
		o.MinBinShare = DefaultMinBinShare
	}
	if o.BasePoints == 0 {
		o.BasePoints = DefaultBasePoints
	}
	if o.BaseOdds == 0 {
		o.BaseOdds = DefaultBaseOdds
	}
	if o.PDO == 0 {
		o.PDO = DefaultPDO
	}
	switch {
	case !(o.L2 > 0) || math.IsInf(o.L2, 0):
		return o, fmt.Errorf("%w: L2 = %v", ErrOption, o.L2)
	case !(o.MinBinShare > 0 && o.MinBinShare < 0.5):
		return o, fmt.Errorf("%w: MinBinShare = %v, want in [0, 0.5)", ErrOption, o.MinBinShare)
	case !(o.BaseOdds > 0) || math.IsInf(o.BaseOdds, 0):
		return o, fmt.Errorf("%w: BaseOdds = %v, want > 0", ErrOption, o.BaseOdds)
	case !(o.PDO > 0) || math.IsInf(o.PDO, 0):
		return o, fmt.Errorf("%w: PDO = %v, want > 0", ErrOption, o.PDO)
	case math.IsNaN(o.BasePoints) || math.IsInf(o.BasePoints, 0):
		return o, fmt.Errorf("%w: BasePoints = %v", ErrOption, o.BasePoints)
	}
	return o, nil
}

// column is the per-column state of Fit between binning and the logistic
// fit: the feature description and the bin of every row (len(Bins) for a
// missing value).
type column struct {
	feat Feature
	bins []uint16
}

// Fit learns a scorecard from the rows of X (names[j] is the name of column
// j; nil names become "x0", "x1", …) and labels y (1 = bad/late, 0 = good).
//
// For every column it finds cut points with o.Binner on the non-missing
// rows, adds a missing bin when the column has NaN, merges bins smaller
// than o.MinBinShare of the rows into their most alike neighbour, and
// computes each bin's smoothed WOE on all rows. Columns left with a single
// bin carry no information and are dropped, with the reason in
// Feature.Dropped. A logistic regression (model/linear) is then fitted on
// the WOE values of the kept columns, and bins are given points.
//
// WOE is computed on the same rows the regression is fitted on, as is
// usual for scorecards; MinBinShare is what keeps that from overfitting.
//
// Errors wrap ErrNoData (no rows or columns), ErrLength (ragged X, len(y)
// or len(names) wrong), ErrLabel, ErrOneClass, ErrOption or the
// context's error. The result is deterministic: the same inputs and options
// give the same Scorecard, and the same JSON bytes, for any GOMAXPROCS.
func Fit(ctx context.Context, X [][]float64, y []float64, names []string, o Options) (*Scorecard, error) {
	const op = "scorecard: fit"
	o, err := o.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	n, p, nBad, err := checkInput(X, y, names)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	if names == nil {
		names = make([]string, p)
		for j := range names {
			names[j] = fmt.Sprintf("x%d", j)
		}
	}

	cols := make([]column, p)
	errs := make([]error, p)
	minCount := o.MinBinShare * float64(n)
	forEach(ctx, p, func(j int, scratch *[]float64) {
		x := (*scratch)[:0]
		for _, row := range X {
			x = append(x, row[j])
		}
		*scratch = x
		cols[j], errs[j] = fitColumn(ctx, names[j], x, y, nBad, minCount, o.Binner)
	})
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	for j, e := range errs {
		if e != nil {
			return nil, fmt.Errorf("%s: column %d (%s): %w", op, j, names[j], e)
		}
	}

	var kept []int
	for j := range cols {
		if cols[j].feat.Dropped == "" {
			kept = append(kept, j)
		}
	}
	Z := woeMatrix(cols, kept, n)
	m, err := linear.TrainLogistic(ctx, Z, y, nil, linear.Options{L2: o.L2, MaxIter: 200, Tol: 1e-5})
	if err != nil {
		return nil, fmt.Errorf("%s: logistic fit: %w", op, err)
	}

	s := &Scorecard{
		Features:  make([]Feature, p),
		Intercept: m.Intercept,
		Scaling:   newScaling(o.BasePoints, o.BaseOdds, o.PDO),
	}
	for j := range cols {
		s.Features[j] = cols[j].feat
	}
	for k, j := range kept {
		s.Features[j].Coef = m.Coef[k]
		s.Features[j].MeanWOE = m.Means[k]
	}
	s.assignPoints()
	return s, nil
}

// checkInput validates X, y and names and returns the number of rows,
// columns and bad rows.
func checkInput(X [][]float64, y []float64, names []string) (n, p, nBad int, err error) {
	n = len(X)
	if n == 0 {
		return 0, 0, 0, fmt.Errorf("%w: X has no rows", ErrNoData)
	}
	p = len(X[0])
	if p == 0 {
		return 0, 0, 0, fmt.Errorf("%w: X has no columns", ErrNoData)
	}
	if len(y) != n {
		return 0, 0, 0, fmt.Errorf("%w: len(y) = %d, len(X) = %d", ErrLength, len(y), n)
	}
	if names != nil && len(names) != p {
		return 0, 0, 0, fmt.Errorf("%w: len(names) = %d, X has %d columns", ErrLength, len(names), p)
	}
	for i, row := range X {
		if len(row) != p {
			return 0, 0, 0, fmt.Errorf("%w: row %d has %d columns, want %d", ErrLength, i, len(row), p)
		}
	}
	for i, v := range y {
		switch v {
		case 1:
			nBad++
		case 0:
		default:
			return 0, 0, 0, fmt.Errorf("%w: y[%d] = %v", ErrLabel, i, v)
		}
	}
	if nBad == 0 || nBad == n {
		return 0, 0, 0, fmt.Errorf("%w: %d of %d rows are bad", ErrOneClass, nBad, n)
	}
	return n, p, nBad, nil
}

// forEach calls fn(j, scratch) for j in [0, n) on GOMAXPROCS goroutines;
// scratch is a buffer private to the goroutine that fn may grow. It stops
// handing out work once ctx is done. Results do not depend on scheduling as
// long as fn(j) writes only to slot j.
func forEach(ctx context.Context, n int, fn func(j int, scratch *[]float64)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), n) {
		wg.Go(func() {
			var scratch []float64
			for {
				j := int(next.Add(1)) - 1
				if j >= n || ctx.Err() != nil {
					return
				}
				fn(j, &scratch)
			}
		})
	}
	wg.Wait()
}

// fitColumn bins one column, merges small bins, computes WOE and decides
// whether the column is dropped. x is a scratch copy of the column.
func fitColumn(ctx context.Context, name string, x, y []float64, nBad int, minCount float64, b Binner) (column, error) {
	n := len(x)
	col := column{feat: Feature{Name: name}}
	nMissing := 0
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range x {
		if math.IsNaN(v) {
			nMissing++
			continue
		}
		lo, hi = min(lo, v), max(hi, v)
	}

	var cuts []float64
	if nMissing < n && lo < hi {
		c, err := b.Cuts(ctx, x, y)
		if err != nil {
			return col, fmt.Errorf("binning: %w", err)
		}
		cuts = cleanCuts(c)
		if len(cuts) >= maxBins {
			return col, fmt.Errorf("binning: %w: %d cuts, at most %d supported", ErrOption, len(cuts), maxBins-1)
		}
	}

	// Count every row into its bin; bins[i] = len(cuts)+1 marks missing.
	nb := len(cuts) + 1
	bad := make([]float64, nb+1)
	cnt := make([]float64, nb+1)
	col.bins = make([]uint16, n)
	for i, v := range x {
		k := nb
		if !math.IsNaN(v) {
			k = search(cuts, v)
		}
		col.bins[i] = uint16(k)
		cnt[k]++
		bad[k] += y[i]
	}

	// Merge small value bins; the missing bin (last slot) stays as it is.
	// Here an interval's lo and hi hold the first and last original bin
	// index it covers.
	ivs := make([]interval, nb)
	for k := range ivs {
		ivs[k] = interval{lo: float64(k), hi: float64(k), bad: bad[k], good: cnt[k] - bad[k]}
	}
	ivs = mergeSmall(ivs, minCount)
	if len(ivs) < nb {
		// Interval k now spans old bins lo..hi; the cut below it survives.
		remap := make([]uint16, nb+1)
		newCuts := make([]float64, 0, len(ivs)-1)
		for k, iv := range ivs {
			if k > 0 {
				newCuts = append(newCuts, cuts[int(iv.lo)-1])
			}
			for old := int(iv.lo); old <= int(iv.hi); old++ {
				remap[old] = uint16(k)
			}
		}
		remap[nb] = uint16(len(ivs))
		for i, k := range col.bins {
			col.bins[i] = remap[k]
		}
		missBad, missCnt := bad[nb], cnt[nb]
		cuts = newCuts
		nb = len(ivs)
		bad, cnt = make([]float64, nb+1), make([]float64, nb+1)
		for k, iv := range ivs {
			bad[k], cnt[k] = iv.bad, iv.bad+iv.good
		}
		bad[nb], cnt[nb] = missBad, missCnt
	}

	f := &col.feat
	f.Cuts = cuts
	// A missing bin smaller than the smallest bin allowed would overfit as
	// a value bin would (three bad rows of 150,000 gave it a WOE of 2.6):
	// its rows then get WOE 0, as an unseen NaN does.
	keepMissing := nMissing > 0 && (float64(nMissing) >= minCount || nMissing == n)
	total := nb
	if keepMissing {
		total++
	}
	prior := float64(nBad) / float64(n)
	mBad, mGood := smoothing*prior, smoothing*(1-prior)
	sumBad := float64(nBad) + mBad*float64(total)
	sumGood := float64(n-nBad) + mGood*float64(total)
	mk := func(k int) Bin {
		b := Bin{Count: int(cnt[k]), Bad: int(bad[k])}
		if cnt[k] > 0 {
			b.BadRate = bad[k] / cnt[k]
		}
		b.WOE = math.Log((bad[k]+mBad)/sumBad) - math.Log((cnt[k]-bad[k]+mGood)/sumGood)
		return b
	}
	f.Bins = make([]Bin, nb)
	for k := range f.Bins {
		f.Bins[k] = mk(k)
		f.Bins[k].Lower, f.Bins[k].Upper = math.Inf(-1), math.Inf(1)
		if k > 0 {
			f.Bins[k].Lower = cuts[k-1]
		}
		if k < len(cuts) {
			f.Bins[k].Upper = cuts[k]
		}
	}
	if keepMissing {
		mb := mk(nb)
		mb.Missing = true
		mb.Lower, mb.Upper = math.NaN(), math.NaN()
		f.Missing = &mb
	}

	switch {
	case nMissing == n:
		f.Dropped = ReasonAllMissing
	case total > 1:
	case lo == hi:
		f.Dropped = ReasonConstant
	default:
		f.Dropped = ReasonSingleBin
	}
	if f.Dropped != "" {
		col.bins = nil
	}
	return col, nil
}

// cleanCuts returns the finite cuts sorted and de-duplicated; a Binner's
// infinite or NaN cuts would make empty bins or unencodable JSON.
func cleanCuts(c []float64) []float64 {
	out := make([]float64, 0, len(c))
	for _, v := range c {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// mergeSmall merges, smallest first, every interval with fewer than
// minCount rows into the neighbour whose class mix is most alike (smaller
// chi²; the left one on ties), until none is left or one interval remains.
func mergeSmall(ivs []interval, minCount float64) []interval {
	for len(ivs) > 1 {
		k, kn := -1, math.Inf(1)
		for i, iv := range ivs {
			if c := iv.bad + iv.good; c < minCount && c < kn {
				k, kn = i, c
			}
		}
		if k < 0 {
			break
		}
		left := k > 0 && (k == len(ivs)-1 || chi2(ivs[k-1], ivs[k]) <= chi2(ivs[k], ivs[k+1]))
		if left {
			k--
		}
		ivs[k] = mergeTwo(ivs[k], ivs[k+1])
		ivs = slices.Delete(ivs, k+1, k+2)
	}
	return ivs
}

// woeMatrix returns the n × len(kept) matrix of WOE values of the kept
// columns, backed by one allocation.
func woeMatrix(cols []column, kept []int, n int) [][]float64 {
	k := len(kept)
	back := make([]float64, n*k)
	Z := make([][]float64, n)
	for i := range Z {
		Z[i] = back[i*k : (i+1)*k : (i+1)*k]
	}
	if k == 0 {
		return Z
	}
	// Per column, WOE by bin index with the missing bin last (WOE 0 if the
	// column had no missing values, though then the slot is never used).
	tabs := make([][]float64, k)
	for c, j := range kept {
		f := &cols[j].feat
		t := make([]float64, len(f.Bins)+1)
		for b := range f.Bins {
			t[b] = f.Bins[b].WOE
		}
		if f.Missing != nil {
			t[len(f.Bins)] = f.Missing.WOE
		}
		tabs[c] = t
	}
	// Fill by blocks of rows so each goroutine writes whole rows.
	const block = 4096
	forEach(context.Background(), (n+block-1)/block, func(blk int, _ *[]float64) {
		for i := blk * block; i < min(n, (blk+1)*block); i++ {
			row := Z[i]
			for c, t := range tabs {
				row[c] = t[cols[kept[c]].bins[i]]
			}
		}
	})
	return Z
}
