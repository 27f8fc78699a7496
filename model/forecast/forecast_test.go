package forecast

import (
	"context"
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/synth"
	"github.com/dsopilot/dsopilot/model"
)

var d = datasets.NewDate

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func TestWeeklyFromPaidBy(t *testing.T) {
	for _, c := range []struct {
		name   string
		paidBy []float64
		weeks  int
		want   []float64
	}{
		// The model's week 1 is days 0..6, the forecast's days 1..7: each
		// forecast week takes 6/7 of the model's week and 1/7 of the next.
		{"steady", []float64{0.1, 0.2, 0.3, 0.4}, 3, []float64{0.1 + 0.1/7, 0.1, 0.1}},
		{"all in week 2", []float64{0, 1, 1}, 2, []float64{1.0 / 7, 6.0 / 7}},
		{"never", []float64{0, 0, 0}, 3, []float64{0, 0, 0}},
		// Past the curve its last hazard goes on: 0.5 of what is left.
		{"extended", []float64{0.5, 0.75}, 2, []float64{0.5 + 0.25/7, 0.25*6/7 + 0.125/7}},
		// Noisy curves never give a negative week or more than 1 in all.
		{"non-monotone", []float64{0.6, 0.5, 1.2}, 3, []float64{0.6, 0.1, 0.3}},
	} {
		t.Run(c.name, func(t *testing.T) {
			q := make([]float64, c.weeks)
			WeeklyFromPaidBy(c.paidBy, q)
			for k := range q {
				if !near(q[k], c.want[k], 1e-12) {
					t.Fatalf("q = %v, want %v", q, c.want)
				}
			}
		})
	}
}

// ledger builds a small ledger for as-of 2024-06-30 (a Sunday).
func ledger() *datasets.Ledger {
	return &datasets.Ledger{
		Customers: []datasets.Customer{{ID: "A", Segment: "smb", Country: "DE", Currency: "EUR"}, {ID: "B", Segment: "ent", Country: "FR", Currency: "EUR"}},
		Invoices: []datasets.Invoice{
			// A pays 10 days after the due date, every time.
			{ID: "A1", CustomerID: "A", IssueDate: d(2024, 1, 1), DueDate: d(2024, 1, 31), SettledDate: d(2024, 2, 10), Amount: 100_00},
			{ID: "A2", CustomerID: "A", IssueDate: d(2024, 2, 1), DueDate: d(2024, 3, 2), SettledDate: d(2024, 3, 12), Amount: 100_00},
			{ID: "A3", CustomerID: "A", IssueDate: d(2024, 3, 1), DueDate: d(2024, 3, 31), SettledDate: d(2024, 4, 10), Amount: 100_00},
			{ID: "A4", CustomerID: "A", IssueDate: d(2024, 4, 1), DueDate: d(2024, 5, 1), SettledDate: d(2024, 5, 11), Amount: 100_00},
			// Open at 2024-06-30: due in 3 days; partly paid and credited.
			{ID: "A5", CustomerID: "A", IssueDate: d(2024, 6, 3), DueDate: d(2024, 7, 3), SettledDate: d(2024, 7, 13), Amount: 1000_00},
			// B: an open invoice under dispute and one under a promise.
			{ID: "B1", CustomerID: "B", IssueDate: d(2024, 5, 1), DueDate: d(2024, 5, 31), Amount: 500_00},
			{ID: "B2", CustomerID: "B", IssueDate: d(2024, 5, 15), DueDate: d(2024, 6, 14), SettledDate: d(2024, 7, 10), Amount: 300_00},
			// Issued after the as-of date: new business, not the open book.
			{ID: "B3", CustomerID: "B", IssueDate: d(2024, 7, 2), DueDate: d(2024, 8, 1), SettledDate: d(2024, 7, 20), Amount: 50_00},
		},
		Payments: []datasets.Payment{
			{ID: "P1", CustomerID: "A", InvoiceID: "A1", Date: d(2024, 2, 10), Amount: 100_00},
			{ID: "P2", CustomerID: "A", InvoiceID: "A2", Date: d(2024, 3, 12), Amount: 100_00},
			{ID: "P3", CustomerID: "A", InvoiceID: "A3", Date: d(2024, 4, 10), Amount: 100_00},
			// A4 was paid on account and matched later: no invoice id.
			{ID: "P4", CustomerID: "A", Date: d(2024, 5, 11), Amount: 100_00},
			{ID: "P5", CustomerID: "A", InvoiceID: "A5", Date: d(2024, 6, 20), Amount: 200_00},
			{ID: "P6", CustomerID: "A", InvoiceID: "A5", Date: d(2024, 7, 13), Amount: 700_00},
			{ID: "P7", CustomerID: "B", InvoiceID: "B2", Date: d(2024, 7, 10), Amount: 300_00},
			{ID: "P8", CustomerID: "B", InvoiceID: "B3", Date: d(2024, 7, 20), Amount: 50_00},
		},
		CreditNotes: []datasets.CreditNote{{ID: "N1", CustomerID: "A", InvoiceID: "A5", Date: d(2024, 6, 25), Amount: 100_00, Kind: datasets.KindCreditNote}},
		Disputes: []datasets.Dispute{
			{ID: "D1", CustomerID: "B", InvoiceID: "B1", Opened: d(2024, 6, 10), Amount: 200_00},
			// Resolved before: it sets B's credit record (credited).
			{ID: "D0", CustomerID: "B", InvoiceID: "B2", Opened: d(2024, 5, 20), Resolved: d(2024, 6, 1), Amount: 10_00, Outcome: "credited"},
		},
		Promises: []datasets.Promise{
			{ID: "PR0", CustomerID: "B", InvoiceID: "B2", Made: d(2024, 5, 20), PromisedDate: d(2024, 5, 25), Amount: 10_00, Status: datasets.PromiseBroken},
			{ID: "PR1", CustomerID: "B", InvoiceID: "B2", Made: d(2024, 6, 28), PromisedDate: d(2024, 7, 10), Amount: 300_00, Status: datasets.PromiseKept},
		},
	}
}

