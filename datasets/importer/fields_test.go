package importer

import (
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
)

func TestDateParser(t *testing.T) {
	d := datasets.NewDate(2024, 3, 31)
	cases := []struct {
		format, in string
		want       datasets.Date
		ok         bool
	}{
		{"", "2024-03-31", d, true},
		{"", "2024-03-31T00:00:00Z", d, true},
		{"", "2024-03-31 12:30:00", d, true},
		{"", "31.03.2024", 0, false},
		{"%d.%m.%Y", "31.03.2024", d, true},
		{"%d.%m.%Y", "2024-03-31", d, true}, // ISO still works
		{"%m/%d/%Y", "03/31/2024", d, true},
		{"%m/%d/%y", "03/31/24", d, true},
		{"%d-%b-%Y", "31-Mar-2024", d, true},
		{"%Y%m%d", "20240331", d, true},
		{"%d.%m.%Y", "31.02.2024", 0, false},
		{"", "1970-01-01", 0, false}, // not storable
		{"", "", 0, false},
	}
	for _, c := range cases {
		p, err := NewDateParser(c.format)
		if err != nil {
			t.Fatalf("format %q: %v", c.format, err)
		}
		got, err := p.Parse(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("Parse(%q) with %q = %v, %v; want %v ok=%v", c.in, c.format, got, err, c.want, c.ok)
		}
	}
	for _, bad := range []string{"%Q", "%d.%m.%", "%d.1%m"} {
		if _, err := NewDateParser(bad); err == nil {
			t.Errorf("NewDateParser(%q) accepted a bad format", bad)
		}
	}
}

func TestParseAmount(t *testing.T) {
	cases := []struct {
		in     string
		comma  bool
		want   datasets.Money
		wantOK bool
	}{
		{"1234.56", false, 123456, true},
		{"1,234.56", false, 123456, true},
		{"1,234,567", false, 123456700, true},
		{"12,5", false, 0, false},
		{"1.234,56", true, 123456, true},
		{"12,5", true, 1250, true},
		{"1234.56-", false, -123456, true},
		{"0.005", false, 1, true},
		{"-0.005", false, -1, true},
		{"1e3", false, 100000, true},
		{"abc", false, 0, false},
		{" 7 ", false, 700, true},
	}
	for _, c := range cases {
		got, err := parseAmount(c.in, c.comma)
		if (err == nil) != c.wantOK || got != c.want {
			t.Errorf("parseAmount(%q, %v) = %v, %v; want %v ok=%v", c.in, c.comma, got, err, c.want, c.wantOK)
		}
	}
}

func TestParseBool(t *testing.T) {
	for in, want := range map[string]bool{"": false, "X": true, "yes": true, "0": false, "TRUE": true, "n": false} {
		got, err := parseBool(in)
		if err != nil || got != want {
			t.Errorf("parseBool(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := parseBool("maybe"); err == nil {
		t.Error(`parseBool("maybe") succeeded`)
	}
}
