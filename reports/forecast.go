package reports

import (
	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
)

// forecastSection draws a slice's 13-week cash forecast as a fan: the open
// book's P10–P90 band and P50, the due-date schedule for comparison and the
// receipts projected from new invoices; then the latest past forecast
// against what was received. Without a forecast it says so.
func (s *Site) forecastSection(p *page, sl *slice) section {
	b := s.b
	sec := section{ID: "forecast", Title: "Cash forecast"}
	fc := b.forecasts[sl.Slice]
	switch {
	case b.notes["forecast"] != "":
		sec.Blocks = append(sec.Blocks, block{Note: &note{Class: "warn", Text: b.notes["forecast"]}})
		return sec
	case b.in.Forecast == nil && b.in.Models != nil && b.ev.bundle == nil && b.scoreErr != "":
		// The forecast is the promoted model's: when the registry has
		// none, say so and what to do, not that the forecast is to come.
		sec.Blocks = append(sec.Blocks, block{Note: &note{Class: "warn", Text: "No cash forecast: it is made with the promoted " +
			"payment model, and there is none: " + b.scoreErr + "."}})
		return sec
	case b.in.Forecast == nil:
		sec.Blocks = append(sec.Blocks, block{Note: &note{Class: "na", Text: "Not available yet: the 13-week cash-receipts forecast " +
			"(a P10–P90 band around the expected receipts, against the due-date schedule) appears here once dsopilot's forecast is part of the report."}})
		return sec
	case fc == nil || len(fc.Weeks) == 0:
		sec.Blocks = append(sec.Blocks, block{Note: &note{Class: "na", Text: "No cash forecast for " + sl.label() + "."}})
		return sec
	}
	charts := []*chart{s.fanChart(p, "Cash receipts, next "+fmtInt(len(fc.Weeks))+" weeks",
		"open invoices: P10–P90 band and P50 against the due dates; new invoices' receipts apart", fc)}
	if sl.Kind == kindPortfolio {
		if snap := latestSnapshot(b.snapshots); snap != nil {
			charts = append(charts, s.snapshotChart(p, snap))
		}
	}
	sec.Blocks = append(sec.Blocks, block{Charts: charts}, block{Tiles: []tile{
		{Label: "Expected over the horizon", Value: fmtWhole(fc.Total.Mean), Unit: b.unit(), Sub: "open and new invoices"},
		{Label: "P10 – P90", Value: fmtWhole(fc.Total.P10) + " – " + fmtWhole(fc.Total.P90), Unit: b.unit()},
	}})
	if fc.LeftOut != "" {
		sec.Blocks = append(sec.Blocks, block{Note: &note{Class: "warn", Text: "Not in this forecast: " + fc.LeftOut + "."}})
	}
	if n := b.notes["snapshots"]; n != "" {
		sec.Blocks = append(sec.Blocks, block{Note: &note{Class: "warn", Text: n}})
	}
	return sec
}

// latestSnapshot is the newest past forecast with at least one week of
// actual receipts.
func latestSnapshot(ss []ForecastSnapshot) *ForecastSnapshot {
	for i := len(ss) - 1; i >= 0; i-- {
		if len(ss[i].Actual) > 0 {
			return &ss[i]
		}
	}
	return nil
}

// weekLabels names the weeks by their last day.
func weekLabels(ws []ForecastWeek) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = w.End.String()
	}
	return out
}

