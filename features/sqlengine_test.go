package features

import (
	"bytes"
	"context"
	"database/sql"
	_ "embed"
	"errors"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/chstore"
	"github.com/dsopilot/dsopilot/datasets/chstore/chsql"
	"github.com/dsopilot/dsopilot/datasets/chstore/chtest"
	"github.com/dsopilot/dsopilot/datasets/storetest"
)

// envClickHouse names the server of the SQL engine's integration tests, e.g.
// clickhouse://127.0.0.1:9000. Without it they skip, except under CI (CI
// set), where a skipped ClickHouse test would hide a broken engine.
const envClickHouse = "DSOPILOT_TEST_CLICKHOUSE"

// envBenchInvoices sets how many invoices the SQL benchmarks load.
const envBenchInvoices = "DSOPILOT_BENCH_INVOICES"

// envBenchDatabase names the SQL benchmarks' database (default
// dsopilot_bench_features_<invoices>), so that runs on a shared server
// with different schemas keep apart.
const envBenchDatabase = "DSOPILOT_BENCH_DATABASE"

// envBenchWriteOffs gives the benchmark ledger write-off notes: one on
// every Nth invoice settled, for a tenth of its amount at its settlement
// (N = the variable's value; default none, as randomLedger makes none),
// so that customer_match carries write-off notes for the queries to read.
// The default database's name then ends in _wo<N>.
const envBenchWriteOffs = "DSOPILOT_BENCH_WRITE_OFFS"

var sqlTestDatabases atomic.Int64

// clickHouseServer returns the configured server or skips tb.
func clickHouseServer(tb testing.TB) chstore.Config {
	tb.Helper()
	dsn := os.Getenv(envClickHouse)
	if dsn == "" {
		if os.Getenv("CI") != "" {
			tb.Fatalf("%s is not set: CI must run the ClickHouse tests", envClickHouse)
		}
		tb.Skipf("ClickHouse integration test: set %s=clickhouse://127.0.0.1:9000 to run it", envClickHouse)
	}
	cfg, err := chstore.ParseDSN(dsn)
	if err != nil {
		tb.Fatalf("%s: %v", envClickHouse, err)
	}
	return cfg
}

func dsnFor(cfg chstore.Config, database string) string {
	u := url.URL{Scheme: "clickhouse", User: url.UserPassword(cfg.Username, cfg.Password), Host: cfg.Addr, Path: "/" + database}
	return u.String()
}

// openDatabase opens (and migrates) database on the test server.
func openDatabase(tb testing.TB, database string) *chstore.Store {
	tb.Helper()
	ctx := context.Background()
	s, err := chstore.Open(ctx, dsnFor(clickHouseServer(tb), database), nil)
	if err != nil {
		tb.Fatalf("open %s: %v", database, err)
	}
	if _, err := s.Migrate(ctx); err != nil {
		s.Close()
		tb.Fatalf("migrate %s: %v", database, err)
	}
	return s
}

// ledgerDatabase puts each ledger in turn into a fresh database, which is
// dropped when the test ends, and returns its store. A later ledger
// overwrites the records of an earlier one with the same ids.
func ledgerDatabase(tb testing.TB, ls ...*datasets.Ledger) *chstore.Store {
	tb.Helper()
	name := fmt.Sprintf("dsopilot_features_test_%d_%d", os.Getpid(), sqlTestDatabases.Add(1))
	s := openDatabase(tb, name)
	tb.Cleanup(func() {
		if err := s.Conn().Exec(context.Background(), "DROP DATABASE IF EXISTS "+name); err != nil {
			tb.Errorf("drop %s: %v", name, err)
		}
		s.Close()
	})
	for _, l := range ls {
		if err := s.Put(context.Background(), l); err != nil {
			tb.Fatalf("put: %v", err)
		}
		// The invoice match is built after each ledger, so that an earlier
		// one leaves older versions of its rows (and rows it empties) for
		// the queries to see past, as an import followed by a correction
		// does.
		if err := s.SyncMatch(context.Background()); err != nil {
			tb.Fatalf("sync the match: %v", err)
		}
	}
	return s
}

func sqlEngine(s *chstore.Store, o Options) *SQLEngine {
	return NewSQLEngine(s, o)
}

