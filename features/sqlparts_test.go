package features

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/chstore"
	"github.com/dsopilot/dsopilot/datasets/chstore/chsql"
)

// recordingStore is a store that notes the text of every query it is
// asked to run, and is its own only shard.
type recordingStore struct {
	*chstore.Store
	mu    sync.Mutex
	texts []string
}

func (r *recordingStore) Query(ctx context.Context, query string, args ...any) (chsql.Rows, error) {
	r.mu.Lock()
	r.texts = append(r.texts, query)
	r.mu.Unlock()
	return r.Store.Query(ctx, query, args...)
}

func (r *recordingStore) Shards() []chsql.Querier { return []chsql.Querier{r} }

// featureQueries returns the recorded feature queries (those that read
// the per-customer match, customer_match) and forgets every recorded
// query.
func (r *recordingStore) featureQueries() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, q := range r.texts {
		if strings.Contains(q, ") AS customer_match_rows") {
			out = append(out, q)
		}
	}
	r.texts = nil
	return out
}

// A whole-ledger query in parts runs as up to maxQueries separate
// queries, side by side, each over a run of neighbouring parts, its small
// summaries (master, disputes, decisions) restricted to the same range of
// customer ids as its ledger summary; together they give the Go engine's
// features.
func TestSQLEngineRunsThePartsAsSeparateQueries(t *testing.T) {
	clickHouseServer(t)
	start := datasets.NewDate(2023, 1, 1)
	l := oddLedger(randomLedger(11, 200, start, 540), start)
	s := &recordingStore{Store: ledgerDatabase(t, l)}
	gold := NewEngine(NewIndex(l), Options{})
	asOf := start.AddDays(400)
	// A read of a small summary's table with FINAL, and what bounds it.
	factRead := regexp.MustCompile("FROM `[^`]+`\\.(customers|disputes|credit_decisions) FINAL(\\s+PREWHERE [^\\n]*)?")
	for _, tc := range []struct {
		parts, queries int
		perQuery       []int // ledger summaries (parts) per query
	}{
		{1, 1, []int{1}},
		{2, 2, []int{1, 1}},
		{5, 4, []int{1, 1, 1, 2}},
		{16, 4, []int{4, 4, 4, 4}},
	} {
		e := NewSQLEngine(s, Options{})
		e.parts = tc.parts
		name := fmt.Sprintf("%d parts", tc.parts)
		assertEnginesAgree(t, name, e, gold, asOf)
		qs := s.featureQueries()
		// Customers, then open invoices.
		if len(qs) != 2*tc.queries {
			t.Fatalf("%s: %d feature queries, want %d for each of the two tables", name, len(qs), tc.queries)
		}
		// Each table's queries, whatever order they ran in, run the parts
		// tc.perQuery says.
		for tbl := range 2 {
			var got []int
			for _, q := range qs[tbl*tc.queries : (tbl+1)*tc.queries] {
				got = append(got, strings.Count(q, ") AS customer_match_rows"))
			}
			slices.Sort(got)
			if !slices.Equal(got, tc.perQuery) {
				t.Errorf("%s: table %d's queries run %v parts, want %v", name, tbl, got, tc.perQuery)
			}
		}
		for i, q := range qs {
			for _, m := range factRead.FindAllStringSubmatch(q, -1) {
				if bounded := m[2] != ""; bounded != (tc.queries > 1) {
					t.Errorf("%s: query %d reads %s bounded %v, want %v", name, i, m[1], bounded, tc.queries > 1)
				}
			}
		}
	}
}

// queryData cuts the parts into at most maxQueries runs of neighbouring
// parts that cover each part once, in order.
func TestQueryDataCoversEveryPartOnce(t *testing.T) {
	for parts := 1; parts <= maxParts; parts++ {
		d := sqlData{Parts: parts}
		qs := d.queryData()
		if want := min(parts, maxQueries); len(qs) != want {
			t.Errorf("%d parts: %d queries, want %d", parts, len(qs), want)
		}
		next := 0
		for j, q := range qs {
			if q.Lo != next || q.Hi <= q.Lo {
				t.Fatalf("%d parts: query %d covers parts [%d, %d), want from %d on", parts, j, q.Lo, q.Hi, next)
			}
			wantFrom, wantTo := "", ""
			if q.Lo > 0 {
				wantFrom = boundName(q.Lo)
			}
			if q.Hi < parts {
				wantTo = boundName(q.Hi)
			}
			if q.From != wantFrom || q.To != wantTo {
				t.Errorf("%d parts: query %d bounded by %q, %q, want %q, %q", parts, j, q.From, q.To, wantFrom, wantTo)
			}
			split := q.Split()
			if len(split) != q.Hi-q.Lo {
				t.Errorf("%d parts: query %d splits into %d parts, want %d", parts, j, len(split), q.Hi-q.Lo)
			}
			for k, p := range split {
				if p.Part != q.Lo+k {
					t.Errorf("%d parts: query %d part %d is part %d", parts, j, k, p.Part)
				}
			}
			next = q.Hi
		}
		if next != parts {
			t.Errorf("%d parts: the queries end at part %d", parts, next)
		}
	}
}

// The open-invoice query reads the invoices' own sale fields (country,
// segment, channel) only when some match row has one: a ledger whose
// invoices have none gets the query that takes them as ”, with the Go
// engine's features all the same.
func TestSQLEngineReadsSaleFieldsOnlyWhenTheLedgerHasThem(t *testing.T) {
	clickHouseServer(t)
	start := datasets.NewDate(2023, 1, 1)
	asOf := start.AddDays(400)
	plain := randomLedger(13, 150, start, 540)
	for _, v := range plain.Invoices {
		if v.Country+v.Segment+v.Channel != "" {
			t.Fatal("the test needs a ledger whose invoices have no sale fields")
		}
	}
	for _, tc := range []struct {
		name     string
		l        *datasets.Ledger
		readSale bool
	}{
		{"without sale fields", plain, false},
		{"with sale fields", oddLedger(randomLedger(13, 150, start, 540), start), true},
	} {
		s := &recordingStore{Store: ledgerDatabase(t, tc.l)}
		e := NewSQLEngine(s, Options{})
		e.parts = 2
		gold := NewEngine(NewIndex(tc.l), Options{})
		t.Run(tc.name, func(t *testing.T) {
			got, err := e.OpenInvoices(context.Background(), asOf)
			assertSameTables(t, got, err, gold.OpenInvoices(asOf))
		})
		for i, q := range s.featureQueries() {
			// The sale fields ride in the customer match rows' arrays
			// (r_country, r_segment, r_channel) since customer_match.
			if reads := strings.Contains(q, "r_country, r_segment, r_channel"); reads != tc.readSale {
				t.Errorf("%s: query %d reads the sale fields %v, want %v", tc.name, i, reads, tc.readSale)
			}
		}
	}
}
