package recommender

import (
	_ "embed"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/synth"
)

//go:embed default_scenarios.yaml
var defaultScenariosYAML []byte

// DefaultScenariosFile is the name errors give the embedded default file.
const DefaultScenariosFile = "default_scenarios.yaml"

// DefaultScenarios returns the shipped scenarios: the standard process
// (courtesy reminder 5 days before due for invoices of at least 10,000 EUR,
// reminder at due+7, call at due+21, final notice at due+45, collection
// agency at due+90) and the global rules.
func DefaultScenarios() *Scenarios {
	s, err := ParseScenarios(DefaultScenariosFile, defaultScenariosYAML)
	if err != nil {
		panic("the embedded default scenarios do not parse: " + err.Error())
	}
	return s
}

// DefaultScenariosIn is the shipped scenarios with their amounts stated
// in currency cur (the reporting currency; "" keeps the file's EUR): the
// same round figures (a courtesy reminder from 10,000), not converted from
// euros, as credit.DefaultPolicyIn states the credit policy's. Source
// names the currency.
func DefaultScenariosIn(cur string) *Scenarios {
	s := DefaultScenarios()
	if cur != "" && cur != s.Currency {
		s.Currency = cur
		s.Source = fmt.Sprintf("%s (amounts in %s)", s.Source, cur)
	}
	return s
}

// DefaultScenariosYAML returns the text of the shipped file, to start one's
// own from.
func DefaultScenariosYAML() []byte { return slices.Clone(defaultScenariosYAML) }

// LoadScenarios reads a scenario file (YAML or JSON).
func LoadScenarios(path string) (*Scenarios, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read scenarios: %w", err)
	}
	return ParseScenarios(path, b)
}

// Built-in action types. The simulator's names are the same.
const (
	ActionCourtesyReminder = synth.ActionCourtesyReminder
	ActionReminder         = synth.ActionReminder
	ActionCall             = synth.ActionCall
	ActionFinalNotice      = synth.ActionFinalNotice
	ActionCollectionAgency = synth.ActionCollectionAgency
	ActionCreditHold       = synth.ActionCreditHold
	// ActionWait is the decision to contact no one, recorded when a holdout
	// chose it.
	ActionWait = synth.ActionWait
)

// Payment profiles a scenario may select on, from the customer's own
// settlements over the last 365 days.
const (
	ProfileNew     = "new"     // fewer than 3 settled invoices
	ProfilePrompt  = "prompt"  // at most 20% settled late
	ProfileErratic = "erratic" // more late, but the median settlement is at most 5 days late
	ProfileLate    = "late"    // the median settlement is more than 5 days late
)

// Risk classes a scenario may select on (see Scenarios.RiskBands).
const (
	RiskLow    = "low"
	RiskMedium = "medium"
	RiskHigh   = "high"
)

// ActionType is what a contact of one kind costs and when it may be taken.
type ActionType struct {
	Name    string
	Channel string
	// Cost is the unit cost of one contact, in the file's currency.
	Cost datasets.Money
	// Personal contacts are made by the customer's collector and count
	// against the collectors' capacity.
	Personal bool
	// Escalation types need the customer's overdue total to reach
	// Rules.MinEscalationAmount.
	Escalation bool
	// After lists types one of which must have been taken on an invoice
	// before this one; empty means none.
	After []string
	// MinDPD and MaxDPD bound the invoice's days past due on the contact day.
	MinDPD, MaxDPD int
	Custom         bool // declared by the file, not built in
	line           int
}

// Step is one step of a scenario: an action Offset days after the due date
// (negative: before).
type Step struct {
	Offset  int
	Action  string
	Channel string         // the type's unless set
	Cost    datasets.Money // the type's unless set
	// MinAmount is the invoice's outstanding amount below which the step is
	// skipped (the courtesy reminder's 10,000 EUR).
	MinAmount datasets.Money
	// MinCustomerOverdue is the customer's overdue total below which the
	// step is skipped.
	MinCustomerOverdue datasets.Money
	line               int
}

