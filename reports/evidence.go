package reports

import (
	"cmp"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/dsopilot/dsopilot/model"
	"github.com/dsopilot/dsopilot/model/metrics"
	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
)

// ReadBacktestPredictions reads the --predictions file of `dsopilot
// backtest` (invoice_id,p_late,predicted_days_late,actual_late). name is
// used in errors, which give the line and the field.
func ReadBacktestPredictions(r io.Reader, name string) ([]model.PredictionRow, error) {
	cr := csv.NewReader(r)
	head, err := cr.Read()
	if err == io.EOF {
		return nil, fmt.Errorf("%w: %s:1: empty file, want the header invoice_id,p_late,predicted_days_late,actual_late", ErrInput, name)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrInput, name, err)
	}
	pos := map[string]int{}
	for i, h := range head {
		pos[strings.ToLower(strings.TrimSpace(h))] = i
	}
	for _, c := range []string{"invoice_id", "p_late", "actual_late"} {
		if _, ok := pos[c]; !ok {
			return nil, fmt.Errorf("%w: %s:1: no column %s (header %q)", ErrInput, name, c, strings.Join(head, ","))
		}
	}
	var out []model.PredictionRow
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %s:%d: %v", ErrInput, name, line, err)
		}
		p, err := strconv.ParseFloat(rec[pos["p_late"]], 64)
		if err != nil || p < 0 || p > 1 || math.IsNaN(p) {
			return nil, fmt.Errorf("%w: %s:%d: field p_late %q: want a probability", ErrInput, name, line, rec[pos["p_late"]])
		}
		var actual bool
		switch rec[pos["actual_late"]] {
		case "1", "true":
			actual = true
		case "0", "false":
		default:
			return nil, fmt.Errorf("%w: %s:%d: field actual_late %q: want 0 or 1", ErrInput, name, line, rec[pos["actual_late"]])
		}
		row := model.PredictionRow{InvoiceID: rec[pos["invoice_id"]], PLate: p, ActualLate: actual}
		if i, ok := pos["predicted_days_late"]; ok && rec[i] != "" {
			if row.PredictedDaysLate, err = strconv.ParseFloat(rec[i], 64); err != nil {
				return nil, fmt.Errorf("%w: %s:%d: field predicted_days_late %q: want a number", ErrInput, name, line, rec[i])
			}
		}
		out = append(out, row)
	}
}

// rocPoint is one point of a ROC curve.
type rocPoint struct{ FPR, TPR float64 }

// rocCurve is the ROC curve of predictions p for outcomes y: the false and
// true positive rates as the threshold falls through every distinct score,
// ties taken together, thinned to at most max points (the ends kept).
func rocCurve(p, y []float64, maxPoints int) []rocPoint {
	idx := make([]int, len(p))
	var pos, neg float64
	for i := range idx {
		idx[i] = i
		if y[i] > 0.5 {
			pos++
		} else {
			neg++
		}
	}
	if pos == 0 || neg == 0 {
		return nil
	}
	slices.SortFunc(idx, func(a, b int) int { return cmp.Compare(p[b], p[a]) })
	pts := []rocPoint{{0, 0}}
	var tp, fp float64
	for i := 0; i < len(idx); {
		j := i
		for ; j < len(idx) && p[idx[j]] == p[idx[i]]; j++ {
			if y[idx[j]] > 0.5 {
				tp++
			} else {
				fp++
			}
		}
		pts = append(pts, rocPoint{fp / neg, tp / pos})
		i = j
	}
	if len(pts) <= maxPoints {
		return pts
	}
	out := make([]rocPoint, 0, maxPoints)
	for k := range maxPoints {
		out = append(out, pts[k*(len(pts)-1)/(maxPoints-1)])
	}
	return out
}

// modelPage is the model evidence: how the model in service did on
// invoices it had not seen, against the baselines, what drives it, and the
// registry's history.
func (s *Site) modelPage() *page {
	b := s.b
	ev := &b.ev
	p := &page{Path: pathModel, Title: "Model evidence", nav: pathModel,
		Lead: "How the late-payment model in service did on invoices it had not learned from, against simple baselines, and what drives its scores."}
	p.Crumbs = []link{{Text: "Portfolio", Href: p.href(pathIndex)}, {Text: "Model"}}
	if ev.bundle == nil {
		p.add(section{Blocks: []block{{Note: &note{Class: "na", Text: "No model to show: " + ev.err + "."}}}})
	} else {
		s.modelSections(p)
	}
	if len(ev.list) > 0 {
		p.add(s.registrySection(p))
	}
	return p
}

