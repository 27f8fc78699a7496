package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math"
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
)

// forecast compare lines the total received over the snapshot's weeks up
// against the total band the snapshot kept, on both stores: judged when
// every week is complete, shown as received so far when not, and, for a
// snapshot saved before snapshots kept the band, said to be missing
// rather than shown as zeros.
func TestForecastCompareTotalBandOnBothStores(t *testing.T) {
	type line struct {
		Band struct {
			Mean, P10, P50, P90 float64
		}
		Actual   float64
		Within   bool `json:"within_p10_p90"`
		Position string
	}
	type comparison struct {
		Kept  bool `json:"total_band_kept"`
		Total *struct {
			Status         string
			Weeks          int
			Complete       int `json:"complete_weeks"`
			Open, New, All line
		}
		Weeks []struct {
			ActualOpen float64 `json:"actual_open"`
			ActualNew  float64 `json:"actual_new"`
		}
	}
	for _, kind := range []string{"embedded", "clickhouse"} {
		t.Run(kind, func(t *testing.T) {
			spec := ""
			if kind == "clickhouse" {
				spec = chStore(t)
			}
			// The ledger runs to 2024-03-31: the 13 weeks after
			// 2023-12-31 are all complete, those after 2024-01-31 not.
			store, reg := trained(t, spec, "2023-12-31")
			snapshot := func(asOf string) string {
				out, _, err := call(t, nil, "forecast", "snapshot", "--store", store, "--registry", reg, "--as-of", asOf, "--paths", "300")
				if err != nil || !strings.HasPrefix(out, "saved forecast snapshot "+asOf+"-") {
					t.Fatalf("snapshot: %v\n%s", err, out)
				}
				return strings.Fields(out)[3]
			}
			compare := func(id string) (comparison, string) {
				t.Helper()
				js, _, err := call(t, nil, "forecast", "compare", "--store", store, "--snapshot", id, "--json")
				var c comparison
				if err != nil || json.Unmarshal([]byte(js), &c) != nil || len(c.Weeks) != 13 {
					t.Fatalf("compare %s --json: %v\n%s", id, err, js)
				}
				text, _, err := call(t, nil, "forecast", "compare", "--store", store, "--snapshot", id)
				if err != nil {
					t.Fatalf("compare %s: %v", id, err)
				}
				return c, text
			}
			complete := snapshot("2023-12-31")
			c, text := compare(complete)
			if !c.Kept || c.Total == nil || c.Total.Status != "complete" || c.Total.Weeks != 13 || c.Total.Complete != 13 {
				t.Fatalf("complete comparison's total: kept %v, %+v", c.Kept, c.Total)
			}
			var open, nw float64
			for _, w := range c.Weeks {
				open += w.ActualOpen
				nw += w.ActualNew
			}
			for _, l := range []struct {
				name   string
				line   line
				actual float64
			}{{"open", c.Total.Open, open}, {"new", c.Total.New, nw}, {"all", c.Total.All, open + nw}} {
				b := l.line.Band
				within := l.line.Actual >= b.P10 && l.line.Actual <= b.P90
				want := map[bool]string{true: "within"}[within]
				if !within {
					want = map[bool]string{true: "below_p10", false: "above_p90"}[l.line.Actual < b.P10]
				}
				if math.Abs(l.line.Actual-l.actual) > 0.005 || !(b.P10 <= b.P50 && b.P50 <= b.P90) || b.P90 <= 0 ||
					l.line.Within != within || l.line.Position != want {
					t.Errorf("%s total: %+v; the weeks received %.2f", l.name, l.line, l.actual)
				}
			}
			if !strings.Contains(text, "13-week total, all 13 weeks complete, against its band") || !strings.Contains(text, "open + new") ||
				!strings.Contains(text, "within P10-P90") {
				t.Errorf("complete comparison's text:\n%s", text)
			}
			partial := snapshot("2024-01-31")
			c, text = compare(partial)
			if c.Total == nil || c.Total.Status != "partial" || c.Total.Complete != 8 || c.Total.All.Position != "" || c.Total.All.Within {
				t.Errorf("partial comparison's total: %+v", c.Total)
			}
			if !strings.Contains(text, "13-week total: 8 of 13 weeks complete, received so far") {
				t.Errorf("partial comparison's text:\n%s", text)
			}
			// The complete snapshot as an earlier build saved it: no band.
			ctx := context.Background()
			st, err := openStore(ctx, store, slog.New(slog.NewTextHandler(io.Discard, nil)), true)
			if err != nil {
				t.Fatal(err)
			}
			ss := st.(datasets.SnapshotStore)
			snap, err := ss.Snapshot(ctx, complete)
			if err != nil || snap.Total == nil {
				t.Fatalf("the saved snapshot: %v, total band %+v", err, snap)
			}
			old := *snap
			old.ID, old.Total = "old", nil
			if err := ss.PutSnapshot(ctx, &old); err != nil {
				t.Fatal(err)
			}
			st.Close()
			c, text = compare("old")
			if c.Kept || c.Total != nil {
				t.Errorf("a snapshot without a band: kept %v, total %+v", c.Kept, c.Total)
			}
			if !strings.Contains(text, "13-week total: total band not kept by this snapshot") || strings.Contains(text, "its band") {
				t.Errorf("a snapshot without a band, text:\n%s", text)
			}
		})
	}
}
