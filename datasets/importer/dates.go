package importer

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
)

// DateParser turns a field into a Date. ISO dates (2024-03-31, optionally
// followed by a time) are always recognised; a strftime format from
// --date-format is tried first when given. Formats are read as strptime
// reads them: %d, %m, %H, %M and %S take one or two digits (1/5/2024 is
// what US exports write), %e a day padded with a space, %y two digits
// (69-99 in the 1900s, 00-68 in the 2000s), %b and %B English month names
// in any case, %j a day of the year, and a blank matches any run of
// blanks. Whatever the format, a time of day may follow the date
// ("1/5/2024 13:45", "05.01.2024 1:45:00 PM") and is ignored.
type DateParser struct {
	format string // the strftime text; "" for ISO only
	items  []dateItem
}

// dateItem is one directive or literal of a format.
type dateItem struct {
	verb byte   // 0 for a literal
	lit  string // the literal (a blank run matches any blanks)
}

// NewDateParser compiles a strftime format (%d.%m.%Y, %m/%d/%Y, ...). An
// empty format means ISO only.
func NewDateParser(strftime string) (DateParser, error) {
	if strftime == "" {
		return DateParser{}, nil
	}
	p := DateParser{format: strftime}
	has := map[byte]bool{}
	for i := 0; i < len(strftime); i++ {
		c := strftime[i]
		if c != '%' {
			j := i
			for j < len(strftime) && strftime[j] != '%' {
				j++
			}
			p.items = append(p.items, dateItem{lit: strftime[i:j]})
			i = j - 1
			continue
		}
		if i+1 >= len(strftime) {
			return DateParser{}, fmt.Errorf("date format %q ends with a lone %%", strftime)
		}
		i++
		v := strftime[i]
		switch v {
		case 'Y', 'y', 'm', 'd', 'e', 'b', 'h', 'B', 'j', 'H', 'M', 'S':
		case 'F':
			p.items = append(p.items, dateItem{verb: 'Y'}, dateItem{lit: "-"}, dateItem{verb: 'm'}, dateItem{lit: "-"}, dateItem{verb: 'd'})
			has['Y'], has['m'], has['d'] = true, true, true
			continue
		case '%':
			p.items = append(p.items, dateItem{lit: "%"})
			continue
		default:
			return DateParser{}, fmt.Errorf("date format %q: unsupported directive %%%c", strftime, v)
		}
		if v == 'h' || v == 'B' {
			v = 'b'
		}
		if v == 'e' {
			v = 'd'
		}
		if v == 'y' {
			v = 'Y'
		}
		if has[v] {
			return DateParser{}, fmt.Errorf("date format %q gives the same part twice", strftime)
		}
		has[v] = true
		p.items = append(p.items, dateItem{verb: strftime[i]})
	}
	switch {
	case !has['Y']:
		return DateParser{}, fmt.Errorf("date format %q has no year (%%Y or %%y)", strftime)
	case has['j'] && (has['m'] || has['b'] || has['d']):
		return DateParser{}, fmt.Errorf("date format %q mixes a day of the year with a month or a day", strftime)
	case !has['j'] && (!has['d'] || !has['m'] && !has['b']):
		return DateParser{}, fmt.Errorf("date format %q needs a day and a month (%%d and %%m or %%b) or a day of the year (%%j)", strftime)
	}
	return p, nil
}

// Format is the strftime format the parser reads, "" for ISO only.
func (p DateParser) Format() string { return p.format }

// dateError is a date that does not parse; kind groups errors alike for
// the summary (it holds no value).
type dateError struct {
	msg, kind string
}

func (e *dateError) Error() string { return e.msg }

// Parse reads s; an empty s is an error (callers check optional fields first).
func (p DateParser) Parse(s string) (datasets.Date, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, &dateError{msg: "empty date", kind: "empty date"}
	}
	if p.format == "" {
		if d, ok := datasets.ParseISO(s); ok {
			return d, nil // the common case, without allocating
		}
	}
	var custom error
	if p.format != "" {
		d, err := p.parse(s)
		if err == nil {
			return d, nil
		}
		custom = err
	}
	d, isoErr := parseISOWithTime(s)
	if isoErr == nil {
		return d, nil
	}
	if custom != nil {
		var de *dateError
		if isISOShaped(s) && errors.As(isoErr, &de) && de.kind == "is not a day" {
			return 0, isoErr
		}
		return 0, custom
	}
	return 0, isoErr
}

