package recommender

import (
	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/synth"
)

// SimFX returns the simulator's exchange rates to EUR as a datasets.FX.
func SimFX() datasets.FX {
	fx := datasets.FX{To: "EUR", Rates: map[string]datasets.Rate{}}
	for _, r := range synth.FXRates() {
		fx.Rates[r.Currency] = r.Rate
	}
	return fx
}
