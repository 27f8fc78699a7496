package model

import (
	"math"
	"testing"

	"github.com/dsopilot/dsopilot/features"
)

// A bundle's importances are the contributions its reasons sum: each
// feature's mean absolute contribution over the rows, as a share of the
// total, computed here from the classifier's contributions per encoded
// column (the reasons quote them summed per sentence, see
// TestReasonsAreTheLargestFactorsAndQuoteDisputes).
func TestImportanceIsTheReasonsAveraged(t *testing.T) {
	sc, tab, _ := trainedScorer(t)
	var xs []features.Example
	total := map[string]float64{}
	sum := 0.0
	for i := range tab.Rows {
		r := tab.Rows[i]
		mr, err := sc.modelRow(make([]float64, sc.nNum+1), &r)
		if err != nil {
			t.Fatal(err)
		}
		for f, c := range featureContributions(sc, &mr) {
			if c != 0 {
				total[f] += math.Abs(c)
				sum += math.Abs(c)
			}
		}
		xs = append(xs, features.Example{Row: mr})
	}
	imp, err := importance(sc.b, xs)
	if err != nil || len(imp) < 5 {
		t.Fatalf("importance: %v, %d features", err, len(imp))
	}
	if len(imp) != len(total) {
		t.Errorf("%d features carry importance, %d contribute", len(imp), len(total))
	}
	for _, f := range imp {
		if want := total[f.Feature] / sum; math.Abs(f.Share-want) > 1e-9 {
			t.Errorf("%s: importance %.6f, contributions give %.6f", f.Feature, f.Share, want)
		}
	}
}
