package datasets

import "testing"

func TestExpandExponent(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"12.5", "12.5"},
		{"1e3", "1000"},
		{"1.5E3", "1500"},
		{"-2.25e1", "-22.5"},
		{"125e-2", "1.25"},
		{"5e-3", "0.005"},
		{"1.23456e2", "123.456"},
		{"7e+0", "7"},
		{"1e30", "1000000000000000000000000000000"},
	} {
		got, err := ExpandExponent(c.in)
		if err != nil || got != c.want {
			t.Errorf("ExpandExponent(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	for _, in := range []string{"", "e3", "1e", "1e1234", "1,5", "abc", "1.2.3", "--1", "1e-"} {
		if got, err := ExpandExponent(in); err == nil {
			t.Errorf("ExpandExponent(%q) = %q, want an error", in, got)
		}
	}
	// What it gives, ParseMoney reads as the exact amount, or refuses.
	for _, c := range []struct {
		in   string
		want Money
		ok   bool
	}{
		{"1e3", 100000, true}, {"125e-2", 125, true}, {"1.23456e2", 0, false}, {"1e30", 0, false},
	} {
		plain, _ := ExpandExponent(c.in)
		m, err := ParseMoney(plain)
		if (err == nil) != c.ok || c.ok && m != c.want {
			t.Errorf("ParseMoney(ExpandExponent(%q)) = %v, %v; want %v ok=%v", c.in, m, err, c.want, c.ok)
		}
	}
}
