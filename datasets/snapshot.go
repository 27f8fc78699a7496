package datasets

import (
	"context"
	"fmt"
	"time"
)

// ForecastSnapshot is a cash-receipts forecast saved as it was made, so
// that it can later be lined up against what was received: treasurers
// judge a forecast by its track record. Week k covers AsOf+7(k−1)+1 …
// AsOf+7k.
type ForecastSnapshot struct {
	ID        string
	AsOf      Date
	CreatedAt time.Time // UTC, whole seconds
	Currency  string    // reporting currency; empty when amounts were not converted
	Model     string    // id of the model the forecast used
	// Invoices and Outstanding describe the open book at AsOf, so that a
	// comparison can tell whether the ledger still shows the same book.
	Invoices    int
	Outstanding Money
	Weeks       []SnapshotWeek
}

// SnapshotWeek is one week of a saved forecast: receipts expected from the
// open book and from invoices still to be issued.
type SnapshotWeek struct {
	Start, End Date
	Open, New  SnapshotBand
}

// SnapshotBand is a forecast amount: its mean and percentiles.
type SnapshotBand struct {
	Mean, P10, P50, P90 Money
}

// SnapshotStore keeps saved forecasts. Both stores implement it; the
// conformance suite is storetest.RunSnapshots.
type SnapshotStore interface {
	// PutSnapshot saves s, replacing a snapshot with the same ID.
	PutSnapshot(ctx context.Context, s *ForecastSnapshot) error
	// Snapshot returns the snapshot with the given ID, or an error
	// wrapping ErrNotFound.
	Snapshot(ctx context.Context, id string) (*ForecastSnapshot, error)
	// Snapshots returns every snapshot, oldest first (by creation time,
	// then ID).
	Snapshots(ctx context.Context) ([]ForecastSnapshot, error)
}

// MaxSnapshotWeeks bounds a snapshot's horizon: a year of weeks.
const MaxSnapshotWeeks = 53

// Validate reports a snapshot that cannot be stored as it is.
func (s *ForecastSnapshot) Validate() error {
	switch {
	case s.ID == "":
		return fmt.Errorf("%w: forecast snapshot without an id", ErrInvalid)
	case s.AsOf < MinDate || s.AsOf > MaxDate:
		return fmt.Errorf("%w: forecast snapshot %s: as-of day %d outside %s..%s", ErrInvalid, s.ID, s.AsOf, MinDate, MaxDate)
	case len(s.Weeks) == 0 || len(s.Weeks) > MaxSnapshotWeeks:
		return fmt.Errorf("%w: forecast snapshot %s has %d weeks, want 1..%d", ErrInvalid, s.ID, len(s.Weeks), MaxSnapshotWeeks)
	case s.Invoices < 0:
		return fmt.Errorf("%w: forecast snapshot %s: %d invoices", ErrInvalid, s.ID, s.Invoices)
	}
	for k, w := range s.Weeks {
		if w.Start != s.AsOf.AddDays(7*k+1) || w.End != s.AsOf.AddDays(7*k+7) {
			return fmt.Errorf("%w: forecast snapshot %s: week %d runs %s..%s, want %s..%s", ErrInvalid, s.ID, k+1,
				w.Start, w.End, s.AsOf.AddDays(7*k+1), s.AsOf.AddDays(7*k+7))
		}
	}
	return nil
}
