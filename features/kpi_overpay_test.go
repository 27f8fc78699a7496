package features

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/importer"
)

// kdisc is the credit note the importer derives from payment pay's
// discount column (importer.discountNote).
func kdisc(pay, cust, invoice, date string, amount float64) datasets.CreditNote {
	return datasets.CreditNote{ID: importer.DiscountPrefix + pay, CustomerID: cust, InvoiceID: invoice, Date: kd(date),
		Amount: km(amount), Kind: datasets.KindCreditNote, Reason: importer.DiscountReason}
}

// An invoice covered for more than its amount leaves the surplus on
// account; a discount and a ledger credit note of one amount on an invoice
// count once. Every expected value is worked out by hand from the ledger
// in the comment of its case.
func TestKPIOverpayments(t *testing.T) {
	// I1 1,000.00 issued 03-01 due 03-31, I2 500.00 issued 03-10 due
	// 04-09, both open; the period is March 2024 (31 days, 1,500.00
	// invoiced).
	base := func() *datasets.Ledger {
		return &datasets.Ledger{
			Customers: []datasets.Customer{{ID: "C1", Segment: "smb"}, {ID: "C2", Segment: "ent"}},
			Invoices: []datasets.Invoice{
				kinv("I1", "C1", "2024-03-01", "2024-03-31", 1000, ""),
				kinv("I2", "C1", "2024-03-10", "2024-04-09", 500, ""),
			},
		}
	}
	pays := func(ps ...datasets.Payment) func(*datasets.Ledger) {
		return func(l *datasets.Ledger) { l.Payments = append(l.Payments, ps...) }
	}
	for _, tc := range []struct {
		name     string
		edit     func(l *datasets.Ledger)
		by, to   string
		monthly  bool
		from     string
		want     map[string]any
		settleI1 string
	}{
		{name: "nothing over-covered", want: map[string]any{
			"receivables": 1500.0, "overpayments": 0.0, "on_account": 0.0, "net_receivables": 1500.0}},
		// 1,100 paid on I1: it owes 0, 100 is on account; DSO stays on
		// gross: 500 / 1,500 × 31.
		{name: "overpaid invoice", edit: pays(kpay("P1", "C1", "I1", "2024-03-15", 1100)), want: map[string]any{
			"receivables": 500.0, "overpayments": 100.0, "unapplied_cash": 0.0, "on_account": 100.0,
			"net_receivables": 400.0, "dso": 500.0 / 1500 * 31, "overdue_receivables": 0.0}},
		{name: "overpaid and settled", settleI1: "2024-03-15", edit: pays(kpay("P1", "C1", "I1", "2024-03-15", 1100)),
			want: map[string]any{"receivables": 500.0, "overpayments": 100.0, "net_receivables": 400.0}},
		// Settled before the period: the surplus is still on account at
		// its opening and end.
		{name: "overpaid and settled before the period", from: "2024-03-20", settleI1: "2024-03-15",
			edit: pays(kpay("P1", "C1", "I1", "2024-03-15", 1100)),
			want: map[string]any{"receivables": 500.0, "opening_receivables": 500.0, "overpayments": 100.0, "net_receivables": 400.0}},
		// Point in time: at 03-14 the payment of 03-15 is not there.
		{name: "overpayment dated after the period end", to: "2024-03-14", edit: pays(kpay("P1", "C1", "I1", "2024-03-15", 1100)),
			want: map[string]any{"receivables": 1500.0, "overpayments": 0.0, "net_receivables": 1500.0}},
		// 600 + 500 = 1,100 by 03-20: 100 over.
		{name: "overpaid in two payments", edit: pays(kpay("P1", "C1", "I1", "2024-03-05", 600), kpay("P2", "C1", "I1", "2024-03-20", 500)),
			want: map[string]any{"receivables": 500.0, "overpayments": 100.0, "net_receivables": 400.0}},
		// The surplus refunded against the invoice: 1,100 − 100 covers
		// exactly 1,000.
		{name: "overpayment refunded on the invoice", edit: pays(kpay("P1", "C1", "I1", "2024-03-15", 1100), kpay("R1", "C1", "I1", "2024-03-25", -100)),
			want: map[string]any{"receivables": 500.0, "overpayments": 0.0, "on_account": 0.0, "net_receivables": 500.0}},
		// Refunded on account: −100 unapplied cash, +100 overpaid.
		{name: "overpayment refunded on account", edit: pays(kpay("P1", "C1", "I1", "2024-03-15", 1100), kpay("R1", "C1", "", "2024-03-25", -100)),
			want: map[string]any{"receivables": 500.0, "unapplied_cash": -100.0, "overpayments": 100.0, "on_account": 0.0, "net_receivables": 500.0}},
		// A payment on account reduces no invoice: 200 on account.
		{name: "unapplied payment", edit: pays(kpay("P1", "C1", "", "2024-03-20", 200)),
			want: map[string]any{"receivables": 1500.0, "unapplied_cash": 200.0, "overpayments": 0.0, "on_account": 200.0, "net_receivables": 1300.0}},
		// I3 (300, issued 04-05) paid on 03-28: all of it on account at
		// 03-31; at 04-30 it covers I3 exactly and nothing is on account.
		{name: "prepayment of an invoice issued after the period", edit: func(l *datasets.Ledger) {
			l.Invoices = append(l.Invoices, kinv("I3", "C1", "2024-04-05", "2024-05-05", 300, ""))
			l.Payments = append(l.Payments, kpay("P3", "C1", "I3", "2024-03-28", 300))
		}, want: map[string]any{"receivables": 1500.0, "invoiced": 1500.0, "overpayments": 300.0, "net_receivables": 1200.0}},
		{name: "prepayment once the invoice is issued", to: "2024-04-30", edit: func(l *datasets.Ledger) {
			l.Invoices = append(l.Invoices, kinv("I3", "C1", "2024-04-05", "2024-05-05", 300, ""))
			l.Payments = append(l.Payments, kpay("P3", "C1", "I3", "2024-03-28", 300))
		}, want: map[string]any{"receivables": 1500.0, "overpayments": 0.0, "net_receivables": 1500.0}},
		// 980 paid with a discount of 20, and the ERP's credit memo of 20
		// for it: 1,000 covered once, nothing on account (the old clamp
		// hid the 20 counted twice; carrying surpluses would show it).
		{name: "discount and its credit note count once", settleI1: "2024-03-15", edit: func(l *datasets.Ledger) {
			l.Payments = append(l.Payments, kpay("P1", "C1", "I1", "2024-03-15", 980))
			l.CreditNotes = append(l.CreditNotes, kdisc("P1", "C1", "I1", "2024-03-15", 20), kcn("CM1", "C1", "I1", "2024-03-20", 20, datasets.KindCreditNote))
		}, want: map[string]any{"receivables": 500.0, "overpayments": 0.0, "on_account": 0.0, "net_receivables": 500.0}},
		// The memo of 03-05 counts from its date; the discount of 03-15
		// adds nothing: at 03-10 I1 owes 1,000 − 20 = 980.
		{name: "credit note before the discount: counted from its date", to: "2024-03-10", edit: func(l *datasets.Ledger) {
			l.Payments = append(l.Payments, kpay("P1", "C1", "I1", "2024-03-15", 980))
			l.CreditNotes = append(l.CreditNotes, kcn("CM1", "C1", "I1", "2024-03-05", 20, datasets.KindCreditNote), kdisc("P1", "C1", "I1", "2024-03-15", 20))
		}, want: map[string]any{"receivables": 1480.0, "overpayments": 0.0, "net_receivables": 1480.0}},
		{name: "credit note before the discount: at the end", edit: func(l *datasets.Ledger) {
			l.Payments = append(l.Payments, kpay("P1", "C1", "I1", "2024-03-15", 980))
			l.CreditNotes = append(l.CreditNotes, kcn("CM1", "C1", "I1", "2024-03-05", 20, datasets.KindCreditNote), kdisc("P1", "C1", "I1", "2024-03-15", 20))
		}, want: map[string]any{"receivables": 500.0, "overpayments": 0.0, "net_receivables": 500.0}},
		// Part paid with the pair: 1,000 − 500 − 20 = 480 owed, not 460.
		{name: "part payment with a discount and its credit note", edit: func(l *datasets.Ledger) {
			l.Payments = append(l.Payments, kpay("P1", "C1", "I1", "2024-03-15", 500))
			l.CreditNotes = append(l.CreditNotes, kdisc("P1", "C1", "I1", "2024-03-15", 20), kcn("CM1", "C1", "I1", "2024-03-20", 20, datasets.KindCreditNote))
		}, want: map[string]any{"receivables": 980.0, "overpayments": 0.0, "net_receivables": 980.0}},
		// A memo of another amount is another credit: 980 + 20 + 30 −
		// 1,000 = 30 on account.
		{name: "discount and a credit note of another amount", edit: func(l *datasets.Ledger) {
			l.Payments = append(l.Payments, kpay("P1", "C1", "I1", "2024-03-15", 980))
			l.CreditNotes = append(l.CreditNotes, kdisc("P1", "C1", "I1", "2024-03-15", 20), kcn("CM1", "C1", "I1", "2024-03-20", 30, datasets.KindCreditNote))
		}, want: map[string]any{"receivables": 500.0, "overpayments": 30.0, "net_receivables": 470.0}},
		// Two discounts of 10 and one memo of 10: max(2, 1) count, 490 +
		// 490 + 20 = 1,000 covered.
		{name: "two discounts, one matching credit note", edit: func(l *datasets.Ledger) {
			l.Payments = append(l.Payments, kpay("P1", "C1", "I1", "2024-03-15", 490), kpay("P2", "C1", "I1", "2024-03-16", 490))
			l.CreditNotes = append(l.CreditNotes, kdisc("P1", "C1", "I1", "2024-03-15", 10), kdisc("P2", "C1", "I1", "2024-03-16", 10),
				kcn("CM1", "C1", "I1", "2024-03-20", 10, datasets.KindCreditNote))
		}, want: map[string]any{"receivables": 500.0, "overpayments": 0.0, "net_receivables": 500.0}},
		// A note whose id looks like a discount but whose reason does not
		// is a ledger note: 980 + 20 + 20 − 1,000 = 20 on account.
		{name: "a ledger note named like a discount is a ledger note", edit: func(l *datasets.Ledger) {
			l.Payments = append(l.Payments, kpay("P1", "C1", "I1", "2024-03-15", 980))
			n := kdisc("P1", "C1", "I1", "2024-03-15", 20)
			n.Reason = "price"
			l.CreditNotes = append(l.CreditNotes, n, kcn("CM1", "C1", "I1", "2024-03-20", 20, datasets.KindCreditNote))
		}, want: map[string]any{"receivables": 500.0, "overpayments": 20.0, "net_receivables": 480.0}},
		// An invoice of −50 (a credit written as an invoice) owes
		// nothing and leaves 50 on account from its issue.
		{name: "negative invoice", edit: func(l *datasets.Ledger) {
			l.Invoices = append(l.Invoices, kinv("I3", "C1", "2024-03-05", "2024-04-04", -50, ""))
		}, want: map[string]any{"receivables": 1500.0, "invoiced": 1450.0, "overpayments": 50.0, "net_receivables": 1450.0}},
		// A credit note of 1,200 on I2 (500): 700 unused credit.
		{name: "credit note beyond the invoice", edit: func(l *datasets.Ledger) {
			l.CreditNotes = append(l.CreditNotes, kcn("CM2", "C1", "I2", "2024-03-20", 1200, datasets.KindCreditNote))
		}, want: map[string]any{"receivables": 1000.0, "overpayments": 700.0, "unapplied_credits": 0.0, "net_receivables": 300.0}},
		// I2 settled 03-12 without cover (500 implied written off), then
		// 200 paid on it: recovered debt, not the customer's credit.
		{name: "payment after an implied write-off is no surplus", edit: func(l *datasets.Ledger) {
			l.Invoices[1].SettledDate = kd("2024-03-12")
			l.Payments = append(l.Payments, kpay("P2", "C1", "I2", "2024-03-20", 200))
		}, want: map[string]any{"receivables": 1000.0, "overpayments": 0.0, "unapplied_cash": 0.0, "net_receivables": 1000.0}},
		// Per customer: C1 pays 1,100 on I1 (I2's 500 owed, 100 on
		// account: net 400); C2 pays 450 on its 400 (net −50). Portfolio:
		// 500 owed, 150 on account, net 350.
		{name: "per customer", by: "customer", edit: func(l *datasets.Ledger) {
			l.Invoices = append(l.Invoices, kinv("J1", "C2", "2024-03-02", "2024-04-01", 400, ""))
			l.Payments = append(l.Payments, kpay("P1", "C1", "I1", "2024-03-15", 1100), kpay("Q1", "C2", "J1", "2024-03-16", 450))
		}, want: map[string]any{"receivables": 500.0, "overpayments": 150.0, "net_receivables": 350.0,
			"groups.0.key": "C1", "groups.0.overpayments": 100.0, "groups.0.net_receivables": 400.0,
			"groups.1.key": "C2", "groups.1.receivables": 0.0, "groups.1.overpayments": 50.0, "groups.1.on_account": 50.0, "groups.1.net_receivables": -50.0}},
		// By segment: the surplus counts in the invoice's group (I1 carries
		// ent), the customer's own cash in its own (smb).
		{name: "by segment: the invoice's group", by: "segment", edit: func(l *datasets.Ledger) {
			l.Invoices[0].Segment = "ent"
			l.Payments = append(l.Payments, kpay("P1", "C1", "I1", "2024-03-15", 1100), kpay("P2", "C1", "", "2024-03-16", 30))
		}, want: map[string]any{"groups.0.key": "ent", "groups.0.overpayments": 100.0, "groups.0.net_receivables": -100.0,
			"groups.1.key": "smb", "groups.1.receivables": 500.0, "groups.1.unapplied_cash": 30.0, "groups.1.overpayments": 0.0, "groups.1.net_receivables": 470.0}},
		// Monthly from February: nothing on account at its end; 100 at
		// March's end; April (I2 500 still open) the same.
		{name: "monthly", from: "2024-02-01", to: "2024-04-30", monthly: true, edit: pays(kpay("P1", "C1", "I1", "2024-03-15", 1100)),
			want: map[string]any{"months.0.overpayments": 0.0, "months.0.net_receivables": 0.0,
				"months.1.overpayments": 100.0, "months.1.net_receivables": 400.0,
				"months.2.overpayments": 100.0, "months.2.on_account": 100.0, "months.2.net_receivables": 400.0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := base()
			if tc.edit != nil {
				tc.edit(l)
			}
			if tc.settleI1 != "" {
				l.Invoices[0].SettledDate = kd(tc.settleI1)
			}
			from, to := "2024-03-01", "2024-03-31"
			if tc.from != "" {
				from = tc.from
			}
			if tc.to != "" {
				to = tc.to
			}
			rep, err := ComputeKPIs(NewIndex(l), kd(from), kd(to), tc.by, tc.monthly)
			if err != nil {
				t.Fatal(err)
			}
			checkKPIs(t, kpiJSON(t, rep), tc.want)
		})
	}
}

