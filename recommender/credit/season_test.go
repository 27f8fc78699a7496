package credit

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
)

// The season's factor from the customers' invoicing in the two windows a
// year back: a ratio every customer shares is a season; one that one
// customer's swing or a handful of uneven customers explain is shrunk
// towards none.
func TestSeasonFactorShrinksWhatNoiseExplains(t *testing.T) {
	cases := []struct {
		name   string
		custs  [][2]int64 // each customer's coming window and the one before, in cents
		lo, hi float64
	}{
		{name: "every customer 30% up", custs: spread(60, func(i int) [2]int64 {
			b := int64(1_000_000 + 10_000*i)
			return [2]int64{b * 13 / 10, b}
		}), lo: 1.29, hi: 1.31},
		{name: "flat, customers up and down alike", custs: spread(60, func(i int) [2]int64 {
			b := int64(1_000_000 + 10_000*i)
			if i%2 == 0 {
				return [2]int64{b * 12 / 10, b}
			}
			return [2]int64{b * 8 / 10, b}
		}), lo: 0.99, hi: 1.01},
		// A few customers' swings up and down are noise, not a season.
		{name: "a few customers up and down", custs: [][2]int64{{1_500_000, 1_000_000}, {600_000, 1_000_000}, {1_200_000, 1_000_000}, {800_000, 1_000_000}}, lo: 0.999, hi: 1.001},
		{name: "one customer", custs: [][2]int64{{2_000_000, 1_000_000}}, lo: 1, hi: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			si := newSegmentInvoicing()
			for _, c := range tc.custs {
				si.addCustomer("s", c)
			}
			if f := seasonFactor(si.sums["s"]); f < tc.lo || f > tc.hi {
				t.Errorf("factor %.4f, want %.2f..%.2f", f, tc.lo, tc.hi)
			}
		})
	}
}

func spread(n int, f func(int) [2]int64) [][2]int64 {
	out := make([][2]int64, n)
	for i := range out {
		out[i] = f(i)
	}
	return out
}

// seasonLedger is a segment of 12 customers invoicing weekly for 20
// months: before (in the 13 weeks before the day a year earlier), coming
// (the 13 weeks after it) and since (the 40 weeks after those, to the
// as-of day) scale the usual 5,000.
func seasonLedger(before, coming, since float64) *datasets.Ledger {
	l := &datasets.Ledger{}
	ly := asOf.AddDays(-seasonYearDays)
	for c := range 12 {
		id := fmt.Sprintf("S%02d", c)
		l.Customers = append(l.Customers, datasets.Customer{ID: id, Segment: "mid_market", Currency: "EUR", CreditLimit: 30_000_00,
			Terms: datasets.Terms{Days: 30}, Since: asOf.AddDays(-640)})
		n := 0
		for d := asOf.AddDays(-600 + c); d <= asOf; d = d.AddDays(7) {
			n++
			k := 1.0
			switch {
			case d > ly.AddDays(seasonDays):
				k = since
			case d > ly:
				k = coming
			case d > ly.AddDays(-seasonDays):
				k = before
			}
			inv := datasets.Invoice{ID: fmt.Sprintf("%s-%03d", id, n), CustomerID: id, IssueDate: d, DueDate: d.AddDays(30),
				Amount: datasets.Money(math.Round(5_000_00 * k * (1 + 0.02*float64(c)))), Currency: "EUR", Segment: "mid_market"}
			if paid := inv.DueDate; paid <= asOf {
				inv.SettledDate = paid
				l.Payments = append(l.Payments, datasets.Payment{ID: "P" + inv.ID, CustomerID: id, InvoiceID: inv.ID, Date: paid, Amount: inv.Amount, Currency: "EUR"})
			}
			l.Invoices = append(l.Invoices, inv)
		}
	}
	return l
}

// The season is the forecast's: the coming weeks a year earlier against
// the weeks before them. It was those weeks against the year since, which
// read a book that invoiced less this year as a season (trial36: +26%
// where the forecast said 1.00, the largest limits raised 4–5×).
func TestSeasonIsNotATrend(t *testing.T) {
	cases := []struct {
		name                  string
		before, coming, since float64
		want                  float64
	}{
		{name: "a book invoicing less since, no season", before: 1.4, coming: 1.4, since: 1, want: 1},
		{name: "a season: the coming weeks 40% up a year earlier", before: 1, coming: 1.4, since: 1, want: 1.4},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := seasonLedger(tc.before, tc.coming, tc.since)
			byID, err := accounts(l, asOf, DefaultPolicy(), datasets.FX{To: "EUR"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			a := byID["S00"]
			if math.Abs(a.season-tc.want) > 0.01 {
				t.Fatalf("season %.3f, want %.2f", a.season, tc.want)
			}
			s := suggestOne(t, l, DefaultPolicy(), map[string]Risk{"S00": {PD: 0.005, Source: "model"}}, "S00")
			all := strings.Join(s.Reasons, " | ")
			if told := strings.Contains(all, "for the segment's coming season"); told != (tc.want != 1) {
				t.Errorf("the reasons tell a season: %v, want %v:\n%s", told, tc.want != 1, all)
			}
		})
	}
}
