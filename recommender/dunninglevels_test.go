package recommender

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A scenario taking one type twice dates each level by its own step: the
// second reminder level by the second reminder's day, not the first's
// (the same day as level 1, so the scenario would send it again).
func TestDunningLevelsOfARepeatedStepType(t *testing.T) {
	path := filepath.Join(t.TempDir(), "twice.yaml")
	if err := os.WriteFile(path, []byte("currency: EUR\naction_types:\n"+
		"  reminder: {channel: email, cost: 0.50, dpd: [1, 365]}\n"+
		"  call: {channel: phone, cost: 8.00, personal: true, dpd: [10, 365]}\n"+
		"scenarios:\n  - name: standard\n    steps:\n"+
		"      - {offset: 7, action: reminder}\n      - {offset: 21, action: reminder}\n      - {offset: 35, action: call}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := LoadScenarios(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ spec, want string }{
		{"", "reminder@7 reminder@21 call@35"},
		{"reminder,reminder,reminder,call", "reminder@7 reminder@21 reminder@21 call@35"},
	} {
		lv, err := s.DunningLevels(tc.spec)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, l := range lv {
			got = append(got, fmt.Sprintf("%s@%d", l.Type, l.Offset))
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("levels of %q: %v, want %s", tc.spec, got, tc.want)
		}
	}
}