// A surplus beyond a Money is an error, never a wrapped total.
func TestKPIOverpaymentOverflow(t *testing.T) {
	l := &datasets.Ledger{
		Invoices: []datasets.Invoice{kinv("I1", "C1", "2024-01-05", "2024-02-04", 10, ""), kinv("I2", "C1", "2024-01-05", "2024-02-04", 10, "")},
		Payments: []datasets.Payment{
			{ID: "P1", CustomerID: "C1", InvoiceID: "I1", Date: kd("2024-01-06"), Amount: datasets.Money(1 << 62)},
			{ID: "P2", CustomerID: "C1", InvoiceID: "I2", Date: kd("2024-01-06"), Amount: datasets.Money(1 << 62)},
		},
	}
	if _, err := ComputeKPIs(NewIndex(l), kd("2024-01-01"), kd("2024-01-31"), "", false); err == nil {
		t.Fatal("no error on overpayments beyond a Money")
	}
}

// kpi.sql recognises the importer's derived discounts by the importer's
// own id prefix and reason, written out in the SQL.
func TestKPISQLKnowsDiscounts(t *testing.T) {
	b, err := os.ReadFile("sql/kpi.sql")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{
		fmt.Sprintf("substring(credit_note_id, 1, %d) = '%s'", len(importer.DiscountPrefix), importer.DiscountPrefix),
		fmt.Sprintf("reason = '%s'", importer.DiscountReason),
	} {
		if !strings.Contains(s, want) {
			t.Errorf("kpi.sql lacks %q", want)
		}
	}
}

