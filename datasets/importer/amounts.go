package importer

import (
	"fmt"
	"strings"

	"github.com/dsopilot/dsopilot/datasets"
)

// Amounts are read as plain decimals: an optional sign (leading, or
// trailing as SAP writes it: 12.50-), digits, grouping marks and at most
// one decimal mark. Which of '.' and ',' is the decimal mark is a column's
// convention. A value whose structure allows only one reading ("12.50",
// "1.234,56", "1,234,567") is read so, whatever the column does; a value
// that reads differently under the two ("1.234": 1.234 or 1234) is read
// with the column's convention: the one --decimal-comma or --decimal-point
// forces, else the one the column's other values show (the whole file is
// scanned for them when the first such value comes). A column whose values
// show no convention, or both, does not decide: its ambiguous values are
// rejected with the reason, never guessed.

// amountError is an amount that cannot be read; kind groups errors alike
// for the summary (it holds no value).
type amountError struct {
	msg, kind string
}

func (e *amountError) Error() string { return e.msg }

func amountErrorf(kind, format string, args ...any) error {
	return &amountError{msg: fmt.Sprintf(format, args...), kind: kind}
}

// decimalMark is a column's convention.
type decimalMark uint8

const (
	markUnknown decimalMark = iota
	markPoint
	markComma
	markMixed // both shown: the column decides nothing
)

func (m decimalMark) String() string {
	switch m {
	case markPoint:
		return "a decimal point"
	case markComma:
		return "a decimal comma"
	case markMixed:
		return "both decimal marks"
	}
	return "no decimal mark"
}

// reading is an amount read under one convention: its digits before and
// after the decimal mark.
type reading struct {
	whole, frac string
	neg         bool
	ok          bool
	why         string // when not ok
}

func (r reading) same(o reading) bool { return r.whole == o.whole && r.frac == o.frac }

// spelling is an amount split into its sign and runs of digits, with the
// separator after each run but the last: '.', ',' or ' ' for a mark that
// can only group (space, no-break spaces, apostrophes).
type spelling struct {
	neg    bool
	groups []string
	seps   []byte
}

// spell splits s; an error means s is no plain decimal under either
// convention.
func spell(s string) (spelling, error) {
	var sp spelling
	body := s
	switch {
	case strings.HasPrefix(body, "-"):
		sp.neg, body = true, body[1:]
	case strings.HasPrefix(body, "+"):
		body = body[1:]
	case strings.HasSuffix(body, "-"):
		sp.neg, body = true, body[:len(body)-1]
	}
	if body == "" {
		return sp, fmt.Errorf("not an amount")
	}
	start := 0
	for i := 0; i < len(body); {
		c := body[i]
		if c >= '0' && c <= '9' {
			i++
			continue
		}
		sep, size := byte(0), 1
		switch {
		case c == '.' || c == ',':
			sep = c
		case c == ' ' || c == '\'':
			sep = ' '
		case strings.HasPrefix(body[i:], "\u00a0"), strings.HasPrefix(body[i:], "\u2019"), strings.HasPrefix(body[i:], "\u202f"):
			sep, size = ' ', len("\u00a0")
			if !strings.HasPrefix(body[i:], "\u00a0") {
				size = len("\u2019")
			}
		default:
			return sp, fmt.Errorf("not a plain decimal amount (only digits, a sign, grouping and one decimal mark)")
		}
		sp.groups = append(sp.groups, body[start:i])
		sp.seps = append(sp.seps, sep)
		i += size
		start = i
	}
	sp.groups = append(sp.groups, body[start:])
	return sp, nil
}

// read reads sp with decimal mark dec ('.' or ','); the other mark and
// the space-like ones group the whole part in threes.
func (sp *spelling) read(dec byte) reading {
	n := len(sp.seps)
	decAt := -1
	for i, c := range sp.seps {
		if c == dec {
			if decAt >= 0 {
				return reading{why: fmt.Sprintf("two %q marks", dec)}
			}
			decAt = i
		}
	}
	if decAt >= 0 && decAt != n-1 {
		return reading{why: fmt.Sprintf("a grouping mark after the decimal %q", dec)}
	}
	whole := sp.groups
	var frac string
	if decAt >= 0 {
		whole, frac = sp.groups[:n], sp.groups[n]
		if frac == "" {
			return reading{why: "no digits after the decimal mark"}
		}
	}
	if len(whole) > 1 {
		// Grouped: 1-3 digits, not a lone 0, then threes.
		if g := whole[0]; len(g) == 0 || len(g) > 3 || g == "0" {
			return reading{why: "digits not grouped in threes"}
		}
		for _, g := range whole[1:] {
			if len(g) != 3 {
				return reading{why: "digits not grouped in threes"}
			}
		}
	} else if whole[0] == "" && frac == "" {
		return reading{why: "no digits"}
	}
	return reading{whole: strings.Join(whole, ""), frac: frac, neg: sp.neg, ok: true}
}

// amountParser holds the amount settings of an import.
type amountParser struct {
	forced decimalMark // from --decimal-comma or --decimal-point
	round  bool        // round more than two decimals instead of rejecting
}

// amountColumn reads the amounts of one money column of one file.
type amountColumn struct {
	name string
	a    *amountParser
	// mark is the convention for ambiguous values: forced, or found by
	// scan, which looks at the whole file (once, when the first ambiguous
	// value comes).
	mark    decimalMark
	scanned bool
	scan    func() (decimalMark, string)
	why     string // what scan found, for messages
	// shown counts the values read that showed each convention, with the
	// first of each, for the summary.
	shown [2]shownMark
}

type shownMark struct {
	n     int
	value string
	line  int
}

