//go:build forecastexp

// Where the new-business part's bias comes from, per ledger, over the
// origins given (the part's mean alone: no model, no simulation; its bias
// is the backtest's new.bias exactly). It prints:
//
//   - the receipts' bias, and the expected invoicing's against what was
//     invoiced in the horizons, with and without the seasonal factor
//     (season.go), and the share of the invoicing expected collected
//     within the horizon against the share that was (the pay-date side);
//
//   - what customers without a run-rate (new, or back after 13 weeks)
//     invoiced, against what the run-rate expected from customers that
//     invoiced nothing in the horizon (churn);
//
//   - per origin, the invoicing the horizon brought over the run-rate's
//     (before the season), the trend of the last half-year against the
//     one before (its square root: 91 days of it; shrunk as the season);
//
//   - per origin, the receipts' bias, its spread and the bias's standard
//     error, the horizons of monthly origins overlapping (about
//     (span + 91) / 91 of them independent);
//
//   - what the customers that had stopped paying at the origin (an
//     invoice 90+ days past due, nothing paid or settled for 60 days)
//     were expected to bring and brought;
//
//   - a drift factor: what 13 weeks brought against the 13 before them,
//     summed over the year's weekly windows (s = t−91 … t−364), raw and
//     shrunk as the season, and the bias with it instead of the season;
//
//   - the seasonal factor with its noise shrinkage's effect variance
//     pooled over the year's weekly windows (the mean of r² − v over the
//     log-ratios of 13 weeks against the 13 before, s = t−91 … t−364)
//     instead of estimated from the one year-ago ratio, and the bias then.
//
//     NBD_SPEC=FILE go test -tags forecastexp ./model/forecast -run ExperimentNewBusinessDiag -v
//
// FILE has a line per ledger: NAME STORE FX|- CUR|- ORIGIN,ORIGIN,...
// (STORE an embedded store: dsopilot import --store STORE ...).
package forecast

import (
	"context"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/embedded"
)

