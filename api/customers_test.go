package api

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
	"github.com/dsopilot/dsopilot/recommender"
	"github.com/dsopilot/dsopilot/recommender/credit"
)

// A customer with invoices in two currencies: its KPIs are converted to
// the server's reporting currency when it has rates, else given per
// currency; its amount features are labelled with their currency, or
// null when they would add two up. No amount is a sum of two currencies.
func TestCustomerInSeveralCurrencies(t *testing.T) {
	fx := recommender.SimFX()
	for _, c := range []struct {
		name string
		fx   *datasets.FX
	}{{"no rates", nil}, {"rates to " + fx.To, &fx}} {
		t.Run(c.name, func(t *testing.T) {
			ts := newTestServer(t, func(cfg *Config) { cfg.FX, cfg.Credit = c.fx, &fakeCredit{} })
			snap := ts.srv.snap.Load()
			cust := snap.ledger.Customers[0]
			other := "USD"
			if cust.Currency == other {
				other = "GBP"
			}
			issue := snap.asOf.AddDays(-20)
			body := fmt.Sprintf("customer_id,invoice_id,issue_date,due_date,amount,currency\n%s,MIX-1,%s,%s,5000.00,%s\n",
				cust.ID, issue, issue.AddDays(30), other)
			expect(t, ts.do(req{method: "POST", path: "/v1/ingest/invoices", role: "admin", body: body, ctype: "text/csv"}), 200)
			ts.settle()
			v := decode[CustomerView](t, ts.do(req{method: "GET", path: "/v1/customers/" + cust.ID, role: "viewer"}))
			byCur := map[string]Amount{}
			for _, o := range v.Scores.Outstanding {
				byCur[o.Currency] = o.Amount
			}
			if len(byCur) != 2 || byCur[other] != 500000 {
				t.Fatalf("outstanding per currency %+v, want two currencies, 5000.00 %s", v.Scores.Outstanding, other)
			}
			if c.fx == nil {
				if v.KPIs != nil || v.KPIsCurrency != "" || len(v.KPIsByCurrency) != 2 {
					t.Fatalf("kpis %+v in %q, by currency %+v: want null and two currencies", v.KPIs, v.KPIsCurrency, v.KPIsByCurrency)
				}
				// Each currency's receivables at as_of are its open items.
				for _, k := range v.KPIsByCurrency {
					if features.KPIMoney(byCur[k.Currency]) != k.Receivables {
						t.Errorf("%s: receivables %v, open items %v", k.Currency, k.Receivables, byCur[k.Currency])
					}
				}
			} else {
				conv, err := ts.srv.snap.Load().draftLedger([]string{cust.ID}, nil, nil).Convert(fx)
				if err != nil {
					t.Fatal(err)
				}
				if v.KPIs == nil || v.KPIsCurrency != fx.To || len(v.KPIsByCurrency) != 0 {
					t.Fatalf("kpis %+v in %q, by currency %+v: want them in %s", v.KPIs, v.KPIsCurrency, v.KPIsByCurrency, fx.To)
				}
				// The KPIs are those of the converted records, not of
				// the raw sum.
				want, err := features.ComputeKPIs(features.NewIndex(conv), v.AsOf.AddDays(-89), v.AsOf, "", false)
				if err != nil {
					t.Fatal(err)
				}
				var raw datasets.Money
				for _, a := range byCur {
					raw += datasets.Money(a)
				}
				if v.KPIs.Receivables != want.Receivables || v.KPIs.Receivables == features.KPIMoney(raw) {
					t.Fatalf("receivables %v, converted %v, raw sum %v", v.KPIs.Receivables, want.Receivables, raw)
				}
			}
			// The credit advice converts the other currency's invoice to
			// the customer's (TestCreditAdviceConvertsInvoicesInAnotherCurrency):
			// no warning that it adds it in unconverted.
			adv := decode[CreditAdvice](t, ts.do(req{method: "GET", path: "/v1/customers/" + cust.ID + "/credit-limit", role: "viewer"}))
			if len(adv.Warnings) != 0 {
				t.Fatalf("credit advice warnings %q, want none", adv.Warnings)
			}
			// The model in service learnt without rates: its amount
			// features would add the two currencies up.
			if snap.model.fx() == nil {
				if v.FeaturesCurrency != "" || v.Features["open_amount"] != nil || len(v.Warnings) == 0 {
					t.Fatalf("features in %q, open_amount %v, warnings %q: want null amounts and a warning", v.FeaturesCurrency, v.Features["open_amount"], v.Warnings)
				}
			} else if v.FeaturesCurrency != snap.model.fx().To {
				t.Fatalf("features in %q, the model converts to %s", v.FeaturesCurrency, snap.model.fx().To)
			}
		})
	}
}

