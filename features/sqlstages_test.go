package features

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dsopilot/dsopilot/datasets/chstore"
	"github.com/dsopilot/dsopilot/datasets/chstore/chsql"
)

// sqlStage is one building block of the customer query (ledger.sql) that
// BenchmarkSQLStages prices alone.
type sqlStage struct {
	name     string // as the benchmark reports it
	template string // the block of ledger.sql or customers.sql
	// staged: sent as the engine sends the whole-ledger query, in the
	// server's parts (max_threads, at most maxParts) as up to maxQueries
	// queries side by side (queryData, readShard), timed until the last
	// is done; otherwise one query with every customer in one part.
	staged bool
	// unfold: the open-invoice query's form of the block (sqlData.Unfold),
	// without the sale fields when the match holds none, as the engine
	// picks it (saleFieldsEmpty).
	unfold bool
	// empty: one of the engine's queries (the first of two parts) over
	// no customer (its bound at ""): what ClickHouse 18.16 spends on a
	// query before and beside its rows, mostly analysing its text, which
	// every query of the engine pays once.
	empty bool
}

// sqlStages are the stages BenchmarkSQLStages prices, each a per-customer
// summary of the customer query, and the customer query itself
// (customers) as the engine sends it. The stages overlap (customer_ledger
// contains customer_rows, customer_summary all of them), so they do not
// add up.
var sqlStages = []sqlStage{
	{name: "known_customers", template: "known_customers"},
	{name: "master", template: "master"},
	{name: "customer_rows", template: "customer_rows"},
	{name: "customer_ledger", template: "customer_ledger"},
	{name: "customer_ledger_parts", template: "customer_ledger_parts", staged: true},
	{name: "disputes", template: "disputes"},
	{name: "decisions", template: "decisions"},
	{name: "customer_facts", template: "customer_facts"},
	{name: "customer_summary", template: "customer_summary", staged: true},
	{name: "customers", template: "customers", staged: true},
	{name: "customers/no-rows", template: "customers", empty: true},
	{name: "open_invoices", template: "open_invoices", staged: true, unfold: true},
	{name: "open_invoices/no-rows", template: "open_invoices", unfold: true, empty: true},
}

// stageQueries renders stage st of e's customer query over every
// customer in parts parts: one query per slice of the parts the engine
// would run side by side (queryData), or one query over every part when
// the stage is not staged. noSale says the match holds no sale fields
// (saleFieldsEmpty), for the open-invoice stages.
func (e *SQLEngine) stageQueries(st sqlStage, parts int, noSale bool) ([]string, error) {
	if e.err != nil {
		return nil, e.err
	}
	d := e.data
	d.Parts = max(parts, 1)
	d.Unfold, d.NoSale = st.unfold, st.unfold && noSale
	spans := []sqlData{d.Span(0, d.Parts)}
	switch {
	case st.staged:
		spans = d.queryData()
	case st.empty:
		// Part 0 of 2, below its bound (emptyBound).
		d.Parts = 2
		spans = []sqlData{d.Span(0, 1)}
	}
	var out []string
	for _, sd := range spans {
		q, err := renderSQL(st.template, sd)
		if err != nil {
			return nil, err
		}
		out = append(out, q)
	}
	return out, nil
}

