package credit

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/synth"
	"github.com/dsopilot/dsopilot/recommender"
)

// A ledger in several currencies without the rates of some is refused, by
// Suggest and Flags alike, naming each currency lacking a rate with one of
// its customers: they used to leave those customers out (59 of 200 on a
// simulated ledger) and answer for the rest as if for all.
func TestMissingRatesAreRefusedNamingEachCurrency(t *testing.T) {
	l := baseLedger()
	l.Customers = append(l.Customers,
		datasets.Customer{ID: "U2", Segment: "mid_market", Currency: "USD", CreditLimit: 1_000_00},
		datasets.Customer{ID: "U1", Segment: "mid_market", Currency: "USD", CreditLimit: 1_000_00},
		datasets.Customer{ID: "S1", Segment: "mid_market", Currency: "CHF", CreditLimit: 1_000_00})
	pol := DefaultPolicy()
	onlyCHF := datasets.FX{To: "EUR", Rates: map[string]datasets.Rate{"CHF": 1_050_000_000}}
	for _, c := range []struct {
		name string
		run  func(Options) error
	}{
		{"suggest", func(o Options) error { _, err := Suggest(l, asOf, pol, o); return err }},
		{"flags", func(o Options) error { _, _, err := Flags(l, asOf, pol, o); return err }},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.run(Options{})
			var m *MissingRatesError
			if !errors.As(err, &m) || !errors.Is(err, datasets.ErrFX) {
				t.Fatalf("no rates: %v, want a MissingRatesError", err)
			}
			want := "no rate to EUR for CHF (1 customer, e.g. customer S1), USD (2 customers, e.g. customer U1)"
			if !strings.Contains(err.Error(), want) || !reflect.DeepEqual(m.Currencies(), []string{"CHF", "USD"}) {
				t.Fatalf("error %q, want it to contain %q", err, want)
			}
			if err := c.run(Options{FX: onlyCHF}); err == nil || !strings.Contains(err.Error(), "no rate to EUR for USD (2 customers, e.g. customer U1)") ||
				strings.Contains(err.Error(), "CHF") {
				t.Fatalf("rates for CHF only: %v", err)
			}
			// One currency alone needs no rate when it is the policy's.
			if err := c.run(Options{Currency: "EUR"}); err != nil {
				t.Fatalf("EUR alone: %v", err)
			}
			if err := c.run(Options{Currency: "EUR", Customers: []string{"U1"}}); !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), "customer U1 is in USD, not EUR") {
				t.Fatalf("a USD customer asked for among the EUR ones: %v", err)
			}
		})
	}
}

// Assessed one currency at a time, a customer gets what it gets in the
// whole portfolio's run with every rate: what is the portfolio's (the
// segments' fallback rates, the seasons) still counts every customer.
func TestOneCurrencyAloneIsItsRowsOfTheWholeRun(t *testing.T) {
	l, _, err := synth.Collect(context.Background(), synth.Config{Customers: 80, Months: 18, Seed: 5, Start: datasets.NewDate(2023, 1, 1)})
	if err != nil {
		t.Fatal(err)
	}
	pol := DefaultPolicy()
	asOf := datasets.NewDate(2024, 6, 30)
	all, err := Suggest(l, asOf, pol, Options{FX: recommender.SimFX()})
	if err != nil {
		t.Fatal(err)
	}
	var want []Suggestion
	others := map[string]int{}
	for _, r := range all.Rows {
		if r.Currency == "EUR" {
			want = append(want, r)
		} else {
			others[r.Currency]++
		}
	}
	if len(want) < 10 || len(others) == 0 {
		t.Fatalf("%d EUR customers, others %v: the fixture should have both", len(want), others)
	}
	eur, err := Suggest(l, asOf, pol, Options{Currency: "EUR"})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(eur.Rows, want) {
		t.Fatalf("EUR alone differs from the EUR rows of the whole run:\n%+v\n%+v", eur.Rows, want)
	}
	if eur.Currency != "EUR" || !reflect.DeepEqual(eur.OtherCurrencies, others) {
		t.Fatalf("currency %q, others %v, want EUR and %v", eur.Currency, eur.OtherCurrencies, others)
	}
	wantFlags, _, err := Flags(l, asOf, pol, Options{FX: recommender.SimFX()})
	if err != nil {
		t.Fatal(err)
	}
	gotFlags, _, err := Flags(l, asOf, pol, Options{Currency: "EUR"})
	if err != nil {
		t.Fatal(err)
	}
	var eurFlags []CustomerFlags
	for _, f := range wantFlags {
		if f.Currency == "EUR" {
			eurFlags = append(eurFlags, f)
		}
	}
	if len(eurFlags) == 0 || !reflect.DeepEqual(gotFlags, eurFlags) {
		t.Fatalf("EUR flags alone (%d) differ from the EUR customers' of the whole run (%d)", len(gotFlags), len(eurFlags))
	}
}

