package credit

import (
	_ "embed"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/recommender"
)

//go:embed default_policy.yaml
var defaultPolicyYAML []byte

// DefaultPolicyFile is the name errors give the embedded default policy.
const DefaultPolicyFile = "default_policy.yaml"

// Policy is a credit policy file: how limits are sized, capped, rounded,
// classed, flagged and approved. Amounts are in Currency.
type Policy struct {
	Source           string
	Currency         string
	LossGivenDefault float64
	HistoryMonths    int
	Need             NeedRule
	Grid             []GridStep
	MinChange        float64
	// Segments by name; "*" applies to any other segment.
	Segments    map[string]Segment
	RiskClasses []RiskClass
	Financials  FinancialRule
	Flags       FlagRule
	// Secured parts by customer id.
	Secured  map[string]Security
	Approval Approval
}

// NeedRule sizes the exposure a relationship needs.
type NeedRule struct {
	Headroom    float64 // multiplier for growth, ≥ 1
	Cover       float64 // share of days whose exposure the need holds, in [0.5, 0.999]
	MinInvoices int     // fewer invoices in the history: cold start
	// LateToleranceDays is the most days late on average the need counts
	// beyond the terms: a customer paying later does not earn a larger
	// limit for it.
	LateToleranceDays float64
}

// GridStep rounds amounts below Below (0: any) down to multiples of Step,
// in the customer's currency.
type GridStep struct {
	Below datasets.Money
	Step  datasets.Money
}

// Segment is a segment's appetite. The largest expected loss accepted on
// one customer is MaxExpectedLoss, or MaxExpectedLossShare of what the
// customer was invoiced over the history when that is more: a customer who
// buys more earns the margin that carries more risk.
type Segment struct {
	StartingLimit        datasets.Money
	MaxExpectedLoss      datasets.Money
	MaxExpectedLossShare float64
}

// RiskClass is a band of risk: customers whose probability of 90+ or
// write-off is at most MaxPD (or whose points are at least MinPoints) and
// did not fit a better class. The last class has neither and takes the rest.
type RiskClass struct {
	Name         string
	MaxPD        float64
	MinPoints    float64
	ByPoints     bool
	ReviewMonths int
}

// FinancialRule limits credit from a provider's report.
type FinancialRule struct {
	MaxAgeMonths int
	// Ratings by the provider's class as written; "*" for any other.
	Ratings map[string]RatingShares
}

// RatingShares are the shares of tangible net worth and of turnover a
// rating class allows; the limit is the lower of the two.
type RatingShares struct{ NetWorth, Turnover float64 }

// Order-block flag kinds.
const (
	FlagOverLimit = "over_limit"
	FlagOverdue   = "overdue"
	// FlagReviewDue is a limit past its review date by no more than the
	// grace (FlagRule.ReviewGraceDays); FlagExpired one past the grace.
	FlagReviewDue      = "review_due"
	FlagExpired        = "expired"
	FlagBrokenPromises = "broken_promises"
	// FlagNoLimit is debt of a customer with no limit recorded (its
	// master's credit_limit blank, no decision since): listed, not over a
	// limit of 0; the shipped policy holds no orders on it.
	FlagNoLimit = "no_limit"
)

// flagKinds are the flag kinds in the order a customer's flags list them.
func flagKinds() []string {
	return []string{FlagOverLimit, FlagNoLimit, FlagOverdue, FlagReviewDue, FlagExpired, FlagBrokenPromises}
}

// FlagRule says when a customer's orders are flagged.
type FlagRule struct {
	OverdueDays       int
	BrokenPromises    int
	BrokenPromiseDays int
	// ReviewGraceDays is how long after its review date a limit is listed
	// as due for review (FlagReviewDue) before it is expired (FlagExpired):
	// a review a few days late is a task for the credit team, not a reason
	// to hold a good customer's orders.
	ReviewGraceDays int
	// BlockOrdersOn lists the flag kinds that block orders.
	BlockOrdersOn []string
}

// Security is the secured part of a customer's limit.
type Security struct {
	Amount datasets.Money
	Kind   string        // credit_insurance, guarantee, ...
	Until  datasets.Date // zero: open-ended
}

// Approval says who may approve what.
type Approval struct {
	ProposalDays int
	// Roles from the least to the most authority.
	Roles        []Role
	DecreaseRole string
}

// Role is an approver's role and the largest increase of the unsecured
// limit it may approve (Unlimited: any).
type Role struct {
	Name        string
	MaxIncrease datasets.Money
	Unlimited   bool
}

