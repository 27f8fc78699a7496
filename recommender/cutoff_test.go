package recommender

import (
	"errors"
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/model"
)

// A model scores what was known by a day only if it learnt nothing after
// that day: its training cut-off on or before it.
func TestCheckModelKnownBy(t *testing.T) {
	d := func(s string) datasets.Date {
		v, err := datasets.ParseDate(s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	cases := []struct {
		name   string
		b      *model.Bundle
		known  string
		refuse bool
		bad    bool
	}{
		{"no model", nil, "2024-06-30", false, false},
		{"a bundle without a cut-off", &model.Bundle{}, "2024-06-30", false, false},
		{"trained after the day", &model.Bundle{Options: model.BundleOptions{AsOf: "2024-12-31"}}, "2024-06-30", true, false},
		{"trained the day after", &model.Bundle{Options: model.BundleOptions{AsOf: "2024-07-01"}}, "2024-06-30", true, false},
		{"trained on the day", &model.Bundle{Options: model.BundleOptions{AsOf: "2024-06-30"}}, "2024-06-30", false, false},
		{"trained before", &model.Bundle{Options: model.BundleOptions{AsOf: "2024-01-31"}}, "2024-06-30", false, false},
		{"an unreadable cut-off", &model.Bundle{Options: model.BundleOptions{AsOf: "last year"}}, "2024-06-30", false, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := CheckModelKnownBy(c.b, d(c.known))
			var mc *ModelCutoffError
			switch {
			case c.refuse && (!errors.As(err, &mc) || mc.Cutoff != d(c.b.Options.AsOf) || mc.Known != d(c.known) || !errors.Is(err, ErrInput)):
				t.Fatalf("%v, want a *ModelCutoffError (cut-off %s, known %s) wrapping ErrInput", err, c.b.Options.AsOf, c.known)
			case c.refuse && (!strings.Contains(err.Error(), c.b.Options.AsOf) || !strings.Contains(err.Error(), c.known) || strings.Contains(err.Error(), "\n")):
				t.Fatalf("%q: want one line naming the cut-off and the day", err)
			case c.bad && (err == nil || errors.As(err, &mc) || !strings.Contains(err.Error(), `"last year"`)):
				t.Fatalf("%v, want the unreadable cut-off named", err)
			case !c.refuse && !c.bad && err != nil:
				t.Fatalf("refused: %v", err)
			}
		})
	}
}
