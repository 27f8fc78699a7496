package scorecard

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
)

// Scorecard is a fitted scorecard. Its exported fields are the whole model:
// it round-trips through encoding/json, and the same Fit inputs give the
// same JSON bytes. It is safe for concurrent use.
//
//	Margin(x) = Intercept + Σ_j Features[j].Coef · WOE_j(x_j)
type Scorecard struct {
	// Features has one entry per input column, in column order, including
	// dropped columns (Coef 0, Dropped set).
	Features  []Feature `json:"features"`
	Intercept float64   `json:"intercept"`
	Scaling   Scaling   `json:"scaling"`
}

// Feature is the binning and coefficient of one input column.
type Feature struct {
	Name string `json:"name"`
	// Dropped is empty for a used column, else why it was dropped
	// (ReasonAllMissing, ReasonConstant, ReasonSingleBin).
	Dropped string `json:"dropped,omitempty"`
	// Coef multiplies the WOE of the column's bin in the margin.
	Coef float64 `json:"coef"`
	// MeanWOE is the training mean of the column's WOE: the reference
	// point of Contributions.
	MeanWOE float64 `json:"mean_woe"`
	// Cuts are the ascending cut points; bin i is [Cuts[i-1], Cuts[i]).
	Cuts []float64 `json:"cuts"`
	// Bins has len(Cuts)+1 entries.
	Bins []Bin `json:"bins"`
	// Missing is the bin of NaN values, nil if the column had none in
	// training (then an unseen NaN gets WOE 0).
	Missing *Bin `json:"missing,omitempty"`
}

// Bin is one bin of a feature with its training statistics and points.
type Bin struct {
	// Lower and Upper bound the bin as [Lower, Upper); -Inf and +Inf at the
	// ends (null in JSON), NaN for the missing bin.
	Lower, Upper float64
	Missing      bool    // this is the bin of missing values
	Count        int     // training rows in the bin
	Bad          int     // of which bad (y = 1)
	BadRate      float64 // Bad/Count, 0 for an empty bin
	WOE          float64 // smoothed ln(P(bin | bad) / P(bin | good))
	Points       float64 // points awarded for landing in this bin
}

// binJSON is Bin's wire form: JSON has no infinities or NaN, so unbounded
// ends (and the missing bin's bounds) are null.
type binJSON struct {
	Lower   *float64 `json:"lower"`
	Upper   *float64 `json:"upper"`
	Missing bool     `json:"missing,omitempty"`
	Count   int      `json:"count"`
	Bad     int      `json:"bad"`
	BadRate float64  `json:"bad_rate"`
	WOE     float64  `json:"woe"`
	Points  float64  `json:"points"`
}

