package recommender

import (
	"reflect"
	"testing"
)

func TestSummarizeRanking(t *testing.T) {
	row := func(b, a string, truth, est, est30 float64, situations int, bags ...float64) RankingRow {
		return RankingRow{Behaviour: b, Action: a, PRespond: truth, Response: est, Response30: est30, Situations: situations, bags: bags}
	}
	tests := []struct {
		name string
		rows []RankingRow
		want RankingSummary // List left out
	}{
		{"ordered", []RankingRow{row("p", "call", 0.8, 0.5, 0.3, 10), row("p", "reminder", 0.6, 0.4, 0.2, 10), row("p", "courtesy", 0.5, 0.1, 0.25, 10)},
			RankingSummary{Pairs: 3, Correct: 3, Pairs5: 3, Correct5: 3, Correct30: 2}},
		{"ties in the truth and other behaviours are no pairs", []RankingRow{row("p", "call", 0.8, 0.1, 0.1, 10), row("p", "reminder", 0.8, 0.5, 0.5, 10),
			row("q", "call", 0.3, 0.1, 0.2, 10)}, RankingSummary{}},
		{"a type never allowed counts as wrong", []RankingRow{row("p", "agency", 0.9, 0, 0.6, 0), row("p", "call", 0.5, 0.2, 0.1, 10)},
			RankingSummary{Pairs: 1, Pairs5: 1, Unestimable: 1, Correct30: 1}},
		{"small true differences", []RankingRow{row("p", "call", 0.52, 0.1, 0.1, 10), row("p", "reminder", 0.5, 0.2, 0.05, 10)},
			RankingSummary{Pairs: 1, Correct30: 1}},
		{"intervals from paired bags", []RankingRow{row("p", "call", 0.8, 0.5, 0.5, 10, 0.5, 0.6, 0.4), row("p", "reminder", 0.6, 0.4, 0.4, 10, 0.1, 0.2, 0.15),
			row("p", "courtesy", 0.5, 0.45, 0.45, 10, 0.1, 0.8, 0.45)},
			RankingSummary{Pairs: 3, Correct: 2, Pairs5: 3, Correct5: 2, Correct30: 2, Resolved: 1}},
		{"resolved the wrong way", []RankingRow{row("p", "call", 0.8, 0.1, 0.1, 10, 0.1, 0.12, 0.08), row("p", "reminder", 0.6, 0.5, 0.5, 10, 0.5, 0.55, 0.45)},
			RankingSummary{Pairs: 1, Pairs5: 1, Resolved: 1, Wrong: 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := summarizeRanking(tc.rows)
			if len(got.List) != got.Pairs {
				t.Errorf("%d pairs listed, %d counted", len(got.List), got.Pairs)
			}
			got.List = nil
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestSummarizeRankingMeasuredPairs(t *testing.T) {
	row := func(a string, truth, model, dr, replayed float64, measured bool, reps ...float64) RankingRow {
		return RankingRow{Behaviour: "p", Action: a, PRespond: truth, Response: model, Situations: 100, Measured: measured,
			DR: Estimate{Mean: dr}, Replayed: replayed, drReps: reps}
	}
	type counts struct{ measured, modelOK, drOK, resolved, wrong, replayedOK int }
	tests := []struct {
		name string
		rows []RankingRow
		want counts
	}{
		{"a cell with too little evidence leaves its pairs unmeasured",
			[]RankingRow{row("call", 0.8, 0.5, 0.7, 0.8, true), row("reminder", 0.6, 0.4, 0.5, 0.6, true), row("agency", 0.9, 0.1, 0, 0.9, false)},
			counts{measured: 1, modelOK: 1, drOK: 1, replayedOK: 3}},
		{"paired resamples resolve a pair",
			[]RankingRow{row("call", 0.8, 0.5, 0.7, 0.8, true, 0.7, 0.72, 0.68, 0.71), row("reminder", 0.6, 0.6, 0.5, 0.7, true, 0.5, 0.52, 0.48, 0.51)},
			counts{measured: 1, drOK: 1, resolved: 1, replayedOK: 1}},
		{"resolved the wrong way",
			[]RankingRow{row("call", 0.8, 0.5, 0.4, 0.8, true, 0.4, 0.41, 0.39), row("reminder", 0.6, 0.4, 0.6, 0.6, true, 0.6, 0.61, 0.59)},
			counts{measured: 1, modelOK: 1, resolved: 1, wrong: 1, replayedOK: 1}},
		{"overlapping resamples do not resolve",
			[]RankingRow{row("call", 0.8, 0.5, 0.6, 0.8, true, 0.4, 0.8, 0.6), row("reminder", 0.6, 0.4, 0.5, 0.6, true, 0.6, 0.4, 0.5)},
			counts{measured: 1, modelOK: 1, drOK: 1, replayedOK: 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := summarizeRanking(tc.rows)
			got := counts{s.Measured, s.MeasuredCorrect, s.DRCorrect, s.DRResolved, s.DRWrong, s.ReplayedCorrect}
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
			n := 0
			for _, p := range s.List {
				if p.Measured {
					n++
				}
			}
			if n != s.Measured {
				t.Errorf("%d pairs listed as measured, %d counted", n, s.Measured)
			}
		})
	}
}
