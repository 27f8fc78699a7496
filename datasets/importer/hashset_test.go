package importer

import (
	"math/rand/v2"
	"testing"
)

// TestHashSet checks the set and the batched duplicate check against a map,
// through growth, with the hash 0 and with duplicates far apart.
func TestHashSet(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	want := map[uint64]bool{}
	set := newHashSet(10)
	var dupLines []int
	d := &dupCheck{set: set, dup: func(line int, id string) { dupLines = append(dupLines, line) }}
	var wantDups []int
	for line := range 50_000 {
		h := rng.Uint64N(30_000) // about 40% repeats
		if line%1000 == 0 {
			h = 0
		}
		if want[h|boolBit(h == 0)] {
			wantDups = append(wantDups, line)
		}
		want[h|boolBit(h == 0)] = true
		d.add(h, line, "")
	}
	d.flush()
	if len(dupLines) != len(wantDups) {
		t.Fatalf("%d duplicates, want %d", len(dupLines), len(wantDups))
	}
	for i := range dupLines {
		if dupLines[i] != wantDups[i] {
			t.Fatalf("duplicate %d on line %d, want %d", i, dupLines[i], wantDups[i])
		}
	}
	if set.n != len(want) {
		t.Fatalf("set holds %d hashes, want %d", set.n, len(want))
	}
	if 2*set.n > len(set.slots) {
		t.Fatalf("set more than half full: %d of %d", set.n, len(set.slots))
	}
}

// boolBit is 1 for true: the set stores the hash 0 as 1.
func boolBit(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}
