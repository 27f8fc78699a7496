package features

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/chstore"
	"github.com/dsopilot/dsopilot/datasets/chstore/chsql"
	"github.com/dsopilot/dsopilot/datasets/chstore/chtest"
)

// kpiTestCluster is the two-shard cluster of the SQL KPI tests: the one
// chtest.EnvCluster names, or one started on first use (and stopped when
// the test that started it ends: the servers die with the test binary).
var kpiTestCluster struct {
	once sync.Once
	dsn  string
	err  error
}

// clusterDatabase puts l into a fresh database on a two-shard cluster and
// returns its store. It skips without ClickHouse, as every SQL test.
func clusterDatabase(t *testing.T, l *datasets.Ledger) *chstore.Store {
	t.Helper()
	clickHouseServer(t)
	kpiTestCluster.once.Do(func() {
		if kpiTestCluster.dsn = os.Getenv(chtest.EnvCluster); kpiTestCluster.dsn != "" {
			return
		}
		dir, err := os.MkdirTemp("", "dsopilot-kpi-cluster-")
		if err != nil {
			kpiTestCluster.err = err
			return
		}
		c, err := chtest.Start(context.Background(), dir, "dsopilot_kpi_test", 2)
		if err != nil {
			kpiTestCluster.err = err
			return
		}
		kpiTestCluster.dsn = c.DSN("")
	})
	if kpiTestCluster.err != nil {
		t.Fatalf("start a two-shard cluster: %v", kpiTestCluster.err)
	}
	u, err := url.Parse(kpiTestCluster.dsn)
	if err != nil {
		t.Fatalf("%s: %v", chtest.EnvCluster, err)
	}
	db := fmt.Sprintf("dsopilot_features_cluster_%d_%d", os.Getpid(), sqlTestDatabases.Add(1))
	u.Path = "/" + db
	ctx := context.Background()
	s, err := chstore.Open(ctx, u.String(), nil)
	if err != nil {
		t.Fatalf("open %s: %v", db, err)
	}
	t.Cleanup(func() {
		for _, q := range s.Shards() {
			for _, name := range []string{db, db + "_local"} {
				if err := q.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name); err != nil {
					t.Logf("drop %s: %v", name, err)
				}
			}
		}
		s.Close()
	})
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatalf("migrate %s: %v", db, err)
	}
	if err := s.Put(ctx, l); err != nil {
		t.Fatalf("put: %v", err)
	}
	if len(s.Shards()) != 2 {
		t.Fatalf("the cluster has %d shards, want 2", len(s.Shards()))
	}
	return s
}

// withoutDisputeRecords returns l with no dispute records and every
// seventh invoice flagged disputed: the KPIs count the flags instead.
func withoutDisputeRecords(l *datasets.Ledger) *datasets.Ledger {
	cp := *l
	cp.Disputes = nil
	cp.Invoices = append([]datasets.Invoice(nil), l.Invoices...)
	for i := range cp.Invoices {
		cp.Invoices[i].Disputed = i%7 == 0
	}
	return &cp
}

// withoutCreditNotes returns l without its credit notes, as a
// cleared-items export comes.
func withoutCreditNotes(l *datasets.Ledger) *datasets.Ledger {
	cp := *l
	cp.CreditNotes = nil
	return &cp
}