// DefaultPolicy returns the shipped policy (default_policy.yaml).
func DefaultPolicy() *Policy {
	p, err := ParsePolicy(DefaultPolicyFile, defaultPolicyYAML)
	if err != nil {
		panic("the embedded default credit policy does not parse: " + err.Error())
	}
	return p
}

// DefaultPolicyIn is the shipped policy with its amounts stated in
// currency cur (the reporting currency; "" keeps the file's EUR): the same
// round figures (starting limits, appetites' floors, approval thresholds,
// the grid), not converted from euros. The figures are a starting point
// sized for a business in EUR, USD, GBP, CHF or CAD alike, where a
// conversion would give odd amounts (a 25,000 EUR threshold as 27,312.50
// USD) for no better reason; in a currency of another magnitude (JPY,
// SEK) they are too small, and a policy file states one's own. Source
// names the currency ("default_policy.yaml (amounts in USD)").
func DefaultPolicyIn(cur string) *Policy {
	p := DefaultPolicy()
	if cur != "" && cur != p.Currency {
		p.Currency = cur
		p.Source = fmt.Sprintf("%s (amounts in %s)", p.Source, cur)
	}
	return p
}

// DefaultPolicyYAML returns the text of the shipped policy, to start one's
// own from.
func DefaultPolicyYAML() []byte { return slices.Clone(defaultPolicyYAML) }

// LoadPolicy reads a policy file (YAML or JSON).
func LoadPolicy(path string) (*Policy, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrPolicy, err)
	}
	return ParsePolicy(path, b)
}

// ParsePolicy reads a policy file's text. Every problem is reported as
// "file:line: field: message", all of them in one error wrapping ErrPolicy.
// A file states a whole policy: segments (with "*"), risk_classes and
// approval.roles are required; other fields left out take the values the
// shipped file gives them, except secured and financials.ratings (none).
//
// The values of the fields left out are read from the shipped file itself,
// so the two cannot drift apart (they had: a file without need or
// block_orders_on got a headroom of 1.1 and held no orders, where the
// shipped file says 1.5 and holds them on over_limit and expired).
func ParsePolicy(name string, data []byte) (*Policy, error) {
	shipped, err := parsePolicy(DefaultPolicyFile, defaultPolicyYAML, builtinPolicy())
	if err != nil {
		return nil, fmt.Errorf("the shipped credit policy: %w", err)
	}
	return parsePolicy(name, data, shipped)
}

// builtinPolicy is the base the shipped file is read over: it states every
// field, so this only fills the required fields' places.
func builtinPolicy() *Policy {
	return &Policy{Currency: "EUR", Financials: FinancialRule{MaxAgeMonths: 18}, Approval: Approval{ProposalDays: 30}}
}

