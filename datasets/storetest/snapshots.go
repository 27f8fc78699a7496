package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
)

// SnapshotOpener returns a new, empty snapshot store; reopen, when not
// nil, closes it and opens the same data again.
type SnapshotOpener func(t *testing.T) (s datasets.SnapshotStore, reopen func() datasets.SnapshotStore)

// SampleSnapshot returns a snapshot of weeks weeks as of asOf, with
// amounts that exercise zero, negative-free large values and cents, and
// the rates it was made at (a tiny one, a nine-decimal one, a large one).
func SampleSnapshot(id string, asOf datasets.Date, weeks int, created time.Time) *datasets.ForecastSnapshot {
	s := &datasets.ForecastSnapshot{ID: id, AsOf: asOf, CreatedAt: created.UTC().Truncate(time.Second), Currency: "EUR",
		Model: "m-1", Invoices: 4321, Outstanding: 999_999_999_999_99,
		FX: &datasets.FX{To: "EUR", Rates: map[string]datasets.Rate{"JPY": 6_012_345, "USD": 912_345_678, "KWD": 2_987_654_321_987}}}
	for k := range weeks {
		m := datasets.Money(1_000_000*(k+1) + 7)
		s.Weeks = append(s.Weeks, datasets.SnapshotWeek{Start: asOf.AddDays(7*k + 1), End: asOf.AddDays(7*k + 7),
			Open: datasets.SnapshotBand{Mean: m, P10: m - 500_000, P50: m - 1, P90: m + 700_001},
			New:  datasets.SnapshotBand{Mean: datasets.Money(k * 3), P10: 0, P50: datasets.Money(k), P90: datasets.Money(k * 9)}})
	}
	// The total band: the all band's percentiles are not the parts'
	// added (they are of the paths' sums), and the open mean has cents.
	s.Total = &datasets.SnapshotTotal{
		Open: datasets.SnapshotBand{Mean: 123_456_789_01, P10: 100_000_000_00, P50: 120_000_000_99, P90: 150_000_000_00},
		New:  datasets.SnapshotBand{Mean: datasets.Money(weeks * 7), P10: 0, P50: datasets.Money(weeks), P90: datasets.Money(weeks * 20)},
		All:  datasets.SnapshotBand{Mean: 123_456_789_01 + datasets.Money(weeks*7), P10: 100_000_000_05, P50: 120_000_001_00, P90: 150_000_000_37},
	}
	return s
}

