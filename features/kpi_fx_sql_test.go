package features

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/chstore/chsql"
)

// fxTestRates are rates to EUR with nine decimals, so that nearly every
// conversion rounds, and the halves away from zero show.
func fxTestRates(t *testing.T) datasets.FX {
	t.Helper()
	fx := datasets.FX{To: "EUR", Rates: map[string]datasets.Rate{}}
	for c, s := range map[string]string{"GBP": "1.163712345", "USD": "0.921345679", "CHF": "1.05"} {
		r, err := datasets.ParseRate(s)
		if err != nil {
			t.Fatal(err)
		}
		fx.Rates[c] = r
	}
	return fx
}

// withPaymentCurrencies returns l with currencies on some payments: every
// fifth its invoice's own (converted in the invoice's running total, as
// one without a currency), every seventh another (converted on its own);
// every eleventh credit limit and a few odd amounts in CHF; and halves of a
// cent (amounts of 5 at rate 1.05 and 0.1) for the rounding.
func withPaymentCurrencies(l *datasets.Ledger, start datasets.Date) *datasets.Ledger {
	cp := *l
	cp.Payments = append([]datasets.Payment(nil), l.Payments...)
	cp.Invoices = append([]datasets.Invoice(nil), l.Invoices...)
	cs := datasets.NewAmountCurrencies(l)
	for i := range cp.Payments {
		p := &cp.Payments[i]
		switch {
		case i%5 == 0:
			if cur, ok := cs.Invoice(p.InvoiceID); ok {
				p.Currency = cur
			}
		case i%7 == 0:
			p.Currency = "CHF"
		}
	}
	d := start.AddDays(70)
	cp.Invoices = append(cp.Invoices,
		datasets.Invoice{ID: "FX-1", CustomerID: "ZFX", IssueDate: d, DueDate: d.AddDays(30), Amount: 10, Currency: "CHF", SettledDate: d.AddDays(40)},
		datasets.Invoice{ID: "FX-2", CustomerID: "ZFX", IssueDate: d, DueDate: d.AddDays(30), Amount: -10, Currency: "CHF"})
	cp.Payments = append(cp.Payments,
		// Paid in three halves of a cent's rounding: the running total
		// still settles it in full.
		datasets.Payment{ID: "FXP-1", CustomerID: "ZFX", InvoiceID: "FX-1", Date: d.AddDays(5), Amount: 3},
		datasets.Payment{ID: "FXP-2", CustomerID: "ZFX", InvoiceID: "FX-1", Date: d.AddDays(5), Amount: 3, Currency: "CHF"},
		datasets.Payment{ID: "FXP-3", CustomerID: "ZFX", InvoiceID: "FX-1", Date: d.AddDays(9), Amount: 4, Currency: "USD"},
		datasets.Payment{ID: "FXP-4", CustomerID: "ZFX", Date: d.AddDays(9), Amount: -5})
	return &cp
}