// withOverCover returns l with, for every fifth customer, invoices covered
// beyond their amount and discounts paired with credit notes: overpaid in
// two payments then partly refunded on the invoice, settled overpaid,
// prepaid before its issue, settled with a discount and its credit memo
// dated later, open with the memo dated before the discount, part paid
// with a discount and its memo, and credited beyond its amount.
func withOverCover(l *datasets.Ledger, start datasets.Date) *datasets.Ledger {
	cp := *l
	cp.Invoices = append([]datasets.Invoice(nil), l.Invoices...)
	cp.Payments = append([]datasets.Payment(nil), l.Payments...)
	cp.CreditNotes = append([]datasets.CreditNote(nil), l.CreditNotes...)
	for j, c := range l.Customers {
		if j%5 != 2 {
			continue
		}
		d := start.AddDays(50 + 31*j%330)
		id := c.ID + "-oc"
		inv := func(k string, issue datasets.Date, amount datasets.Money, settled datasets.Date) {
			cp.Invoices = append(cp.Invoices, datasets.Invoice{ID: id + k, CustomerID: c.ID, IssueDate: issue, DueDate: issue.AddDays(30),
				Amount: amount, SettledDate: settled})
		}
		pay := func(k, invoice string, date datasets.Date, amount datasets.Money) {
			cp.Payments = append(cp.Payments, datasets.Payment{ID: id + k, CustomerID: c.ID, InvoiceID: invoice, Date: date, Amount: amount})
		}
		note := func(k, invoice string, date datasets.Date, amount datasets.Money) {
			cp.CreditNotes = append(cp.CreditNotes, datasets.CreditNote{ID: id + k, CustomerID: c.ID, InvoiceID: invoice, Date: date,
				Amount: amount, Kind: datasets.KindCreditNote, Reason: "price"})
		}
		disc := func(payK, invoice string, date datasets.Date, amount datasets.Money) {
			cp.CreditNotes = append(cp.CreditNotes, datasets.CreditNote{ID: importer.DiscountPrefix + id + payK, CustomerID: c.ID,
				InvoiceID: invoice, Date: date, Amount: amount, Kind: datasets.KindCreditNote, Reason: importer.DiscountReason})
		}
		inv("A", d, 200_000+datasets.Money(j), 0)
		pay("pA1", id+"A", d.AddDays(10), 150_000)
		pay("pA2", id+"A", d.AddDays(25), 70_000)
		pay("pA3", id+"A", d.AddDays(80), -5_000)
		inv("B", d, 100_000, d.AddDays(5))
		pay("pB", id+"B", d.AddDays(5), 106_000)
		inv("C", d.AddDays(60), 40_000, 0)
		pay("pC", id+"C", d.AddDays(40), 40_000)
		inv("D", d, 500_000, d.AddDays(15))
		pay("pD", id+"D", d.AddDays(15), 490_000)
		disc("pD", id+"D", d.AddDays(15), 10_000)
		note("nD", id+"D", d.AddDays(30), 10_000)
		inv("E", d, 300_000, 0)
		note("nE", id+"E", d.AddDays(3), 6_000)
		pay("pE", id+"E", d.AddDays(20), 294_000)
		disc("pE", id+"E", d.AddDays(20), 6_000)
		inv("F", d, 400_000, 0)
		pay("pF", id+"F", d.AddDays(12), 100_000)
		disc("pF", id+"F", d.AddDays(12), 4_000)
		note("nF", id+"F", d.AddDays(14), 4_000)
		inv("G", d, 80_000, 0)
		note("nG", id+"G", d.AddDays(9), 90_000)
	}
	return &cp
}

