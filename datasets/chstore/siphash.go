package chstore

import (
	"encoding/binary"
	"math/bits"
)

// sipHash64 is ClickHouse's sipHash64 of one String argument: SipHash-2-4
// with the key (0, 0). Put computes it to send each row to the shard whose
// Distributed table would have sent it (the tables are sharded by
// sipHash64(customer_id)); TestSipHashMatchesServer holds it equal to the
// server's function.
func sipHash64(s string) uint64 {
	v0 := uint64(0x736f6d6570736575)
	v1 := uint64(0x646f72616e646f6d)
	v2 := uint64(0x6c7967656e657261)
	v3 := uint64(0x7465646279746573)
	round := func() {
		v0 += v1
		v1 = bits.RotateLeft64(v1, 13)
		v1 ^= v0
		v0 = bits.RotateLeft64(v0, 32)
		v2 += v3
		v3 = bits.RotateLeft64(v3, 16)
		v3 ^= v2
		v0 += v3
		v3 = bits.RotateLeft64(v3, 21)
		v3 ^= v0
		v2 += v1
		v1 = bits.RotateLeft64(v1, 17)
		v1 ^= v2
		v2 = bits.RotateLeft64(v2, 32)
	}
	compress := func(m uint64) {
		v3 ^= m
		round()
		round()
		v0 ^= m
	}
	n := len(s)
	for len(s) >= 8 {
		compress(binary.LittleEndian.Uint64([]byte(s[:8])))
		s = s[8:]
	}
	// The last block: the remaining bytes, and the length's low byte on top.
	var tail [8]byte
	copy(tail[:], s)
	tail[7] = byte(n)
	compress(binary.LittleEndian.Uint64(tail[:]))
	v2 ^= 0xff
	round()
	round()
	round()
	round()
	return v0 ^ v1 ^ v2 ^ v3
}
