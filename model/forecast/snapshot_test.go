package forecast

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
)

func TestActualsRatesPreferTheSnapshots(t *testing.T) {
	eur := func(rates map[string]datasets.Rate) *datasets.FX { return &datasets.FX{To: "EUR", Rates: rates} }
	kept := eur(map[string]datasets.Rate{"USD": 900_000_000, "GBP": 1_200_000_000})
	given := eur(map[string]datasets.Rate{"USD": 1_800_000_000, "SEK": 87_000_000, "EUR": 1_000_000_000})
	for _, tt := range []struct {
		name      string
		kept      *datasets.FX
		given     *datasets.FX
		want      *datasets.FX
		wantFrom  string
		wantAdded []string
	}{
		{"old snapshot, nothing given", nil, nil, nil, "", nil},
		{"old snapshot, rates given now", nil, given, given, RatesGiven, nil},
		{"kept, nothing given", kept, nil, kept, RatesOfSnapshot, nil},
		{"kept wins; given fills the currency it lacks", kept, given,
			eur(map[string]datasets.Rate{"USD": 900_000_000, "GBP": 1_200_000_000, "SEK": 87_000_000}), RatesOfSnapshot, []string{"SEK"}},
		{"kept without other currencies", eur(nil), given,
			eur(map[string]datasets.Rate{"USD": 1_800_000_000, "SEK": 87_000_000}), RatesOfSnapshot, []string{"SEK", "USD"}},
		{"given to another currency is not used", kept, &datasets.FX{To: "USD", Rates: map[string]datasets.Rate{"SEK": 1}},
			kept, RatesOfSnapshot, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := &datasets.ForecastSnapshot{ID: "S", Currency: "EUR", FX: tt.kept}
			got, from, added := ActualsRates(s, tt.given)
			if !reflect.DeepEqual(got, tt.want) || from != tt.wantFrom || !reflect.DeepEqual(added, tt.wantAdded) {
				t.Errorf("got %+v from %q adding %v, want %+v from %q adding %v", got, from, added, tt.want, tt.wantFrom, tt.wantAdded)
			}
		})
	}
	if len(kept.Rates) != 2 {
		t.Errorf("the snapshot's rates were changed: %v", kept.Rates)
	}
}

