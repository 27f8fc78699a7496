package reports

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/synth"
	"github.com/dsopilot/dsopilot/model/forecast"
	"github.com/dsopilot/dsopilot/recommender"
	"github.com/dsopilot/dsopilot/recommender/credit"
)

// inCurrency returns a copy of l in which the invoices, payments and
// master records of the customers keep says yes to are in cur.
func inCurrency(l *datasets.Ledger, cur string, keep func(i int, id string) bool) (*datasets.Ledger, map[string]bool) {
	out := *l
	moved := map[string]bool{}
	out.Customers = append([]datasets.Customer(nil), l.Customers...)
	for i := range out.Customers {
		if keep(i, out.Customers[i].ID) {
			moved[out.Customers[i].ID] = true
			out.Customers[i].Currency = cur
		}
	}
	out.Invoices = append([]datasets.Invoice(nil), l.Invoices...)
	for i := range out.Invoices {
		if moved[out.Invoices[i].CustomerID] {
			out.Invoices[i].Currency = cur
		}
	}
	out.Payments = append([]datasets.Payment(nil), l.Payments...)
	for i := range out.Payments {
		if p := &out.Payments[i]; moved[p.CustomerID] && p.Currency != "" {
			p.Currency = cur
		}
	}
	return &out, moved
}

// A currency the report's rates lack leaves its invoices out of the
// report's pages and of its cash forecast, by the forecast command's rule
// (forecast.LeaveOutUnconverted), and the pages say what was left out;
// when most of the open invoices lack a rate the report fails, as the
// forecast does. Until stop 34 any amount without a rate failed the whole
// report.
func TestReportLeavesOutUnratedCurrency(t *testing.T) {
	needECharts(t)
	ctx := context.Background()
	asOf := datasets.NewDate(2023, time.November, 30)
	base, b, fx := forecastFixture(t, 60, 5, asOf)
	const paths = 200
	// A customer with an invoice open at asOf, not the first customer
	// (whose page is checked below).
	var open string
	for _, v := range base.Invoices {
		if v.IssueDate <= asOf && (v.SettledDate == 0 || v.SettledDate > asOf) && v.CustomerID != base.Customers[0].ID {
			open = v.CustomerID
			break
		}
	}
	for _, tc := range []struct {
		name string
		// moves says which customers invoice in XTS, which fx has no
		// rate for.
		moves   func(i int, id string) bool
		wantErr bool
	}{
		{name: "one customer", moves: func(_ int, id string) bool { return id == open }},
		{name: "most customers", moves: func(i int, _ string) bool { return i%5 != 0 }, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, moved := inCurrency(base, "XTS", tc.moves)
			in := Input{Ledger: l, FX: &fx, AsOf: asOf, Build: "test",
				Forecast: ModelForecast(l, b, &fx, nil, paths)}
			s, err := New(ctx, in)
			if tc.wantErr {
				if !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), "XTS") || !strings.Contains(err.Error(), "add their rates") {
					t.Fatalf("err %v, want the report input's error naming XTS and the rates to add", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("a report with one customer's invoices in a currency without a rate: %v", err)
			}
			// The forecast command's result on the same ledger and rates.
			o, _ := forecast.Options{AsOf: asOf, Paths: paths, Seed: 1}.Validate()
			want, _, err := forecast.FromLedger(ctx, l, b, &fx, o)
			if err != nil {
				t.Fatal(err)
			}
			if want.Unconverted == nil || len(want.Unconverted.Currencies) != 1 || want.Unconverted.Currencies[0].Currency != "XTS" {
				t.Fatalf("the forecast command left out %+v, want XTS", want.Unconverted)
			}
			got := s.b.forecasts[s.b.portfolio.Slice]
			if got == nil {
				t.Fatalf("no portfolio forecast; notes %v", s.b.notes)
			}
			if got.Total.Mean != want.Total.Total.Mean.Money() || got.Total.P50 != want.Total.Total.P50.Money() {
				t.Errorf("report's forecast total %+v, the forecast command's mean %v P50 %v", got.Total, want.Total.Total.Mean, want.Total.Total.P50)
			}
			if got.LeftOut != want.Unconverted.String() {
				t.Errorf("report's forecast says it left out %q, the command %q", got.LeftOut, want.Unconverted.String())
			}
			for id, v := range s.b.invByID {
				if moved[v.CustomerID] {
					t.Fatalf("invoice %s of a customer in XTS is in the report", id)
				}
			}
			ps := pages(t, s)
			if !strings.Contains(ps[pathIndex], "Not in this forecast: left out for want of a rate to EUR") {
				t.Errorf("the portfolio's forecast section does not say what it left out")
			}
			// Every page with amounts says it (the first customer stays in EUR
			// here).
			for _, p := range []string{pathIndex, pathCustomers, pathDisputes, pathCollections, customerPath(base.Customers[0].ID)} {
				if html, ok := ps[p]; !ok || !strings.Contains(html, "Left out for want of a rate to EUR") || strings.Contains(html, "XTS 0 open") {
					t.Errorf("%s does not say what the report left out", p)
				}
			}
		})
	}
}

