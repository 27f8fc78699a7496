package embedded

import (
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/storetest"
)

func TestSnapshotConformance(t *testing.T) {
	storetest.RunSnapshots(t, func(t *testing.T) (datasets.SnapshotStore, func() datasets.SnapshotStore) {
		s, reopen := openReopenable(t)
		return s, func() datasets.SnapshotStore { return reopen() }
	})
}
