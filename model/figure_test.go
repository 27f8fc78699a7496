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
	m := score([]float64{0.2, 0.7, 0.9}, []float64{1, 1, 1}, 0.3, nil, nil)
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