func TestReceipts(t *testing.T) {
	h := NewHistory(ledger(), nil)
	asOf := d(2024, 6, 30)
	for _, c := range []struct {
		id   string
		t    datasets.Date
		want []datasets.Money
	}{
		// The payment of 13 July falls in week 2 (7..13 July).
		{"A5", asOf, []datasets.Money{0, 700_00, 0}},
		{"B2", asOf, []datasets.Money{0, 300_00, 0}},
		// Settled on 11 May with nothing linked: the cash came on account.
		{"A4", d(2024, 5, 1), []datasets.Money{0, 100_00, 0}},
		// An open invoice that never pays brings nothing.
		{"B1", asOf, []datasets.Money{0, 0, 0}},
	} {
		got := make([]datasets.Money, 3)
		h.inv[slices.IndexFunc(h.inv, func(v invoice) bool { return v.ID == c.id })].receipts(c.t, got)
		if !slices.Equal(got, c.want) {
			t.Errorf("%s after %s: receipts %v, want %v", c.id, c.t, got, c.want)
		}
	}
}

func TestBookIsWhatWasOpenAndOwed(t *testing.T) {
	h := NewHistory(ledger(), nil)
	asOf := d(2024, 6, 30)
	r := h.Measure(asOf)
	book := h.Book(asOf, r)
	got := map[string]Item{}
	for _, it := range book {
		got[it.InvoiceID] = it
	}
	if len(book) != 3 || got["A5"].Outstanding != 700_00 || got["B1"].Outstanding != 500_00 || got["B2"].Outstanding != 300_00 {
		t.Fatalf("open book = %+v, want A5 700 (after a payment and a credit note), B1 500, B2 300", book)
	}
	// B's one resolved dispute was credited: (1 + 4·1)/(1 + 4) with the
	// portfolio's rate (1/1) as the prior.
	if b1 := got["B1"]; b1.Disputed != 200_00 || !near(b1.CreditRate, 1, 1e-12) || b1.Expected() != 300_00 {
		t.Errorf("B1 = %+v, want 200 disputed, credit rate 1, 300 expected", b1)
	}
	// B kept none of one due promise; the portfolio kept 0 of 1: 0.
	if b2 := got["B2"]; b2.PromiseDate != d(2024, 7, 10) || b2.PromiseAmount != 300_00 || !near(b2.KeptRate, 0, 1e-12) {
		t.Errorf("B2 = %+v, want the promise of 10 July for 300 at kept rate 0", b2)
	}
	if !near(r.Delay("A"), 10, 1e-12) || !near(r.Delay("nobody"), r.PortfolioDelay, 0) {
		t.Errorf("mean delay of A = %v, want 10", r.Delay("A"))
	}
}