// fanChart is the forecast fan. The band is drawn as the P90 area with the
// P10 area painted over it in the background colour, so that the tooltip
// shows the true P10 and P90.
func (s *Site) fanChart(p *page, title, subtitle string, fc *Forecast) *chart {
	b := s.b
	n := len(fc.Weeks)
	p10, p50, p90, due, nw := make([]opts.LineData, n), make([]opts.LineData, n), make([]opts.LineData, n), make([]opts.LineData, n), make([]opts.LineData, n)
	for i, w := range fc.Weeks {
		p10[i], p50[i], p90[i] = opts.LineData{Value: units(w.Open.P10)}, opts.LineData{Value: units(w.Open.P50)}, opts.LineData{Value: units(w.Open.P90)}
		due[i], nw[i] = opts.LineData{Value: units(w.Due)}, opts.LineData{Value: units(w.New.P50)}
	}
	c := charts.NewLine()
	c.SetGlobalOptions(append(frame(title, subtitle, true, "axis"),
		charts.WithXAxisOpts(xCategory("week ending")), charts.WithYAxisOpts(yAxis(b.unit()+" per week")))...)
	c.SetXAxis(weekLabels(fc.Weeks))
	quiet := opts.LineStyle{Opacity: opts.Float(0)}
	flat := charts.WithLineChartOpts(opts.LineChart{ShowSymbol: opts.Bool(false)})
	c.AddSeries("P90", p90, flat, charts.WithLineStyleOpts(quiet), charts.WithAreaStyleOpts(opts.AreaStyle{Color: "rgba(29,78,216,0.18)"}),
		charts.WithItemStyleOpts(opts.ItemStyle{Color: "rgba(29,78,216,0.35)"}))
	c.AddSeries("P10", p10, flat, charts.WithLineStyleOpts(quiet), charts.WithAreaStyleOpts(opts.AreaStyle{Color: "#ffffff"}),
		charts.WithItemStyleOpts(opts.ItemStyle{Color: "rgba(29,78,216,0.35)"}))
	c.AddSeries("P50 (open invoices)", p50, charts.WithLineStyleOpts(opts.LineStyle{Color: colorMain, Width: 2.5}),
		charts.WithItemStyleOpts(opts.ItemStyle{Color: colorMain}))
	if fc.HasDue {
		c.AddSeries("due-date schedule", due, charts.WithLineStyleOpts(opts.LineStyle{Color: colorMuted, Width: 2, Type: "dashed"}),
			charts.WithItemStyleOpts(opts.ItemStyle{Color: colorMuted}))
	}
	c.AddSeries("new invoices (P50)", nw, charts.WithLineStyleOpts(opts.LineStyle{Color: colorSecond, Width: 2, Type: "dotted"}),
		charts.WithItemStyleOpts(opts.ItemStyle{Color: colorSecond}))
	return p.newChart(c, title, "The shaded band holds 80 % of the outcomes the forecast considers likely.", chartHeight, spec{Y: "money", Tip: "money"})
}

// snapshotChart lines a past forecast up against what was received.
func (s *Site) snapshotChart(p *page, snap *ForecastSnapshot) *chart {
	b := s.b
	title := "Forecast of " + snap.AsOf.String() + " against actual receipts"
	n := len(snap.Weeks)
	p10, p50, p90 := make([]opts.LineData, n), make([]opts.LineData, n), make([]opts.LineData, n)
	actual := make([]opts.LineData, n)
	for i, w := range snap.Weeks {
		p10[i], p50[i], p90[i] = opts.LineData{Value: units(w.Open.P10)}, opts.LineData{Value: units(w.Open.P50)}, opts.LineData{Value: units(w.Open.P90)}
		actual[i] = opts.LineData{Value: nil}
		if i < len(snap.Actual) {
			actual[i] = opts.LineData{Value: units(snap.Actual[i])}
		}
	}
	c := charts.NewLine()
	c.SetGlobalOptions(append(frame(title, "the open invoices of that day: what the forecast said, and what they brought in", true, "axis"),
		charts.WithXAxisOpts(xCategory("week ending")), charts.WithYAxisOpts(yAxis(b.unit()+" per week")))...)
	c.SetXAxis(weekLabels(snap.Weeks))
	flat := charts.WithLineChartOpts(opts.LineChart{ShowSymbol: opts.Bool(false)})
	c.AddSeries("P90", p90, flat, charts.WithLineStyleOpts(opts.LineStyle{Color: colorMuted, Type: "dotted"}))
	c.AddSeries("P50", p50, charts.WithLineStyleOpts(opts.LineStyle{Color: colorMain, Width: 2}), charts.WithItemStyleOpts(opts.ItemStyle{Color: colorMain}))
	c.AddSeries("P10", p10, flat, charts.WithLineStyleOpts(opts.LineStyle{Color: colorMuted, Type: "dotted"}))
	c.AddSeries("actually received", actual, charts.WithLineStyleOpts(opts.LineStyle{Color: colorBad, Width: 2.5}),
		charts.WithItemStyleOpts(opts.ItemStyle{Color: colorBad}))
	return p.newChart(c, title, "", chartHeight, spec{Y: "money", Tip: "money"})
}
