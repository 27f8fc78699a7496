package recommender

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/dsopilot/dsopilot/datasets"
)

// ParseScenarios reads a scenario file's text (YAML, or JSON, which YAML
// reads too). Every problem is reported, each as "file:line: field:
// message", joined into one error that wraps ErrScenario.
func ParseScenarios(name string, data []byte) (*Scenarios, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrScenario, name, err)
	}
	p := &parser{name: name}
	s := &Scenarios{Source: name, Currency: "EUR", CostOfCapital: 0.10, LossGivenDefault: 1, HorizonDays: 14,
		Holdout: 0.05, RiskBands: [2]float64{0.3, 0.6}, Types: builtinTypes(),
		Rules: Rules{ContactIntervalDays: 7, Weekends: true, PromiseGraceDays: 3, Holidays: map[string][]Holiday{},
			ChannelCapacity: map[string]int{}, CollectorCapacity: map[string]int{},
			HoldCustomers: map[string]bool{}, HoldInvoices: map[string]bool{}}}
	if len(root.Content) == 0 {
		p.errAt(1, "", "empty file")
		return nil, p.err()
	}
	doc := root.Content[0]
	p.mapping(doc, "", map[string]func(*yaml.Node, string){
		"currency": func(n *yaml.Node, path string) {
			s.Currency = strings.ToUpper(p.str(n, path))
			if len(s.Currency) != 3 {
				p.errf(n, path, "want a 3-letter ISO 4217 code, got %q", s.Currency)
			}
		},
		"cost_of_capital":    func(n *yaml.Node, path string) { s.CostOfCapital = p.fraction(n, path, 0, 1) },
		"loss_given_default": func(n *yaml.Node, path string) { s.LossGivenDefault = p.fraction(n, path, 0, 1) },
		"holdout":            func(n *yaml.Node, path string) { s.Holdout = p.fraction(n, path, 0, 0.5) },
		"horizon_days":       func(n *yaml.Node, path string) { s.HorizonDays = p.intIn(n, path, 1, 90) },
		"risk_bands": func(n *yaml.Node, path string) {
			p.mapping(n, path, map[string]func(*yaml.Node, string){
				"low":    func(n *yaml.Node, path string) { s.RiskBands[0] = p.fraction(n, path, 0, 1) },
				"medium": func(n *yaml.Node, path string) { s.RiskBands[1] = p.fraction(n, path, 0, 1) },
			})
		},
		"action_types": func(n *yaml.Node, path string) { p.actionTypes(n, path, s) },
		"rules":        func(n *yaml.Node, path string) { p.rules(n, path, &s.Rules) },
		"scenarios": func(n *yaml.Node, path string) {
			for i, item := range p.seq(n, path) {
				s.Scenarios = append(s.Scenarios, p.scenario(item, fmt.Sprintf("%s[%d]", path, i)))
			}
		},
	})
	s.finishSteps()
	// The file's rules are checked even when fields failed to read, so
	// that one run reports every problem; validate skips what a failed
	// field would only make look wrong (p.failed).
	s.validate(p)
	if err := p.err(); err != nil {
		return nil, err
	}
	return s, nil
}

func (p *parser) actionTypes(n *yaml.Node, path string, s *Scenarios) {
	if n.Kind != yaml.MappingNode {
		p.errf(n, path, "want a mapping of type name to its fields")
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		name := n.Content[i].Value
		tpath := path + "." + name
		t := s.Types[name]
		if t == nil {
			t = &ActionType{Name: name, Custom: true, MinDPD: 1, MaxDPD: 365}
			s.Types[name] = t
		}
		t.line = n.Content[i].Line
		hasChannel := false
		p.mapping(n.Content[i+1], tpath, map[string]func(*yaml.Node, string){
			"channel": func(n *yaml.Node, path string) { t.Channel, hasChannel = p.str(n, path), true },
			"cost":    func(n *yaml.Node, path string) { t.Cost = p.money(n, path, false) },
			"personal": func(n *yaml.Node, path string) {
				t.Personal = p.boolean(n, path)
			},
			"escalation": func(n *yaml.Node, path string) { t.Escalation = p.boolean(n, path) },
			"after":      func(n *yaml.Node, path string) { t.After = p.strings(n, path) },
			"dpd": func(n *yaml.Node, path string) {
				v := p.seq(n, path)
				if len(v) != 2 {
					p.errf(n, path, "want [min, max] days past due")
					return
				}
				t.MinDPD, t.MaxDPD = p.intIn(v[0], path, -365, 3650), p.intIn(v[1], path, -365, 3650)
			},
		})
		if t.Custom && !hasChannel {
			p.errf(n.Content[i], tpath+".channel", "custom action type %q needs a channel", name)
		}
	}
}

