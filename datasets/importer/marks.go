package importer

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/dsopilot/dsopilot/datasets"
)

// The scan of a file's money columns for their decimal mark.

// markScan is what the scan of a file found about one money column.
type markScan struct {
	mark                 decimalMark
	point, comma         int
	pointEx, commaEx     string
	pointLine, commaLine int
}

// scanMarks reads the whole file once (when an amount first reads
// differently under the two decimal marks) to find each money column's
// convention, and returns column's: its own, or, when its values show
// none, the one every other money column of the file shows.
func (im *run) scanMarks(fr *fileRun, in input, pos map[string]int, column string) (decimalMark, string) {
	if fr.marks == nil {
		fr.marks = im.scanFile(in, pos)
	}
	own := fr.marks[column]
	switch own.mark {
	case markPoint, markComma:
		return own.mark, ""
	case markMixed:
		return markMixed, fmt.Sprintf("mixes decimal marks (%q on line %d, %q on line %d)", own.pointEx, own.pointLine, own.commaEx, own.commaLine)
	}
	other := markUnknown
	for name, m := range fr.marks {
		if name == column || m.mark == markUnknown {
			continue
		}
		if other != markUnknown && other != m.mark || m.mark == markMixed {
			return markUnknown, ""
		}
		other = m.mark
	}
	return other, ""
}

// scanFile classifies every amount of the file's money columns.
func (im *run) scanFile(in input, pos map[string]int) map[string]markScan {
	out := map[string]markScan{}
	cols := map[string]int{}
	for _, c := range datasets.Describe(in.entity).Columns() {
		if i, ok := pos[c.Name]; ok && c.Kind == datasets.KindMoney {
			cols[c.Name] = i
		}
	}
	f, err := os.Open(in.path)
	if err != nil {
		return out
	}
	defer f.Close()
	src, err := im.openSource(f, in)
	if err != nil {
		return out
	}
	for {
		vals, line, err := src.next()
		if errors.Is(err, io.EOF) {
			break
		}
		var re *rowError
		if errors.As(err, &re) {
			continue
		}
		if err != nil {
			break
		}
		for name, i := range cols {
			if i >= len(vals) || src.numeric(i) {
				continue
			}
			v := trimSpace(vals[i])
			if v == "" {
				continue
			}
			shows, _, _, err := classify(v)
			if err != nil {
				continue
			}
			m := out[name]
			switch shows {
			case markPoint:
				if m.point == 0 {
					m.pointEx, m.pointLine = v, line
				}
				m.point++
			case markComma:
				if m.comma == 0 {
					m.commaEx, m.commaLine = v, line
				}
				m.comma++
			}
			out[name] = m
		}
	}
	for name, m := range out {
		switch {
		case m.point > 0 && m.comma > 0:
			m.mark = markMixed
		case m.point > 0:
			m.mark = markPoint
		case m.comma > 0:
			m.mark = markComma
		}
		out[name] = m
	}
	im.opts.Log.Debug("decimal marks scanned", "file", in.path, "columns", strconv.Itoa(len(out)))
	return out
}