// A limit of 0 is no credit, not no limit: any exposure is over it, and the
// suggestion's reasons say so.
func TestZeroLimitIsNoCredit(t *testing.T) {
	l := baseLedger()
	l.Customers[0].CreditLimit = 0
	l.CreditDecisions = nil
	pol := DefaultPolicy()
	exposure := exposureOf(l, "C1", asOf)
	f := flagsOf(t, l, pol, "C1")
	over := flagOf(t, f, FlagOverLimit)
	if over.Amount.Money() != exposure || !over.BlocksOrders || !strings.Contains(over.Reason, "a limit of 0 EUR: no credit") {
		t.Fatalf("over limit %+v, want all of %s over a limit of 0 (no credit)", over, exposure)
	}
	s, err := Suggest(l, asOf, pol, Options{Risk: map[string]Risk{"C1": {PD: 0.01, Source: "model"}}, Customers: []string{"C1"}})
	if err != nil || len(s.Rows) != 1 {
		t.Fatalf("suggest: %v %+v", err, s)
	}
	if r := s.Rows[0]; r.Utilisation != nil || !strings.Contains(r.Reasons[0], "against a limit of 0 EUR: no credit") {
		t.Fatalf("suggestion for a limit of 0: utilisation %v, reasons %q", r.Utilisation, r.Reasons)
	}
}

// The whole portfolio's advice (what a report's credit pages show) refuses
// a customer in a currency without a rate as Suggest and Flags do, rather
// than leaving it out: its page would read "no suggestion" without a why.
func TestAdviceOnEveryCustomerRefusesMissingRates(t *testing.T) {
	ctx := context.Background()
	st := stores(t)[0].open(t) // the embedded store: the ledger is what matters
	l := baseLedger()
	l.Customers = append(l.Customers, datasets.Customer{ID: "U1", Segment: "mid_market", Currency: "USD", CreditLimit: 1_000_00})
	if err := st.Put(ctx, l); err != nil {
		t.Fatal(err)
	}
	svc := newService(t, st, &clock{t: asOf.AddDays(1).Time()})
	_, err := svc.Advice(ctx, asOf)
	var m *MissingRatesError
	if !errors.As(err, &m) || !strings.Contains(err.Error(), "no rate to EUR for USD (1 customer, e.g. customer U1)") {
		t.Fatalf("advice on every customer without a USD rate: %v, want a MissingRatesError naming USD", err)
	}
	svc.FX = datasets.FX{To: "EUR", Rates: map[string]datasets.Rate{"USD": 900_000_000}}
	adv, err := svc.Advice(ctx, asOf)
	if err != nil {
		t.Fatalf("with a USD rate: %v", err)
	}
	ids := make([]string, len(adv))
	for i, a := range adv {
		ids[i] = a.CustomerID
	}
	if !slices.Contains(ids, "U1") || len(adv) != len(l.Customers) {
		t.Fatalf("with a USD rate: advice for %v, want every one of the %d customers", ids, len(l.Customers))
	}
}

// A currency no customer is in (a typo, XYZ for EUR) is refused, naming
// the ledger's currencies: an empty list would read as "nothing to do".
func TestACurrencyNoCustomerIsInIsRefused(t *testing.T) {
	l := baseLedger()
	l.Customers = append(l.Customers, datasets.Customer{ID: "U1", Segment: "mid_market", Currency: "USD", CreditLimit: 1_000_00})
	for _, run := range []func(Options) error{
		func(o Options) error { _, err := Suggest(l, asOf, DefaultPolicy(), o); return err },
		func(o Options) error { _, _, err := Flags(l, asOf, DefaultPolicy(), o); return err },
	} {
		err := run(Options{Currency: "XYZ"})
		if !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), "no customer is in XYZ (the ledger's customers are in EUR, USD)") {
			t.Fatalf("--currency XYZ: %v", err)
		}
		if err := run(Options{Currency: "EUR"}); err != nil {
			t.Fatalf("--currency EUR: %v", err)
		}
	}
}