// The worklist and the credit advice leave out what the rates lack, as
// the rest of the report does, instead of failing the whole report: the
// worklist is made without the unrated customer's invoices, the
// collections page lists that customer and the missing rate, a
// customer's advice in a currency without a rate says so on its page, and
// the report has no failed part.
func TestWorklistAndCreditLeaveOutUnratedCurrency(t *testing.T) {
	needECharts(t)
	ctx := context.Background()
	asOf := datasets.NewDate(2023, time.November, 30)
	l0, _, err := synth.Collect(ctx, synth.Config{Customers: 60, Months: 14, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	fx := recommender.SimFX()
	// The customer with the most invoices open at asOf moves to XTS,
	// which fx has no rate for; another stays as it was.
	open := map[string]int{}
	for _, v := range l0.Invoices {
		if v.IssueDate <= asOf && (v.SettledDate == 0 || v.SettledDate > asOf) {
			open[v.CustomerID]++
		}
	}
	var moved string
	for _, c := range l0.Customers {
		if moved == "" || open[c.ID] > open[moved] {
			moved = c.ID
		}
	}
	l, _ := inCurrency(l0, "XTS", func(_ int, id string) bool { return id == moved })
	other := l.Customers[0].ID
	if other == moved {
		other = l.Customers[1].ID
	}
	d := recommender.NewDaily(recommender.RecommendOptions{FX: fx, Holdout: -1, Seed: 1})
	// The worklist on the raw ledger fails on the missing rate: what the
	// report did before.
	if _, err := d.Worklist(ctx, l, d.NextWorkingDay(asOf+1)); err == nil {
		t.Fatal("the recommender converts a ledger with XTS without a rate: the case tests nothing")
	}
	advise := func(_ context.Context, _ datasets.Date, _ ...string) ([]credit.Advice, error) {
		return []credit.Advice{
			{Suggestion: credit.Suggestion{CustomerID: moved, Currency: "XTS", Current: 9_000_00, Exposure: 1_000_00, Suggested: 12_000_00, RiskClass: "low"}},
			{Suggestion: credit.Suggestion{CustomerID: other, Currency: "EUR", Current: 5_000_00, Exposure: 1_000_00, Suggested: 7_000_00, RiskClass: "low"}},
		}, nil
	}
	in := Input{Ledger: l, FX: &fx, AsOf: asOf, Build: "test",
		Collections: RecommenderCollections(d, l, &fx), Credit: CreditFrom(advise, &fx)}
	s, err := New(ctx, in)
	if err != nil {
		t.Fatalf("report: %v", err)
	}
	if f := s.Failures(); len(f) != 0 {
		t.Fatalf("failed parts: %v", f)
	}
	if len(s.b.worklist)+len(s.b.keptOff) == 0 {
		t.Fatal("an empty worklist: the case tests nothing")
	}
	for _, a := range s.b.worklist {
		if a.CustomerID == moved {
			t.Errorf("the worklist has an action for %s, whose invoices have no rate: %+v", moved, a)
		}
	}
	for _, k := range s.b.keptOff {
		if k.CustomerID == moved {
			t.Errorf("the kept-off list counts %s, whose invoices have no rate: %+v", moved, k)
		}
	}
	ps := pages(t, s)
	coll := ps[pathCollections]
	if !strings.Contains(coll, "worklist-left-out") || !strings.Contains(coll, "XTS to EUR") || !strings.Contains(coll, moved) {
		t.Errorf("the collections page does not list %s and the missing XTS rate", moved)
	}
	if p := ps[customerPath(moved)]; !strings.Contains(p, "No credit figures") || !strings.Contains(p, "no XTS to EUR") {
		t.Errorf("%s's page does not say its credit figures lack a rate", moved)
	}
	if p := ps[customerPath(other)]; strings.Contains(p, "No credit figures") || !strings.Contains(p, "7,000.00") {
		t.Errorf("%s's page lacks its converted suggestion", other)
	}
	// The advice is listed, not summed: the XTS customer's figures are zero.
	if a := s.b.credit[moved]; a == nil || a.NoRate != "XTS" || a.Suggested != 0 || a.Exposure != 0 {
		t.Errorf("advice of %s: %+v", moved, a)
	}
}
