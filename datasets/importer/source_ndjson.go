package importer

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// ndjsonSource reads one JSON object per line. Its header is the key set of
// the first object plus every canonical name, so that any key can be mapped.
type ndjsonSource struct {
	r    *bufio.Reader
	lim  limits
	head []string
	idx  map[string]int
	// first holds the keys of the first object: what the body carries,
	// as a CSV's header says it (head lists every canonical key too, for
	// the lines after that carry more).
	first map[string]bool
	line  int
	vals  []string
	nums  []bool
	// queue holds the lines read to find the first object, to be returned
	// first.
	queue  []ndjsonItem
	nTrans int
	// unread are the keys first seen after the first object that are
	// no canonical name, with the line each was first seen on: not read,
	// and said (a later object's "setled_date" left its invoice open with
	// no word).
	unread map[string]int
}

type ndjsonItem struct {
	line int
	obj  map[string]any
	err  error
}

func newNDJSONSource(r io.Reader, canonical []string, lim limits) (*ndjsonSource, error) {
	s := &ndjsonSource{r: bufio.NewReaderSize(r, 64<<10), lim: lim, idx: map[string]int{}}
	add := func(k string) {
		if _, ok := s.idx[k]; !ok {
			s.idx[k] = len(s.head)
			s.head = append(s.head, k)
		}
	}
	for _, c := range canonical {
		add(c)
	}
	for {
		b, err := s.readLine()
		var re *rowError
		switch {
		case errors.Is(err, io.EOF):
			return s, nil
		case errors.As(err, &re):
			s.queue = append(s.queue, ndjsonItem{line: s.line, err: err})
			continue
		case err != nil:
			return nil, fmt.Errorf("read line %d: %w", s.line+1, err)
		case len(b) == 0:
			continue
		}
		obj, err := decodeObject(b)
		if err != nil {
			s.queue = append(s.queue, ndjsonItem{line: s.line, err: &rowError{line: s.line, reason: "invalid JSON: " + err.Error()}})
			continue
		}
		s.first = make(map[string]bool, len(obj))
		for k := range obj {
			add(k)
			s.first[k] = true
		}
		s.queue = append(s.queue, ndjsonItem{line: s.line, obj: obj})
		return s, nil
	}
}

// readLine returns the next line, trimmed and made UTF-8, or a *rowError
// for a line over the limit (which is skipped) or one the encoding refuses.
func (s *ndjsonSource) readLine() ([]byte, error) {
	var line []byte
	tooLong := false
	for {
		chunk, err := s.r.ReadSlice('\n')
		if len(line)+len(chunk) > s.lim.maxLine {
			tooLong = true
			line = line[:0]
		} else if len(chunk) > 0 {
			line = append(line, chunk...)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, err
		}
		if err != nil && len(line) == 0 && !tooLong {
			return nil, io.EOF
		}
		break
	}
	s.line++
	if tooLong {
		return nil, &rowError{line: s.line, reason: fmt.Sprintf("line longer than %d bytes (--max-line-bytes raises the limit)", s.lim.maxLine)}
	}
	line = bytes.TrimSpace(line)
	t, trans, ok := s.lim.text(string(line))
	if !ok {
		return nil, &rowError{line: s.line, reason: "bytes that are not UTF-8 (pass --encoding latin1 or windows-1252 if the file is in one)"}
	}
	if trans {
		s.nTrans++
	}
	return []byte(t), nil
}

func decodeObject(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber() // keep amounts as written, never through float64
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("more than one value on the line")
	}
	if at, dup := DuplicateKey(b); dup {
		// encoding/json kept the last: which was meant is not known.
		return nil, fmt.Errorf("%s: duplicate key", at)
	}
	return obj, nil
}

func (s *ndjsonSource) header() []string { return s.head }

// carries reports whether the body's first object has key name.
func (s *ndjsonSource) carries(name string) bool { return s.first[name] }
func (s *ndjsonSource) transcoded() int          { return s.nTrans }
func (s *ndjsonSource) numeric(i int) bool {
	return i < len(s.nums) && s.nums[i]
}

func (s *ndjsonSource) next() ([]string, int, error) {
	if len(s.queue) > 0 {
		it := s.queue[0]
		s.queue = s.queue[1:]
		if it.err != nil {
			return nil, it.line, it.err
		}
		return s.fill(it.obj), it.line, nil
	}
	for {
		b, err := s.readLine()
		if err != nil {
			return nil, s.line, err
		}
		if len(b) == 0 {
			continue
		}
		obj, err := decodeObject(b)
		if err != nil {
			return nil, s.line, &rowError{line: s.line, reason: "invalid JSON: " + err.Error()}
		}
		return s.fill(obj), s.line, nil
	}
}

func (s *ndjsonSource) fill(obj map[string]any) []string {
	if cap(s.vals) < len(s.head) {
		s.vals = make([]string, len(s.head))
		s.nums = make([]bool, len(s.head))
	}
	s.vals, s.nums = s.vals[:len(s.head)], s.nums[:len(s.head)]
	clear(s.vals)
	clear(s.nums)
	for k, v := range obj {
		i, ok := s.idx[k]
		if !ok {
			// A key first seen after line 1 cannot be mapped: not read,
			// and listed (unreadKeys).
			if _, seen := s.unread[k]; !seen {
				if s.unread == nil {
					s.unread = map[string]int{}
				}
				s.unread[k] = s.line
			}
			continue
		}
		s.vals[i] = jsonString(v)
		_, s.nums[i] = v.(json.Number)
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

// unreadKeys lists the keys not read because first seen after the first
// object, each with the line it was first seen on, in line order.
func (s *ndjsonSource) unreadKeys() []unreadKey {
	out := make([]unreadKey, 0, len(s.unread))
	for k, line := range s.unread {
		out = append(out, unreadKey{key: k, line: line})
	}
	slices.SortFunc(out, func(a, b unreadKey) int { return cmp.Or(cmp.Compare(a.line, b.line), strings.Compare(a.key, b.key)) })
	return out
}

// warnUnreadKey is a key of a later object, no canonical name and not on
// the first object, so not mapped.
const warnUnreadKey = "key not read: first seen after the first object, and no canonical name (a body's keys are those of its first object and the canonical ones: put every mapped key on the first object, or check its spelling)"

// unreadKey is a key of a later NDJSON object that was not read.
type unreadKey struct {
	key  string
	line int
}
