package reports

import (
	"math"
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
)

func TestFormatting(t *testing.T) {
	for _, c := range []struct {
		got, want string
	}{
		{fmtMoney(0), "0.00"},
		{fmtMoney(5), "0.05"},
		{fmtMoney(-123456789), "-1,234,567.89"},
		{fmtMoney(100000), "1,000.00"},
		{fmtMoney(datasets.Money(math.MinInt64)), "-92,233,720,368,547,758.08"},
		{fmtWhole(123456750), "1,234,568"},
		{fmtWhole(-149), "-1"},
		{fmtWhole(-49), "0"},
		{fmtWhole(99999), "1,000"},
		{fmtInt(1234567), "1,234,567"},
		{fmtInt(-1000), "-1,000"},
		{fmtInt(999), "999"},
		{fmtFloat(54.849, 1), "54.8"},
		{fmtFloat(-0.04, 1), "0.0"},
		{fmtFloat(-1234.56, 1), "-1,234.6"},
		{fmtFloat(math.NaN(), 1), "n/a"},
		{fmtOpt(nil, " d"), "n/a"},
		{fmtShare(ptr(0.1234)), "12.3 %"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

func ptr(v float64) *float64 { return &v }

// The countback tile marks a lower bound with "≥" and says why.
func TestCountbackTile(t *testing.T) {
	v := 1096.0
	for _, tc := range []struct {
		name          string
		capped        bool
		value, subHas string
	}{
		{"capped", true, "≥ 1,096.0", "at least"},
		{"not capped", false, "1,096.0", "days of the latest sales"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var k features.KPIs
			k.CountbackDSO, k.CountbackCapped = &v, tc.capped
			got := countbackTile(k, "#x")
			if got.Value != tc.value || !strings.Contains(got.Sub, tc.subHas) || got.Href != "#x" {
				t.Errorf("tile %+v, want value %q and a caption with %q", got, tc.value, tc.subHas)
			}
		})
	}
}