// assertSameTables holds the SQL engine's table equal to the Go engine's,
// value for value and in CSV, byte for byte.
func assertSameTables(t *testing.T, got *Table, err error, want *Table) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	if got.Level != want.Level || got.AsOf != want.AsOf || !slicesEqualNames(got.Specs, want.Specs) {
		t.Fatalf("table %s as of %s with %d specs, want %s as of %s with %d", got.Level, got.AsOf, len(got.Specs), want.Level, want.AsOf, len(want.Specs))
	}
	assertTablesEqual(t, got, want)
	for i := range got.Rows {
		if got.Rows[i].AsOf != want.AsOf {
			t.Fatalf("row %d as of %s, want %s", i, got.Rows[i].AsOf, want.AsOf)
		}
	}
	var a, b bytes.Buffer
	if err := got.WriteCSV(&a); err != nil {
		t.Fatal(err)
	}
	if err := want.WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		al, bl := bytes.Split(a.Bytes(), []byte("\n")), bytes.Split(b.Bytes(), []byte("\n"))
		for i := range min(len(al), len(bl)) {
			if !bytes.Equal(al[i], bl[i]) {
				t.Fatalf("CSV differs at line %d:\nsql: %s\ngo:  %s", i+1, al[i], bl[i])
			}
		}
		t.Fatalf("CSV has %d lines, want %d", len(al), len(bl))
	}
}

func slicesEqualNames(a, b []Spec) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Name != b[i].Name || a[i].Kind != b[i].Kind {
			return false
		}
	}
	return true
}

