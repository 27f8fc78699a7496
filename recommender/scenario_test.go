package recommender

import (
	"errors"
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
)

func TestDefaultScenarios(t *testing.T) {
	s := DefaultScenarios()
	if len(s.Scenarios) != 1 || !s.Scenarios[0].IsDefault() {
		t.Fatalf("want one default scenario, got %+v", s.Scenarios)
	}
	steps := s.Scenarios[0].Steps
	want := []struct {
		offset int
		action string
		min    datasets.Money
	}{{-5, ActionCourtesyReminder, 1000000}, {7, ActionReminder, 0}, {21, ActionCall, 0},
		{45, ActionFinalNotice, 0}, {90, ActionCollectionAgency, 0}}
	if len(steps) != len(want) {
		t.Fatalf("steps: %+v", steps)
	}
	for i, w := range want {
		if steps[i].Offset != w.offset || steps[i].Action != w.action || steps[i].MinAmount != w.min {
			t.Errorf("step %d: %+v, want %+v", i, steps[i], w)
		}
		if steps[i].Channel == "" || steps[i].Cost <= 0 {
			t.Errorf("step %d has no channel or cost: %+v", i, steps[i])
		}
	}
	if s.Rules.ContactIntervalDays != 7 || !s.Rules.Weekends || s.HorizonDays != 14 || s.Holdout != 0.05 {
		t.Errorf("rules: %+v", s.Rules)
	}
	// Good Friday 2024 was 29 March; Christmas is quiet in Germany, not a
	// German holiday on 14 July.
	if !s.Rules.Quiet("DE", datasets.NewDate(2024, 3, 29)) || !s.Rules.Quiet("DE", datasets.NewDate(2024, 12, 25)) {
		t.Error("German holidays are not quiet")
	}
	if s.Rules.Quiet("DE", datasets.NewDate(2025, 7, 14)) || !s.Rules.Quiet("FR", datasets.NewDate(2025, 7, 14)) {
		t.Error("14 July is a French holiday only")
	}
	if !s.Rules.Quiet("DE", datasets.NewDate(2025, 7, 12)) {
		t.Error("a Saturday is quiet")
	}
}

func TestEaster(t *testing.T) {
	for y, want := range map[int]datasets.Date{
		2019: datasets.NewDate(2019, 4, 21), 2024: datasets.NewDate(2024, 3, 31),
		2025: datasets.NewDate(2025, 4, 20), 2038: datasets.NewDate(2038, 4, 25),
	} {
		if got := easter(y); got != want {
			t.Errorf("easter(%d) = %s, want %s", y, got, want)
		}
	}
}

