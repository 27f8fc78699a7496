package recommender

import (
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
)

// FormatCents writes cents with the thousands separators FormatAmount
// gives whole units.
func TestFormatCents(t *testing.T) {
	for _, c := range []struct {
		m    datasets.Money
		want string
	}{
		{0, "0.00"},
		{5, "0.05"},
		{999_99, "999.99"},
		{1000_00, "1,000.00"},
		{958621934, "9,586,219.34"},
		{-1234567_89, "-1,234,567.89"},
	} {
		if got := FormatCents(c.m); got != c.want {
			t.Errorf("FormatCents(%d) = %q, want %q", int64(c.m), got, c.want)
		}
	}
	if FormatAmount(1000_00) != "1,000" { // the whole units keep theirs
		t.Fatalf("FormatAmount(1000_00) = %q", FormatAmount(1000_00))
	}
}