// withWriteOffEdges returns l with, for every third customer, invoices
// settled at the edges of datasets.Invoice.MostlyWrittenOff, the rest paid
// on the settlement day: half of an even amount written off (mostly
// written off), a cent short of half of an odd one (paid), exactly its
// larger half (written off), a write-off dated after the settlement (the
// uncovered part then implied at it, when the ledger has payments), a
// write-off filed under another customer, a disputed invoice settled for
// a third of it (a dispute credit is implied: paid), and a cent written
// off a zero invoice (written off).
func withWriteOffEdges(l *datasets.Ledger, start datasets.Date) *datasets.Ledger {
	cp := *l
	cp.Invoices = append([]datasets.Invoice(nil), l.Invoices...)
	cp.Payments = append([]datasets.Payment(nil), l.Payments...)
	cp.CreditNotes = append([]datasets.CreditNote(nil), l.CreditNotes...)
	for j, c := range l.Customers {
		if j%3 != 0 {
			continue
		}
		issue := start.AddDays(60 + 37*j%400)
		settled := issue.AddDays(20 + 13*j%90)
		other := l.Customers[(j+1)%len(l.Customers)].ID
		for k, e := range []struct {
			amount, wo datasets.Money
			woLate     int // days after the settlement the write-off is dated
			owner      string
			disputed   bool
		}{
			{amount: 10_000, wo: 5_000},
			{amount: 10_001, wo: 5_000},
			{amount: 10_001, wo: 5_001},
			{amount: 8_000, wo: 6_000, woLate: 3},
			{amount: 9_000, wo: 4_500, owner: other},
			{amount: 9_000, disputed: true},
			{amount: 0, wo: 1},
		} {
			id := fmt.Sprintf("%s-edge%d", c.ID, k)
			v := datasets.Invoice{ID: id, CustomerID: c.ID, IssueDate: issue.AddDays(k), DueDate: issue.AddDays(k + 30),
				Amount: e.amount, SettledDate: settled.AddDays(k), Disputed: e.disputed}
			cp.Invoices = append(cp.Invoices, v)
			paid := e.amount - e.wo
			if e.disputed {
				paid = e.amount / 3
			}
			if paid > 0 {
				cp.Payments = append(cp.Payments, datasets.Payment{ID: id + "-p", CustomerID: c.ID, InvoiceID: id, Date: v.SettledDate, Amount: paid})
			}
			if e.wo > 0 {
				owner := c.ID
				if e.owner != "" {
					owner = e.owner
				}
				cp.CreditNotes = append(cp.CreditNotes, datasets.CreditNote{ID: id + "-w", CustomerID: owner, InvoiceID: id,
					Date: v.SettledDate.AddDays(e.woLate), Amount: e.wo, Kind: datasets.KindWriteOff})
			}
		}
	}
	return &cp
}

// distinctPaymentIDs renames the payments of l whose id an earlier one
// has (kpiRandomLedger pays twice on one day now and then): a store keeps
// one record per id, the Go engine both.
func distinctPaymentIDs(l *datasets.Ledger) *datasets.Ledger {
	cp := *l
	cp.Payments = append([]datasets.Payment(nil), l.Payments...)
	seen := map[string]bool{}
	for i := range cp.Payments {
		for seen[cp.Payments[i].ID] {
			cp.Payments[i].ID += "+"
		}
		seen[cp.Payments[i].ID] = true
	}
	return &cp
}

// kpiSQLCases are the periods and options every ledger is reported on.
func kpiSQLCases() []struct {
	from, to string
	o        KPIOptions
} {
	var out []struct {
		from, to string
		o        KPIOptions
	}
	for _, p := range [][2]string{{"2023-07-01", "2023-12-31"}, {"2023-03-15", "2024-02-10"}, {"2023-01-01", "2023-01-31"}, {"2024-06-01", "2024-06-30"}} {
		for _, by := range append([]string{""}, KPIGroupings()...) {
			for _, monthly := range []bool{false, true} {
				out = append(out, struct {
					from, to string
					o        KPIOptions
				}{p[0], p[1], KPIOptions{By: by, Monthly: monthly}})
			}
		}
	}
	// A short countback horizon, capped.
	out = append(out, struct {
		from, to string
		o        KPIOptions
	}{"2023-11-01", "2023-11-30", KPIOptions{By: "segment", CountbackMonths: 2}})
	return out
}

// assertSameKPIs holds the SQL report equal to the Go one, field for
// field: money and counts exactly; ratios too, since both engines compute
// them with the same Go code from the same exact sums (the amount-weighted
// days to pay from a float64 sum that is exact below 2^53 cents·days).
func assertSameKPIs(t *testing.T, got *KPIReport, err error, want *KPIReport) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	a, err := json.MarshalIndent(got, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.MarshalIndent(want, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		al, bl := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
		for i := range min(len(al), len(bl)) {
			if al[i] != bl[i] {
				t.Fatalf("SQL KPIs differ from Go's at line %d: %s, want %s (%d and %d lines)", i+1, al[i], bl[i], len(al), len(bl))
			}
		}
		t.Fatalf("SQL KPIs have %d lines, Go's %d", len(al), len(bl))
	}
	if len(want.Groups) == 0 && want.By != "" && want.InvoicesIssued > 0 {
		t.Fatalf("no groups by %s: the comparison proves little", want.By)
	}
}

