// Package model trains and serves dsopilot's payment models: the
// probability that an invoice is paid late (and very late, and ends 90+ days
// overdue or written off), and when it will be paid, with honest time-split
// evaluation, calibration, reason codes and a versioned registry.
package model

import (
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/dsopilot/dsopilot/features"
)

// Encoder turns feature rows into numeric vectors. Trees see numeric
// features raw, missing as NaN; the linear model sees them imputed with the
// training mean, heavy-tailed money amounts log-scaled, with an indicator
// column for each feature that was ever missing. Categorical features are
// one-hot over the levels seen in training (rare ones pooled as "other").
type Encoder struct {
	Numeric     []string            `json:"numeric"`
	Categorical []string            `json:"categorical"`
	Levels      map[string][]string `json:"levels"`
	Means       []float64           `json:"means"`       // training means of the (log-scaled) numeric features
	HasMissing  []bool              `json:"has_missing"` // per numeric feature
	LogScaled   []bool              `json:"log_scaled"`
	// Keep, when set, selects the numeric feature positions this encoder
	// reads from a full feature row (a compact encoder for one model).
	Keep []int `json:"keep,omitempty"`
}

// maxLevels bounds the one-hot width of a categorical feature.
const maxLevels = 30

func signedLog(v float64) float64 {
	if v < 0 {
		return -math.Log1p(-v)
	}
	return math.Log1p(v)
}

// FitEncoder learns the encoding from training rows.
func FitEncoder(specs []features.Spec, rows []features.Row) (*Encoder, error) {
	if len(rows) == 0 {
		return nil, fmt.Errorf("fit encoder: no rows")
	}
	e := &Encoder{Levels: map[string][]string{}}
	for _, s := range specs {
		if s.Kind == features.Numeric {
			e.Numeric = append(e.Numeric, s.Name)
			// Amounts span orders of magnitude: the linear model reads
			// them on a log scale.
			e.LogScaled = append(e.LogScaled, s.Unit == features.Money)
		} else {
			e.Categorical = append(e.Categorical, s.Name)
		}
	}
	e.Means = make([]float64, len(e.Numeric))
	e.HasMissing = make([]bool, len(e.Numeric))
	counts := make([]int, len(e.Numeric))
	for _, r := range rows {
		for j, v := range r.Num {
			if math.IsNaN(v) {
				e.HasMissing[j] = true
				continue
			}
			if e.LogScaled[j] {
				v = signedLog(v)
			}
			e.Means[j] += v
			counts[j]++
		}
	}
	for j := range e.Means {
		if counts[j] > 0 {
			e.Means[j] /= float64(counts[j])
		}
	}
	for k, name := range e.Categorical {
		freq := map[string]int{}
		for _, r := range rows {
			freq[r.Cat[k]]++
		}
		levels := make([]string, 0, len(freq))
		for l := range freq {
			levels = append(levels, l)
		}
		// Most frequent first, ties by name, so the encoding is deterministic.
		sort.Slice(levels, func(a, b int) bool {
			if freq[levels[a]] != freq[levels[b]] {
				return freq[levels[a]] > freq[levels[b]]
			}
			return levels[a] < levels[b]
		})
		if len(levels) > maxLevels {
			levels = levels[:maxLevels]
		}
		slices.Sort(levels)
		e.Levels[name] = levels
	}
	return e, nil
}

// TreeColumns names the columns of EncodeTree.
func (e *Encoder) TreeColumns() []string {
	cols := append([]string(nil), e.Numeric...)
	for _, c := range e.Categorical {
		for _, l := range e.Levels[c] {
			cols = append(cols, c+"="+l)
		}
		cols = append(cols, c+"=other")
	}
	return cols
}

// LinearColumns names the columns of EncodeLinear.
func (e *Encoder) LinearColumns() []string {
	var cols []string
	for j, n := range e.Numeric {
		if e.LogScaled[j] {
			cols = append(cols, "log("+n+")")
		} else {
			cols = append(cols, n)
		}
	}
	for j, n := range e.Numeric {
		if e.HasMissing[j] {
			cols = append(cols, n+" missing")
		}
	}
	for _, c := range e.Categorical {
		for _, l := range e.Levels[c] {
			cols = append(cols, c+"="+l)
		}
		cols = append(cols, c+"=other")
	}
	return cols
}

