package embedded

import (
	"context"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/storetest"
)

func TestSnapshotConformance(t *testing.T) {
	storetest.RunSnapshots(t, func(t *testing.T) (datasets.SnapshotStore, func() datasets.SnapshotStore) {
		dir := t.TempDir()
		s, err := Open(context.Background(), dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		cur := s
		t.Cleanup(func() { cur.Close() })
		reopen := func() datasets.SnapshotStore {
			if err := cur.Close(); err != nil {
				t.Fatalf("close: %v", err)
			}
			n, err := Open(context.Background(), dir, nil)
			if err != nil {
				t.Fatalf("reopen: %v", err)
			}
			cur = n
			return n
		}
		return s, reopen
	})
}
