package forecast

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/model"
)

// quietLedger is two years of invoices of n customers, one every 10 days
// on 30-day terms, settled (a cleared-items export: no payment records)
// 0–20 days after the due date. The first quiet customers go quiet on a
// day spread over the year before asOf−91: stoppers never pay again (their
// later invoices stay open), a resumer pays nothing for 150 days and then
// clears everything it owes at once.
func quietLedger(n, quiet int, resume bool, asOf datasets.Date) *datasets.Ledger {
	r := rand.New(rand.NewPCG(5, 9))
	l := &datasets.Ledger{}
	start := asOf.AddDays(-730)
	for c := range n {
		id := fmt.Sprintf("C%03d", c)
		l.Customers = append(l.Customers, datasets.Customer{ID: id, Currency: "EUR"})
		stop := datasets.Date(0)
		if c < quiet {
			stop = asOf.AddDays(-91 - 365 + 330*c/max(quiet-1, 1))
		}
		for k := 0; ; k++ {
			issue := start.AddDays(10*k + c%10)
			if issue > asOf || (stop != 0 && issue > stop.AddDays(60)) {
				break
			}
			due := issue.AddDays(30)
			settled := due.AddDays(r.IntN(21))
			switch {
			case stop == 0 || settled <= stop:
			case resume:
				settled = stop.AddDays(150)
			default:
				settled = 0
			}
			if settled > asOf {
				settled = 0
			}
			l.Invoices = append(l.Invoices, datasets.Invoice{ID: fmt.Sprintf("%s-%03d", id, k), CustomerID: id, IssueDate: issue, DueDate: due,
				SettledDate: settled, Amount: datasets.Money(1000_00 + 100*r.IntN(1000)), Currency: "EUR"})
		}
	}
	return l
}

func TestSilenceCountsFromTheLastCash(t *testing.T) {
	t0 := datasets.NewDate(2024, 6, 30)
	l := &datasets.Ledger{
		Customers: []datasets.Customer{{ID: "A"}, {ID: "B"}, {ID: "C"}, {ID: "D"}},
		Invoices: []datasets.Invoice{
			// A paid 40 days ago and owes an overdue invoice.
			{ID: "A1", CustomerID: "A", IssueDate: t0.AddDays(-120), DueDate: t0.AddDays(-90), Amount: 100_00},
			{ID: "A2", CustomerID: "A", IssueDate: t0.AddDays(-100), DueDate: t0.AddDays(-70), Amount: 100_00, SettledDate: t0.AddDays(-40)},
			// B never paid: silent since its first invoice.
			{ID: "B1", CustomerID: "B", IssueDate: t0.AddDays(-80), DueDate: t0.AddDays(-50), Amount: 100_00},
			// C owes nothing overdue: not silent, however long ago it paid.
			{ID: "C1", CustomerID: "C", IssueDate: t0.AddDays(-300), DueDate: t0.AddDays(-270), Amount: 100_00, SettledDate: t0.AddDays(-260)},
			{ID: "C2", CustomerID: "C", IssueDate: t0.AddDays(-10), DueDate: t0.AddDays(20), Amount: 100_00},
			// D's invoice was written off 5 days ago: not cash.
			{ID: "D1", CustomerID: "D", IssueDate: t0.AddDays(-200), DueDate: t0.AddDays(-170), Amount: 100_00, SettledDate: t0.AddDays(-150)},
			{ID: "D2", CustomerID: "D", IssueDate: t0.AddDays(-190), DueDate: t0.AddDays(-160), Amount: 100_00, SettledDate: t0.AddDays(-5)},
			{ID: "D3", CustomerID: "D", IssueDate: t0.AddDays(-100), DueDate: t0.AddDays(-70), Amount: 100_00},
		},
		// A partial payment of A1 3 days ago is cash; one after t0 is not known.
		Payments: []datasets.Payment{
			{ID: "P1", CustomerID: "A", InvoiceID: "A1", Date: t0.AddDays(-3), Amount: 10_00},
			{ID: "P2", CustomerID: "A", InvoiceID: "A1", Date: t0.AddDays(2), Amount: 10_00},
		},
		CreditNotes: []datasets.CreditNote{{ID: "W1", CustomerID: "D", InvoiceID: "D2", Date: t0.AddDays(-5), Amount: 100_00, Kind: datasets.KindWriteOff}},
	}
	h := NewHistory(l, nil)
	for _, c := range []struct {
		id   string
		at   datasets.Date
		want int32
	}{
		{"A", t0, 3},
		{"A", t0.AddDays(-4), 36}, // before the partial payment: the settlement of A2
		{"B", t0, 80},
		{"C", t0, -1},
		{"D", t0, 150},
	} {
		if got := h.silence(h.byID[c.id], c.at); got != c.want {
			t.Errorf("%s at %s: silence %d, want %d", c.id, c.at, got, c.want)
		}
	}
	for _, c := range []struct {
		days int32
		cell int
	}{{-1, -1}, {29, -1}, {30, 0}, {59, 0}, {60, 1}, {119, 1}, {120, 2}, {900, 2}} {
		if got := silenceCell(c.days); got != c.cell {
			t.Errorf("silence %d: cell %d, want %d", c.days, got, c.cell)
		}
	}
}

