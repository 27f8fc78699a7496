package datasets

import (
	"fmt"
	"math"
	"testing"
)

func TestGrouped(t *testing.T) {
	for _, c := range []struct {
		m    Money
		want string
	}{
		{0, "0.00"},
		{5, "0.05"},
		{-5, "-0.05"},
		{99_999, "999.99"},
		{100_000, "1,000.00"},
		{123_456_789, "1,234,567.89"},
		{-123_456_789, "-1,234,567.89"},
		{MaxAmount, "9,999,999,999,999.99"},
		{math.MinInt64, "-92,233,720,368,547,758.08"},
	} {
		if got := c.m.Grouped(); got != c.want {
			t.Errorf("Money(%d).Grouped() = %q, want %q", int64(c.m), got, c.want)
		}
	}
}

func TestGroupDigits(t *testing.T) {
	for _, c := range []struct{ in, sep, want string }{
		{"", ",", ""},
		{"1", ",", "1"},
		{"123", ",", "123"},
		{"1234", ",", "1,234"},
		{"123456", ".", "123.456"},
		{"1234567", "'", "1'234'567"},
	} {
		if got := GroupDigits(c.in, c.sep); got != c.want {
			t.Errorf("GroupDigits(%q, %q) = %q, want %q", c.in, c.sep, got, c.want)
		}
	}
	if got := GroupInt(math.MinInt64); got != "-9,223,372,036,854,775,808" {
		t.Errorf("GroupInt(MinInt64) = %q", got)
	}
}

func ExampleMoney_Grouped() {
	fmt.Println(Money(123456789).Grouped(), Money(123456789))
	// Output: 1,234,567.89 1234567.89
}