func (s *Site) modelSections(p *page) {
	b := s.b
	ev := &b.ev
	m, bu := ev.meta, ev.bundle
	v := m.Validation
	tiles := []tile{
		{Label: "AUC", Value: fmtFloat(float64(v.AUC), 3), Sub: "ranks a late invoice above an on-time one"},
		{Label: "Brier score", Value: fmtFloat(v.Brier, 3), Sub: "mean squared error of the probability"},
		{Label: "ECE", Value: fmtFloat(v.ECE, 3), Sub: "calibration error"},
		{Label: "Accuracy", Value: fmtFloat(100*v.Accuracy, 1), Unit: "%", Sub: "at a 50 % threshold"},
		{Label: "Errors removed", Value: fmtFloat(100*v.ErrorCutVsNaive, 0), Unit: "%", Sub: "of the naive guess's errors"},
		{Label: "Days late, mean abs. error", Value: fmtFloat(v.MAEDaysLate, 1), Unit: "days", Sub: "over the settled invoices"},
	}
	if v.NLate > 0 { // bundles trained before it was measured have none
		tiles = append(tiles, tile{Label: "Days late of late payers", Value: fmtFloat(v.MAEDaysLateOfLate, 1), Unit: "days",
			Sub: "mean abs. error over the " + fmtInt(v.NLate) + " paid after their due date"})
	}
	p.add(section{ID: "validation", Title: "Model " + m.ID + " (in service)", Lead: fmt.Sprintf(
		"Champion %s, learned from invoices issued %s to %s; validated on %s held-out invoice snapshots, the most recent ones, after calibration. "+
			"Late means paid more than %d days after the due date.", m.Champion, m.TrainWindow[0], m.TrainWindow[1], fmtInt(m.ValidExamples), bu.Options.GraceDays),
		Blocks: []block{{Tiles: tiles}}})
	var cs []*chart
	rows := b.in.BacktestRows
	if len(rows) > 0 {
		pr, y := make([]float64, len(rows)), make([]float64, len(rows))
		for i, r := range rows {
			pr[i] = r.PLate
			if r.ActualLate {
				y[i] = 1
			}
		}
		cs = append(cs, s.rocChart(p, pr, y), s.reliabilityChart(p, pr, y), s.confusionChart(p,
			"Confusion matrix (backtest)", fmt.Sprintf("%s test invoices, late predicted when P(late) ≥ 50 %%", fmtInt(len(rows))), metrics.Confusion(pr, y, 0.5)))
	} else {
		cs = append(cs, s.confusionChart(p, "Confusion matrix (validation)", fmt.Sprintf("%s held-out invoices, late predicted when P(late) ≥ 50 %%", fmtInt(v.N)), v.Confusion))
	}
	cs = append(cs, s.candidateChart(p, m))
	if bt := b.in.Backtest; bt != nil {
		cs = append(cs, s.baselineChart(p, bt))
	}
	if len(bu.Importance) > 0 {
		cs = append(cs, s.importanceChart(p, bu, bu.Importance))
	}
	sec := section{ID: "curves", Title: "Discrimination, calibration and what drives the score", Blocks: []block{{Charts: cs}}}
	if len(rows) > 0 || b.in.Backtest != nil {
		sec.Lead = "The charts marked backtest come from dsopilot backtest: the same training at an earlier cut-off, tested on the invoices issued after it, " +
			"whose outcome is known; the others describe the model in service."
	}
	if len(rows) == 0 {
		sec.Blocks = append(sec.Blocks, block{Note: &note{Class: "na", Text: "ROC and reliability curves: not available, as the registry keeps " +
			"the validation's figures but not its predictions. Run dsopilot backtest with --predictions FILE and give the file to dsopilot report with --backtest-predictions."}})
	}
	if b.in.Backtest == nil {
		sec.Blocks = append(sec.Blocks, block{Note: &note{Class: "na", Text: "Comparison with the baselines (the training prior and each customer's own late ratio): " +
			"not available. Run dsopilot backtest --json > FILE and give the file to dsopilot report with --backtest."}})
	} else {
		sec.Blocks = append(sec.Blocks, block{Table: s.baselineTable(b.in.Backtest)})
	}
	p.add(sec)
}

