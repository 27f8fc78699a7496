package reports

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
)

// fakeSources stand in for the forecast, the recommender and the credit
// suggestions, which other packages build.
type fakeSources struct {
	err   error
	asked []Slice
}

func (f *fakeSources) Forecast(_ context.Context, asOf datasets.Date, s Slice) (*Forecast, error) {
	f.asked = append(f.asked, s)
	if f.err != nil {
		return nil, f.err
	}
	fc := &Forecast{AsOf: asOf, HasDue: s.Kind == ""}
	for k := range 13 {
		m := datasets.Money(100_000_00 + int64(k)*1_000_00)
		fc.Weeks = append(fc.Weeks, ForecastWeek{Start: asOf.AddDays(7*k + 1), End: asOf.AddDays(7 * (k + 1)),
			Open: Band{Mean: m, P10: m * 8 / 10, P50: m, P90: m * 12 / 10}, New: Band{Mean: m / 10, P10: m / 20, P50: m / 10, P90: m / 5}, Due: m * 11 / 10})
	}
	fc.Total = Band{Mean: 1_500_000_00, P10: 1_300_000_00, P50: 1_500_000_00, P90: 1_700_000_00}
	return fc, nil
}

func (f *fakeSources) Snapshots(_ context.Context, asOf datasets.Date) ([]ForecastSnapshot, error) {
	fc, err := f.Forecast(context.Background(), asOf.AddDays(-28), Slice{})
	if err != nil {
		return nil, err
	}
	return []ForecastSnapshot{{Forecast: *fc, Actual: []datasets.Money{90_000_00, 120_000_00, 95_000_00, 101_000_00}}}, nil
}

func (f *fakeSources) Worklist(_ context.Context, asOf datasets.Date) (*Worklist, error) {
	if f.err != nil {
		return nil, f.err
	}
	return &Worklist{Actions: []NextAction{{CustomerID: "C000001", Collector: "Ana", Date: asOf.AddDays(1), Type: "call", Channel: "phone",
		InvoiceIDs: []string{"X1", "X2"}, Amount: 12_345_00, Valued: true, Value: 321_00, HasUplift: true, Uplift: 0.12, UpliftLo: 0.05, UpliftHi: 0.2,
		Reasons: []string{"pays within 5 days of a call: 4 of the last 5 times"}}},
		KeptOff: []KeptOff{{CustomerID: "C000002", Rule: "default", Detail: "the customer is in default (write-off or default decision on record): legal collection, not dunning",
			Amount: 5_841_61}}}, nil
}

func (f *fakeSources) Effects(context.Context, datasets.Date) ([]ActionEffect, error) {
	if f.err != nil {
		return nil, f.err
	}
	return []ActionEffect{{Type: "call", HorizonDays: 14, Uplift: 0.1, Lo: 0.04, Hi: 0.16, HasDays: true, Days: -3.5, DaysLo: -5, DaysHi: -2, N: 812, Randomised: true}}, nil
}

func (f *fakeSources) Credit(_ context.Context, _ datasets.Date, ids ...string) ([]CreditAdvice, error) {
	if f.err != nil {
		return nil, f.err
	}
	return []CreditAdvice{{CustomerID: "C000001", Current: 50_000_00, Exposure: 61_000_00, Suggested: 97_000_00, RiskClass: "medium",
		Reasons: []string{"invoices 42,000 EUR a month on 60-day terms"},
		Flags:   []CreditFlag{{Kind: "over_limit", Amount: 11_000_00, Reason: "exposure above the limit", Resolution: "payment promised for 20 March"}}}}, nil
}

var (
	_ ForecastSource    = (*fakeSources)(nil)
	_ CollectionsSource = (*fakeSources)(nil)
	_ CreditSource      = (*fakeSources)(nil)
)

// Given the parts other packages build, the pages draw and list them;
// without them they say "not available yet"; when one fails, its place
// says why and the rest of the report stands.
func TestOptionalParts(t *testing.T) {
	l, fx := simulated(t, 20, 6, 9)
	in := Input{Ledger: l, FX: fx, AsOf: datasets.NewDate(2023, 6, 30)}
	if l.Customers[0].ID != "C000001" {
		t.Fatalf("the first simulated customer is %s", l.Customers[0].ID)
	}
	cust := customerPath("C000001")
	plain := pages(t, newSite(t, in))
	for _, p := range []string{pathIndex, pathCollections, cust} {
		if !strings.Contains(plain[p], "Not available yet") {
			t.Errorf("%s without the parts does not say they are not available yet", p)
		}
	}
	f := &fakeSources{}
	in.Forecast, in.Collections, in.Credit = f, f, f
	all := pages(t, newSite(t, in))
	for p, want := range map[string][]string{
		pathIndex: {"Cash receipts, next 13 weeks", "Forecast of 2023-06-02 against actual receipts", "1,500,000"},
		pathCollections: {"worklist-table", "Ana", "pays within 5 days of a call", "+10.0 pts (+4.0 to +16.0), 14 days", "randomised holdouts",
			"kept-off-table", "none: kept from any contact", "5,841.61"},
		cust:                    {"suggested limit", "97,000.00", "over_limit", "payment promised for 20 March", "call by phone on 2023-07-01", "&#43;12.0 points"},
		customerPath("C000002"): {"Not on the next working day", "kept from any contact (default)", "5,841.61", "legal collection, not dunning"},
	} {
		for _, w := range want {
			if !strings.Contains(all[p], w) {
				t.Errorf("%s does not show %q", p, w)
			}
		}
		if strings.Contains(all[p], "Not available yet") {
			t.Errorf("%s still says not available yet", p)
		}
	}
	if len(f.asked) < 4 {
		t.Errorf("the forecast was asked for %v: want the portfolio and every slice", f.asked)
	}
	broken := &fakeSources{err: errors.New("store unreachable")}
	in.Forecast, in.Collections, in.Credit = broken, broken, broken
	failed := pages(t, newSite(t, in))
	for _, p := range []string{pathIndex, pathCollections, cust} {
		if !strings.Contains(failed[p], "store unreachable") {
			t.Errorf("%s does not say why its part failed", p)
		}
	}
}

func TestReadBacktestPredictions(t *testing.T) {
	rows, err := ReadBacktestPredictions(strings.NewReader("invoice_id,p_late,predicted_days_late,actual_late\nI1,0.9,12.0,1\nI2,0.1,0.0,0\n"), "p.csv")
	if err != nil || len(rows) != 2 || !rows[0].ActualLate || rows[1].PLate != 0.1 || rows[0].PredictedDaysLate != 12 {
		t.Fatalf("rows %+v, %v", rows, err)
	}
	for _, c := range []struct{ in, want string }{
		{"", "p.csv:1: empty file"},
		{"invoice_id,actual_late\n", "p.csv:1: no column p_late"},
		{"invoice_id,p_late,actual_late\nI1,1.5,1\n", "p.csv:2: field p_late"},
		{"invoice_id,p_late,actual_late\nI1,0.5,1\nI2,0.5,maybe\n", "p.csv:3: field actual_late"},
	} {
		if _, err := ReadBacktestPredictions(strings.NewReader(c.in), "p.csv"); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.in, err, c.want)
		}
	}
}
