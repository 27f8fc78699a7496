package features

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"sync"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/chstore/chsql"
)

// ImpliedSummary sums the credit notes a ledger's settlements imply
// (datasets.ImpliedWriteOffs): how many invoices get one, how many of
// those are dispute credits (the invoice flagged disputed) rather than
// write-offs, and the amounts by currency (the invoice's, else its
// customer's). TooLarge names the currencies whose sum does not fit a
// Money (absent from Amounts).
type ImpliedSummary struct {
	Invoices, Credited int
	Amounts            map[string]datasets.Money
	TooLarge           []string
}

// SQLImpliedWriteOffs is the ImpliedSummary of the ledger in q's database,
// computed in ClickHouse by the same SQL the KPIs imply the notes with
// (kpi.sql's kpi_implied), on each shard over its own customers: what the
// SQL KPI engine took as written off, for the user to be told.
func SQLImpliedWriteOffs(ctx context.Context, q chsql.Querier) (ImpliedSummary, error) {
	out := ImpliedSummary{Amounts: map[string]datasets.Money{}}
	facts, err := ledgerFacts(ctx, q, false)
	if err != nil {
		return out, fmt.Errorf("implied write-offs: %w", err)
	}
	if !facts.PaymentsKnown {
		return out, nil // none are implied without payments
	}
	d := kpiSQLData{}
	if q.Database() != "" {
		d.AllDB = quoteIdentifier(q.Database()) + "."
	}
	args := []any{sql.Named("to", int32(datasets.MaxDate)), sql.Named("payments_known", 1)}
	ctx = chsql.WithSettings(ctx, chsql.Settings{"join_use_nulls": 0})
	shards := q.Shards()
	type row struct {
		cur         string
		n, credited uint64
		cents       string
	}
	rows := make([][]row, len(shards))
	errs := make([]error, len(shards))
	var wg sync.WaitGroup
	for i, shard := range shards {
		dd := d
		if shard.Database() != "" {
			dd.DB = quoteIdentifier(shard.Database()) + "."
		}
		text, err := renderSQL("implied_summary", dd)
		if err != nil {
			return out, err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			rs, err := shard.Query(ctx, text, args...)
			if err != nil {
				errs[i] = err
				return
			}
			defer rs.Close()
			for rs.Next() {
				var r row
				if err := rs.Scan(&r.cur, &r.n, &r.credited, &r.cents); err != nil {
					errs[i] = fmt.Errorf("scan implied write-offs: %w", err)
					return
				}
				rows[i] = append(rows[i], r)
			}
			errs[i] = rs.Err()
		}()
	}
	wg.Wait()
	sums := map[string]*datasets.MoneySum{}
	for i := range shards {
		if errs[i] != nil {
			return out, fmt.Errorf("implied write-offs: shard %d: %w", i+1, errs[i])
		}
		for _, r := range rows[i] {
			out.Invoices += int(r.n)
			out.Credited += int(r.credited)
			if sums[r.cur] == nil {
				sums[r.cur] = &datasets.MoneySum{}
			}
			v, err := strconv.ParseInt(r.cents, 10, 64)
			if err != nil {
				// Decimal128 text is digits: only a sum beyond int64 fails.
				sums[r.cur].Add(datasets.Money(math.MaxInt64))
				v = 1
			}
			sums[r.cur].Add(datasets.Money(v))
		}
	}
	for _, c := range slices.Sorted(maps.Keys(sums)) {
		t, err := sums[c].Total()
		if err != nil {
			out.TooLarge = append(out.TooLarge, c)
			continue
		}
		out.Amounts[c] = t
	}
	return out, nil
}