func TestExpectedWeeksMovePromisesAndHoldDisputes(t *testing.T) {
	asOf := d(2024, 6, 30)
	q := []float64{0.5, 0.3, 0.1}
	for _, c := range []struct {
		name string
		it   Item
		want []float64
	}{
		{"plain", Item{Outstanding: 100_00}, []float64{50_00, 30_00, 10_00}},
		// Half of 40 under dispute is expected to be credited: 80 left.
		{"disputed", Item{Outstanding: 100_00, Disputed: 40_00, CreditRate: 0.5}, []float64{40_00, 24_00, 8_00}},
		// 60 promised for week 3 at a 75% kept rate: 45 moves there.
		{"promised", Item{Outstanding: 100_00, PromiseDate: asOf.AddDays(15), PromiseAmount: 60_00, KeptRate: 0.75},
			[]float64{27_50, 16_50, 5_50 + 45_00}},
		// A promise beyond the horizon takes its share out of it.
		{"promised late", Item{Outstanding: 100_00, PromiseDate: asOf.AddDays(60), PromiseAmount: 100_00, KeptRate: 1},
			[]float64{0, 0, 0}},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := make([]float64, 3)
			c.it.expectedWeeks(asOf, q, out)
			for k := range out {
				if !near(out[k], c.want[k], 1e-6) {
					t.Fatalf("expected receipts %v, want %v", out, c.want)
				}
			}
		})
	}
}

func TestTimingPutsACustomersHabitOnItsWeek(t *testing.T) {
	h := NewHistory(ledger(), nil)
	tm := h.Timing(d(2024, 6, 30))
	q := make([]float64, 4)
	// A always paid 10 days after the due date: due 3 July, paid about 13
	// July, in week 2 (7..13 July), a little spilling into week 3.
	tm.Weekly("A", d(2024, 7, 3), q)
	if q[1] < 0.5 || q[1] < q[0] || q[1] < q[2] || q[3] > 0.05 {
		t.Errorf("A's invoice due 3 July: weekly probabilities %v, want most in week 2", q)
	}
	// An invoice already 30 days past due, longer than A ever took: the
	// portfolio's record (which has waited that long) takes over.
	tm.Weekly("A", d(2024, 5, 31), q)
	if s := q[0] + q[1] + q[2] + q[3]; s > 1+1e-9 || s < 0 {
		t.Errorf("weekly probabilities %v sum to %v", q, s)
	}
}

// An invoice due beyond either end of the span the curves are laid out
// over (five years past due, or due more than two years after the as-of
// date) is a valid invoice of a real ledger: its weekly probabilities are
// those of the span's edge, never an index past it.
func TestTimingOutsideItsSpan(t *testing.T) {
	h := NewHistory(ledger(), nil)
	asOf := d(2024, 6, 30)
	tm := h.Timing(asOf)
	for _, c := range []struct {
		name string
		due  datasets.Date
	}{
		{"six years past due", asOf.AddDays(-6 * 365)},
		{"on the last day of the span", asOf.AddDays(-portfolioHi)},
		{"three years ahead", asOf.AddDays(3 * 365)},
	} {
		for _, id := range []string{"A", "unknown"} {
			q := make([]float64, 13)
			tm.Weekly(id, c.due, q)
			s := 0.0
			for _, p := range q {
				if p < 0 || math.IsNaN(p) {
					t.Fatalf("%s, customer %s: weekly probabilities %v", c.name, id, q)
				}
				s += p
			}
			if s > 1+1e-9 {
				t.Errorf("%s, customer %s: weekly probabilities sum to %v", c.name, id, s)
			}
			if c.due < asOf && s > 1e-9 && c.name == "six years past due" {
				t.Errorf("%s, customer %s: %v of it expected in 13 weeks, want none", c.name, id, s)
			}
		}
	}
}

func TestBaselines(t *testing.T) {
	h := NewHistory(ledger(), nil)
	asOf := d(2024, 6, 30)
	r := h.Measure(asOf)
	book := h.Book(asOf, r)
	// Due 3 July (A5, week 1); B1 and B2 already due: week 1.
	if got := DueDateSchedule(asOf, book, 3); !slices.Equal(got, Schedule{1500_00, 0, 0}) {
		t.Errorf("due-date schedule %v", got)
	}
	// A: due 3 July + 10 days = 13 July (week 2). B has no settled history
	// before as-of but B2... B2 is open; B's delay is the portfolio's.
	got := AverageDelaySchedule(asOf, book, r, 3)
	if got[1] != 700_00 || got[0]+got[1]+got[2] != 1500_00 {
		t.Errorf("average-delay schedule %v, want A5's 700 in week 2", got)
	}
}

