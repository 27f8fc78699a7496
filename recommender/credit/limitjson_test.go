package credit

import (
	"encoding/json"
	"testing"

	"github.com/dsopilot/dsopilot/features"
)

// A blank credit limit is null in the JSON of a suggestion (current_limit),
// the flags (limit) and a proposal (old_limit), as in the API's; a written
// 0.00 stays 0.00, no credit. (All gave 0.00.)
func TestTheJSONGivesABlankLimitAsNull(t *testing.T) {
	pol := DefaultPolicy()
	risk := map[string]Risk{"C1": {PD: 0.01, Source: "model"}}
	field := func(v any, name string) string {
		t.Helper()
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		return string(m[name])
	}
	for _, c := range []struct {
		blank bool
		want  string
	}{{true, "null"}, {false, "0.00"}} {
		l := blankLedger(c.blank)
		s := suggestOne(t, l, pol, risk, "C1")
		f := flagsOf(t, l, pol, "C1")
		p := Proposal{ID: "CP-1", OldLimitBlank: c.blank, NewLimit: features.KPIMoney(100000)}
		if got := field(s, "current_limit"); got != c.want {
			t.Errorf("blank %v: suggestion's current_limit %s, want %s", c.blank, got, c.want)
		}
		if got := field(&s, "current_limit"); got != c.want {
			t.Errorf("blank %v: suggestion's current_limit by pointer %s, want %s", c.blank, got, c.want)
		}
		if got := field(f, "limit"); got != c.want {
			t.Errorf("blank %v: flags' limit %s, want %s", c.blank, got, c.want)
		}
		if got := field(p, "old_limit"); got != c.want {
			t.Errorf("blank %v: proposal's old_limit %s, want %s", c.blank, got, c.want)
		}
		// The other fields are still there, once each.
		if got := field(s, "limit_source"); got == "" || field(s, "gross_exposure") == "" || field(f, "limit_review_from") != "" && c.blank {
			t.Errorf("blank %v: suggestion's limit_source %s: fields lost", c.blank, got)
		}
		if got := field(p, "new_limit"); got != "1000.00" {
			t.Errorf("blank %v: proposal's new_limit %s, want 1000.00", c.blank, got)
		}
	}
}
