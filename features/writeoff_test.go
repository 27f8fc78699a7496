package features

import (
	"context"
	"fmt"
	"math"
	"os"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
)

// value returns the numeric feature name of the row of customer id in tab.
func value(t *testing.T, tab *Table, id, name string) float64 {
	t.Helper()
	nums, _ := split(tab.Specs)
	for _, r := range tab.Rows {
		if r.CustomerID != id {
			continue
		}
		for k, s := range nums {
			if s.Name == name {
				return r.Num[k]
			}
		}
		t.Fatalf("no feature %s", name)
	}
	t.Fatalf("no row for customer %s", id)
	return 0
}

// A written-off invoice is no late payment: it stays out of the payment
// timing and is counted apart, whether the write-off is recorded or
// implied by a settlement no cash covers; before its date it is not seen.
func TestWriteOffIsNoLatePayment(t *testing.T) {
	d := datasets.NewDate
	l := &datasets.Ledger{
		Customers: []datasets.Customer{{ID: "C1"}},
		Invoices: []datasets.Invoice{
			// paid 4 days late
			{ID: "A", CustomerID: "C1", IssueDate: d(2024, 1, 1), DueDate: d(2024, 1, 31), Amount: 10_000, SettledDate: d(2024, 2, 4)},
			// written off (recorded) 60 days after due
			{ID: "W", CustomerID: "C1", IssueDate: d(2024, 1, 5), DueDate: d(2024, 2, 4), Amount: 20_000, SettledDate: d(2024, 4, 4)},
			// cleared 30 days late with no cash: implied written off
			{ID: "X", CustomerID: "C1", IssueDate: d(2024, 1, 10), DueDate: d(2024, 2, 9), Amount: 30_000, SettledDate: d(2024, 3, 10)},
			// paid on time, a small residue written off: still paid
			{ID: "B", CustomerID: "C1", IssueDate: d(2024, 1, 15), DueDate: d(2024, 2, 14), Amount: 40_000, SettledDate: d(2024, 2, 14)},
		},
		Payments: []datasets.Payment{
			{ID: "pA", CustomerID: "C1", InvoiceID: "A", Date: d(2024, 2, 4), Amount: 10_000},
			{ID: "pB", CustomerID: "C1", InvoiceID: "B", Date: d(2024, 2, 14), Amount: 39_000},
		},
		CreditNotes: []datasets.CreditNote{
			{ID: "nW", CustomerID: "C1", InvoiceID: "W", Date: d(2024, 4, 4), Amount: 20_000, Kind: datasets.KindWriteOff},
			{ID: "nB", CustomerID: "C1", InvoiceID: "B", Date: d(2024, 2, 14), Amount: 1_000, Kind: datasets.KindWriteOff},
		},
	}
	e := NewEngine(NewIndex(l), Options{Windows: []int{365}})
	for _, c := range []struct {
		at   datasets.Date
		want map[string]float64
	}{
		// Only A and B are settled: both paid.
		{d(2024, 3, 1), map[string]float64{
			"invoices_settled_365d": 2, "invoices_written_off_365d": 0, "write_off_rate_365d": 0,
			"invoices_settled_late_365d": 1, "late_ratio_365d": 0.5, "days_late_mean_365d": 2, "days_to_pay_mean_365d": 32,
			"overdue_invoices": 2, "last3_days_late_mean": 2,
		}},
		// X cleared without cash: written off, not paid 30 days late; W
		// still open (its write-off is dated after t).
		{d(2024, 4, 3), map[string]float64{
			"invoices_settled_365d": 2, "invoices_written_off_365d": 1, "write_off_rate_365d": 1.0 / 3,
			"invoices_settled_late_365d": 1, "late_ratio_365d": 0.5, "days_late_mean_365d": 2, "days_late_p90_365d": 4,
			"overdue_invoices": 1, "last3_days_late_mean": 2,
		}},
		// W written off too.
		{d(2024, 4, 4), map[string]float64{
			"invoices_settled_365d": 2, "invoices_written_off_365d": 2, "write_off_rate_365d": 0.5,
			"invoices_settled_late_365d": 1, "late_ratio_365d": 0.5, "late_amount_ratio_365d": 0.2,
			"days_late_mean_365d": 2, "days_late_p90_365d": 4, "amount_settled_365d": 500,
			"overdue_invoices": 0, "last3_days_late_mean": 2,
		}},
	} {
		tab := e.Customers(c.at)
		for name, want := range c.want {
			if got := value(t, tab, "C1", name); !sameFloat(got, want) {
				t.Errorf("as of %s: %s = %v, want %v", c.at, name, got, want)
			}
		}
	}
}

