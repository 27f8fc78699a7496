package credit

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
	"gopkg.in/yaml.v3"
)

func TestDefaultPolicyParses(t *testing.T) {
	p := DefaultPolicy()
	if p.Currency != "EUR" || len(p.RiskClasses) != 3 || len(p.Approval.Roles) != 3 || p.Segments["*"].MaxExpectedLoss == 0 {
		t.Fatalf("default policy %+v", p)
	}
	for _, tc := range []struct {
		delta datasets.Money
		role  string
	}{{-1, "credit_analyst"}, {10_000_00, "credit_analyst"}, {10_000_01, "credit_manager"}, {50_000_00, "credit_manager"}, {50_000_01, "finance_director"}} {
		if got := p.RequiredRole(tc.delta); got != tc.role {
			t.Errorf("RequiredRole(%s) = %s, want %s", tc.delta, got, tc.role)
		}
	}
	for _, tc := range []struct {
		pd    float64
		class string
	}{{0.005, "low"}, {0.02, "low"}, {0.05, "medium"}, {0.3, "high"}} {
		if got := p.class(tc.pd).Name; got != tc.class {
			t.Errorf("class(%g) = %s, want %s", tc.pd, got, tc.class)
		}
	}
}

// Every problem of a policy file is reported with its file, line and field.
func TestParsePolicyErrors(t *testing.T) {
	const file = `currency: EURO
need:
  headroom: 0.5
  colour: red
segments:
  mid_market: {starting_limit: -5, max_expected_loss: 100}
risk_classes:
  - {name: low, max_pd: 0.05}
  - {name: mid, max_pd: 0.02}
  - {name: rest}
flags:
  block_orders_on: [over_limit, late]
approval:
  roles:
    - {role: boss}
    - {role: clerk, max_increase: 10}
`
	_, err := ParsePolicy("pol.yaml", []byte(file))
	if !errors.Is(err, ErrPolicy) {
		t.Fatalf("err %v", err)
	}
	for _, want := range []string{
		"pol.yaml:1: currency",
		"pol.yaml:3: need.headroom",
		"pol.yaml:4: need.colour",
		"pol.yaml:6: segments.mid_market.starting_limit",
		"pol.yaml:9: risk_classes[1].max_pd",
		"pol.yaml:12: flags.block_orders_on",
		"pol.yaml:16: approval.roles[1]",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

// flags.review_grace_days is a number of days shorter than the shortest
// review cycle, its errors named by file, line and field like the others';
// left out, it is the shipped file's.
func TestParsePolicyReviewGrace(t *testing.T) {
	p := DefaultPolicy()
	var cadence []int
	for _, c := range p.RiskClasses {
		cadence = append(cadence, c.ReviewMonths)
	}
	if p.Flags.ReviewGraceDays != 30 || !slices.Equal(cadence, []int{12, 6, 3}) {
		t.Fatalf("shipped grace %d days, cadences %v months; want 30 and 12, 6, 3", p.Flags.ReviewGraceDays, cadence)
	}
	shipped := string(DefaultPolicyYAML())
	for _, tc := range []struct {
		name, from, to, want string
		grace                int
	}{
		{name: "left out", from: "  review_grace_days: 30    # days past the review date before a limit is expired\n", to: "", grace: 30},
		{name: "none", from: "review_grace_days: 30", to: "review_grace_days: 0", grace: 0},
		{name: "negative", from: "review_grace_days: 30", to: "review_grace_days: -1", want: "flags.review_grace_days"},
		{name: "a word", from: "review_grace_days: 30", to: "review_grace_days: month", want: "flags.review_grace_days"},
		{name: "as long as the quarterly review", from: "review_grace_days: 30", to: "review_grace_days: 84",
			want: "flags.review_grace_days: 84 days is not shorter than the review cycle of class high (3 months, counted at 28 days a month): at most 83"},
		{name: "review_due may hold orders", from: "block_orders_on: [over_limit]", to: "block_orders_on: [over_limit, review_due, expired]", grace: 30},
	} {
		t.Run(tc.name, func(t *testing.T) {
			y := strings.Replace(shipped, tc.from, tc.to, 1)
			if y == shipped {
				t.Fatalf("%q is not in the shipped file", tc.from)
			}
			p, err := ParsePolicy("pol.yaml", []byte(y))
			if tc.want == "" {
				if err != nil || p.Flags.ReviewGraceDays != tc.grace {
					t.Fatalf("grace %v, %v; want %d days", p, err, tc.grace)
				}
				return
			}
			line := 0
			for i, s := range strings.Split(y, "\n") {
				if strings.Contains(s, tc.to) {
					line = i + 1
				}
			}
			if want := fmt.Sprintf("pol.yaml:%d: %s", line, tc.want); !errors.Is(err, ErrPolicy) || !strings.Contains(err.Error(), want) {
				t.Fatalf("error %v, want %q", err, want)
			}
		})
	}
}

func TestParsePolicyFinancialsAndSecured(t *testing.T) {
	y := strings.Replace(string(DefaultPolicyYAML()), "secured: {}", "secured:\n  C1: {amount: 50000, kind: guarantee, until: 2025-12-31}", 1)
	y = strings.Replace(y, `"*": {net_worth: 0.10, turnover: 0.05}`, `"*": {net_worth: 0.10, turnover: 0.05}`+"\n    A: {net_worth: 0.2, turnover: 0.1}", 1)
	p, err := ParsePolicy("mine.yaml", []byte(y))
	if err != nil {
		t.Fatal(err)
	}
	if s := p.Secured["C1"]; s.Amount != 50_000_00 || s.Kind != "guarantee" || s.Until != mustDate("2025-12-31") {
		t.Fatalf("secured %+v", s)
	}
	if r := p.shares("A"); r.NetWorth != 0.2 || r.Turnover != 0.1 {
		t.Fatalf("rating A %+v", r)
	}
	if r := p.shares("C"); r.NetWorth != 0.10 || r.Turnover != 0.05 {
		t.Fatalf("other ratings %+v", r)
	}
}

// A field left out of a policy file takes the shipped file's value, as
// ParsePolicy promises: each optional field of the shipped file, removed
// alone, leaves the policy as it was. (The built-in values had drifted: a
// file without need got a headroom of 1.1 against the shipped 1.5, one
// without flags.block_orders_on held no orders at all.)
func TestAFieldLeftOutIsTheShippedFilesValue(t *testing.T) {
	shipped := DefaultPolicy()
	var doc yaml.Node
	if err := yaml.Unmarshal(DefaultPolicyYAML(), &doc); err != nil {
		t.Fatal(err)
	}
	// Required, or none when left out (ParsePolicy's contract).
	notOptional := map[string]bool{"segments": true, "risk_classes": true, "approval.roles": true, "financials.ratings": true}
	// Holding one of those: walked into, not removed whole.
	holdsRequired := map[string]bool{"approval": true, "financials": true}
	var paths []string
	var walk func(n *yaml.Node, prefix string)
	walk = func(n *yaml.Node, prefix string) {
		for i := 0; i+1 < len(n.Content); i += 2 {
			path := prefix + n.Content[i].Value
			if notOptional[path] {
				continue
			}
			if !holdsRequired[path] {
				paths = append(paths, path)
			}
			if v := n.Content[i+1]; v.Kind == yaml.MappingNode && path != "secured" {
				walk(v, path+".")
			}
		}
	}
	walk(doc.Content[0], "")
	if len(paths) < 15 {
		t.Fatalf("found only %d optional fields in the shipped file: %v", len(paths), paths)
	}
	for _, path := range paths {
		t.Run(path, func(t *testing.T) {
			var d yaml.Node
			if err := yaml.Unmarshal(DefaultPolicyYAML(), &d); err != nil {
				t.Fatal(err)
			}
			keys := strings.Split(path, ".")
			n := d.Content[0]
			for _, k := range keys[:len(keys)-1] {
				n = child(n, k)
			}
			removed := false
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == keys[len(keys)-1] {
					n.Content = slices.Delete(n.Content, i, i+2)
					removed = true
					break
				}
			}
			if !removed {
				t.Fatalf("%s not found", path)
			}
			y, err := yaml.Marshal(&d)
			if err != nil {
				t.Fatal(err)
			}
			p, err := ParsePolicy(DefaultPolicyFile, y)
			if err != nil {
				t.Fatalf("without %s: %v", path, err)
			}
			if !reflect.DeepEqual(p, shipped) {
				t.Errorf("without %s the policy differs from the shipped one:\n got %+v\nwant %+v", path, *p, *shipped)
			}
		})
	}
}

// A policy that holds orders on review_due but not on expired would hold
// them during the grace and release them once the limit is expired: it is
// refused at the review_due entry. Left out, block_orders_on is the
// shipped file's, which holds on expired.
func TestReviewDueHoldingOrdersNeedsExpired(t *testing.T) {
	shipped := string(DefaultPolicyYAML())
	for _, tc := range []struct{ to, want string }{
		{to: "block_orders_on: [over_limit, review_due]", want: "pol.yaml:%d: flags.block_orders_on: review_due holds orders but expired does not"},
		{to: "block_orders_on:\n    - review_due", want: "pol.yaml:%d: flags.block_orders_on: review_due holds orders but expired does not"},
		{to: "block_orders_on: [review_due, expired]"},
		{to: "block_orders_on: [over_limit, expired]"},
	} {
		t.Run(tc.to, func(t *testing.T) {
			y := strings.Replace(shipped, "block_orders_on: [over_limit]", tc.to, 1)
			_, err := ParsePolicy("pol.yaml", []byte(y))
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			line := 0
			for i, s := range strings.Split(y, "\n") {
				if strings.Contains(s, "review_due") && !strings.HasPrefix(strings.TrimSpace(s), "#") {
					line = i + 1
				}
			}
			if want := fmt.Sprintf(tc.want, line); !errors.Is(err, ErrPolicy) || !strings.Contains(err.Error(), want) {
				t.Fatalf("error %v, want %q", err, want)
			}
		})
	}
}

// A grace left out is the shipped file's 30 days; with a class reviewed
// monthly it is too long, and the error says so at the class's
// review_months (it pointed at line 1 of a file with no flags section).
func TestGraceLeftOutTooLongNamesTheClassCadence(t *testing.T) {
	y := `segments:
  "*": {starting_limit: 5000, max_expected_loss: 1000}
risk_classes:
  - {name: low, max_pd: 0.02, review_months: 12}
  - name: high
    review_months: 1
approval:
  roles:
    - {role: clerk, max_increase: 1000}
`
	_, err := ParsePolicy("pol.yaml", []byte(y))
	want := "pol.yaml:6: risk_classes[1].review_months: class high is reviewed every 1 month (counted at 28 days a month), not longer than the grace of flags.review_grace_days, which is left out and so the shipped file's 30 days: give flags.review_grace_days of at most 27, or a longer review_months"
	if !errors.Is(err, ErrPolicy) || !strings.Contains(err.Error(), want) {
		t.Fatalf("error %v, want %q", err, want)
	}
	// Given, the grace is named where it is written.
	y2 := y + "flags:\n  review_grace_days: 30\n"
	if _, err := ParsePolicy("pol.yaml", []byte(y2)); err == nil || !strings.Contains(err.Error(), "pol.yaml:11: flags.review_grace_days: 30 days is not shorter") {
		t.Fatalf("error %v", err)
	}
}
