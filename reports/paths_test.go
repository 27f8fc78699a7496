package reports

import (
	"strings"
	"testing"
)

func TestPathName(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"C00012", "C00012"},
		{"mid_market", "mid_market"},
		{"", "~"},
		{"..", "~2e~2e"},
		{"a/b", "a~2fb"},
		{"<script>", "~3cscript~3e"},
		{"~", "~7e"},
		{"Müller AG", "M~c3~bcller~20AG"},
	} {
		if got := PathName(c.in); got != c.want {
			t.Errorf("PathName(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	long := strings.Repeat("é", 100)
	a, b := PathName(long), PathName(long+"x")
	if len(a) > maxPathName || len(b) > maxPathName || a == b {
		t.Errorf("long names: %q (%d) and %q (%d)", a, len(a), b, len(b))
	}
	// Distinct names never share an escape.
	seen := map[string]string{}
	for _, s := range []string{"a.b", "a~2eb", "a_b", "a-b", "A.B", "~", "", "~7e"} {
		p := PathName(s)
		if prev, ok := seen[p]; ok {
			t.Errorf("%q and %q both escape to %q", prev, s, p)
		}
		seen[p] = s
		for _, r := range p {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '~') {
				t.Errorf("PathName(%q) = %q holds %q", s, p, r)
			}
		}
	}
}

func TestPaths(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{slicePath(Slice{}), "index.html"},
		{slicePath(Slice{kindSegment, "small business"}), "segments/small~20business.html"},
		{slicePath(Slice{kindCountry, "DE"}), "countries/DE.html"},
		{rowsPath(Slice{}), "open/index.html"},
		{rowsPath(Slice{kindCurrency, "EUR"}), "open/currencies/EUR.html"},
		{invoicePath("C1", "INV/7"), "customers/C1.html#inv-INV~2f7"},
		{rootOf("open/segments/x.html"), "../../"},
		{rootOf("index.html"), ""},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
