package api

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
)

// The hand-written score encoder writes what encoding/json writes.
func TestScoreEncoderMatchesEncodingJSON(t *testing.T) {
	p90 := 5.695212092900231e-05
	scores := []Score{
		{InvoiceID: `IN"V\1`, CustomerID: "C\u00e9\n\t\x01<&>\u2028", AsOf: datasets.NewDate(2024, 3, 31), DueDate: datasets.NewDate(2024, 4, 30),
			PLate: 0.9072281636013272, POnTime: 0.0927718363986728, PLate1To30: 1, PVeryLate: 0, P90Plus: &p90,
			PaidByWeek: []float64{0.16, 1e-7, 0.9999999999994, 1}, PayDate: NullDate(datasets.NewDate(2024, 5, 1)), PredictedDaysLate: 12.5,
			KnownLate: true, Late: true, ColdStart: false, Reasons: []Reason{{Feature: "late_ratio_365d", Contribution: -1.6e-9, Text: "19 of the last 22 – “late”"}}},
		{InvoiceID: "x", Reasons: []Reason{}, PaidByWeek: nil, PredictedDaysLate: 1e22},
		{InvoiceID: "bad utf8 \xff"},
	}
	for i := range 3 {
		scores[0].PaidByWeek = append(scores[0].PaidByWeek, math.Pow(10, float64(-i*5)))
	}
	var want bytes.Buffer
	enc := json.NewEncoder(&want)
	enc.SetEscapeHTML(false)
	for _, warnings := range [][]string{nil, {"w\"1", "w2"}} {
		want.Reset()
		if err := enc.Encode(ScoreResponse{Model: "m", AsOf: datasets.NewDate(2024, 3, 31), Scores: scores, Warnings: warnings}); err != nil {
			t.Fatal(err)
		}
		got := appendScores(nil, "m", "2024-03-31", scores, warnings)
		if !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("hand-written:\n%s\nencoding/json:\n%s", got, want.Bytes())
		}
	}
}
