package features

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"sync"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/chstore/chsql"
)

// kpiMoneySums and kpiCountSums name the columns of kpi.sql, per period
// (flows) or bound (aging0..4, unapplied_cash, unapplied_credits, overpaid), in the order sqlAcc reads them; the
// sales histogram follows as months and amounts.
var (
	kpiMoneySums = []string{"invoiced", "collected", "pay_amount", "pay_weighted", "rec_base", "recovered",
		"aging0", "aging1", "aging2", "aging3", "aging4", "unapplied_cash", "unapplied_credits", "overpaid"}
	kpiCountSums = []string{"issued", "issued_disputed", "settled", "late", "pay_days",
		"disputes_opened", "resolved", "resolution_days", "kept", "broken", "written_off"}
)

// kpiSQLData is the template data of kpi.sql.
type kpiSQLData struct {
	DB, AllDB     string
	Attr          string
	CustomerOnly  bool // Attr is the customer master's alone
	ByCustomer    bool
	FX            bool // amounts converted to one currency (kpi_fx.sql)
	Buckets       []int
	Money, Counts []string
}

// SQLKPIReport computes the KPIs of [from, to] with o over the ledger in
// q's database, as ComputeKPIsWith does over an index of the same ledger:
// tests hold the two reports equal. The sums that read the ledger run in
// ClickHouse (kpi.sql), on each shard over its own customers (q.Shards():
// the tables are sharded by customer, and every KPI is a sum over
// customers), and only the per-group sums come back; they are added here,
// which is the only merge across shards, and turned into KPIs by the same
// code as the Go engine's. A ledger larger than memory is reported on
// without leaving the database: what comes back is one row per group (per
// customer with By "customer").
//
// Amounts are in the ledger's own units; SQLKPIReportIn converts them.
func SQLKPIReport(ctx context.Context, q chsql.Querier, from, to datasets.Date, o KPIOptions) (*KPIReport, error) {
	return sqlKPIReport(ctx, q, from, to, o, nil)
}

// SQLKPIReportIn is SQLKPIReport with every amount converted to fx.To
// first, as the Go engine reports on l.Convert(fx): each record converted
// in the database (kpi_fx.sql), then the write-offs implied from the
// converted amounts, then summed. The caller makes sure first that every
// currency has a rate (SQLRatesCover): an amount in a currency without
// one would be taken as zero. Report.Currency is left to the caller, as
// for the Go engine.
func SQLKPIReportIn(ctx context.Context, q chsql.Querier, from, to datasets.Date, o KPIOptions, fx datasets.FX) (*KPIReport, error) {
	return sqlKPIReport(ctx, q, from, to, o, &fx)
}

func sqlKPIReport(ctx context.Context, q chsql.Querier, from, to datasets.Date, o KPIOptions, fx *datasets.FX) (*KPIReport, error) {
	if q == nil {
		return nil, errors.New("kpi: no database to query")
	}
	if _, err := NewKPIRun(from, to, o, LedgerFacts{}); err != nil {
		return nil, err
	}
	facts, err := ledgerFacts(ctx, q, false)
	if err != nil {
		return nil, fmt.Errorf("kpi: %w", err)
	}
	r, err := NewKPIRun(from, to, o, facts)
	if err != nil {
		return nil, err
	}
	d := kpiSQLData{Money: kpiMoneySums, Counts: kpiCountSums, Buckets: []int{0, 1, 2, 3, 4}}
	switch o.By {
	case "customer":
		d.ByCustomer = true
	case "segment", "country", "currency":
		d.Attr = o.By
	case "collector":
		d.Attr, d.CustomerOnly = o.By, true
	}
	if q.Database() != "" {
		d.AllDB = quoteIdentifier(q.Database()) + "."
	}
	args := r.p.sqlParams(facts)
	if fx != nil {
		d.FX = true
		args = append(args, fxParams(*fx)...)
	}
	ctx = chsql.WithSettings(ctx, chsql.Settings{"join_use_nulls": 0})
	// The shards sum their customers at the same time; their sums are
	// added in shard order, so that the report does not depend on which
	// answered first.
	sums, err := onShards(ctx, q, d, "kpi", func(ctx context.Context, shard chsql.Querier, text string) ([]sqlGroupSums, error) {
		return r.p.querySums(ctx, shard, text, args)
	})
	if err != nil {
		return nil, fmt.Errorf("kpi %s..%s: %w", from, to, err)
	}
	for _, shard := range sums {
		for _, g := range shard {
			if err := r.addGroup(g.key, g.acc); err != nil {
				return nil, err
			}
		}
	}
	return r.Report()
}

// sqlGroupSums are one group's sums from one shard.
type sqlGroupSums struct {
	key string
	acc *kpiAcc
}

