package credit

import (
	"context"
	"errors"
	"math"
	"math/big"
	"reflect"
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
)

// The rates of the tests below: units of EUR per unit.
const (
	usdRate = datasets.Rate(912_345_679)
	chfRate = datasets.Rate(1_043_210_987)
)

var ratesToEUR = datasets.FX{To: "EUR", Rates: map[string]datasets.Rate{"USD": usdRate, "CHF": chfRate}}

// crossWant is m × from / into rounded to the cent, halves away from zero,
// worked out with rationals.
func crossWant(m datasets.Money, from, into datasets.Rate) datasets.Money {
	r := new(big.Rat).SetFrac(new(big.Int).Mul(big.NewInt(int64(m)), big.NewInt(int64(from))), big.NewInt(int64(into)))
	f, _ := r.Float64()
	q, rem := new(big.Int).QuoRem(r.Num(), r.Denom(), new(big.Int))
	if new(big.Int).Mul(new(big.Int).Abs(rem), big.NewInt(2)).Cmp(r.Denom()) >= 0 {
		q.Add(q, big.NewInt(int64(math.Copysign(1, f))))
	}
	return datasets.Money(q.Int64())
}

// An invoice (and what was paid on it) in another currency than its
// customer's used to be added to the customer's exposure, run-rate and
// overdue amount as if in the customer's currency: 1,234.57 USD counted as
// 1,234.57 EUR. It is converted to the customer's currency: at its rate to
// FX.To when that is the customer's currency, else across through FX.To.
func TestRecordsInAnotherCurrencyAreConverted(t *testing.T) {
	const inv, paid = datasets.Money(1_234_57), datasets.Money(234_57)
	issue := asOf.AddDays(-200) // month 6 back, 140 days past due
	pol := DefaultPolicy()
	for _, c := range []struct {
		name, customer, cur string // the customer and its currency
		payment             bool   // a USD payment on the invoice
		want                datasets.Money
	}{
		{"USD invoice of a EUR customer", "C1", "EUR", false, crossWant(inv, usdRate, 1_000_000_000)},
		{"USD invoice partly paid in USD", "C1", "EUR", true, crossWant(inv, usdRate, 1_000_000_000) - crossWant(paid, usdRate, 1_000_000_000)},
		{"USD invoice of a CHF customer", "C3", "CHF", false, crossWant(inv, usdRate, chfRate)},
		{"USD invoice of a CHF customer partly paid in USD", "C3", "CHF", true, crossWant(inv, usdRate, chfRate) - crossWant(paid, usdRate, chfRate)},
	} {
		t.Run(c.name, func(t *testing.T) {
			l := baseLedger()
			l.Customers = append(l.Customers, datasets.Customer{ID: "C3", Segment: "mid_market", Currency: "CHF", CreditLimit: 5_000_00,
				Terms: datasets.Terms{Days: 60}, Since: asOf.AddDays(-400)})
			before, err := accounts(l, asOf, pol, ratesToEUR, nil)
			if err != nil {
				t.Fatal(err)
			}
			l.Invoices = append(l.Invoices, datasets.Invoice{ID: "X1", CustomerID: c.customer, IssueDate: issue, DueDate: issue.AddDays(60),
				Amount: inv, Currency: "USD"})
			if c.payment {
				l.Payments = append(l.Payments, datasets.Payment{ID: "XP1", CustomerID: c.customer, InvoiceID: "X1", Date: issue.AddDays(30),
					Amount: paid, Currency: "USD"})
			}
			after, err := accounts(l, asOf, pol, ratesToEUR, nil)
			if err != nil {
				t.Fatal(err)
			}
			b, a := before[c.customer], after[c.customer]
			k := int(float64(asOf-issue) / daysPerMonth)
			if got := a.exposure - b.exposure; got != c.want {
				t.Errorf("exposure grew by %s %s, want %s (the USD open item converted)", got, c.cur, c.want)
			}
			if got := a.overdue90 - b.overdue90; got != c.want {
				t.Errorf("overdue90 grew by %s, want %s", got, c.want)
			}
			if got, want := a.monthly[k]-b.monthly[k], crossWant(inv, usdRate, map[string]datasets.Rate{"EUR": 1_000_000_000, "CHF": chfRate}[c.cur]); got != want {
				t.Errorf("month %d's invoicing grew by %s, want %s (the invoice converted)", k, got, want)
			}
			if a.unrated != nil {
				t.Errorf("unrated %v with every rate", a.unrated)
			}
			// The public answer: the exposure Flags reports.
			fs, _, err := Flags(l, asOf, pol, Options{FX: ratesToEUR, Customers: []string{c.customer}, Risk: map[string]Risk{c.customer: {PD: 0.01, Source: "model"}}})
			if err != nil {
				t.Fatal(err)
			}
			if len(fs) != 1 || fs[0].Exposure.Money() != a.exposure {
				t.Fatalf("flags %+v, want exposure %s", fs, a.exposure)
			}
		})
	}
}

