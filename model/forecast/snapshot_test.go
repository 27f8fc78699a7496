package forecast

import (
	"reflect"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
)

func TestActualsRatesPreferTheSnapshots(t *testing.T) {
	eur := func(rates map[string]datasets.Rate) *datasets.FX { return &datasets.FX{To: "EUR", Rates: rates} }
	kept := eur(map[string]datasets.Rate{"USD": 900_000_000, "GBP": 1_200_000_000})
	given := eur(map[string]datasets.Rate{"USD": 1_800_000_000, "SEK": 87_000_000, "EUR": 1_000_000_000})
	for _, tt := range []struct {
		name      string
		kept      *datasets.FX
		given     *datasets.FX
		want      *datasets.FX
		wantFrom  string
		wantAdded []string
	}{
		{"old snapshot, nothing given", nil, nil, nil, "", nil},
		{"old snapshot, rates given now", nil, given, given, RatesGiven, nil},
		{"kept, nothing given", kept, nil, kept, RatesOfSnapshot, nil},
		{"kept wins; given fills the currency it lacks", kept, given,
			eur(map[string]datasets.Rate{"USD": 900_000_000, "GBP": 1_200_000_000, "SEK": 87_000_000}), RatesOfSnapshot, []string{"SEK"}},
		{"kept without other currencies", eur(nil), given,
			eur(map[string]datasets.Rate{"USD": 1_800_000_000, "SEK": 87_000_000}), RatesOfSnapshot, []string{"SEK", "USD"}},
		{"given to another currency is not used", kept, &datasets.FX{To: "USD", Rates: map[string]datasets.Rate{"SEK": 1}},
			kept, RatesOfSnapshot, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := &datasets.ForecastSnapshot{ID: "S", Currency: "EUR", FX: tt.kept}
			got, from, added := ActualsRates(s, tt.given)
			if !reflect.DeepEqual(got, tt.want) || from != tt.wantFrom || !reflect.DeepEqual(added, tt.wantAdded) {
				t.Errorf("got %+v from %q adding %v, want %+v from %q adding %v", got, from, added, tt.want, tt.wantFrom, tt.wantAdded)
			}
		})
	}
	if len(kept.Rates) != 2 {
		t.Errorf("the snapshot's rates were changed: %v", kept.Rates)
	}
}