// oddLedger adds to l the records that exercise the Go engine's corner
// cases: customers known only from other tables, a credit note filed under
// another customer's invoice, a payment linked to an invoice of another
// customer, unset and zero-valued fields, and same-day settlements whose
// order falls to the invoice id.
func oddLedger(l *datasets.Ledger, start datasets.Date) *datasets.Ledger {
	cp := *l
	cp.Invoices = append([]datasets.Invoice(nil), l.Invoices...)
	cp.Payments = append([]datasets.Payment(nil), l.Payments...)
	cp.CreditNotes = append([]datasets.CreditNote(nil), l.CreditNotes...)
	cp.Actions = append([]datasets.Action(nil), l.Actions...)
	cp.Promises = append([]datasets.Promise(nil), l.Promises...)
	cp.CreditDecisions = append([]datasets.CreditDecision(nil), l.CreditDecisions...)
	d := start.AddDays(100)
	cp.Invoices = append(cp.Invoices,
		// No master record; four settled on the same day, whose days late
		// differ: the three latest settlements are the highest ids.
		datasets.Invoice{ID: "X-1", CustomerID: "ZNOMASTER", IssueDate: d, DueDate: d.AddDays(10), Amount: 5000, SettledDate: d.AddDays(20), Channel: "web", Country: "FR"},
		datasets.Invoice{ID: "X-2", CustomerID: "ZNOMASTER", IssueDate: d, DueDate: d.AddDays(10), Amount: 0, SettledDate: d.AddDays(20)},
		datasets.Invoice{ID: "X-0", CustomerID: "ZNOMASTER", IssueDate: d, DueDate: d.AddDays(19), Amount: 1, SettledDate: d.AddDays(20)},
		datasets.Invoice{ID: "X-3", CustomerID: "ZNOMASTER", IssueDate: d.AddDays(1), DueDate: d.AddDays(5), Amount: 7000, SettledDate: d.AddDays(20), Segment: "retail"},
		datasets.Invoice{ID: "X-4", CustomerID: "ZNOMASTER", IssueDate: d.AddDays(2), DueDate: d.AddDays(2), Amount: 9000},
		// Open, partly credited by a note recorded under another customer.
		// Its channel is the sale's: the customer has none.
		datasets.Invoice{ID: "X-5", CustomerID: "ZNOMASTER", IssueDate: d.AddDays(3), DueDate: d.AddDays(40), Amount: 12345, Channel: "fax"},
		// Due at a month end, at a quarter end, and open; the sale's
		// channel, country and segment other than the customer's, or the
		// same, on some of the customer's open invoices.
		datasets.Invoice{ID: "X-6", CustomerID: "C001", IssueDate: d, DueDate: datasets.NewDate(2024, 3, 29), Amount: 100, Channel: "web", Segment: "retail"},
		datasets.Invoice{ID: "X-7", CustomerID: "C001", IssueDate: d, DueDate: datasets.NewDate(2024, 2, 27), Amount: 100, Channel: "direct", Country: "FR"},
		datasets.Invoice{ID: "X-8", CustomerID: "C001", IssueDate: d, DueDate: datasets.NewDate(2023, 2, 26), Amount: 100},
	)
	cp.CreditNotes = append(cp.CreditNotes,
		datasets.CreditNote{ID: "XN-1", CustomerID: "C002", InvoiceID: "X-5", Date: d.AddDays(4), Amount: 345, Kind: datasets.KindCreditNote},
		datasets.CreditNote{ID: "XN-2", CustomerID: "ZNOTES", InvoiceID: "", Date: d, Amount: 1, Kind: datasets.KindWriteOff})
	cp.Payments = append(cp.Payments,
		datasets.Payment{ID: "XP-1", CustomerID: "ZPAYER", Date: d, Amount: 250},
		// Linked to another customer's invoice: neither reduces it nor counts as partial.
		datasets.Payment{ID: "XP-2", CustomerID: "C003", InvoiceID: "X-5", Date: d.AddDays(5), Amount: 1000},
		datasets.Payment{ID: "XP-3", CustomerID: "ZNOMASTER", InvoiceID: "X-4", Date: d.AddDays(5), Amount: 1000},
		datasets.Payment{ID: "XP-4", CustomerID: "ZNOMASTER", InvoiceID: "X-4", Date: d.AddDays(6), Amount: 9000})
	cp.Actions = append(cp.Actions, datasets.Action{ID: "XA-1", CustomerID: "ZACTED", Date: d, Type: "call", Outcome: "promise"},
		datasets.Action{ID: "XA-2", CustomerID: "ZONLYACTIONS", Date: d, Type: "letter", Outcome: "paid"},
		// Holdout waits: no dunning actions, though the customer is known.
		datasets.Action{ID: "XA-3", CustomerID: "ZACTED", Date: d, Type: datasets.ActionWait, Policy: "holdout", Propensity: 0.25},
		datasets.Action{ID: "XA-4", CustomerID: "ZONLYWAITS", Date: d, Type: datasets.ActionWait, Policy: "holdout", Propensity: 0.25})
	cp.Disputes = append(append([]datasets.Dispute(nil), l.Disputes...),
		datasets.Dispute{ID: "XD-1", CustomerID: "ZONLYDISPUTES", InvoiceID: "NONE", Opened: d, Resolved: d.AddDays(9)})
	cp.Promises = append(cp.Promises,
		datasets.Promise{ID: "XPR-1", CustomerID: "ZACTED", Made: d, PromisedDate: d.AddDays(3), Status: datasets.PromiseOpen},
		// Due on an as-of date of the tests: not yet known to be kept.
		datasets.Promise{ID: "XPR-2", CustomerID: "ZACTED", Made: d.AddDays(-10), PromisedDate: start.AddDays(101), Status: datasets.PromiseKept})
	// A relationship that starts after some of the as-of dates, though
	// invoiced before.
	cp.Customers = append(append([]datasets.Customer(nil), l.Customers...),
		datasets.Customer{ID: "ZSINCE", Since: start.AddDays(150), CreditLimit: 100, Terms: datasets.Terms{Days: 14, EOM: true}},
		// In the master only; stale gives it an invoice that then moves
		// away, which leaves it emptied rows in the invoice match.
		datasets.Customer{ID: "ZEMPTIED", CreditLimit: 50, Terms: datasets.Terms{Days: 30}})
	cp.Invoices = append(cp.Invoices, datasets.Invoice{ID: "X-9", CustomerID: "ZSINCE", IssueDate: start.AddDays(50), DueDate: start.AddDays(64), Amount: 99},
		datasets.Invoice{ID: "X-10", CustomerID: "ZONLYINVOICES", IssueDate: start.AddDays(500), DueDate: start.AddDays(530), Amount: 99})
	cp.Promises = append(cp.Promises, datasets.Promise{ID: "XPR-3", CustomerID: "ZONLYPROMISES", Made: d, PromisedDate: d, Status: datasets.PromiseBroken})
	cp.CreditDecisions = append(cp.CreditDecisions,
		datasets.CreditDecision{ID: "XCD-2", CustomerID: "ZNOMASTER", Date: d.AddDays(50), OldLimit: 100, NewLimit: 200},
		datasets.CreditDecision{ID: "XCD-1", CustomerID: "ZNOMASTER", Date: d.AddDays(50), OldLimit: 300, NewLimit: 400},
		datasets.CreditDecision{ID: "XCD-0", CustomerID: "ZNOMASTER", Date: d.AddDays(60), OldLimit: 500, NewLimit: 600},
		datasets.CreditDecision{ID: "XCD-3", CustomerID: "ZONLYDECISIONS", Date: d, OldLimit: 0, NewLimit: 800})
	return &cp
}