// A comparison's lines add up to all the cash the ledger records in each
// week: the open book's, the new invoices', payments on invoices closed by
// the as-of date, and unapplied cash (no invoice, or one the ledger does
// not hold), which compare left out. Read in parts, a payment naming
// another part's invoice is that invoice's, not unapplied.
func TestCompareReconcilesToAllCashReceived(t *testing.T) {
	asOf := d(2024, 6, 30)
	inv := func(id, cust string, issue datasets.Date, amt datasets.Money, settled datasets.Date) datasets.Invoice {
		return datasets.Invoice{ID: id, CustomerID: cust, IssueDate: issue, DueDate: issue.AddDays(30), SettledDate: settled, Amount: amt, Currency: "EUR"}
	}
	pay := func(id, cust, invID string, date datasets.Date, amt datasets.Money) datasets.Payment {
		return datasets.Payment{ID: id, CustomerID: cust, InvoiceID: invID, Date: date, Amount: amt, Currency: "EUR"}
	}
	l := &datasets.Ledger{
		Customers: []datasets.Customer{{ID: "A", Currency: "EUR"}, {ID: "B", Currency: "EUR"}},
		Invoices: []datasets.Invoice{
			inv("OPEN1", "A", d(2024, 6, 1), 1000_00, d(2024, 7, 9)),  // open; paid week 2
			inv("OPEN2", "B", d(2024, 6, 10), 500_00, d(2024, 7, 20)), // open; cleared without a payment, week 3
			inv("CLOSED", "A", d(2024, 5, 1), 300_00, d(2024, 6, 15)), // settled before; overpaid week 1
			inv("NEW1", "A", d(2024, 7, 3), 700_00, d(2024, 7, 25)),   // new; paid week 4
			inv("LATER", "B", d(2024, 9, 1), 100_00, 0),               // past the weeks shown
			inv("OLD", "B", d(2024, 1, 2), 50_00, d(2024, 2, 1)),      // before; long paid
		},
		Payments: []datasets.Payment{
			pay("P1", "A", "OPEN1", d(2024, 7, 9), 1000_00),
			pay("P2", "A", "CLOSED", d(2024, 6, 15), 300_00),
			pay("P3", "A", "CLOSED", d(2024, 7, 2), 20_00), // overpayment, week 1
			pay("P4", "B", "OPEN1", d(2024, 7, 1), 0),      // a zero on another customer's invoice
			pay("P5", "A", "NEW1", d(2024, 7, 25), 700_00),
			pay("P6", "B", "", d(2024, 7, 3), 250_00),     // on account, week 1
			pay("P7", "A", "GONE", d(2024, 7, 30), 80_00), // names an invoice the ledger lacks, week 5
			pay("P8", "B", "OLD", d(2024, 2, 1), 50_00),
			pay("P9", "B", "", d(2024, 6, 20), 40_00), // before the as-of date
		},
	}
	weeks := 6
	s := &datasets.ForecastSnapshot{ID: "S", AsOf: asOf, Currency: "EUR", Invoices: 2, Outstanding: 1500_00}
	for k := range weeks {
		s.Weeks = append(s.Weeks, datasets.SnapshotWeek{Start: asOf.AddDays(7*k + 1), End: asOf.AddDays(7*k + 7)})
	}
	// All the cash, counted from the records directly: the payments dated
	// in each week, and OPEN2's clearing (no payment explains it).
	all := make([]Money, weeks)
	for _, p := range l.Payments {
		if p.Date > asOf && p.Date <= asOf.AddDays(7*weeks) {
			all[int(p.Date-asOf-1)/7] += Money(p.Amount)
		}
	}
	all[int(d(2024, 7, 20)-asOf-1)/7] += 500_00
	want := []Received{
		{Closed: 20_00, Unapplied: 250_00},
		{Open: 1000_00},
		{Open: 500_00},
		{New: 700_00},
		{Unapplied: 80_00},
		{},
	}
	check := func(t *testing.T, c *Comparison) {
		t.Helper()
		var total Received
		for k, w := range c.Weeks {
			wk := want[k]
			wk.Total = all[k]
			if w.Received != wk {
				t.Errorf("week %d received %+v, want %+v", k+1, w.Received, wk)
			}
			if w.ActualOpen != w.Received.Open || w.ActualNew != w.Received.New {
				t.Errorf("week %d: actual open %s, new %s; received %+v", k+1, w.ActualOpen, w.ActualNew, w.Received)
			}
			total.add(wk)
		}
		if c.Received != total {
			t.Errorf("received over the weeks %+v, want %+v", c.Received, total)
		}
		// Week 4 is complete: new-business mean 0 against 700 received.
		if c.NewWAPE != 1 || c.NewBias != -1 {
			t.Errorf("new business WAPE %v, bias %v; want 1, -1 (nothing forecast, 700 received)", c.NewWAPE, c.NewBias)
		}
	}
	c, err := Compare(NewHistory(l, nil), s)
	if err != nil {
		t.Fatal(err)
	}
	check(t, c)
	for _, n := range []int{1, 2} {
		t.Run(fmt.Sprintf("%d parts", n), func(t *testing.T) {
			c, err := CompareParts(features.PartsOf(l, n), nil, s)
			if err != nil {
				t.Fatal(err)
			}
			check(t, c)
		})
	}
}

