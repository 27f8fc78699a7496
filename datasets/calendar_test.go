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

func TestAddMonthsKeepsTheDayOrTakesTheMonthsLast(t *testing.T) {
	for _, tc := range []struct {
		from string
		n    int
		want string
	}{
		{"2024-05-31", 6, "2024-11-30"},
		{"2024-01-31", 1, "2024-02-29"},
		{"2023-01-31", 1, "2023-02-28"},
		{"2024-02-29", 12, "2025-02-28"},
		{"2024-03-15", -3, "2023-12-15"},
		{"2024-03-31", -1, "2024-02-29"},
		{"2024-12-01", 1, "2025-01-01"},
		{"2024-08-31", 0, "2024-08-31"},
		{"1970-01-02", 1, "1970-02-02"},
	} {
		from, err := ParseDate(tc.from)
		if err != nil {
			t.Fatal(err)
		}
		got := from.AddMonths(tc.n)
		if got.String() != tc.want {
			t.Errorf("%s + %d months = %s, want %s", tc.from, tc.n, got, tc.want)
		}
	}
}
