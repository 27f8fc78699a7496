package datasets

import "testing"

func TestCountryCode(t *testing.T) {
	for _, tc := range []struct {
		in       string
		code     string
		read, ok bool
	}{
		{"US", "US", false, true},
		{"de", "DE", false, true},
		{"United States", "US", true, true},
		{" united kingdom ", "GB", true, true},
		{"UK", "GB", true, true},
		{"USA", "US", true, true},
		{"Deutschland", "DE", true, true},
		{"Österreich", "AT", true, true},
		{"España", "ES", true, true},
		{"Canada", "CA", true, true},
		{"Atlantis", "ATLANTIS", false, false},
		{"U", "U", false, false},
		{"D1", "D1", false, false},
	} {
		code, read, ok := CountryCode(tc.in)
		if code != tc.code || read != tc.read || ok != tc.ok {
			t.Errorf("CountryCode(%q) = %q, %v, %v; want %q, %v, %v", tc.in, code, read, ok, tc.code, tc.read, tc.ok)
		}
	}
}
