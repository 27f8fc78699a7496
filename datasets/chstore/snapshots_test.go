package chstore

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/storetest"
)

func TestSnapshotConformance(t *testing.T) {
	for _, tt := range []struct {
		name string
		open func(testing.TB) (*Store, string)
	}{{"server", openMigrated}, {"cluster", openMigratedCluster}} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == "cluster" {
				clusterDSN(t)
			} else {
				testServer(t)
			}
			storetest.RunSnapshots(t, func(t *testing.T) (datasets.SnapshotStore, func() datasets.SnapshotStore) {
				s, dsn := tt.open(t)
				reopen := func() datasets.SnapshotStore {
					if err := s.Close(); err != nil {
						t.Fatalf("close: %v", err)
					}
					return open(t, dsn)
				}
				return s, reopen
			})
		})
	}
}

// snapshotTotalMigration is the migration that adds the total band to the
// forecast snapshots.
const snapshotTotalMigration = 11

// A store a migration behind the total band (its snapshot rows without
// the total_* columns) gets it from `db migrate`. The snapshots stored
// before, whether by this build before the columns went or by an earlier
// build's insert with its own column list, read back without a band (not
// a band of zeros), their weeks as they were; a snapshot saved after
// keeps its band.
func TestMigrationAddsTheSnapshotTotalBand(t *testing.T) {
	testServer(t)
	ctx := context.Background()
	s, dsn := openMigrated(t)
	asOf, at := datasets.NewDate(2024, 12, 31), time.Date(2025, 1, 2, 9, 30, 0, 0, time.UTC)
	before := storetest.SampleSnapshot("S-before", asOf, 3, at)
	if err := s.PutSnapshot(ctx, before); err != nil {
		t.Fatal(err)
	}
	stmts := []string{"ALTER TABLE forecast_snapshots DROP COLUMN total_kept"}
	for _, part := range []string{"open", "new", "all"} {
		for _, f := range []string{"mean", "p10", "p50", "p90"} {
			stmts = append(stmts, fmt.Sprintf("ALTER TABLE forecast_snapshots DROP COLUMN total_%s_%s", part, f))
		}
	}
	stmts = append(stmts,
		"TRUNCATE TABLE schema_migrations",
		fmt.Sprintf("INSERT INTO schema_migrations (version, name, applied_at) SELECT number + 1, 'before', now() FROM system.numbers LIMIT %d", snapshotTotalMigration-1),
	)
	for _, stmt := range stmts {
		if err := s.Exec(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	// An earlier build's insert: migration 0003's columns, one week.
	batch, err := s.entry.conn.PrepareBatch(ctx, "INSERT INTO forecast_snapshots (snapshot_id, week, as_of, created_at, currency, model, invoices, outstanding, "+
		"week_start, week_end, open_mean, open_p10, open_p50, open_p90, new_mean, new_p10, new_p50, new_p90, version)")
	if err != nil {
		t.Fatal(err)
	}
	dec := func(c int64) decimal.Decimal { return decimal.New(c, -2) }
	if err := batch.Append("S-old", uint16(1), asOf.Time(), at.Add(time.Second), "EUR", "m-0", uint32(7), dec(1234_56),
		asOf.AddDays(1).Time(), asOf.AddDays(7).Time(), dec(100_01), dec(50_00), dec(99_99), dec(150_00),
		dec(3_00), dec(0), dec(1_00), dec(9_00), uint64(1)); err != nil {
		t.Fatal(err)
	}
	if err := batch.Send(); err != nil {
		t.Fatal(err)
	}
	upgraded := open(t, dsn)
	if err := upgraded.CheckSchema(ctx); err == nil {
		t.Fatal("a store a migration behind passes CheckSchema")
	}
	applied, err := upgraded.Migrate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) == 0 || applied[0] != snapshotTotalMigration {
		t.Fatalf("migrate applied %v, want [%d …]", applied, snapshotTotalMigration)
	}
	after := storetest.SampleSnapshot("S-after", asOf, 2, at.Add(2*time.Second))
	if err := upgraded.PutSnapshot(ctx, after); err != nil {
		t.Fatal(err)
	}
	wantBefore := *before
	wantBefore.Total = nil
	wantOld := datasets.ForecastSnapshot{ID: "S-old", AsOf: asOf, CreatedAt: at.Add(time.Second), Currency: "EUR", Model: "m-0",
		Invoices: 7, Outstanding: 1234_56, Weeks: []datasets.SnapshotWeek{{Start: asOf.AddDays(1), End: asOf.AddDays(7),
			Open: datasets.SnapshotBand{Mean: 100_01, P10: 50_00, P50: 99_99, P90: 150_00}, New: datasets.SnapshotBand{Mean: 3_00, P50: 1_00, P90: 9_00}}}}
	all, err := upgraded.Snapshots(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []datasets.ForecastSnapshot{wantBefore, wantOld, *after}
	if !reflect.DeepEqual(all, want) {
		t.Fatalf("snapshots after the migration:\n got  %+v\n want %+v", all, want)
	}
}