// A snapshot keeps the band of the forecast's total over its weeks (the
// paths' sums, which the weeks' bands do not give), and a comparison
// lines the total received up against it once every week is complete:
// within P10–P90, below or above. A snapshot saved before snapshots kept
// the band has none, and the comparison says so rather than judging the
// total against zeros.
func TestCompareTotalAgainstItsBand(t *testing.T) {
	asOf := d(2024, 6, 30)
	inv := func(id string, issue datasets.Date, amt datasets.Money, settled datasets.Date) datasets.Invoice {
		return datasets.Invoice{ID: id, CustomerID: "A", IssueDate: issue, DueDate: issue.AddDays(30), SettledDate: settled, Amount: amt, Currency: "EUR"}
	}
	// Open 1,000 + 500 paid in weeks 2 and 3; new 700 paid in week 4;
	// the ledger's last record is 2024-09-01, the end of week 9.
	l := &datasets.Ledger{
		Customers: []datasets.Customer{{ID: "A", Currency: "EUR"}},
		Invoices: []datasets.Invoice{
			inv("OPEN1", d(2024, 6, 1), 1000_00, d(2024, 7, 9)),
			inv("OPEN2", d(2024, 6, 10), 500_00, d(2024, 7, 20)),
			inv("NEW1", d(2024, 7, 3), 700_00, d(2024, 7, 25)),
			inv("LATER", d(2024, 9, 1), 100_00, 0),
		},
	}
	band := func(p10, p50, p90 datasets.Money) datasets.SnapshotBand {
		return datasets.SnapshotBand{Mean: p50 + 1, P10: p10, P50: p50, P90: p90}
	}
	snap := func(asOf datasets.Date, weeks int, total *datasets.SnapshotTotal) *datasets.ForecastSnapshot {
		s := &datasets.ForecastSnapshot{ID: "S", AsOf: asOf, Currency: "EUR", Invoices: 2, Outstanding: 1500_00, Total: total}
		for k := range weeks {
			s.Weeks = append(s.Weeks, datasets.SnapshotWeek{Start: asOf.AddDays(7*k + 1), End: asOf.AddDays(7*k + 7)})
		}
		return s
	}
	// Open within, new above its P90, all below its P10.
	mixed := &datasets.SnapshotTotal{Open: band(1400_00, 1500_00, 1600_00), New: band(0, 300_00, 600_00), All: band(2300_00, 2500_00, 2700_00)}
	line := func(b datasets.SnapshotBand, actual Money, pos string) ComparedLine {
		return ComparedLine{Band: bandOf(b), Actual: actual, Within: pos == PositionWithin, Position: pos}
	}
	for _, tt := range []struct {
		name string
		snap *datasets.ForecastSnapshot
		want *ComparedTotal
	}{
		{"no band kept", snap(asOf, 6, nil), nil},
		{"complete", snap(asOf, 6, mixed), &ComparedTotal{Status: "complete", Weeks: 6, Complete: 6,
			Open: line(mixed.Open, 1500_00, PositionWithin), New: line(mixed.New, 700_00, PositionAbove), All: line(mixed.All, 2200_00, PositionBelow)}},
		{"on its edges", snap(asOf, 6, &datasets.SnapshotTotal{Open: band(1500_00, 1500_00, 1500_00), New: band(700_00, 700_00, 800_00), All: band(0, 0, 2200_00)}),
			&ComparedTotal{Status: "complete", Weeks: 6, Complete: 6,
				Open: line(band(1500_00, 1500_00, 1500_00), 1500_00, PositionWithin), New: line(band(700_00, 700_00, 800_00), 700_00, PositionWithin),
				All: line(band(0, 0, 2200_00), 2200_00, PositionWithin)}},
		{"partial: not judged", snap(asOf, 10, mixed), &ComparedTotal{Status: "partial", Weeks: 10, Complete: 9,
			Open: line(mixed.Open, 1500_00, ""), New: line(mixed.New, 700_00, ""), All: line(mixed.All, 2200_00, "")}},
		{"pending", snap(d(2024, 9, 5), 4, mixed), &ComparedTotal{Status: "pending", Weeks: 4,
			Open: line(mixed.Open, 0, ""), New: line(mixed.New, 0, ""), All: line(mixed.All, 0, "")}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Compare(NewHistory(l, nil), tt.snap)
			if err != nil {
				t.Fatal(err)
			}
			if c.TotalKept != (tt.snap.Total != nil) || !reflect.DeepEqual(c.Total, tt.want) {
				t.Errorf("total kept %v, compared %+v\nwant %+v", c.TotalKept, c.Total, tt.want)
			}
			// In parts the same.
			p, err := CompareParts(features.PartsOf(l, 1), nil, tt.snap)
			if err != nil || !reflect.DeepEqual(p.Total, c.Total) || p.TotalKept != c.TotalKept {
				t.Errorf("in parts: %+v, %v; whole %+v", p.Total, err, c.Total)
			}
		})
	}
}

// Result.Snapshot keeps the total's band when it spans the weeks kept.
func TestSnapshotKeepsTheTotalBand(t *testing.T) {
	asOf := d(2024, 6, 30)
	b := func(x Money) Band { return Band{Mean: x + 1, P10: x - 10, P50: x, P90: x + 20} }
	r := &Result{AsOf: asOf, Total: Horizon{Open: b(1000), New: b(200), Total: b(1250)}, TotalWeeks: 2}
	for k := range 2 {
		r.Weeks = append(r.Weeks, Week{Start: asOf.AddDays(7*k + 1), End: asOf.AddDays(7*k + 7), Open: b(500), New: b(100)})
	}
	s := r.Snapshot("S", time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC), "M")
	sb := func(x datasets.Money) datasets.SnapshotBand {
		return datasets.SnapshotBand{Mean: x + 1, P10: x - 10, P50: x, P90: x + 20}
	}
	want := &datasets.SnapshotTotal{Open: sb(1000), New: sb(200), All: sb(1250)}
	if !reflect.DeepEqual(s.Total, want) {
		t.Errorf("total band %+v, want %+v", s.Total, want)
	}
	if err := s.Validate(); err != nil {
		t.Errorf("the snapshot does not validate: %v", err)
	}
	r.TotalWeeks = 3
	if s := r.Snapshot("S", time.Now(), "M"); s.Total != nil {
		t.Errorf("a total over other weeks than those kept was kept: %+v", s.Total)
	}
}