func (s *Site) rocChart(p *page, pr, y []float64) *chart {
	pts := rocCurve(pr, y, 200)
	line := make([]point, len(pts))
	for i, q := range pts {
		line[i] = point{X: round4(q.FPR), Y: round4(q.TPR)}
	}
	auc := metrics.AUC(pr, y, nil)
	return p.xyChart("ROC curve (backtest)", fmt.Sprintf("AUC %.3f on %s invoices the model had not seen; the diagonal is a guess (the prior)", auc, fmtInt(len(pr))),
		"false positive rate", "value", "true positive rate", "prob", "prob", "prob",
		[]xySeries{{Name: "dsopilot", Points: line, Color: colorMain, Line: true},
			{Name: "prior (no skill)", Points: []point{{X: 0, Y: 0}, {X: 1, Y: 1}}, Color: colorMuted, Line: true, Dashed: true}}, nil, "", 0)
}

func (s *Site) reliabilityChart(p *page, pr, y []float64) *chart {
	tab := metrics.CalibrationTable(pr, y, 10)
	pts := make([]point, len(tab))
	for i, bn := range tab {
		pts[i] = point{X: round4(bn.MeanPredicted), Y: round4(bn.Observed), Name: fmt.Sprintf("%s invoices", fmtInt(bn.Count))}
	}
	return p.xyChart("Reliability (calibration) curve", fmt.Sprintf("observed late share against the predicted probability, 10 bins; ECE %.3f", metrics.ECE(pr, y, 10)),
		"predicted probability of late payment", "value", "observed share paid late", "prob", "prob", "prob",
		[]xySeries{{Name: "dsopilot", Points: pts, Color: colorMain, Line: true, Size: 7},
			{Name: "perfect calibration", Points: []point{{X: 0, Y: 0}, {X: 1, Y: 1}}, Color: colorMuted, Line: true, Dashed: true}}, nil, "", 0)
}

func (s *Site) confusionChart(p *page, title, subtitle string, c metrics.ConfusionMatrix) *chart {
	h := charts.NewHeatMap()
	maxv := float32(max(c.TP, c.FP, c.TN, c.FN, 1))
	h.SetGlobalOptions(append(frame(title, subtitle, false, "item"),
		charts.WithXAxisOpts(opts.XAxis{Type: "category", Name: "predicted", NameLocation: "middle", NameGap: 28, Data: []string{"on time", "late"}}),
		charts.WithYAxisOpts(opts.YAxis{Type: "category", Name: "actual", NameLocation: "end", Data: []string{"on time", "late"}}),
		charts.WithVisualMapOpts(opts.VisualMap{Min: 0, Max: maxv, Show: opts.Bool(false), InRange: &opts.VisualMapInRange{Color: []string{"#eef2f6", "#1d4ed8"}}}))...)
	h.AddSeries("invoices", []opts.HeatMapData{{Value: []any{0, 0, c.TN}}, {Value: []any{1, 0, c.FP}}, {Value: []any{0, 1, c.FN}}, {Value: []any{1, 1, c.TP}}},
		charts.WithLabelOpts(opts.Label{Show: opts.Bool(true), FontSize: 16}))
	return p.newChart(h, title, "", 300, spec{Tip: "int"})
}

func (s *Site) candidateChart(p *page, m model.Meta) *chart {
	names := make([]string, len(m.Candidates))
	auc := make([]float64, len(m.Candidates))
	for i, c := range m.Candidates {
		names[i] = c.Family
		if c.Family == m.Champion {
			names[i] += " (champion)"
		}
		auc[i] = round4(c.AUC)
	}
	return p.ranking("Model families compared", "AUC of each family on the held-out invoices, before calibration", "AUC", "num", names,
		[]barSeries{{Name: "AUC", Values: auc, Color: colorMain}}, false, nil, "")
}

// baselineRows are the backtest's model and baselines.
func baselineRows(bt *model.Backtest) []struct {
	name string
	m    model.Metrics
} {
	return []struct {
		name string
		m    model.Metrics
	}{{"dsopilot", bt.Metrics}, {"customer's own late ratio", bt.Baselines.CustomerHistory}, {"training prior", bt.Baselines.Prior}}
}

func (s *Site) baselineChart(p *page, bt *model.Backtest) *chart {
	rows := baselineRows(bt)
	names := make([]string, len(rows))
	auc, brier := make([]float64, len(rows)), make([]float64, len(rows))
	for i, r := range rows {
		names[i], auc[i], brier[i] = r.name, 0, round4(r.m.Brier)
		if r.m.AUC.Defined() { // else no bar; the table says n/a
			auc[i] = round4(float64(r.m.AUC))
		}
	}
	return p.ranking("Against the baselines (backtest)", fmt.Sprintf("trained to %s, tested on %s later invoices: higher AUC and lower Brier are better", bt.Cutoff, fmtInt(bt.NTest)),
		"score", "num", names, []barSeries{{Name: "AUC", Values: auc, Color: colorMain}, {Name: "Brier score", Values: brier, Color: colorThird}}, false, nil, "")
}

