package reports

import (
	"math"
	"strconv"
	"strings"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
)

// Numbers on the pages use thousands separators and the reporting currency;
// the chart script formats what the charts show the same way.

// group inserts thousands separators into a string of digits.
func group(digits string) string { return datasets.GroupDigits(digits, ",") }

// fmtMoney formats m with thousands separators and two decimals
// (1,234,567.89).
func fmtMoney(m datasets.Money) string { return m.Grouped() }

// fmtWhole formats m rounded to whole units, half away from zero, with
// thousands separators (1,234,568): the headline figures.
func fmtWhole(m datasets.Money) string {
	v := int64(m)
	neg := v < 0
	u := uint64(v)
	if neg {
		u = uint64(-v)
	}
	units := u / 100
	if u%100 >= 50 {
		units++
	}
	s := group(strconv.FormatUint(units, 10))
	if neg && units != 0 {
		return "-" + s
	}
	return s
}

// fmtInt formats n with thousands separators.
func fmtInt(n int) string {
	if n < 0 {
		return "-" + group(strconv.Itoa(-n))
	}
	return group(strconv.Itoa(n))
}

// fmtFloat formats v with dec decimals and thousands separators; "n/a"
// for NaN and infinities.
func fmtFloat(v float64, dec int) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "n/a"
	}
	s := strconv.FormatFloat(math.Abs(v), 'f', dec, 64)
	whole, frac, _ := strings.Cut(s, ".")
	out := group(whole)
	if frac != "" {
		out += "." + frac
	}
	if v < 0 && strings.Trim(s, "0.") != "" {
		out = "-" + out
	}
	return out
}

// fmtOpt formats an optional KPI with one decimal and a unit; "n/a" when
// it is not defined.
func fmtOpt(p *float64, unit string) string {
	if p == nil {
		return "n/a"
	}
	return fmtFloat(*p, 1) + unit
}

// countbackTile is the countback DSO's tile: a lower bound, marked "≥",
// when receivables outlast every month counted back.
func countbackTile(k features.KPIs, href string) tile {
	t := tile{Label: "Countback DSO", Value: fmtOpt(k.CountbackDSO, ""), Unit: "days", Href: href,
		Sub: "days of the latest sales the receivables equal"}
	if k.CountbackCapped && k.CountbackDSO != nil {
		t.Value = "≥ " + t.Value
		t.Sub = "at least: receivables exceed every month's sales counted back"
	}
	return t
}

// fmtShare formats a fraction as a percentage with one decimal.
func fmtShare(p *float64) string {
	if p == nil {
		return "n/a"
	}
	return fmtFloat(*p*100, 1) + " %"
}

// units is a Money amount in currency units for a chart to draw (display
// only; sums are done in Money before).
func units(m datasets.Money) float64 { return m.Float() }

// optVal is an optional KPI for a chart: nil stays a gap in the line.
func optVal(p *float64, scale float64) any {
	if p == nil {
		return nil
	}
	return math.Round(*p*scale*100) / 100
}

// plural counts n things: "1 invoice", "2,000 invoices".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmtInt(n) + " " + many
}
