package forecast

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
)

// runLedger is a customer's year of invoices: clusters of size invoices
// due on each month's last day of 2023, settled as settle says (given the
// cluster's due date, its run draw and the invoice's own draw), and size
// invoices due on 2024-01-31 still open on 2024-01-10.
func runLedger(size int, settle func(due datasets.Date, run, own int) datasets.Date) *datasets.Ledger {
	r := rand.New(rand.NewPCG(7, 11))
	l := &datasets.Ledger{Customers: []datasets.Customer{{ID: "R"}}}
	n := 0
	add := func(due, settled datasets.Date) {
		n++
		l.Invoices = append(l.Invoices, datasets.Invoice{ID: fmt.Sprintf("I%03d", n), CustomerID: "R", IssueDate: due.AddDays(-30),
			DueDate: due, SettledDate: settled, Amount: 1000_00, Currency: "EUR"})
	}
	for m := 2; m <= 13; m++ {
		due := datasets.NewDate(2023, time.Month(m), 1).AddDays(-1) // the last day of month m-1
		run := r.IntN(16) - 3
		for range size {
			add(due, settle(due, run, r.IntN(16)-3))
		}
	}
	for range size {
		add(datasets.NewDate(2024, 1, 31), 0)
	}
	return l
}

// inRun settles an invoice on its cluster's run day; alone on its own day.
func inRun(due datasets.Date, run, _ int) datasets.Date     { return due.AddDays(run) }
func alone(due datasets.Date, _, own int) datasets.Date     { return due.AddDays(own) }
func onTheDay(due datasets.Date, _, _ int) datasets.Date    { return due }
func earlyRuns(due datasets.Date, run, _ int) datasets.Date { return due.AddDays(-max(run, -run)) }

// TestRunShare: a customer is found to pay in runs only when its invoices
// of one due cluster settle on one day more often than its own delays
// explain: not when it pays each invoice on its own day, nor when it pays
// everything on the due date (chance puts those on one day anyway), nor
// on a record too short to say.
func TestRunShare(t *testing.T) {
	cases := []struct {
		name   string
		size   int
		settle func(due datasets.Date, run, own int) datasets.Date
		lo, hi float64
	}{
		{"pays each due date's invoices in one run", 4, inRun, 0.6, 1},
		{"runs of two", 2, inRun, 0.5, 1},
		{"early runs", 3, earlyRuns, 0.5, 1},
		{"pays each invoice on its own day", 4, alone, 0, 0},
		{"pays everything on the due date", 4, onTheDay, 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := NewHistory(runLedger(c.size, c.settle), nil)
			var scratch []settledRec
			pi := h.runShare(0, datasets.NewDate(2024, 1, 10), &scratch)
			t.Logf("run share %.3f", pi)
			if pi < c.lo || pi > c.hi {
				t.Errorf("run share %.3f, want %.2f..%.2f", pi, c.lo, c.hi)
			}
		})
	}
	t.Run("too short a record", func(t *testing.T) {
		recs := make([]settledRec, runMinSettled-1)
		for i := range recs {
			recs[i] = settledRec{due: datasets.NewDate(2023, 3, 31), settled: datasets.NewDate(2023, 4, 5)}
		}
		if pi := runShareOf(recs); pi != 0 {
			t.Errorf("run share %.3f of %d invoices, want 0", pi, len(recs))
		}
	})
	t.Run("point in time", func(t *testing.T) {
		// The run payer's record is settled in 2023: as of the first
		// month end there is nothing settled to measure.
		h := NewHistory(runLedger(4, inRun), nil)
		var scratch []settledRec
		if pi := h.runShare(0, datasets.NewDate(2023, 1, 20), &scratch); pi != 0 {
			t.Errorf("run share %.3f before any invoice was settled", pi)
		}
	})
}

