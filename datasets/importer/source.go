package importer

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/dsopilot/dsopilot/datasets"
)

// source yields the rows of one file as string fields aligned with header.
type source interface {
	header() []string
	// next returns the next row and its line number, or io.EOF. A *rowError
	// means this row is unreadable but the file goes on; any other error
	// stops the file.
	next() (vals []string, line int, err error)
	// numeric reports whether field i of the last row was written as a
	// number (a JSON number), whose decimal mark is always a point.
	numeric(i int) bool
	// transcoded is the number of lines that held bytes that are not UTF-8
	// and were read as Windows-1252.
	transcoded() int
}

// rowError is a row that could not be split into fields.
type rowError struct {
	line   int
	reason string
}

func (e *rowError) Error() string { return fmt.Sprintf("line %d: %s", e.line, e.reason) }

// limits bound what one line and one field may hold, so that a file that is
// no CSV (or has no line breaks) fails fast instead of filling memory.
type limits struct {
	maxLine, maxField int
	// enc says how to read bytes that are not UTF-8.
	enc encoding
}

// encoding is how a file's bytes become text.
type encoding uint8

const (
	// encAuto reads UTF-8, and a line with other bytes as Windows-1252,
	// counting it (the summary warns).
	encAuto encoding = iota
	// encUTF8 reads UTF-8 only: a row with other bytes is rejected.
	encUTF8
	// encCP1252 reads every byte as Windows-1252 (a superset of Latin-1's
	// printable characters, which is what "Latin-1" exports hold).
	encCP1252
)

// parseEncoding reads --encoding.
func parseEncoding(s string) (encoding, error) {
	switch strings.ToLower(strings.ReplaceAll(s, "_", "-")) {
	case "":
		return encAuto, nil
	case "utf-8", "utf8":
		return encUTF8, nil
	case "latin1", "latin-1", "iso-8859-1", "iso8859-1", "windows-1252", "cp1252", "win1252":
		return encCP1252, nil
	}
	return encAuto, fmt.Errorf("encoding %q: want utf-8, latin1 or windows-1252", s)
}

// cp1252 maps the bytes 0x80-0x9F, where Windows-1252 differs from
// Latin-1; the five it leaves undefined keep their Latin-1 meaning.
var cp1252 = [32]rune{
	'€', 0x81, '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', 0x8D, 'Ž', 0x8F,
	0x90, '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', 0x9D, 'ž', 'Ÿ',
}

// decodeCP1252 turns s into UTF-8: with all, every byte is Windows-1252;
// otherwise valid UTF-8 sequences are kept and only the other bytes are.
func decodeCP1252(s string, all bool) string {
	var b strings.Builder
	b.Grow(len(s) + len(s)/8)
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			b.WriteByte(c)
			i++
			continue
		}
		if !all {
			if r, size := utf8.DecodeRuneInString(s[i:]); r != utf8.RuneError || size > 1 {
				b.WriteString(s[i : i+size])
				i += size
				continue
			}
		}
		if c < 0xA0 {
			b.WriteRune(cp1252[c-0x80])
		} else {
			b.WriteRune(rune(c))
		}
		i++
	}
	return b.String()
}

// text makes a line's bytes text under enc: it returns the text, whether it
// was transcoded, and false when enc refuses it.
func (l limits) text(line string) (string, bool, bool) {
	switch l.enc {
	case encCP1252:
		for i := 0; i < len(line); i++ {
			if line[i] >= utf8.RuneSelf {
				return decodeCP1252(line, true), false, true
			}
		}
		return line, false, true
	case encUTF8:
		return line, false, utf8.ValidString(line)
	}
	if utf8.ValidString(line) {
		return line, false, true
	}
	return decodeCP1252(line, false), true, true
}