// On a ledger in several currencies, the SQL KPIs converted to one are the
// Go engine's on the converted ledger (convert, then imply), field for
// field, on one server and on two shards.
func TestSQLKPIsInCurrencyMatchGoEngine(t *testing.T) {
	clickHouseServer(t)
	ctx := context.Background()
	start := datasets.NewDate(2023, 1, 1)
	fx := fxTestRates(t)
	type ledgerCase struct {
		name    string
		l       *datasets.Ledger
		cluster bool
	}
	var ledgers []ledgerCase
	for _, seed := range []uint64{1, 2} {
		l := distinctPaymentIDs(withPaymentCurrencies(oddLedger(kpiRandomLedger(seed, 25, 12, start, 540), start), start))
		switch seed {
		case 1:
			l = withOverCover(withUnapplied(l, start), start)
		case 2:
			l = withWriteOffEdges(l, start)
		}
		ledgers = append(ledgers, ledgerCase{fmt.Sprintf("seed%d", seed), l, false})
	}
	nn := withoutCreditNotes(withoutDisputeRecords(distinctPaymentIDs(withWriteOffEdges(withPaymentCurrencies(kpiRandomLedger(7, 25, 12, start, 540), start), start))))
	ledgers = append(ledgers, ledgerCase{"no-credit-notes", nn, false})
	ci := clearedItems(withWriteOffEdges(kpiRandomLedger(8, 25, 12, start, 540), start))
	ledgers = append(ledgers, ledgerCase{"cleared-items", ci, false})
	cl := distinctPaymentIDs(withWriteOffEdges(withOverCover(withUnapplied(withPaymentCurrencies(oddLedger(kpiRandomLedger(4, 30, 10, start, 540), start), start), start), start), start))
	ledgers = append(ledgers, ledgerCase{"cluster", cl, true})
	for _, lc := range ledgers {
		conv, err := lc.l.Convert(fx)
		if err != nil {
			t.Fatalf("%s: %v", lc.name, err)
		}
		if cur := lc.l.Currencies(); len(cur) < 3 {
			t.Fatalf("%s: amounts in %v: too few currencies to prove much", lc.name, cur)
		}
		s := ledgerDatabaseOrCluster(t, lc.l, lc.cluster)
		if ok, missing, err := SQLRatesCover(ctx, s, fx); err != nil || !ok {
			t.Fatalf("%s: rates cover: %v, %v, %v", lc.name, ok, missing, err)
		}
		ix := NewIndex(conv)
		if lc.l != ci {
			requireWrittenOff(t, lc.name, ix, start)
		}
		for _, c := range kpiSQLCases() {
			if c.o.By == "currency" {
				continue // converted, every amount is in one
			}
			from, to := kd(c.from), kd(c.to)
			t.Run(fmt.Sprintf("%s/%s..%s/by=%s/monthly=%v/cb=%d", lc.name, c.from, c.to, c.o.By, c.o.Monthly, c.o.CountbackMonths), func(t *testing.T) {
				want, err := ComputeKPIsWith(ix, from, to, c.o)
				if err != nil {
					t.Fatal(err)
				}
				got, err := SQLKPIReportIn(ctx, s, from, to, c.o, fx)
				assertSameKPIs(t, got, err, want)
				// Unconverted, the sums differ: the test would
				// otherwise pass with no conversion at all.
				if c.o.By == "" && !c.o.Monthly && want.Invoiced != 0 {
					raw, err := ComputeKPIsWith(NewIndex(lc.l), from, to, c.o)
					if err != nil {
						t.Fatal(err)
					}
					if raw.Invoiced == want.Invoiced {
						t.Fatalf("invoiced %s converted and not: the conversion proves nothing", want.Invoiced)
					}
				}
			})
		}
	}
}

// ledgerDatabaseOrCluster puts l on one server, or on two shards.
func ledgerDatabaseOrCluster(t *testing.T, l *datasets.Ledger, cluster bool) chsql.Querier {
	t.Helper()
	if cluster {
		return clusterDatabase(t, l)
	}
	return ledgerDatabase(t, l)
}

// A currency of the ledger without a rate is named by SQLRatesCover; one
// with a rate but no amount is not.
func TestSQLRatesCover(t *testing.T) {
	clickHouseServer(t)
	start := datasets.NewDate(2023, 1, 1)
	l := kpiRandomLedger(3, 6, 4, start, 200)
	fx := fxTestRates(t)
	s := ledgerDatabase(t, l)
	for _, c := range []struct {
		name    string
		drop    string
		ok      bool
		missing string
	}{{"all", "", true, ""}, {"no GBP", "GBP", false, "GBP"}, {"no CHF (unused)", "CHF", true, ""}} {
		t.Run(c.name, func(t *testing.T) {
			f := datasets.FX{To: fx.To, Rates: map[string]datasets.Rate{}}
			for k, v := range fx.Rates {
				if k != c.drop {
					f.Rates[k] = v
				}
			}
			ok, missing, err := SQLRatesCover(context.Background(), s, f)
			if err != nil {
				t.Fatal(err)
			}
			if ok != c.ok || strings.Join(missing, ",") != c.missing {
				t.Fatalf("cover %v, missing %v; want %v, %q", ok, missing, c.ok, c.missing)
			}
		})
	}
}
