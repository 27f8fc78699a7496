package datasets

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

func TestParseISOAgreesWithTheTimePackage(t *testing.T) {
	for d := NewDate(1970, 1, 2); d <= MaxDate; d += 17 {
		s := d.String()
		got, ok := ParseISO(s)
		if !ok || got != d {
			t.Fatalf("ParseISO(%q) = %v, %v; want %v", s, got, ok, d)
		}
	}
	for _, bad := range []string{"2024-02-30", "2023-02-29", "2024-13-01", "2024-00-10", "1970-01-01", "2024-1-01", "2024/01/01", "20240101xx", "2149-06-07"} {
		if _, ok := ParseISO(bad); ok {
			t.Errorf("ParseISO(%q) accepted", bad)
		}
	}
	if d, ok := ParseISO("2024-02-29"); !ok || d.Time() != time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC) {
		t.Errorf("leap day = %v %v", d, ok)
	}
}

func TestParseMoney(t *testing.T) {
	cases := []struct {
		in   string
		want Money
		ok   bool
	}{
		{"0", 0, true}, {"12", 1200, true}, {"12.3", 1230, true}, {"12.34", 1234, true}, {"12.340", 1234, true},
		{"-12.30", -1230, true}, {".5", 50, true}, {"+7.00", 700, true}, {"007.10", 710, true},
		{"92233720368547758.07", math.MaxInt64, true}, {"-92233720368547758.07", -math.MaxInt64, true},
		{"12.345", 0, false}, {"1e2", 0, false}, {"--1e3", 0, false}, {"0x1ep2", 0, false}, {"1e20", 0, false},
		{"", 0, false}, {"1.2.3", 0, false}, {"12a", 0, false}, {".", 0, false}, {"-", 0, false}, {"1,234", 0, false},
		{"92233720368547758.08", 0, false}, {"99999999999999999999", 0, false}, {"Inf", 0, false}, {"NaN", 0, false},
	}
	for _, c := range cases {
		got, err := ParseMoney(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("ParseMoney(%q) = %v, %v; want %v ok=%v", c.in, got, err, c.want, c.ok)
		}
	}
	if _, err := ParseMoney("1e20"); err == nil || !strings.Contains(err.Error(), "not a plain decimal") {
		t.Errorf("1e20: %v", err)
	}
	if _, err := ParseMoney("99999999999999999999"); err == nil || !strings.Contains(err.Error(), "too large") {
		t.Errorf("20 nines: %v, want too large", err)
	}
}

// TestMaxAmountSums proves the bound's promise: 9,223 amounts within
// MaxAmount, of either sign, add up without overflow; one more may not, and
// MoneySum says so instead of wrapping around.
func TestMaxAmountSums(t *testing.T) {
	var s MoneySum
	for range 9_223 {
		s.Add(MaxAmount)
	}
	if got, err := s.Total(); err != nil || got != 9_223*MaxAmount {
		t.Fatalf("9,223 × MaxAmount = %v, %v", got, err)
	}
	if 9_223*uint64(MaxAmount) > math.MaxInt64 {
		t.Fatal("the bound promises more than int64 holds")
	}
	var big MoneySum
	for range 10 {
		big.Add(999_999_999_999_999_999) // Decimal(18, 2)'s largest, as issue 8 reproduced
	}
	if got, err := big.Total(); !errors.Is(err, ErrOverflow) {
		t.Fatalf("ten of Decimal(18, 2)'s largest = %v, %v; want ErrOverflow", got, err)
	}
	var neg MoneySum
	for range 10 {
		neg.Add(-999_999_999_999_999_999)
	}
	if _, err := neg.Total(); !errors.Is(err, ErrOverflow) {
		t.Fatalf("negative overflow not detected: %v", err)
	}
	if v, ok := Money(math.MaxInt64).Add(-1); !ok || v != math.MaxInt64-1 {
		t.Fatalf("max - 1 = %v, %v", v, ok)
	}
}

func TestTermsDueDate(t *testing.T) {
	issue := NewDate(2024, 1, 15)
	cases := []struct {
		terms string
		want  Date
	}{
		{"NET30", NewDate(2024, 2, 14)}, {"net 45", NewDate(2024, 2, 29)}, {"EOM30", NewDate(2024, 3, 1)}, {"EOM", NewDate(2024, 1, 31)},
	}
	for _, c := range cases {
		tm, err := ParseTerms(c.terms)
		if err != nil {
			t.Fatalf("ParseTerms(%q): %v", c.terms, err)
		}
		if got := tm.DueDate(issue); got != c.want {
			t.Errorf("%s due = %v, want %v", c.terms, got, c.want)
		}
	}
	if _, err := ParseTerms("NETX"); err == nil {
		t.Error("ParseTerms(NETX) succeeded")
	}
}

func TestLastDayIsTheLatestReceivablesRecord(t *testing.T) {
	d := func(n int) Date { return NewDate(2024, time.January, 1).AddDays(n) }
	base := func() *Ledger {
		return &Ledger{Invoices: []Invoice{{ID: "I1", IssueDate: d(0), DueDate: d(300)}}}
	}
	cases := []struct {
		name string
		edit func(*Ledger)
		want Date
	}{
		{"an invoice: its issue, not its due date", nil, d(0)},
		{"a payment", func(l *Ledger) { l.Payments = append(l.Payments, Payment{Date: d(5)}) }, d(5)},
		{"a promise: when made, not the promised date", func(l *Ledger) {
			l.Promises = append(l.Promises, Promise{Made: d(7), PromisedDate: d(400)})
		}, d(7)},
		{"a dispute resolved", func(l *Ledger) {
			l.Disputes = append(l.Disputes, Dispute{Opened: d(1), Resolved: d(9)})
		}, d(9)},
		// What dsopilot records itself, today, on a ledger ending long
		// ago says nothing of what was owed or paid since: an approval in
		// the credit workflow hid the stale-ledger warning.
		{"not an action", func(l *Ledger) { l.Actions = append(l.Actions, Action{Date: d(11)}) }, d(0)},
		{"not a credit decision", func(l *Ledger) {
			l.CreditDecisions = append(l.CreditDecisions, CreditDecision{Date: d(900)})
		}, d(0)},
		{"not a credit report", func(l *Ledger) { l.Financials = append(l.Financials, Financial{Date: d(12)}) }, d(0)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := base()
			if tc.edit != nil {
				tc.edit(l)
			}
			if got := l.LastDay(); got != tc.want {
				t.Fatalf("LastDay %s, want %s", got, tc.want)
			}
		})
	}
	if (&Ledger{}).LastDay() != 0 {
		t.Fatal("an empty ledger has no last day")
	}
}

