package model

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/dsopilot/dsopilot/features"
)

// FeatureWeight is a feature's share of a model's total attribution.
type FeatureWeight struct {
	Feature string  `json:"feature"`
	Share   float64 `json:"share"`
}

// maxImportanceRows bounds the held-out rows the importance is measured on.
const maxImportanceRows = 5000

// importance measures each feature's mean absolute contribution to the late
// model's margin over (up to maxImportanceRows evenly spaced) held-out
// rows: the same additive contributions the reasons quote, summed per
// feature, so the global picture and the per-invoice reasons agree.
func importance(b *Bundle, valid []features.Example) ([]FeatureWeight, error) {
	if len(valid) == 0 {
		return nil, nil
	}
	if b.Late == nil {
		return nil, fmt.Errorf("importance: the bundle has no late-payment model")
	}
	if err := b.Late.load(); err != nil {
		return nil, fmt.Errorf("importance: %w", err)
	}
	cols := b.Encoder.columnSources(b.Late.Family)
	colFeature, names := featuresOf(cols)
	total := make([]float64, len(names))
	per := make([]float64, len(names))
	contrib := make([]float64, len(cols))
	step := max(1, (len(valid)+maxImportanceRows-1)/maxImportanceRows)
	var x []float64
	for i := 0; i < len(valid); i += step {
		x = b.Encoder.encode(b.Late.Family, x[:0], &valid[i].Row)
		b.Late.Contributions(x, contrib)
		clear(per)
		for j, c := range contrib {
			per[colFeature[j]] += c
		}
		for k, v := range per {
			total[k] += math.Abs(v)
		}
	}
	sum := 0.0
	for _, v := range total {
		sum += v
	}
	if sum == 0 {
		return nil, nil
	}
	out := make([]FeatureWeight, 0, len(names))
	for k, v := range total {
		if v > 0 {
			out = append(out, FeatureWeight{Feature: names[k], Share: v / sum})
		}
	}
	slices.SortFunc(out, func(a, b FeatureWeight) int {
		return cmp.Or(cmp.Compare(b.Share, a.Share), cmp.Compare(a.Feature, b.Feature))
	})
	return out, nil
}