// stale returns a version of l to be overwritten: every record changed, so
// that reading without FINAL, or the wrong version, shows.
func stale(l *datasets.Ledger) *datasets.Ledger {
	cp := &datasets.Ledger{}
	for _, c := range l.Customers {
		c.Segment, c.CreditLimit, c.Since = "stale", c.CreditLimit+1, c.Since.AddDays(1)
		cp.Customers = append(cp.Customers, c)
	}
	for i, v := range l.Invoices {
		v.Amount, v.IssueDate, v.DueDate, v.SettledDate, v.Disputed = v.Amount*2, v.IssueDate.AddDays(-3), v.DueDate.AddDays(1), 0, !v.Disputed
		if i%3 == 0 {
			v.CustomerID = "STALE"
		}
		if i == 1 {
			v.CustomerID = "ZEMPTIED"
		}
		cp.Invoices = append(cp.Invoices, v)
	}
	for _, n := range l.CreditNotes {
		n.Amount, n.Date = n.Amount*3, n.Date.AddDays(-30)
		cp.CreditNotes = append(cp.CreditNotes, n)
	}
	for _, a := range l.Actions {
		a.Date, a.Outcome = a.Date.AddDays(-40), "paid"
		cp.Actions = append(cp.Actions, a)
	}
	for _, p := range l.Promises {
		p.Made, p.Status = p.Made.AddDays(-40), datasets.PromiseKept
		cp.Promises = append(cp.Promises, p)
	}
	for _, d := range l.CreditDecisions {
		d.Date, d.NewLimit = d.Date.AddDays(-100), d.NewLimit+1
		cp.CreditDecisions = append(cp.CreditDecisions, d)
	}
	for _, p := range l.Payments {
		p.Amount, p.Date = p.Amount+7, p.Date.AddDays(-2)
		cp.Payments = append(cp.Payments, p)
	}
	for _, d := range l.Disputes {
		d.Resolved = 0
		cp.Disputes = append(cp.Disputes, d)
	}
	return cp
}

func TestSQLEngineMatchesGoEngine(t *testing.T) {
	clickHouseServer(t)
	start := datasets.NewDate(2023, 1, 1)
	for _, seed := range []uint64{1, 2, 3} {
		l := oddLedger(randomLedger(seed, 40, start, 540), start)
		s := ledgerDatabase(t, stale(l), l)
		goIx := NewIndex(l)
		for _, o := range []Options{{}, {Windows: []int{120, 30, 400}, GraceDays: 5}} {
			sql, gold := sqlEngine(s, o), NewEngine(goIx, o)
			for _, days := range []int{30, 101, 200, 400, 600} {
				asOf := start.AddDays(days)
				assertEnginesAgree(t, fmt.Sprintf("seed%d/%v/grace%d/%s", seed, gold.Options().Windows, o.GraceDays, asOf), sql, gold, asOf)
			}
		}
	}
}

// Without dispute records the invoices' disputed flag stands in for them
// where it is known: as of the ledger's own date, or under an assumption.
func TestSQLEngineWithoutDisputeRecords(t *testing.T) {
	clickHouseServer(t)
	start := datasets.NewDate(2023, 1, 1)
	l := randomLedger(4, 30, start, 400)
	l.Disputes = nil
	for i := range l.Invoices {
		l.Invoices[i].Disputed = i%4 == 0
	}
	s := ledgerDatabase(t, stale(l), l)
	ix := NewIndex(l)
	_, current := ix.DisputeFlags()
	seven := 7
	flagged := 0
	for _, asOf := range []datasets.Date{start.AddDays(300), current} {
		for _, o := range []Options{{}, {DisputeOpenedAfterDays: &seven}} {
			t.Run(fmt.Sprintf("%s/assumed%v", asOf, o.DisputeOpenedAfterDays != nil), func(t *testing.T) {
				want := NewEngine(ix, o).OpenInvoices(asOf)
				got, err := sqlEngine(s, o).OpenInvoices(context.Background(), asOf)
				assertSameTables(t, got, err, want)
				nums, _ := split(want.Specs)
				for k, sp := range nums {
					for _, r := range want.Rows {
						if sp.Name == "inv_disputed" && r.Num[k] == 1 {
							flagged++
						}
					}
				}
			})
		}
	}
	if flagged == 0 {
		t.Error("no open invoice read as disputed in any case: the flag paths went untested")
	}
}

func TestSQLEngineSelectedCustomers(t *testing.T) {
	clickHouseServer(t)
	ctx := context.Background()
	start := datasets.NewDate(2023, 1, 1)
	l := oddLedger(randomLedger(5, 40, start, 540), start)
	s := ledgerDatabase(t, l)
	sql, gold := sqlEngine(s, Options{}), NewEngine(NewIndex(l), Options{})
	asOf := start.AddDays(250)
	// Out of order, repeated, unknown and master-less ids: the Go engine
	// answers in the order asked, repeats included, unknown ones left out.
	for _, ids := range [][]string{{"C007"}, {"C031", "C002", "NOBODY", "C031", "ZNOMASTER", "ZPAYER", "C010"}} {
		t.Run(fmt.Sprint(ids), func(t *testing.T) {
			got, err := sql.Customers(ctx, asOf, ids...)
			assertSameTables(t, got, err, gold.Customers(asOf, ids...))
			got, err = sql.OpenInvoices(ctx, asOf, ids...)
			assertSameTables(t, got, err, gold.OpenInvoices(asOf, ids...))
		})
	}
	t.Run("unknown", func(t *testing.T) {
		for _, q := range []func(context.Context, datasets.Date, ...string) (*Table, error){sql.Customers, sql.OpenInvoices} {
			got, err := q(ctx, asOf, "NOBODY")
			if err != nil || len(got.Rows) != 0 {
				t.Fatalf("features of an unknown customer: %d rows, %v; want none", len(got.Rows), err)
			}
		}
	})
}

