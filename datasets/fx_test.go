package datasets

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
)

func TestParseRate(t *testing.T) {
	cases := []struct {
		in   string
		want Rate
		ok   bool
	}{
		{"1", 1_000_000_000, true},
		{"0.0869", 86_900_000, true},
		{"11.5", 11_500_000_000, true},
		{" 1.123456789 ", 1_123_456_789, true},
		{".5", 500_000_000, true},
		{"", 0, false},
		{"0", 0, false},
		{"0.000", 0, false},
		{"-1", 0, false},
		{"1.1234567891", 1_123_456_789, true},  // the tenth decimal rounds
		{"0.08695652173913", 86_956_522, true}, // 1/11.5, rounded up
		{"0.0000000001", 0, false},
		{"1e3", 0, false},
		{"1,5", 0, false},
	}
	for _, c := range cases {
		got, err := ParseRate(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("ParseRate(%q) = %v, %v; want %v ok=%v", c.in, got, err, c.want, c.ok)
		}
		if c.ok {
			if back, err := ParseRate(got.String()); err != nil || back != got {
				t.Errorf("ParseRate(%q).String() = %q does not parse back", c.in, got.String())
			}
		}
	}
}

// TestReadFXRefusesExtraFields: a decimal comma typed into a
// comma-separated rates file splits the rate in two; the row must be
// refused, never read at its whole part (GBP at 1 for 1.16).
func TestReadFXRefusesExtraFields(t *testing.T) {
	cases := []struct {
		name, file string
		want       []string // in the error, in order
	}{
		{"decimal comma", "currency,rate\nGBP,1,16\nSEK,0.086956522\n",
			[]string{"fx_comma.csv:2: 3 fields, want currency,rate (is 1,16 a rate with a decimal comma? write it with a decimal point, 1.16)"}},
		{"decimal comma, extra column", "currency,rate,source\nGBP,1,16,ecb\n",
			[]string{"fx_comma.csv:2: 4 fields, want currency,rate,source (is 1,16 a rate"}},
		{"extra field not a split rate", "currency,rate\nSEK,0.086956522\nUSD,0.93,x\n",
			[]string{"fx_comma.csv:3: 3 fields, want currency,rate"}},
		{"quoted decimal comma", "currency,rate\nGBP,\"1,16\"\n",
			[]string{`fx_comma.csv:2: field rate: rate "1,16": a decimal comma? write it with a decimal point, 1.16`}},
		{"quoted thousands separator", "currency,rate\nJPY,\"1,000.5\"\n",
			[]string{`fx_comma.csv:2: field rate: rate "1,000.5": want a positive decimal number with a decimal point and no thousands separators`}},
		{"both rows named", "currency,rate\nGBP,1,16\nUSD,0,93\n",
			[]string{"fx_comma.csv:2: 3 fields", "fx_comma.csv:3: 3 fields"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fx, err := ReadFX(strings.NewReader(c.file), "fx_comma.csv", "EUR")
			if !errors.Is(err, ErrFX) {
				t.Fatalf("read %v, %v; want ErrFX", fx.Rates, err)
			}
			msg := err.Error()
			for _, w := range c.want {
				i := strings.Index(msg, w)
				if i < 0 {
					t.Fatalf("error %q does not say %q", msg, w)
				}
				msg = msg[i+len(w):]
			}
		})
	}
	// Fewer fields than the header is fine when currency and rate are
	// there: the trailing columns are optional.
	fx, err := ReadFX(strings.NewReader("currency,rate,source\nGBP,1.16\n"), "r.csv", "EUR")
	if err != nil || fx.Rates["GBP"] != 1_160_000_000 {
		t.Errorf("short optional column: %v, %v", fx.Rates, err)
	}
}

