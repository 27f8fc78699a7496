package credit

import (
	"reflect"
	"testing"
)

// The built-in policy in a reporting currency is the same figures in it:
// only the currency and the source's name change.
func TestDefaultPolicyIn(t *testing.T) {
	for _, c := range []struct{ cur, want, source string }{
		{"", "EUR", DefaultPolicyFile},
		{"EUR", "EUR", DefaultPolicyFile},
		{"USD", "USD", DefaultPolicyFile + " (amounts in USD)"},
	} {
		got, base := DefaultPolicyIn(c.cur), DefaultPolicy()
		if got.Currency != c.want || got.Source != c.source {
			t.Errorf("%q: currency %s, source %q; want %s, %q", c.cur, got.Currency, got.Source, c.want, c.source)
		}
		got.Currency, got.Source = base.Currency, base.Source
		if !reflect.DeepEqual(got, base) {
			t.Errorf("%q: the figures changed:\n%+v\nwant\n%+v", c.cur, got, base)
		}
	}
}
