package api

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/recommender"
)

// scenarioFile is a Collections that tells the scenario file it
// recommends from (RecommenderCollections does).
type scenarioFile interface {
	Scenarios() *recommender.Scenarios
}

// Scenarios returns the scenario file the recommender follows.
func (rc *RecommenderCollections) Scenarios() *recommender.Scenarios { return rc.daily.Scenarios() }

// actionVocabulary is what a recorded action's type and channel may be:
// the scenario file's action types (the built-in ones and those it
// declares) and wait, a holdout's decision to contact no one; the
// channels of its types and of its steps (a step may send its type on
// another channel). The recommender learns an action's effect by its
// type: an action of a type it does not know ("phonecall") is one it
// can neither learn from nor count against a rule.
type actionVocabulary struct {
	types, channels []string
}

// newActionVocabulary reads the vocabulary of the scenario file of
// collections, or of the built-in file when it tells none.
func newActionVocabulary(collections Collections) actionVocabulary {
	var sc *recommender.Scenarios
	if f, ok := collections.(scenarioFile); ok {
		sc = f.Scenarios()
	}
	if sc == nil {
		sc = recommender.DefaultScenarios()
	}
	v := actionVocabulary{types: slices.Sorted(maps.Keys(sc.Types)), channels: sc.Channels()}
	if !slices.Contains(v.types, datasets.ActionWait) {
		v.types = append(v.types, datasets.ActionWait)
	}
	for _, s := range sc.Scenarios {
		for _, st := range s.Steps {
			if st.Channel != "" && !slices.Contains(v.channels, st.Channel) {
				v.channels = append(v.channels, st.Channel)
			}
		}
	}
	slices.Sort(v.channels)
	return v
}

// check reports a type or channel (lower-cased) outside the vocabulary,
// at the JSON fields type and channel; an empty channel is unknown, and
// allowed.
func (v actionVocabulary) check(fe *fieldErrors, typ, channel string) {
	if typ != "" && !slices.Contains(v.types, typ) {
		fe.add("/type", fmt.Sprintf("%q is not an action type: want one of %s (the scenario file's types, and wait for a holdout's decision to contact no one)",
			typ, strings.Join(v.types, ", ")))
	}
	if channel != "" && !slices.Contains(v.channels, channel) {
		fe.add("/channel", fmt.Sprintf("%q is not a channel: want one of %s (the scenario file's), or none", channel, strings.Join(v.channels, ", ")))
	}
}