func TestMoneyConvert(t *testing.T) {
	half, _ := ParseRate("0.5")
	third, _ := ParseRate("0.333333333")
	sek, _ := ParseRate("0.086956522") // 1/11.5
	cases := []struct {
		m    Money
		r    Rate
		want Money
		ok   bool
	}{
		{10000, half, 5000, true},
		{1, half, 1, true},   // half a cent rounds away from zero
		{-1, half, -1, true}, // and so does a negative one
		{3, half, 2, true},
		{300, third, 100, true},
		{115000, sek, 10000, true}, // 1,150.00 SEK is 100.00 EUR
		{0, sek, 0, true},
		{math.MaxInt64, 2 * rateScale, 0, false},
		{math.MinInt64, half, math.MinInt64 / 2, true},
		{math.MinInt64, rateScale, math.MinInt64, true},
		{9223372018408031771, 2_000_000_004, 0, false}, // would round past 2^64
		{math.MaxInt64, rateScale, math.MaxInt64, true},
	}
	for _, c := range cases {
		got, ok := c.m.Convert(c.r)
		if ok != c.ok || (ok && got != c.want) {
			t.Errorf("%d × %s = %d, %v; want %d, %v", c.m, c.r, got, ok, c.want, c.ok)
		}
	}
}

func TestReadFX(t *testing.T) {
	good := "currency,rate,source\nSEK,0.086956522,ecb\ngbp,1.162790698,ecb\nEUR,1,\n"
	fx, err := ReadFX(strings.NewReader(good), "rates.csv", "eur")
	if err != nil {
		t.Fatal(err)
	}
	if fx.To != "EUR" || fx.Rates["SEK"] != 86_956_522 || fx.Rates["GBP"] != 1_162_790_698 {
		t.Fatalf("read %+v", fx)
	}
	if r, ok := fx.Rate("EUR"); !ok || r != rateScale {
		t.Fatalf("reporting currency rate %v %v", r, ok)
	}
	bad := "rate,currency\n0.1,SEK\nx,USD\n1.2,GBPX\n0.2,SEK\n2,EUR\n"
	_, err = ReadFX(strings.NewReader(bad), "rates.csv", "EUR")
	if !errors.Is(err, ErrFX) {
		t.Fatalf("bad rates: %v, want ErrFX", err)
	}
	for _, want := range []string{"rates.csv:3: field rate", "rates.csv:4: field currency", "rates.csv:5: field currency: SEK already", "rates.csv:6: field rate: the reporting currency"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if _, err := ReadFX(strings.NewReader("code,value\nSEK,1\n"), "r.csv", "EUR"); err == nil || !strings.Contains(err.Error(), "r.csv:1") {
		t.Errorf("header without currency and rate: %v", err)
	}
	if _, err := ReadFX(strings.NewReader(good), "r.csv", "EURO"); !errors.Is(err, ErrFX) {
		t.Errorf("bad reporting currency: %v", err)
	}
	// A CSV syntax error is reported with its line, not a panic.
	_, err = ReadFX(strings.NewReader("currency,rate\nSEK,0.08\n\"USD,1\nGBP,\"1.1\"\"x\n"), "q.csv", "EUR")
	if !errors.Is(err, ErrFX) || !strings.Contains(err.Error(), "q.csv:3") {
		t.Errorf("bad quoting: %v", err)
	}
	if _, err := ReadFX(strings.NewReader(""), "e.csv", "EUR"); err == nil || !strings.Contains(err.Error(), "e.csv:1") {
		t.Errorf("empty file: %v", err)
	}
	if _, err := ReadFX(strings.NewReader("currency,rate\nSEK\n"), "s.csv", "EUR"); err == nil || !strings.Contains(err.Error(), "s.csv:2: field rate") {
		t.Errorf("short row: %v", err)
	}
}

// A rates file to another currency asked for as rates to EUR is refused:
// its own currency at rate 1 with no EUR row is the tell. Listing EUR at
// 1 says the par rate is meant.
func TestReadFXRefusesRatesToAnotherCurrency(t *testing.T) {
	for _, tc := range []struct {
		name, file string
		want       string // "" when the file is read
	}{
		{"rates to USD asked as rates to EUR", "currency,rate\nUSD,1\nCAD,0.72\n",
			"usd.csv: USD at rate 1 and no row for EUR: the file looks like rates to USD, not to EUR; give --currency USD, or add the row EUR,1"},
		{"two currencies at par", "currency,rate\nUSD,1\nPAB,1\n", "PAB and USD at rate 1"},
		{"par rate confirmed by the reporting currency's row", "currency,rate\nUSD,1\nEUR,1\n", ""},
		{"no par rate", "currency,rate\nUSD,0.92\nCAD,0.68\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadFX(strings.NewReader(tc.file), "usd.csv", "EUR")
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != "" && (!errors.Is(err, ErrFX) || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error %v, want ErrFX saying %q", err, tc.want)
			}
		})
	}
}

