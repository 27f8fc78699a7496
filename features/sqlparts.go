package features

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/dsopilot/dsopilot/datasets/chstore/chsql"
)

// boundName names the query parameter of the lowest customer id of part
// k (k ≥ 1) of the summary: split<k>.
func boundName(k int) string { return fmt.Sprintf("split%d", k) }

// partSample is 1 in how many customers partBounds samples.
const partSample = 16

// partBounds returns the query parameters (boundName) that split the
// customers of the invoice match in q's database into parts ranges of
// their ids with about as many match rows each: customer_ledger_parts
// reads part k's customers as a range of the match's leading key, so that
// each part reads only its own granules. The bounds are picked from a
// sample of the customers (1 in partSample, by a hash of the id) weighted
// by their rows, without FINAL: they only balance the parts. Any bounds
// give the same features, since the ranges, from "" up, cover every id
// once whatever they are (equal bounds make an empty part).
func partBounds(ctx context.Context, q chsql.Querier, parts int) ([]any, error) {
	if parts < 2 {
		return nil, nil
	}
	db := ""
	if q.Database() != "" {
		db = quoteIdentifier(q.Database()) + "."
	}
	rows, err := q.Query(ctx, fmt.Sprintf("SELECT customer_id, count() FROM %sinvoice_match WHERE cityHash64(customer_id) %% %d = 0 GROUP BY customer_id ORDER BY customer_id", db, partSample))
	if err != nil {
		return nil, fmt.Errorf("split the customers in %d parts: %w", parts, err)
	}
	defer rows.Close()
	type sample struct {
		id   string
		rows uint64
	}
	var (
		samples []sample
		total   uint64
	)
	for rows.Next() {
		var s sample
		if err := rows.Scan(&s.id, &s.rows); err != nil {
			return nil, fmt.Errorf("split the customers in %d parts: %w", parts, err)
		}
		samples = append(samples, s)
		total += s.rows
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("split the customers in %d parts: %w", parts, err)
	}
	// Part k starts at the first sampled customer with at least k/parts
	// of the sampled rows before it (or the last one), at "" without
	// samples (every part empty but the last).
	args := make([]any, 0, parts-1)
	var before uint64
	i := 0
	for k := 1; k < parts; k++ {
		for i < len(samples) && before*uint64(parts) < total*uint64(k) {
			before += samples[i].rows
			i++
		}
		bound := ""
		if len(samples) > 0 {
			bound = samples[min(i, len(samples)-1)].id
		}
		args = append(args, sql.Named(boundName(k), bound))
	}
	return args, nil
}
