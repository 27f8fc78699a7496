//go:build forecastexp

package forecast

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/synth"
	"github.com/dsopilot/dsopilot/model/forecast/realformat"
)

// TestExperimentRuns is a measurement: which customers the forecast
// finds paying in runs (runShare) at FR_ORIGINS, on simulated ledgers
// (FR_SEEDS=seed:customers,...; 24 months) and on fbl5n_de.csv
// exports (FR_FBL=DIR,...), with the share of the book's cash they hold.
//
//	FR_SEEDS=731:100 FR_FBL=/tmp/rf300 FR_ORIGINS=2024-01-31,2024-06-30 \
//	  go test -tags forecastexp ./model/forecast -run ExperimentRuns -v
func TestExperimentRuns(t *testing.T) {
	ctx := context.Background()
	var hs []*History
	var names []string
	for _, sc := range strings.Split(os.Getenv("FR_SEEDS"), ",") {
		if sc == "" {
			continue
		}
		seed, _ := strconv.Atoi(strings.Split(sc, ":")[0])
		nc, _ := strconv.Atoi(strings.Split(sc, ":")[1])
		l, _, err := synth.Collect(ctx, synth.Config{Customers: nc, Months: 24, Seed: uint64(seed)})
		if err != nil {
			t.Fatal(err)
		}
		hs, names = append(hs, NewHistory(l, nil)), append(names, "synth "+sc)
	}
	for _, dir := range strings.Split(os.Getenv("FR_FBL"), ",") {
		if dir == "" {
			continue
		}
		l := loadExport(t, dir, realformat.Exports()[0])
		hs, names = append(hs, NewHistory(l, nil)), append(names, dir)
	}
	for n, h := range hs {
		for _, o := range strings.Split(os.Getenv("FR_ORIGINS"), ",") {
			tt, _ := datasets.ParseDate(o)
			in, err := h.Prepare(tt, 13, nil)
			if err != nil {
				t.Fatal(err)
			}
			var all, inRuns float64
			for i := range in.Book {
				all += float64(in.Book[i].Expected())
				if in.runOf != nil && in.runOf[i] >= 0 {
					inRuns += float64(in.Book[i].Expected())
				}
			}
			fmt.Printf("%s %s: %d customers pay in runs, %d runs, %.1f%% of the open book in them\n", names[n], tt, in.RunPayers, len(in.runs), 100*inRuns/max(all, 1))
			var scratch []settledRec
			for ci := range h.cust {
				if pi := h.runShare(ci, tt, &scratch); pi > 0 {
					fmt.Printf("  %s pi %.2f (%d settled in the year)\n", h.cust[ci].ID, pi, len(scratch))
				}
			}
		}
	}
}
