package recommender

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
)

// Holiday is a public holiday rule: a fixed date once (Year set), a month
// and day every year, a weekday of a month every year (the n-th, or the
// last), or a number of days from Easter Sunday.
type Holiday struct {
	Year, Month, Day int
	Easter           bool
	EasterOffset     int
	// Weekday is the weekday + 1 of a weekday rule (0: not one); Nth is
	// its place in the month, 1–5, or -1 for the last.
	Weekday, Nth int
}

const holidayForms = "YYYY-MM-DD, MM-DD, MM-<weekday><n> (11-thu4: the fourth Thursday of November; 05-monlast: the last Monday of May) or easter±N"

// weekdayNamed is the weekday whose English name starts with the three
// letters abbr (lower case: "thu").
func weekdayNamed(abbr string) (time.Weekday, bool) {
	for wd := time.Sunday; wd <= time.Saturday; wd++ {
		if strings.ToLower(wd.String()[:3]) == abbr {
			return wd, true
		}
	}
	return 0, false
}

// ParseHoliday reads YYYY-MM-DD, MM-DD, MM-<weekday><n> (n 1–5 or
// "last": US Thanksgiving is 11-thu4, a UK spring bank holiday 05-monlast)
// or easter±N.
func ParseHoliday(s string) (Holiday, error) {
	s = strings.TrimSpace(strings.ToLower(s))
	if h, ok, err := parseWeekdayHoliday(s); ok {
		return h, err
	}
	if rest, ok := strings.CutPrefix(s, "easter"); ok {
		if rest == "" {
			return Holiday{Easter: true}, nil
		}
		n, err := strconv.Atoi(strings.TrimPrefix(rest, "+"))
		if err != nil || n < -100 || n > 100 {
			return Holiday{}, fmt.Errorf("holiday %q: want easter, easter+N or easter-N", s)
		}
		return Holiday{Easter: true, EasterOffset: n}, nil
	}
	if d, ok := datasets.ParseISO(s); ok {
		y, m, dd := d.Time().Date()
		return Holiday{Year: y, Month: int(m), Day: dd}, nil
	}
	if t, err := time.Parse("01-02", s); err == nil {
		return Holiday{Month: int(t.Month()), Day: t.Day()}, nil
	}
	return Holiday{}, fmt.Errorf("holiday %q: want %s", s, holidayForms)
}

// parseWeekdayHoliday reads MM-<weekday><n>; ok is false when s is not of
// that form (it names no weekday after the month).
func parseWeekdayHoliday(s string) (h Holiday, ok bool, err error) {
	month, rest, found := strings.Cut(s, "-")
	if !found || len(rest) < 4 {
		return h, false, nil
	}
	wd, known := weekdayNamed(rest[:3])
	if !known {
		return h, false, nil
	}
	m, merr := strconv.Atoi(month)
	nth := -1
	if rest[3:] != "last" {
		var nerr error
		if nth, nerr = strconv.Atoi(rest[3:]); nerr != nil || nth < 1 || nth > 5 {
			return h, true, fmt.Errorf("holiday %q: the place of the weekday in the month must be 1 to 5 or last", s)
		}
	}
	if merr != nil || len(month) != 2 || m < 1 || m > 12 {
		return h, true, fmt.Errorf("holiday %q: month %q: want 01 to 12", s, month)
	}
	return Holiday{Month: m, Weekday: int(wd) + 1, Nth: nth}, true, nil
}

// on reports whether the rule falls on d.
func (h Holiday) on(d datasets.Date) bool {
	y, m, dd := d.Time().Date()
	switch {
	case h.Easter:
		return d == easter(y).AddDays(h.EasterOffset)
	case h.Weekday != 0:
		if int(m) != h.Month || int(d.Time().Weekday()) != h.Weekday-1 {
			return false
		}
		if h.Nth < 0 { // the last: a week later is next month
			return d.AddDays(7).Time().Month() != m
		}
		return (dd-1)/7+1 == h.Nth
	case h.Year != 0:
		return y == h.Year && int(m) == h.Month && dd == h.Day
	}
	return int(m) == h.Month && dd == h.Day
}

// easter returns Easter Sunday of a Gregorian year (the anonymous Gregorian
// algorithm, "Meeus/Jones/Butcher").
func easter(y int) datasets.Date {
	a, b, c := y%19, y/100, y%100
	d, e := b/4, b%4
	f := (b + 8) / 25
	g := (b - f + 1) / 3
	h := (19*a + b - d - g + 15) % 30
	i, k := c/4, c%4
	l := (32 + 2*e + 2*i - h - k) % 7
	m := (a + 11*h + 22*l) / 451
	month := (h + l - 7*m + 114) / 31
	day := (h+l-7*m+114)%31 + 1
	return datasets.NewDate(y, time.Month(month), day)
}

// Quiet reports whether no one is contacted in the country on d: a weekend
// (when the rules say so) or a public holiday of the country or of "*".
func (r *Rules) Quiet(country string, d datasets.Date) bool {
	if r.Weekends {
		if wd := d.Time().Weekday(); wd == time.Saturday || wd == time.Sunday {
			return true
		}
	}
	for _, key := range [2]string{country, "*"} {
		for _, h := range r.Holidays[key] {
			if h.on(d) {
				return true
			}
		}
	}
	return false
}

// NextWorkingDay returns the first day on or after d that is not quiet in
// the country (at most 30 days on: a calendar quiet for longer is a
// configuration mistake, and d+30 is returned).
func (r *Rules) NextWorkingDay(country string, d datasets.Date) datasets.Date {
	for i := 0; i < 30; i++ {
		if !r.Quiet(country, d.AddDays(i)) {
			return d.AddDays(i)
		}
	}
	return d.AddDays(30)
}
