package forecast

import (
	"cmp"
	"math"
	"slices"

	"github.com/dsopilot/dsopilot/datasets"
)

// Payment runs. Many customers pay in runs: their AP department releases
// every approved invoice due around one date in a single transfer, so
// invoices of one customer due on the same (or a near) day are settled on
// the same day, and land in the same forecast week or the next one
// together. Spread independently, such invoices make the bands too narrow
// (a run that straddles a week boundary moves all of its cash, not half)
// and the weeks' means blur one run date into two.
//
// Whether a customer pays so is measured from its own record, point in
// time: over the invoices issued in the timing record's year and settled
// (not written off) by the as-of date, grouped into due clusters (due
// dates within runSpan days of the cluster's first), the share of pairs
// in one cluster settled on the same day is set against the share that
// independent draws from the customer's own delays (days from due date to
// settlement) would give. A customer whose delays are tight settles
// invoices of one due date on one day by chance alone; only the excess
// over that is a run. With π the excess share of pairs (the probability
// that two invoices of a cluster go in one run beyond chance), shrunk by
// runPrior clusters and kept only when it stands runZ standard errors
// above chance, the open invoices of each due cluster are paid together
// with probability π in each simulated path (one shared pay-date draw
// from the cluster's mean weekly curve) and independently otherwise; each
// invoice's expected receipts are the same mixture, so that the mean and
// the paths describe the same thing.

// runSpan is the widest gap, in days, between the first due date of a due
// cluster and the others: "near" due dates a run pays together. Three
// days take in month-end due dates spread over the 28th to the 31st and a
// weekend's shift, but not a week apart, which a weekly run pays on
// different days. Chosen before any measurement.
const runSpan = 3

// runPrior is the weight, in due clusters, of "no runs" in a customer's
// measured run share: a record of 4 clusters with two or more settled
// invoices counts half its own.
const runPrior = 4

// runZ is how many standard errors the same-day pairs must exceed chance
// by before a customer counts as paying in runs: pairs of one cluster are
// not independent, so the error is inflated by the mean cluster size, and
// a high bar keeps chance coincidences (tight payers due at month ends)
// from binding invoices that do not move together.
const runZ = 2.5

// runMinSettled is the fewest settled invoices a run share rests on.
const runMinSettled = 6

// settledRec is one settled invoice of a customer's record.
type settledRec struct {
	due, settled datasets.Date
}

// runShare measures the run share π of the customer at position ci known
// at the end of day t (0: no evidence of runs).
func (h *History) runShare(ci int, t datasets.Date, scratch *[]settledRec) float64 {
	recs := (*scratch)[:0]
	for _, i := range h.cust[ci].inv {
		v := &h.inv[i]
		if v.IssueDate > t {
			break
		}
		if v.IssueDate <= t-timingWindow || v.SettledDate == 0 || v.SettledDate > t || v.writeOff {
			continue
		}
		recs = append(recs, settledRec{due: v.DueDate, settled: v.SettledDate})
	}
	*scratch = recs
	return runShareOf(recs)
}

// runShareOf is runShare over the settled records recs (reordered).
func runShareOf(recs []settledRec) float64 {
	n := len(recs)
	if n < runMinSettled {
		return 0
	}
	// pInd[Δ+runSpan] is the chance that two independent invoices whose
	// due dates differ by Δ (a's minus b's) settle on one day: b's delay
	// is a's plus Δ. Counted over ordered pairs of distinct invoices of
	// the record (a U-statistic), so an invoice is not paired with itself.
	delays := make([]int32, n)
	for i, r := range recs {
		delays[i] = int32(r.settled - r.due)
	}
	slices.Sort(delays)
	// The delays run-length encoded: x[j] occurs c[j] times.
	var x []int32
	var c []float64
	for i, v := range delays {
		if i == 0 || v != delays[i-1] {
			x = append(x, v)
			c = append(c, 0)
		}
		c[len(c)-1]++
	}
	var pInd [2*runSpan + 1]float64
	for d := -runSpan; d <= runSpan; d++ {
		var s float64
		for i, j := 0, 0; i < len(x); i++ {
			want := x[i] + int32(d)
			for j < len(x) && x[j] < want {
				j++
			}
			if j < len(x) && x[j] == want {
				s += c[i] * c[j]
			}
		}
		if d == 0 {
			s -= float64(n)
		}
		pInd[d+runSpan] = s / float64(n*(n-1))
	}
	slices.SortFunc(recs, func(a, b settledRec) int {
		return cmp.Or(cmp.Compare(a.due, b.due), cmp.Compare(a.settled, b.settled))
	})
	var same, expect, variance, pairs, clusters, members float64
	var days []datasets.Date
	for lo := 0; lo < n; {
		hi := lo + 1
		for hi < n && recs[hi].due-recs[lo].due <= runSpan {
			hi++
		}
		if k := hi - lo; k >= 2 {
			clusters++
			members += float64(k)
			pairs += float64(k * (k - 1) / 2)
			// Chance: each pair of due days weighs the pairs between them.
			for a := lo; a < hi; {
				na := a + 1
				for na < hi && recs[na].due == recs[a].due {
					na++
				}
				for b := a; b < hi; {
					nb := b + 1
					for nb < hi && recs[nb].due == recs[b].due {
						nb++
					}
					w := float64(na-a) * float64(nb-b)
					if b == a {
						w = float64((na-a)*(na-a-1)) / 2
					}
					p := pInd[int(recs[a].due-recs[b].due)+runSpan]
					expect += w * p
					variance += w * p * (1 - p)
					b = nb
				}
				a = na
			}
			// Observed: pairs settled on one day.
			days = days[:0]
			for _, r := range recs[lo:hi] {
				days = append(days, r.settled)
			}
			slices.Sort(days)
			for a := 0; a < len(days); {
				b := a + 1
				for b < len(days) && days[b] == days[a] {
					b++
				}
				same += float64((b - a) * (b - a - 1) / 2)
				a = b
			}
		}
		lo = hi
	}
	if clusters == 0 || pairs-expect <= 1e-9 {
		// Delays so tight that chance settles every pair on one day:
		// nothing is left for runs to explain (and such invoices land in
		// one week anyway).
		return 0
	}
	excess := same - expect
	if excess <= 0 || excess < runZ*math.Sqrt(variance*members/clusters) {
		return 0
	}
	pi := excess / (pairs - expect)
	return min(pi*clusters/(clusters+runPrior), 1)
}

