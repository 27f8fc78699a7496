package datasets

import (
	"context"
	"fmt"
	"maps"
	"slices"
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
	// Total is the band of the cumulative total over Weeks: the
	// percentiles of each simulated path's sum, which the weeks' bands do
	// not give (the P90 of a sum is not the sum of the P90s). Nil in
	// snapshots saved before snapshots kept it: a comparison then says so
	// rather than reading zeros as the band.
	Total *SnapshotTotal `json:",omitempty"`
	// FX is the conversion the forecast was made with: the rates to
	// Currency (FX.To) it converted the ledger at, so that a comparison
	// converts what came in since at the same rates and a later move in
	// rates is not counted as forecast error. Nil when amounts were not
	// converted, and in snapshots saved before snapshots kept their rates.
	FX *FX `json:",omitempty"`
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

// SnapshotTotal is the band of a saved forecast's total over its weeks:
// from the open book, from invoices still to be issued, and both
// together (All: its percentiles are those of the paths' sums, not the
// two parts' added).
type SnapshotTotal struct {
	Open, New, All SnapshotBand
}

// ordered reports whether the band's percentiles are in order.
func (b SnapshotBand) ordered() bool { return b.P10 <= b.P50 && b.P50 <= b.P90 }

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
	if err := s.validFX(); err != nil {
		return err
	}
	if t := s.Total; t != nil {
		for _, b := range []struct {
			name string
			band SnapshotBand
		}{{"open", t.Open}, {"new", t.New}, {"all", t.All}} {
			if !b.band.ordered() {
				return fmt.Errorf("%w: forecast snapshot %s: total band %s has P10 %s, P50 %s, P90 %s, want them in order",
					ErrInvalid, s.ID, b.name, b.band.P10, b.band.P50, b.band.P90)
			}
		}
	}
	for k, w := range s.Weeks {
		if w.Start != s.AsOf.AddDays(7*k+1) || w.End != s.AsOf.AddDays(7*k+7) {
			return fmt.Errorf("%w: forecast snapshot %s: week %d runs %s..%s, want %s..%s", ErrInvalid, s.ID, k+1,
				w.Start, w.End, s.AsOf.AddDays(7*k+1), s.AsOf.AddDays(7*k+7))
		}
	}
	return nil
}

// validFX reports rates that do not convert to the snapshot's currency or
// that no rates file could give (ReadFX's rules).
func (s *ForecastSnapshot) validFX() error {
	if s.FX == nil {
		return nil
	}
	if s.FX.To != s.Currency || !isCurrencyCode(s.FX.To) {
		return fmt.Errorf("%w: forecast snapshot %s in %q has rates to %q, want rates to its currency", ErrInvalid, s.ID, s.Currency, s.FX.To)
	}
	for _, c := range slices.Sorted(maps.Keys(s.FX.Rates)) {
		r := s.FX.Rates[c]
		switch {
		case !isCurrencyCode(c):
			return fmt.Errorf("%w: forecast snapshot %s: rate of %q, not a 3-letter currency code", ErrInvalid, s.ID, c)
		case r <= 0:
			return fmt.Errorf("%w: forecast snapshot %s: rate of %s is %d billionths, want a positive rate", ErrInvalid, s.ID, c, int64(r))
		case c == s.FX.To && r != rateScale:
			return fmt.Errorf("%w: forecast snapshot %s: the reporting currency %s has rate %s, want 1", ErrInvalid, s.ID, c, r)
		}
	}
	return nil
}

// SnapshotFX returns the rates of fx as a snapshot keeps them: a copy
// without the reporting currency's own rate (always 1) and nil rates when
// no other currency has one, so that every store gives back the same
// value. Nil for nil.
func SnapshotFX(fx *FX) *FX {
	if fx == nil {
		return nil
	}
	out := &FX{To: fx.To}
	for c, r := range fx.Rates {
		if c == fx.To {
			continue
		}
		if out.Rates == nil {
			out.Rates = map[string]Rate{}
		}
		out.Rates[c] = r
	}
	return out
}