// requireOverpaid fails unless ix has overpayments at the end of a period
// the SQL tests report on: the engines' agreement on them would otherwise
// prove little.
func requireOverpaid(t *testing.T, ix *Index, start datasets.Date) {
	t.Helper()
	rep, err := ComputeKPIs(ix, start, kd("2023-12-31"), "", false)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Overpayments == 0 || rep.OnAccount == rep.UnappliedCash+rep.UnappliedCredits {
		t.Fatalf("overpayments %s: proves little", rep.Overpayments)
	}
}

// The hand-computed cases of TestKPIOverpayments, and the over-covered
// invoices of withOverCover, give the same report in the SQL engine, on
// one server and on two shards, converted and not.
func TestSQLKPIOverpaymentsMatchGoEngine(t *testing.T) {
	clickHouseServer(t)
	ctx := context.Background()
	start := datasets.NewDate(2023, 1, 1)
	l := distinctPaymentIDs(withOverCover(withUnapplied(withPaymentCurrencies(oddLedger(kpiRandomLedger(9, 25, 8, start, 540), start), start), start), start))
	fx := fxTestRates(t)
	conv, err := l.Convert(fx)
	if err != nil {
		t.Fatal(err)
	}
	ix, cix := NewIndex(l), NewIndex(conv)
	requireOverpaid(t, ix, start)
	requireOverpaid(t, cix, start)
	for _, cluster := range []bool{false, true} {
		s := ledgerDatabaseOrCluster(t, l, cluster)
		for _, c := range []struct {
			from, to string
			o        KPIOptions
		}{
			{"2023-03-01", "2023-12-31", KPIOptions{}},
			{"2023-03-01", "2023-12-31", KPIOptions{By: "customer"}},
			{"2023-02-15", "2023-09-10", KPIOptions{By: "segment", Monthly: true}},
			{"2023-01-01", "2024-06-30", KPIOptions{By: "country"}},
		} {
			from, to := kd(c.from), kd(c.to)
			t.Run(fmt.Sprintf("cluster=%v/%s..%s/by=%s/monthly=%v", cluster, c.from, c.to, c.o.By, c.o.Monthly), func(t *testing.T) {
				want, err := ComputeKPIsWith(ix, from, to, c.o)
				if err != nil {
					t.Fatal(err)
				}
				got, err := SQLKPIReport(ctx, s, from, to, c.o)
				assertSameKPIs(t, got, err, want)
				want, err = ComputeKPIsWith(cix, from, to, c.o)
				if err != nil {
					t.Fatal(err)
				}
				got, err = SQLKPIReportIn(ctx, s, from, to, c.o, fx)
				assertSameKPIs(t, got, err, want)
			})
		}
	}
}