func finitePtr(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

// MarshalJSON implements json.Marshaler.
func (b Bin) MarshalJSON() ([]byte, error) {
	return json.Marshal(binJSON{
		Lower: finitePtr(b.Lower), Upper: finitePtr(b.Upper), Missing: b.Missing,
		Count: b.Count, Bad: b.Bad, BadRate: b.BadRate, WOE: b.WOE, Points: b.Points,
	})
}

// UnmarshalJSON implements json.Unmarshaler.
func (b *Bin) UnmarshalJSON(data []byte) error {
	var w binJSON
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	*b = Bin{Lower: math.Inf(-1), Upper: math.Inf(1), Missing: w.Missing,
		Count: w.Count, Bad: w.Bad, BadRate: w.BadRate, WOE: w.WOE, Points: w.Points}
	if w.Missing {
		b.Lower, b.Upper = math.NaN(), math.NaN()
	}
	if w.Lower != nil {
		b.Lower = *w.Lower
	}
	if w.Upper != nil {
		b.Upper = *w.Upper
	}
	return nil
}

// Scaling maps the margin to points: points = Offset − Factor · Margin,
// i.e. Offset + Factor · ln(good:bad odds).
type Scaling struct {
	BasePoints float64 `json:"base_points"`
	BaseOdds   float64 `json:"base_odds"`
	PDO        float64 `json:"pdo"`
	Factor     float64 `json:"factor"` // PDO / ln 2
	Offset     float64 `json:"offset"` // BasePoints − Factor · ln(BaseOdds)
}

func newScaling(basePoints, baseOdds, pdo float64) Scaling {
	f := pdo / math.Ln2
	return Scaling{BasePoints: basePoints, BaseOdds: baseOdds, PDO: pdo,
		Factor: f, Offset: basePoints - f*math.Log(baseOdds)}
}

// used reports whether the feature takes part in the margin.
func (f *Feature) used() bool { return f.Dropped == "" }

// woe returns the WOE of value v: the missing bin's for NaN (0 if the
// column had no missing values in training), else the WOE of the bin found
// by binary search on the cuts.
func (f *Feature) woe(v float64) float64 {
	if b := f.bin(v); b != nil {
		return b.WOE
	}
	return 0
}

// bin returns the bin of v, or nil for NaN in a column trained without
// missing values.
func (f *Feature) bin(v float64) *Bin {
	if math.IsNaN(v) {
		return f.Missing
	}
	return &f.Bins[search(f.Cuts, v)]
}

// search returns the number of cuts ≤ v, i.e. the index of v's bin.
// Written out rather than sort.Search to keep it inlinable and
// allocation-free.
func search(cuts []float64, v float64) int {
	lo, hi := 0, len(cuts)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if cuts[m] <= v {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

func (s *Scorecard) check(name string, n int) {
	if n != len(s.Features) {
		panic(fmt.Sprintf("scorecard: %s: got %d values, want %d", name, n, len(s.Features)))
	}
}

// Margin returns the log-odds that x is bad (y = 1). x holds one value per
// input column, NaN for missing. It panics if len(x) != len(s.Features).
func (s *Scorecard) Margin(x []float64) float64 {
	s.check("Margin", len(x))
	m := s.Intercept
	for j := range s.Features {
		f := &s.Features[j]
		if f.used() {
			m += f.Coef * f.woe(x[j])
		}
	}
	return m
}

// Contributions splits Margin(x) into one additive term per input column,
// relative to the average training row: out[j] = Coef_j · (WOE_j(x_j) −
// MeanWOE_j), 0 for dropped columns. It returns the bias Intercept +
// Σ_j Coef_j · MeanWOE_j, so bias + Σ out equals Margin(x) up to rounding.
// It panics if len(x) or len(out) differ from len(s.Features).
func (s *Scorecard) Contributions(x, out []float64) (bias float64) {
	s.check("Contributions", len(x))
	s.check("Contributions", len(out))
	bias = s.Intercept
	for j := range s.Features {
		f := &s.Features[j]
		if !f.used() {
			out[j] = 0
			continue
		}
		bias += f.Coef * f.MeanWOE
		out[j] = f.Coef * (f.woe(x[j]) - f.MeanWOE)
	}
	return bias
}

// Points returns the credit-manager score of x (higher = safer), total =
// Offset − Factor · Margin(x), and the points of each column's bin. The
// intercept is spread evenly over the used columns, so perFeature sums to
// total up to rounding (dropped columns score 0; with no used column all
// points sit in total). It panics if len(x) != len(s.Features).
func (s *Scorecard) Points(x []float64) (total float64, perFeature []float64) {
	s.check("Points", len(x))
	perFeature = make([]float64, len(x))
	base := s.basePoints()
	for j := range s.Features {
		f := &s.Features[j]
		if !f.used() {
			continue
		}
		if b := f.bin(x[j]); b != nil {
			perFeature[j] = b.Points
		} else {
			perFeature[j] = base // unseen NaN: WOE 0
		}
	}
	return s.Scaling.Offset - s.Scaling.Factor*s.Margin(x), perFeature
}

// basePoints is each used feature's share of Offset − Factor · Intercept:
// the points of a bin with WOE 0.
func (s *Scorecard) basePoints() float64 {
	k := 0
	for j := range s.Features {
		if s.Features[j].used() {
			k++
		}
	}
	if k == 0 {
		return 0
	}
	return (s.Scaling.Offset - s.Scaling.Factor*s.Intercept) / float64(k)
}

// assignPoints fills Bin.Points: base − Factor · Coef · WOE for used
// features, 0 for dropped ones.
func (s *Scorecard) assignPoints() {
	base := s.basePoints()
	for j := range s.Features {
		f := &s.Features[j]
		set := func(b *Bin) {
			b.Points = 0
			if f.used() {
				b.Points = base - s.Scaling.Factor*f.Coef*b.WOE
			}
		}
		for k := range f.Bins {
			set(&f.Bins[k])
		}
		if f.Missing != nil {
			set(f.Missing)
		}
	}
}

// Table renders the scorecard as a points table: one line per bin of every
// used feature, then the dropped features with their reasons. Points are
// rounded for display; Points and Margin use the exact values.
func (s *Scorecard) Table() string {
	var sb strings.Builder
	sc := s.Scaling
	fmt.Fprintf(&sb, "%g points at odds %g:1 (good:bad), %g points to double the odds\n",
		sc.BasePoints, sc.BaseOdds, sc.PDO)
	// Numbers read best right-aligned; names are padded by hand so they
	// stay left-aligned.
	w := len("feature")
	for j := range s.Features {
		w = max(w, len(s.Features[j].Name))
	}
	tw := tabwriter.NewWriter(&sb, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%-*s\tbin\tcount\tbad rate\tWOE\tpoints\t\n", w, "feature")
	line := func(name, rng string, b *Bin) {
		fmt.Fprintf(tw, "%-*s\t%s\t%d\t%.3f\t%.3f\t%.0f\t\n", w, name, rng, b.Count, b.BadRate, b.WOE, b.Points)
	}
	for j := range s.Features {
		f := &s.Features[j]
		if !f.used() {
			continue
		}
		for k := range f.Bins {
			line(f.Name, binRange(f.Bins[k].Lower, f.Bins[k].Upper), &f.Bins[k])
		}
		if f.Missing != nil {
			line(f.Name, "missing", f.Missing)
		}
	}
	tw.Flush()
	for j := range s.Features {
		if f := &s.Features[j]; !f.used() {
			fmt.Fprintf(&sb, "dropped %s: %s\n", f.Name, f.Dropped)
		}
	}
	return sb.String()
}

func binRange(lo, hi float64) string {
	num := func(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
	switch {
	case math.IsInf(lo, -1) && math.IsInf(hi, 1):
		return "all"
	case math.IsInf(lo, -1):
		return "< " + num(hi)
	case math.IsInf(hi, 1):
		return ">= " + num(lo)
	}
	return "[" + num(lo) + ", " + num(hi) + ")"
}