// sqlParams binds kpi.sql's parameters for plan p.
func (p *kpiPlan) sqlParams(facts LedgerFacts) []any {
	days := func(ds []datasets.Date) []int32 {
		out := make([]int32, len(ds))
		for i, d := range ds {
			out[i] = int32(d)
		}
		return out
	}
	var pfrom, pto, popen, pclose []int32
	for _, per := range p.periods {
		pfrom, pto = append(pfrom, int32(per.from)), append(pto, int32(per.to))
		popen, pclose = append(popen, int32(per.open)), append(pclose, int32(per.close))
	}
	return []any{
		sql.Named("to", int32(p.to)),
		sql.Named("bounds", days(p.bounds)),
		sql.Named("pfrom", pfrom),
		sql.Named("pto", pto),
		sql.Named("popen", popen),
		sql.Named("pclose", pclose),
		sql.Named("hist_start", int32(p.histStart[0])),
		sql.Named("hist_base", int32(p.histBase)),
		sql.Named("disputes_known", b2i(facts.DisputesKnown)),
		sql.Named("payments_known", b2i(facts.PaymentsKnown)),
		sql.Named("kept", datasets.PromiseKept),
		sql.Named("broken", datasets.PromiseBroken),
		sql.Named("write_off", datasets.KindWriteOff),
	}
}

// querySums runs kpi.sql (text) on one shard and returns its groups' sums.
func (p *kpiPlan) querySums(ctx context.Context, q chsql.Querier, text string, args []any) ([]sqlGroupSums, error) {
	rows, err := q.Query(ctx, text, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var (
		key    string
		inputs uint64 // lambda_inputs, not a sum
	)
	money := make([][]string, len(kpiMoneySums))
	counts := make([][]int64, len(kpiCountSums))
	var histMonths []uint32
	var hist []string
	dest := []any{&key, &inputs}
	for i := range money {
		dest = append(dest, &money[i])
	}
	for i := range counts {
		dest = append(dest, &counts[i])
	}
	dest = append(dest, &histMonths, &hist)
	var out []sqlGroupSums
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("scan KPI sums: %w", err)
		}
		a, err := p.sqlAcc(money, counts, histMonths, hist)
		if err != nil {
			return nil, fmt.Errorf("group %q: %w", key, err)
		}
		out = append(out, sqlGroupSums{key, a})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read KPI sums: %w", err)
	}
	return out, nil
}

// sqlAcc fills an accumulator from one row of kpi.sql: money and counts
// hold its columns in kpiMoneySums and kpiCountSums order. A money sum
// that does not fit a Money marks the accumulator overflowed, as the Go
// engine's additions do.
func (p *kpiPlan) sqlAcc(money [][]string, counts [][]int64, histMonths []uint32, hist []string) (*kpiAcc, error) {
	a := p.newAcc()
	if len(histMonths) != len(hist) {
		return nil, fmt.Errorf("sales histogram: %d months, %d amounts", len(histMonths), len(hist))
	}
	for i, want := range []int{len(p.periods), len(p.periods), len(p.periods), len(p.periods), len(p.periods), len(p.periods),
		len(p.bounds), len(p.bounds), len(p.bounds), len(p.bounds), len(p.bounds), len(p.bounds), len(p.bounds), len(p.bounds)} {
		if len(money[i]) != want {
			return nil, fmt.Errorf("%s: %d sums, want %d", kpiMoneySums[i], len(money[i]), want)
		}
	}
	for i, c := range counts {
		if len(c) != len(p.periods) {
			return nil, fmt.Errorf("%s: %d sums, want %d", kpiCountSums[i], len(c), len(p.periods))
		}
	}
	cents := func(s string) datasets.Money {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			// Decimal128 text is digits: only a sum beyond int64 fails.
			a.overflow = true
		}
		return datasets.Money(v)
	}
	for k := range a.flows {
		f := &a.flows[k]
		f.invoiced = cents(money[0][k])
		f.collected = cents(money[1][k])
		f.payAmount = cents(money[2][k])
		w, err := strconv.ParseFloat(money[3][k], 64)
		if err != nil {
			return nil, fmt.Errorf("pay_weighted %q: %w", money[3][k], err)
		}
		f.payWeighted = w
		f.recBase = cents(money[4][k])
		f.recovered = cents(money[5][k])
		f.issued = int(counts[0][k])
		f.issuedDisputed = int(counts[1][k])
		f.settled = int(counts[2][k])
		f.late = int(counts[3][k])
		f.payDays = counts[4][k]
		f.disputesOpened = int(counts[5][k])
		f.resolved = int(counts[6][k])
		f.resolutionDays = counts[7][k]
		f.kept = int(counts[8][k])
		f.broken = int(counts[9][k])
		f.writtenOff = int(counts[10][k])
	}
	for j := range a.points {
		for q := range a.points[j].aging {
			a.points[j].aging[q] = cents(money[6+q][j])
		}
		a.points[j].unappliedCash = cents(money[11][j])
		a.points[j].unappliedCredits = cents(money[12][j])
		a.points[j].overpaid = cents(money[13][j])
	}
	for i, m := range histMonths {
		if int(m) >= len(a.hist) {
			return nil, fmt.Errorf("sales histogram: month %d of %d", m, len(a.hist))
		}
		a.hist[m] = cents(hist[i])
	}
	return a, nil
}

