package datasets

import (
	"strconv"
	"strings"
)

// GroupDigits inserts sep between groups of three digits, counted from the
// right: GroupDigits("1234567", ",") is "1,234,567". digits must be a
// string of ASCII digits without a sign.
func GroupDigits(digits, sep string) string {
	if len(digits) <= 3 {
		return digits
	}
	var b strings.Builder
	head := len(digits) % 3
	if head == 0 {
		head = 3
	}
	b.WriteString(digits[:head])
	for i := head; i < len(digits); i += 3 {
		b.WriteString(sep)
		b.WriteString(digits[i : i+3])
	}
	return b.String()
}

// GroupInt formats n with commas between groups of three digits (-1,234).
func GroupInt(n int64) string {
	u, sign := magnitude(n)
	return sign + GroupDigits(strconv.FormatUint(u, 10), ",")
}

// Grouped formats m as people read amounts: two decimals and commas
// between groups of three digits (-1,234,567.89). String stays the plain
// form that files and the database read back.
func (m Money) Grouped() string {
	u, sign := magnitude(int64(m))
	cents := u % 100
	return sign + GroupDigits(strconv.FormatUint(u/100, 10), ",") + "." +
		strconv.FormatUint(cents/10, 10) + strconv.FormatUint(cents%10, 10)
}

// magnitude returns |n| without overflowing for the smallest int64, and
// "-" for a negative n.
func magnitude(n int64) (uint64, string) {
	if n < 0 {
		return uint64(-(n + 1)) + 1, "-"
	}
	return uint64(n), ""
}