func TestSQLKPIsMatchGoEngine(t *testing.T) {
	clickHouseServer(t)
	ctx := context.Background()
	start := datasets.NewDate(2023, 1, 1)
	type ledgerCase struct {
		name string
		l    *datasets.Ledger
		// stored is what is put into the database (older versions first).
		stored []*datasets.Ledger
	}
	var ledgers []ledgerCase
	for _, seed := range []uint64{1, 2} {
		l := distinctPaymentIDs(oddLedger(kpiRandomLedger(seed, 25, 12, start, 540), start))
		if seed == 1 {
			l = withOverCover(withUnapplied(l, start), start)
		}
		if seed == 2 {
			l = withWriteOffEdges(l, start)
		}
		ledgers = append(ledgers, ledgerCase{fmt.Sprintf("seed%d", seed), l, []*datasets.Ledger{stale(l), l}})
	}
	nd := distinctPaymentIDs(withoutDisputeRecords(kpiRandomLedger(3, 20, 10, start, 400)))
	ledgers = append(ledgers, ledgerCase{"no-dispute-records", nd, []*datasets.Ledger{nd}})
	// A cleared-items export: settled invoices, payments, no credit notes.
	// Both engines imply the write-offs (and, on flagged invoices, the
	// dispute credits) that the settlements hide.
	nn := withoutCreditNotes(withoutDisputeRecords(distinctPaymentIDs(withWriteOffEdges(kpiRandomLedger(7, 25, 12, start, 540), start))))
	ledgers = append(ledgers, ledgerCase{"no-credit-notes", nn, []*datasets.Ledger{nn}})
	// A cleared-items export without payment records, a credit note here
	// and there: collected is what the settlements cleared.
	ci := clearedItems(withWriteOffEdges(kpiRandomLedger(8, 25, 12, start, 540), start))
	ledgers = append(ledgers, ledgerCase{"cleared-items", ci, []*datasets.Ledger{ci}})
	for _, lc := range ledgers {
		s := ledgerDatabase(t, lc.stored...)
		ix := NewIndex(lc.l)
		if lc.name == "seed1" {
			requireUnapplied(t, ix, start)
			requireOverpaid(t, ix, start)
		}
		if lc.l == ci {
			requireCleared(t, ix, start)
		} else {
			requireWrittenOff(t, lc.name, ix, start)
		}
		for _, c := range kpiSQLCases() {
			from, to := kd(c.from), kd(c.to)
			t.Run(fmt.Sprintf("%s/%s..%s/by=%s/monthly=%v/cb=%d", lc.name, c.from, c.to, c.o.By, c.o.Monthly, c.o.CountbackMonths), func(t *testing.T) {
				want, err := ComputeKPIsWith(ix, from, to, c.o)
				if err != nil {
					t.Fatal(err)
				}
				got, err := SQLKPIReport(ctx, s, from, to, c.o)
				assertSameKPIs(t, got, err, want)
			})
		}
	}
}

// requireWrittenOff fails unless, of the invoices of ix settled in the
// 1,000 days from start, some were mostly written off and some paid: the
// engines' agreement on the days to pay would otherwise prove little.
func requireWrittenOff(t *testing.T, name string, ix *Index, start datasets.Date) {
	t.Helper()
	rep, err := ComputeKPIs(ix, start, start.AddDays(1000), "", false)
	if err != nil {
		t.Fatal(err)
	}
	if rep.InvoicesWrittenOff == 0 || rep.InvoicesWrittenOff == rep.InvoicesSettled {
		t.Fatalf("%s: %d of %d settled invoices written off: the ledger proves little", name, rep.InvoicesWrittenOff, rep.InvoicesSettled)
	}
}

// clearedItems returns l as a cleared-items export reads: no payment or
// dispute records (every seventh invoice flagged disputed), and every other
// credit note dropped, so that some settlements clear what a credit note
// left and some the whole amount.
func clearedItems(l *datasets.Ledger) *datasets.Ledger {
	cp := *withoutDisputeRecords(l)
	cp.Payments = nil
	cp.CreditNotes = nil
	for i, n := range l.CreditNotes {
		if i%2 == 0 {
			cp.CreditNotes = append(cp.CreditNotes, n)
		}
	}
	return &cp
}

