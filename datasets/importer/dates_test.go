package importer

import (
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
)

func TestDateParser(t *testing.T) {
	d := datasets.NewDate(2024, 3, 31)
	jan5 := datasets.NewDate(2024, 1, 5)
	cases := []struct {
		format, in string
		want       datasets.Date
		err        string // part of the error; "" for success
	}{
		{"", "2024-03-31", d, ""},
		{"", "2024-03-31T00:00:00Z", d, ""},
		{"", "2024-03-31 12:30:00", d, ""},
		{"", "31.03.2024", 0, "is not YYYY-MM-DD (use --date-format, e.g. %d.%m.%Y)"},
		{"", "31/12/2023", 0, "(use --date-format, e.g. %d/%m/%Y or %m/%d/%Y)"},
		{"", "31-12-2023", 0, "(use --date-format, e.g. %d-%m-%Y or %m-%d-%Y)"},
		{"", "2024-02-30", 0, "2024-02-30 is not a day: February 2024 has 29 days"},
		{"", "2023-02-29", 0, "is not a day"},
		{"", "2024-13-01", 0, "no month 13"},
		{"%d.%m.%Y", "31.03.2024", d, ""},
		{"%d.%m.%Y", "2024-03-31", d, ""}, // ISO still works
		{"%d.%m.%Y", "2024-02-30", 0, "2024-02-30 is not a day"},
		{"%m/%d/%Y", "03/31/2024", d, ""},
		{"%m/%d/%Y", "1/5/2024", jan5, ""}, // US exports: no leading zeros
		{"%d/%m/%Y", "5/1/2024", jan5, ""},
		{"%m/%d/%Y", "1/5/2024 13:45", jan5, ""},      // a time part follows
		{"%m/%d/%Y", "1/5/2024 1:45:00 PM", jan5, ""}, // with seconds and AM/PM
		{"%d.%m.%Y", "05.01.2024T08:00:00+01:00", jan5, ""},
		{"%d.%m.%Y %H:%M", "5.1.2024 8:05", jan5, ""},
		{"%d.%m.%Y %H:%M", "5.1.2024 24:05", 0, "does not match"},
		{"%m/%d/%Y", "1/5/2024 later", 0, "does not match"},
		{"%m/%d/%Y", "31/12/2023", 0, "31/12/2023 is not a day: there is no month 31"},
		{"%m/%d/%y", "03/31/24", d, ""},
		{"%d/%m/%y", "31/03/69", datasets.NewDate(1969, 3, 31), "outside"},
		{"%d-%b-%Y", "31-Mar-2024", d, ""},
		{"%d-%b-%Y", "31-MAR-2024", d, ""},
		{"%d %B %Y", "31 march 2024", d, ""},
		{"%b %e %Y", "Mar  5 2024", datasets.NewDate(2024, 3, 5), ""},
		{"%Y%m%d", "20240331", d, ""},
		{"%Y-%j", "2024-091", d, ""},
		{"%Y-%j", "2023-366", 0, "is not a day"},
		{"%d.%m.%Y", "31.02.2024", 0, "31.02.2024 is not a day: February 2024 has 29 days"},
		{"%d.%m.%Y", "31.03.24", 0, "does not match %d.%m.%Y"},
		{"", "1970-01-01", 0, "outside"}, // not storable
		{"", "", 0, "empty date"},
	}
	for _, c := range cases {
		p, err := NewDateParser(c.format)
		if err != nil {
			t.Fatalf("format %q: %v", c.format, err)
		}
		got, err := p.Parse(c.in)
		switch {
		case c.err == "" && (err != nil || got != c.want):
			t.Errorf("Parse(%q) with %q = %v, %v; want %v", c.in, c.format, got, err, c.want)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("Parse(%q) with %q = %v, %v; want an error containing %q", c.in, c.format, got, err, c.err)
		}
	}
	for _, bad := range []string{"%Q", "%d.%m.%", "%d.%m", "%m/%Y", "%d/%d/%Y", "%j.%m.%Y"} {
		if _, err := NewDateParser(bad); err == nil {
			t.Errorf("NewDateParser(%q) accepted a bad format", bad)
		}
	}
}

func TestParseBool(t *testing.T) {
	for in, want := range map[string]bool{"": false, "X": true, "yes": true, "0": false, "TRUE": true, "n": false,
		// A French export's Litige column (Oui/Non) rejected every invoice row.
		"Oui": true, "NON": false, "ja": true, "Nein": false, "nee": false, "Sí": true, "não": false, "vrai": true} {
		got, err := parseBool(in)
		if err != nil || got != want {
			t.Errorf("parseBool(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := parseBool("maybe"); err == nil {
		t.Error(`parseBool("maybe") succeeded`)
	}
}

func TestSuggestFormat(t *testing.T) {
	s := &dateSample{badSeen: map[string]bool{}}
	for _, v := range []string{"31/12/2023", "13/1/2024"} {
		s.bad(v)
	}
	s.good = []string{"1/2/2024"}
	if got := suggestFormat(s); !strings.Contains(got, "pass --date-format '%d/%m/%Y'") {
		t.Errorf("suggestion %q, want %%d/%%m/%%Y", got)
	}
	amb := &dateSample{badSeen: map[string]bool{}}
	amb.bad("1/2/2024")
	if got := suggestFormat(amb); !strings.Contains(got, "%d/%m/%Y") || !strings.Contains(got, "%m/%d/%Y") || strings.Contains(got, "pass --date-format '") {
		t.Errorf("suggestion for an ambiguous date %q, want both formats and no single one", got)
	}
	none := &dateSample{badSeen: map[string]bool{}}
	none.bad("yesterday")
	if got := suggestFormat(none); got != "" {
		t.Errorf("suggestion for no date %q, want none", got)
	}
}
