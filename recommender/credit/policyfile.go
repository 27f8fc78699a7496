package credit

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/recommender"
)

// Reading a credit policy file: ParsePolicy and its checks, every problem
// named by file, line and field.

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
		Need: base.Need, Slipping: base.Slipping, Grid: slices.Clone(base.Grid), MinChange: base.MinChange,
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
				"headroom":      func(n *yaml.Node, path string) { p.Need.Headroom = fp.Fraction(n, path, 1, 5) },
				"cover":         func(n *yaml.Node, path string) { p.Need.Cover = fp.Fraction(n, path, 0.5, 0.999) },
				"min_invoices":  func(n *yaml.Node, path string) { p.Need.MinInvoices = fp.IntIn(n, path, 1, 100) },
				"peak_multiple": func(n *yaml.Node, path string) { p.Need.PeakMultiple = fp.Fraction(n, path, 0, 10) },
				"late_tolerance_days": func(n *yaml.Node, path string) {
					p.Need.LateToleranceDays = float64(fp.IntIn(n, path, 0, 90))
				},
			})
		},
		"slipping": func(n *yaml.Node, path string) {
			fp.Mapping(n, path, map[string]func(*yaml.Node, string){
				"days":         func(n *yaml.Node, path string) { p.Slipping.Days = float64(fp.IntIn(n, path, 0, 365)) },
				"share":        func(n *yaml.Node, path string) { p.Slipping.Share = fp.Fraction(n, path, 0, 10) },
				"min_invoices": func(n *yaml.Node, path string) { p.Slipping.MinInvoices = fp.IntIn(n, path, 1, 100) },
				"cut_to_exposure": func(n *yaml.Node, path string) {
					p.Slipping.CutToExposure = fp.Boolean(n, path)
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