// unallocated_cash is the cash on account as known at t: payments naming
// no invoice of the customer, less what of them the invoices settled by t
// took; as the customer's KPI unapplied cash.
func TestUnallocatedCashIsTheUnmatchedPart(t *testing.T) {
	d := datasets.NewDate
	l := &datasets.Ledger{
		Customers: []datasets.Customer{{ID: "C1"}},
		Invoices: []datasets.Invoice{
			// cleared on 10 March by 300 of the cash on account
			{ID: "X", CustomerID: "C1", IssueDate: d(2024, 1, 1), DueDate: d(2024, 1, 31), Amount: 30_000, SettledDate: d(2024, 3, 10)},
			// part paid by its own payment, the rest (100) from the cash
			// on account on 20 March
			{ID: "Y", CustomerID: "C1", IssueDate: d(2024, 1, 2), DueDate: d(2024, 2, 1), Amount: 20_000, SettledDate: d(2024, 3, 20)},
		},
		Payments: []datasets.Payment{
			{ID: "u1", CustomerID: "C1", Date: d(2024, 3, 1), Amount: 50_000},
			{ID: "pY", CustomerID: "C1", InvoiceID: "Y", Date: d(2024, 3, 15), Amount: 10_000},
			// names an invoice the customer has not: on account too
			{ID: "u2", CustomerID: "C1", InvoiceID: "NOSUCH", Date: d(2024, 3, 25), Amount: 7_000},
		},
	}
	e := NewEngine(NewIndex(l), Options{Windows: []int{90}})
	for _, c := range []struct {
		at   datasets.Date
		want float64
	}{
		{d(2024, 2, 28), 0},
		{d(2024, 3, 9), 500},
		{d(2024, 3, 10), 200},
		{d(2024, 3, 20), 100},
		{d(2024, 3, 25), 170},
	} {
		if got := value(t, e.Customers(c.at), "C1", "unallocated_cash"); got != c.want {
			t.Errorf("as of %s: unallocated_cash = %v, want %v", c.at, got, c.want)
		}
		k, err := ComputeKPIs(e.ix, c.at.AddDays(-30), c.at, "", false)
		if err != nil {
			t.Fatal(err)
		}
		if got := k.UnappliedCash.Float(); got != c.want {
			t.Errorf("as of %s: KPI unapplied cash %v, feature want %v", c.at, got, c.want)
		}
	}
	if got := value(t, e.Customers(d(2024, 3, 25)), "C1", "write_off_rate_90d"); got != 0 {
		t.Errorf("write_off_rate_90d = %v: the cash on account covered both invoices", got)
	}
}

// writeOffLedger is a random ledger with write-offs of every kind: some
// settled invoices lose their payments (implied write-offs, some covered
// by cash on account, some flagged disputed: a dispute credit), some get a
// recorded write-off note at their settlement (or a later one, or a small
// one), and some customers have cash on account.
func writeOffLedger(seed uint64) *datasets.Ledger {
	start := datasets.NewDate(2023, 1, 1)
	l := oddLedger(randomLedger(seed, 40, start, 540), start)
	settled := map[string]datasets.Invoice{}
	for i := range l.Invoices {
		v := &l.Invoices[i]
		if v.SettledDate == 0 {
			continue
		}
		settled[v.ID] = *v
		if i%11 == 3 {
			v.Disputed = true
		}
	}
	var pays []datasets.Payment
	for k, p := range l.Payments {
		v, ok := settled[p.InvoiceID]
		switch {
		case ok && k%5 == 1: // implied write-off
			continue
		case ok && k%5 == 2: // recorded write-off at the settlement
			n := datasets.CreditNote{ID: "WO" + p.ID, CustomerID: v.CustomerID, InvoiceID: v.ID,
				Date: v.SettledDate, Amount: p.Amount, Kind: datasets.KindWriteOff}
			if k%10 == 7 {
				// filed under another customer: on a cluster, maybe on
				// another shard than its invoice
				n.CustomerID = l.Customers[k%len(l.Customers)].ID
			}
			l.CreditNotes = append(l.CreditNotes, n)
			continue
		case ok && k%13 == 4: // written off after the settlement: paid
			l.CreditNotes = append(l.CreditNotes, datasets.CreditNote{ID: "WL" + p.ID, CustomerID: v.CustomerID, InvoiceID: v.ID,
				Date: v.SettledDate.AddDays(3), Amount: v.Amount, Kind: datasets.KindWriteOff})
		}
		pays = append(pays, p)
	}
	for i, c := range l.Customers {
		if i%3 == 1 {
			pays = append(pays, datasets.Payment{ID: fmt.Sprintf("OA%d", i), CustomerID: c.ID, Date: start.AddDays(20 * i), Amount: 300_000})
		}
	}
	l.Payments = pays
	return l
}