func TestExperimentNewBusinessDiag(t *testing.T) {
	spec, err := os.ReadFile(os.Getenv("NBD_SPEC"))
	if err != nil {
		t.Skip("NBD_SPEC not set")
	}
	ctx := context.Background()
	for _, ln := range strings.Split(strings.TrimSpace(string(spec)), "\n") {
		f := strings.Fields(ln)
		st, err := embedded.OpenReadOnly(ctx, f[1], nil)
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
		if f[2] != "-" {
			r, err := os.Open(f[2])
			if err != nil {
				t.Fatal(err)
			}
			fx, err := datasets.ReadFX(r, f[2], f[3])
			r.Close()
			if err != nil {
				t.Fatal(err)
			}
			if l, err = l.Convert(fx); err != nil {
				t.Fatal(err)
			}
		}
		h := NewHistory(l, nil)
		var eInv, aInv, eRec, aRec, aInvNewCust, eInvGone, eInvNoSeason, aRecNewCust float64
		var seasons, trends, taus []string
		var perOrigin []float64
		var firstOrigin, lastOrigin datasets.Date
		var drifts []string
		var eRecDrift, eRecDriftS float64
		var eRecNew, eRecStopped, aRecStopped float64
		stopped := 0
		for _, o := range strings.Split(f[4], ",") {
			tt, err := datasets.ParseDate(o)
			if err != nil {
				t.Fatal(err)
			}
			nb := h.NewBusiness(tt, 13)
			g := h.invoiced(tt-182, tt, nil) / h.invoiced(tt-364, tt-182, nil)
			var ys SeasonYear
			for ci := range h.cust {
				ys.AddCustomer(int64(h.invoiced(tt-182, tt, []int{ci})), int64(h.invoiced(tt-364, tt-182, []int{ci})))
			}
			r, v, _ := ys.LogRatio(182, 182)
			var nsb float64
			for _, c := range nb.byCust {
				nsb += c.perDay / nb.Seasonal * 91
			}
			// Pooled τ²: the year's weekly windows' log-ratios beyond noise.
			var sum float64
			var m int
			for j := 13; j <= 52; j++ {
				sd := tt.AddDays(-7 * j)
				if sd-91 < h.first {
					continue
				}
				var w SeasonYear
				for ci := range h.cust {
					w.AddCustomer(int64(h.invoiced(sd, sd+91, []int{ci})), int64(h.invoiced(sd-91, sd, []int{ci})))
				}
				if rs, vs, ok := w.LogRatio(91, 91); ok && !math.IsInf(vs, 0) {
					sum += rs*rs - vs
					m++
				}
			}
			// The run-rate's own record over the year: what 13 weeks
			// brought against the 13 before them, summed over the
			// windows, per customer (growth, arrivals and churn together).
			var drift SeasonYear
			for ci := range h.cust {
				var hc, bc int64
				for j := 13; j <= 52; j++ {
					sd := tt.AddDays(-7 * j)
					if sd-91 < h.first {
						continue
					}
					hc += int64(h.invoiced(sd, sd+91, []int{ci}))
					bc += int64(h.invoiced(sd-91, sd, []int{ci}))
				}
				drift.AddCustomer(hc, bc)
			}
			fd, fds := 1.0, 1.0
			if rd, vd, ok := drift.LogRatio(91, 91); ok {
				fd, fds = math.Exp(rd), ShrunkFactor(rd, vd, 2)
			}
			drifts = append(drifts, fmt.Sprintf("%.2f/%.2f", fd, fds))
			tau2 := 0.0
			if m > 0 {
				tau2 = max(0, sum/float64(m))
			}
			_, ss := h.runRateSums(tt, 13, nil)
			ry, vy, ok := ss[0].LogRatio(91, 91)
			fNew := 1.0
			if ok && seasonYearStart(tt, 0)-runRateDays >= h.first && tau2+vy > 0 {
				fNew = math.Exp(ry * tau2 / (tau2 + vy))
			}
			var recOrigin, actOrigin float64
			for k := range 13 {
				recOrigin += nb.total.mean[k]
			}
			for _, x := range h.newReceiptsActual(tt, 13, nil) {
				actOrigin += float64(x)
			}
			perOrigin = append(perOrigin, recOrigin/actOrigin-1)
			if len(perOrigin) == 1 {
				firstOrigin = tt
			}
			lastOrigin = tt
			eRecNew += recOrigin * fNew / nb.Seasonal
			eRecDrift += recOrigin * fd
			eRecDriftS += recOrigin * fds
			taus = append(taus, fmt.Sprintf("%.3f:%.2f", math.Sqrt(tau2), fNew))
			trends = append(trends, fmt.Sprintf("%.2f/%.2f(%.2f)", h.invoiced(tt, tt+91, nil)/nsb, math.Sqrt(g), ShrunkFactor(r/2, v/4, 2)))
			seasons = append(seasons, fmt.Sprintf("%.2f", nb.Seasonal))
			eInv += float64(nb.Invoicing)
			has := map[string]bool{}
			for _, c := range nb.byCust {
				has[c.id] = true
				eInvNoSeason += c.perDay / nb.Seasonal * 91
			}
			for k := range 13 {
				eRec += nb.total.mean[k]
			}
			for ci := range h.cust {
				id := h.cust[ci].ID
				inv := h.invoiced(tt, tt.AddDays(91), []int{ci})
				aInv += inv
				var rec float64
				for _, x := range h.newReceiptsActual(tt, 13, []int{ci}) {
					rec += float64(x)
				}
				aRec += rec
				if !has[id] {
					aInvNewCust += inv
					aRecNewCust += rec
				}
			}
			for _, c := range nb.byCust {
				ci := h.byID[c.id]
				if stoppedAt(h, ci, tt) {
					stopped++
					for k := range 13 {
						eRecStopped += c.part.mean[k]
					}
					for _, x := range h.newReceiptsActual(tt, 13, []int{ci}) {
						aRecStopped += float64(x)
					}
				}
				if h.invoiced(tt, tt.AddDays(91), []int{ci}) == 0 {
					eInvGone += c.perDay * 91
				}
			}
		}

		fmt.Printf("%-10s receipts bias %+.1f%% | invoicing bias %+.1f%% (before season %+.1f%%) | collected in horizon: expected %.3f actual %.3f (%+.1f%%) | actual invoicing by customers without a run-rate %.1f%% (receipts %.1f%%), expected from customers who invoiced nothing %.1f%% | season %s\n",
			f[0], 100*(eRec/aRec-1), 100*(eInv/aInv-1), 100*(eInvNoSeason/aInv-1), eRec/eInv, aRec/aInv, 100*((eRec/eInv)/(aRec/aInv)-1),
			100*aInvNewCust/aInv, 100*aRecNewCust/aRec, 100*eInvGone/eInv, strings.Join(seasons, " "))
		fmt.Println("   ideal/trend(shrunk):", strings.Join(trends, " "))
		// The origins' horizons overlap: about (span + 91) / 91 of them
		// are independent.
		var mu, sd float64
		for _, x := range perOrigin {
			mu += x / float64(len(perOrigin))
		}
		for _, x := range perOrigin {
			sd += (x - mu) * (x - mu) / float64(len(perOrigin)-1)
		}
		sd = math.Sqrt(sd)
		nEff := min(float64(len(perOrigin)), float64(lastOrigin-firstOrigin+91)/91)
		var po []string
		for _, x := range perOrigin {
			po = append(po, fmt.Sprintf("%+.0f%%", 100*x))
		}
		fmt.Printf("   per origin %s: sd %.1f%%, about %.1f independent horizons, standard error of the bias %.1f%%\n", strings.Join(po, " "), 100*sd, nEff, 100*sd/math.Sqrt(nEff))
		fmt.Printf("   stopped customers (customer-origins %d): expected %.1f%% of actual new receipts, brought %.1f%%; without them bias %+.1f%%\n", stopped, 100*eRecStopped/aRec, 100*aRecStopped/aRec, 100*((eRec-eRecStopped)/aRec-1))
		fmt.Printf("   drift raw/shrunk %s: bias with it %+.1f%% / %+.1f%%\n", strings.Join(drifts, " "), 100*(eRecDrift/aRec-1), 100*(eRecDriftS/aRec-1))
		fmt.Printf("   pooled tau:factor %s; receipts bias with it %+.1f%%\n", strings.Join(taus, " "), 100*(eRecNew/aRec-1))
	}
}

// stoppedAt says whether customer ci has stopped paying at t: an invoice
// open at t at least 90 days past due, and nothing paid or settled in the
// 60 days to t.
func stoppedAt(h *History, ci int, t datasets.Date) bool {
	overdue := false
	for _, i := range h.cust[ci].inv {
		v := &h.inv[i]
		if v.IssueDate > t {
			break
		}
		if (v.SettledDate == 0 || v.SettledDate > t) && v.DueDate <= t-90 {
			overdue = true
		}
		if v.SettledDate > t-60 && v.SettledDate <= t {
			return false
		}
		for _, p := range v.pays {
			if p.date > t-60 && p.date <= t && p.amount > 0 {
				return false
			}
		}
	}
	return overdue
}
