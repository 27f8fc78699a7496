package recommender

import (
	"reflect"
	"testing"
)

// The built-in scenarios in a reporting currency are the same figures in
// it: only the currency and the source's name change.
func TestDefaultScenariosIn(t *testing.T) {
	for _, c := range []struct{ cur, want, source string }{
		{"", "EUR", DefaultScenariosFile},
		{"EUR", "EUR", DefaultScenariosFile},
		{"USD", "USD", DefaultScenariosFile + " (amounts in USD)"},
	} {
		got, base := DefaultScenariosIn(c.cur), DefaultScenarios()
		if got.Currency != c.want || got.Source != c.source {
			t.Errorf("%q: currency %s, source %q; want %s, %q", c.cur, got.Currency, got.Source, c.want, c.source)
		}
		got.Currency, got.Source = base.Currency, base.Source
		if !reflect.DeepEqual(got, base) {
			t.Errorf("%q: the figures changed", c.cur)
		}
	}
}