// BenchmarkSQLStages prices each stage of the customer query on the
// benchmark ledger: every column of the stage's rows is computed
// (ignore(*) keeps ClickHouse from pruning any) and counted on the server.
// It reports the wall time as a multiple of the floor's (x-floor), and
// the server's CPU (user and system time of the stage's queries, from
// system.query_log: a figure the load of a shared machine sways less than
// the wall time) per run, in seconds and as a multiple of the floor's
// (cpu-x-floor).
//
//	DSOPILOT_TEST_CLICKHOUSE=clickhouse://127.0.0.1:9000 go test ./features -run '^$' -bench SQLStages -benchtime 1x
func BenchmarkSQLStages(b *testing.B) {
	s, _ := benchLedger(b)
	e := sqlEngine(s, Options{})
	ctx := chsql.WithSettings(withFeatureSettings(context.Background()), chsql.Settings{"log_queries": 1})
	if err := syncMatch(ctx, s); err != nil {
		b.Fatal(err)
	}
	floor := floorSeconds(b, s)
	floorCPU, err := floorServerCPU(ctx, s, 3)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("floor (one GROUP BY customer_id over the invoices): %.3f s, %.3f s of server CPU", floor, floorCPU)
	d, err := e.disputeBasis(ctx)
	if err != nil {
		b.Fatal(err)
	}
	args := e.params(benchAsOf, nil, d)
	var threads string
	if err := s.QueryRow(ctx, "SELECT value FROM system.settings WHERE name = 'max_threads'").Scan(&threads); err != nil {
		b.Fatal(err)
	}
	parts := min(serverThreads(threads), maxParts)
	bounds, err := partBounds(ctx, e.q, parts)
	if err != nil {
		b.Fatal(err)
	}
	noSale, err := e.saleFieldsEmpty(ctx)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("staged stages in %d parts as %d queries side by side (max_threads %s); sale fields in the match: %v", parts, min(parts, maxQueries), threads, !noSale)
	for _, st := range sqlStages {
		n := 1 // a building block alone: every customer in one part
		if st.staged {
			n = parts
		}
		qs, err := e.stageQueries(st, n, noSale)
		if err != nil {
			b.Fatal(err)
		}
		stageArgs := slices.Clip(args)
		switch {
		case st.empty:
			stageArgs = append(stageArgs, emptyBound)
		case n > 1:
			stageArgs = append(stageArgs, bounds...)
		}
		for j, q := range qs {
			qs[j] = "SELECT count() FROM (" + q + ") WHERE NOT ignore(*)"
		}
		b.Run(st.name, func(b *testing.B) {
			// Each run's queries carry a marker of their own (-count
			// runs a stage again), for their CPU in the query log.
			marker := fmt.Sprintf("/* dsopilot-bench-stage %d */ ", time.Now().UnixNano())
			marked := make([]string, len(qs))
			for j, q := range qs {
				marked[j] = marker + q
			}
			var (
				rows uint64
				err  error
			)
			for range b.N {
				if rows, err = countSideBySide(ctx, s, marked, stageArgs); err != nil {
					b.Fatalf("stage %s: %v", st.name, err)
				}
			}
			perOp := b.Elapsed().Seconds() / float64(b.N)
			b.StopTimer()
			cpu, err := serverCPU(ctx, s, marker, len(qs)*b.N)
			if err != nil {
				b.Fatalf("stage %s: %v", st.name, err)
			}
			b.ReportMetric(float64(rows), "rows")
			b.ReportMetric(perOp/floor, "x-floor")
			b.ReportMetric(cpu/float64(b.N), "server-cpu-s")
			b.ReportMetric(cpu/float64(b.N)/floorCPU, "cpu-x-floor")
		})
	}
}

// emptyBound is the bound of a no-rows stage's part 0 (sqlStage.empty):
// no customer id is below "".
var emptyBound = sql.Named(boundName(1), "")

// floorServerCPU is the server CPU of the floor query (bench_floor.sql,
// its rows counted on the server as the stages' are), the mean of runs
// runs: the unit of the stages' cpu-x-floor, which the load of a shared
// machine sways less than the wall-time ratio x-floor.
func floorServerCPU(ctx context.Context, s *chstore.Store, runs int) (float64, error) {
	marker := fmt.Sprintf("/* dsopilot-bench-stage floor %d */ ", time.Now().UnixNano())
	q := marker + "SELECT count() FROM (" + benchFloorSQL + ") WHERE NOT ignore(*)"
	for range runs {
		var n uint64
		if err := s.QueryRow(ctx, q).Scan(&n); err != nil {
			return 0, fmt.Errorf("floor: %w", err)
		}
	}
	cpu, err := serverCPU(ctx, s, marker, runs)
	if err != nil {
		return 0, fmt.Errorf("floor: %w", err)
	}
	return cpu / float64(runs), nil
}

// countSideBySide runs the count queries qs at once, as the engine runs
// a shard's slices (readShard), and returns their rows added up.
func countSideBySide(ctx context.Context, s *chstore.Store, qs []string, args []any) (uint64, error) {
	counts := make([]uint64, len(qs))
	errs := make([]error, len(qs))
	var wg sync.WaitGroup
	for j, q := range qs {
		wg.Go(func() {
			errs[j] = s.QueryRow(ctx, q, args...).Scan(&counts[j])
		})
	}
	wg.Wait()
	var rows uint64
	for j := range qs {
		if errs[j] != nil {
			return 0, errs[j]
		}
		rows += counts[j]
	}
	return rows, nil
}