func TestLedgerConvert(t *testing.T) {
	l := &Ledger{
		Customers: []Customer{{ID: "S", Currency: "SEK", CreditLimit: 11_500_00}, {ID: "E", Currency: "EUR", CreditLimit: 500_00}},
		Invoices: []Invoice{{ID: "I1", CustomerID: "S", Amount: 2_300_00, Currency: "SEK"},
			{ID: "I2", CustomerID: "S", Amount: 1_150_00}, // no currency: the customer's
			{ID: "I3", CustomerID: "E", Amount: 100_00, Currency: "EUR"}},
		Payments:        []Payment{{ID: "P1", CustomerID: "S", InvoiceID: "I1", Amount: 1_150_00, Currency: "SEK"}},
		CreditNotes:     []CreditNote{{ID: "N1", CustomerID: "S", InvoiceID: "I1", Amount: 115_00}},
		Disputes:        []Dispute{{ID: "D1", CustomerID: "S", InvoiceID: "I2", Amount: 1_150_00}},
		Promises:        []Promise{{ID: "R1", CustomerID: "S", Amount: 230_00}},
		CreditDecisions: []CreditDecision{{ID: "C1", CustomerID: "S", OldLimit: 11_500_00, NewLimit: 23_000_00}},
	}
	sek, _ := ParseRate("0.086956522")
	got, err := l.Convert(FX{To: "EUR", Rates: map[string]Rate{"SEK": sek}})
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want Money
	}{
		{"limit", got.Customers[0].CreditLimit, 1_000_00},
		{"EUR limit", got.Customers[1].CreditLimit, 500_00},
		{"invoice", got.Invoices[0].Amount, 200_00},
		{"invoice in the customer's currency", got.Invoices[1].Amount, 100_00},
		{"EUR invoice", got.Invoices[2].Amount, 100_00},
		{"payment", got.Payments[0].Amount, 100_00},
		{"credit note", got.CreditNotes[0].Amount, 10_00},
		{"dispute", got.Disputes[0].Amount, 100_00},
		{"promise", got.Promises[0].Amount, 20_00},
		{"new limit", got.CreditDecisions[0].NewLimit, 2_000_00},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: %d, want %d", c.name, c.got, c.want)
		}
	}
	if got.Invoices[1].Currency != "EUR" || l.Invoices[0].Amount != 2_300_00 || l.Invoices[0].Currency != "SEK" {
		t.Error("Convert changed the original ledger or left a currency")
	}
	if cs := l.Currencies(); strings.Join(cs, ",") != "EUR,SEK" {
		t.Errorf("Currencies() = %v", cs)
	}
	l.Invoices = append(l.Invoices, Invoice{ID: "I4", CustomerID: "E", Amount: 1, Currency: "USD"})
	if _, err := l.Convert(FX{To: "EUR", Rates: map[string]Rate{"SEK": sek}}); !errors.Is(err, ErrFX) || !strings.Contains(err.Error(), `USD (1 amounts, e.g. invoice "I4")`) {
		t.Errorf("missing USD rate: %v", err)
	}
}