// isISOShaped reports whether s starts like YYYY-MM-DD.
func isISOShaped(s string) bool {
	return len(s) >= 10 && s[4] == '-' && s[7] == '-' && allDigits(s[:4]) && allDigits(s[5:7]) && allDigits(s[8:10])
}

// parseISOWithTime reads YYYY-MM-DD, optionally followed by 'T' or a blank
// and anything (a time and zone, ignored).
func parseISOWithTime(s string) (datasets.Date, error) {
	if isISOShaped(s) && (len(s) == 10 || s[10] == 'T' || s[10] == ' ') {
		y, m, d := atoi(s[:4]), atoi(s[5:7]), atoi(s[8:10])
		return civil(s[:10], y, m, d)
	}
	return 0, &dateError{msg: "is not YYYY-MM-DD (use --date-format, e.g. " + formatHint(s) + ")", kind: "is not YYYY-MM-DD"}
}

// formatHint names the --date-format a value's separator points to, for
// the error of one row (the import's summary tries every format on a
// sample instead, see suggestFormat).
func formatHint(s string) string {
	switch {
	case strings.Contains(s, "/"):
		return "%d/%m/%Y or %m/%d/%Y"
	case strings.Contains(s, "-"):
		return "%d-%m-%Y or %m-%d-%Y"
	default:
		return "%d.%m.%Y"
	}
}

func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// civil returns the Date of y-m-d, or why it is none; text is the date as
// written, for the message.
func civil(text string, y, m, d int) (datasets.Date, error) {
	if m < 1 || m > 12 {
		return 0, &dateError{msg: fmt.Sprintf("%s is not a day: there is no month %d", text, m), kind: "is not a day"}
	}
	if d < 1 || d > daysIn(y, m) {
		return 0, &dateError{msg: fmt.Sprintf("%s is not a day: %s %d has %d days", text, time.Month(m), y, daysIn(y, m)), kind: "is not a day"}
	}
	v := datasets.NewDate(y, time.Month(m), d)
	if v < datasets.MinDate || v > datasets.MaxDate {
		return 0, &dateError{msg: fmt.Sprintf("%s is outside 1970-01-02..2149-06-06", text), kind: "outside 1970-01-02..2149-06-06"}
	}
	return v, nil
}

func daysIn(y, m int) int {
	return time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

var monthNames = [12]string{"january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"}

// parse reads s with the compiled format.
func (p DateParser) parse(s string) (datasets.Date, error) {
	mismatch := &dateError{msg: "does not match " + p.format, kind: "does not match " + p.format}
	y, m, d, yday := -1, -1, -1, -1
	i := 0
	for _, it := range p.items {
		if it.verb == 0 {
			for k := 0; k < len(it.lit); k++ {
				c := it.lit[k]
				if c == ' ' || c == '\t' {
					for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
						i++
					}
					continue
				}
				if i >= len(s) || s[i] != c {
					return 0, mismatch
				}
				i++
			}
			continue
		}
		var n, w int
		switch it.verb {
		case 'Y':
			n, w = digits(s[i:], 4, 4)
		case 'y':
			n, w = digits(s[i:], 2, 2)
			if w > 0 {
				if n < 69 {
					n += 2000
				} else {
					n += 1900
				}
			}
		case 'm', 'd', 'H', 'M', 'S':
			n, w = digits(s[i:], 1, 2)
		case 'e':
			for i < len(s) && s[i] == ' ' {
				i++
			}
			n, w = digits(s[i:], 1, 2)
		case 'j':
			n, w = digits(s[i:], 1, 3)
		case 'b', 'h', 'B':
			n, w = month(s[i:])
		}
		if w == 0 {
			return 0, mismatch
		}
		i += w
		switch it.verb {
		case 'Y', 'y':
			y = n
		case 'm', 'b', 'h', 'B':
			m = n
		case 'd', 'e':
			d = n
		case 'j':
			yday = n
		case 'H':
			if n > 23 {
				return 0, mismatch
			}
		case 'M', 'S':
			if n > 59 {
				return 0, mismatch
			}
		}
	}
	if rest := s[i:]; rest != "" && !isTimeOfDay(rest) {
		return 0, mismatch
	}
	if yday >= 0 {
		if yday < 1 || yday > daysIn(y, 12)+334 {
			return 0, &dateError{msg: fmt.Sprintf("%s is not a day: %d has no day %d", s, y, yday), kind: "is not a day"}
		}
		t := time.Date(y, 1, yday, 0, 0, 0, 0, time.UTC)
		return civil(s, t.Year(), int(t.Month()), t.Day())
	}
	return civil(s, y, m, d)
}