// A record in a currency without a rate to convert it to its customer's
// refuses Suggest, Flags and the advice as a customer in such a currency
// does, naming the currency, the records and one of them, instead of
// adding it in unconverted; with Options.Currency only the customers
// assessed need the rates of their records.
func TestRecordsWithoutARateAreRefused(t *testing.T) {
	ctx := context.Background()
	l := baseLedger()
	l.Customers = append(l.Customers, datasets.Customer{ID: "U1", Segment: "mid_market", Currency: "USD", CreditLimit: 1_000_00})
	issue := asOf.AddDays(-40)
	l.Invoices = append(l.Invoices,
		datasets.Invoice{ID: "X2", CustomerID: "C1", IssueDate: issue, DueDate: issue.AddDays(60), Amount: 500_00, Currency: "USD"},
		datasets.Invoice{ID: "X1", CustomerID: "C1", IssueDate: issue, DueDate: issue.AddDays(60), Amount: 700_00, Currency: "USD"},
		datasets.Invoice{ID: "G1", CustomerID: "U1", IssueDate: issue, DueDate: issue.AddDays(60), Amount: 100_00, Currency: "GBP"})
	l.Payments = append(l.Payments, datasets.Payment{ID: "XP", CustomerID: "C1", InvoiceID: "X1", Date: issue.AddDays(5), Amount: 100_00, Currency: "USD"})
	pol := DefaultPolicy()
	st := stores(t)[0].open(t)
	if err := st.Put(ctx, l); err != nil {
		t.Fatal(err)
	}
	svc := newService(t, st, &clock{t: asOf.AddDays(1).Time()})
	runs := []struct {
		name string
		run  func(Options) error
	}{
		{"suggest", func(o Options) error { _, err := Suggest(l, asOf, pol, o); return err }},
		{"flags", func(o Options) error { _, _, err := Flags(l, asOf, pol, o); return err }},
		{"advice", func(o Options) error {
			svc.FX, svc.Currency = o.FX, o.Currency
			_, err := svc.Advice(ctx, asOf, o.Customers...)
			return err
		}},
	}
	usdOnly := datasets.FX{To: "EUR", Rates: map[string]datasets.Rate{"USD": usdRate}}
	for _, r := range runs {
		for _, c := range []struct {
			name       string
			o          Options
			want       string // in the error; "" for none
			currencies []string
		}{
			{"no rates", Options{},
				`no rate to EUR for GBP (1 invoice not in their customer's currency, e.g. invoice "G1" of customer U1), ` +
					`USD (1 customer, e.g. customer U1; 2 invoices and 1 payment not in their customer's currency, e.g. invoice "X1" of customer C1)`,
				[]string{"GBP", "USD"}},
			{"USD only", Options{FX: usdOnly},
				`no rate to EUR for GBP (1 invoice not in their customer's currency, e.g. invoice "G1" of customer U1)`, []string{"GBP"}},
			{"EUR alone, no rates", Options{Currency: "EUR"},
				`no rate to EUR for USD (2 invoices and 1 payment not in their customer's currency, e.g. invoice "X1" of customer C1)`, []string{"USD"}},
			{"EUR alone with the USD rate", Options{Currency: "EUR", FX: usdOnly}, "", nil},
		} {
			t.Run(r.name+"/"+c.name, func(t *testing.T) {
				err := r.run(c.o)
				if c.want == "" {
					if err != nil {
						t.Fatalf("%v, want an answer: the customers assessed have every rate they need", err)
					}
					return
				}
				var m *MissingRatesError
				if !errors.As(err, &m) || !errors.Is(err, datasets.ErrFX) || !strings.Contains(err.Error(), c.want) {
					t.Fatalf("error %v, want a MissingRatesError with %q", err, c.want)
				}
				if !reflect.DeepEqual(m.Currencies(), c.currencies) {
					t.Fatalf("currencies %v, want %v", m.Currencies(), c.currencies)
				}
			})
		}
	}
	// One customer asked about: refused as a customer whose currency has
	// no rate is, saying why.
	svc.FX, svc.Currency = datasets.FX{}, ""
	_, err := svc.Advice(ctx, asOf, "C1")
	if !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), "customer C1: no rate from USD to EUR for 2 invoices and 1 payment") {
		t.Fatalf("advice on C1 without a USD rate: %v", err)
	}
}

// Money.ConvertVia is Money.Convert when converting to FX.To, and exact (one
// rounding, halves away from zero) across two rates; what does not fit in
// Money is not ok.
func TestCrossConvert(t *testing.T) {
	for _, c := range []struct {
		m          datasets.Money
		from, into datasets.Rate
	}{
		{1_234_57, usdRate, 1_000_000_000}, {-1_234_57, usdRate, 1_000_000_000}, {1_234_57, usdRate, chfRate},
		{-99_999_999_99, chfRate, usdRate}, {1, 500_000_000, 1_000_000_000}, {-1, 500_000_000, 1_000_000_000},
		{5, 1, 10}, {15, 1, 10}, {-25, 1, 10}, {1 << 40, 3_000_000_000, 7_000_000_001},
	} {
		got, ok := c.m.ConvertVia(c.from, c.into)
		if want := crossWant(c.m, c.from, c.into); !ok || got != want {
			t.Errorf("%d × %d / %d = %d (ok %v), want %d", c.m, c.from, c.into, got, ok, want)
		}
		if c.into == 1_000_000_000 {
			if v, ok2 := c.m.Convert(c.from); v != got || ok2 != ok {
				t.Errorf("%d at %d: %d, Money.Convert %d", c.m, c.from, got, v)
			}
		}
	}
	if _, ok := datasets.Money(math.MaxInt64/2).ConvertVia(3_000_000_000, 1_000_000_000); ok {
		t.Error("an overflow converted")
	}
	l := baseLedger()
	l.Invoices = append(l.Invoices, datasets.Invoice{ID: "BIG", CustomerID: "C1", IssueDate: asOf, DueDate: asOf.AddDays(60),
		Amount: math.MaxInt64 / 2, Currency: "CHF"})
	chf3 := datasets.FX{To: "EUR", Rates: map[string]datasets.Rate{"CHF": 3_000_000_000}}
	if _, err := accounts(l, asOf, DefaultPolicy(), chf3, nil); !errors.Is(err, datasets.ErrFX) || !strings.Contains(err.Error(), "overflow") {
		t.Fatalf("an amount overflowing when converted: %v, want an ErrFX", err)
	}
}