// Scenario is an ordered list of steps for the customers its selectors
// match. A selector left empty matches every value; a scenario without any
// selector is the default, for customers no other scenario matches.
type Scenario struct {
	Name           string
	Segments       []string
	RiskClasses    []string
	Profiles       []string
	Steps          []Step
	line, whenLine int
}

// IsDefault reports whether s has no selector.
func (s *Scenario) IsDefault() bool {
	return len(s.Segments) == 0 && len(s.RiskClasses) == 0 && len(s.Profiles) == 0
}

// Matches reports whether s selects a customer of the segment, risk class
// and payment profile.
func (s *Scenario) Matches(segment, risk, profile string) bool {
	in := func(set []string, v string) bool { return len(set) == 0 || slices.Contains(set, v) }
	return in(s.Segments, segment) && in(s.RiskClasses, risk) && in(s.Profiles, profile)
}

// Rules are the global rules every recommendation obeys.
type Rules struct {
	// ContactIntervalDays: one contact per customer per this many days.
	ContactIntervalDays int
	// Weekends are quiet days; Holidays are per country (ISO code; "*"
	// applies to every country).
	Weekends bool
	Holidays map[string][]Holiday
	// PromiseGraceDays: an open promise to pay holds dunning on its invoice
	// (or, without one, the customer) until the promised date plus this.
	PromiseGraceDays int
	// MinEscalationAmount is the overdue total a customer must owe for an
	// escalation type.
	MinEscalationAmount datasets.Money
	// ChannelCapacity is contacts a day per channel; a channel not listed
	// is unlimited.
	ChannelCapacity map[string]int
	// CollectorCapacity is personal contacts a day per collector; "*"
	// applies to every collector not listed.
	CollectorCapacity map[string]int
	// DailyBudget caps the day's contact cost (0: no cap).
	DailyBudget datasets.Money
	// Manual holds: no dunning for these customers or invoices.
	HoldCustomers map[string]bool
	HoldInvoices  map[string]bool
}

// Scenarios is a scenario file: the action types, the global rules and the
// scenarios, validated.
type Scenarios struct {
	Source string // file name, for messages
	// Currency of every amount in the file; the ledger is compared in it.
	Currency string
	// CostOfCapital is the yearly rate a day of cash earlier is worth.
	CostOfCapital float64
	// LossGivenDefault is the share of the exposure lost at a default.
	LossGivenDefault float64
	// HorizonDays is H in "P(paid within H days)".
	HorizonDays int
	// Holdout is the share of recommendations replaced by a random
	// alternative, with the propensity recorded.
	Holdout float64
	// RiskBands are the upper bounds of the low and medium risk classes on
	// the customer's probability of paying late.
	RiskBands [2]float64
	Types     map[string]*ActionType
	Rules     Rules
	Scenarios []Scenario
}

// Type returns an action type, nil when undeclared.
func (s *Scenarios) Type(name string) *ActionType { return s.Types[name] }

// For returns the scenario of a customer: the one whose selectors match,
// else the default; nil when none applies.
func (s *Scenarios) For(segment, risk, profile string) *Scenario {
	var def *Scenario
	for i := range s.Scenarios {
		sc := &s.Scenarios[i]
		if sc.IsDefault() {
			def = sc
			continue
		}
		if sc.Matches(segment, risk, profile) {
			return sc
		}
	}
	return def
}

// ActionTypes lists the types used by at least one scenario step, sorted:
// the recommender's toolbox.
func (s *Scenarios) ActionTypes() []string {
	seen := map[string]bool{}
	var out []string
	for _, sc := range s.Scenarios {
		for _, st := range sc.Steps {
			if !seen[st.Action] {
				seen[st.Action] = true
				out = append(out, st.Action)
			}
		}
	}
	slices.Sort(out)
	return out
}

// Channels lists the channels of the file's action types, sorted: what a
// worklist's actions may use (a filter on any other channel is a mistake,
// not an empty list).
func (s *Scenarios) Channels() []string {
	var out []string
	for _, t := range s.Types {
		if t.Channel != "" && !slices.Contains(out, t.Channel) {
			out = append(out, t.Channel)
		}
	}
	slices.Sort(out)
	return out
}