// Rounding each amount on its own could leave an invoice paid in full with
// a cent outstanding; running totals keep it settled, whatever the order
// the records come in. Records without a currency follow their invoice,
// and a customer without a master currency takes its invoices'.
func TestConvertKeepsSettledInvoicesSettled(t *testing.T) {
	l := &Ledger{
		Customers: []Customer{{ID: "S", CreditLimit: 10_000_00}}, // no master currency
		Invoices: []Invoice{{ID: "I1", CustomerID: "S", Amount: 10_07, Currency: "SEK"},
			{ID: "I2", CustomerID: "S", Amount: 1000_00, Currency: "USD"}},
		Payments: []Payment{{ID: "P3", CustomerID: "S", InvoiceID: "I1", Date: 3, Amount: 3_37, Currency: "SEK"},
			{ID: "P1", CustomerID: "S", InvoiceID: "I1", Date: 1, Amount: 3_35, Currency: "SEK"},
			{ID: "P2", CustomerID: "S", InvoiceID: "I1", Date: 2, Amount: 3_35}, // no currency: the invoice's
			{ID: "P4", CustomerID: "S", InvoiceID: "I2", Date: 2, Amount: 1000_00}},
	}
	sek, _ := ParseRate("0.087")
	usd, _ := ParseRate("0.9")
	got, err := l.Convert(FX{To: "EUR", Rates: map[string]Rate{"SEK": sek, "USD": usd}})
	if err != nil {
		t.Fatal(err)
	}
	inv := got.Invoices[0].Amount
	var paid Money
	for _, p := range got.Payments[:3] {
		paid += p.Amount
	}
	if inv != 88 || paid != inv {
		t.Errorf("10.07 SEK paid in three parts: invoice %d cents, payments %d cents", inv, paid)
	}
	if got.Payments[3].Amount != got.Invoices[1].Amount || got.Invoices[1].Amount != 900_00 {
		t.Errorf("USD invoice %d, its payment without a currency %d", got.Invoices[1].Amount, got.Payments[3].Amount)
	}
	if got.Customers[0].CreditLimit != 870_00 {
		t.Errorf("limit of a customer invoicing in SEK: %d, want 870.00 EUR", got.Customers[0].CreditLimit)
	}
	if cs := l.Currencies(); strings.Join(cs, ",") != "SEK,USD" {
		t.Errorf("Currencies() = %v", cs)
	}
}