// TestRunPayersLandTogether: in the simulated paths, the open invoices of
// a customer measured to pay in runs land in one week together in at
// least the run share of the paths, where those of a customer paying each
// invoice on its own day are split between weeks; and either way the
// paths' average is the forecast's mean, week by week.
func TestRunPayersLandTogether(t *testing.T) {
	asOf := datasets.NewDate(2024, 1, 10)
	cases := []struct {
		name     string
		settle   func(due datasets.Date, run, own int) datasets.Date
		runPayer bool
	}{
		{"run payer", inRun, true},
		{"pays alone", alone, false},
	}
	together := map[bool]float64{}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := NewHistory(runLedger(4, c.settle), nil)
			in, err := h.Prepare(asOf, 13, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := in.RunPayers == 1; got != c.runPayer {
				t.Fatalf("run payers %d, want run payer %v", in.RunPayers, c.runPayer)
			}
			W, paths := in.Weeks, 4000
			s := DefaultShocks()
			s.Week, s.WeekCalendar = 0, 0 // no boundary moves: weeks as drawn
			out := make([]float64, paths*W)
			items := in.simItems(nil, func(i int) int32 { return in.Book[i].cust })
			newEngine(items, W, s, make([]float64, W)).run(3, 1, newDraws(3, paths, W), out)
			one := 0
			avg := make([]float64, W)
			for p := range paths {
				weeks := 0
				for k, x := range out[p*W : (p+1)*W] {
					avg[k] += x / float64(paths)
					if x > 0 {
						weeks++
					}
				}
				if weeks <= 1 {
					one++
				}
			}
			together[c.runPayer] = float64(one) / float64(paths)
			t.Logf("in one week in %.3f of the paths", together[c.runPayer])
			if c.runPayer {
				pi := in.runs[0].pi
				if len(in.runs) != 1 || len(in.runs[0].members) != 4 {
					t.Fatalf("runs %+v, want one of the 4 open invoices", in.runs)
				}
				if together[true] < pi-0.03 {
					t.Errorf("the run's invoices land in one week in %.3f of the paths, below its run share %.3f", together[true], pi)
				}
			}
			for k := range W {
				var mean float64
				for i := range in.Book {
					mean += in.Mean[i*W+k]
				}
				// 4 invoices of 1000: the paths' average within 1.5% of the book.
				if math.Abs(avg[k]-mean) > 0.015*4*1000_00 {
					t.Errorf("week %d: the paths average %.0f, the mean is %.0f", k+1, avg[k], mean)
				}
			}
		})
	}
	if together[true] < together[false]+0.2 {
		t.Errorf("a run payer's invoices land in one week in %.3f of the paths, one paying alone's in %.3f", together[true], together[false])
	}
}

// TestRunsMergeAcrossParts: a forecast read in parts carries each part's
// payment runs into the merged book with the same invoices, whatever the
// parts' order, so that FromParts draws them together as FromLedger does.
func TestRunsMergeAcrossParts(t *testing.T) {
	asOf := datasets.NewDate(2024, 1, 10)
	renamed := func(id string, settle func(due datasets.Date, run, own int) datasets.Date) *datasets.Ledger {
		l := runLedger(4, settle)
		l.Customers[0].ID = id
		for i := range l.Invoices {
			l.Invoices[i].CustomerID = id
			l.Invoices[i].ID = id + l.Invoices[i].ID
		}
		return l
	}
	parts := map[string]*Inputs{}
	for _, c := range []struct {
		id     string
		settle func(due datasets.Date, run, own int) datasets.Date
	}{{"A", alone}, {"R", inRun}, {"S", inRun}} {
		in, err := NewHistory(renamed(c.id, c.settle), nil).Prepare(asOf, 13, nil)
		if err != nil {
			t.Fatal(err)
		}
		parts[c.id] = in
	}
	for _, order := range [][]string{{"A", "R", "S"}, {"S", "A", "R"}} {
		t.Run(fmt.Sprint(order), func(t *testing.T) {
			books := make([]*Inputs, len(order))
			for i, id := range order {
				books[i] = parts[id]
			}
			m := mergeInputs(asOf, 13, books)
			if len(m.runs) != 2 {
				t.Fatalf("%d runs merged, want R's and S's", len(m.runs))
			}
			for g, r := range m.runs {
				cust := m.Book[r.members[0]].CustomerID
				part := parts[cust]
				if len(part.runs) != 1 || len(r.members) != len(part.runs[0].members) {
					t.Fatalf("run %d of %s: %d members, the part's %d", g, cust, len(r.members), len(part.runs[0].members))
				}
				for j, i := range r.members {
					want := part.Book[part.runs[0].members[j]].InvoiceID
					if got := m.Book[i].InvoiceID; got != want || m.runOf[i] != int32(g) {
						t.Errorf("run %d member %d: %s in run %d, want %s in run %d", g, j, got, m.runOf[i], want, g)
					}
				}
			}
			for i := range m.Book {
				if m.Book[i].CustomerID == "A" && m.runOf[i] != -1 {
					t.Errorf("%s of A (pays alone) is in run %d", m.Book[i].InvoiceID, m.runOf[i])
				}
			}
		})
	}
}