// parsePolicy reads data over base's optional fields: the required ones
// (segments, risk_classes, approval.roles and decrease_role, which names
// one of them) and secured and financials.ratings start empty.
func parsePolicy(name string, data []byte, base *Policy) (*Policy, error) {
	fp := recommender.NewFileParser(name)
	p := &Policy{Source: name, Currency: base.Currency, LossGivenDefault: base.LossGivenDefault, HistoryMonths: base.HistoryMonths,
		Need: base.Need, Grid: slices.Clone(base.Grid), MinChange: base.MinChange,
		Segments: map[string]Segment{}, Secured: map[string]Security{},
		Financials: FinancialRule{MaxAgeMonths: base.Financials.MaxAgeMonths, Ratings: map[string]RatingShares{}},
		Flags:      base.Flags,
		Approval:   Approval{ProposalDays: base.Approval.ProposalDays}}
	p.Flags.BlockOrdersOn = slices.Clone(base.Flags.BlockOrdersOn)
	root, ok := fp.Root(data)
	if !ok {
		return nil, fp.Err(ErrPolicy)
	}
	fp.Mapping(root, "", map[string]func(*yaml.Node, string){
		"currency": func(n *yaml.Node, path string) {
			p.Currency = strings.ToUpper(fp.Str(n, path))
			if len(p.Currency) != 3 {
				fp.Errf(n, path, "want a 3-letter ISO 4217 code, got %q", p.Currency)
			}
		},
		"loss_given_default": func(n *yaml.Node, path string) { p.LossGivenDefault = fp.Fraction(n, path, 0.01, 1) },
		"history_months":     func(n *yaml.Node, path string) { p.HistoryMonths = fp.IntIn(n, path, 3, 24) },
		"need": func(n *yaml.Node, path string) {
			fp.Mapping(n, path, map[string]func(*yaml.Node, string){
				"headroom":     func(n *yaml.Node, path string) { p.Need.Headroom = fp.Fraction(n, path, 1, 5) },
				"cover":        func(n *yaml.Node, path string) { p.Need.Cover = fp.Fraction(n, path, 0.5, 0.999) },
				"min_invoices": func(n *yaml.Node, path string) { p.Need.MinInvoices = fp.IntIn(n, path, 1, 100) },
				"late_tolerance_days": func(n *yaml.Node, path string) {
					p.Need.LateToleranceDays = float64(fp.IntIn(n, path, 0, 90))
				},
			})
		},
		"grid":       func(n *yaml.Node, path string) { p.Grid = parseGrid(fp, n, path) },
		"min_change": func(n *yaml.Node, path string) { p.MinChange = fp.Fraction(n, path, 0, 1) },
		"segments": func(n *yaml.Node, path string) {
			eachKey(fp, n, path, func(key string, v *yaml.Node, kpath string) {
				var s Segment
				fp.Mapping(v, kpath, map[string]func(*yaml.Node, string){
					"starting_limit":    func(n *yaml.Node, path string) { s.StartingLimit = fp.Money(n, path, false) },
					"max_expected_loss": func(n *yaml.Node, path string) { s.MaxExpectedLoss = fp.Money(n, path, false) },
					"max_expected_loss_share": func(n *yaml.Node, path string) {
						s.MaxExpectedLossShare = fp.Fraction(n, path, 0, 0.5)
					},
				})
				if s.MaxExpectedLoss == 0 {
					fp.Errf(v, kpath+".max_expected_loss", "want a positive amount (the appetite)")
				}
				p.Segments[key] = s
			})
		},
		"risk_classes": func(n *yaml.Node, path string) { p.RiskClasses = parseClasses(fp, n, path) },
		"financials": func(n *yaml.Node, path string) {
			fp.Mapping(n, path, map[string]func(*yaml.Node, string){
				"max_age_months": func(n *yaml.Node, path string) { p.Financials.MaxAgeMonths = fp.IntIn(n, path, 1, 60) },
				"ratings": func(n *yaml.Node, path string) {
					eachKey(fp, n, path, func(key string, v *yaml.Node, kpath string) {
						var r RatingShares
						fp.Mapping(v, kpath, map[string]func(*yaml.Node, string){
							"net_worth": func(n *yaml.Node, path string) { r.NetWorth = fp.Fraction(n, path, 0, 10) },
							"turnover":  func(n *yaml.Node, path string) { r.Turnover = fp.Fraction(n, path, 0, 10) },
						})
						p.Financials.Ratings[key] = r
					})
				},
			})
		},
		"flags":   func(n *yaml.Node, path string) { parseFlags(fp, n, path, &p.Flags) },
		"secured": func(n *yaml.Node, path string) { parseSecured(fp, n, path, p.Secured) },
		"approval": func(n *yaml.Node, path string) {
			fp.Mapping(n, path, map[string]func(*yaml.Node, string){
				"proposal_days": func(n *yaml.Node, path string) { p.Approval.ProposalDays = fp.IntIn(n, path, 1, 365) },
				"roles":         func(n *yaml.Node, path string) { p.Approval.Roles = parseRoles(fp, n, path) },
				"decrease_role": func(n *yaml.Node, path string) { p.Approval.DecreaseRole = fp.Str(n, path) },
			})
		},
	})
	p.validate(fp, root)
	if err := fp.Err(ErrPolicy); err != nil {
		return nil, err
	}
	return p, nil
}