func (p *parser) rules(n *yaml.Node, path string, r *Rules) {
	p.mapping(n, path, map[string]func(*yaml.Node, string){
		"contact_interval_days": func(n *yaml.Node, path string) { r.ContactIntervalDays = p.intIn(n, path, 0, 365) },
		"promise_grace_days":    func(n *yaml.Node, path string) { r.PromiseGraceDays = p.intIn(n, path, 0, 90) },
		"min_escalation_amount": func(n *yaml.Node, path string) { r.MinEscalationAmount = p.money(n, path, false) },
		"daily_budget":          func(n *yaml.Node, path string) { r.DailyBudget = p.money(n, path, false) },
		"quiet_days": func(n *yaml.Node, path string) {
			p.mapping(n, path, map[string]func(*yaml.Node, string){
				"weekends": func(n *yaml.Node, path string) { r.Weekends = p.boolean(n, path) },
				"holidays": func(n *yaml.Node, path string) {
					if n.Kind != yaml.MappingNode {
						p.errf(n, path, "want a mapping of country to holidays")
						return
					}
					for i := 0; i+1 < len(n.Content); i += 2 {
						country := strings.ToUpper(n.Content[i].Value)
						hpath := path + "." + country
						r.Holidays[country] = nil
						for _, h := range p.seq(n.Content[i+1], hpath) {
							v, err := ParseHoliday(h.Value)
							if err != nil {
								p.errf(h, hpath, "%v", err)
								continue
							}
							r.Holidays[country] = append(r.Holidays[country], v)
						}
					}
				},
			})
		},
		"capacity": func(n *yaml.Node, path string) {
			p.mapping(n, path, map[string]func(*yaml.Node, string){
				"channels":   func(n *yaml.Node, path string) { p.capacities(n, path, r.ChannelCapacity) },
				"collectors": func(n *yaml.Node, path string) { p.capacities(n, path, r.CollectorCapacity) },
			})
		},
		"holds": func(n *yaml.Node, path string) {
			p.mapping(n, path, map[string]func(*yaml.Node, string){
				"customers": func(n *yaml.Node, path string) {
					for _, id := range p.strings(n, path) {
						r.HoldCustomers[id] = true
					}
				},
				"invoices": func(n *yaml.Node, path string) {
					for _, id := range p.strings(n, path) {
						r.HoldInvoices[id] = true
					}
				},
			})
		},
	})
}

func (p *parser) capacities(n *yaml.Node, path string, into map[string]int) {
	if n.Kind != yaml.MappingNode {
		p.errf(n, path, "want a mapping of name to contacts a day")
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i].Value
		v, ok := p.integer(n.Content[i+1], path+"."+k)
		if !ok {
			continue
		}
		if v < 0 {
			p.errf(n.Content[i+1], path+"."+k, "capacity must not be negative, got %d", v)
			continue
		}
		into[k] = v
	}
}

func (p *parser) scenario(n *yaml.Node, path string) Scenario {
	sc := Scenario{line: n.Line, whenLine: n.Line}
	p.mapping(n, path, map[string]func(*yaml.Node, string){
		"name": func(n *yaml.Node, path string) { sc.Name = p.str(n, path) },
		"when": func(n *yaml.Node, path string) {
			sc.whenLine = n.Line
			p.mapping(n, path, map[string]func(*yaml.Node, string){
				"segment":         func(n *yaml.Node, path string) { sc.Segments = p.strings(n, path) },
				"risk_class":      func(n *yaml.Node, path string) { sc.RiskClasses = p.strings(n, path) },
				"payment_profile": func(n *yaml.Node, path string) { sc.Profiles = p.strings(n, path) },
			})
		},
		"steps": func(n *yaml.Node, path string) {
			for i, item := range p.seq(n, path) {
				st := Step{line: item.Line, Cost: -1}
				spath := fmt.Sprintf("%s[%d]", path, i)
				hasOffset, hasAction := false, false
				p.mapping(item, spath, map[string]func(*yaml.Node, string){
					"offset": func(n *yaml.Node, path string) { st.Offset, hasOffset = p.intIn(n, path, -365, 3650), true },
					"action": func(n *yaml.Node, path string) { st.Action, hasAction = p.str(n, path), true },
					"channel": func(n *yaml.Node, path string) {
						st.Channel = p.str(n, path)
					},
					"cost":       func(n *yaml.Node, path string) { st.Cost = p.money(n, path, false) },
					"min_amount": func(n *yaml.Node, path string) { st.MinAmount = p.money(n, path, false) },
					"conditions": func(n *yaml.Node, path string) {
						p.mapping(n, path, map[string]func(*yaml.Node, string){
							"min_amount":           func(n *yaml.Node, path string) { st.MinAmount = p.money(n, path, false) },
							"min_customer_overdue": func(n *yaml.Node, path string) { st.MinCustomerOverdue = p.money(n, path, false) },
						})
					},
				})
				if !hasOffset {
					p.errf(item, spath+".offset", "missing")
				}
				if !hasAction {
					p.errf(item, spath+".action", "missing")
				}
				sc.Steps = append(sc.Steps, st)
			}
		},
	})
	if sc.Name == "" && !p.failedAt(path) && !p.failed(path+".name") {
		p.errf(n, path+".name", "missing")
	}
	return sc
}