// addGroup adds the sums a of group key (of one shard's customers, or one
// customer's) to r, as Add does with each customer's accumulators.
func (r *KPIRun) addGroup(key string, a *kpiAcc) error {
	r.total.add(a)
	switch r.o.By {
	case "":
	case "customer":
		if a.active() {
			g, err := r.p.group(key, a)
			if err != nil {
				return err
			}
			r.out = append(r.out, g)
		}
	default:
		g := r.groups[key]
		if g == nil {
			g = r.p.newAcc()
			r.groups[key] = g
		}
		g.add(a)
	}
	return nil
}

// SQLLedgerCurrencies lists the currencies of the amounts of the ledger in
// q's database, sorted, as datasets.Ledger.Currencies does for a loaded
// ledger: more than one means that unconverted totals mix units.
func SQLLedgerCurrencies(ctx context.Context, q chsql.Querier) ([]string, error) {
	if q == nil {
		return nil, errors.New("ledger currencies: no database to query")
	}
	d := kpiSQLData{}
	if q.Database() != "" {
		d.AllDB = quoteIdentifier(q.Database()) + "."
	}
	text, err := renderSQL("kpi_currencies", d)
	if err != nil {
		return nil, err
	}
	rows, err := q.Query(chsql.WithSettings(ctx, chsql.Settings{"join_use_nulls": 0}), text)
	if err != nil {
		return nil, fmt.Errorf("ledger currencies: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, fmt.Errorf("ledger currencies: %w", err)
		}
		if c != "" {
			out = append(out, c)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("ledger currencies: %w", err)
	}
	return out, nil
}

// onShards renders the template name of d for each shard of q (its own
// database in d.DB) and runs fn on every shard at once, each over its own
// customers. The results come in shard order, whichever answered first; an
// error is the first shard's in that order, naming the shard when there
// are several.
func onShards[T any](ctx context.Context, q chsql.Querier, d kpiSQLData, name string, fn func(ctx context.Context, shard chsql.Querier, text string) (T, error)) ([]T, error) {
	shards := q.Shards()
	out := make([]T, len(shards))
	errs := make([]error, len(shards))
	var wg sync.WaitGroup
	for i, shard := range shards {
		dd := d
		if shard.Database() != "" {
			dd.DB = quoteIdentifier(shard.Database()) + "."
		}
		text, err := renderSQL(name, dd)
		if err != nil {
			return nil, err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i], errs[i] = fn(ctx, shard, text)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			if len(shards) == 1 {
				return nil, err
			}
			return nil, fmt.Errorf("shard %d: %w", i+1, err)
		}
	}
	return out, nil
}

// fxParams binds kpi_fx.sql's rates: the currencies of fx, sorted, the
// reporting currency among them at 1, and their rates in billionths.
func fxParams(fx datasets.FX) []any {
	one, _ := fx.Rate(fx.To) // the reporting currency's own: 1
	rates := map[string]int64{fx.To: int64(one)}
	for c, r := range fx.Rates {
		rates[c] = int64(r)
	}
	curs := slices.Sorted(maps.Keys(rates))
	vals := make([]int64, len(curs))
	for i, c := range curs {
		vals[i] = rates[c]
	}
	return []any{sql.Named("fx_currencies", curs), sql.Named("fx_rates", vals)}
}

// SQLRatesCover reports whether fx has a rate for every currency an amount
// of the ledger in q's database can be in (the records' own currencies and
// the customers' masters': Convert's are among them), and lists those
// without one. When it reports false, Convert may still convert the
// ledger (a currency without a rate may be on no amount): the caller
// converts in Go, which names what lacks a rate, or reports.
func SQLRatesCover(ctx context.Context, q chsql.Querier, fx datasets.FX) (bool, []string, error) {
	if q == nil {
		return false, nil, errors.New("rates: no database to query")
	}
	d := kpiSQLData{}
	if q.Database() != "" {
		d.AllDB = quoteIdentifier(q.Database()) + "."
	}
	text, err := renderSQL("fx_currencies", d)
	if err != nil {
		return false, nil, err
	}
	rows, err := q.Query(ctx, text)
	if err != nil {
		return false, nil, fmt.Errorf("the ledger's currencies: %w", err)
	}
	defer rows.Close()
	var missing []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return false, nil, fmt.Errorf("the ledger's currencies: %w", err)
		}
		if _, ok := fx.Rate(c); !ok {
			missing = append(missing, c)
		}
	}
	if err := rows.Err(); err != nil {
		return false, nil, fmt.Errorf("the ledger's currencies: %w", err)
	}
	return len(missing) == 0, missing, nil
}
