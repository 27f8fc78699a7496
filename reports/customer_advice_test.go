package reports

import (
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
)

// A wait has no channel, and a holdout is said to be one: a trial's page
// read "wait by  on 2026-11-02" for the worst account of the ledger.
func TestActionFactsOfAWaitAndAHoldout(t *testing.T) {
	cases := []struct {
		a    NextAction
		want string
	}{
		{NextAction{Type: "call", Channel: "phone", Date: datasets.NewDate(2026, 11, 2)}, "call by phone on 2026-11-02"},
		{NextAction{Type: "wait", Date: datasets.NewDate(2026, 11, 2), Holdout: true}, "wait on 2026-11-02 (a randomised holdout, kept to measure what contacts change)"},
	}
	for _, c := range cases {
		f := actionFacts(c.a, "EUR")
		if f[0].Label != "action" || f[0].Value != c.want {
			t.Errorf("action fact %+v, want %q", f[0], c.want)
		}
		if strings.Contains(f[0].Value, "by  on") {
			t.Errorf("action fact %q has an empty channel", f[0].Value)
		}
	}
}
