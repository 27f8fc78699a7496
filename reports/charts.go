package reports

import (
	"cmp"
	"encoding/json"
	"fmt"
	"html/template"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
)

// chart is one chart on a page: a titled box whose ECharts option (built
// with go-echarts) travels as JSON; assets/dsopilot.js draws it.
type chart struct {
	ID, Title, Hint string
	Height          int
	JSON            template.JS
}

// spec is what dsopilot.js reads for a chart: the option, the drill-down
// links (Links[series][dataIndex], relative to the page; "" for none), the
// number formats of the axes and the tooltip (money, days, pct, prob,
// int, num) and, for custom charts, their kind.
type spec struct {
	Option map[string]any `json:"option"`
	Links  [][]string     `json:"links,omitempty"`
	X      string         `json:"x,omitempty"`
	Y      string         `json:"y,omitempty"`
	Tip    string         `json:"tip,omitempty"`
	Kind   string         `json:"kind,omitempty"`
	Unit   string         `json:"unit,omitempty"`
}

// echart is what every go-echarts chart type offers.
type echart interface {
	Validate()
	JSON() map[string]any
}

// localAssets replaces go-echarts' CDN host: were its own page renderer
// ever used, it would load ECharts from the site itself.
const localAssets = "assets/echarts/"

// Heights of the charts, in CSS pixels.
const (
	chartHeight = 360
	rankRow     = 22
)

// Colours: aging from current to over 90 days, and series roles.
var (
	agingColors = [5]string{"#3ba272", "#fac858", "#fc8452", "#ee6666", "#9a1b1b"}
	colorMain   = "#1d4ed8"
	colorSecond = "#0f766e"
	colorThird  = "#b45309"
	colorMuted  = "#7b8794"
	colorBad    = "#c2410c"
)

// newChart finishes a go-echarts chart into a page's chart.
func (p *page) newChart(c echart, title, hint string, height int, sp spec) *chart {
	c.Validate()
	sp.Option = c.JSON()
	body, err := json.Marshal(sp) // escapes <, > and &: safe inside <script>
	if err != nil {
		// Options hold only numbers, strings and nil: this cannot happen.
		panic(fmt.Sprintf("reports: chart %q: %v", title, err))
	}
	return &chart{ID: p.chartID(), Title: title, Hint: hint, Height: height, JSON: template.JS(body)}
}

// frame is the options every chart shares: the title and subtitle, the
// legend under them, a tooltip, no animation (charts are read and printed,
// and drawn at once), and room for the axis names.
func frame(title, subtitle string, legend bool, trigger string) []charts.GlobalOpts {
	top := "70"
	if legend {
		top = "92"
	}
	return []charts.GlobalOpts{
		charts.WithInitializationOpts(opts.Initialization{AssetsHost: localAssets, PageTitle: title}),
		charts.WithTitleOpts(opts.Title{Title: title, Subtitle: subtitle, Left: "8",
			TitleStyle: &opts.TextStyle{FontSize: 15}, SubtitleStyle: &opts.TextStyle{FontSize: 12, Color: "#52606d"}}),
		charts.WithAnimation(false),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: trigger}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(legend), Top: "50", Left: "8", Type: "scroll"}),
		charts.WithGridOpts(opts.Grid{Left: "16", Right: "40", Top: top, Bottom: "34", ContainLabel: opts.Bool(true)}),
	}
}

// yAxis is a value axis with its name (the unit) above it.
func yAxis(name string) opts.YAxis {
	return opts.YAxis{Type: "value", Name: name, NameLocation: "end", NameGap: 14,
		SplitLine: &opts.SplitLine{Show: opts.Bool(true), LineStyle: &opts.LineStyle{Color: "#e4e7eb"}}}
}

// xCategory is a category axis named below its labels.
func xCategory(name string) opts.XAxis {
	return opts.XAxis{Type: "category", Name: name, NameLocation: "middle", NameGap: 28}
}

// xValue is a value axis named below its labels.
func xValue(name string) opts.XAxis {
	return opts.XAxis{Type: "value", Name: name, NameLocation: "middle", NameGap: 28,
		SplitLine: &opts.SplitLine{Show: opts.Bool(true), LineStyle: &opts.LineStyle{Color: "#e4e7eb"}}}
}

// lineSeries is one line of a monthly chart; nil values are gaps.
type lineSeries struct {
	Name   string
	Values []any
	Color  string
	Dashed bool
}

// monthLines draws lines over the months of the history.
func (p *page) monthLines(title, subtitle, yName, format string, months []string, series []lineSeries, links [][]string, hint string) *chart {
	return p.lines(title, subtitle, "month", yName, format, months, series, links, hint)
}

