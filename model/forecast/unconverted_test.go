package forecast

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/synth"
	"github.com/dsopilot/dsopilot/features"
	"github.com/dsopilot/dsopilot/model"
)

// An invoice in a currency the rates lack (one CAD invoice of a EUR
// customer) no longer fails the forecast: it is left out with its
// payments, the rest is forecast exactly as if it had never been there,
// and the result names it (currency, count, outstanding in its own
// currency, the invoice). In parts, the same. Only when most of the open
// book has no rate does the forecast fail, naming the rates to add.
func TestAStrayCurrencyIsLeftOutAndNamed(t *testing.T) {
	ctx := context.Background()
	l, _, err := synth.Collect(ctx, synth.Config{Customers: 60, Months: 18, Seed: 5, Start: d(2023, 1, 1)})
	if err != nil {
		t.Fatal(err)
	}
	asOf := d(2024, 5, 31)
	fx := simFX()
	conv, err := l.Convert(*fx)
	if err != nil {
		t.Fatal(err)
	}
	b, err := model.Train(ctx, features.NewIndex(conv), model.TrainOptions{AsOf: asOf, Families: []string{model.FamilyLogistic}, FX: fx})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := fx.Rates["CAD"]; ok {
		t.Fatal("the simulator has a CAD rate: pick another stray currency")
	}
	// The stray: an open invoice of a EUR customer, re-issued in CAD, with
	// a partial payment on it.
	h := NewHistory(l, nil)
	cur := InvoiceCurrencies(l)
	k := slices.IndexFunc(l.Invoices, func(v datasets.Invoice) bool {
		i := slices.IndexFunc(h.inv, func(x invoice) bool { return x.ID == v.ID })
		return cur[v.ID] == "EUR" && h.inv[i].outstanding(asOf) == v.Amount && v.DueDate < asOf
	})
	if k < 0 {
		t.Fatal("no open EUR invoice")
	}
	stray := l.Invoices[k]
	withStray := *l
	withStray.Invoices = slices.Clone(l.Invoices)
	withStray.Invoices[k].Currency = "CAD"
	withStray.Payments = append(slices.Clone(l.Payments), datasets.Payment{ID: "P-stray", CustomerID: stray.CustomerID, InvoiceID: stray.ID,
		Date: asOf.AddDays(-3), Amount: 1000, Currency: "CAD"})
	// The same ledger without it, as if it had never been issued.
	without := *l
	without.Invoices = slices.Delete(slices.Clone(l.Invoices), k, k+1)
	without.Payments = slices.DeleteFunc(slices.Clone(l.Payments), func(p datasets.Payment) bool { return p.InvoiceID == stray.ID })
	without.CreditNotes = slices.DeleteFunc(slices.Clone(l.CreditNotes), func(n datasets.CreditNote) bool { return n.InvoiceID == stray.ID })
	without.Disputes = slices.DeleteFunc(slices.Clone(l.Disputes), func(d datasets.Dispute) bool { return d.InvoiceID == stray.ID })
	without.Promises = slices.DeleteFunc(slices.Clone(l.Promises), func(p datasets.Promise) bool { return p.InvoiceID == stray.ID })

	o := Options{AsOf: asOf, Paths: 200, Seed: 3, By: ByCustomer}
	got, _, err := FromLedger(ctx, &withStray, b, fx, o)
	if err != nil {
		t.Fatalf("a stray CAD invoice failed the forecast: %v", err)
	}
	want, _, err := FromLedger(ctx, &without, b, fx, o)
	if err != nil {
		t.Fatal(err)
	}
	u := got.Unconverted
	if u == nil {
		t.Fatal("nothing named as left out")
	}
	wantU := UnconvertedCurrency{Currency: "CAD", OpenInvoices: 1, Outstanding: Money(stray.Amount - 1000), Customers: 1, Invoices: 1,
		Examples: []string{stray.ID}}
	if u.To != "EUR" || u.OpenInvoices != 1 || u.BookInvoices != want.Book.Invoices || len(u.Currencies) != 1 ||
		jsonOf(t, u.Currencies[0]) != jsonOf(t, wantU) {
		t.Errorf("left out %s, want 1 open invoice of %d, %s", jsonOf(t, u), want.Book.Invoices+1, jsonOf(t, wantU))
	}
	if s := u.String(); !strings.Contains(s, "CAD 1 open") || !strings.Contains(s, `"`+stray.ID+`"`) {
		t.Errorf("text %q: want the currency, the count and the invoice", s)
	}
	got.Unconverted = nil
	if g, w := jsonOf(t, got), jsonOf(t, want); g != w {
		t.Errorf("the forecast without the stray is not the ledger's without it:\n%s\n%s", g, w)
	}
	got.Unconverted = u
	for _, n := range []int{1, 4} {
		parts, _, err := FromParts(ctx, features.PartsOf(&withStray, n), b, fx, o)
		if err != nil {
			t.Fatalf("%d parts: %v", n, err)
		}
		if g, w := jsonOf(t, parts), jsonOf(t, got); g != w {
			t.Errorf("%d parts:\n%s\nwhole:\n%s", n, g, w)
		}
	}
	// Most of the book without a rate: an error naming the currencies,
	// whole and in parts, wrapping the conversion's error.
	thin := &datasets.FX{To: "CHF", Rates: map[string]datasets.Rate{"CAD": fx.Rates["USD"]}}
	_, _, err = FromLedger(ctx, &withStray, b, thin, o)
	var missing *datasets.MissingRatesError
	if !errors.As(err, &missing) || !errors.Is(err, datasets.ErrFX) || !strings.Contains(err.Error(), "more than the 50%") || missing.Amounts["EUR"] == 0 || missing.Amounts["CAD"] != 0 {
		t.Errorf("most of the book without a rate: %v", err)
	}
	_, _, perr := FromParts(ctx, features.PartsOf(&withStray, 3), b, thin, o)
	if err == nil || perr == nil || perr.Error() != err.Error() {
		t.Errorf("in parts: %v; whole: %v", perr, err)
	}
	// NewRun, behind the report's pages, leaves out the same and names it
	// (until stop 34 it failed: the pages did not say what was left out),
	// and LeaveOutUnconverted, behind the rest of a report, keeps the
	// ledger the forecast forecasts; both fail as the forecast does when
	// most of the book has no rate.
	run, err := NewRun(&withStray, b, fx, asOf)
	if err != nil {
		t.Fatalf("NewRun with a stray currency: %v", err)
	}
	viaRun, err := run.Forecast(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if g, w := jsonOf(t, viaRun), jsonOf(t, got); g != w {
		t.Errorf("NewRun's forecast:\n%s\nFromLedger's:\n%s", g, w)
	}
	kept, ku, err := LeaveOutUnconverted(&withStray, fx, asOf)
	if err != nil || jsonOf(t, ku) != jsonOf(t, u) || len(kept.Invoices) != len(without.Invoices) || len(kept.Payments) != len(without.Payments) {
		t.Errorf("LeaveOutUnconverted: %d invoices, %d payments, left out %s, %v; want %d, %d, %s",
			len(kept.Invoices), len(kept.Payments), jsonOf(t, ku), err, len(without.Invoices), len(without.Payments), jsonOf(t, u))
	}
	for _, tc := range []struct {
		name string
		fail func() error
	}{
		{"NewRun", func() error { _, err := NewRun(&withStray, b, thin, asOf); return err }},
		{"LeaveOutUnconverted", func() error { _, _, err := LeaveOutUnconverted(&withStray, thin, asOf); return err }},
	} {
		if err := tc.fail(); !errors.As(err, &missing) || !strings.Contains(err.Error(), "more than the 50%") {
			t.Errorf("%s, most of the book without a rate: %v", tc.name, err)
		}
	}
}

// A breakdown by customer names each customer as the master does.
func TestTheCustomerBreakdownCarriesNames(t *testing.T) {
	ctx := context.Background()
	l := simulatedEUR(t, 40, 15, 8)
	asOf := d(2024, 2, 29)
	b, err := model.Train(ctx, features.NewIndex(l), model.TrainOptions{AsOf: asOf, Families: []string{model.FamilyLogistic}})
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]string{}
	for _, c := range l.Customers {
		names[c.ID] = c.Name
	}
	o := Options{AsOf: asOf, Paths: 100, Seed: 1, By: ByCustomer}
	res, _, err := FromLedger(ctx, l, b, nil, o)
	if err != nil {
		t.Fatal(err)
	}
	parts, _, err := FromParts(ctx, features.PartsOf(l, 3), b, nil, o)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []*Result{res, parts} {
		if len(r.Groups) < 10 {
			t.Fatalf("%d groups", len(r.Groups))
		}
		for _, g := range r.Groups {
			if g.Name == "" || g.Name != names[g.Key] {
				t.Errorf("customer %s named %q, the master says %q", g.Key, g.Name, names[g.Key])
			}
		}
	}
	// Other breakdowns carry none.
	o.By = ByCurrency
	cur, _, err := FromLedger(ctx, l, b, nil, o)
	if err != nil {
		t.Fatal(err)
	}
	if i := slices.IndexFunc(cur.Groups, func(g Group) bool { return g.Name != "" }); i >= 0 {
		t.Errorf("by currency, group %s named %q", cur.Groups[i].Key, cur.Groups[i].Name)
	}
}