func (a *amountParser) column(name string, scan func() (decimalMark, string)) *amountColumn {
	return &amountColumn{name: name, a: a, mark: a.forced, scanned: a.forced != markUnknown, scan: scan}
}

// classify reads s both ways: the reading it shows (markPoint or markComma
// when only one works, markUnknown when both agree, markMixed when they
// differ), and the two readings.
func classify(s string) (decimalMark, reading, reading, error) {
	sp, err := spell(s)
	if err != nil {
		return markUnknown, reading{}, reading{}, err
	}
	p, c := sp.read('.'), sp.read(',')
	switch {
	case p.ok && c.ok && p.same(c):
		return markUnknown, p, c, nil
	case p.ok && c.ok:
		return markMixed, p, c, nil
	case p.ok:
		return markPoint, p, c, nil
	case c.ok:
		return markComma, p, c, nil
	}
	return markUnknown, p, c, fmt.Errorf("not an amount: %s", p.why)
}

// parse reads the amount s of the row on line.
func (c *amountColumn) parse(s string, line int) (datasets.Money, error) {
	if c.mark != markComma {
		if m, ok := plainAmount(s); ok {
			if strings.IndexByte(s, '.') >= 0 {
				c.show(markPoint, s, line)
			}
			return m, nil
		}
	}
	shows, p, cm, err := classify(s)
	if err != nil {
		return 0, err
	}
	var r reading
	switch shows {
	case markUnknown:
		r = p
	case markPoint, markComma:
		if c.a.forced != markUnknown && shows != c.a.forced {
			return 0, fmt.Errorf("reads only with %s, but the import says %s", shows, c.a.forced)
		}
		c.show(shows, s, line)
		r = p
		if shows == markComma {
			r = cm
		}
	case markMixed:
		if !c.scanned {
			c.mark, c.why = c.scan()
			c.scanned = true
		}
		switch c.mark {
		case markPoint:
			r = p
		case markComma:
			r = cm
		case markMixed:
			return 0, amountErrorf("ambiguous decimal mark: the column mixes them", "ambiguous: %s or %s, and column %s %s; pass --decimal-comma or --decimal-point",
				p, cm, c.name, c.why)
		default:
			return 0, amountErrorf("ambiguous decimal mark: no amount of the column shows it", "ambiguous: %s or %s, and no amount of column %s shows its decimal mark; pass --decimal-comma or --decimal-point",
				p, cm, c.name)
		}
	}
	return c.a.value(r)
}

// String writes r as a plain decimal with a point.
func (r reading) String() string {
	w := strings.TrimLeft(r.whole, "0")
	if w == "" {
		w = "0"
	}
	if r.neg {
		w = "-" + w
	}
	if r.frac == "" {
		return w
	}
	return w + "." + r.frac
}

func (c *amountColumn) show(m decimalMark, s string, line int) {
	x := &c.shown[0]
	if m == markComma {
		x = &c.shown[1]
	}
	if x.n == 0 {
		x.value, x.line = s, line
	}
	x.n++
}

// mixed describes a column whose values showed both conventions, or "".
func (c *amountColumn) mixed() string {
	p, cm := c.shown[0], c.shown[1]
	if p.n == 0 || cm.n == 0 {
		return ""
	}
	return fmt.Sprintf("column %s mixes decimal marks: %d amounts read only with a point (%q, line %d), %d only with a comma (%q, line %d)",
		c.name, p.n, p.value, p.line, cm.n, cm.value, cm.line)
}

// value turns a reading into Money: more than two decimals are rejected
// unless they are zeros or rounding is allowed, and the amount is bounded
// by datasets.MaxAmount.
func (a *amountParser) value(r reading) (datasets.Money, error) {
	whole := strings.TrimLeft(r.whole, "0")
	frac := r.frac
	roundUp := false
	if len(frac) > datasets.MoneyScale {
		extra := frac[datasets.MoneyScale:]
		if strings.Trim(extra, "0") != "" {
			if !a.round {
				return 0, fmt.Errorf("more than %d decimals (pass --round-amounts to round them half away from zero)", datasets.MoneyScale)
			}
			roundUp = extra[0] >= '5'
		}
		frac = frac[:datasets.MoneyScale]
	}
	for len(frac) < datasets.MoneyScale {
		frac += "0"
	}
	if len(whole) > 13 {
		return 0, fmt.Errorf("too large: above %s", datasets.MaxAmount)
	}
	var v int64
	for _, d := range whole + frac {
		v = v*10 + int64(d-'0')
	}
	if roundUp {
		v++
	}
	if v > int64(datasets.MaxAmount) {
		return 0, fmt.Errorf("too large: above %s", datasets.MaxAmount)
	}
	if r.neg {
		v = -v
	}
	return datasets.Money(v), nil
}

// plainAmount reads the common spelling -?d{1,13}(.d{1,2})?, such as
// "1234.50", which reads the same under both conventions or only with a
// decimal point; ok is false for anything else, which then takes the
// general path.
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
	if digits == 0 || digits > 13 {
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
	if v > int64(datasets.MaxAmount) {
		return 0, false
	}
	if s[0] == '-' {
		v = -v
	}
	return datasets.Money(v), true
}

// jsonAmount reads a JSON number, whose decimal mark is always a point and
// which may have an exponent (1.5e3), exactly (datasets.ExpandExponent).
func (a *amountParser) jsonAmount(s string) (datasets.Money, error) {
	plain, err := datasets.ExpandExponent(s)
	if err != nil {
		return 0, err
	}
	neg := strings.HasPrefix(plain, "-")
	whole, frac, _ := strings.Cut(strings.TrimPrefix(plain, "-"), ".")
	return a.value(reading{whole: whole, frac: frac, neg: neg, ok: true})
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