// The credit advice on a customer with an invoice in another currency
// than its own converts it to the customer's (it used to add it in
// unconverted, with a warning saying so): the exposure grows by the
// converted amount; without a rate for the invoice's currency the advice
// is refused naming it, as for a customer whose own currency has none,
// with a 503 telling the operator to give the server the rate.
func TestCreditAdviceConvertsInvoicesInAnotherCurrency(t *testing.T) {
	fx := recommender.SimFX()
	for _, c := range []struct {
		cur  string
		rate datasets.Rate // 0: none
	}{{"USD", fx.Rates["USD"]}, {"JPY", 0}} {
		t.Run(c.cur, func(t *testing.T) {
			if _, ok := fx.Rates[c.cur]; ok != (c.rate != 0) || c.cur == fx.To {
				t.Fatalf("the simulation's rates %v: the case needs %s with rate %v", fx.Rates, c.cur, c.rate)
			}
			ts := newTestServer(t, func(cfg *Config) { cfg.Credit = NewCreditWorkflow(credit.DefaultPolicy(), fx, nil, nil, nil) })
			snap := ts.srv.snap.Load()
			i := slices.IndexFunc(snap.ledger.Customers, func(cu datasets.Customer) bool { return cu.Currency == fx.To })
			if i < 0 {
				t.Fatalf("no customer in %s", fx.To)
			}
			cust := snap.ledger.Customers[i]
			path := "/v1/customers/" + cust.ID + "/credit-limit"
			before := decode[CreditAdvice](t, ts.do(req{method: "GET", path: path, role: "viewer"}))
			issue := snap.asOf.AddDays(-20)
			const amount = datasets.Money(5_000_00)
			body := fmt.Sprintf("customer_id,invoice_id,issue_date,due_date,amount,currency\n%s,MIX-1,%s,%s,%s,%s\n",
				cust.ID, issue, issue.AddDays(30), amount, c.cur)
			expect(t, ts.do(req{method: "POST", path: "/v1/ingest/invoices", role: "admin", body: body, ctype: "text/csv"}), 200)
			ts.settle()
			w := ts.do(req{method: "GET", path: path, role: "viewer"})
			if c.rate == 0 {
				// The server's rates lack it: the server's fault (503).
				p := problemOf(t, w, 503)
				if want := "customer " + cust.ID + ": no rate from " + c.cur + " to " + fx.To + " for 1 invoice"; !strings.Contains(p.Detail, want) ||
					!strings.Contains(p.Detail, "--fx FILE holding a rate for "+c.cur) || p.Type != problemTypeBase+"missing-rate" {
					t.Fatalf("problem %q, want it to say %q", p.Detail, want)
				}
				return
			}
			after := decode[CreditAdvice](t, w)
			want, ok := amount.Convert(c.rate)
			if !ok {
				t.Fatal("overflow")
			}
			if got := after.Exposure.Money() - before.Exposure.Money(); got != want || len(after.Warnings) != 0 {
				t.Fatalf("exposure grew by %s %s (warnings %q), want %s: the %s %s converted", got, after.Currency, after.Warnings, want, amount, c.cur)
			}
		})
	}
}

// A customer whose master row gives no terms (one derived from a
// cleared-items export) shows its invoices' terms, said to be theirs, not
// NET0; one with terms in the master shows those.
func TestCustomerTermsFromItsInvoices(t *testing.T) {
	ts := newTestServer(t, nil)
	snap := ts.srv.snap.Load()
	issue := snap.asOf.AddDays(-20)
	expect(t, ts.do(req{method: "POST", path: "/v1/ingest/customers", role: "admin", ctype: "text/csv",
		body: "customer_id,name,segment,country,currency\nZDERIVED,,mid_market,DE,EUR\n"}), 200)
	body := "customer_id,invoice_id,issue_date,due_date,amount,currency\n"
	for i, id := range []string{"ZDERIVED", "ZDERIVED"} {
		body += fmt.Sprintf("%s,TERMS-%d,%s,%s,1000.00,EUR\n", id, i, issue.AddDays(i), issue.AddDays(i+60))
	}
	expect(t, ts.do(req{method: "POST", path: "/v1/ingest/invoices", role: "admin", body: body, ctype: "text/csv"}), 200)
	ts.settle()
	master := ts.srv.snap.Load().ledger.Customers[0]
	for id, want := range map[string][2]string{
		"ZDERIVED": {"NET60", "invoices"},
		master.ID:  {master.Terms.String(), "master"},
	} {
		v := decode[CustomerView](t, ts.do(req{method: "GET", path: "/v1/customers/" + id, role: "viewer"}))
		if got := [2]string{v.Customer.PaymentTerms, v.Customer.PaymentTermsSource}; got != want {
			t.Errorf("%s: payment terms %q from %q, want %q from %q", id, got[0], got[1], want[0], want[1])
		}
	}
}

// A customer without payments of its own, on a ledger that records them,
// has its KPIs as the whole ledger would: collected counts payments (none
// here), never what its settlements cleared, which only a ledger without
// any payment records reports.
func TestCustomerKPIsKnowTheLedgerHasPayments(t *testing.T) {
	ts := newTestServer(t, nil)
	snap := ts.srv.snap.Load()
	if len(snap.ledger.Payments) == 0 {
		t.Fatal("the test ledger has no payments")
	}
	expect(t, ts.do(req{method: "POST", path: "/v1/ingest/customers", role: "admin", body: "customer_id,name,currency\nZNOPAY,No Pay Ltd,EUR\n", ctype: "text/csv"}), 200)
	issue, settled := snap.asOf.AddDays(-40), snap.asOf.AddDays(-10)
	body := fmt.Sprintf("customer_id,invoice_id,issue_date,due_date,amount,currency,settled_date\nZNOPAY,ZN-1,%s,%s,1200.00,EUR,%s\n",
		issue, issue.AddDays(30), settled)
	expect(t, ts.do(req{method: "POST", path: "/v1/ingest/invoices", role: "admin", body: body, ctype: "text/csv"}), 200)
	ts.settle()
	v := decode[CustomerView](t, ts.do(req{method: "GET", path: "/v1/customers/ZNOPAY", role: "viewer"}))
	if v.KPIs == nil {
		t.Fatalf("no KPIs: %+v", v)
	}
	if v.KPIs.CollectedBasis != features.CollectedPayments || v.KPIs.Collected != 0 || v.KPIs.InvoicesSettled != 1 {
		t.Fatalf("collected %s (%s), %d settled; want 0.00 (payments), 1 settled", v.KPIs.Collected, v.KPIs.CollectedBasis, v.KPIs.InvoicesSettled)
	}
}
