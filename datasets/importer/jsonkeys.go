package importer

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
)

// DuplicateKey returns the RFC 6901 pointer of the first key of body that
// repeats an earlier key of the same object ("/invoices/3/amount"), and
// false when no key repeats. encoding/json keeps the last of two equal
// keys without a word, so a body that says an amount twice would be read
// by whichever came last: the API (request bodies) and the NDJSON reader
// (each line) refuse it instead, naming the key.
//
// Keys are compared as decoded (an escaped "\u0061" is "a"). It is one pass
// over the bytes with no allocation for the usual body (keys without
// escapes, objects of up to a few dozen keys), so it costs little beside
// the decoding it guards. body is expected to be valid JSON (it is
// called after a decode succeeded); on anything else it returns false.
func DuplicateKey(body []byte) (string, bool) {
	s := keyScanner{b: body}
	return s.run()
}

// keyFrame is one open object or array of the walk: an object's keys so
// far (slices of the body, or decoded when escaped) and its current key,
// an array's current index.
type keyFrame struct {
	object bool
	index  int
	key    []byte
	keys   [][]byte
	set    map[string]struct{} // an object of many keys: keys moves here
}

// manyKeys is the key count above which an object's keys are looked up
// in a map rather than compared one by one.
const manyKeys = 32

type keyScanner struct {
	b     []byte
	i     int
	stack []keyFrame
}

func (s *keyScanner) run() (string, bool) {
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch c {
		case '{':
			s.push(true)
			s.i++
		case '[':
			s.push(false)
			s.i++
		case '}', ']':
			if len(s.stack) == 0 {
				return "", false
			}
			s.stack = s.stack[:len(s.stack)-1]
			s.i++
		case ',':
			if n := len(s.stack); n > 0 && !s.stack[n-1].object {
				s.stack[n-1].index++
			}
			s.i++
		case '"':
			start := s.i
			end, escaped, ok := s.skipString()
			if !ok {
				return "", false
			}
			s.i = end
			if n := len(s.stack); n > 0 && s.stack[n-1].object && s.nextIsColon() {
				key := s.b[start+1 : end-1]
				if escaped {
					var u string
					if json.Unmarshal(s.b[start:end], &u) != nil {
						return "", false
					}
					key = []byte(u)
				}
				if s.add(&s.stack[n-1], key) {
					return s.pointer(), true
				}
			}
		default:
			s.i++
		}
	}
	return "", false
}

func (s *keyScanner) push(object bool) {
	if len(s.stack) < cap(s.stack) {
		s.stack = s.stack[:len(s.stack)+1]
		f := &s.stack[len(s.stack)-1]
		*f = keyFrame{object: object, keys: f.keys[:0]} // reuse the keys' array
		return
	}
	s.stack = append(s.stack, keyFrame{object: object})
}

// add records key in f and reports whether f already held it.
func (s *keyScanner) add(f *keyFrame, key []byte) bool {
	f.key = key
	if f.set != nil {
		if _, dup := f.set[string(key)]; dup {
			return true
		}
		f.set[string(key)] = struct{}{}
		return false
	}
	for _, k := range f.keys {
		if bytes.Equal(k, key) {
			return true
		}
	}
	f.keys = append(f.keys, key)
	if len(f.keys) > manyKeys {
		f.set = make(map[string]struct{}, 2*manyKeys)
		for _, k := range f.keys {
			f.set[string(k)] = struct{}{}
		}
	}
	return false
}

// skipString returns the index just past the string starting at s.i and
// whether it holds an escape.
func (s *keyScanner) skipString() (end int, escaped, ok bool) {
	for j := s.i + 1; j < len(s.b); j++ {
		switch s.b[j] {
		case '\\':
			escaped = true
			j++
		case '"':
			return j + 1, escaped, true
		}
	}
	return 0, false, false
}

// nextIsColon says whether the string just read is a key.
func (s *keyScanner) nextIsColon() bool {
	for j := s.i; j < len(s.b); j++ {
		switch s.b[j] {
		case ' ', '\t', '\n', '\r':
			continue
		case ':':
			return true
		}
		return false
	}
	return false
}

// pointer is where the walk is: the pointer of the current key.
func (s *keyScanner) pointer() string {
	var b strings.Builder
	esc := strings.NewReplacer("~", "~0", "/", "~1")
	for _, f := range s.stack {
		b.WriteByte('/')
		if f.object {
			b.WriteString(esc.Replace(string(f.key)))
		} else {
			b.WriteString(strconv.Itoa(f.index))
		}
	}
	return b.String()
}