func TestSQLEngineEventsAfterTheAsOfDateChangeNothing(t *testing.T) {
	clickHouseServer(t)
	ctx := context.Background()
	start := datasets.NewDate(2023, 1, 1)
	l := randomLedger(1, 60, start, 540)
	base := sqlEngine(ledgerDatabase(t, l), Options{})
	for _, asOf := range []datasets.Date{start.AddDays(30), start.AddDays(200), start.AddDays(400)} {
		later := sqlEngine(ledgerDatabase(t, addEventsAfter(l, asOf)), Options{})
		t.Run(asOf.String()+"/customers", func(t *testing.T) {
			want, err := base.Customers(ctx, asOf)
			if err != nil {
				t.Fatal(err)
			}
			got, err := later.Customers(ctx, asOf)
			assertSameTables(t, got, err, want)
		})
		t.Run(asOf.String()+"/open-invoices", func(t *testing.T) {
			want, err := base.OpenInvoices(ctx, asOf)
			if err != nil {
				t.Fatal(err)
			}
			got, err := later.OpenInvoices(ctx, asOf)
			assertSameTables(t, got, err, want)
		})
	}
}

// namedDatabase is a Querier that only names its database: the tests that
// render queries without a server use it, and any query through it fails.
type namedDatabase string

var _ chsql.Querier = namedDatabase("")

func (d namedDatabase) Query(context.Context, string, ...any) (chsql.Rows, error) {
	return nil, errNoServer
}
func (d namedDatabase) QueryRow(context.Context, string, ...any) chsql.Row { return noRow{} }
func (d namedDatabase) Exec(context.Context, string, ...any) error         { return errNoServer }
func (d namedDatabase) Database() string                                   { return string(d) }
func (d namedDatabase) Cluster() string                                    { return "" }
func (d namedDatabase) Shards() []chsql.Querier                            { return []chsql.Querier{d} }

var errNoServer = errors.New("no server behind this querier")

type noRow struct{}

func (noRow) Scan(...any) error { return errNoServer }
func (noRow) Err() error        { return errNoServer }

func TestSQLEngineRejectsWindowsItCannotName(t *testing.T) {
	for _, w := range [][]int{{90, 90}, {0, 30}, {-5}} {
		e := NewSQLEngine(namedDatabase("db"), Options{Windows: w})
		if _, err := e.Customers(context.Background(), datasets.NewDate(2024, 1, 1)); err == nil {
			t.Errorf("windows %v accepted", w)
		}
	}
}

// The queries render for any set of windows without touching a server, and
// their text carries no value: the as-of date and the ids are parameters.
func TestSQLEngineQueriesAreParameterised(t *testing.T) {
	e := NewSQLEngine(namedDatabase("weird`db"), Options{Windows: []int{7, 30}})
	if e.err != nil {
		t.Fatal(e.err)
	}
	for _, q := range []string{e.queries.customers, e.queries.customersByID, e.queries.openInvoices, e.queries.openInvoicesByID} {
		for _, bad := range []string{"{{", "2024", "weird`db"} {
			if bytes.Contains([]byte(q), []byte(bad)) {
				t.Errorf("query contains %q", bad)
			}
		}
		if !bytes.Contains([]byte(q), []byte("`weird\\`db`.customer_match")) {
			t.Errorf("query does not read the quoted database's per-customer match")
		}
	}
}

// The per-customer summary runs in as many parts as the server's
// max_threads says, whichever way the release writes it.
func TestServerThreads(t *testing.T) {
	for _, c := range []struct {
		value string
		want  int
	}{
		{"2", 2},         // 18.16
		{"'auto(8)'", 8}, // current releases
		{"auto(4)", 4},
		{"0", 1},
		{"", 1},
		{"many", 1},
	} {
		if got := serverThreads(c.value); got != c.want {
			t.Errorf("serverThreads(%q) = %d, want %d", c.value, got, c.want)
		}
	}
}

