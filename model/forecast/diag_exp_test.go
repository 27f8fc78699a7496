//go:build forecastexp

package forecast

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
	"github.com/dsopilot/dsopilot/model"
	"github.com/dsopilot/dsopilot/model/forecast/realformat"
)

// TestExperimentDiag is a measurement: for an fbl5n-layout export
// (FC_DIAG=DIR holding fbl5n_de.csv and fx_rates.csv) at FC_ORIGINS it
// prints, per origin and week ahead, what came in, the P50, the mean and
// the average delay schedule, and per customer the absolute error of the
// mean and of the average delay over all origin-weeks and in weeks 1-4.
// FC_ITEMS=ID lists that customer's open invoices with their weekly
// probabilities; FC_RHOC=x sets the customer factor's loading to x
// instead of its estimate (what the P50 would be with invoices of one
// customer moving together more).
//
//	FC_DIAG=DIR FC_ORIGINS=2024-01-31,... go test -tags forecastexp \
//	  ./model/forecast -run ExperimentDiag -v
func TestExperimentDiag(t *testing.T) {
	dir := os.Getenv("FC_DIAG")
	if dir == "" {
		t.Skip("FC_DIAG not set")
	}
	ctx := context.Background()
	var e realformat.Export
	for _, x := range realformat.Exports() {
		if x.Name == "fbl5n_de.csv" {
			e = x
		}
	}
	l := loadExport(t, dir, e)
	f, err := os.Open(filepath.Join(dir, "fx_rates.csv"))
	if err != nil {
		t.Fatal(err)
	}
	fx, err := datasets.ReadFX(f, "fx", "EUR")
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	cur := InvoiceCurrencies(l)
	if l, err = l.Convert(fx); err != nil {
		t.Fatal(err)
	}
	h := NewHistory(l, cur)
	ix := features.NewIndex(l)
	const W = 13
	type cerr struct {
		mean, avg, act float64
		wm, wa         [4]float64
	}
	byCust := map[string]*cerr{}
	var wkM, wkA, wkY, wkP [W]float64
	for _, o := range strings.Split(os.Getenv("FC_ORIGINS"), ",") {
		tt, _ := datasets.ParseDate(o)
		b, err := model.Train(ctx, ix, model.TrainOptions{AsOf: tt, Families: []string{model.FamilyLogistic}})
		if err != nil {
			t.Fatal(err)
		}
		preds, err := Predict(ix, b, tt)
		if err != nil {
			t.Fatal(err)
		}
		opt := Options{AsOf: tt, Weeks: W, Paths: 1000}
		if v := os.Getenv("FC_RHOC"); v != "" {
			// What the P50 would be with a stronger customer factor (a
			// measurement, not a setting).
			s := h.EstimateShocks(tt, W)
			fmt.Sscanf(v, "%g", &s.Customer)
			opt.Shocks = &s
		}
		fc, err := Forecast(ctx, h, preds, opt)
		if err != nil {
			t.Fatal(err)
		}
		in, err := h.Prepare(tt, W, preds)
		if err != nil {
			t.Fatal(err)
		}
		r := h.Measure(tt)
		fmt.Printf("origin %s\n", tt)
		// per customer per week: mean, avg, actual
		type cw struct{ m, a, y [W]float64 }
		cws := map[string]*cw{}
		for i := range in.Book {
			it := &in.Book[i]
			c := cws[it.CustomerID]
			if c == nil {
				c = &cw{}
				cws[it.CustomerID] = c
			}
			act := h.bookReceipts(tt, in.Book[i:i+1], W)
			ad := AverageDelaySchedule(tt, in.Book[i:i+1], r, W)
			for k := range W {
				c.m[k] += in.Mean[i*W+k]
				c.a[k] += float64(ad[k])
				c.y[k] += float64(act[k])
			}
			if os.Getenv("FC_ITEMS") != "" && it.CustomerID == os.Getenv("FC_ITEMS") {
				fmt.Printf("   item %s issue %s due %s out %.0f delay %.1f settled %s q=", it.InvoiceID, it.IssueDate, it.DueDate, float64(it.Outstanding)/100, r.Delay(it.CustomerID), h.inv[it.pos].SettledDate)
				for k := range W {
					fmt.Printf(" %.2f", in.Q[i*W+k])
				}
				fmt.Println()
			}
		}
		var tm, ta, ty [W]float64
		for id, c := range cws {
			e := byCust[id]
			if e == nil {
				e = &cerr{}
				byCust[id] = e
			}
			for k := range W {
				e.mean += abs(c.m[k] - c.y[k])
				e.avg += abs(c.a[k] - c.y[k])
				e.act += c.y[k]
				if k < 4 {
					e.wm[k] += abs(c.m[k] - c.y[k])
					e.wa[k] += abs(c.a[k] - c.y[k])
				}
				tm[k] += c.m[k]
				ta[k] += c.a[k]
				ty[k] += c.y[k]
			}
		}
		for k := range W {
			p := float64(fc.Weeks[k].Open.P50)
			fmt.Printf("  wk%2d act %9.0f p50 %9.0f mean %9.0f avg %9.0f | p10 %9.0f p90 %9.0f\n", k+1, ty[k]/100, p/100, tm[k]/100, ta[k]/100, float64(fc.Weeks[k].Open.P10)/100, float64(fc.Weeks[k].Open.P90)/100)
			wkM[k] += abs(tm[k] - ty[k])
			wkA[k] += abs(ta[k] - ty[k])
			wkP[k] += abs(p - ty[k])
			wkY[k] += ty[k]
		}
	}
	ids := make([]string, 0, len(byCust))
	for id := range byCust {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(a, b int) bool { return byCust[ids[a]].act > byCust[ids[b]].act })
	var sy float64
	for _, e := range byCust {
		sy += e.act
	}
	fmt.Println("customer  share_of_actual  |mean-act|/Σact  |avg-act|/Σact")
	for _, id := range ids {
		e := byCust[id]
		fmt.Printf("  %s %.3f %.3f %.3f | weeks 1-4 |mean-act|/|avg-act| in units of week k's actual:", id, e.act/sy, e.mean/sy, e.avg/sy)
		for k := range 4 {
			fmt.Printf(" %.3f/%.3f", e.wm[k]/wkY[k], e.wa[k]/wkY[k])
		}
		fmt.Println()
	}
	fmt.Print("wape by week p50/mean/avg:")
	for k := range W {
		fmt.Printf(" %d:%.2f/%.2f/%.2f", k+1, wkP[k]/wkY[k], wkM[k]/wkY[k], wkA[k]/wkY[k])
	}
	fmt.Println()
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