// validate reports what is missing or inconsistent once every field is read.
func (p *Policy) validate(fp *recommender.FileParser, root *yaml.Node) {
	if fp.Failed() {
		return
	}
	if len(p.Grid) == 0 {
		p.Grid = []GridStep{{Step: 100}}
	}
	if _, ok := p.Segments["*"]; !ok {
		fp.Errf(root, "segments", `want a "*" segment for customers of any other segment`)
	}
	if len(p.RiskClasses) == 0 {
		fp.Errf(root, "risk_classes", "want at least one class")
	}
	if len(p.Approval.Roles) == 0 {
		fp.Errf(root, "approval.roles", "want at least one role")
	}
	if p.Approval.DecreaseRole == "" && len(p.Approval.Roles) > 0 {
		p.Approval.DecreaseRole = p.Approval.Roles[0].Name
	}
	if p.Approval.DecreaseRole != "" && p.RoleRank(p.Approval.DecreaseRole) < 0 {
		fp.Errf(root, "approval.decrease_role", "%q is not among the roles", p.Approval.DecreaseRole)
	}
	if len(p.Financials.Ratings) > 0 {
		if _, ok := p.Financials.Ratings["*"]; !ok {
			fp.Errf(root, "financials.ratings", `want a "*" class for other ratings`)
		}
	}
	// A grace as long as a class's review cycle would let its limits go a
	// whole cycle more unreviewed: the cadence would mean nothing.
	if len(p.RiskClasses) > 0 {
		short := slices.MinFunc(p.RiskClasses, func(x, y RiskClass) int { return x.ReviewMonths - y.ReviewMonths })
		if most := short.ReviewMonths*28 - 1; p.Flags.ReviewGraceDays > most {
			if n := child(root, "flags", "review_grace_days"); n != nil {
				fp.Errf(n, "flags.review_grace_days", "%d days is not shorter than the review cycle of class %s (%s, counted at 28 days a month): at most %d",
					p.Flags.ReviewGraceDays, short.Name, plural(short.ReviewMonths, "month"), most)
			} else {
				// Left out, the grace is the shipped file's: pointing at
				// line 1 of a file with no flags section named nothing
				// the user wrote. The class's cadence is what they wrote.
				n, field := classField(root, short.Name, "review_months")
				fp.Errf(n, field, "class %s is reviewed every %s (counted at 28 days a month), not longer than the grace of flags.review_grace_days, which is left out and so the shipped file's %d days: give flags.review_grace_days of at most %d, or a longer review_months",
					short.Name, plural(short.ReviewMonths, "month"), p.Flags.ReviewGraceDays, most)
			}
		}
	}
	// Orders held while a limit is due for review and released once it is
	// expired would reward the longer wait: review_due holding orders
	// needs expired to hold them too.
	if p.blocks(FlagReviewDue) && !p.blocks(FlagExpired) {
		n := child(root, "flags", "block_orders_on")
		if n != nil && n.Kind == yaml.SequenceNode {
			for _, item := range n.Content {
				if item.Value == FlagReviewDue {
					n = item
				}
			}
		}
		if n == nil {
			n = root
		}
		fp.Errf(n, "flags.block_orders_on", "review_due holds orders but expired does not: orders held during the grace would be released once the limit is expired; add expired")
	}
}

// classField is the node of a risk class's field and its path
// (risk_classes[i].field), the class's own node when the field is left
// out, root when the class is not found.
func classField(root *yaml.Node, class, field string) (*yaml.Node, string) {
	n := child(root, "risk_classes")
	if n == nil || n.Kind != yaml.SequenceNode {
		return root, "risk_classes"
	}
	for i, item := range n.Content {
		if name := child(item, "name"); name != nil && name.Value == class {
			path := fmt.Sprintf("risk_classes[%d].%s", i, field)
			if f := child(item, field); f != nil {
				return f, path
			}
			return item, path
		}
	}
	return n, "risk_classes"
}

// child is the value node at a path of mapping keys under n, nil when
// there is none (the field was left out).
func child(n *yaml.Node, keys ...string) *yaml.Node {
	for _, k := range keys {
		if n == nil || n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == k {
				next = n.Content[i+1]
			}
		}
		n = next
	}
	return n
}

func eachKey(fp *recommender.FileParser, n *yaml.Node, path string, fn func(key string, v *yaml.Node, kpath string)) {
	if n.Kind != yaml.MappingNode {
		fp.Errf(n, path, "want a mapping")
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key := n.Content[i].Value
		kpath := path + "." + key
		if seen[key] {
			fp.Errf(n.Content[i], kpath, "repeated key")
			continue
		}
		seen[key] = true
		fn(key, n.Content[i+1], kpath)
	}
}

func parseGrid(fp *recommender.FileParser, n *yaml.Node, path string) []GridStep {
	var out []GridStep
	for i, item := range fp.Seq(n, path) {
		ipath := fmt.Sprintf("%s[%d]", path, i)
		var g GridStep
		fp.Mapping(item, ipath, map[string]func(*yaml.Node, string){
			"below": func(n *yaml.Node, path string) { g.Below = fp.Money(n, path, false) },
			"step":  func(n *yaml.Node, path string) { g.Step = fp.Money(n, path, false) },
		})
		switch {
		case g.Step <= 0:
			fp.Errf(item, ipath+".step", "want a positive step")
		case i > 0 && (out[i-1].Below == 0 || g.Below != 0 && g.Below <= out[i-1].Below):
			fp.Errf(item, ipath+".below", "steps must rise: each below greater than the previous, only the last open")
		}
		out = append(out, g)
	}
	return out
}