// requireCleared fails unless ix has no payment records and its
// settlements in the 1,000 days from start cleared money, some of them
// after a credit note on the invoice: the engines' agreement on collected
// would otherwise prove little.
func requireCleared(t *testing.T, ix *Index, start datasets.Date) {
	t.Helper()
	rep, err := ComputeKPIs(ix, start, start.AddDays(1000), "", false)
	if err != nil {
		t.Fatal(err)
	}
	credited := 0
	for _, c := range ix.customers {
		for i := range c.invoices {
			if c.invoices[i].SettledDate != 0 && len(c.invCredits[i]) > 0 {
				credited++
			}
		}
	}
	if rep.CollectedBasis != CollectedCleared || rep.Collected <= 0 || credited == 0 {
		t.Fatalf("cleared-items ledger: collected %s (%s), %d settled invoices credited: proves little", rep.Collected, rep.CollectedBasis, credited)
	}
}

// On a two-shard cluster each shard sums its own customers; the report is
// the Go engine's on the whole ledger.
func TestSQLKPIsOnClusterMatchGoEngine(t *testing.T) {
	ctx := context.Background()
	start := datasets.NewDate(2023, 1, 1)
	for _, seed := range []uint64{4, 5, 6} {
		l := distinctPaymentIDs(oddLedger(kpiRandomLedger(seed, 30, 10, start, 540), start))
		l = withWriteOffEdges(l, start)
		switch seed {
		case 4:
			l = withOverCover(withUnapplied(l, start), start)
		case 5:
			l = withoutCreditNotes(withoutDisputeRecords(l))
		case 6:
			l = clearedItems(l)
		}
		s := clusterDatabase(t, l)
		ix := NewIndex(l)
		if seed == 4 {
			requireUnapplied(t, ix, start)
			requireOverpaid(t, ix, start)
		}
		if seed == 6 {
			requireCleared(t, ix, start)
		} else {
			requireWrittenOff(t, fmt.Sprintf("seed%d", seed), ix, start)
		}
		if cur, err := SQLLedgerCurrencies(ctx, s); err != nil || strings.Join(cur, ",") != strings.Join(l.Currencies(), ",") {
			t.Fatalf("currencies on the cluster: %v, %v; want %v", cur, err, l.Currencies())
		}
		for _, c := range kpiSQLCases() {
			from, to := kd(c.from), kd(c.to)
			t.Run(fmt.Sprintf("seed%d/%s..%s/by=%s/monthly=%v", seed, c.from, c.to, c.o.By, c.o.Monthly), func(t *testing.T) {
				want, err := ComputeKPIsWith(ix, from, to, c.o)
				if err != nil {
					t.Fatal(err)
				}
				got, err := SQLKPIReport(ctx, s, from, to, c.o)
				assertSameKPIs(t, got, err, want)
			})
		}
	}
}

// A money sum beyond a Money is an error in both engines, never a wrapped
// total; one that fits is exact to the cent.
func TestSQLKPIsOverflow(t *testing.T) {
	clickHouseServer(t)
	ctx := context.Background()
	d := datasets.NewDate(2024, 1, 10)
	// 9e17 cents is near the largest amount a Decimal(18, 2) column holds.
	big := datasets.Money(900_000_000_000_000_000)
	for _, c := range []struct {
		name     string
		invoices int
		overflow bool
	}{{"fits", 10, false}, {"overflows", 11, true}} {
		t.Run(c.name, func(t *testing.T) {
			l := &datasets.Ledger{}
			for i := range c.invoices {
				l.Invoices = append(l.Invoices, datasets.Invoice{ID: fmt.Sprintf("B%d", i), CustomerID: fmt.Sprintf("C%d", i%3),
					IssueDate: d, DueDate: d.AddDays(30), Amount: big})
			}
			s := ledgerDatabase(t, l)
			for _, by := range []string{"", "customer"} {
				o := KPIOptions{By: by}
				want, werr := ComputeKPIsWith(NewIndex(l), d, d.AddDays(5), o)
				got, err := SQLKPIReport(ctx, s, d, d.AddDays(5), o)
				if c.overflow {
					if !errors.Is(werr, datasets.ErrOverflow) || !errors.Is(err, datasets.ErrOverflow) {
						t.Fatalf("by %q: Go engine: %v, SQL: %v; want both to wrap %v", by, werr, err, datasets.ErrOverflow)
					}
					continue
				}
				if werr != nil {
					t.Fatal(werr)
				}
				assertSameKPIs(t, got, err, want)
				if want.Invoiced != KPIMoney(10*big) {
					t.Fatalf("invoiced %s, want %s", want.Invoiced, KPIMoney(10*big))
				}
			}
		})
	}
}

