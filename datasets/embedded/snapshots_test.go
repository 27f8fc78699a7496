package embedded

import (
	"context"
	"reflect"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/storetest"
)

func TestSnapshotConformance(t *testing.T) {
	storetest.RunSnapshots(t, func(t *testing.T) (datasets.SnapshotStore, func() datasets.SnapshotStore) {
		s, reopen := openReopenable(t)
		return s, func() datasets.SnapshotStore { return reopen() }
	})
}

// oldSnapshotRecord is a snapshot as builds before snapshots kept their
// total band stored it (JSON without "Total").
const oldSnapshotRecord = `{"ID":"S-old","AsOf":"2024-12-31","CreatedAt":"2025-01-02T09:30:00Z","Currency":"EUR","Model":"m-1",` +
	`"Invoices":4321,"Outstanding":99999999999999,"Weeks":[` +
	`{"Start":"2025-01-01","End":"2025-01-07","Open":{"Mean":1000007,"P10":500007,"P50":1000006,"P90":1700008},"New":{"Mean":0,"P10":0,"P50":0,"P90":0}},` +
	`{"Start":"2025-01-08","End":"2025-01-14","Open":{"Mean":2000007,"P10":1500007,"P50":2000006,"P90":2700008},"New":{"Mean":3,"P10":0,"P50":1,"P90":9}}],` +
	`"FX":{"to":"EUR","rates":{"JPY":"0.006012345","KWD":"2987.654321987","USD":"0.912345678"}}}`

// A snapshot stored by an earlier build reads back as it was, without a
// total band (not a band of zeros), read-only and for writing, beside
// one saved now with its band: the bucket needs no migration.
func TestSnapshotOfAnEarlierBuildHasNoTotalBand(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists([]byte(snapshotBucket))
		if err != nil {
			return err
		}
		return b.Put([]byte("S-old"), []byte(oldSnapshotRecord))
	})
	if err != nil {
		t.Fatal(err)
	}
	asOf, at := datasets.NewDate(2024, 12, 31), time.Date(2025, 1, 2, 9, 30, 0, 0, time.UTC)
	want := storetest.SampleSnapshot("S-old", asOf, 2, at)
	want.Total = nil
	kept := storetest.SampleSnapshot("S-new", asOf, 2, at.Add(time.Second))
	if err := s.PutSnapshot(ctx, kept); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for _, readOnly := range []bool{true, false} {
		st, err := open(ctx, dir, nil, readOnly)
		if err != nil {
			t.Fatal(err)
		}
		all, err := st.Snapshots(ctx)
		st.Close()
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != 2 || !reflect.DeepEqual(&all[0], want) || !reflect.DeepEqual(&all[1], kept) {
			t.Fatalf("read-only %v: snapshots read back:\n got  %+v\n want %+v and %+v", readOnly, all, want, kept)
		}
	}
}
