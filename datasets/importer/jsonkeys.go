package importer

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
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
	at, _, dup := s.run()
	return at, dup
}

// DuplicateKeyFold is DuplicateKey with keys compared regardless of case,
// as encoding/json matches a key to a struct's field ("Amount" and
// "amount" both fill Amount, the last kept): for a body decoded into a
// struct, two keys that differ only in case are the same field given
// twice. It returns the earlier key too, as written. (The NDJSON reader
// keeps DuplicateKey: it reads a line into a map, whose keys are exact.)
func DuplicateKeyFold(body []byte) (at, earlier string, dup bool) {
	s := keyScanner{b: body, fold: true}
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
	hashes []uint64          // the keys' foldHash, when compared regardless of case
	set    map[string][]byte // an object of many keys: keys moves here (folded when so compared: the key as written)
}

// manyKeys is the key count above which an object's keys are looked up
// in a map rather than compared one by one.
const manyKeys = 32

type keyScanner struct {
	b     []byte
	i     int
	stack []keyFrame
	fold  bool   // keys compared regardless of case (bytes.EqualFold)
	buf   []byte // for folding a key of a set
}

// run returns the pointer of the first repeated key and the earlier key.
func (s *keyScanner) run() (string, string, bool) {
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
				return "", "", false
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
				return "", "", false
			}
			s.i = end
			if n := len(s.stack); n > 0 && s.stack[n-1].object && s.nextIsColon() {
				key := s.b[start+1 : end-1]
				if escaped {
					var u string
					if json.Unmarshal(s.b[start:end], &u) != nil {
						return "", "", false
					}
					key = []byte(u)
				}
				if earlier, dup := s.add(&s.stack[n-1], key); dup {
					return s.pointer(), string(earlier), true
				}
			}
		default:
			s.i++
		}
	}
	return "", "", false
}

func (s *keyScanner) push(object bool) {
	if len(s.stack) < cap(s.stack) {
		s.stack = s.stack[:len(s.stack)+1]
		f := &s.stack[len(s.stack)-1]
		*f = keyFrame{object: object, keys: f.keys[:0], hashes: f.hashes[:0]} // reuse the keys' arrays
		return
	}
	s.stack = append(s.stack, keyFrame{object: object})
}

// add records key in f and reports whether f already held it, with the
// key it held.
func (s *keyScanner) add(f *keyFrame, key []byte) ([]byte, bool) {
	f.key = key
	if f.set != nil {
		k := s.setKey(key)
		if earlier, dup := f.set[string(k)]; dup {
			return earlier, true
		}
		f.set[string(k)] = key
		return nil, false
	}
	if s.fold {
		h := foldHash(key)
		for j, kh := range f.hashes {
			if kh == h && bytes.EqualFold(f.keys[j], key) {
				return f.keys[j], true
			}
		}
		f.hashes = append(f.hashes, h)
	} else {
		for _, k := range f.keys {
			if bytes.Equal(k, key) {
				return k, true
			}
		}
	}
	f.keys = append(f.keys, key)
	if len(f.keys) > manyKeys {
		f.set = make(map[string][]byte, 2*manyKeys)
		for _, k := range f.keys {
			f.set[string(s.setKey(k))] = k
		}
	}
	return nil, false
}

// foldHash is a hash of key that two keys bytes.EqualFold finds equal
// share: compared first, it spares folding every pair of keys of an
// object (the scan costs little beside the decoding it guards).
func foldHash(key []byte) uint64 {
	const prime = 1099511628211
	h := uint64(14695981039346656037)
	for i := 0; i < len(key); {
		c := key[i]
		if c < utf8.RuneSelf {
			if 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			}
			h = (h ^ uint64(c)) * prime
			i++
			continue
		}
		r, n := utf8.DecodeRune(key[i:])
		h = (h ^ uint64(foldRune(r))) * prime
		i += n
	}
	return h
}

// setKey is key as a set holds it: folded when keys are compared
// regardless of case, so that two keys bytes.EqualFold finds equal have
// one (in s.buf, valid until the next call).
func (s *keyScanner) setKey(key []byte) []byte {
	if !s.fold {
		return key
	}
	s.buf = s.buf[:0]
	for i := 0; i < len(key); {
		if c := key[i]; c < utf8.RuneSelf {
			if 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			}
			s.buf = append(s.buf, c)
			i++
			continue
		}
		r, n := utf8.DecodeRune(key[i:])
		s.buf = utf8.AppendRune(s.buf, foldRune(r))
		i += n
	}
	return s.buf
}

// foldRune is the least rune of r's case-folding orbit: two runes
// bytes.EqualFold finds equal have the same.
func foldRune(r rune) rune {
	least := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		least = min(least, f)
	}
	return least
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