func (s *Site) baselineTable(bt *model.Backtest) *table {
	t := &table{Caption: fmt.Sprintf("Backtest: trained on what was known at %s, tested on %s invoices issued from then to %s", bt.Cutoff, fmtInt(bt.NTest), bt.DataEnd),
		Cols: []col{{Title: "predictor"}, {Title: "AUC", Num: true}, {Title: "Brier", Num: true}, {Title: "log loss", Num: true},
			{Title: "accuracy", Num: true}, {Title: "macro F1", Num: true}, {Title: "ECE", Num: true}, {Title: "errors removed", Num: true}}}
	for _, r := range baselineRows(bt) {
		m := r.m
		t.Rows = append(t.Rows, row{Cells: []cell{txt(r.name), num(fmtFloat(float64(m.AUC), 3)), num(fmtFloat(m.Brier, 3)), num(fmtFloat(m.LogLoss, 3)),
			num(fmtFloat(m.Accuracy, 3)), num(fmtFloat(m.MacroF1, 3)), num(fmtFloat(m.ECE, 3)), num(fmtFloat(100*m.ErrorCutVsNaive, 0) + " %")}})
	}
	return t
}

// importanceChart ranks the features of bu by their share, named by the
// catalogue's words rather than their column names.
func (s *Site) importanceChart(p *page, bu *model.Bundle, fw []model.FeatureWeight) *chart {
	fw = fw[:min(15, len(fw))]
	names := make([]string, len(fw))
	vals := make([]float64, len(fw))
	for i, f := range fw {
		names[i], vals[i] = bu.FeatureLabel(f.Feature), round4(100*f.Share)
	}
	return p.ranking("What drives the late-payment score", "each feature's share of the attribution on held-out invoices", "% of the attribution", "pct",
		names, []barSeries{{Name: "share", Values: vals, Color: colorSecond}}, false, nil, "")
}

// registrySection is the registry's history: every model, newest first.
func (s *Site) registrySection(p *page) section {
	b := s.b
	ev := &b.ev
	list := ev.list
	t := &table{Caption: "Registered models, newest training window first", Cols: []col{{Title: "model"}, {Title: "in service"},
		{Title: "champion"}, {Title: "trained on"}, {Title: "AUC", Num: true}, {Title: "Brier", Num: true}, {Title: "ECE", Num: true},
		{Title: "held-out", Num: true}, {Title: "seed", Num: true}, {Title: "build"}}}
	for _, m := range list {
		inService := ""
		if m.ID == ev.promoted {
			inService = "yes"
		}
		t.Rows = append(t.Rows, row{Cells: []cell{txt(m.ID), txt(inService), txt(m.Champion), txt(m.TrainWindow[0] + " – " + m.TrainWindow[1]),
			num(fmtFloat(float64(m.Validation.AUC), 3)), num(fmtFloat(m.Validation.Brier, 3)), num(fmtFloat(m.Validation.ECE, 3)),
			num(fmtInt(m.ValidExamples)), num(strconv.FormatUint(m.Seed, 10)), txt(m.BuildVersion)}})
	}
	sec := section{ID: "registry", Title: "Registry history"}
	if len(list) > 1 {
		ordered := slices.Clone(list)
		slices.Reverse(ordered)
		names := make([]string, len(ordered))
		auc, ece := make([]any, len(ordered)), make([]any, len(ordered))
		for i, m := range ordered {
			names[i], auc[i], ece[i] = m.ID, nil, round4(m.Validation.ECE)
			if m.Validation.AUC.Defined() { // else a gap in the line
				auc[i] = round4(float64(m.Validation.AUC))
			}
		}
		sec.Blocks = append(sec.Blocks, block{Charts: []*chart{p.lines("Validation of each registered model", "oldest training window first",
			"model", "score", "num", names, []lineSeries{{Name: "AUC", Values: auc, Color: colorMain}, {Name: "ECE", Values: ece, Color: colorBad}}, nil, "")}})
	}
	sec.Blocks = append(sec.Blocks, block{Table: t})
	return sec
}