func TestScenarioErrors(t *testing.T) {
	base := func(body string) string {
		return "currency: EUR\n" + body
	}
	cases := []struct {
		name, text string
		want       []string // substrings, each in the error
	}{
		{"unknown action type", base(`scenarios:
  - name: s
    steps:
      - {offset: 7, action: sms}
`), []string{"f.yaml:5: scenarios[0].steps[0].action", `unknown action type "sms"`, "declared"}},
		{"negative capacity", base(`rules:
  capacity:
    channels: {phone: -3}
scenarios:
  - name: s
    steps: [{offset: 7, action: reminder}]
`), []string{"f.yaml:4: rules.capacity.channels.phone", "must not be negative"}},
		{"overlapping selectors", base(`scenarios:
  - name: big
    when: {segment: [enterprise, mid_market]}
    steps: [{offset: 7, action: reminder}]
  - name: risky
    when: {risk_class: [high]}
    steps: [{offset: 7, action: call}]
  - name: rest
    steps: [{offset: 7, action: reminder}]
`), []string{"f.yaml:7: scenarios[1].when", `overlap with scenario "big"`}},
		{"escalation cycle", base(`action_types:
  visit: {channel: field, after: [letter2]}
  letter2: {channel: letter, after: [visit]}
scenarios:
  - name: s
    steps: [{offset: 7, action: reminder}]
`), []string{"escalation cycle", "letter2 → visit → letter2"}},
		{"unknown field", base(`scenarios:
  - name: s
    stepz: []
`), []string{"f.yaml:4: scenarios[0].stepz: unknown field"}},
		{"step order", base(`scenarios:
  - name: s
    steps: [{offset: 21, action: reminder}, {offset: 7, action: call}]
`), []string{"scenarios[0].steps[1].offset", "does not come after"}},
		{"prerequisite missing", base(`scenarios:
  - name: s
    steps: [{offset: 45, action: final_notice}]
`), []string{"final_notice must come after one of reminder, call"}},
		{"bad amount and number", base(`cost_of_capital: lots
rules:
  min_escalation_amount: twelve
scenarios:
  - name: s
    steps: [{offset: 7, action: reminder}]
`), []string{"f.yaml:2: cost_of_capital: want a number", "f.yaml:4: rules.min_escalation_amount: want an amount"}},
		{"two defaults", base(`scenarios:
  - name: a
    steps: [{offset: 7, action: reminder}]
  - name: b
    steps: [{offset: 7, action: reminder}]
`), []string{"another default scenario exists"}},
		{"custom without channel", base(`action_types:
  sms: {cost: 0.1}
scenarios:
  - name: s
    steps: [{offset: 3, action: sms}]
`), []string{"f.yaml:3: action_types.sms.channel", "needs a channel"}},
		{"bad holiday", base(`rules:
  quiet_days:
    holidays: {DE: [christmas]}
scenarios:
  - name: s
    steps: [{offset: 7, action: reminder}]
`), []string{"f.yaml:4: rules.quiet_days.holidays.DE", `holiday "christmas"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseScenarios("f.yaml", []byte(c.text))
			if !errors.Is(err, ErrScenario) {
				t.Fatalf("got %v, want ErrScenario", err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func TestScenarioJSONAndSelectors(t *testing.T) {
	text := `{
  "currency": "EUR",
  "action_types": {"sms": {"channel": "sms", "cost": 0.05, "dpd": [1, 60]}},
  "scenarios": [
    {"name": "late payers", "when": {"payment_profile": ["late"], "segment": ["enterprise"]},
     "steps": [{"offset": 1, "action": "sms"}, {"offset": 10, "action": "call"}]},
    {"name": "rest", "steps": [{"offset": 7, "action": "reminder"}]}
  ]
}`
	s, err := ParseScenarios("s.json", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	if got := s.For("enterprise", RiskHigh, ProfileLate); got == nil || got.Name != "late payers" {
		t.Errorf("late enterprise got %+v", got)
	}
	if got := s.For("small_business", RiskHigh, ProfileLate); got == nil || got.Name != "rest" {
		t.Errorf("late small business got %+v", got)
	}
	if typ := s.Type("sms"); typ == nil || !typ.Custom || typ.Cost != 5 || s.Scenarios[0].Steps[0].Channel != "sms" {
		t.Errorf("custom type: %+v", typ)
	}
	if got := s.ActionTypes(); strings.Join(got, ",") != "call,reminder,sms" {
		t.Errorf("toolbox %v", got)
	}
}

// One run reports every problem of a file: the fields that fail to read
// and the rules the rest breaks, without the follow-on errors a failed
// field would cause (an empty window of a type whose window failed to
// read, a step order against an offset that failed to read).
func TestScenarioErrorsComeInOneRound(t *testing.T) {
	text := `currency: EUR
cost_of_capital: lots
action_types:
  visit: {channel: field, dpd: [x, 30]}
scenarios:
  - name: s
    steps:
      - {offset: soon, action: reminder}
      - {offset: 7, action: sms}
  - name: s
    when: {segment: [x]}
    steps: [{offset: 7, action: reminder}]
`
	_, err := ParseScenarios("f.yaml", []byte(text))
	if !errors.Is(err, ErrScenario) {
		t.Fatalf("got %v, want ErrScenario", err)
	}
	lines := strings.Split(strings.TrimSpace(err.Error()), "\n")[1:]
	want := []string{
		"f.yaml:2: cost_of_capital: want a number",
		"f.yaml:4: action_types.visit.dpd",
		"f.yaml:8: scenarios[0].steps[0].offset",
		`f.yaml:9: scenarios[0].steps[1].action: unknown action type "sms"`,
		`f.yaml:10: scenarios[1].name: scenario "s" is already defined at line 6`,
	}
	if len(lines) != len(want) {
		t.Fatalf("%d errors, want %d:\n%s", len(lines), len(want), err)
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("error %d is %q, want it to start %q", i+1, lines[i], w)
		}
	}
}

// A field that fails to read is reported once, without the rule errors
// its unread value would cause.
func TestScenarioFailedFieldsCauseNoFollowOnErrors(t *testing.T) {
	step := "\n    steps: [{offset: 7, action: reminder}]\n"
	for _, c := range []struct {
		name, text string
		want       string // the one error
	}{
		{"unread risk band", "risk_bands: {medium: abc}\nscenarios:\n  - name: s" + step, "f.yaml:1: risk_bands.medium"},
		{"unread segment list", "scenarios:\n  - name: a\n    when: {segment: {x: 1}, risk_class: [high]}" + step +
			"  - name: b\n    when: {risk_class: [high]}" + step + "  - name: c" + step, "f.yaml:3: scenarios[0].when.segment"},
		{"unread selectors", "scenarios:\n  - name: a\n    when: retail" + step + "  - name: b" + step, "f.yaml:3: scenarios[0].when"},
		{"scenario not a mapping", "scenarios: [foo]\n", "f.yaml:1: scenarios[0]"},
		{"document not a mapping", "- a\n- b\n", "f.yaml:1: "},
		{"unread action before an escalation", "scenarios:\n  - name: s\n    steps:\n      - {offset: 7, action: [reminder]}\n      - {offset: 45, action: final_notice}\n",
			"f.yaml:4: scenarios[0].steps[0].action"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseScenarios("f.yaml", []byte(c.text))
			if !errors.Is(err, ErrScenario) {
				t.Fatalf("got %v, want ErrScenario", err)
			}
			lines := strings.Split(strings.TrimSpace(err.Error()), "\n")[1:]
			if len(lines) != 1 || !strings.HasPrefix(lines[0], c.want) {
				t.Errorf("errors:\n%s\nwant one, starting %q", strings.Join(lines, "\n"), c.want)
			}
		})
	}
	// A type whose cost failed to read still has its window checked.
	text := "action_types:\n  visit: {channel: field, cost: lots, dpd: [10, 30]}\nscenarios:\n  - name: s\n    steps: [{offset: 5, action: visit}]\n"
	_, err := ParseScenarios("f.yaml", []byte(text))
	if err == nil || !strings.Contains(err.Error(), "action_types.visit.cost") || !strings.Contains(err.Error(), "offset 5 is outside visit's window") {
		t.Errorf("a bad cost and an offset outside the window: %v", err)
	}
}

// Weekday rules fall on the n-th or last weekday of their month, every
// year: US Thanksgiving and Memorial Day, a UK bank holiday Monday.
func TestWeekdayHolidays(t *testing.T) {
	d := datasets.NewDate
	for _, tc := range []struct {
		rule    string
		on, off []datasets.Date
	}{
		{"11-thu4", []datasets.Date{d(2024, 11, 28), d(2025, 11, 27), d(2026, 11, 26)}, []datasets.Date{d(2024, 11, 21), d(2024, 11, 29), d(2025, 11, 28)}},
		{"05-monlast", []datasets.Date{d(2024, 5, 27), d(2025, 5, 26), d(2021, 5, 31)}, []datasets.Date{d(2024, 5, 20), d(2021, 5, 24)}},
		{"09-mon1", []datasets.Date{d(2024, 9, 2), d(2025, 9, 1)}, []datasets.Date{d(2024, 9, 9), d(2024, 8, 26)}},
		{"MAR-fri5", nil, nil}, // not a weekday rule: refused below
	} {
		h, err := ParseHoliday(tc.rule)
		if tc.on == nil {
			if err == nil {
				t.Errorf("%s: parsed as %+v, want an error", tc.rule, h)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tc.rule, err)
		}
		for _, x := range tc.on {
			if !h.on(x) {
				t.Errorf("%s does not fall on %s", tc.rule, x)
			}
		}
		for _, x := range tc.off {
			if h.on(x) {
				t.Errorf("%s falls on %s", tc.rule, x)
			}
		}
	}
	for _, bad := range []string{"11-thu6", "13-mon1", "11-thu0", "11-thux", "1-mon1"} {
		if _, err := ParseHoliday(bad); err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("%s: %v, want an error naming it", bad, err)
		}
	}
}