func TestWriteOffLedgerHasWriteOffs(t *testing.T) {
	l := writeOffLedger(5)
	e := NewEngine(NewIndex(l), Options{})
	tab := e.Customers(datasets.NewDate(2024, 6, 1))
	var wo, cash float64
	for _, r := range tab.Rows {
		wo += value(t, tab, r.CustomerID, "invoices_written_off_365d")
		if c := value(t, tab, r.CustomerID, "unallocated_cash"); !math.IsNaN(c) {
			cash += c
		}
	}
	if wo == 0 || cash == 0 {
		t.Fatalf("written off %v, cash on account %v: the ledger tests nothing", wo, cash)
	}
	owner := map[string]string{}
	for _, v := range l.Invoices {
		owner[v.ID] = v.CustomerID
	}
	elsewhere := 0
	for _, n := range l.CreditNotes {
		if n.Kind == datasets.KindWriteOff && owner[n.InvoiceID] != "" && owner[n.InvoiceID] != n.CustomerID {
			elsewhere++
		}
	}
	if elsewhere == 0 {
		t.Fatal("no write-off note filed under another customer than its invoice's")
	}
}

// The SQL engine counts write-offs and cash on account as the Go engine
// does: recorded and implied write-offs, dispute credits, cash on account
// matched to settlements, on one server and on a two-shard cluster (where
// a write-off note may sit on another shard than its invoice).
func TestSQLEngineWriteOffsMatchGoEngine(t *testing.T) {
	clickHouseServer(t)
	start := datasets.NewDate(2023, 1, 1)
	for _, seed := range []uint64{5, 6} {
		l := writeOffLedger(seed)
		s := ledgerDatabase(t, stale(l), l)
		gold := NewEngine(NewIndex(l), Options{})
		sql := sqlEngine(s, Options{})
		for _, days := range []int{101, 300, 400, 600} {
			assertEnginesAgree(t, fmt.Sprintf("seed%d/%s", seed, start.AddDays(days)), sql, gold, start.AddDays(days))
		}
	}
	// Without payment records no settlement implies a write-off.
	l := writeOffLedger(7)
	l.Payments = nil
	s := ledgerDatabase(t, l)
	assertEnginesAgree(t, "no-payments", sqlEngine(s, Options{}), NewEngine(NewIndex(l), Options{}), start.AddDays(400))
}

func TestSQLEngineWriteOffsOnClusterMatchGoEngine(t *testing.T) {
	start := datasets.NewDate(2023, 1, 1)
	l := writeOffLedger(8)
	s := clusterDatabase(t, l)
	gold := NewEngine(NewIndex(l), Options{Windows: []int{120, 30, 400}, GraceDays: 5})
	sql := sqlEngine(s, gold.Options())
	for _, days := range []int{101, 400, 600} {
		assertEnginesAgree(t, start.AddDays(days).String(), sql, gold, start.AddDays(days))
	}
}

// A write-off (or a settlement, or cash) dated after t changes no feature
// at t, in either engine.
func TestWriteOffsAfterTheAsOfDateChangeNothing(t *testing.T) {
	start := datasets.NewDate(2023, 1, 1)
	l := writeOffLedger(9)
	for _, days := range []int{200, 400} {
		asOf := start.AddDays(days)
		later := addEventsAfter(l, asOf)
		// and every invoice still open at t written off after it
		for i := range later.Invoices {
			v := &later.Invoices[i]
			if v.IssueDate <= asOf && (v.SettledDate == 0 || v.SettledDate > asOf) && i%2 == 0 {
				v.SettledDate = asOf.AddDays(1)
				later.CreditNotes = append(later.CreditNotes, datasets.CreditNote{ID: "LATE" + v.ID, CustomerID: v.CustomerID,
					InvoiceID: v.ID, Date: asOf.AddDays(1), Amount: v.Amount, Kind: datasets.KindWriteOff})
			}
		}
		want := NewEngine(NewIndex(l), Options{}).Customers(asOf)
		got := NewEngine(NewIndex(later), Options{}).Customers(asOf)
		assertSameTables(t, got, nil, want)
		if os.Getenv(envClickHouse) != "" {
			sqlGot, err := sqlEngine(ledgerDatabase(t, later), Options{}).Customers(context.Background(), asOf)
			assertSameTables(t, sqlGot, err, want)
		}
	}
}
