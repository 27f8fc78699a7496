package importer

// hashSet is a set of 64-bit hashes: open addressing with linear probing
// over one flat slice, kept at most half full. A built-in map of a million
// hashes spends most of the import's parsing time on cache misses; this
// touches one cache line per add.
type hashSet struct {
	slots []uint64 // 0 marks an empty slot
	mask  uint64
	n     int
}

func newHashSet(hint int) *hashSet {
	size := 1024
	for size < 2*hint {
		size *= 2
	}
	return &hashSet{slots: make([]uint64, size), mask: uint64(size - 1)}
}

// add inserts h and reports whether it was new. The hash 0 is stored as 1,
// which makes a false duplicate between those two no likelier than any
// other 64-bit collision.
func (s *hashSet) add(h uint64) bool {
	if h == 0 {
		h = 1
	}
	if 2*(s.n+1) > len(s.slots) {
		s.grow()
	}
	for i := h & s.mask; ; i = (i + 1) & s.mask {
		switch s.slots[i] {
		case h:
			return false
		case 0:
			s.slots[i] = h
			s.n++
			return true
		}
	}
}

func (s *hashSet) grow() {
	old := s.slots
	s.slots = make([]uint64, 2*len(old))
	s.mask = uint64(len(s.slots) - 1)
	for _, h := range old {
		if h == 0 {
			continue
		}
		i := h & s.mask
		for s.slots[i] != 0 {
			i = (i + 1) & s.mask
		}
		s.slots[i] = h
	}
}

// dupCheck adds ids to a hashSet a few dozen at a time: looking all their
// slots up first lets the CPU wait for those cache misses at once rather
// than one after the other, which more than halves the cost of a set
// much larger than the caches. dup is called, in row order, for every id
// seen before; flush before reading the counts.
type dupCheck struct {
	set     *hashSet
	dup     func(line int, id string)
	pending []pendingID
	sink    uint64
}

type pendingID struct {
	h    uint64
	line int
	id   string
}

const dupBatch = 32

func (d *dupCheck) add(h uint64, line int, id string) {
	if d.pending == nil {
		d.pending = make([]pendingID, 0, dupBatch)
	}
	d.pending = append(d.pending, pendingID{h, line, id})
	if len(d.pending) == dupBatch {
		d.flush()
	}
}

func (d *dupCheck) flush() {
	s := d.set
	// Grow first, so that the slots touched are the ones add will use.
	for 2*(s.n+len(d.pending)) > len(s.slots) {
		s.grow()
	}
	var x uint64
	for _, p := range d.pending {
		x += s.slots[p.h&s.mask]
	}
	d.sink += x // keeps the loads
	for _, p := range d.pending {
		if !s.add(p.h) {
			d.dup(p.line, p.id)
		}
	}
	d.pending = d.pending[:0]
}

// contains reports whether h is in the set.
func (s *hashSet) contains(h uint64) bool {
	if h == 0 {
		h = 1
	}
	for i := h & s.mask; ; i = (i + 1) & s.mask {
		switch s.slots[i] {
		case h:
			return true
		case 0:
			return false
		}
	}
}
