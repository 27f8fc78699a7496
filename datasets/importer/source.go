package importer

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// source yields the rows of one file as string fields aligned with header.
type source interface {
	header() []string
	// next returns the next row and its line number, or io.EOF. A *rowError
	// means this row is unreadable but the file goes on.
	next() (vals []string, line int, err error)
}

// rowError is a row that could not be split into fields.
type rowError struct {
	line   int
	reason string
}

func (e *rowError) Error() string { return fmt.Sprintf("line %d: %s", e.line, e.reason) }

// csvSource splits RFC 4180 CSV. It reads the file in large chunks and
// turns each chunk's complete lines into one string, so that the fields of
// lines without quotes, nearly all of an ERP export, are substrings of it:
// no allocation per line or field. Quoted fields (with "" escapes and line
// breaks) take the slower path.
type csvSource struct {
	r     io.Reader
	comma byte
	head  []string
	n     int
	line  int // lines read so far
	rec   []string
	// text holds complete lines (ending in '\n', except the file's last);
	// off is where the next line starts.
	text string
	off  int
	// buf[:pend] is read but not yet in text: the start of a line.
	buf  []byte
	pend int
	err  error // the reader's error, returned once text is consumed
}

// csvChunk is how much the source reads at a time.
const csvChunk = 1 << 20

// newCSVSource reads the header and guesses the delimiter from it: European
// ERP exports often use ';' and some use tabs or '|'.
func newCSVSource(r io.Reader) (*csvSource, error) {
	s := &csvSource{r: r, buf: make([]byte, csvChunk)}
	if !s.fill() && s.err != nil && !errors.Is(s.err, io.EOF) {
		return nil, fmt.Errorf("read header: %w", s.err)
	}
	first := s.text
	if len(first) > 64<<10 {
		first = first[:64<<10]
	}
	if i := strings.IndexByte(first, '\n'); i >= 0 {
		first = first[:i]
	}
	s.comma = byte(guessDelimiter(first))
	head, _, err := s.read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("file is empty: no header row")
		}
		return nil, fmt.Errorf("read header: %w", err)
	}
	head = append([]string(nil), head...)
	if len(head) > 0 {
		head[0] = strings.TrimPrefix(head[0], "\ufeff")
	}
	s.head, s.n = head, len(head)
	return s, nil
}

func guessDelimiter(line string) rune {
	best, bestN := ',', 0
	for _, d := range []rune{',', ';', '\t', '|'} {
		n, quoted := 0, false
		for _, c := range line {
			switch {
			case c == '"':
				quoted = !quoted
			case c == d && !quoted:
				n++
			}
		}
		if n > bestN {
			best, bestN = d, n
		}
	}
	return best
}

func (s *csvSource) header() []string { return s.head }

// fill replaces the consumed text with the next complete lines (or, at the
// end of the input, the unterminated last line). It reports whether there
// is new text; when not, s.err says why.
func (s *csvSource) fill() bool {
	for s.err == nil {
		if s.pend == len(s.buf) {
			// A line longer than the buffer: make room for more of it.
			s.buf = append(s.buf, make([]byte, len(s.buf))...)
		}
		k, err := s.r.Read(s.buf[s.pend:])
		if k > 0 {
			start := s.pend
			s.pend += k
			if j := bytes.LastIndexByte(s.buf[start:s.pend], '\n'); j >= 0 {
				j += start + 1
				s.text, s.off = string(s.buf[:j]), 0
				s.pend = copy(s.buf, s.buf[j:s.pend])
				if err != nil {
					s.err = err
				}
				return true
			}
		}
		if err != nil {
			s.err = err
		}
	}
	if s.pend > 0 {
		s.text, s.off, s.pend = string(s.buf[:s.pend]), 0, 0
		return true
	}
	return false
}

// readLine returns the next physical line without its line ending.
func (s *csvSource) readLine() (string, error) {
	if s.off >= len(s.text) && !s.fill() {
		return "", s.err
	}
	rest := s.text[s.off:]
	line := rest
	if i := strings.IndexByte(rest, '\n'); i >= 0 {
		line = rest[:i]
		s.off += i + 1
	} else {
		s.off = len(s.text)
	}
	s.line++
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, nil
}

// read returns the next record and the line it starts on.
func (s *csvSource) read() ([]string, int, error) {
	text, err := s.readLine()
	if err != nil {
		return nil, s.line, err
	}
	start := s.line
	s.rec = s.rec[:0]
	if strings.IndexByte(text, '"') < 0 {
		for {
			i := strings.IndexByte(text, s.comma)
			if i < 0 {
				s.rec = append(s.rec, text)
				return s.rec, start, nil
			}
			s.rec = append(s.rec, text[:i])
			text = text[i+1:]
		}
	}
	return s.readQuoted(text, start)
}