// TestPointInTime proves that nothing dated after the as-of date changes
// the open book, the rates, the timing record or the forecast's inputs.
func TestPointInTime(t *testing.T) {
	asOf := d(2024, 6, 30)
	base := NewHistory(ledger(), nil)
	more := ledger()
	// Later events: B1 paid, a later dispute and promise on A5, a broken
	// promise resolved later, a new invoice and a write-off.
	more.Payments = append(more.Payments, datasets.Payment{ID: "L1", CustomerID: "B", InvoiceID: "B1", Date: d(2024, 7, 2), Amount: 500_00})
	more.Invoices[5].SettledDate = d(2024, 7, 2)
	more.Disputes = append(more.Disputes, datasets.Dispute{ID: "L2", CustomerID: "A", InvoiceID: "A5", Opened: d(2024, 7, 1), Amount: 1_00})
	more.Disputes[0].Resolved, more.Disputes[0].Outcome = d(2024, 7, 5), "rejected"
	more.Promises = append(more.Promises, datasets.Promise{ID: "L3", CustomerID: "A", InvoiceID: "A5", Made: d(2024, 7, 1), PromisedDate: d(2024, 7, 4), Amount: 1_00})
	more.Invoices = append(more.Invoices, datasets.Invoice{ID: "L4", CustomerID: "A", IssueDate: d(2024, 7, 1), DueDate: d(2024, 7, 2), Amount: 9_00})
	more.CreditNotes = append(more.CreditNotes, datasets.CreditNote{ID: "L5", CustomerID: "B", InvoiceID: "B2", Date: d(2024, 7, 1), Amount: 1_00, Kind: datasets.KindWriteOff})
	later := NewHistory(more, nil)
	a, err := base.Prepare(asOf, 13, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := later.Prepare(asOf, 13, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range a.Book {
		a.Book[i].pos, b.Book[i].pos = 0, 0
	}
	if !slices.Equal(a.Book, b.Book) || !slices.Equal(a.Q, b.Q) || !slices.Equal(a.Mean, b.Mean) {
		t.Fatalf("events after the as-of date changed the forecast's inputs:\n %+v\n %+v", a.Book, b.Book)
	}
	ra, rb := base.Measure(asOf), later.Measure(asOf)
	if ra.PromiseKept != rb.PromiseKept || ra.DisputeCredited != rb.DisputeCredited || ra.PortfolioDelay != rb.PortfolioDelay {
		t.Fatalf("rates changed: %+v vs %+v", ra, rb)
	}
}

func TestBadInputIsAClearError(t *testing.T) {
	ctx := context.Background()
	h := NewHistory(ledger(), nil)
	shocks := DefaultShocks()
	for _, c := range []struct {
		name string
		h    *History
		o    Options
		want error
	}{
		{"before the data", h, Options{AsOf: d(2023, 1, 1), Shocks: &shocks}, ErrBeforeData},
		{"nothing open", NewHistory(&datasets.Ledger{Invoices: ledger().Invoices[:1]}, nil), Options{AsOf: d(2024, 3, 1), Shocks: &shocks}, ErrEmptyBook},
		{"empty ledger", NewHistory(&datasets.Ledger{}, nil), Options{AsOf: d(2024, 1, 1)}, ErrEmptyBook},
		{"no as-of", h, Options{}, ErrOptions},
		{"too few paths", h, Options{AsOf: d(2024, 6, 30), Paths: 10}, ErrOptions},
		{"unknown breakdown", h, Options{AsOf: d(2024, 6, 30), By: "planet"}, ErrOptions},
	} {
		t.Run(c.name, func(t *testing.T) {
			res, err := Forecast(ctx, c.h, nil, c.o)
			if !errors.Is(err, c.want) || res != nil {
				t.Fatalf("Forecast = %v, %v; want %v", res, err, c.want)
			}
		})
	}
	// Predictions made at another date, or too short for the horizon.
	bad := []model.Prediction{{InvoiceID: "A5", AsOf: d(2024, 6, 29), PaidBy: make([]float64, 13)}}
	if _, err := Forecast(ctx, h, bad, Options{AsOf: d(2024, 6, 30), Shocks: &shocks}); !errors.Is(err, ErrPredictions) {
		t.Errorf("predictions of another day: %v", err)
	}
	short := []model.Prediction{{InvoiceID: "A5", AsOf: d(2024, 6, 30), PaidBy: make([]float64, 4)}}
	if _, err := Forecast(ctx, h, short, Options{AsOf: d(2024, 6, 30), Shocks: &shocks}); !errors.Is(err, ErrOptions) {
		t.Errorf("a 4-week model for 13 weeks: %v", err)
	}
	if err := h.CheckOrigins([]datasets.Date{d(2024, 6, 1)}, 13); !errors.Is(err, ErrAfterData) {
		t.Errorf("an origin whose horizon runs past the data: %v", err)
	}
	if err := h.CheckOrigins([]datasets.Date{d(2024, 1, 15)}, 2); !errors.Is(err, ErrBeforeData) {
		t.Errorf("an origin without history: %v", err)
	}
}

func TestForecastBandsAreOrderedAndAddUp(t *testing.T) {
	h := NewHistory(ledger(), nil)
	shocks := Shocks{Customer: 0.2, Portfolio: 0.05, Week: 0.1, WeekCalendar: 0.2, NewVolume: 0.1}
	preds := []model.Prediction{
		{InvoiceID: "A5", AsOf: d(2024, 6, 30), PaidBy: []float64{0.1, 0.6, 0.8, 0.9, 0.95, 0.96, 0.97, 0.98, 0.99, 0.99, 0.99, 0.99, 0.99}},
	}
	for _, by := range []string{"", ByCustomer, BySegment} {
		res, err := Forecast(context.Background(), h, preds, Options{AsOf: d(2024, 6, 30), Shocks: &shocks, By: by, Paths: 500})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Weeks) != 13 || res.Weeks[0].Start != d(2024, 7, 1) || res.Weeks[12].End != d(2024, 9, 29) {
			t.Fatalf("weeks %s..%s", res.Weeks[0].Start, res.Weeks[12].End)
		}
		var sum Money
		for _, w := range res.Weeks {
			for _, b := range []Band{w.Open, w.New, w.Total} {
				if b.P10 > b.P50 || b.P50 > b.P90 || b.P10 < 0 {
					t.Fatalf("week %s band %+v out of order", w.Start, b)
				}
			}
			sum += w.Open.Mean
		}
		if d := sum - res.Total.Open.Mean; d < -13 || d > 13 {
			t.Errorf("weekly open means add to %s, the horizon's is %s", sum, res.Total.Open.Mean)
		}
		// What arrives plus what does not is the expected book: 700 + 300
		// (B1 less its expected credit) + 300.
		if got := res.Total.Open.Mean + res.Book.Beyond; got < 1300_00-2 || got > 1300_00+2 {
			t.Errorf("expected within and beyond the horizon = %s, want 1300.00", got)
		}
		if by != "" && len(res.Groups) < 2 {
			t.Errorf("by %s: %d groups", by, len(res.Groups))
		}
		if by == ByCustomer {
			var listed bool
			for _, w := range res.Groups[0].Weeks {
				listed = listed || slices.ContainsFunc(w.Invoices, func(s InvoiceShare) bool { return s.InvoiceID == "A5" })
			}
			if res.Groups[0].Key != "A" || !listed {
				t.Errorf("customer A's weeks do not list A5: %+v", res.Groups[0])
			}
		}
	}
}

// An invoice already more than 90 days overdue whose 90+ probability is
// certain, or that has none because the model has no 90+ model, is
// forecast by its customer's record, not left unpaid by the model (which
// only says it is 90+); any other prediction levels the record.
func TestInvoicesPastTheModelFollowTheRecord(t *testing.T) {
	l := ledger()
	// B once cleared an invoice 120 days after its due date: its record
	// expects something of a long-overdue one.
	l.Invoices = append(l.Invoices, datasets.Invoice{ID: "B0", CustomerID: "B", IssueDate: d(2023, 11, 1), DueDate: d(2023, 12, 1), SettledDate: d(2024, 3, 30), Amount: 400_00})
	// B paid something on B1 lately: not a silent customer, whose record
	// would stand whatever the model says (silence.go).
	l.Payments = append(l.Payments, datasets.Payment{ID: "PB", CustomerID: "B", InvoiceID: "B1", Date: d(2024, 9, 20), Amount: 1})
	h := NewHistory(l, nil)
	asOf := d(2024, 9, 30) // B1, due 31 May and never paid, is 122 days overdue
	one := func(v float64) *float64 { return &v }
	record, err := h.Prepare(asOf, 13, nil)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(record.Book, func(it Item) bool { return it.InvoiceID == "B1" })
	if i < 0 {
		t.Fatalf("B1 not in the book at %s: %+v", asOf, record.Book)
	}
	recordQ := record.Q[i*13 : (i+1)*13]
	for _, c := range []struct {
		name     string
		p90      *float64
		wantPast int
		wantQ    func(k int) float64
	}{
		{"certain 90+: the record", one(1), 1, func(k int) float64 { return recordQ[k] }},
		{"uncertain 90+: the model's level (nothing)", one(0.9), 0, func(int) float64 { return 0 }},
		// A model without a 90+ model leaves such an invoice untimed too
		// (model/paydate.go): the record, not the hazard's guess.
		{"no 90+ model: the record", nil, 1, func(k int) float64 { return recordQ[k] }},
	} {
		t.Run(c.name, func(t *testing.T) {
			preds := make([]model.Prediction, len(record.Book))
			for j, it := range record.Book {
				preds[j] = model.Prediction{InvoiceID: it.InvoiceID, CustomerID: it.CustomerID, AsOf: asOf, DueDate: it.DueDate, PaidBy: make([]float64, 13)}
			}
			preds[i].PDefault90 = c.p90
			in, err := h.Prepare(asOf, 13, preds)
			if err != nil {
				t.Fatal(err)
			}
			if in.PastModel != c.wantPast {
				t.Errorf("past the model: %d, want %d", in.PastModel, c.wantPast)
			}
			sum := 0.0
			for k := range 13 {
				got := in.Q[i*13+k]
				sum += got
				if !near(got, c.wantQ(k), 1e-12) {
					t.Fatalf("week %d: %v, want %v", k+1, got, c.wantQ(k))
				}
			}
			if c.wantPast == 1 && sum <= 0 {
				t.Fatal("the record expects nothing from B1 either: the case shows nothing")
			}
		})
	}
}

// TestAWeeksForecastDoesNotDependOnTheWeeksAfterIt: the first weeks of a
// 13-week forecast are the forecast of fewer weeks, in probabilities and
// expected receipts, with the model's predictions and without. (The
// model used to be levelled over the weeks asked for, so a one-week
// forecast put the model's whole week-1 probability in that week.)
func TestAWeeksForecastDoesNotDependOnTheWeeksAfterIt(t *testing.T) {
	l, _, err := synth.Collect(context.Background(), synth.Config{Customers: 60, Months: 15, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	h := NewHistory(l, nil)
	asOf := d(2024, 1, 31)
	record, err := h.Prepare(asOf, DefaultWeeks, nil)
	if err != nil {
		t.Fatal(err)
	}
	// A model curve unlike the record: quick payers and slow ones.
	preds := make([]model.Prediction, len(record.Book))
	for j, it := range record.Book {
		hz := 0.05 + 0.5*float64(j%7)/6
		paidBy := make([]float64, DefaultWeeks)
		for k := range paidBy {
			paidBy[k] = 0.9 * (1 - math.Pow(1-hz, float64(k+1)))
		}
		preds[j] = model.Prediction{InvoiceID: it.InvoiceID, CustomerID: it.CustomerID, AsOf: asOf, DueDate: it.DueDate, PaidBy: paidBy}
	}
	for _, ps := range [][]model.Prediction{nil, preds} {
		full, err := h.Prepare(asOf, DefaultWeeks, ps)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range []int{1, 2, 4, 12} {
			in, err := h.Prepare(asOf, w, ps)
			if err != nil {
				t.Fatal(err)
			}
			if len(in.Book) != len(full.Book) {
				t.Fatalf("%d weeks: %d items, 13 weeks: %d", w, len(in.Book), len(full.Book))
			}
			for i := range in.Book {
				for k := range w {
					a, b := in.Q[i*w+k], full.Q[i*DefaultWeeks+k]
					m, n := in.Mean[i*w+k], full.Mean[i*DefaultWeeks+k]
					if !near(a, b, 1e-12) || !near(m, n, 1e-6) {
						t.Fatalf("model %v, %d weeks, %s week %d: q %v mean %v, in 13 weeks q %v mean %v",
							ps != nil, w, in.Book[i].InvoiceID, k+1, a, m, b, n)
					}
				}
			}
		}
	}
}
