package importer

import (
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
)

// TestAmountsOneByOne reads single amounts in a fresh column under each
// convention: what is stored, or the reason it is not.
func TestAmountsOneByOne(t *testing.T) {
	noScan := func() (decimalMark, string) { return markUnknown, "" }
	cases := []struct {
		in     string
		forced decimalMark
		round  bool
		want   datasets.Money
		err    string
	}{
		{"1234.56", markUnknown, false, 123456, ""},
		{"1,234.56", markUnknown, false, 123456, ""},
		{"1,234,567", markUnknown, false, 123456700, ""},
		{"1.234.567", markUnknown, false, 123456700, ""},
		{"8.277,25", markUnknown, false, 827725, ""}, // issue 8: was stored as 8.28
		{"8.277,25", markPoint, false, 0, "reads only with a decimal comma"},
		{"8277.25", markComma, false, 0, "reads only with a decimal point"}, // was stored as 827725.00
		{"12,5", markUnknown, false, 1250, ""},
		{"1 234,56", markUnknown, false, 123456, ""},
		{"1'234.56", markUnknown, false, 123456, ""},
		{"1\u00a0234,56", markUnknown, false, 123456, ""},
		{"1234.56-", markUnknown, false, -123456, ""},
		{"-1.234,56", markUnknown, false, -123456, ""},
		{"+7", markUnknown, false, 700, ""},
		{" 7 ", markUnknown, false, 700, ""},
		{"0,125", markUnknown, false, 0, "more than 2 decimals"}, // a lone 0 never groups
		{"1.234", markUnknown, false, 0, "ambiguous"},
		{"1.234", markComma, false, 123400, ""},
		{"1.234", markPoint, false, 0, "more than 2 decimals"},
		{"1.230", markPoint, false, 123, ""}, // extra zeros are exact
		{"100.005", markPoint, true, 10001, ""},
		{"100.005", markPoint, false, 0, "more than 2 decimals"},
		{"100.005", markUnknown, false, 0, "ambiguous: 100.005 or 100005,"},
		{"1,005", markUnknown, false, 0, "ambiguous: 1005 or 1.005,"},
		{"-0.005", markUnknown, true, -1, ""},
		{"1.0055", markUnknown, true, 101, ""}, // four decimals cannot group
		{"1.0045", markUnknown, true, 100, ""},
		{"1,23,456.00", markUnknown, false, 0, "grouped in threes"},
		{"--1e3", markUnknown, false, 0, "not a plain decimal"},
		{"0x1ep2", markUnknown, false, 0, "not a plain decimal"},
		{"1e20", markUnknown, false, 0, "not a plain decimal"},
		{"1O0.00", markUnknown, false, 0, "not a plain decimal"},
		{"EUR 12", markUnknown, false, 0, "not a plain decimal"},
		{"12.50.", markUnknown, false, 0, "not an amount"},
		{"-", markUnknown, false, 0, "not an amount"},
		{"9999999999999.99", markUnknown, false, 999999999999999, ""},
		{"10000000000000.00", markUnknown, false, 0, "too large"},
		{"9999999999999999.99", markUnknown, false, 0, "too large"}, // issue 8: ten of these overflowed kpi
		{"99,999,999,999,999,999.99", markUnknown, false, 0, "too large"},
	}
	for _, c := range cases {
		a := &amountParser{forced: c.forced, round: c.round}
		col := a.column("amount", noScan)
		got, err := col.parse(strings.TrimSpace(c.in), 2)
		switch {
		case c.err == "" && (err != nil || got != c.want):
			t.Errorf("%q (%v): %v, %v; want %v", c.in, c.forced, got, err, c.want)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%q (%v): %v, %v; want an error containing %q", c.in, c.forced, got, err, c.err)
		}
	}
}

// TestAmbiguousAmountsFollowTheColumn: "1.234" is read with the convention
// the column's other values show, found by a scan of the file.
func TestAmbiguousAmountsFollowTheColumn(t *testing.T) {
	for _, c := range []struct {
		scan decimalMark
		want datasets.Money
		err  string
	}{{markComma, 123400, ""}, {markPoint, 0, "more than 2 decimals"}, {markMixed, 0, "mixes"}, {markUnknown, 0, "no amount"}} {
		scans := 0
		col := (&amountParser{}).column("amount", func() (decimalMark, string) {
			scans++
			return c.scan, "mixes decimal marks"
		})
		for range 3 {
			got, err := col.parse("1.234", 7)
			if c.err == "" && (err != nil || got != c.want) || c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)) {
				t.Errorf("scan %v: %v, %v; want %v %q", c.scan, got, err, c.want, c.err)
			}
		}
		if scans != 1 {
			t.Errorf("scan %v: the file was scanned %d times, want once", c.scan, scans)
		}
	}
}

func TestJSONAmounts(t *testing.T) {
	a := &amountParser{}
	for in, want := range map[string]datasets.Money{"1234.5": 123450, "1.5e3": 150000, "12E-1": 120, "-0.25": -25, "1.234": 0, "1e20": 0} {
		got, err := a.jsonAmount(in)
		if want == 0 {
			if err == nil {
				t.Errorf("JSON %s = %v, want an error", in, got)
			}
			continue
		}
		if err != nil || got != want {
			t.Errorf("JSON %s = %v, %v; want %v", in, got, err, want)
		}
	}
}

// TestPlainAmountAgreesWithGeneralPath checks the fast path against the
// general one.
func TestPlainAmountAgreesWithGeneralPath(t *testing.T) {
	a := &amountParser{}
	for _, s := range []string{"0", "1", "-1", "12.3", "12.30", "-12.34", "0.05", "9999999999999.99",
		"-9999999999999.99", "12345678901234", "1.", ".5", "-", "", "1.234", "1.2.3", "1,234.56",
		"+5", "1e3", "1.-5", "-0.00", "007.10", "1x", "1.x", "1.1x"} {
		m, ok := plainAmount(s)
		if !ok {
			continue
		}
		shows, p, _, err := classify(s)
		if err != nil || shows == markComma || shows == markMixed {
			t.Errorf("plainAmount(%q) took a value the general path reads as %v, %v", s, shows, err)
			continue
		}
		if want, err := a.value(p); err != nil || m != want {
			t.Errorf("plainAmount(%q) = %v, general path %v, %v", s, m, want, err)
		}
	}
	for _, s := range []string{"0", "-12.34", "5.5", "9999999999999.99"} {
		if _, ok := plainAmount(s); !ok {
			t.Errorf("plainAmount(%q) not taken", s)
		}
	}
}
