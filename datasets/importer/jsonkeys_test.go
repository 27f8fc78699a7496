package importer

import "testing"

func TestDuplicateKey(t *testing.T) {
	for _, tc := range []struct {
		body, want string
	}{
		{`{"a":1,"b":2}`, ""},
		{`{"a":1,"a":2}`, "/a"},
		{`{"a":{"x":1},"b":{"x":2}}`, ""},
		{`{"invoices":[{"amount":1},{"amount":2},{"id":"x"},{"amount":"1","id":"y","amount":3}]}`, "/invoices/3/amount"},
		{`{"a":{"b":{"c":1,"d":{"e":[1,2]},"c":2}}}`, "/a/b/c"},
		{`{"a\u0062":1,"ab":2}`, "/ab"},
		{`{"a/b":1,"a/b":2}`, "/a~1b"},
		{`{"s":"a\",\"s\":1","t":1}`, ""},
		{`{"v":["a","a"],"w":{"a":"a"}}`, ""},
		{`[{"k":1},{"k":1,"k":2}]`, "/1/k"},
		{`[[1,2],{"q":1},{"x":{},"x":[]}]`, "/2/x"},
	} {
		got, found := DuplicateKey([]byte(tc.body))
		if got != tc.want || found != (tc.want != "") {
			t.Errorf("DuplicateKey(%s) = %q, %v; want %q", tc.body, got, found, tc.want)
		}
	}
	// An object of many keys (looked up in a map past manyKeys).
	b := []byte(`{`)
	for i := range 100 {
		b = append(b, []byte(`"k`+string(rune('a'+i%26))+string(rune('a'+i/26))+`":1,`)...)
	}
	ok := append(append([]byte{}, b[:len(b)-1]...), '}')
	if p, found := DuplicateKey(ok); found {
		t.Errorf("many distinct keys: %q", p)
	}
	dup := append(append([]byte{}, b...), []byte(`"kab":2}`)...)
	if p, found := DuplicateKey(dup); !found || p != "/kab" {
		t.Errorf("many keys, one repeated: %q %v", p, found)
	}
}

// Keys that differ only in case fill one field of a struct
// (encoding/json folds case): DuplicateKeyFold finds them, with the
// earlier key as written, in a small object and in one of many keys,
// folding as bytes.EqualFold does (the Kelvin sign is a K, a long s an
// s); DuplicateKey, for maps, does not.
func TestDuplicateKeyFold(t *testing.T) {
	for _, tc := range []struct {
		body, want, earlier string
	}{
		{`{"amount":1,"Amount":2}`, "/Amount", "amount"},
		{`{"a":1,"b":2}`, "", ""},
		{`{"invoices":[{"amount":1},{"AMOUNT":2,"id":"y","Amount":3}]}`, "/invoices/1/Amount", "AMOUNT"},
		{`{"k":1,"K":2}`, "/K", "k"},
		{`{"s":1,"ſ":2}`, "/ſ", "s"},
		{`{"été":1,"ÉTÉ":2}`, "/ÉTÉ", "été"},
		{`{"x":{"a":1},"X":[]}`, "/X", "x"},
	} {
		at, earlier, found := DuplicateKeyFold([]byte(tc.body))
		if at != tc.want || earlier != tc.earlier || found != (tc.want != "") {
			t.Errorf("DuplicateKeyFold(%s) = %q, %q, %v; want %q, %q", tc.body, at, earlier, found, tc.want, tc.earlier)
		}
	}
	if at, found := DuplicateKey([]byte(`{"amount":1,"Amount":2}`)); found {
		t.Errorf("DuplicateKey folded case: %q", at)
	}
	b := []byte(`{`)
	for i := range 100 {
		b = append(b, []byte(`"k`+string(rune('a'+i%26))+string(rune('a'+i/26))+`":1,`)...)
	}
	ok := append(append([]byte{}, b[:len(b)-1]...), '}')
	if p, _, found := DuplicateKeyFold(ok); found {
		t.Errorf("many distinct keys: %q", p)
	}
	dup := append(append([]byte{}, b...), []byte(`"KAB":2}`)...)
	if p, earlier, found := DuplicateKeyFold(dup); !found || p != "/KAB" || earlier != "kab" {
		t.Errorf("many keys, one repeated in another case: %q %q %v", p, earlier, found)
	}
}

// MostlyRejected is the one rule of a failed file, a failed import and an
// incomplete API ingest: more than half the rows rejected.
func TestMostlyRejected(t *testing.T) {
	for _, c := range []struct {
		rejected, read int
		want           bool
	}{{0, 0, false}, {1, 2, false}, {2, 3, true}, {1, 1, true}, {50, 100, false}, {51, 100, true}} {
		if got := MostlyRejected(c.rejected, c.read); got != c.want {
			t.Errorf("MostlyRejected(%d, %d) = %v", c.rejected, c.read, got)
		}
	}
}
