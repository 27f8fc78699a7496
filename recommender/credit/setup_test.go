package credit

import (
	"reflect"
	"testing"

	"github.com/dsopilot/dsopilot/model"
)

// The one construction of the advice's PDs: the default model learnt from
// the ledger with the promoted payment model standing in where it cannot
// be learnt; a chosen model's PDs alone; the segments' rates without one.
func TestAdviceRisk(t *testing.T) {
	b := &model.Bundle{}
	cases := []struct {
		name   string
		b      *model.Bundle
		chosen bool
		want   RiskSource
	}{
		{"promoted", b, false, LearnedRisk{Fallback: ModelRisk{Bundle: b}}},
		{"chosen", b, true, ModelRisk{Bundle: b}},
		{"none", nil, false, LearnedRisk{}},
	}
	for _, c := range cases {
		_, _, got, err := Setup{Model: c.b, ModelChosen: c.chosen}.Build()
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: %#v, want %#v", c.name, got, c.want)
		}
	}
}