// SplitByCustomer puts every record in exactly one part, every customer's
// records in the same part (a credit note in its invoice's customer's,
// whatever customer it names), in their original order.
func TestSplitByCustomerKeepsCustomersWhole(t *testing.T) {
	var l Ledger
	for c := range 40 {
		id := fmt.Sprintf("C%02d", c)
		l.Customers = append(l.Customers, Customer{ID: id})
		for i := range 3 {
			inv := fmt.Sprintf("%s-%d", id, i)
			l.Invoices = append(l.Invoices, Invoice{ID: inv, CustomerID: id})
			l.Payments = append(l.Payments, Payment{ID: "P" + inv, CustomerID: id, InvoiceID: inv})
			l.Actions = append(l.Actions, Action{ID: "A" + inv, CustomerID: id, InvoiceID: inv})
		}
		l.Promises = append(l.Promises, Promise{ID: "R" + id, CustomerID: id})
		l.Disputes = append(l.Disputes, Dispute{ID: "D" + id, CustomerID: id})
		l.CreditDecisions = append(l.CreditDecisions, CreditDecision{ID: "K" + id, CustomerID: id})
		l.Financials = append(l.Financials, Financial{ID: "F" + id, CustomerID: id})
		// A credit note naming another customer goes with its invoice.
		l.CreditNotes = append(l.CreditNotes, CreditNote{ID: "N" + id, CustomerID: "ELSEWHERE", InvoiceID: id + "-0"})
	}
	for _, n := range []int{1, 2, 7} {
		parts := l.SplitByCustomer(n)
		if len(parts) != n {
			t.Fatalf("%d parts, want %d", len(parts), n)
		}
		partOf := map[string]int{}
		records, nonEmpty := 0, 0
		for k, p := range parts {
			claim := func(customer string) {
				records++
				if q, ok := partOf[customer]; ok && q != k {
					t.Errorf("n=%d: a record of customer %s in part %d, the customer is in part %d", n, customer, k, q)
				}
				partOf[customer] = k
			}
			claimEach(p.Customers, func(r Customer) string { return r.ID }, claim)
			claimEach(p.Invoices, func(r Invoice) string { return r.CustomerID }, claim)
			claimEach(p.Payments, func(r Payment) string { return r.CustomerID }, claim)
			claimEach(p.Actions, func(r Action) string { return r.CustomerID }, claim)
			claimEach(p.Promises, func(r Promise) string { return r.CustomerID }, claim)
			claimEach(p.Disputes, func(r Dispute) string { return r.CustomerID }, claim)
			claimEach(p.CreditDecisions, func(r CreditDecision) string { return r.CustomerID }, claim)
			claimEach(p.Financials, func(r Financial) string { return r.CustomerID }, claim)
			claimEach(p.CreditNotes, func(r CreditNote) string { return strings.TrimSuffix(r.InvoiceID, "-0") }, claim)
			for i := 1; i < len(p.Invoices); i++ {
				if p.Invoices[i-1].ID >= p.Invoices[i].ID {
					t.Errorf("n=%d part %d: invoice %s before %s, out of the ledger's order", n, k, p.Invoices[i-1].ID, p.Invoices[i].ID)
				}
			}
			if p.Len() > 0 {
				nonEmpty++
			}
		}
		if records != l.Len() {
			t.Errorf("n=%d: the parts hold %d records, the ledger %d", n, records, l.Len())
		}
		if n > 1 && nonEmpty < 2 {
			t.Errorf("n=%d: %d parts hold records; the hash does not spread 40 customers", n, nonEmpty)
		}
	}
}

// claimEach calls claim with the customer of each record.
func claimEach[T any](recs []T, customer func(T) string, claim func(string)) {
	for _, r := range recs {
		claim(customer(r))
	}
}

// A credit note belongs to its invoice's customer when the ledger holds the
// invoice, else to the customer it names.
func TestCreditNoteOwnerIsTheInvoicesCustomer(t *testing.T) {
	l := &Ledger{
		Invoices: []Invoice{{ID: "I1", CustomerID: "A"}, {ID: "I2", CustomerID: "B"}},
		CreditNotes: []CreditNote{
			{ID: "N1", CustomerID: "A", InvoiceID: "I1"},
			{ID: "N2", CustomerID: "A", InvoiceID: "I2"},      // filed under A against B's invoice
			{ID: "N3", CustomerID: "C", InvoiceID: "MISSING"}, // its invoice is not in the ledger
			{ID: "N4", CustomerID: "D", InvoiceID: ""},        // on no invoice
		},
	}
	owner := l.CreditNoteOwner()
	for i, want := range []string{"A", "B", "C", "D"} {
		if got := owner(&l.CreditNotes[i]); got != want {
			t.Errorf("note %s belongs to %q, want %q", l.CreditNotes[i].ID, got, want)
		}
	}
}