// The SQL KPIs reject what the Go engine rejects, before any query.
func TestSQLKPIsBadOptions(t *testing.T) {
	q := namedDatabase("nowhere")
	for _, c := range []struct {
		from, to datasets.Date
		o        KPIOptions
		want     string
	}{
		{kd("2024-02-01"), kd("2024-01-01"), KPIOptions{}, "after it ends"},
		{kd("2024-01-01"), kd("2024-02-01"), KPIOptions{By: "planet"}, "unknown grouping"},
		{kd("2024-01-01"), kd("2024-02-01"), KPIOptions{CountbackMonths: -1}, "countback horizon"},
	} {
		_, err := SQLKPIReport(context.Background(), q, c.from, c.to, c.o)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s..%s %+v: %v, want an error saying %q", c.from, c.to, c.o, err, c.want)
		}
	}
	if _, err := SQLKPIReport(context.Background(), nil, kd("2024-01-01"), kd("2024-02-01"), KPIOptions{}); err == nil {
		t.Error("no querier: no error")
	}
	var _ chsql.Querier = q
}

// The ledger's currencies, read in SQL, are those Ledger.Currencies lists.
func TestSQLLedgerCurrencies(t *testing.T) {
	clickHouseServer(t)
	start := datasets.NewDate(2023, 1, 1)
	mixed := distinctPaymentIDs(kpiRandomLedger(6, 12, 8, start, 300))
	// A customer without a master currency takes its lowest invoice id's;
	// a payment without a currency its invoice's, else its customer's.
	mixed.Customers = append(mixed.Customers, datasets.Customer{ID: "ZLIMIT", CreditLimit: 500})
	mixed.Invoices = append(mixed.Invoices,
		datasets.Invoice{ID: "Z-2", CustomerID: "ZBARE", IssueDate: start, DueDate: start, Amount: 1, Currency: "JPY"},
		datasets.Invoice{ID: "Z-1", CustomerID: "ZBARE", IssueDate: start, DueDate: start, Amount: 1, Currency: "CHF"},
		datasets.Invoice{ID: "Z-3", CustomerID: "ZBARE", IssueDate: start, DueDate: start, Amount: 1})
	mixed.Payments = append(mixed.Payments,
		datasets.Payment{ID: "ZP-1", CustomerID: "ZPAYER", InvoiceID: "Z-2", Date: start, Amount: 1},
		datasets.Payment{ID: "ZP-2", CustomerID: "ZPAYER2", Date: start, Amount: 1, Currency: "SEK"})
	one := &datasets.Ledger{Invoices: []datasets.Invoice{{ID: "I", CustomerID: "C", IssueDate: start, DueDate: start, Amount: 1, Currency: "EUR"}}}
	none := &datasets.Ledger{Invoices: []datasets.Invoice{{ID: "I", CustomerID: "C", IssueDate: start, DueDate: start, Amount: 1}}}
	for name, l := range map[string]*datasets.Ledger{"mixed": mixed, "one": one, "none": none} {
		t.Run(name, func(t *testing.T) {
			got, err := SQLLedgerCurrencies(context.Background(), ledgerDatabase(t, l))
			if err != nil {
				t.Fatal(err)
			}
			want := l.Currencies()
			if name == "mixed" && len(want) < 5 {
				t.Fatalf("the mixed ledger is in %v: too few currencies to prove much", want)
			}
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Fatalf("currencies %v, want %v", got, want)
			}
		})
	}
}
