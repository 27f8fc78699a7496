package chstore

import (
	"context"
	_ "embed"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/dsopilot/dsopilot/datasets"
)

//go:embed queries/insert_snapshot.sql
var insertSnapshotSQL string

//go:embed queries/select_snapshots.sql
var selectSnapshotsSQL string

//go:embed queries/insert_snapshot_rates.sql
var insertSnapshotRatesSQL string

//go:embed queries/select_snapshot_rates.sql
var selectSnapshotRatesSQL string

var _ datasets.SnapshotStore = (*Store)(nil)

// PutSnapshot saves s, one row per week, all with one new version, so
// that readers see either the whole new snapshot or the old one; its total
// band repeats on each row (migration 0011). Its
// rates go first, with the same version (migration 0006): weeks whose
// rates failed to arrive would read as a snapshot that kept none.
func (s *Store) PutSnapshot(ctx context.Context, snap *datasets.ForecastSnapshot) error {
	if err := snap.Validate(); err != nil {
		return err
	}
	money := []datasets.Money{snap.Outstanding}
	for _, w := range snap.Weeks {
		money = append(money, w.Open.Mean, w.Open.P10, w.Open.P50, w.Open.P90, w.New.Mean, w.New.P10, w.New.P50, w.New.P90)
	}
	// The total band (migration 0011): zeros with total_kept 0 when the
	// snapshot has none.
	var kept uint8
	var total datasets.SnapshotTotal
	if snap.Total != nil {
		kept, total = 1, *snap.Total
	}
	totals := []datasets.Money{total.Open.Mean, total.Open.P10, total.Open.P50, total.Open.P90,
		total.New.Mean, total.New.P10, total.New.P50, total.New.P90,
		total.All.Mean, total.All.P10, total.All.P50, total.All.P90}
	money = append(money, totals...)
	for _, m := range money {
		if m > maxMoney || m < -maxMoney {
			return fmt.Errorf("forecast snapshot %s: %w: amount %v exceeds Decimal(18, 2)", snap.ID, datasets.ErrInvalid, m)
		}
	}
	if err := s.ensureSchema(ctx); err != nil {
		return err
	}
	version := s.reserveVersions(1)
	// On a cluster, straight to the shard the Distributed table would send
	// the snapshot to (sharded by snapshot_id), as every other write.
	n := s.nodeOf(snap.ID)
	if err := s.putSnapshotRates(ctx, n, snap, version); err != nil {
		return err
	}
	batch, err := n.conn.PrepareBatch(ctx, strings.ReplaceAll(insertSnapshotSQL, "{db}", s.cfg.LocalDatabase()))
	if err != nil {
		return fmt.Errorf("prepare forecast snapshot batch%s: %w", s.on(n), err)
	}
	defer batch.Close()
	dec := func(m datasets.Money) decimal.Decimal { return decimal.New(int64(m), -datasets.MoneyScale) }
	row := make([]any, 0, 19+len(totals)+1)
	for k, w := range snap.Weeks {
		row = append(row[:0], snap.ID, uint16(k+1), snap.AsOf.Time(), snap.CreatedAt.UTC().Truncate(time.Second), snap.Currency, snap.Model,
			uint32(snap.Invoices), dec(snap.Outstanding), w.Start.Time(), w.End.Time(),
			dec(w.Open.Mean), dec(w.Open.P10), dec(w.Open.P50), dec(w.Open.P90),
			dec(w.New.Mean), dec(w.New.P10), dec(w.New.P50), dec(w.New.P90), kept)
		for _, m := range totals {
			row = append(row, dec(m))
		}
		if err := batch.Append(append(row, version)...); err != nil {
			return fmt.Errorf("append forecast snapshot %s week %d: %w", snap.ID, k+1, err)
		}
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("send forecast snapshot %s%s: %w", snap.ID, s.on(n), err)
	}
	return nil
}

// putSnapshotRates writes the rates of snap, when it has any, to node n
// with version: one row per currency, and one for the reporting currency
// itself at 1, which marks a snapshot that kept its rates even when it
// needed no other (see migration 0006).
func (s *Store) putSnapshotRates(ctx context.Context, n *node, snap *datasets.ForecastSnapshot, version uint64) error {
	if snap.FX == nil {
		return nil
	}
	batch, err := n.conn.PrepareBatch(ctx, strings.ReplaceAll(insertSnapshotRatesSQL, "{db}", s.cfg.LocalDatabase()))
	if err != nil {
		return fmt.Errorf("prepare forecast snapshot rates batch%s: %w", s.on(n), err)
	}
	defer batch.Close()
	rates := map[string]datasets.Rate{snap.FX.To: 1_000_000_000}
	for c, r := range snap.FX.Rates {
		if c != snap.FX.To {
			rates[c] = r
		}
	}
	for _, c := range slices.Sorted(maps.Keys(rates)) {
		if err := batch.Append(snap.ID, c, decimal.New(int64(rates[c]), -9), snap.FX.To, version); err != nil {
			return fmt.Errorf("append forecast snapshot %s rate of %s: %w", snap.ID, c, err)
		}
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("send forecast snapshot %s rates%s: %w", snap.ID, s.on(n), err)
	}
	return nil
}

