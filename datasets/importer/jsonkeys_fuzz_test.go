package importer

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// naiveDuplicateKeyFold is DuplicateKeyFold the slow way, on encoding/json's
// tokens: every key compared with every earlier key of its object by
// bytes.EqualFold.
func naiveDuplicateKeyFold(body []byte) (string, bool) {
	dec := json.NewDecoder(bytes.NewReader(body))
	type frame struct {
		object bool
		index  int
		keys   []string
		key    string
		want   bool // an object expecting a key next
	}
	var stack []*frame
	path := func() string {
		var b strings.Builder
		esc := strings.NewReplacer("~", "~0", "/", "~1")
		for _, f := range stack {
			b.WriteByte('/')
			if f.object {
				b.WriteString(esc.Replace(f.key))
			} else {
				b.WriteString(strconv.Itoa(f.index))
			}
		}
		return b.String()
	}
	value := func() { // a value ended in the top frame
		if n := len(stack); n > 0 {
			if f := stack[n-1]; f.object {
				f.want = true
			} else {
				f.index++
			}
		}
	}
	for {
		tok, err := dec.Token()
		if err != nil {
			return "", false
		}
		top := (*frame)(nil)
		if n := len(stack); n > 0 {
			top = stack[n-1]
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{':
				stack = append(stack, &frame{object: true, want: true})
			case '[':
				stack = append(stack, &frame{})
			default:
				stack = stack[:len(stack)-1]
				value()
			}
		case string:
			if top != nil && top.object && top.want {
				for _, k := range top.keys {
					if bytes.EqualFold([]byte(k), []byte(t)) {
						top.key = t
						return path(), true
					}
				}
				top.keys = append(top.keys, t)
				top.key, top.want = t, false
				continue
			}
			value()
		default:
			value()
		}
		if len(stack) == 0 && !dec.More() {
			return "", false
		}
	}
}

func FuzzDuplicateKeyFold(f *testing.F) {
	for _, s := range []string{`{"amount":1,"Amount":2}`, `{"a":1,"b":{"A":1,"B":[{"x":1,"X":2}]}}`, `{"k":1,"\u212a":2}`,
		`{"s":1,"\u017f":2}`, `[{"a":1},{"A":1}]`, `{"ab":1,"AB":2,"aB":3}`, `{"é":1,"É":2}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if !json.Valid(body) || !utf8.Valid(body) {
			return // (encoding/json reads a byte that is not UTF-8 as U+FFFD; the scan's pointer keeps the byte)
		}
		at, _, dup := DuplicateKeyFold(body)
		want, wantDup := naiveDuplicateKeyFold(body)
		if dup != wantDup || at != want {
			t.Fatalf("DuplicateKeyFold(%s) = %q %v, want %q %v", body, at, dup, want, wantDup)
		}
	})
}