// readQuoted parses a record with quoted fields, reading more lines while a
// quoted field is open.
func (s *csvSource) readQuoted(raw string, start int) ([]string, int, error) {
	var field []byte
	i := 0
	for {
		// At the start of a field.
		if i < len(raw) && raw[i] == '"' {
			i++
			for {
				j := strings.IndexByte(raw[i:], '"')
				if j < 0 {
					field = append(field, raw[i:]...)
					field = append(field, '\n')
					more, err := s.readLine()
					if err != nil {
						return nil, start, &rowError{line: start, reason: "quoted field not closed before the end of the file"}
					}
					raw, i = more, 0
					continue
				}
				field = append(field, raw[i:i+j]...)
				i += j + 1
				if i < len(raw) && raw[i] == '"' { // an escaped quote
					field = append(field, '"')
					i++
					continue
				}
				break
			}
			if i < len(raw) && raw[i] != s.comma {
				return nil, start, &rowError{line: s.line, reason: fmt.Sprintf("unexpected %q after a closing quote", raw[i])}
			}
		} else {
			j := strings.IndexByte(raw[i:], s.comma)
			if j < 0 {
				j = len(raw) - i
			}
			if strings.IndexByte(raw[i:i+j], '"') >= 0 {
				return nil, start, &rowError{line: s.line, reason: "bare \" in an unquoted field"}
			}
			field = append(field, raw[i:i+j]...)
			i += j
		}
		s.rec = append(s.rec, string(field))
		field = field[:0]
		if i >= len(raw) {
			return s.rec, start, nil
		}
		i++ // the delimiter
		if i == len(raw) {
			s.rec = append(s.rec, "")
			return s.rec, start, nil
		}
	}
}

func (s *csvSource) next() ([]string, int, error) {
	for {
		rec, line, err := s.read()
		if err != nil {
			return nil, line, err
		}
		if len(rec) == 1 && rec[0] == "" {
			continue // blank line
		}
		if len(rec) != s.n {
			return nil, line, &rowError{line: line, reason: fmt.Sprintf("row has %d fields, header has %d", len(rec), s.n)}
		}
		return rec, line, nil
	}
}

// ndjsonSource reads one JSON object per line. Its header is the key set of
// the first object plus every canonical name, so that any key can be mapped.
type ndjsonSource struct {
	sc   *bufio.Scanner
	head []string
	idx  map[string]int
	line int
	vals []string
	// first is the already-decoded first object.
	first map[string]any
}

func newNDJSONSource(r io.Reader, canonical []string) (*ndjsonSource, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	s := &ndjsonSource{sc: sc, idx: map[string]int{}}
	add := func(k string) {
		if _, ok := s.idx[k]; !ok {
			s.idx[k] = len(s.head)
			s.head = append(s.head, k)
		}
	}
	for _, c := range canonical {
		add(c)
	}
	for s.sc.Scan() {
		s.line++
		b := bytes.TrimSpace(s.sc.Bytes())
		if len(b) == 0 {
			continue
		}
		obj, err := decodeObject(b)
		if err != nil {
			// The first row is bad: keep going, it is reported as a reject.
			s.first = nil
			s.line--
			break
		}
		for k := range obj {
			add(k)
		}
		s.first = obj
		break
	}
	if err := s.sc.Err(); err != nil {
		return nil, fmt.Errorf("read first object: %w", err)
	}
	return s, nil
}

func decodeObject(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber() // keep amounts as written, never through float64
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		return nil, err
	}
	return obj, nil
}

func (s *ndjsonSource) header() []string { return s.head }

func (s *ndjsonSource) next() ([]string, int, error) {
	if s.first != nil {
		obj := s.first
		s.first = nil
		return s.fill(obj), s.line, nil
	}
	for s.sc.Scan() {
		s.line++
		b := bytes.TrimSpace(s.sc.Bytes())
		if len(b) == 0 {
			continue
		}
		obj, err := decodeObject(b)
		if err != nil {
			return nil, s.line, &rowError{line: s.line, reason: "invalid JSON: " + err.Error()}
		}
		return s.fill(obj), s.line, nil
	}
	if err := s.sc.Err(); err != nil {
		return nil, s.line, err
	}
	return nil, s.line, io.EOF
}

func (s *ndjsonSource) fill(obj map[string]any) []string {
	if cap(s.vals) < len(s.head) {
		s.vals = make([]string, len(s.head))
	}
	s.vals = s.vals[:len(s.head)]
	for i := range s.vals {
		s.vals[i] = ""
	}
	for k, v := range obj {
		i, ok := s.idx[k]
		if !ok {
			continue // a key first seen after line 1 cannot be mapped; ignored like an extra CSV column
		}
		s.vals[i] = jsonString(v)
	}
	return s.vals
}

func jsonString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}