// lines draws lines over categories.
func (p *page) lines(title, subtitle, xName, yName, format string, months []string, series []lineSeries, links [][]string, hint string) *chart {
	c := charts.NewLine()
	c.SetGlobalOptions(append(frame(title, subtitle, len(series) > 1, "axis"),
		charts.WithXAxisOpts(xCategory(xName)), charts.WithYAxisOpts(yAxis(yName)))...)
	c.SetXAxis(months)
	for _, s := range series {
		data := make([]opts.LineData, len(s.Values))
		for i, v := range s.Values {
			data[i] = opts.LineData{Value: v}
		}
		ls := &opts.LineStyle{Color: s.Color, Width: 2}
		if s.Dashed {
			ls.Type = "dashed"
		}
		c.AddSeries(s.Name, data, charts.WithLineStyleOpts(*ls), charts.WithItemStyleOpts(opts.ItemStyle{Color: s.Color}),
			charts.WithLineChartOpts(opts.LineChart{ShowSymbol: opts.Bool(true), SymbolSize: 5}))
	}
	return p.newChart(c, title, hint, chartHeight, spec{Links: links, Y: format, Tip: format})
}

// barSeries is one series of a bar chart.
type barSeries struct {
	Name   string
	Values []float64
	Color  string
}

// stackedBars draws vertical bars over categories, stacked when stack is
// set.
func (p *page) stackedBars(title, subtitle, xName, yName, format string, cats []string, series []barSeries, stack bool, links [][]string, hint string) *chart {
	c := charts.NewBar()
	c.SetGlobalOptions(append(frame(title, subtitle, len(series) > 1, "axis"),
		charts.WithXAxisOpts(xCategory(xName)), charts.WithYAxisOpts(yAxis(yName)))...)
	c.SetXAxis(cats)
	addBars(c, series, stack, "48")
	return p.newChart(c, title, hint, chartHeight, spec{Links: links, Y: format, Tip: format})
}

// addBars adds the series to a bar chart.
func addBars(c *charts.Bar, series []barSeries, stack bool, maxWidth string) {
	for _, s := range series {
		data := make([]opts.BarData, len(s.Values))
		for i, v := range s.Values {
			data[i] = opts.BarData{Value: v}
		}
		c.AddSeries(s.Name, data, barOpts(stack, maxWidth), charts.WithItemStyleOpts(opts.ItemStyle{Color: s.Color}))
	}
}

// barOpts stacks bars when asked and bounds their width.
func barOpts(stack bool, maxWidth string) charts.SeriesOpts {
	return charts.WithSeriesOpts(func(s *charts.SingleSeries) {
		if stack {
			s.Stack = "total"
		}
		s.BarMaxWidth = maxWidth
	})
}

// ranking draws horizontal bars, one row per name, the first at the top.
func (p *page) ranking(title, subtitle, xName, format string, names []string, series []barSeries, stack bool, links [][]string, hint string) *chart {
	c := charts.NewBar()
	c.SetGlobalOptions(append(frame(title, subtitle, len(series) > 1, "axis"),
		charts.WithXAxisOpts(xValue(xName)),
		charts.WithYAxisOpts(opts.YAxis{Type: "category", Inverse: opts.Bool(true), Data: names,
			AxisLabel: &opts.AxisLabel{Interval: "0"}}))...)
	addBars(c, series, stack, "18")
	h := 130 + rankRow*len(names)
	if len(series) > 1 {
		h += 24
	}
	return p.newChart(c, title, hint, max(h, 220), spec{Links: links, X: format, Tip: format})
}

// point is one point of a scatter or an xy line.
type point struct {
	X, Y any
	Name string
}

// xySeries is one series of points.
type xySeries struct {
	Name   string
	Points []point
	Color  string
	Line   bool // draw a line through the points
	Dashed bool
	Size   int
}

// xyChart draws points (and lines) on two value or time axes.
func (p *page) xyChart(title, subtitle, xName, xType, yName, xFormat, yFormat, tip string, series []xySeries, links [][]string, hint string, height int) *chart {
	c := charts.NewScatter()
	x := xValue(xName)
	x.Type = xType
	if xType == "time" {
		x.SplitLine = nil
	}
	c.SetGlobalOptions(append(frame(title, subtitle, len(series) > 1, "item"),
		charts.WithXAxisOpts(x), charts.WithYAxisOpts(yAxis(yName)))...)
	for _, s := range series {
		if s.Line {
			l := charts.NewLine()
			data := make([]opts.LineData, len(s.Points))
			for i, pt := range s.Points {
				data[i] = opts.LineData{Value: []any{pt.X, pt.Y}, Name: pt.Name}
			}
			ls := opts.LineStyle{Color: s.Color, Width: 2}
			if s.Dashed {
				ls.Type = "dashed"
			}
			l.AddSeries(s.Name, data, charts.WithLineStyleOpts(ls), charts.WithItemStyleOpts(opts.ItemStyle{Color: s.Color}),
				charts.WithLineChartOpts(opts.LineChart{ShowSymbol: opts.Bool(s.Size > 0), SymbolSize: max(s.Size, 1)}))
			c.Overlap(l)
			continue
		}
		data := make([]opts.ScatterData, len(s.Points))
		for i, pt := range s.Points {
			data[i] = opts.ScatterData{Value: []any{pt.X, pt.Y}, Name: pt.Name, SymbolSize: max(s.Size, 7)}
		}
		c.AddSeries(s.Name, data, charts.WithItemStyleOpts(opts.ItemStyle{Color: s.Color}))
	}
	return p.newChart(c, title, hint, cmp.Or(height, chartHeight), spec{Links: links, X: xFormat, Y: yFormat, Tip: tip})
}
