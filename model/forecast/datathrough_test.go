package forecast

import (
	"errors"
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
)

// A ledger whose latest record is a Friday (or Saturday) tells the
// weekend's receipts too, none: an origin whose weeks end that Sunday is
// testable; one a day later is not, and the error names the latest that is.
func TestDataThroughTakesTheWeekendAfterAFridayExport(t *testing.T) {
	d := datasets.NewDate
	for _, c := range []struct {
		last, want datasets.Date
	}{
		{d(2026, 8, 28), d(2026, 8, 30)}, // Friday
		{d(2026, 8, 29), d(2026, 8, 30)}, // Saturday
		{d(2026, 8, 30), d(2026, 8, 30)}, // Sunday
		{d(2026, 8, 27), d(2026, 8, 27)}, // Thursday
		{d(2026, 8, 31), d(2026, 8, 31)}, // Monday
	} {
		if got := DataThrough(c.last); got != c.want {
			t.Errorf("DataThrough(%s, a %s) = %s, want %s", c.last, c.last.Time().Weekday(), got, c.want)
		}
	}
	first, friday := d(2025, 1, 1), d(2026, 8, 28)
	ok := friday.AddDays(2 - 7*13) // its 13 weeks end on the Sunday
	if err := checkOrigins(first, friday, []datasets.Date{ok}, 13); err != nil {
		t.Errorf("origin %s, 13 weeks ending the Sunday after a Friday export: %v", ok, err)
	}
	err := checkOrigins(first, friday, []datasets.Date{ok.AddDays(1)}, 13)
	if !errors.Is(err, ErrAfterData) || !strings.Contains(err.Error(), "the latest origin whose weeks it holds is "+ok.String()) {
		t.Errorf("an origin a day later: %v, want ErrAfterData naming %s", err, ok)
	}
}
