package model

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

// A backtest whose cold-start invoices are all late (AUC undefined) is
// written as JSON with that AUC null, and read back as NaN; it used to
// fail "json: unsupported value: NaN" and leave an empty --json-out file.
func TestMetricsWithAnUndefinedFigureRoundTrip(t *testing.T) {
	m := score([]float64{0.2, 0.7, 0.9}, []float64{1, 1, 1}, 0.3, 0.5, nil, nil)
	if !math.IsNaN(float64(m.AUC)) {
		t.Fatalf("AUC of one class %v, want NaN", m.AUC)
	}
	bt := Backtest{NTest: 3, Metrics: m, ColdStart: &ColdStartMetrics{Model: m, Prior: m}}
	b, err := json.Marshal(bt)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"auc":null`) || strings.Contains(string(b), "NaN") {
		t.Fatalf("JSON %s", b)
	}
	var back Backtest
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !math.IsNaN(float64(back.Metrics.AUC)) || !math.IsNaN(float64(back.ColdStart.Model.AUC)) || back.Metrics.Brier != m.Brier ||
		back.Metrics.Accuracy != m.Accuracy || back.Metrics.N != 3 || back.Metrics.Confusion != m.Confusion {
		t.Fatalf("read back %+v, want %+v", back.Metrics, m)
	}
}

// The days-late error is also given over the invoices paid after their
// due date: most are paid on time and predicted 0, so the mean over all
// hid the error on the late ones (a trial: 7.2 days over all, 15.3 over
// the late).
func TestDaysLateErrorOverTheLateInvoices(t *testing.T) {
	cases := []struct {
		name         string
		pred, actual []float64
		all, ofLate  float64
		nLate        int
	}{
		{"mostly on time", []float64{0, 0, 0, 5, 10}, []float64{0, 0, 0, 15, 30}, 6, 15, 2},
		{"none late", []float64{0, 2}, []float64{0, 0}, 1, 0, 0},
		{"all late", []float64{3, 4}, []float64{1, 8}, 3, 3, 2},
	}
	for _, c := range cases {
		p := make([]float64, len(c.pred))
		y := make([]float64, len(c.pred))
		m := score(p, y, 0.3, 0.5, c.pred, c.actual)
		if math.Abs(m.MAEDaysLate-c.all) > 1e-12 || math.Abs(m.MAEDaysLateOfLate-c.ofLate) > 1e-12 || m.NLate != c.nLate {
			t.Errorf("%s: all %v, of late %v over %d; want %v, %v over %d", c.name, m.MAEDaysLate, m.MAEDaysLateOfLate, m.NLate, c.all, c.ofLate, c.nLate)
		}
	}
}
