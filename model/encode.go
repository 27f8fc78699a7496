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
	"strings"

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

// moneyLike reports whether a feature is an amount whose scale spans orders
// of magnitude, which the linear model reads better on a log scale.
func moneyLike(name string) bool {
	for _, k := range []string{"amount", "aging_", "unallocated", "credit_limit", "outstanding"} {
		if strings.Contains(name, k) && !strings.Contains(name, "ratio") && !strings.Contains(name, "vs_usual") {
			return true
		}
	}
	return false
}

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
			e.LogScaled = append(e.LogScaled, moneyLike(s.Name))
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
