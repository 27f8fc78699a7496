package chstore

import (
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/storetest"
)

func TestSnapshotConformance(t *testing.T) {
	testServer(t)
	storetest.RunSnapshots(t, func(t *testing.T) (datasets.SnapshotStore, func() datasets.SnapshotStore) {
		s, dsn := openMigrated(t)
		reopen := func() datasets.SnapshotStore {
			if err := s.Close(); err != nil {
				t.Fatalf("close: %v", err)
			}
			return open(t, dsn)
		}
		return s, reopen
	})
}
