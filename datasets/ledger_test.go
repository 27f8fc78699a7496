package datasets

import (
	"testing"
	"time"
)

func TestParseISOAgreesWithTheTimePackage(t *testing.T) {
	for d := NewDate(1970, 1, 2); d <= MaxDate; d += 17 {
		s := d.String()
		got, ok := ParseISO(s)
		if !ok || got != d {
			t.Fatalf("ParseISO(%q) = %v, %v; want %v", s, got, ok, d)
		}
	}
	for _, bad := range []string{"2024-02-30", "2023-02-29", "2024-13-01", "2024-00-10", "1970-01-01", "2024-1-01", "2024/01/01", "20240101xx", "2149-06-07"} {
		if _, ok := ParseISO(bad); ok {
			t.Errorf("ParseISO(%q) accepted", bad)
		}
	}
	if d, ok := ParseISO("2024-02-29"); !ok || d.Time() != time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC) {
		t.Errorf("leap day = %v %v", d, ok)
	}
}

func TestParseMoney(t *testing.T) {
	cases := []struct {
		in   string
		want Money
		ok   bool
	}{
		{"0", 0, true}, {"12", 1200, true}, {"12.3", 1230, true}, {"12.34", 1234, true}, {"12.345", 1235, true},
		{"-12.345", -1235, true}, {".5", 50, true}, {"+7.00", 700, true}, {"1e2", 10000, true},
		{"", 0, false}, {"1.2.3", 0, false}, {"12a", 0, false}, {"99999999999999999", 0, false},
	}
	for _, c := range cases {
		got, err := ParseMoney(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("ParseMoney(%q) = %v, %v; want %v ok=%v", c.in, got, err, c.want, c.ok)
		}
	}
}

func TestTermsDueDate(t *testing.T) {
	issue := NewDate(2024, 1, 15)
	cases := []struct {
		terms string
		want  Date
	}{
		{"NET30", NewDate(2024, 2, 14)}, {"net 45", NewDate(2024, 2, 29)}, {"EOM30", NewDate(2024, 3, 1)}, {"EOM", NewDate(2024, 1, 31)},
	}
	for _, c := range cases {
		tm, err := ParseTerms(c.terms)
		if err != nil {
			t.Fatalf("ParseTerms(%q): %v", c.terms, err)
		}
		if got := tm.DueDate(issue); got != c.want {
			t.Errorf("%s due = %v, want %v", c.terms, got, c.want)
		}
	}
	if _, err := ParseTerms("NETX"); err == nil {
		t.Error("ParseTerms(NETX) succeeded")
	}
}
