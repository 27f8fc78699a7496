package datasets

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A customer without terms in its master is told its invoices' terms, said
// to be theirs, with the range when they vary.
func TestTermsOfInvoices(t *testing.T) {
	day := NewDate(2024, 1, 1)
	inv := func(issue, terms int) Invoice {
		return Invoice{IssueDate: day.AddDays(issue), DueDate: day.AddDays(issue + terms)}
	}
	for _, tc := range []struct {
		name string
		invs []Invoice
		asOf Date
		want string
	}{
		{"none", nil, 0, ""},
		{"all NET60", []Invoice{inv(0, 60), inv(10, 60)}, 0, "NET60 (from its invoices)"},
		{"most NET30", []Invoice{inv(0, 30), inv(1, 60), inv(2, 30)}, 0, "NET30 (from its invoices, which run 30 to 60 days)"},
		{"a tie: the shorter", []Invoice{inv(0, 60), inv(1, 30)}, 0, "NET30 (from its invoices, which run 30 to 60 days)"},
		{"issued by the as-of date only", []Invoice{inv(0, 45), inv(100, 90)}, day.AddDays(50), "NET45 (from its invoices)"},
	} {
		if got := TermsOfInvoices(tc.invs, tc.asOf).String(); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

// An ERP's terms keys are named KEY=DAYS or KEY=TERMS, inline or in a
// file (a header line left out); a key is found in any case, a key given
// two terms or terms that do not read are errors, a file's naming its
// line.
func TestTermsKeys(t *testing.T) {
	cases := []struct {
		name, spec, file string
		want             map[string]string // key: terms
		err              string
	}{
		{name: "days", spec: "ZB30=30, zn60=60,0001=0", want: map[string]string{"ZB30": "NET30", "ZN60": "NET60", "0001": "NET0"}},
		{name: "terms", spec: "Z045=EOM45,ZT14=14 Tage netto", want: map[string]string{"Z045": "EOM45", "ZT14": "NET14"}},
		{name: "the same twice", spec: "ZB30=30,ZB30=NET30", want: map[string]string{"ZB30": "NET30"}},
		{name: "two terms", spec: "ZB30=30,ZB30=45", err: "terms key ZB30 is given as NET30 and as NET45"},
		{name: "not terms", spec: "ZB30=dreißig", err: "terms key ZB30"},
		{name: "no terms", spec: "ZB30", err: "want KEY=DAYS or KEY=TERMS"},
		{name: "file with a header", file: "ZTERM;Tage\nZB30;30\n# a comment\n\nZN60;NET60\n", want: map[string]string{"ZB30": "NET30", "ZN60": "NET60"}},
		{name: "file of pairs", file: "ZB30=30\r\nZN60,60\r\n", want: map[string]string{"ZB30": "NET30", "ZN60": "NET60"}},
		{name: "file with a bad line", file: "ZB30;30\nZN60;sixty\n", err: "terms.txt:2: bad terms keys: terms key ZN60"},
	}
	for _, tc := range cases {
		m := map[string]Terms{}
		var err error
		if tc.file != "" {
			p := filepath.Join(t.TempDir(), "terms.txt")
			if werr := os.WriteFile(p, []byte(tc.file), 0o644); werr != nil {
				t.Fatal(werr)
			}
			err = ReadTermsKeys(m, p)
		} else {
			err = ParseTermsKeys(m, tc.spec)
		}
		if tc.err != "" {
			if !errors.Is(err, ErrTermsKeys) || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: err %v, want %q", tc.name, err, tc.err)
			}
			continue
		}
		got := map[string]string{}
		for k, v := range m {
			got[k] = v.String()
		}
		if err != nil || fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s: %v (%v), want %v", tc.name, got, err, tc.want)
		}
		for k, v := range m {
			if got, ok := LookupTermsKey(m, " "+strings.ToLower(k)+" "); !ok || got != v {
				t.Errorf("%s: key %s looked up in lower case: %v %v", tc.name, k, got, ok)
			}
		}
	}
	if _, ok := LookupTermsKey(nil, "ZB30"); ok {
		t.Error("a key found without keys")
	}
}
