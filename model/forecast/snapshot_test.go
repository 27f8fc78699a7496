package forecast

import (
	"fmt"
	"reflect"
	"testing"

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
