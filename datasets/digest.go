package datasets

import (
	"crypto/sha256"
	"hash"
	"slices"
)

// CustomerDigests returns, for every customer id that appears in l (in
// the customer master or on any record), a SHA-256 digest of its records:
// each entity's rows naming the customer, formatted as the canonical rows
// EachRecord gives, entity by entity in slice order. Two ledgers give a
// customer the same digest exactly when they hold the same records of it
// in the same order; a digest says nothing about other customers' records.
//
// The API uses it to keep answering a customer's credit-limit advice
// prepared on the previous snapshot while the new snapshot's is being
// prepared, when the new snapshot left that customer's records untouched.
func CustomerDigests(l *Ledger) map[string][sha256.Size]byte {
	hs := map[string]hash.Hash{}
	for _, e := range Entities() {
		col := slices.Index(e.Columns(), "customer_id")
		if col < 0 {
			continue
		}
		Describe(e).EachRecord(l, func(rec []string) {
			id := rec[col]
			h := hs[id]
			if h == nil {
				h = sha256.New()
				hs[id] = h
			}
			h.Write([]byte(e))
			for _, f := range rec {
				h.Write([]byte{0})
				h.Write([]byte(f))
			}
			h.Write([]byte{'\n'})
		})
	}
	out := make(map[string][sha256.Size]byte, len(hs))
	for id, h := range hs {
		var d [sha256.Size]byte
		h.Sum(d[:0])
		out[id] = d
	}
	return out
}
