package importer

import (
	"fmt"
	"sort"
	"strings"
)

// diagnosis collects why a file's rows were rejected, to name the most
// common reason, and samples its date values, to find a format that reads
// them when the given one does not.
type diagnosis struct {
	reasons map[string]*reasonCount
	order   []string
	dates   map[string]*dateSample // by field
}

type reasonCount struct {
	field, value, reason string
	line, rows           int
}

// dateSample holds up to sampleSize of a date field's failed values, and of
// the values that parsed, so that a suggested format can be checked on both.
type dateSample struct {
	badVals, good []string
	badSeen       map[string]bool
	badN, goodN   int
}

const sampleSize = 500

func newDiagnosis() *diagnosis {
	return &diagnosis{reasons: map[string]*reasonCount{}, dates: map[string]*dateSample{}}
}

// reject counts a rejected field under its kind of reason (the reason
// without the value, for dates its kind).
func (d *diagnosis) reject(line int, fe fieldError) {
	key := fe.field + "\x00" + fe.kind
	rc := d.reasons[key]
	if rc == nil {
		rc = &reasonCount{field: fe.field, value: fe.value, reason: fe.reason, line: line}
		d.reasons[key] = rc
		d.order = append(d.order, key)
	}
	rc.rows++
}

func (d *diagnosis) sample(field string) *dateSample {
	s := d.dates[field]
	if s == nil {
		s = &dateSample{badSeen: map[string]bool{}}
		d.dates[field] = s
	}
	return s
}

// bad samples a value that did not parse.
func (s *dateSample) bad(v string) {
	s.badN++
	if len(s.badVals) < sampleSize && !s.badSeen[v] {
		s.badSeen[v] = true
		s.badVals = append(s.badVals, v)
	}
}

// dateFormats are the formats exports write dates in, tried when the given
// one (or ISO) does not read a file's dates.
var dateFormats = []string{
	"%Y-%m-%d", "%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%d-%m-%Y", "%m-%d-%Y", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d",
	"%d/%m/%y", "%m/%d/%y", "%d.%m.%y", "%d-%m-%y", "%d-%b-%Y", "%d %b %Y", "%b %d %Y", "%d-%b-%y", "%d.%b.%Y",
}

// summary is the most common reason, "N of M rows: field 'value' reason",
// with a date format that would have read the field when one does.
func (d *diagnosis) summary(rejected, read int) string {
	if len(d.order) == 0 {
		return ""
	}
	keys := append([]string(nil), d.order...)
	sort.SliceStable(keys, func(i, j int) bool { return d.reasons[keys[i]].rows > d.reasons[keys[j]].rows })
	top := d.reasons[keys[0]]
	var b strings.Builder
	// The count is of the rows rejected for the reason, whatever their
	// values: the value quoted is the first row's only, said so, so that
	// "(2 rows)" is not read as two rows of that value.
	first := "line"
	if top.rows > 1 {
		first = "the first on line"
	}
	fmt.Fprintf(&b, "%d of %d rows rejected; most common reason (%s, %s %d", rejected, read, plural(top.rows, "row"), first, top.line)
	if top.field != "" {
		fmt.Fprintf(&b, ": %s %q", top.field, clip(top.value, 80))
	}
	fmt.Fprintf(&b, "): %s", top.reason)
	if s := d.dates[top.field]; s != nil && len(s.badVals) > 0 {
		b.WriteString(suggestFormat(s))
	}
	return b.String()
}

// suggestFormat names the formats that read every sampled value of a date
// field, failed and good: one is the remedy, two or more are a choice to
// make, none says nothing.
func suggestFormat(s *dateSample) string {
	var fits []string
	for _, f := range dateFormats {
		p, err := NewDateParser(f)
		if err != nil {
			continue
		}
		ok := true
		for _, v := range append(s.badVals[:len(s.badVals):len(s.badVals)], s.good...) {
			if _, err := p.parse(v); err != nil {
				ok = false
				break
			}
		}
		if ok {
			fits = append(fits, f)
		}
	}
	every := "every date of the column"
	if s.badN > len(s.badVals) && len(s.badVals) == sampleSize || s.goodN > len(s.good) {
		every = fmt.Sprintf("all %d sampled dates of the column", len(s.badVals)+len(s.good))
	}
	switch len(fits) {
	case 0:
		return ""
	case 1:
		return fmt.Sprintf("; %s reads %s: pass --date-format '%s'", fits[0], every, fits[0])
	}
	return fmt.Sprintf("; %s read %s: pass the one the export uses with --date-format", andList(fits), every)
}

func andList(vs []string) string {
	if len(vs) < 2 {
		return strings.Join(vs, "")
	}
	return strings.Join(vs[:len(vs)-1], ", ") + " and " + vs[len(vs)-1]
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
