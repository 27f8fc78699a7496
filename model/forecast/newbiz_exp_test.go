//go:build forecastexp

// The new-business part alone against what invoices issued after each
// origin brought in, on ledgers in embedded stores: cheap (no model, no
// simulation), for finding why it runs low.
//
//	NB_STORES=S1[:FX[:CUR]],S2 NB_ORIGINS_S1=D1,D2 go test -tags forecastexp ./model/forecast -run ExperimentNewBusiness -v
package forecast

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/embedded"
)

func TestExperimentNewBusiness(t *testing.T) {
	ctx := context.Background()
	for _, spec := range strings.Split(os.Getenv("NB_STORES"), ",") {
		if spec == "" {
			t.Skip("NB_STORES not set")
		}
		f := strings.Split(spec, ":")
		st, err := embedded.Open(ctx, f[0], nil)
		if err != nil {
			t.Fatal(err)
		}
		l, err := st.Load(ctx)
		st.Close()
		if err != nil {
			t.Fatal(err)
		}
		if l, _, err = l.WithImpliedWriteOffs(len(l.Payments) > 0); err != nil {
			t.Fatal(err)
		}
		if len(f) > 2 {
			r, err := os.Open(f[1])
			if err != nil {
				t.Fatal(err)
			}
			fx, err := datasets.ReadFX(r, f[1], f[2])
			r.Close()
			if err != nil {
				t.Fatal(err)
			}
			if l, err = l.Convert(fx); err != nil {
				t.Fatal(err)
			}
		}
		h := NewHistory(l, nil)
		var absErr, sumAct, sumMean float64
		var wk [13][2]float64 // per week ahead: mean, actual
		var custNew, custOld, firstInWin float64
		var settle, early, actW [3]float64
		var eCnt, eAmt, aCnt, aAmt float64
		var hLag, aLag [22]int
		var aEW, aEC, eEC [3]float64
		for _, o := range strings.Split(os.Getenv("NB_ORIGINS_"+filepath.Base(filepath.Dir(f[0]))), ",") {
			tt, err := datasets.ParseDate(o)
			if err != nil {
				t.Fatal(err)
			}
			nb := h.NewBusiness(tt, 13)
			for ci := range h.cust {
				lags, _, _, _ := h.earlyPays(ci, tt)
				for _, L := range lags {
					hLag[L]++
				}
			}
			act := h.newReceiptsActual(tt, 13, nil)
			for _, c := range nb.total.custs {
				if c.early != nil {
					for k := range 3 {
						eEC[k] += c.early.count[k]
					}
					for k := range 13 {
						eCnt += c.early.count[k]
						eAmt += c.early.count[k] * c.early.ea
					}
				}
				for k := range 3 {
					settle[k] += c.count[k] * c.ea
					if c.early != nil {
						early[k] += c.early.count[k] * c.early.ea
					}
				}
			}
			for k := range 3 {
				actW[k] += float64(act[k])
			}
			for i := range h.inv {
				v := &h.inv[i]
				if v.IssueDate <= tt || v.IssueDate > tt.AddDays(91) {
					continue
				}
				for _, p := range v.pays {
					lag := int32(p.date - v.IssueDate)
					if lag < 0 || lag > earlyDays || p.amount <= 0 || (v.SettledDate != 0 && p.date >= v.SettledDate) || p.date > tt.AddDays(91) {
						continue
					}
					aCnt++
					aLag[lag]++
					if w := int(p.date-tt-1) / 7; w < 3 {
						aEW[w] += float64(p.amount)
						aEC[w]++
					}
					aAmt += float64(p.amount)
				}
			}
			for k := range 13 {
				m, a := nb.total.mean[k], float64(act[k])
				absErr += math.Abs(m - a)
				sumAct += a
				sumMean += m
				wk[k][0] += m
				wk[k][1] += a
			}
			// Whose new receipts: customers with a run-rate at tt (their
			// first invoice in the window or before) or none.
			has := map[int]bool{}
			for _, cr := range func() []custRate { r, _ := h.runRate(tt, 13, nil); return r }() {
				has[cr.ci] = true
			}
			for ci := range h.cust {
				a := h.newReceiptsActual(tt, 13, []int{ci})
				var s float64
				for _, x := range a {
					s += float64(x)
				}
				c := &h.cust[ci]
				switch {
				case !has[ci]:
					custNew += s
				case len(c.inv) > 0 && h.inv[c.inv[0]].IssueDate > tt-runRateDays:
					firstInWin += s
				default:
					custOld += s
				}
			}
		}
		fmt.Printf("%s: new mean WAPE %.3f bias %+.1f%%; actual new receipts from customers without a run-rate %.1f%%, first invoice in the window %.1f%%\n",
			f[0], absErr/sumAct, 100*(sumMean-sumAct)/sumAct, 100*custNew/sumAct, 100*firstInWin/sumAct)
		var line []string
		for k := range 13 {
			line = append(line, fmt.Sprintf("%+.0f%%", 100*(wk[k][0]-wk[k][1])/wk[k][1]))
		}
		fmt.Println("  bias by week:", strings.Join(line, " "))
		fmt.Println("  lags history", hLag, "actual", aLag)
		fmt.Printf("  actual early weeks 1-3: %.0f %.0f %.0f; counts expected %.1f %.1f %.1f actual %.0f %.0f %.0f\n", aEW[0]/100, aEW[1]/100, aEW[2]/100,
			eEC[0], eEC[1], eEC[2], aEC[0], aEC[1], aEC[2])
		fmt.Printf("  early payments over the horizons: expected %.1f (%.0f), actual %.0f (%.0f)\n", eCnt, eAmt/100, aCnt, aAmt/100)
		fmt.Printf("  weeks 1-3: settlements %.0f %.0f %.0f, early %.0f %.0f %.0f, actual %.0f %.0f %.0f\n", settle[0]/100, settle[1]/100, settle[2]/100,
			early[0]/100, early[1]/100, early[2]/100, actW[0]/100, actW[1]/100, actW[2]/100)
	}
}
