package datasets

import "context"

// Store is where a ledger lives. Both implementations (ClickHouse and the
// embedded store) pass the same conformance suite in datasets/storetest.
type Store interface {
	// Put upserts every record of batch by its natural id: writing the same
	// record again changes nothing, and a later write of an id replaces the
	// earlier one (a newer export wins).
	Put(ctx context.Context, batch *Ledger) error
	// Load reads the whole deduplicated ledger, each slice sorted by id.
	Load(ctx context.Context) (*Ledger, error)
	// Counts returns the number of distinct records of each entity.
	Counts(ctx context.Context) (Counts, error)
	// CustomerIDs returns the ids of all stored customers, sorted.
	CustomerIDs(ctx context.Context) ([]string, error)
	// Close releases the store.
	Close() error
}

// PartialError is the error of a Put that failed after the store had
// acknowledged part of its batch: a store without transactions across
// writes (ClickHouse) may keep what it acknowledged. Stored counts those
// records, so that a caller reports what was stored, no more and no less.
// Writing the whole batch again is safe: stores upsert by natural id.
type PartialError struct {
	Stored Counts
	Err    error
}

func (e *PartialError) Error() string { return e.Err.Error() }

func (e *PartialError) Unwrap() error { return e.Err }