// digits reads between lo and hi digits at the start of s: their value and
// how many (0 when fewer than lo).
func digits(s string, lo, hi int) (int, int) {
	n, w := 0, 0
	for w < hi && w < len(s) && s[w] >= '0' && s[w] <= '9' {
		n = n*10 + int(s[w]-'0')
		w++
	}
	if w < lo {
		return 0, 0
	}
	return n, w
}

// month reads an English month name or its three-letter abbreviation.
func month(s string) (int, int) {
	low := strings.ToLower(s[:min(len(s), 9)])
	for i, name := range monthNames {
		if strings.HasPrefix(low, name) {
			return i + 1, len(name)
		}
	}
	for i, name := range monthNames {
		if strings.HasPrefix(low, name[:3]) {
			w := 3
			if len(low) > 3 && low[3] == '.' {
				w = 4
			}
			return i + 1, w
		}
	}
	return 0, 0
}

// isTimeOfDay reports whether rest is a time after a date: a blank or 'T',
// then h:mm with optional seconds and fraction, an optional AM/PM and an
// optional zone (Z, +01:00, +0100).
func isTimeOfDay(rest string) bool {
	if rest[0] != ' ' && rest[0] != 'T' {
		return false
	}
	t := strings.TrimLeft(rest[1:], " ")
	_, w := digits(t, 1, 2)
	if w == 0 || w >= len(t) || t[w] != ':' {
		return false
	}
	t = t[w+1:]
	if _, w = digits(t, 2, 2); w == 0 {
		return false
	}
	t = t[w:]
	if strings.HasPrefix(t, ":") {
		if _, w = digits(t[1:], 2, 2); w == 0 {
			return false
		}
		t = t[1+w:]
		if strings.HasPrefix(t, ".") || strings.HasPrefix(t, ",") {
			_, w = digits(t[1:], 1, 9)
			if w == 0 {
				return false
			}
			t = t[1+w:]
		}
	}
	t = strings.TrimLeft(t, " ")
	if u := strings.ToUpper(t); strings.HasPrefix(u, "AM") || strings.HasPrefix(u, "PM") {
		t = strings.TrimLeft(t[2:], " ")
	}
	switch {
	case t == "", t == "Z":
		return true
	case t[0] == '+' || t[0] == '-':
		z := strings.Replace(t[1:], ":", "", 1)
		return len(z) == 4 && allDigits(z)
	}
	return false
}

// parseBool reads the flag spellings of ERP exports; SAP marks with "X".
func parseBool(s string) (bool, error) {
	// Yes and no in the languages of the exports met (a French
	// "Litige: Oui/Non" column rejected every invoice of a trial's
	// export).
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "0", "false", "f", "no", "n", "non", "nein", "nee", "não", "nao", "faux", "falsch", "falso", "onwaar":
		return false, nil
	case "1", "true", "t", "yes", "y", "x", "oui", "ja", "j", "si", "sí", "sì", "sim", "vrai", "wahr", "verdadero", "vero", "waar":
		return true, nil
	}
	return false, fmt.Errorf("not a yes/no value (true/false, t/f, 1/0, yes/no, y/n, X or empty; oui/non, ja/nein, ja/nee, sí/no, sim/não)")
}

// Write writes d as the parser's format does (ISO without one), so that a
// message quotes a date the way the user's file writes dates; a time of
// day in the format is written as midnight.
func (p DateParser) Write(d datasets.Date) string {
	if p.format == "" || d == 0 {
		return d.String()
	}
	y, m, day := d.Time().Date()
	var b strings.Builder
	for _, it := range p.items {
		switch it.verb {
		case 0:
			b.WriteString(it.lit)
		case 'Y':
			fmt.Fprintf(&b, "%04d", y)
		case 'y':
			fmt.Fprintf(&b, "%02d", y%100)
		case 'm':
			fmt.Fprintf(&b, "%02d", int(m))
		case 'd':
			fmt.Fprintf(&b, "%02d", day)
		case 'e':
			fmt.Fprintf(&b, "%2d", day)
		case 'b', 'h':
			b.WriteString(m.String()[:3])
		case 'B':
			b.WriteString(m.String())
		case 'j':
			fmt.Fprintf(&b, "%03d", d.Time().YearDay())
		case 'H', 'M', 'S':
			b.WriteString("00")
		}
	}
	return b.String()
}