func TestPoolDecreasing(t *testing.T) {
	cell := func(raw, w float64) SilenceCell { return SilenceCell{raw: raw, weight: w} }
	for _, c := range []struct {
		name  string
		cells []SilenceCell
		want  []float64
	}{
		{"already decreasing", []SilenceCell{cell(0.9, 1), cell(0.5, 1), cell(0.2, 1)}, []float64{0.9, 0.5, 0.2}},
		{"capped at 1", []SilenceCell{cell(1.2, 1), cell(0.5, 1), cell(0.2, 1)}, []float64{1, 0.5, 0.2}},
		{"a violation pooled by weight", []SilenceCell{cell(0.9, 1), cell(0.3, 1), cell(0.6, 2)}, []float64{0.9, 0.5, 0.5}},
		{"empty cells follow the one before", []SilenceCell{{}, cell(0.4, 1), {}}, []float64{1, 0.4, 0.4}},
		{"none", []SilenceCell{{}, {}, {}}, []float64{1, 1, 1}},
	} {
		poolDecreasing(c.cells)
		for i, w := range c.want {
			if !near(c.cells[i].Factor, w, 1e-12) {
				t.Errorf("%s: cell %d factor %v, want %v", c.name, i, c.cells[i].Factor, w)
			}
		}
	}
}

// The factors say what silent customers paid of what their record
// expected: customers that stopped paying give a small factor, by the
// rule of succession; customers that go quiet and then clear everything
// within the horizon give none below 1; a ledger without silent
// customers gives 1. And they are point in time: what happens after the
// as-of date changes nothing.
func TestSilenceFactorsAreLearnedFromThePast(t *testing.T) {
	asOf := datasets.NewDate(2024, 12, 31)
	stoppers := NewHistory(quietLedger(30, 10, false, asOf), nil).learnSilence(asOf, 13, replayCustomers)
	resumers := NewHistory(quietLedger(30, 10, true, asOf), nil).learnSilence(asOf, 13, replayCustomers)
	none := NewHistory(quietLedger(30, 0, false, asOf), nil).learnSilence(asOf, 13, replayCustomers)
	if stoppers.Origins < 20 {
		t.Fatalf("learned at %d origins, want a year's", stoppers.Origins)
	}
	for c := 1; c < len(silenceFrom); c++ {
		s := stoppers.Cells[c]
		if s.Customers < 5 || s.Received != 0 || s.Factor > 1/float64(s.Customers)+1e-9 {
			t.Errorf("stoppers, cell from %d days: %+v, want at least 5 customers, nothing received, factor at most 1/customers", s.FromDays, s)
		}
		if r := resumers.Cells[c]; r.Customers < 5 || r.Factor != 1 {
			t.Errorf("resumers, cell from %d days: %+v, want at least 5 customers and factor 1", r.FromDays, r)
		}
	}
	for _, c := range none.Cells {
		if c.Customers != 0 || c.Factor != 1 {
			t.Errorf("no silent customer, cell from %d days: %+v, want factor 1 from none", c.FromDays, c)
		}
	}
	// The stoppers then pay everything after asOf: nothing learned moves.
	l := quietLedger(30, 10, false, asOf)
	for i := range l.Invoices {
		if l.Invoices[i].SettledDate == 0 {
			l.Invoices[i].SettledDate = asOf.AddDays(3)
		}
	}
	l.Invoices = append(l.Invoices, datasets.Invoice{ID: "late", CustomerID: "C000", IssueDate: asOf.AddDays(1), DueDate: asOf.AddDays(31), Amount: 500_00})
	later := NewHistory(l, nil).learnSilence(asOf, 13, replayCustomers)
	if !reflect.DeepEqual(later, stoppers) {
		t.Errorf("events after the as-of date moved the factors:\n%+v\n%+v", later, stoppers)
	}
}

