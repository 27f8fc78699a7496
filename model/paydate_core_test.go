package model

import (
	"slices"
	"testing"

	"github.com/dsopilot/dsopilot/features"
)

// The pay-date hazard reads the catalogue's compact set by its flag
// (features.Spec.Core), so that a feature the catalogue adds to the set,
// as the open book's overdue share and amount-weighted days overdue, is
// read without naming it here.
func TestPayDateEncoderReadsTheCompactSet(t *testing.T) {
	specs := features.InvoiceSpecs(features.Options{})
	var want []string
	n := 0
	for _, s := range specs {
		if s.Kind == features.Numeric {
			n++
			if s.Core {
				want = append(want, s.Name)
			}
		}
	}
	rows := []features.Row{{Num: make([]float64, n), Cat: make([]string, len(specs)-n)}}
	enc, err := payDateEncoder(specs, rows)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(enc.Numeric, want) {
		t.Errorf("pay-date encoder reads %v, want the compact set %v", enc.Numeric, want)
	}
	for _, name := range []string{"overdue_share", "overdue_days_weighted", "oldest_overdue_days", "late_ratio_365d"} {
		if !slices.Contains(enc.Numeric, name) {
			t.Errorf("pay-date encoder does not read %s", name)
		}
	}
}