// runGroup is a due cluster of one customer's open invoices that pay
// together with probability pi: members are book positions, own their
// weekly probabilities alone (Q before the runs), mean the members'
// mean curve, which a run's shared draw follows.
type runGroup struct {
	pi      float64
	members []int
	own     [][]float64
	mean    []float64
}

// applyRuns finds the open book's due clusters of customers paying in
// runs, measured at in.AsOf, and blends each member's weekly
// probabilities and expected receipts to the mixture the simulation
// draws: with probability π the cluster's mean curve, else its own.
func (h *History) applyRuns(in *Inputs) {
	W := in.Weeks
	var scratch []settledRec
	var idx []int
	var clusters [][2]int
	for lo := 0; lo < len(in.Book); {
		hi := lo + 1
		for hi < len(in.Book) && in.Book[hi].CustomerID == in.Book[lo].CustomerID {
			hi++
		}
		if hi-lo < 2 {
			lo = hi
			continue
		}
		idx = idx[:0]
		for i := lo; i < hi; i++ {
			if in.Book[i].Expected() > 0 {
				idx = append(idx, i)
			}
		}
		slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(in.Book[a].DueDate, in.Book[b].DueDate) })
		// The due clusters first: a customer without two open invoices
		// due together has no run to draw, and its record is not read.
		clusters = clusters[:0]
		for a := 0; a < len(idx); {
			b := a + 1
			for b < len(idx) && in.Book[idx[b]].DueDate-in.Book[idx[a]].DueDate <= runSpan {
				b++
			}
			if b-a >= 2 {
				clusters = append(clusters, [2]int{a, b})
			}
			a = b
		}
		pi := 0.0
		if len(clusters) > 0 {
			pi = h.runShare(int(in.Book[lo].cust), in.AsOf, &scratch)
		}
		before := len(in.runs)
		for _, c := range clusters {
			if pi > 0 {
				in.addRun(pi, slices.Clone(idx[c[0]:c[1]]), W)
			}
		}
		if len(in.runs) > before {
			in.RunPayers++
		}
		lo = hi
	}
}

// addRun records one run group and blends its members' curves.
func (in *Inputs) addRun(pi float64, members []int, W int) {
	g := runGroup{pi: pi, members: members, own: make([][]float64, len(members)), mean: make([]float64, W)}
	for m, i := range members {
		q := in.Q[i*W : (i+1)*W]
		g.own[m] = slices.Clone(q)
		for k, v := range q {
			g.mean[k] += v / float64(len(members))
		}
	}
	if in.runOf == nil {
		in.runOf = make([]int32, len(in.Book))
		for i := range in.runOf {
			in.runOf[i] = -1
		}
	}
	id := int32(len(in.runs))
	for _, i := range members {
		in.runOf[i] = id
		q := in.Q[i*W : (i+1)*W]
		for k := range q {
			q[k] = pi*g.mean[k] + (1-pi)*q[k]
		}
		in.Book[i].expectedWeeks(in.AsOf, q, in.Mean[i*W:(i+1)*W])
	}
	in.runs = append(in.runs, g)
}

// thresholds writes the probits of q's running sums into thr.
func thresholds(q, thr []float64) {
	c := 0.0
	for k, v := range q {
		c += v
		thr[k] = probit(c)
	}
}
