package datasets

import (
	"testing"
	"time"
)

// The integer calendar agrees with package time on every day of four
// centuries around the epoch, leap years and century rules included.
func TestCalendarAgreesWithPackageTime(t *testing.T) {
	for d := Date(-146097); d <= 3*146097; d++ {
		y, m, dd := d.Civil()
		tm := time.Unix(int64(d)*86400, 0).UTC()
		if y != tm.Year() || m != tm.Month() || dd != tm.Day() {
			t.Fatalf("day %d: Civil = %d-%d-%d, time says %s", d, y, m, dd, tm.Format(time.DateOnly))
		}
		if i := d.MonthIndex(); MonthStart(i) != NewDate(y, m, 1) {
			t.Fatalf("day %d: MonthStart(MonthIndex) = %s, want %d-%02d-01", d, MonthStart(i), y, m)
		}
		if e := d.MonthEnd(); e != NewDate(y, m+1, 1)-1 {
			t.Fatalf("day %d: MonthEnd = %s", d, e)
		}
	}
	if got := NewDate(2024, 2, 10).MonthIndex(); got != 2024*12+1 {
		t.Errorf("MonthIndex(2024-02-10) = %d, want %d", got, 2024*12+1)
	}
}
