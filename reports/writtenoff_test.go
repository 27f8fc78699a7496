package reports

import (
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
)

// writtenOffLedger is one customer with three invoices settled in December
// 2024: I1 wholly written off (insolvency), I2 paid late, I3 paid but for a
// small residue written off (bank charges), which leaves it paid.
func writtenOffLedger() *datasets.Ledger {
	d := datasets.NewDate
	inv := func(id string, issued, due, settled datasets.Date, amount datasets.Money) datasets.Invoice {
		return datasets.Invoice{ID: id, CustomerID: "C1", IssueDate: issued, DueDate: due, SettledDate: settled, Amount: amount, Currency: "EUR"}
	}
	return &datasets.Ledger{
		Customers: []datasets.Customer{{ID: "C1", Name: "Nordtech GmbH", Country: "DE", Currency: "EUR", Segment: "mid_market"}},
		Invoices: []datasets.Invoice{
			inv("I1", d(2024, 9, 1), d(2024, 10, 1), d(2024, 12, 4), 100000),
			inv("I2", d(2024, 10, 1), d(2024, 10, 31), d(2024, 12, 10), 50000),
			inv("I3", d(2024, 11, 15), d(2024, 12, 15), d(2024, 12, 20), 100000),
		},
		Payments: []datasets.Payment{
			{ID: "P2", CustomerID: "C1", InvoiceID: "I2", Date: d(2024, 12, 10), Amount: 50000, Currency: "EUR"},
			{ID: "P3", CustomerID: "C1", InvoiceID: "I3", Date: d(2024, 12, 20), Amount: 99000, Currency: "EUR"},
		},
		CreditNotes: []datasets.CreditNote{
			{ID: "W1", CustomerID: "C1", InvoiceID: "I1", Date: d(2024, 12, 4), Amount: 100000, Kind: datasets.KindWriteOff, Reason: "insolvency"},
			{ID: "W3", CustomerID: "C1", InvoiceID: "I3", Date: d(2024, 12, 20), Amount: 1000, Kind: datasets.KindWriteOff, Reason: "bank_charges"},
		},
	}
}

// An invoice mostly written off (datasets.Invoice.MostlyWrittenOff) is
// shown written off with the amount, never "paid … late"; one paid but for
// a small write-off stays paid. The portfolio shows the average days to
// pay the rows page promises, over the paid invoices only.
func TestWrittenOffIsNotPaid(t *testing.T) {
	s := newSite(t, Input{Ledger: writtenOffLedger(), AsOf: datasets.NewDate(2024, 12, 31)})
	ps := pages(t, s)
	cust, rows, index := ps[customerPath("C1")], ps[rowsPath(Slice{})], ps[pathIndex]
	cases := []struct {
		page, name string
		want, not  []string
	}{
		{cust, "customer", []string{"written off 1,000.00", "written off 2024-12-04", "paid 40 d late", "paid 5 d late, 10.00 written off"}, []string{"paid 64 d late"}},
		{rows, "rows", []string{"written off 2024-12-04: 1,000.00", "2024-12-10 (40 d late)", "2024-12-20 (5 d late), 10.00 written off"}, []string{"(64 d late)"}},
		// (70 + 35) / 2 days: I1 left out.
		{index, "portfolio", []string{"Average days to pay", "52.5", "2 invoices paid, 1 written off left out"}, nil},
	}
	for _, c := range cases {
		for _, w := range c.want {
			if !strings.Contains(c.page, w) {
				t.Errorf("%s page lacks %q", c.name, w)
			}
		}
		for _, w := range c.not {
			if strings.Contains(c.page, w) {
				t.Errorf("%s page says %q", c.name, w)
			}
		}
	}
}

// On a ledger without payment records (a cleared-items export) the
// Collected tile shows what the settlements cleared, labelled so, never 0
// "payments received"; with payments it stays the payments received.
func TestCollectedTileOnClearedItems(t *testing.T) {
	cleared := writtenOffLedger()
	cleared.Payments = nil
	for _, c := range []struct {
		name string
		l    *datasets.Ledger
		want string
	}{
		// A headline period of 31 days ending on 31 December is December.
		// I1 written off in full clears nothing, I2 500.00, I3 1,000.00
		// less the 10.00 written off with it.
		{"cleared", cleared, `<div class="label">Collected</div><div class="value">1,490 <span class="unit">EUR</span></div><div class="sub">cleared by settlements, December 2024</div>`},
		{"payments", writtenOffLedger(), `<div class="label">Collected</div><div class="value">1,490 <span class="unit">EUR</span></div><div class="sub">payments received, December 2024</div>`},
	} {
		t.Run(c.name, func(t *testing.T) {
			index := pages(t, newSite(t, Input{Ledger: c.l, AsOf: datasets.NewDate(2024, 12, 31), PeriodDays: 31}))[pathIndex]
			if !strings.Contains(index, c.want) {
				i := strings.Index(index, `<div class="label">Collected</div>`)
				t.Fatalf("the portfolio page lacks %s; it has %.300s", c.want, index[max(i, 0):])
			}
		})
	}
}
