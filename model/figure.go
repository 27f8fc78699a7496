package model

import (
	"encoding/json"
	"math"
	"strconv"
)

// Figure is a metric that a test set can leave undefined: the AUC of
// invoices all late or all on time (as a small cold-start group often
// is) is NaN. JSON, which cannot carry NaN, has it as null; null reads
// back as NaN, not as 0.
type Figure float64

// Defined reports whether f has a value.
func (f Figure) Defined() bool { return !math.IsNaN(float64(f)) && !math.IsInf(float64(f), 0) }

// MarshalJSON writes an undefined figure as null.
func (f Figure) MarshalJSON() ([]byte, error) {
	if !f.Defined() {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, float64(f), 'g', -1, 64), nil
}

// UnmarshalJSON reads null as NaN.
func (f *Figure) UnmarshalJSON(b []byte) error {
	var p *float64
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*f = Figure(math.NaN())
	if p != nil {
		*f = Figure(*p)
	}
	return nil
}
