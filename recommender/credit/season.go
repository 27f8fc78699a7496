package credit

import (
	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/model/forecast"
)

// The segment's season is estimated as the cash forecast estimates the new
// business's seasonal factor (model/forecast, season.go), over the same
// windows: what the segment's customers invoiced in the 13 weeks after the
// day a year (364 days) earlier, against the 13 weeks before it, the
// log-ratio shrunk towards 0 by what its sampling noise explains, with the
// customers as the sampled units. It applies to the last three months'
// run-rate, as the forecast applies it to the last 13 weeks'.
//
// It was the same three months a year earlier against the mean of the
// twelve months since, read raw: that confounds a trend with a season (a
// book whose large customers invoiced less this year than last read as a
// season), and noise with both. On the trial36 export (as of 30 August
// 2026) it said +26% for a segment whose forecast factor was 1.00, and a
// raw ratio of the forecast's windows 1.02: September–November 2025 were
// high against the year since, not against June–August 2025; the largest
// accounts' limits were raised 4–5×.

// seasonDays is the length of the season's two windows, the forecast's
// run-rate window.
const seasonDays = 91

// seasonYearDays is how far back the windows meet: 52 weeks, so that they
// start on the same weekday as the coming weeks.
const seasonYearDays = 364

// seasonLimit bounds the factor: a year-ago pattern is a hint, not a law.
const seasonLimit = 2.0

// minSeasonInvoices is how many invoices a segment needs in the last year
// for its season to count at all: with a handful of customers the
// customer-level variance is itself too noisy to shrink by.
const minSeasonInvoices = 200

// segmentInvoicing is, per segment, the season's sums and how many
// invoices it issued in the last year, and the first issue date by the
// as-of day.
type segmentInvoicing struct {
	sums  map[string]*forecast.SeasonYear
	count map[string]int
	first datasets.Date
}

func newSegmentInvoicing() *segmentInvoicing {
	return &segmentInvoicing{sums: map[string]*forecast.SeasonYear{}, count: map[string]int{}, first: datasets.MaxDate}
}

// seasonWindow says which of the season's windows as of asOf an invoice
// issued on day falls in: 0 the coming weeks a year earlier, 1 the weeks
// before them, -1 neither.
func seasonWindow(asOf, day datasets.Date) int {
	ly := asOf.AddDays(-seasonYearDays)
	switch {
	case day > ly && day <= ly.AddDays(seasonDays):
		return 0
	case day > ly.AddDays(-seasonDays) && day <= ly:
		return 1
	}
	return -1
}

// addCustomer adds one customer's invoicing in the two windows.
func (si *segmentInvoicing) addCustomer(segment string, w [2]int64) {
	s := si.sums[segment]
	if s == nil {
		s = &forecast.SeasonYear{}
		si.sums[segment] = s
	}
	s.AddCustomer(w[0], w[1])
}

// season is a segment's seasonal factor as of asOf: 1 when the ledger does
// not reach back over both windows, or the segment issued fewer than
// minSeasonInvoices in the last year.
func (si *segmentInvoicing) season(segment string, asOf datasets.Date) float64 {
	s := si.sums[segment]
	if s == nil || si.first > asOf.AddDays(-seasonYearDays-seasonDays+1) || si.count[segment] < minSeasonInvoices {
		return 1
	}
	return seasonFactor(s)
}

// seasonFactor is the segment's shrunk ratio of the two windows' daily
// rates (forecast.ShrunkFactor), within 1/seasonLimit..seasonLimit; 1 when
// a window invoiced nothing.
func seasonFactor(s *forecast.SeasonYear) float64 {
	r, v, ok := s.LogRatio(seasonDays, seasonDays)
	if !ok {
		return 1
	}
	return forecast.ShrunkFactor(r, v, seasonLimit)
}