// Split into parts, the customer summary is one SELECT per part, each
// reading the match and the other tables for its own customers only (a
// range of their ids), and the match once in all.
func TestSQLEngineSplitsTheSummaryIntoParts(t *testing.T) {
	e := NewSQLEngine(namedDatabase("db"), Options{})
	if e.err != nil {
		t.Fatal(e.err)
	}
	for _, parts := range []int{1, 3} {
		q, err := e.stageSQL("customer_ledger_parts", parts)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Count(q, ") AS customer_match_rows"); got != parts {
			t.Errorf("%d parts: %d ledger summaries, want %d", parts, got, parts)
		}
		// The per-customer match is read by its parts (its rows, and the
		// newest version of each customer's twice: for the rows, and for
		// the customers known from the other tables alone), never the
		// invoice match, and the customers known from the other tables by
		// each part for its own range.
		if got := strings.Count(q, "FROM `db`.customer_match"); got != 3*parts {
			t.Errorf("%d parts: customer_match read %d times, want three times per part", parts, got)
		}
		if strings.Contains(q, "invoice_match") {
			t.Errorf("%d parts: the invoice match read, which customer_match gathers", parts)
		}
		if got := strings.Count(q, "FROM `db`.customers"); got != parts {
			t.Errorf("%d parts: the master read %d times, want once per part", parts, got)
		}
		if got := strings.Count(q, "PREWHERE customer_id"); parts == 1 && got != 0 {
			t.Errorf("1 part: %d range filters, want none", got)
		}
		if parts == 1 {
			continue
		}
		// Ranges of the match's leading key, which cover every id once.
		for _, want := range []string{
			"PREWHERE customer_id < @split1\n",
			"PREWHERE customer_id >= @split1 AND customer_id < @split2\n",
			"PREWHERE customer_id >= @split2\n",
		} {
			// customer_match three times, the master, the disputes and
			// the decisions.
			if got := strings.Count(q, want); got != 6 {
				t.Errorf("%d parts: %q %d times, want 6", parts, want, got)
			}
		}
	}
}

// In any number of parts, the whole-ledger queries give the features of
// the Go engine: the parts' ranges of customer ids (partBounds) cover every
// customer once, wherever their bounds fall, on one server and on each
// shard of a cluster (DSOPILOT_TEST_CLUSTER).
func TestSQLEngineInPartsMatchesGoEngine(t *testing.T) {
	clickHouseServer(t)
	start := datasets.NewDate(2023, 1, 1)
	l := oddLedger(randomLedger(7, 300, start, 540), start)
	stores := map[string]chsql.Querier{"server": ledgerDatabase(t, l)}
	if os.Getenv(chtest.EnvCluster) != "" {
		stores["cluster"] = clusterDatabase(t, l)
	}
	gold := NewEngine(NewIndex(l), Options{})
	for name, s := range stores {
		for _, parts := range []int{2, 5, 16} {
			bounds, err := partBounds(context.Background(), s.Shards()[0], parts)
			if err != nil {
				t.Fatal(err)
			}
			seen := map[string]bool{}
			for _, b := range bounds {
				seen[b.(sql.NamedArg).Value.(string)] = true
			}
			if parts == 5 && len(seen) < 3 {
				t.Errorf("%s: %d parts bounded by %d distinct ids, want the customers spread", name, parts, len(seen))
			}
			e := NewSQLEngine(s, Options{})
			e.parts = parts
			for _, days := range []int{200, 540} {
				assertEnginesAgree(t, fmt.Sprintf("%s/%d parts/%d days", name, parts, days), e, gold, start.AddDays(days))
			}
		}
	}
}

// benchTables are the tables benchLedger empties and merges: the ledger's
// and the invoice match chstore maintains from it.
var benchTables = []string{"customers", "invoices", "payments", "credit_notes", "disputes", "actions", "promises", "credit_decisions", "invoice_match", "customer_match"}

//go:embed sql/bench_floor.sql
var benchFloorSQL string

