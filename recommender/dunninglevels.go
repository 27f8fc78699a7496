package recommender

import (
	"fmt"
	"strings"

	"github.com/dsopilot/dsopilot/datasets/importer"
)

// The dunning levels of an ERP's invoices export (--columns
// invoices.dunning_level=Mahnstufe) load as actions of the scenario's
// step types: level N is the Nth step after the due date of the
// scenario's default (unselective) scenario, in the order of its steps
// (the built-in one: 1=reminder, 2=call, 3=final_notice,
// 4=collection_agency; a courtesy reminder before the due date is no
// dunning level). --dunning-levels names the types where the ERP's levels
// differ (its third level a letter, not the scenario's third step).

// DunningLevels maps the ERP's dunning levels for the importer: from
// spec (TYPE,TYPE,...: level 1's type first) when given, else from the
// scenario's steps. Each level takes its type's channel, and the offset of
// its step (the k-th level of a type the scenario's k-th step of it), when
// the scenario has one, to date a level the file gives no date for.
func (s *Scenarios) DunningLevels(spec string) ([]importer.DunningLevel, error) {
	sc := s.defaultScenario()
	var types []string
	if strings.TrimSpace(spec) == "" {
		for _, st := range sc.Steps {
			if st.Offset > 0 {
				types = append(types, st.Action)
			}
		}
	} else {
		for _, t := range strings.Split(spec, ",") {
			types = append(types, strings.ToLower(strings.TrimSpace(t)))
		}
	}
	out := make([]importer.DunningLevel, 0, len(types))
	seen := map[string]int{}
	for i, t := range types {
		typ := s.Type(t)
		if typ == nil {
			return nil, fmt.Errorf("--dunning-levels: level %d's type %q is no action type of the scenario %s (it has %s)", i+1, t, s.Source, strings.Join(s.ActionTypes(), ", "))
		}
		lv := importer.DunningLevel{Type: t, Channel: typ.Channel}
		// The k-th level of a type is the scenario's k-th step of it: a
		// scenario reminding twice (days 7 and 21) dates its second
		// reminder level by day 21, not by the first reminder's day.
		k := seen[t]
		seen[t]++
		if st := nthStep(sc.Steps, t, k); st != nil {
			lv.Offset, lv.HasOffset = st.Offset, true
			if st.Channel != "" {
				lv.Channel = st.Channel
			}
		}
		out = append(out, lv)
	}
	return out, nil
}

// nthStep is the k-th (from 0) of steps after the due date of type t,
// else the last such step of it, else the first of any offset, nil when
// the scenario has none.
func nthStep(steps []Step, t string, k int) *Step {
	var after, any []*Step
	for i := range steps {
		if steps[i].Action != t {
			continue
		}
		any = append(any, &steps[i])
		if steps[i].Offset > 0 {
			after = append(after, &steps[i])
		}
	}
	switch {
	case k < len(after):
		return after[k]
	case len(after) > 0:
		return after[len(after)-1]
	case len(any) > 0:
		return any[0]
	}
	return nil
}

// defaultScenario is the scenario of customers no selector picks: the
// one without selectors, else the first.
func (s *Scenarios) defaultScenario() *Scenario {
	for i := range s.Scenarios {
		if s.Scenarios[i].IsDefault() {
			return &s.Scenarios[i]
		}
	}
	if len(s.Scenarios) == 0 {
		return &Scenario{}
	}
	return &s.Scenarios[0]
}
