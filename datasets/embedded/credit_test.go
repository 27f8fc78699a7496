package embedded

import (
	"context"
	"testing"

	"github.com/dsopilot/dsopilot/datasets/storetest"
)

// One process holds the file's write lock, so the racers share the store:
// bbolt runs their transactions one at a time.
func TestCreditConformance(t *testing.T) {
	storetest.RunCredit(t, func(t *testing.T) (storetest.CreditStore, func() storetest.CreditStore) {
		s, err := Open(context.Background(), t.TempDir(), nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s, func() storetest.CreditStore { return s }
	})
}

func TestCreditEventsOfAStoreWithoutTheBuckets(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(context.Background(), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	ro, err := OpenReadOnly(context.Background(), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	ev, err := ro.CreditEvents(context.Background(), "")
	if err != nil || len(ev) != 0 {
		t.Fatalf("events %v, %v", ev, err)
	}
}