func (e *Encoder) oneHot(dst []float64, r *features.Row) []float64 {
	for k, c := range e.Categorical {
		levels := e.Levels[c]
		i, found := slices.BinarySearch(levels, r.Cat[k])
		for j := range levels {
			dst = append(dst, b2f(found && j == i))
		}
		dst = append(dst, b2f(!found))
	}
	return dst
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// EncodeTree appends the tree encoding of r to dst.
func (e *Encoder) EncodeTree(dst []float64, r *features.Row) []float64 {
	dst = append(dst, r.Num...)
	return e.oneHot(dst, r)
}

// EncodeLinear appends the linear encoding of r to dst. It does not
// allocate when dst has room.
func (e *Encoder) EncodeLinear(dst []float64, r *features.Row) []float64 {
	num := func(j int) float64 {
		if e.Keep != nil {
			return r.Num[e.Keep[j]]
		}
		return r.Num[j]
	}
	for j := range e.Numeric {
		v := num(j)
		switch {
		case math.IsNaN(v):
			v = e.Means[j]
		case e.LogScaled[j]:
			v = signedLog(v)
		}
		dst = append(dst, v)
	}
	for j := range e.Numeric {
		if e.HasMissing[j] {
			dst = append(dst, b2f(math.IsNaN(num(j))))
		}
	}
	if e.Keep != nil {
		// A compact encoder reads numeric features only.
		return dst
	}
	return e.oneHot(dst, r)
}

// columnSources names, for every column of the encoding family reads, the
// feature it comes from, in column order: reasons and importances sum the
// columns' contributions per feature with it.
func (e *Encoder) columnSources(family string) []string {
	out := append([]string(nil), e.Numeric...)
	if !treeEncoded(family) {
		for j, n := range e.Numeric {
			if e.HasMissing[j] {
				out = append(out, n)
			}
		}
		if e.Keep != nil {
			return out
		}
	}
	for _, c := range e.Categorical {
		for range e.Levels[c] {
			out = append(out, c)
		}
		out = append(out, c) // other
	}
	return out
}

// check reports an encoder that cannot encode rows of the feature specs
// (numeric names nums, categorical names cats): parts of different lengths,
// positions out of range, unsorted levels or other feature names than the
// rows carry.
func (e *Encoder) check(nums, cats []string) error {
	n := len(e.Numeric)
	if len(e.Means) != n || len(e.HasMissing) != n || len(e.LogScaled) != n {
		return fmt.Errorf("%w: %d numeric features with %d means, %d missing flags and %d scale flags", ErrBadBundle, n, len(e.Means), len(e.HasMissing), len(e.LogScaled))
	}
	if e.Keep != nil {
		if len(e.Keep) != n || len(e.Categorical) != 0 {
			return fmt.Errorf("%w: a compact encoder keeps %d positions for %d features", ErrBadBundle, len(e.Keep), n)
		}
		for j, k := range e.Keep {
			if k < 0 || k >= len(nums) || nums[k] != e.Numeric[j] {
				return fmt.Errorf("%w: feature %s is kept at position %d of %d numeric features", ErrBadBundle, e.Numeric[j], k, len(nums))
			}
		}
		return nil
	}
	if !slices.Equal(e.Numeric, nums) || !slices.Equal(e.Categorical, cats) {
		return fmt.Errorf("%w: it reads %d numeric and %d categorical features, the rows have %d and %d (or other ones): score with the feature options the model was trained with",
			ErrBadBundle, len(e.Numeric), len(e.Categorical), len(nums), len(cats))
	}
	for _, c := range e.Categorical {
		if !slices.IsSorted(e.Levels[c]) {
			return fmt.Errorf("%w: levels of %s are not sorted", ErrBadBundle, c)
		}
	}
	return nil
}