// csvSource splits RFC 4180 CSV. It reads the file in large chunks and
// turns each chunk's complete lines into one string, so that the fields of
// lines without quotes, nearly all of an ERP export, are substrings of it:
// no allocation per line or field. Quoted fields (with "" escapes and line
// breaks) take the slower path.
//
// A quote that opens a field and does not close on its line makes the field
// run on over the next lines, as RFC 4180 allows. When that yields no
// proper row (the wrong number of fields, the end of the file, a field over
// the limit), the quote was a stray one: the row on the opening line is
// rejected and reading goes on with the line after it, so that one stray
// quote costs one row, not the rest of the file.
type csvSource struct {
	r     io.Reader
	lim   limits
	comma byte
	head  []string
	n     int
	line  int // lines read so far
	rec   []string
	// text holds complete lines (ending in '\n', except the file's last);
	// off is where the next line starts. valid says text is all UTF-8.
	text  string
	off   int
	valid bool
	// buf[:pend] is read but not yet in text: the start of a line.
	buf  []byte
	pend int
	err  error // the reader's error, returned once text is consumed
	// again holds lines to read again (after a stray quote), in order.
	again  []string
	taken  []string // lines a quoted field ran on over, while reading one row
	nTrans int
	badEnc bool // the last line was not UTF-8 and the encoding refuses it
}

// csvChunk is how much the source reads at a time.
const csvChunk = 1 << 20

// errTooLong marks a line or field over the limits: the file is not read on.
var errTooLong = errors.New("too long")

