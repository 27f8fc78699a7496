package recommender

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
)

// Holiday is a public holiday rule: a fixed date once (Year set), a month
// and day every year, or a number of days from Easter Sunday.
type Holiday struct {
	Year, Month, Day int
	Easter           bool
	EasterOffset     int
}

// ParseHoliday reads YYYY-MM-DD, MM-DD or easter±N.
func ParseHoliday(s string) (Holiday, error) {
	s = strings.TrimSpace(strings.ToLower(s))
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
	return Holiday{}, fmt.Errorf("holiday %q: want YYYY-MM-DD, MM-DD or easter±N", s)
}

// on reports whether the rule falls on d.
func (h Holiday) on(d datasets.Date) bool {
	y, m, dd := d.Time().Date()
	switch {
	case h.Easter:
		return d == easter(y).AddDays(h.EasterOffset)
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