func parseClasses(fp *recommender.FileParser, n *yaml.Node, path string) []RiskClass {
	var out []RiskClass
	items := fp.Seq(n, path)
	for i, item := range items {
		ipath := fmt.Sprintf("%s[%d]", path, i)
		c := RiskClass{ReviewMonths: 12}
		hasPD, hasPoints := false, false
		fp.Mapping(item, ipath, map[string]func(*yaml.Node, string){
			"name":          func(n *yaml.Node, path string) { c.Name = fp.Str(n, path) },
			"max_pd":        func(n *yaml.Node, path string) { c.MaxPD, hasPD = fp.Fraction(n, path, 0, 1), true },
			"min_points":    func(n *yaml.Node, path string) { c.MinPoints, hasPoints = fp.Fraction(n, path, -10000, 10000), true },
			"review_months": func(n *yaml.Node, path string) { c.ReviewMonths = fp.IntIn(n, path, 1, 60) },
		})
		c.ByPoints = hasPoints
		last := i == len(items)-1
		switch {
		case c.Name == "":
			fp.Errf(item, ipath+".name", "missing")
		case hasPD && hasPoints:
			fp.Errf(item, ipath, "give max_pd or min_points, not both")
		case last && (hasPD || hasPoints):
			fp.Errf(item, ipath, "the last class takes the rest: no max_pd or min_points")
		case !last && !hasPD && !hasPoints:
			fp.Errf(item, ipath, "want max_pd or min_points (only the last class has neither)")
		case i > 0 && !last && hasPD && !out[i-1].ByPoints && c.MaxPD <= out[i-1].MaxPD:
			fp.Errf(item, ipath+".max_pd", "classes run from the best: max_pd must rise")
		case i > 0 && !last && hasPoints && out[i-1].ByPoints && c.MinPoints >= out[i-1].MinPoints:
			fp.Errf(item, ipath+".min_points", "classes run from the best: min_points must fall")
		}
		for _, prev := range out {
			if prev.Name == c.Name && c.Name != "" {
				fp.Errf(item, ipath+".name", "class %q is named twice", c.Name)
			}
		}
		out = append(out, c)
	}
	return out
}

func parseFlags(fp *recommender.FileParser, n *yaml.Node, path string, f *FlagRule) {
	fp.Mapping(n, path, map[string]func(*yaml.Node, string){
		"overdue_days":        func(n *yaml.Node, path string) { f.OverdueDays = fp.IntIn(n, path, 1, 365) },
		"broken_promises":     func(n *yaml.Node, path string) { f.BrokenPromises = fp.IntIn(n, path, 1, 100) },
		"broken_promise_days": func(n *yaml.Node, path string) { f.BrokenPromiseDays = fp.IntIn(n, path, 1, 730) },
		"review_grace_days":   func(n *yaml.Node, path string) { f.ReviewGraceDays = fp.IntIn(n, path, 0, 365) },
		"block_orders_on": func(n *yaml.Node, path string) {
			f.BlockOrdersOn = []string{}
			for _, item := range fp.Seq(n, path) {
				k := fp.Str(item, path)
				if !slices.Contains(flagKinds(), k) {
					fp.Errf(item, path, "unknown flag %q (want over_limit, no_limit, overdue, review_due, expired or broken_promises)", k)
				}
				f.BlockOrdersOn = append(f.BlockOrdersOn, k)
			}
		},
	})
}

func parseSecured(fp *recommender.FileParser, n *yaml.Node, path string, into map[string]Security) {
	if n.Kind == yaml.MappingNode && len(n.Content) == 0 {
		return
	}
	eachKey(fp, n, path, func(key string, v *yaml.Node, kpath string) {
		s := Security{Kind: "credit_insurance"}
		fp.Mapping(v, kpath, map[string]func(*yaml.Node, string){
			"amount": func(n *yaml.Node, path string) { s.Amount = fp.Money(n, path, false) },
			"kind":   func(n *yaml.Node, path string) { s.Kind = fp.Str(n, path) },
			"until": func(n *yaml.Node, path string) {
				d, err := datasets.ParseDate(fp.Str(n, path))
				if err != nil {
					fp.Errf(n, path, "%v", err)
				}
				s.Until = d
			},
		})
		if s.Amount <= 0 {
			fp.Errf(v, kpath+".amount", "want a positive amount")
		}
		into[key] = s
	})
}