// finishSteps fills each step's channel and cost from its type.
func (s *Scenarios) finishSteps() {
	for i := range s.Scenarios {
		for j := range s.Scenarios[i].Steps {
			st := &s.Scenarios[i].Steps[j]
			t := s.Types[st.Action]
			if t == nil {
				continue
			}
			if st.Channel == "" {
				st.Channel = t.Channel
			}
			if st.Cost < 0 {
				st.Cost = t.Cost
			}
		}
	}
}

// parser walks yaml nodes, collecting errors that name the file, the line
// and the field.
type parser struct {
	name string
	errs []error
	// bad holds the paths of the fields that failed to read.
	bad map[string]bool
}

func (p *parser) errAt(line int, path, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if path != "" {
		msg = path + ": " + msg
	}
	p.errs = append(p.errs, fmt.Errorf("%s:%d: %s", p.name, line, msg))
	if p.bad == nil {
		p.bad = map[string]bool{}
	}
	p.bad[path] = true
}

// failedAt reports whether an error was reported at path itself (not
// within it): a node of the wrong kind, whose fields were never read.
func (p *parser) failedAt(path string) bool { return p.bad[path] }

// failed reports whether an error was reported at path or within it
// (path.field, path[i]): a check of what it read would only repeat it.
func (p *parser) failed(path string) bool {
	for b := range p.bad {
		if b == path || strings.HasPrefix(b, path+".") || strings.HasPrefix(b, path+"[") {
			return true
		}
	}
	return false
}

func (p *parser) errf(n *yaml.Node, path, format string, args ...any) {
	p.errAt(n.Line, path, format, args...)
}

func (p *parser) err() error {
	if len(p.errs) == 0 {
		return nil
	}
	return fmt.Errorf("%w:\n%w", ErrScenario, errors.Join(p.errs...))
}

// mapping calls the handler of every key of n, and reports unknown keys.
func (p *parser) mapping(n *yaml.Node, path string, fields map[string]func(*yaml.Node, string)) {
	if n.Kind != yaml.MappingNode {
		p.errf(n, path, "want a mapping")
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i].Value
		kpath := k
		if path != "" {
			kpath = path + "." + k
		}
		if seen[k] {
			p.errf(n.Content[i], kpath, "repeated key")
			continue
		}
		seen[k] = true
		f, ok := fields[k]
		if !ok {
			p.errf(n.Content[i], kpath, "unknown field (want one of %s)", strings.Join(sortedKeys(fields), ", "))
			continue
		}
		f(n.Content[i+1], kpath)
	}
}

func (p *parser) seq(n *yaml.Node, path string) []*yaml.Node {
	if n.Kind != yaml.SequenceNode {
		p.errf(n, path, "want a list")
		return nil
	}
	return n.Content
}

func (p *parser) scalar(n *yaml.Node, path string) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		p.errf(n, path, "want a single value")
		return "", false
	}
	return n.Value, true
}

func (p *parser) str(n *yaml.Node, path string) string {
	v, ok := p.scalar(n, path)
	if ok && strings.TrimSpace(v) == "" {
		p.errf(n, path, "must not be empty")
	}
	return strings.TrimSpace(v)
}

func (p *parser) strings(n *yaml.Node, path string) []string {
	var out []string
	for _, item := range p.seq(n, path) {
		out = append(out, p.str(item, path))
	}
	return out
}

func (p *parser) boolean(n *yaml.Node, path string) bool {
	v, ok := p.scalar(n, path)
	if !ok {
		return false
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		p.errf(n, path, "want true or false, got %q", v)
	}
	return b
}

func (p *parser) integer(n *yaml.Node, path string) (int, bool) {
	v, ok := p.scalar(n, path)
	if !ok {
		return 0, false
	}
	i, err := strconv.Atoi(strings.TrimPrefix(v, "+"))
	if err != nil {
		p.errf(n, path, "want a whole number, got %q", v)
		return 0, false
	}
	return i, true
}

func (p *parser) intIn(n *yaml.Node, path string, lo, hi int) int {
	i, ok := p.integer(n, path)
	if ok && (i < lo || i > hi) {
		p.errf(n, path, "%d is outside %d..%d", i, lo, hi)
	}
	return i
}

func (p *parser) fraction(n *yaml.Node, path string, lo, hi float64) float64 {
	v, ok := p.scalar(n, path)
	if !ok {
		return 0
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) {
		p.errf(n, path, "want a number, got %q", v)
		return 0
	}
	if f < lo || f > hi {
		p.errf(n, path, "%g is outside %g..%g", f, lo, hi)
	}
	return f
}

func (p *parser) money(n *yaml.Node, path string, negativeOK bool) datasets.Money {
	v, ok := p.scalar(n, path)
	if !ok {
		return 0
	}
	m, err := datasets.ParseMoney(v)
	if err != nil {
		p.errf(n, path, "want an amount, got %q", v)
		return 0
	}
	if m < 0 && !negativeOK {
		p.errf(n, path, "must not be negative, got %s", m)
	}
	return m
}