// RunSnapshots runs the conformance suite of datasets.SnapshotStore.
func RunSnapshots(t *testing.T, open SnapshotOpener) {
	t.Helper()
	ctx := context.Background()
	asOf := datasets.NewDate(2024, 12, 31)
	t0 := time.Date(2025, 1, 2, 9, 30, 0, 0, time.UTC)

	t.Run("RoundTripsEveryField", func(t *testing.T) {
		s, _ := open(t)
		want := SampleSnapshot("S1", asOf, 13, t0)
		if err := s.PutSnapshot(ctx, want); err != nil {
			t.Fatalf("put: %v", err)
		}
		got, err := s.Snapshot(ctx, "S1")
		if err != nil {
			t.Fatalf("get: %v", err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("snapshot round trip:\n got  %+v\n want %+v", got, want)
		}
	})

	t.Run("MissingIsNotFound", func(t *testing.T) {
		s, _ := open(t)
		if _, err := s.Snapshot(ctx, "nope"); !errors.Is(err, datasets.ErrNotFound) {
			t.Fatalf("missing snapshot: err = %v, want ErrNotFound", err)
		}
		all, err := s.Snapshots(ctx)
		if err != nil || len(all) != 0 {
			t.Fatalf("snapshots of an empty store = %d, %v", len(all), err)
		}
	})

	t.Run("ListedOldestFirst", func(t *testing.T) {
		s, _ := open(t)
		// Written out of order: the list follows creation time, then id.
		for i, c := range []struct {
			id string
			at time.Duration
		}{{"S3", 2 * time.Hour}, {"S1", 0}, {"S2b", time.Hour}, {"S2a", time.Hour}} {
			if err := s.PutSnapshot(ctx, SampleSnapshot(c.id, asOf.AddDays(i), 4, t0.Add(c.at))); err != nil {
				t.Fatalf("put %s: %v", c.id, err)
			}
		}
		all, err := s.Snapshots(ctx)
		if err != nil {
			t.Fatalf("list: %v", err)
		}
		var ids []string
		for _, x := range all {
			ids = append(ids, x.ID)
			if len(x.Weeks) != 4 {
				t.Errorf("snapshot %s has %d weeks, want 4", x.ID, len(x.Weeks))
			}
		}
		if want := []string{"S1", "S2a", "S2b", "S3"}; !reflect.DeepEqual(ids, want) {
			t.Fatalf("snapshots listed %v, want %v", ids, want)
		}
	})

	t.Run("SavingAgainReplacesEveryWeek", func(t *testing.T) {
		s, _ := open(t)
		if err := s.PutSnapshot(ctx, SampleSnapshot("S1", asOf, 13, t0)); err != nil {
			t.Fatalf("put: %v", err)
		}
		// The same id again with fewer weeks and new amounts: no week of
		// the first version may remain.
		want := SampleSnapshot("S1", asOf, 6, t0.Add(time.Minute))
		want.Weeks[0].Open.P50 = 42
		if err := s.PutSnapshot(ctx, want); err != nil {
			t.Fatalf("put again: %v", err)
		}
		got, err := s.Snapshot(ctx, "S1")
		if err != nil {
			t.Fatalf("get: %v", err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("snapshot after saving again:\n got  %+v\n want %+v", got, want)
		}
	})

	t.Run("RatesKeptAsSaved", func(t *testing.T) {
		// Without rates (saved before snapshots kept them, or not
		// converted), with the reporting currency's only (a ledger all in
		// it), and with rates of a save replaced by the next one's.
		s, _ := open(t)
		none := SampleSnapshot("S-none", asOf, 2, t0)
		none.FX = nil
		own := SampleSnapshot("S-own", asOf, 2, t0.Add(time.Second))
		own.FX = &datasets.FX{To: "EUR"}
		resaved := SampleSnapshot("S-resaved", asOf, 2, t0.Add(2*time.Second))
		if err := s.PutSnapshot(ctx, resaved); err != nil {
			t.Fatalf("put: %v", err)
		}
		resaved = SampleSnapshot("S-resaved", asOf, 2, t0.Add(2*time.Second))
		resaved.FX.Rates = map[string]datasets.Rate{"USD": 900_000_000}
		want := []datasets.ForecastSnapshot{*none, *own, *resaved}
		for i := range want {
			if err := s.PutSnapshot(ctx, &want[i]); err != nil {
				t.Fatalf("put %s: %v", want[i].ID, err)
			}
		}
		for i := range want {
			got, err := s.Snapshot(ctx, want[i].ID)
			if err != nil {
				t.Fatalf("get %s: %v", want[i].ID, err)
			}
			if !reflect.DeepEqual(got.FX, want[i].FX) {
				t.Errorf("%s: rates %+v, want %+v", want[i].ID, got.FX, want[i].FX)
			}
		}
		all, err := s.Snapshots(ctx)
		if err != nil {
			t.Fatalf("list: %v", err)
		}
		if !reflect.DeepEqual(all, want) {
			t.Fatalf("listed:\n got  %+v\n want %+v", all, want)
		}
	})

	t.Run("TotalBandKeptOrNot", func(t *testing.T) {
		// A snapshot without a total band (saved before snapshots kept
		// one) reads back without one, not with a band of zeros; one with
		// a band of zeros keeps it; saving again without a band drops the
		// earlier save's.
		s, _ := open(t)
		none := SampleSnapshot("S-none", asOf, 3, t0)
		none.Total = nil
		zeros := SampleSnapshot("S-zeros", asOf, 3, t0.Add(time.Second))
		zeros.Total = &datasets.SnapshotTotal{}
		dropped := SampleSnapshot("S-dropped", asOf, 3, t0.Add(2*time.Second))
		if err := s.PutSnapshot(ctx, dropped); err != nil {
			t.Fatalf("put: %v", err)
		}
		dropped = SampleSnapshot("S-dropped", asOf, 3, t0.Add(2*time.Second))
		dropped.Total = nil
		want := []*datasets.ForecastSnapshot{none, zeros, dropped}
		for _, w := range want {
			if err := s.PutSnapshot(ctx, w); err != nil {
				t.Fatalf("put %s: %v", w.ID, err)
			}
		}
		for _, w := range want {
			got, err := s.Snapshot(ctx, w.ID)
			if err != nil {
				t.Fatalf("get %s: %v", w.ID, err)
			}
			if !reflect.DeepEqual(got.Total, w.Total) {
				t.Errorf("%s: total band %+v, want %+v", w.ID, got.Total, w.Total)
			}
		}
	})

	t.Run("InvalidIsRefused", func(t *testing.T) {
		s, _ := open(t)
		bad := map[string]*datasets.ForecastSnapshot{
			"no id":    SampleSnapshot("", asOf, 2, t0),
			"no weeks": SampleSnapshot("S", asOf, 0, t0),
		}
		shifted := SampleSnapshot("S", asOf, 2, t0)
		shifted.Weeks[1].Start++
		bad["weeks not consecutive"] = shifted
		elsewhere := SampleSnapshot("S", asOf, 2, t0)
		elsewhere.FX.To = "USD"
		bad["rates to another currency"] = elsewhere
		zero := SampleSnapshot("S", asOf, 2, t0)
		zero.FX.Rates["GBP"] = 0
		bad["a zero rate"] = zero
		crossed := SampleSnapshot("S", asOf, 2, t0)
		crossed.Total.All.P10 = crossed.Total.All.P90 + 1
		bad["a total band whose P10 is above its P90"] = crossed
		for name, snap := range bad {
			if err := s.PutSnapshot(ctx, snap); !errors.Is(err, datasets.ErrInvalid) {
				t.Errorf("%s: err = %v, want ErrInvalid", name, err)
			}
		}
		if all, err := s.Snapshots(ctx); err != nil || len(all) != 0 {
			t.Fatalf("after refused puts: %d snapshots, %v", len(all), err)
		}
	})

	t.Run("SurvivesReopen", func(t *testing.T) {
		s, reopen := open(t)
		if reopen == nil {
			t.Skip("store has no reopen")
		}
		var want []datasets.ForecastSnapshot
		for i := range 3 {
			snap := SampleSnapshot(fmt.Sprintf("S%d", i), asOf.AddDays(7*i), 13, t0.Add(time.Duration(i)*time.Second))
			if err := s.PutSnapshot(ctx, snap); err != nil {
				t.Fatalf("put: %v", err)
			}
			want = append(want, *snap)
		}
		got, err := reopen().Snapshots(ctx)
		if err != nil {
			t.Fatalf("list after reopen: %v", err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("after reopen:\n got  %+v\n want %+v", got, want)
		}
	})
}
