//go:build forecastexp

package forecast

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/synth"
	"github.com/dsopilot/dsopilot/features"
	"github.com/dsopilot/dsopilot/model"
)

// TestExperimentTail is a measurement, not a check (it asserts nothing,
// like the other experiments behind this tag): it splits the open book's
// expected receipts per week ahead, and what came in, by where each
// invoice stood at the origin (overdue, due within 4 weeks, ...), with the
// timing record alone or, with FC_MODEL=1, leveled by a logistic model
// trained at the origin. It shows where the weeks-11-13 shortfall of the
// backtests comes from:
//
//	FC_TAIL=30,18,33 FC_ORIGINS=2023-10-31,2024-03-31 [FC_MODEL=1] \
//	  go test -tags forecastexp ./model/forecast -run ExperimentTail -v
func TestExperimentTail(t *testing.T) {
	if os.Getenv("FC_TAIL") == "" {
		t.Skip("FC_TAIL not set")
	}
	var cfg synth.Config
	fmt.Sscanf(os.Getenv("FC_TAIL"), "%d,%d,%d", &cfg.Customers, &cfg.Months, &cfg.Seed)
	l, _, err := synth.Collect(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	h := NewHistory(l, nil)
	type acc struct{ m, a [13]float64 }
	cats := map[string]*acc{}
	for _, o := range strings.Split(os.Getenv("FC_ORIGINS"), ",") {
		tt, _ := datasets.ParseDate(o)
		var preds []model.Prediction
		if os.Getenv("FC_MODEL") != "" {
			ix := features.NewIndex(l)
			b, err := model.Train(context.Background(), ix, model.TrainOptions{AsOf: tt, Families: []string{model.FamilyLogistic}})
			if err != nil {
				t.Fatal(err)
			}
			if preds, err = Predict(ix, b, tt); err != nil {
				t.Fatal(err)
			}
		}
		in, err := h.Prepare(tt, 13, preds)
		if err != nil {
			t.Fatal(err)
		}
		for i := range in.Book {
			it := &in.Book[i]
			od := int(tt - it.DueDate)
			c := "notdue>8w"
			switch {
			case od > 30:
				c = "overdue>30"
			case od > 0:
				c = "overdue1-30"
			case od > -28:
				c = "due<4w"
			case od > -56:
				c = "due4-8w"
			}
			if cats[c] == nil {
				cats[c] = &acc{}
			}
			act := h.bookReceipts(tt, in.Book[i:i+1], 13)
			for k := range 13 {
				cats[c].m[k] += in.Mean[i*13+k]
				cats[c].a[k] += float64(act[k])
			}
		}
	}
	for c, v := range cats {
		var sm, sa float64
		for k := range 13 {
			sm += v.m[k]
			sa += v.a[k]
		}
		fmt.Printf("%-12s total m/a %.3f |", c, sm/sa)
		for k := range 13 {
			fmt.Printf(" %5.0f/%5.0f", v.m[k]/1e6, v.a[k]/1e6)
		}
		fmt.Println()
	}
}