// benchLedger returns a store holding a randomLedger of about n invoices
// (randomLedger gives a customer 19.5 on average), loading it only when the
// database does not hold it yet: the database is kept, named after n, so
// that benchmarks run again start at once.
func benchLedger(b *testing.B) (*chstore.Store, int) {
	b.Helper()
	n := 1_000_000
	if v := os.Getenv(envBenchInvoices); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n <= 0 {
			b.Fatalf("%s=%q: want a positive number", envBenchInvoices, v)
		}
	}
	ctx := context.Background()
	// A feature query sends nothing until its last GROUP BY is done, which
	// on a loaded machine takes longer than the default read timeout.
	cfg := clickHouseServer(b)
	database := fmt.Sprintf("dsopilot_bench_features_%d", n)
	every := 0
	if v := os.Getenv(envBenchWriteOffs); v != "" {
		var err error
		if every, err = strconv.Atoi(v); err != nil || every <= 0 {
			b.Fatalf("%s=%q: want a positive number", envBenchWriteOffs, v)
		}
		database += fmt.Sprintf("_wo%d", every)
	}
	if v := os.Getenv(envBenchDatabase); v != "" {
		database = v
	}
	s, err := chstore.Open(ctx, dsnFor(cfg, database)+"?timeout=30m", nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	var have uint64
	if err := s.Conn().QueryRow(ctx, "SELECT count() FROM invoices FINAL").Scan(&have); err != nil {
		b.Fatal(err)
	}
	l := randomLedger(99, n*2/39, datasets.NewDate(2021, 1, 1), 1500)
	if every > 0 {
		l = withBenchWriteOffs(l, every)
	}
	if have != uint64(len(l.Invoices)) {
		b.Logf("loading %d invoices, %d records in all", len(l.Invoices), l.Len())
		for _, table := range benchTables {
			if err := s.Conn().Exec(ctx, "TRUNCATE TABLE "+table); err != nil {
				b.Fatal(err)
			}
		}
		start := time.Now()
		if err := s.Put(ctx, l); err != nil {
			b.Fatal(err)
		}
		put := time.Since(start)
		if err := s.SyncMatch(ctx); err != nil {
			b.Fatal(err)
		}
		b.Logf("stored in %v, invoice match built in %v", put, time.Since(start)-put)
		// Merge every table into one part, as the background merges of a
		// ledger at rest would, for the floor and the engine alike.
		for _, table := range benchTables {
			if err := s.Conn().Exec(ctx, "OPTIMIZE TABLE "+table+" FINAL"); err != nil {
				b.Fatal(err)
			}
		}
		b.Logf("loaded in %v", time.Since(start))
	}
	return s, len(l.Invoices)
}

// withBenchWriteOffs returns l with a write-off note on every Nth settled
// invoice (N = every), for a tenth of its amount, dated at its settlement.
func withBenchWriteOffs(l *datasets.Ledger, every int) *datasets.Ledger {
	cp := *l
	cp.CreditNotes = slices.Clone(l.CreditNotes)
	k := 0
	for _, v := range l.Invoices {
		if v.SettledDate == 0 {
			continue
		}
		if k++; k%every == 0 {
			cp.CreditNotes = append(cp.CreditNotes, datasets.CreditNote{ID: "W" + v.ID, CustomerID: v.CustomerID, InvoiceID: v.ID,
				Date: v.SettledDate, Amount: v.Amount / 10, Kind: datasets.KindWriteOff})
		}
	}
	return &cp
}

// benchSQLTable times one SQL engine query over the whole benchmark ledger
// as of its last day.
func benchSQLTable(b *testing.B, unit string, query func(*SQLEngine, context.Context, datasets.Date) (*Table, error)) {
	s, n := benchLedger(b)
	e := sqlEngine(s, Options{})
	ctx := benchContext()
	floor := floorSeconds(b, s)
	rows := 0
	b.ResetTimer()
	for range b.N {
		tab, err := query(e, ctx, benchAsOf)
		if err != nil {
			b.Fatal(err)
		}
		rows = len(tab.Rows)
	}
	perOp := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(float64(n)/perOp, "invoices/s")
	b.ReportMetric(float64(rows), unit)
	b.ReportMetric(perOp/floor, "x-floor")
}

// benchContext is the context of the benchmarks' queries: logged in
// system.query_log (log_queries, off by default), where each query's
// server CPU (ProfileEvents UserTimeMicroseconds) can be read, a figure
// the load of a shared machine sways less than the wall time.
func benchContext() context.Context {
	return chsql.WithSettings(context.Background(), chsql.Settings{"log_queries": 1})
}

// benchAsOf is the as-of date of the SQL benchmarks: the benchmark
// ledger's last day.
var benchAsOf = datasets.NewDate(2021, 1, 1).AddDays(1500)

// floorSeconds times the floor query (BenchmarkSQLFloor) once, outside the
// benchmark's timer, as the unit of the x-floor figures.
func floorSeconds(b *testing.B, s *chstore.Store) float64 {
	b.Helper()
	b.StopTimer()
	defer b.StartTimer()
	start := time.Now()
	readFloor(b, s)
	return time.Since(start).Seconds()
}