// A payment in a currency without a rate, on an invoice whose own
// currency has one, takes the invoice with it: kept alone, the invoice
// would read as still owed in full and its money be forecast again. It
// is named as applied to an invoice of another currency; an invoice
// issued after the as-of date is not named at all.
func TestAnInvoicePaidInAnUnconvertedCurrencyIsLeftOut(t *testing.T) {
	asOf := d(2024, 5, 31)
	fx := &datasets.FX{To: "EUR", Rates: map[string]datasets.Rate{"USD": 1}}
	l := &datasets.Ledger{
		Customers: []datasets.Customer{{ID: "C1", Currency: "EUR"}},
		Invoices: []datasets.Invoice{
			{ID: "I1", CustomerID: "C1", IssueDate: d(2024, 4, 1), DueDate: d(2024, 5, 1), SettledDate: d(2024, 5, 10), Amount: 1_000_00, Currency: "EUR"},
			{ID: "I2", CustomerID: "C1", IssueDate: d(2024, 5, 1), DueDate: d(2024, 6, 30), Amount: 500_00, Currency: "EUR"},
			{ID: "I3", CustomerID: "C1", IssueDate: d(2024, 6, 5), DueDate: d(2024, 7, 5), Amount: 700_00, Currency: "CAD"},
		},
		Payments: []datasets.Payment{{ID: "P1", CustomerID: "C1", InvoiceID: "I1", Date: d(2024, 5, 10), Amount: 1_400_00, Currency: "CAD"}},
	}
	out, u := leaveOutUnconverted(l, fx, asOf)
	if len(out.Invoices) != 1 || out.Invoices[0].ID != "I2" || len(out.Payments) != 0 {
		t.Fatalf("kept invoices %v, payments %v: want I2 alone", out.Invoices, out.Payments)
	}
	if u == nil || len(u.Currencies) != 1 {
		t.Fatalf("left out %+v: want CAD named", u)
	}
	c := u.Currencies[0]
	if c.Currency != "CAD" || c.Applied != 1 || c.AppliedOpen != 0 || c.Invoices != 0 || slices.Contains(c.Examples, "I3") {
		t.Fatalf("CAD %+v: want I1 counted as applied (settled), I3 (issued after the as-of date) not named", c)
	}
	if s := u.String(); !strings.Contains(s, "1 invoices in other currencies with a payment or credit note in CAD (0 open)") || !strings.HasPrefix(s, "left out for want of a rate to EUR: 0 open invoices") {
		t.Fatalf("said %q", s)
	}
}