// RiskClass maps a probability of paying late to a class.
func (s *Scenarios) RiskClass(pLate float64) string {
	switch {
	case pLate < s.RiskBands[0]:
		return RiskLow
	case pLate < s.RiskBands[1]:
		return RiskMedium
	}
	return RiskHigh
}

// builtinTypes are the built-in action types with their defaults; a file
// may change any field.
func builtinTypes() map[string]*ActionType {
	return map[string]*ActionType{
		ActionCourtesyReminder: {Name: ActionCourtesyReminder, Channel: "email", Cost: 50, MinDPD: -10, MaxDPD: -1},
		ActionReminder:         {Name: ActionReminder, Channel: "email", Cost: 50, MinDPD: 1, MaxDPD: 365},
		ActionCall:             {Name: ActionCall, Channel: "phone", Cost: 800, Personal: true, Escalation: true, MinDPD: 1, MaxDPD: 365},
		ActionFinalNotice: {Name: ActionFinalNotice, Channel: "letter", Cost: 300, Escalation: true,
			After: []string{ActionReminder, ActionCall}, MinDPD: 1, MaxDPD: 365},
		ActionCollectionAgency: {Name: ActionCollectionAgency, Channel: "letter", Cost: 15000, Escalation: true,
			After: []string{ActionFinalNotice}, MinDPD: 30, MaxDPD: 730},
		ActionCreditHold: {Name: ActionCreditHold, Channel: "letter", Cost: 0, Escalation: true, MinDPD: 1, MaxDPD: 3650},
	}
}

