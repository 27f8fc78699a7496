package embedded

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	bolt "go.etcd.io/bbolt"

	"github.com/dsopilot/dsopilot/datasets"
)

// snapshotBucket holds saved forecasts keyed by snapshot id. It is created
// by the first PutSnapshot, so stores written by earlier builds need no
// migration: a store without it simply has no snapshots. Fields added to
// a snapshot since (its rates, its total band) are absent from the JSON of
// records written before and decode as nil, which the comparison reads as
// not kept: such records need no migration either.
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
		v, err := encodeSnapshot(snap)
		if err != nil {
			return err
		}
		return b.Put([]byte(snap.ID), v)
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

// encodeSnapshot stores a snapshot as JSON, as the credit events are: a
// snapshot is written once a week or so, so size and speed do not matter,
// and JSON keeps every field exact (money is integer cents, dates are
// ISO strings).
func encodeSnapshot(s *datasets.ForecastSnapshot) ([]byte, error) { return json.Marshal(s) }

func decodeSnapshot(b []byte) (datasets.ForecastSnapshot, error) {
	var s datasets.ForecastSnapshot
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("%w: %v", errShortRecord, err)
	}
	if len(s.Weeks) > datasets.MaxSnapshotWeeks {
		return s, fmt.Errorf("%w: %d weeks", errShortRecord, len(s.Weeks))
	}
	return s, nil
}