// BenchmarkSQLCustomers times the customer features of the whole benchmark
// ledger as of its last day:
//
//	DSOPILOT_TEST_CLICKHOUSE=clickhouse://127.0.0.1:9000 go test ./features -run '^$' -bench SQL -benchtime 5x
func BenchmarkSQLCustomers(b *testing.B) {
	benchSQLTable(b, "customers", func(e *SQLEngine, ctx context.Context, t datasets.Date) (*Table, error) {
		return e.Customers(ctx, t)
	})
}

// BenchmarkSQLOpenInvoices times the open invoices' features likewise.
func BenchmarkSQLOpenInvoices(b *testing.B) {
	benchSQLTable(b, "open-invoices", func(e *SQLEngine, ctx context.Context, t datasets.Date) (*Table, error) {
		return e.OpenInvoices(ctx, t)
	})
}

// BenchmarkSQLFloor times one pass over the same invoices, grouped by
// customer: the least any feature query must do, against which
// BenchmarkSQLCustomers is judged.
func BenchmarkSQLFloor(b *testing.B) {
	s, n := benchLedger(b)
	rows := 0
	b.ResetTimer()
	for range b.N {
		rows = readFloor(b, s)
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "invoices/s")
	b.ReportMetric(float64(rows), "customers")
}

// readFloor runs the floor query and reads its rows, as the feature
// queries' rows are read; it returns their number.
func readFloor(b *testing.B, s *chstore.Store) int {
	b.Helper()
	r, err := s.Query(benchContext(), benchFloorSQL)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	var (
		id                  string
		count               uint64
		total               decimal.Decimal
		lastIssue, firstDue time.Time
		mean                float64
	)
	rows := 0
	for r.Next() {
		if err := r.Scan(&id, &count, &total, &lastIssue, &firstDue, &mean); err != nil {
			b.Fatal(err)
		}
		rows++
	}
	if err := r.Err(); err != nil {
		b.Fatal(err)
	}
	return rows
}

// On a two-shard cluster every shard computes the features of its own
// customers over its own tables; the rows are the Go engine's on the whole
// ledger, credit notes filed under a customer on another shard than their
// invoice's included (read from the whole ledger).
func TestSQLEngineOnClusterMatchesGoEngine(t *testing.T) {
	ctx := context.Background()
	start := datasets.NewDate(2023, 1, 1)
	l := storetest.WithStrays(oddLedger(randomLedger(3, 40, start, 540), start))
	s := clusterDatabase(t, l)
	// Some credit note must lie on another shard than its invoice, or the
	// whole-ledger read of the notes is not exercised.
	notes, invoices := map[string]int{}, map[string]int{}
	for i, q := range s.Shards() {
		for table, at := range map[string]map[string]int{"credit_notes": notes, "invoices": invoices} {
			rows, err := q.Query(ctx, "SELECT invoice_id FROM "+quoteIdentifier(q.Database())+"."+table+" FINAL")
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var id string
				if err := rows.Scan(&id); err != nil {
					t.Fatal(err)
				}
				at[id] = i + 1
			}
			rows.Close()
		}
	}
	apart := 0
	for id, shard := range notes {
		if invoices[id] != 0 && invoices[id] != shard {
			apart++
		}
	}
	if apart == 0 {
		t.Fatal("no credit note lies on another shard than its invoice")
	}
	ix := NewIndex(l)
	for _, o := range []Options{{}, {Windows: []int{120, 30, 400}, GraceDays: 5}} {
		sql, gold := sqlEngine(s, o), NewEngine(ix, o)
		for _, days := range []int{101, 400, 600} {
			asOf := start.AddDays(days)
			name := fmt.Sprintf("%v/grace%d/%s", gold.Options().Windows, o.GraceDays, asOf)
			assertEnginesAgree(t, name, sql, gold, asOf)
			t.Run(name+"/by-id", func(t *testing.T) {
				ids := []string{"ZNOMASTER", "C002", "C001", "ZNOMASTER"}
				got, err := sql.OpenInvoices(ctx, asOf, ids...)
				assertSameTables(t, got, err, gold.OpenInvoices(asOf, ids...))
			})
		}
	}
}

// assertEnginesAgree checks, as subtests named after name, that the SQL
// engine's customer and open-invoice features as of asOf are gold's.
func assertEnginesAgree(t *testing.T, name string, sql *SQLEngine, gold *Engine, asOf datasets.Date) {
	t.Helper()
	ctx := context.Background()
	t.Run(name+"/customers", func(t *testing.T) {
		got, err := sql.Customers(ctx, asOf)
		assertSameTables(t, got, err, gold.Customers(asOf))
	})
	t.Run(name+"/open-invoices", func(t *testing.T) {
		got, err := sql.OpenInvoices(ctx, asOf)
		assertSameTables(t, got, err, gold.OpenInvoices(asOf))
	})
}