// A customer in a silence cell with factor f pays at all in a share f of
// the paths, all its invoices together, and pays its curve when it does:
// the paths average to the expected receipts.
func TestASilentCustomerPaysAllOrNothingInAPath(t *testing.T) {
	const W, P = 13, 4000
	for _, tier := range []struct {
		name string
		n    int
	}{{"explicit", 300}, {"tiers", 6000}} {
		t.Run(tier.name, func(t *testing.T) {
			items, mean := randomItems(tier.n, 100, W, 3)
			const f = 0.3
			var quiet float64
			for i := range items {
				if items[i].cust == 7 {
					// Paid within the horizon for sure when the customer pays.
					items[i].thr[W-1] = probit(1)
					items[i].quiet = 1 - f
					quiet += items[i].amt
				}
			}
			// The expected receipts: f of customer 7's.
			clear(mean)
			for _, it := range items {
				prev := 0.0
				for k, a := range it.thr {
					c := phi(a)
					mean[k] += (1 - it.quiet) * it.amt * (c - prev)
					prev = c
				}
			}
			scale := make([]float64, W)
			e := newEngine(slices.Clone(items), W, Shocks{Customer: 0.2, Portfolio: 0.05}, scale)
			out := make([]float64, P*W)
			e.run(9, 1, newDraws(9, P, W), out)
			for k := range W {
				var s, s2 float64
				for p := range P {
					s += out[p*W+k]
					s2 += out[p*W+k] * out[p*W+k]
				}
				got := s / P
				se := math.Sqrt(max(s2/P-got*got, 0) / P)
				if math.Abs(got-mean[k]) > 4*se+0.01*mean[k] {
					t.Errorf("week %d: paths average %.0f ± %.0f, expected %.0f", k+1, got, se, mean[k])
				}
			}
			// Alone, customer 7 receives all or nothing in each path.
			var only []simItem
			for _, it := range items {
				if it.cust == 7 {
					only = append(only, it)
				}
			}
			e = newEngine(only, W, Shocks{Customer: 0.2, Portfolio: 0.05}, scale)
			e.run(9, 1, newDraws(9, P, W), out)
			var none, all int
			for p := range P {
				var tot float64
				for _, x := range out[p*W : (p+1)*W] {
					tot += x
				}
				switch {
				case tot == 0:
					none++
				case math.Abs(tot-quiet) < 1e-6*quiet:
					all++
				}
			}
			if none+all != P || math.Abs(float64(all)/P-f) > 4*math.Sqrt(f*(1-f)/P) {
				t.Errorf("customer 7 paid nothing in %d paths and everything in %d of %d, want all or nothing with everything in %.0f%%", none, all, P, 100*f)
			}
		})
	}
}

// The model's level does not reach a customer silent 60 days or more: its
// open invoices follow its record (times its cell's factor), while the
// others' are leveled to the model; the forecast reports both.
func TestLongSilentCustomersFollowTheirRecord(t *testing.T) {
	asOf := datasets.NewDate(2024, 12, 31)
	h := NewHistory(quietLedger(30, 10, false, asOf), nil)
	record, err := h.Prepare(asOf, 13, nil)
	if err != nil {
		t.Fatal(err)
	}
	preds := make([]model.Prediction, len(record.Book))
	for i, it := range record.Book {
		paid := make([]float64, 13)
		for k := range paid {
			paid[k] = 0.9
		}
		// An uncertain 90+ probability: no invoice is past the model.
		half := 0.5
		preds[i] = model.Prediction{InvoiceID: it.InvoiceID, CustomerID: it.CustomerID, AsOf: asOf, DueDate: it.DueDate, PaidBy: paid, PDefault90: &half}
	}
	in, err := h.Prepare(asOf, 13, preds)
	if err != nil {
		t.Fatal(err)
	}
	silent, leveled := 0, 0
	for i := range in.Book {
		var got, rec float64
		for k := range 13 {
			got += in.Q[i*13+k]
			rec += record.Q[i*13+k]
		}
		if silenceCell(in.silence[i]) >= silentByRecord {
			silent++
			if !near(got, rec, 1e-12) {
				t.Errorf("%s, silent %d days: %.3f within the horizon, its record says %.3f", in.Book[i].InvoiceID, in.silence[i], got, rec)
			}
		} else if rec > 1e-9 {
			leveled++
			if !near(got, 0.9, 1e-9) {
				t.Errorf("%s: %.3f within the horizon, the model says 0.9", in.Book[i].InvoiceID, got)
			}
		}
	}
	if silent == 0 || leveled == 0 || in.SilentByRecord != silent {
		t.Fatalf("%d silent items (%d counted), %d leveled: the case shows nothing", silent, in.SilentByRecord, leveled)
	}
	res, err := Forecast(context.Background(), h, preds, Options{AsOf: asOf, Paths: 500, By: ByCustomer})
	if err != nil {
		t.Fatal(err)
	}
	// Every stopper is silent at asOf and its cell's factor is below 1.
	if res.Silence == nil || res.Book.Silent != 10 || res.Book.SilentHeld < 0 || res.Book.SilentByRecord != silent {
		t.Errorf("the forecast reports silence %+v, book %+v", res.Silence, res.Book)
	}
}
