package importer

import (
	"fmt"
	"strings"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
)

// DateParser turns a field into a Date. ISO dates (2024-03-31, optionally
// followed by a time) are always recognised; a layout from --date-format is
// tried first when given.
type DateParser struct {
	layout string // Go layout converted from strftime, "" for ISO only
	format string // the strftime text, for error messages
}

// NewDateParser converts a strftime format (%d.%m.%Y, %m/%d/%Y, ...) into a
// parser. An empty format means ISO only.
func NewDateParser(strftime string) (DateParser, error) {
	if strftime == "" {
		return DateParser{}, nil
	}
	layout, err := strftimeLayout(strftime)
	if err != nil {
		return DateParser{}, err
	}
	return DateParser{layout: layout, format: strftime}, nil
}

// strftimeLayout maps the strftime directives that ERP exports use to Go's
// reference-time layout.
func strftimeLayout(f string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(f); i++ {
		c := f[i]
		if c != '%' {
			// Digits in a Go layout would be read as reference-time
			// elements, so a literal digit cannot be expressed.
			if c >= '0' && c <= '9' {
				return "", fmt.Errorf("date format %q: literal digits are not supported", f)
			}
			b.WriteByte(c)
			continue
		}
		if i+1 >= len(f) {
			return "", fmt.Errorf("date format %q ends with a lone %%", f)
		}
		i++
		switch f[i] {
		case 'Y':
			b.WriteString("2006")
		case 'y':
			b.WriteString("06")
		case 'm':
			b.WriteString("01")
		case 'd':
			b.WriteString("02")
		case 'e':
			b.WriteString("_2")
		case 'b', 'h':
			b.WriteString("Jan")
		case 'B':
			b.WriteString("January")
		case 'j':
			b.WriteString("002")
		case 'H':
			b.WriteString("15")
		case 'M':
			b.WriteString("04")
		case 'S':
			b.WriteString("05")
		case 'F':
			b.WriteString("2006-01-02")
		case '%':
			b.WriteByte('%')
		default:
			return "", fmt.Errorf("date format %q: unsupported directive %%%c", f, f[i])
		}
	}
	return b.String(), nil
}

// Parse reads s; an empty s is an error (callers check optional fields first).
func (p DateParser) Parse(s string) (datasets.Date, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("empty date")
	}
	if p.layout != "" {
		if t, err := time.Parse(p.layout, s); err == nil {
			return checkRange(datasets.DateOf(t), s)
		}
	} else if d, ok := datasets.ParseISO(s); ok {
		return d, nil // the common case, without allocating
	}
	iso := s
	if len(iso) > 10 && (iso[10] == 'T' || iso[10] == ' ') {
		iso = iso[:10]
	}
	if len(iso) == 10 && iso[4] == '-' && iso[7] == '-' {
		if t, err := time.Parse(time.DateOnly, iso); err == nil {
			return checkRange(datasets.DateOf(t), s)
		}
	}
	if p.format != "" {
		return 0, fmt.Errorf("date %q matches neither %s nor YYYY-MM-DD", s, p.format)
	}
	return 0, fmt.Errorf("date %q is not YYYY-MM-DD (use --date-format, e.g. %%d.%%m.%%Y)", s)
}

func checkRange(d datasets.Date, s string) (datasets.Date, error) {
	if d < datasets.MinDate || d > datasets.MaxDate {
		return 0, fmt.Errorf("date %q outside 1970-01-02..2149-06-06", s)
	}
	return d, nil
}

// amountParser reads the amounts of one file.
type amountParser struct {
	decimalComma bool
}

func (a *amountParser) parse(_ string, s string) (datasets.Money, error) {
	return parseAmount(s, a.decimalComma)
}

// parseAmount reads money. With decimalComma, "1.234,56" is 1234.56; without
// it, commas are accepted only as thousands separators ("1,234.56").
func parseAmount(s string, decimalComma bool) (datasets.Money, error) {
	if !decimalComma {
		if m, ok := plainAmount(s); ok {
			return m, nil
		}
	}
	s = strings.TrimSpace(s)
	s = strings.ReplaceAll(s, " ", "")
	s = strings.ReplaceAll(s, "\u00a0", "")
	// Some ERPs write the sign last (SAP: "1234.56-").
	if n := len(s); n > 1 && s[n-1] == '-' {
		s = "-" + s[:n-1]
	}
	if decimalComma {
		s = strings.ReplaceAll(s, ".", "")
		s = strings.Replace(s, ",", ".", 1)
	} else if strings.Contains(s, ",") {
		if !thousandsGrouped(s) {
			return 0, fmt.Errorf("amount %q has a comma that is not a thousands separator (use --decimal-comma for 1.234,56)", s)
		}
		s = strings.ReplaceAll(s, ",", "")
	}
	m, err := datasets.ParseMoney(s)
	if err != nil {
		return 0, err
	}
	return m, nil
}

// plainAmount reads the common spelling -?d{1,16}(.d{1,2})?, such as
// "1234.50", exactly as parseAmount would, without its rewriting; ok is
// false for anything else, which then takes the general path.
func plainAmount(s string) (m datasets.Money, ok bool) {
	i := 0
	if len(s) > 0 && s[0] == '-' {
		i = 1
	}
	var whole int64
	digits := 0
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		whole = whole*10 + int64(s[i]-'0')
		digits++
	}
	if digits == 0 || digits > 16 {
		return 0, false
	}
	cents := int64(0)
	if i < len(s) {
		if s[i] != '.' {
			return 0, false
		}
		frac := s[i+1:]
		switch {
		case len(frac) == 2 && frac[0] >= '0' && frac[0] <= '9' && frac[1] >= '0' && frac[1] <= '9':
			cents = int64(frac[0]-'0')*10 + int64(frac[1]-'0')
		case len(frac) == 1 && frac[0] >= '0' && frac[0] <= '9':
			cents = int64(frac[0]-'0') * 10
		default:
			return 0, false
		}
	}
	v := whole*100 + cents
	if s[0] == '-' {
		v = -v
	}
	return datasets.Money(v), true
}

// thousandsGrouped reports whether the integer part of s is grouped by
// commas in threes ("-1,234,567.8").
func thousandsGrouped(s string) bool {
	s = strings.TrimLeft(s, "+-")
	intPart, _, _ := strings.Cut(s, ".")
	groups := strings.Split(intPart, ",")
	if len(groups[0]) == 0 || len(groups[0]) > 3 {
		return false
	}
	for _, g := range groups[1:] {
		if len(g) != 3 {
			return false
		}
	}
	return true
}

// parseBool reads the flag spellings of ERP exports; SAP marks with "X".
func parseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "0", "false", "f", "no", "n":
		return false, nil
	case "1", "true", "t", "yes", "y", "x":
		return true, nil
	}
	return false, fmt.Errorf("%q is not a yes/no value", s)
}
