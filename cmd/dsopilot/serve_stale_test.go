package main

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/dsopilot/dsopilot/api"
	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/recommender"
)

// serve on an old export without --as-of warns at start, once, naming the
// ledger's last day and the --as-of to pass; a current ledger does not.
func TestServeWarnsOfAnOldLedger(t *testing.T) {
	last := datasets.NewDate(2025, time.January, 1)
	l := &datasets.Ledger{Invoices: []datasets.Invoice{{ID: "I1", CustomerID: "C1", IssueDate: last, DueDate: last.AddDays(30)}}}
	cases := []struct {
		name  string
		asOf  datasets.Date
		warns int
	}{
		{"current", last.AddDays(1), 0},
		{"two years on", last.AddDays(700), 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			w := &staleWatch{RecommenderCollections: api.NewRecommenderCollections(recommender.NewDaily(recommender.RecommendOptions{})),
				log: slog.New(slog.NewJSONHandler(&buf, nil))}
			w.Follow(l, tc.asOf)
			w.Follow(l, tc.asOf) // a reload of the same ledger: no second warning
			logs := buf.String()
			if n := strings.Count(logs, `"level":"WARN"`); n != tc.warns {
				t.Fatalf("%d warnings, want %d:\n%s", n, tc.warns, logs)
			}
			if tc.warns > 0 && (!strings.Contains(logs, `"ledger_last_day":"2025-01-01"`) || !strings.Contains(logs, "--as-of 2025-01-02")) {
				t.Fatalf("the warning lacks the last day or the --as-of:\n%s", logs)
			}
		})
	}
}
