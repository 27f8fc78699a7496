package features

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"

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
	return sqlImpliedWriteOffs(ctx, q, nil)
}

// SQLImpliedWriteOffsIn is SQLImpliedWriteOffs on the ledger converted to
// fx.To (SQLKPIReportIn's notes, implied from the converted amounts): every
// amount is then in fx.To, as every converted invoice is.
func SQLImpliedWriteOffsIn(ctx context.Context, q chsql.Querier, fx datasets.FX) (ImpliedSummary, error) {
	return sqlImpliedWriteOffs(ctx, q, &fx)
}

func sqlImpliedWriteOffs(ctx context.Context, q chsql.Querier, fx *datasets.FX) (ImpliedSummary, error) {
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
	if fx != nil {
		// kpi_fx_rows reads the records kpi_rows reads, with its
		// parameters; only the notes' kinds matter here.
		d.FX = true
		args = append(args, fxParams(*fx)...)
		args = append(args, sql.Named("disputes_known", b2i(facts.DisputesKnown)), sql.Named("kept", datasets.PromiseKept),
			sql.Named("broken", datasets.PromiseBroken), sql.Named("write_off", datasets.KindWriteOff))
	}
	ctx = chsql.WithSettings(ctx, chsql.Settings{"join_use_nulls": 0})
	type row struct {
		cur         string
		n, credited uint64
		cents       string
	}
	rows, err := onShards(ctx, q, d, "implied_summary", func(ctx context.Context, shard chsql.Querier, text string) ([]row, error) {
		rs, err := shard.Query(ctx, text, args...)
		if err != nil {
			return nil, err
		}
		defer rs.Close()
		var out []row
		for rs.Next() {
			var r row
			if err := rs.Scan(&r.cur, &r.n, &r.credited, &r.cents); err != nil {
				return nil, fmt.Errorf("scan: %w", err)
			}
			out = append(out, r)
		}
		return out, rs.Err()
	})
	if err != nil {
		return out, fmt.Errorf("implied write-offs: %w", err)
	}
	sums := map[string]*datasets.MoneySum{}
	for _, shard := range rows {
		for _, r := range shard {
			if fx != nil {
				r.cur = fx.To // the invoices' currency once converted
			}
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
