package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/dsopilot/dsopilot/datasets/importer"
	"github.com/dsopilot/dsopilot/recommender"
)

// The dunning levels of an ERP's invoices export (--columns
// invoices.dunning_level=Mahnstufe) load as actions of the scenario's
// step types: level N is the Nth step after the due date of the
// scenario's default (unselective) scenario, in the order of its steps
// (the built-in one: 1=reminder, 2=call, 3=final_notice,
// 4=collection_agency; a courtesy reminder before the due date is no
// dunning level). --dunning-levels names the types where the ERP's levels
// differ (its third level a letter, not the scenario's third step).

// dunningLevels maps the ERP's dunning levels for the importer: from
// spec (TYPE,TYPE,...: level 1's type first) when given, else from the
// scenario's steps. Each level takes its type's channel, and the offset of
// the scenario's first step of its type, when it has one, to date a
// level the file gives no date for.
func dunningLevels(s *recommender.Scenarios, spec string) ([]importer.DunningLevel, error) {
	sc := defaultScenario(s)
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
	for i, t := range types {
		typ := s.Type(t)
		if typ == nil {
			return nil, fmt.Errorf("--dunning-levels: level %d's type %q is no action type of the scenario %s (it has %s)", i+1, t, s.Source, strings.Join(s.ActionTypes(), ", "))
		}
		lv := importer.DunningLevel{Type: t, Channel: typ.Channel}
		if j := slices.IndexFunc(sc.Steps, func(st recommender.Step) bool { return st.Action == t }); j >= 0 {
			lv.Offset, lv.HasOffset = sc.Steps[j].Offset, true
			if sc.Steps[j].Channel != "" {
				lv.Channel = sc.Steps[j].Channel
			}
		}
		out = append(out, lv)
	}
	return out, nil
}

// defaultScenario is the scenario of customers no selector picks: the
// one without selectors, else the first.
func defaultScenario(s *recommender.Scenarios) *recommender.Scenario {
	for i := range s.Scenarios {
		if s.Scenarios[i].IsDefault() {
			return &s.Scenarios[i]
		}
	}
	if len(s.Scenarios) == 0 {
		return &recommender.Scenario{}
	}
	return &s.Scenarios[0]
}

// dunningHelp is the help of --dunning-levels.
const dunningHelp = "action types of the ERP's dunning levels 1, 2, ... (read with --columns invoices.dunning_level=<header>,\n" +
	"invoices.last_dunning_date=<header>), e.g. reminder,final_notice,collection_agency; default: the scenario's steps\n" +
	"after the due date, in order (built-in: 1=reminder, 2=call, 3=final_notice, 4=collection_agency)"