// Snapshot returns the snapshot id.
func (s *Store) Snapshot(ctx context.Context, id string) (*datasets.ForecastSnapshot, error) {
	if id == "" {
		return nil, fmt.Errorf("forecast snapshot %q: %w", id, datasets.ErrNotFound)
	}
	out, err := s.snapshots(ctx, id)
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("forecast snapshot %q: %w", id, datasets.ErrNotFound)
	}
	return &out[0], nil
}

// Snapshots returns every snapshot, oldest first.
func (s *Store) Snapshots(ctx context.Context) ([]datasets.ForecastSnapshot, error) {
	return s.snapshots(ctx, "")
}

// snapshots reads the snapshot id, or all when id is empty.
func (s *Store) snapshots(ctx context.Context, id string) ([]datasets.ForecastSnapshot, error) {
	if err := s.ensureSchema(ctx); err != nil {
		return nil, err
	}
	rows, err := s.entry.conn.Query(ctx, selectSnapshotsSQL, id, id)
	if err != nil {
		return nil, fmt.Errorf("query forecast snapshots: %w", err)
	}
	defer rows.Close()
	var out []datasets.ForecastSnapshot
	for rows.Next() {
		var (
			sid, cur, model   string
			week              uint16
			asOf, created     time.Time
			start, end        time.Time
			invoices          uint32
			outstanding       decimal.Decimal
			om, o10, o50, o90 decimal.Decimal
			nm, n10, n50, n90 decimal.Decimal
			kept              uint8
			tot               [12]decimal.Decimal // open, new, all: mean, P10, P50, P90
		)
		dest := []any{&sid, &week, &asOf, &created, &cur, &model, &invoices, &outstanding, &start, &end,
			&om, &o10, &o50, &o90, &nm, &n10, &n50, &n90, &kept}
		for i := range tot {
			dest = append(dest, &tot[i])
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("scan forecast snapshot: %w", err)
		}
		if len(out) == 0 || out[len(out)-1].ID != sid {
			out = append(out, datasets.ForecastSnapshot{ID: sid, AsOf: datasets.DateOf(asOf), CreatedAt: created.UTC(),
				Currency: cur, Model: model, Invoices: int(invoices), Outstanding: cents(outstanding)})
			// A snapshot saved before migration 0011 reads total_kept 0
			// and zeros: no band, not a band of zeros.
			if kept != 0 {
				band := func(i int) datasets.SnapshotBand {
					return datasets.SnapshotBand{Mean: cents(tot[i]), P10: cents(tot[i+1]), P50: cents(tot[i+2]), P90: cents(tot[i+3])}
				}
				out[len(out)-1].Total = &datasets.SnapshotTotal{Open: band(0), New: band(4), All: band(8)}
			}
		}
		snap := &out[len(out)-1]
		snap.Weeks = append(snap.Weeks, datasets.SnapshotWeek{Start: datasets.DateOf(start), End: datasets.DateOf(end),
			Open: datasets.SnapshotBand{Mean: cents(om), P10: cents(o10), P50: cents(o50), P90: cents(o90)},
			New:  datasets.SnapshotBand{Mean: cents(nm), P10: cents(n10), P50: cents(n50), P90: cents(n90)}})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read forecast snapshots: %w", err)
	}
	if len(out) == 0 {
		return out, nil
	}
	fxs, err := s.snapshotRates(ctx, id)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].FX = fxs[out[i].ID]
	}
	return out, nil
}

// snapshotRates reads the rates of the snapshot id (all when empty), by
// snapshot id; a snapshot saved without rates has none.
func (s *Store) snapshotRates(ctx context.Context, id string) (map[string]*datasets.FX, error) {
	rows, err := s.entry.conn.Query(ctx, selectSnapshotRatesSQL, id, id)
	if err != nil {
		return nil, fmt.Errorf("query forecast snapshot rates: %w", err)
	}
	defer rows.Close()
	out := map[string]*datasets.FX{}
	for rows.Next() {
		var (
			sid, cur, to string
			rate         decimal.Decimal
		)
		if err := rows.Scan(&sid, &cur, &rate, &to); err != nil {
			return nil, fmt.Errorf("scan forecast snapshot rate: %w", err)
		}
		fx := out[sid]
		if fx == nil {
			fx = &datasets.FX{To: to}
			out[sid] = fx
		}
		if fx.To != to {
			return nil, fmt.Errorf("forecast snapshot %s has rates to both %s and %s", sid, fx.To, to)
		}
		if cur == to {
			continue // the marker: the reporting currency itself, at 1
		}
		r := rate.Shift(9)
		if !r.IsInteger() || !r.IsPositive() || !r.BigInt().IsInt64() {
			return nil, fmt.Errorf("forecast snapshot %s: rate of %s is %s, not a positive rate in billionths", sid, cur, rate)
		}
		if fx.Rates == nil {
			fx.Rates = map[string]datasets.Rate{}
		}
		fx.Rates[cur] = datasets.Rate(r.IntPart())
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read forecast snapshot rates: %w", err)
	}
	return out, nil
}