// serverCPU is the user and system CPU seconds of the finished queries
// whose text begins with marker, read from system.query_log once it holds
// all want of them (the server flushes it every few seconds).
func serverCPU(ctx context.Context, s *chstore.Store, marker string, want int) (float64, error) {
	const q = `SELECT count(), sum(arraySum(arrayMap((n, v) -> if(n IN ('UserTimeMicroseconds', 'SystemTimeMicroseconds'), v, toUInt64(0)),
		ProfileEvents.Names, ProfileEvents.Values)))
		FROM system.query_log WHERE type = 2 AND position(query, @marker) = 1`
	deadline := time.Now().Add(30 * time.Second)
	for {
		if err := s.Exec(ctx, "SYSTEM FLUSH LOGS"); err != nil {
			return 0, fmt.Errorf("flush the query log: %w", err)
		}
		var (
			n      uint64
			micros uint64
		)
		if err := s.QueryRow(ctx, q, sql.Named("marker", strings.TrimSpace(marker))).Scan(&n, &micros); err != nil {
			return 0, fmt.Errorf("read the query log: %w", err)
		}
		if int(n) >= want {
			return float64(micros) / 1e6, nil
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("the query log holds %d of the %d queries (log_queries off?)", n, want)
		}
		time.Sleep(time.Second)
	}
}

// The staged stages are the queries the engine sends: BenchmarkSQLStages's
// customers and open_invoices, in 3 parts, are each of the engine's
// side-by-side queries; and every stage over the ledger reads the
// per-customer match (customer_match), never the ledger's credit notes,
// whose write-off notes chstore put in it.
func TestStageQueriesAreTheEngines(t *testing.T) {
	e := NewSQLEngine(namedDatabase("db"), Options{})
	e.parts = 3
	_, shards, err := e.splitQueries(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{}
	for _, qs := range shards[0].qs {
		want["customers"] = append(want["customers"], qs.customers)
		want["open_invoices"] = append(want["open_invoices"], qs.openInvoices)
		want["open_invoices/no-sale"] = append(want["open_invoices/no-sale"], qs.openInvoicesNoSale)
	}
	for _, st := range sqlStages {
		qs, err := e.stageQueries(st, 3, false)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if st.name == "open_invoices" {
			noSaleQs, err := e.stageQueries(st, 3, true)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(noSaleQs, want["open_invoices/no-sale"]) {
				t.Fatalf("the benchmark's open-invoice queries without sale fields are not the engine's")
			}
		}
		switch {
		case st.empty:
			// The engine's first query in two parts.
			e2 := NewSQLEngine(namedDatabase("db"), Options{})
			e2.parts = 2
			_, shards2, err := e2.splitQueries(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			first := shards2[0].qs[0].customers
			if st.unfold {
				first = shards2[0].qs[0].openInvoices
			}
			if len(qs) != 1 || qs[0] != first {
				t.Errorf("%s: not the engine's first query in two parts", st.name)
			}
		case want[st.name] != nil:
			if !slices.Equal(qs, want[st.name]) {
				t.Fatalf("the benchmark's %s queries are not the engine's:\n%s\nwant\n%s", st.name, strings.Join(qs, "\n;\n"), strings.Join(want[st.name], "\n;\n"))
			}
		case st.staged && len(qs) != min(3, maxQueries):
			t.Errorf("%s: %d queries, want %d side by side", st.name, len(qs), min(3, maxQueries))
		case !st.staged && len(qs) != 1:
			t.Errorf("%s: %d queries, want 1", st.name, len(qs))
		}
		reads := st.template == "customer_rows" || st.template == "customer_ledger" || st.template == "customer_summary" ||
			st.template == "customers" || st.template == "open_invoices"
		for _, q := range qs {
			if reads && !strings.Contains(q, "customer_match") {
				t.Errorf("%s: a query that does not read customer_match", st.name)
			}
			if strings.Contains(q, "credit_notes") || strings.Contains(q, "invoice_match") {
				t.Errorf("%s: a query reads the credit notes or the invoice match, which customer_match holds", st.name)
			}
		}
	}
}