func parseRoles(fp *recommender.FileParser, n *yaml.Node, path string) []Role {
	var out []Role
	items := fp.Seq(n, path)
	for i, item := range items {
		ipath := fmt.Sprintf("%s[%d]", path, i)
		r := Role{Unlimited: true}
		fp.Mapping(item, ipath, map[string]func(*yaml.Node, string){
			"role":         func(n *yaml.Node, path string) { r.Name = fp.Str(n, path) },
			"max_increase": func(n *yaml.Node, path string) { r.MaxIncrease, r.Unlimited = fp.Money(n, path, false), false },
		})
		switch {
		case r.Name == "":
			fp.Errf(item, ipath+".role", "missing")
		case i > 0 && out[i-1].Unlimited:
			fp.Errf(item, ipath, "roles run from the least authority: only the last may approve any increase")
		case i > 0 && !r.Unlimited && r.MaxIncrease <= out[i-1].MaxIncrease:
			fp.Errf(item, ipath+".max_increase", "must rise from role to role")
		}
		for _, prev := range out {
			if prev.Name == r.Name && r.Name != "" {
				fp.Errf(item, ipath+".role", "role %q is listed twice", r.Name)
			}
		}
		out = append(out, r)
	}
	return out
}

// segment returns the appetite of a segment.
func (p *Policy) segment(name string) (Segment, string) {
	if s, ok := p.Segments[name]; ok {
		return s, name
	}
	return p.Segments["*"], "*"
}

// shares returns the financial rule's shares of a rating.
func (p *Policy) shares(rating string) RatingShares {
	if r, ok := p.Financials.Ratings[rating]; ok {
		return r
	}
	return p.Financials.Ratings["*"]
}

// class returns the risk class of a probability of 90+ or write-off.
func (p *Policy) class(pd float64) RiskClass {
	points := Points(pd)
	for _, c := range p.RiskClasses[:len(p.RiskClasses)-1] {
		if c.ByPoints && points >= c.MinPoints || !c.ByPoints && pd <= c.MaxPD {
			return c
		}
	}
	return p.RiskClasses[len(p.RiskClasses)-1]
}

// Points is a probability of 90+ or write-off on the scorecard's scale: 600
// points at odds of 50 good to 1 bad, 20 points more for each doubling of
// the odds (model/scorecard's scaling).
func Points(pd float64) float64 {
	pd = min(max(pd, 1e-6), 1-1e-6)
	factor := 20 / math.Ln2
	return 600 + factor*(math.Log((1-pd)/pd)-math.Log(50))
}

// round rounds an amount down to its grid step.
func (p *Policy) round(m datasets.Money) datasets.Money {
	if m <= 0 {
		return 0
	}
	for _, g := range p.Grid {
		if g.Below == 0 || m < g.Below {
			return m / g.Step * g.Step
		}
	}
	return m
}

// roundUp rounds m up to the grid (the step that applies to m).
func (p *Policy) roundUp(m datasets.Money) datasets.Money {
	if d := p.round(m); d < m {
		for _, g := range p.Grid {
			if g.Below == 0 || m < g.Below {
				return d + g.Step
			}
		}
	}
	return p.round(m)
}

// RoleRank is the position of role among the approval roles, -1 when it is
// not one.
func (p *Policy) RoleRank(role string) int {
	return slices.IndexFunc(p.Approval.Roles, func(r Role) bool { return r.Name == role })
}

// RequiredRole is the least role that may approve a change of the unsecured
// limit by delta (in the policy's currency): a decrease needs DecreaseRole,
// an increase the first role whose MaxIncrease covers it; "" when none may.
func (p *Policy) RequiredRole(delta datasets.Money) string {
	if delta <= 0 {
		return p.Approval.DecreaseRole
	}
	for _, r := range p.Approval.Roles {
		if r.Unlimited || delta <= r.MaxIncrease {
			return r.Name
		}
	}
	return ""
}

// blocks reports whether a flag kind blocks orders.
func (p *Policy) blocks(kind string) bool { return slices.Contains(p.Flags.BlockOrdersOn, kind) }