// newCSVSource reads the header and guesses the delimiter from it: European
// ERP exports often use ';' and some use tabs or '|'.
func newCSVSource(r io.Reader, lim limits) (*csvSource, error) {
	s := &csvSource{r: r, lim: lim, buf: make([]byte, min(csvChunk, lim.maxLine+1))}
	if !s.fill() && s.err != nil && !errors.Is(s.err, io.EOF) {
		return nil, fmt.Errorf("read header: %w", s.err)
	}
	first := s.text
	if i := strings.IndexByte(first, '\n'); i >= 0 {
		first = first[:i]
	}
	s.comma = byte(datasets.GuessDelimiter(first))
	head, _, err := s.read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("file is empty: no header row")
		}
		var re *rowError
		if errors.As(err, &re) {
			return nil, fmt.Errorf("header: %s", re.reason)
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

func (s *csvSource) header() []string { return s.head }
func (s *csvSource) numeric(int) bool { return false }
func (s *csvSource) transcoded() int  { return s.nTrans }
func (s *csvSource) lineTooLong() error {
	return s.tooLong("line %d is longer than %d bytes", s.line+1, s.lim.maxLine)
}

func (s *csvSource) tooLong(format string, line, limit int) error {
	return &tooLongError{msg: fmt.Sprintf(format+" (is it a CSV file with line breaks? --max-line-bytes and --max-field-bytes raise the limits)",
		line, limit)}
}

// tooLongError is a line or field over the limits; it is errTooLong.
type tooLongError struct{ msg string }

func (e *tooLongError) Error() string        { return e.msg }
func (e *tooLongError) Is(target error) bool { return target == errTooLong }

// fill replaces the consumed text with the next complete lines (or, at the
// end of the input, the unterminated last line). It reports whether there
// is new text; when not, s.err says why.
func (s *csvSource) fill() bool {
	for s.err == nil {
		if s.pend == len(s.buf) {
			if len(s.buf) > s.lim.maxLine {
				s.err = s.lineTooLong()
				break
			}
			// A line longer than the buffer: make room for more of it.
			s.buf = append(s.buf, make([]byte, min(len(s.buf), s.lim.maxLine+1-len(s.buf)+1))...)
		}
		k, err := s.r.Read(s.buf[s.pend:])
		if k > 0 {
			start := s.pend
			s.pend += k
			if j := bytes.LastIndexByte(s.buf[start:s.pend], '\n'); j >= 0 {
				j += start + 1
				s.setText(string(s.buf[:j]))
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
	if s.pend > 0 && (s.err == nil || errors.Is(s.err, io.EOF)) {
		s.setText(string(s.buf[:s.pend]))
		s.pend = 0
		return true
	}
	return false
}

func (s *csvSource) setText(t string) {
	s.text, s.off = t, 0
	// Valid UTF-8 text needs no look per line, unless it is declared to be
	// Windows-1252.
	s.valid = s.lim.enc != encCP1252 && utf8.ValidString(t)
}

// readLine returns the next physical line without its line ending.
func (s *csvSource) readLine() (string, error) {
	if len(s.again) > 0 {
		line := s.again[0]
		s.again = s.again[1:]
		s.line++
		return line, nil
	}
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
	if len(line) > s.lim.maxLine {
		return "", s.tooLong("line %d is longer than %d bytes", s.line, s.lim.maxLine)
	}
	if !s.valid {
		t, trans, ok := s.lim.text(line)
		if !ok {
			s.badEnc = true
		}
		if trans {
			s.nTrans++
		}
		line = t
	}
	return line, nil
}

// read returns the next record and the line it starts on.
func (s *csvSource) read() ([]string, int, error) {
	s.badEnc = false
	s.taken = s.taken[:0]
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
				break
			}
			s.rec = append(s.rec, text[:i])
			text = text[i+1:]
		}
		for _, f := range s.rec {
			if len(f) > s.lim.maxField {
				return nil, start, s.tooLong("line %d has a field longer than %d bytes", start, s.lim.maxField)
			}
		}
		return s.rec, start, nil
	}
	return s.readQuoted(text, start)
}

// maxQuotedLines bounds the lines one quoted field may run on over. It
// bounds the cost of a stray quote too: the lines it ran on over are read
// again, so a file with a stray quote on every line reads each line at
// most this many times.
const maxQuotedLines = 100

// errStray is what readQuoted returns when a quoted field runs into the end
// of the file or past the field limit.
var errStray = errors.New("stray quote")

// readQuoted parses a record with quoted fields, reading more lines while a
// quoted field is open (remembering them in s.taken).
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
					if len(field) > s.lim.maxField || len(s.taken) == maxQuotedLines {
						return nil, start, errStray
					}
					more, err := s.readLine()
					if err != nil {
						if errors.Is(err, io.EOF) {
							return nil, start, errStray
						}
						return nil, start, err
					}
					s.taken = append(s.taken, more)
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
				if len(s.taken) > 0 {
					return nil, start, errStray
				}
				return nil, start, &rowError{line: start, reason: fmt.Sprintf("unexpected %q after a closing quote", raw[i])}
			}
		} else {
			j := strings.IndexByte(raw[i:], s.comma)
			if j < 0 {
				j = len(raw) - i
			}
			if strings.IndexByte(raw[i:i+j], '"') >= 0 {
				if len(s.taken) > 0 {
					return nil, start, errStray
				}
				return nil, start, &rowError{line: start, reason: "bare \" in an unquoted field"}
			}
			field = append(field, raw[i:i+j]...)
			i += j
		}
		if len(field) > s.lim.maxField {
			if len(s.taken) > 0 {
				return nil, start, errStray
			}
			return nil, start, s.tooLong("line %d has a field longer than %d bytes", start, s.lim.maxField)
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
		if errors.Is(err, errStray) || err == nil && len(s.taken) > 0 && len(rec) != s.n {
			return nil, line, s.stray(line)
		}
		if err != nil {
			return nil, line, err
		}
		if s.badEnc {
			return nil, line, &rowError{line: line, reason: "bytes that are not UTF-8 (pass --encoding latin1 or windows-1252 if the file is in one)"}
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

// stray rejects the row on line, whose quote does not close there, and
// puts the lines the quoted field ran on over back to be read again.
func (s *csvSource) stray(line int) error {
	s.again = append(append([]string(nil), s.taken...), s.again...)
	s.taken = s.taken[:0]
	s.line = line
	return &rowError{line: line, reason: "a quote opens a field here and does not close on this line; the row is skipped and reading goes on with the next line"}
}
