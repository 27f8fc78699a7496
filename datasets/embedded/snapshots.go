package embedded

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/dsopilot/dsopilot/datasets"
)

// snapshotBucket holds saved forecasts keyed by snapshot id. It is created
// by the first PutSnapshot, so stores written by earlier builds need no
// migration: a store without it simply has no snapshots.
const snapshotBucket = "forecast_snapshots"

var _ datasets.SnapshotStore = (*Store)(nil)

// PutSnapshot saves s in one transaction, replacing a snapshot with the
// same id.
func (s *Store) PutSnapshot(ctx context.Context, snap *datasets.ForecastSnapshot) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := snap.Validate(); err != nil {
		return err
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists([]byte(snapshotBucket))
		if err != nil {
			return err
		}
		return b.Put([]byte(snap.ID), encodeSnapshot(nil, snap))
	})
	if err != nil {
		return fmt.Errorf("put forecast snapshot %s: %w", snap.ID, err)
	}
	return nil
}

// Snapshot returns the snapshot id.
func (s *Store) Snapshot(ctx context.Context, id string) (*datasets.ForecastSnapshot, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out *datasets.ForecastSnapshot
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(snapshotBucket))
		var v []byte
		if b != nil {
			v = b.Get([]byte(id))
		}
		if v == nil {
			return fmt.Errorf("forecast snapshot %q: %w", id, datasets.ErrNotFound)
		}
		snap, err := decodeSnapshot(v)
		out = &snap
		return err
	})
	if err != nil {
		if errors.Is(err, datasets.ErrNotFound) {
			return nil, err
		}
		return nil, fmt.Errorf("read forecast snapshot %s: %w", id, err)
	}
	return out, nil
}

// Snapshots returns every snapshot, oldest first.
func (s *Store) Snapshots(ctx context.Context) ([]datasets.ForecastSnapshot, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []datasets.ForecastSnapshot
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(snapshotBucket))
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			snap, err := decodeSnapshot(v)
			if err != nil {
				return fmt.Errorf("decode forecast snapshot %q: %w", k, err)
			}
			out = append(out, snap)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("read forecast snapshots: %w", err)
	}
	slices.SortFunc(out, func(a, b datasets.ForecastSnapshot) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

func encodeSnapshot(buf []byte, s *datasets.ForecastSnapshot) []byte {
	e := start(buf)
	e.str(s.ID)
	e.date(s.AsOf)
	e.int(s.CreatedAt.Unix())
	e.str(s.Currency)
	e.str(s.Model)
	e.int(int64(s.Invoices))
	e.money(s.Outstanding)
	e.int(int64(len(s.Weeks)))
	for _, w := range s.Weeks {
		e.date(w.Start)
		e.date(w.End)
		for _, b := range []datasets.SnapshotBand{w.Open, w.New} {
			e.money(b.Mean)
			e.money(b.P10)
			e.money(b.P50)
			e.money(b.P90)
		}
	}
	return e.b
}

func decodeSnapshot(b []byte) (datasets.ForecastSnapshot, error) {
	d := newDecoder(b)
	s := datasets.ForecastSnapshot{ID: d.str(), AsOf: d.date(), CreatedAt: time.Unix(d.int(), 0).UTC(), Currency: d.str(),
		Model: d.str(), Invoices: int(d.int()), Outstanding: d.money()}
	n := d.int()
	if n < 0 || n > datasets.MaxSnapshotWeeks {
		return s, fmt.Errorf("%w: %d weeks", errShortRecord, n)
	}
	band := func() datasets.SnapshotBand {
		return datasets.SnapshotBand{Mean: d.money(), P10: d.money(), P50: d.money(), P90: d.money()}
	}
	for range n {
		w := datasets.SnapshotWeek{Start: d.date(), End: d.date()}
		w.Open = band()
		w.New = band()
		s.Weeks = append(s.Weeks, w)
	}
	return s, d.err
}