// validate checks what a field-by-field parse cannot: references, cycles,
// overlaps and step order. It returns every problem found.
func (s *Scenarios) validate(p *parser) {
	for _, name := range sortedKeys(s.Types) {
		t := s.Types[name]
		for _, a := range t.After {
			if s.Types[a] == nil {
				p.errAt(t.line, "action_types."+name+".after", "unknown action type %q (declare it under action_types)", a)
			}
		}
		if t.MinDPD > t.MaxDPD && !p.failed("action_types."+name+".dpd") {
			p.errAt(t.line, "action_types."+name+".dpd", "the window [%d, %d] is empty", t.MinDPD, t.MaxDPD)
		}
	}
	if cyc := escalationCycle(s.Types); cyc != nil {
		p.errAt(s.Types[cyc[0]].line, "action_types."+cyc[0]+".after", "escalation cycle: %s", strings.Join(cyc, " → "))
	}
	if len(s.Scenarios) == 0 && !p.failed("scenarios") && !p.failedAt("") {
		p.errAt(1, "scenarios", "no scenario defined")
	}
	names := map[string]int{}
	defaults := 0
	// unread: a scenario, or its selectors, that failed to read: what they
	// would have selected is unknown, so neither counts as a default nor
	// overlaps.
	unread := make([]bool, len(s.Scenarios))
	for i := range s.Scenarios {
		sc := &s.Scenarios[i]
		path := fmt.Sprintf("scenarios[%d]", i)
		if p.failedAt(path) {
			unread[i] = true
			continue
		}
		unread[i] = p.failed(path + ".when")
		if prev, ok := names[sc.Name]; ok && sc.Name != "" {
			p.errAt(sc.line, path+".name", "scenario %q is already defined at line %d", sc.Name, prev)
		}
		names[sc.Name] = sc.line
		if sc.IsDefault() && !unread[i] {
			defaults++
			if defaults > 1 {
				p.errAt(sc.line, path+".when", "scenario %q has no selector, and another default scenario exists: selectors overlap", sc.Name)
			}
		}
		for _, r := range sc.RiskClasses {
			if r != RiskLow && r != RiskMedium && r != RiskHigh {
				p.errAt(sc.whenLine, path+".when.risk_class", "unknown risk class %q (want low, medium or high)", r)
			}
		}
		for _, pr := range sc.Profiles {
			if pr != ProfileNew && pr != ProfilePrompt && pr != ProfileErratic && pr != ProfileLate {
				p.errAt(sc.whenLine, path+".when.payment_profile", "unknown payment profile %q (want new, prompt, erratic or late)", pr)
			}
		}
		if len(sc.Steps) == 0 && !p.failed(path+".steps") {
			p.errAt(sc.line, path+".steps", "scenario %q has no step", sc.Name)
		}
		taken := map[string]bool{}
		// known: every earlier step's action was read and declared, so an
		// escalation's missing prerequisite is not just an unread one.
		known := true
		for j, st := range sc.Steps {
			spath := fmt.Sprintf("%s.steps[%d]", path, j)
			// A field that failed to read is reported already: checks of
			// what it would have said would be guesses.
			offsetOK := !p.failed(spath + ".offset")
			if p.failed(spath + ".action") {
				known = false
				continue
			}
			t := s.Types[st.Action]
			if t == nil {
				p.errAt(st.line, spath+".action", "unknown action type %q (custom types must be declared under action_types)", st.Action)
				known = false
				continue
			}
			if j > 0 && offsetOK && !p.failed(fmt.Sprintf("%s.steps[%d].offset", path, j-1)) && st.Offset <= sc.Steps[j-1].Offset {
				p.errAt(st.line, spath+".offset", "offset %d does not come after the previous step's %d", st.Offset, sc.Steps[j-1].Offset)
			}
			if (st.Offset < t.MinDPD || st.Offset > t.MaxDPD) && offsetOK && !p.failed("action_types."+st.Action+".dpd") {
				p.errAt(st.line, spath+".offset", "offset %d is outside %s's window [%d, %d] days past due", st.Offset, st.Action, t.MinDPD, t.MaxDPD)
			}
			if len(t.After) > 0 && known && !slices.ContainsFunc(t.After, func(a string) bool { return taken[a] }) {
				p.errAt(st.line, spath+".action", "%s must come after one of %s, and no earlier step takes one", st.Action, strings.Join(t.After, ", "))
			}
			taken[st.Action] = true
		}
	}
	// Two scenarios overlap when some customer matches both.
	for i := range s.Scenarios {
		for j := i + 1; j < len(s.Scenarios); j++ {
			a, b := &s.Scenarios[i], &s.Scenarios[j]
			if a.IsDefault() || b.IsDefault() || unread[i] || unread[j] {
				continue
			}
			if meet(a.Segments, b.Segments) && meet(a.RiskClasses, b.RiskClasses) && meet(a.Profiles, b.Profiles) {
				p.errAt(b.whenLine, fmt.Sprintf("scenarios[%d].when", j),
					"selectors overlap with scenario %q (line %d): a customer could match both", a.Name, a.whenLine)
			}
		}
	}
	if s.RiskBands[0] > s.RiskBands[1] && !p.failed("risk_bands") {
		p.errAt(1, "risk_bands", "low bound %.3f is above the medium bound %.3f", s.RiskBands[0], s.RiskBands[1])
	}
}

// meet reports whether two selector sets share a value (empty is every
// value).
func meet(a, b []string) bool {
	if len(a) == 0 || len(b) == 0 {
		return true
	}
	return slices.ContainsFunc(a, func(v string) bool { return slices.Contains(b, v) })
}

// escalationCycle returns a cycle in the "after" graph, or nil.
func escalationCycle(types map[string]*ActionType) []string {
	const (
		white = iota
		grey
		black
	)
	colour := map[string]int{}
	var stack []string
	var found []string
	var visit func(string) bool
	visit = func(n string) bool {
		colour[n] = grey
		stack = append(stack, n)
		t := types[n]
		if t != nil {
			for _, m := range t.After {
				if types[m] == nil {
					continue
				}
				switch colour[m] {
				case grey:
					k := slices.Index(stack, m)
					found = append(slices.Clone(stack[k:]), m)
					return true
				case white:
					if visit(m) {
						return true
					}
				}
			}
		}
		stack = stack[:len(stack)-1]
		colour[n] = black
		return false
	}
	for _, n := range sortedKeys(types) {
		if colour[n] == white && visit(n) {
			return found
		}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