// A ledger converted part by part fails with the amounts of every part
// that lacks a rate: the whole ledger's error, not the first part's.
func TestPartConverterCountsEveryPart(t *testing.T) {
	l := &Ledger{}
	for i, cur := range []string{"USD", "USD", "GBP", "EUR", "USD", "CHF"} {
		id := fmt.Sprintf("C%d", i)
		l.Customers = append(l.Customers, Customer{ID: id, Currency: cur})
		l.Invoices = append(l.Invoices, Invoice{ID: "I" + id, CustomerID: id, Currency: cur, Amount: 1000,
			IssueDate: NewDate(2024, 1, 1), DueDate: NewDate(2024, 2, 1)})
		l.Payments = append(l.Payments, Payment{ID: "P" + id, CustomerID: id, Currency: cur, Amount: 400, Date: NewDate(2024, 1, 20)})
	}
	rate := func(s string) Rate {
		r, err := ParseRate(s)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	fx := FX{To: "EUR", Rates: map[string]Rate{"GBP": rate("1.17")}}
	_, wantErr := l.Convert(fx)
	var want *MissingRatesError
	if !errors.As(wantErr, &want) || !errors.Is(wantErr, ErrFX) || want.Amounts["USD"] != 6 || want.Amounts["CHF"] != 2 {
		t.Fatalf("whole ledger: %v, want USD (6 amounts) and CHF (2 amounts) missing", wantErr)
	}
	for _, n := range []int{1, 2, 4} {
		c := NewPartConverter(&fx)
		for _, p := range l.SplitByCustomer(n) {
			conv, ok, err := c.Convert(p)
			if err != nil {
				t.Fatalf("%d parts: %v", n, err)
			}
			if ok != (conv != nil) || ok && c.Err() != nil {
				t.Fatalf("%d parts: ok %v with a ledger %v and errors %v so far", n, ok, conv != nil, c.Err())
			}
		}
		if err := c.Err(); err == nil || err.Error() != wantErr.Error() || !errors.Is(err, ErrFX) {
			t.Errorf("%d parts: %v, want %v", n, err, wantErr)
		}
	}
	// Every rate known: each part converts, as the whole ledger does.
	fx.Rates["USD"], fx.Rates["CHF"] = rate("0.92"), rate("1.05")
	c := NewPartConverter(&fx)
	for _, p := range l.SplitByCustomer(3) {
		if _, ok, err := c.Convert(p); !ok || err != nil {
			t.Fatalf("with every rate: ok %v, %v", ok, err)
		}
	}
	if c.Err() != nil {
		t.Errorf("with every rate: %v", c.Err())
	}
	// No conversion: the parts as they are, and their currencies, the
	// whole ledger's; a currency without rates refuses a part in others.
	none := NewPartConverter(nil)
	for _, p := range l.SplitByCustomer(3) {
		if conv, ok, err := none.Convert(p); conv != p || !ok || err != nil {
			t.Fatalf("without conversion: %v, %v", ok, err)
		}
	}
	if got, want := strings.Join(none.Mixed(), ","), strings.Join(l.Currencies(), ","); got != want {
		t.Errorf("currencies of the parts %s, want the ledger's %s", got, want)
	}
	var re *RequestError
	if _, _, err := NewPartConverter(&FX{To: "EUR"}).Convert(l); !errors.As(err, &re) {
		t.Errorf("a ledger in several currencies, to EUR without rates: %v, want a request error", err)
	}
}

// The example a missing rate names is the first by kind (invoices first),
// then id, whatever order the amounts come in: the same whole or in parts.
func TestFirstRefOrder(t *testing.T) {
	refs := []RecordRef{{RefPromise, "A"}, {RefPayment, "P2"}, {RefCreditDecision, "D"}, {RefInvoice, "I9"}, {RefPayment, "P1"}, {RefInvoice, "I10"}}
	for _, order := range [][]int{{0, 1, 2, 3, 4, 5}, {5, 4, 3, 2, 1, 0}, {2, 0, 4, 1, 5, 3}} {
		var got RecordRef
		for _, i := range order {
			got = firstRef(got, refs[i])
		}
		if got != (RecordRef{RefInvoice, "I10"}) {
			t.Errorf("order %v: %v, want invoice I10", order, got)
		}
	}
}

// Running totals: the parts add up to the converted whole, in date order,
// and a total that overflows is reported, not wrapped.
func TestConvertRunning(t *testing.T) {
	a, b, c := Money(1_00), Money(1_00), Money(1_00)
	recs := []Applied{{Date: 3, Key: "c", Amount: &c}, {Date: 1, Key: "a", Amount: &a}, {Date: 2, Key: "b", Amount: &b}}
	third := func(total Money, _ *Applied) Money { v, _ := total.ConvertVia(1, 3); return v }
	if !ConvertRunning(recs, third) {
		t.Fatal("no overflow, yet reported")
	}
	if a+b+c != 1_00 || a != 33 || b != 34 || c != 33 {
		t.Fatalf("parts %d %d %d, want 33 34 33 adding up to 100 (a third of 3.00)", a, b, c)
	}
	x, y := Money(math.MaxInt64), Money(1)
	if ConvertRunning([]Applied{{Date: 1, Amount: &x}, {Date: 2, Amount: &y}}, third) {
		t.Fatal("an overflowing running total converted")
	}
}

// A rates file is read with its header's delimiter, as the importer reads
// a ledger: a spreadsheet in a decimal-comma locale saves "currency;rate"
// (a new-user trial's was refused for lacking the columns). Its rates
// still take a decimal point, and a decimal comma is refused saying so.
func TestReadFXDelimiters(t *testing.T) {
	for _, tc := range []struct {
		name, body, err string
	}{
		{"semicolon", "currency;rate\nSEK;0.086956522\nEUR;1\n", ""},
		{"tab", "currency\trate\nSEK\t0.086956522\n", ""},
		{"pipe with a BOM", "\ufeffcurrency|rate\nSEK|0.086956522\n", ""},
		{"semicolon, decimal comma", "currency;rate\nSEK;0,086956522\n", `r.csv:2: field rate: rate "0,086956522": a decimal comma? write it with a decimal point, 0.086956522`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fx, err := ReadFX(strings.NewReader(tc.body), "r.csv", "EUR")
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("%v, want an error saying %q", err, tc.err)
				}
				return
			}
			if err != nil || fx.Rates["SEK"] != 86_956_522 {
				t.Fatalf("%v, rates %v", err, fx.Rates)
			}
		})
	}
}
