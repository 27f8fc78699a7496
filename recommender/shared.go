package recommender

import (
	"errors"
	"fmt"
	"math"

	"gopkg.in/yaml.v3"

	"github.com/dsopilot/dsopilot/datasets"
)

// Helpers that other packages share with the recommender.

// FileParser walks a YAML (or JSON) configuration file and collects every
// problem as "file:line: field: message", the way scenario files are read:
// other packages' configuration files (the credit policy) use it so that
// all of dsopilot's files report errors alike. Each method reports what is
// wrong with its node and returns the zero value, so that one pass finds
// every problem.
type FileParser struct{ p parser }

// NewFileParser returns a parser whose errors name file name.
func NewFileParser(name string) *FileParser { return &FileParser{p: parser{name: name}} }

// Root returns the document's top node, or reports an empty file.
func (f *FileParser) Root(data []byte) (*yaml.Node, bool) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		f.p.errs = append(f.p.errs, fmt.Errorf("%s: %v", f.p.name, err))
		return nil, false
	}
	if len(root.Content) == 0 {
		f.p.errAt(1, "", "empty file")
		return nil, false
	}
	return root.Content[0], true
}

// Errf reports a problem with node n at field path.
func (f *FileParser) Errf(n *yaml.Node, path, format string, args ...any) {
	f.p.errf(n, path, format, args...)
}

// Err joins the problems found into one error wrapping sentinel, or nil.
func (f *FileParser) Err(sentinel error) error {
	if len(f.p.errs) == 0 {
		return nil
	}
	return fmt.Errorf("%w:\n%w", sentinel, errors.Join(f.p.errs...))
}

// Failed reports whether a problem has been found.
func (f *FileParser) Failed() bool { return len(f.p.errs) > 0 }

// Mapping calls the handler of every key of n and reports unknown and
// repeated keys.
func (f *FileParser) Mapping(n *yaml.Node, path string, fields map[string]func(*yaml.Node, string)) {
	f.p.mapping(n, path, fields)
}

// Seq returns the items of a list.
func (f *FileParser) Seq(n *yaml.Node, path string) []*yaml.Node { return f.p.seq(n, path) }

// Str returns a non-empty text value.
func (f *FileParser) Str(n *yaml.Node, path string) string { return f.p.str(n, path) }

// Strings returns a list of non-empty text values.
func (f *FileParser) Strings(n *yaml.Node, path string) []string { return f.p.strings(n, path) }

// IntIn returns a whole number within lo..hi.
func (f *FileParser) IntIn(n *yaml.Node, path string, lo, hi int) int {
	return f.p.intIn(n, path, lo, hi)
}

// Fraction returns a number within lo..hi.
func (f *FileParser) Fraction(n *yaml.Node, path string, lo, hi float64) float64 {
	return f.p.fraction(n, path, lo, hi)
}

// Money returns an amount, refusing a negative one unless negativeOK.
func (f *FileParser) Money(n *yaml.Node, path string, negativeOK bool) datasets.Money {
	return f.p.money(n, path, negativeOK)
}

// Boolean returns true or false.
func (f *FileParser) Boolean(n *yaml.Node, path string) bool { return f.p.boolean(n, path) }

// FormatAmount writes an amount in whole currency units with thousands
// separators (42,000), as the recommender's reasons quote them.
func FormatAmount(m datasets.Money) string { return money(m) }

// FormatCents writes an amount to the cent with thousands separators
// (9,586,219.34), for a sum whose cents matter (what the CLI warns of).
func FormatCents(m datasets.Money) string {
	v, sign := int64(m), ""
	if v < 0 {
		// -MinInt64 overflows, but no Money of the ledger reaches it
		// (datasets.MaxAmount); it is written as it is, not wrapped.
		if v == math.MinInt64 {
			return m.String()
		}
		sign, v = "-", -v
	}
	return fmt.Sprintf("%s%s.%02d", sign, thousands(v/100), v%100)
}
