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

// TestPlainAmountAgreesWithGeneralPath checks the fast path of parseAmount
// against datasets.ParseMoney, which the general path ends in.
func TestPlainAmountAgreesWithGeneralPath(t *testing.T) {
	for _, s := range []string{"0", "1", "-1", "12.3", "12.30", "-12.34", "0.05", "9999999999999999.99",
		"-9999999999999999.99", "12345678901234567", "1.", ".5", "-", "", "1.234", "1.2.3", "1,234.56",
		"+5", "1e3", " 1.5", "1.5 ", "1.-5", "-0.00", "007.10", "1x", "1.x", "1.1x"} {
		m, ok := plainAmount(s)
		want, err := datasets.ParseMoney(s)
		if ok && (err != nil || m != want) {
			t.Errorf("plainAmount(%q) = %v, general path %v, %v", s, m, want, err)
		}
	}
	for _, s := range []string{"0", "-12.34", "5.5", "9999999999999999.99"} {
		if _, ok := plainAmount(s); !ok {
			t.Errorf("plainAmount(%q) not taken", s)
		}
	}
}
