package chstore

import (
	"testing"

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
