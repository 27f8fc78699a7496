package forecast

import (
	"encoding/json"
	"log/slog"
	"math"
	"testing"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
)

// TestWeekWithoutReceiptsHasNoWAPE: a week in which nothing was received
// has no WAPE (NaN, null in JSON), not a 0 that reads as a perfect
// forecast, whether the forecast was 0 too or not; the other weeks and the
// totals keep theirs.
func TestWeekWithoutReceiptsHasNoWAPE(t *testing.T) {
	a := newAccumulator(3)
	a.add(0, 90, 100)
	a.add(1, 0, 0)  // 0 against 0
	a.add(2, 40, 0) // 40 against nothing
	s := a.score()
	if math.Abs(s.WAPE-50.0/100) > 1e-12 || math.Abs(s.Bias-(30.0/100)) > 1e-12 {
		t.Errorf("WAPE %v bias %v, want 0.5 and 0.3", s.WAPE, s.Bias)
	}
	if math.Abs(s.WAPEByWeek[0]-0.1) > 1e-12 || !math.IsNaN(s.WAPEByWeek[1]) || !math.IsNaN(s.WAPEByWeek[2]) {
		t.Fatalf("by week %v, want [0.1 NaN NaN]", s.WAPEByWeek)
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"wape":0.5,"bias":0.3,"wape_by_week":[0.1,null,null]}`
	if string(b) != want {
		t.Errorf("JSON %s, want %s", b, want)
	}
	var back Score
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if len(back.WAPEByWeek) != 3 || back.WAPEByWeek[0] != 0.1 || !math.IsNaN(back.WAPEByWeek[1]) || !math.IsNaN(back.WAPEByWeek[2]) {
		t.Errorf("read back %v", back.WAPEByWeek)
	}
	if b, _ := json.Marshal(Score{}); string(b) != `{"wape":0,"bias":0,"wape_by_week":null}` {
		t.Errorf("empty score %s", b)
	}
}

// The run rate's ground is what came in over the 13 weeks up to the
// origin: payments dated in them and what a settlement in them cleared,
// nothing before or after.
func TestReceiptsBeforeTheOrigin(t *testing.T) {
	o := datasets.NewDate(2024, 6, 30)
	l := &datasets.Ledger{
		Customers: []datasets.Customer{{ID: "C1"}},
		Invoices: []datasets.Invoice{
			{ID: "I1", CustomerID: "C1", IssueDate: o.AddDays(-200), DueDate: o.AddDays(-170), Amount: 500_00, Currency: "EUR"},
			// Cleared without payment records, 5 days before the origin.
			{ID: "I2", CustomerID: "C1", IssueDate: o.AddDays(-60), DueDate: o.AddDays(-30), Amount: 30_00, Currency: "EUR", SettledDate: o.AddDays(-5)},
		},
		Payments: []datasets.Payment{
			{ID: "P1", CustomerID: "C1", InvoiceID: "I1", Date: o.AddDays(-10), Amount: 100_00, Currency: "EUR"}, // in
			{ID: "P2", CustomerID: "C1", InvoiceID: "I1", Date: o.AddDays(-91), Amount: 7_00, Currency: "EUR"},   // the day before the 13 weeks
			{ID: "P3", CustomerID: "C1", InvoiceID: "I1", Date: o.AddDays(-90), Amount: 11_00, Currency: "EUR"},  // their first day
			{ID: "P4", CustomerID: "C1", InvoiceID: "I1", Date: o.AddDays(1), Amount: 50_00, Currency: "EUR"},    // after the origin
		},
	}
	h := NewHistory(l, nil)
	if got, want := h.receiptsBefore(o, 13), datasets.Money(100_00+11_00+30_00); got != want {
		t.Fatalf("receipts of the 13 weeks to %s: %s, want %s", o, got, want)
	}
}

// The new business's bias is its mean's, as the open book's and the
// total's are, the P50's beside it: it was the P50's, which sits below a
// lumpy part's mean by design and read as new business running 6–15% low
// on the trials' ledgers.
func TestNewBusinessBiasIsTheMeans(t *testing.T) {
	o := datasets.NewDate(2024, 6, 30)
	s := newBacktestScorer([]datasets.Date{o}, 2, 0, slog.New(slog.DiscardHandler), time.Now())
	fc := &Result{AsOf: o, Weeks: []Week{
		{Start: o.AddDays(1), End: o.AddDays(7), New: Band{Mean: 120_00, P10: 0, P50: 80_00, P90: 300_00}},
		{Start: o.AddDays(8), End: o.AddDays(14), New: Band{Mean: 220_00, P10: 50_00, P50: 180_00, P90: 400_00}},
	}}
	a := newOriginActuals(2)
	a.new[0], a.new[1] = 100_00, 200_00
	s.add(o, "", fc, a)
	res, _ := s.result()
	if want := (340.0 - 300) / 300; math.Abs(res.New.Bias-want) > 1e-12 {
		t.Errorf("new business bias %v, want the mean's %v", res.New.Bias, want)
	}
	if want := (260.0 - 300) / 300; math.Abs(res.New.BiasP50-want) > 1e-12 {
		t.Errorf("new business P50 bias %v, want %v", res.New.BiasP50, want)
	}
}
