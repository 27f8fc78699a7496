package recommender

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
	"github.com/dsopilot/dsopilot/model"
)

// RecommendOptions configure Recommend.
type RecommendOptions struct {
	Scenarios *Scenarios // nil: the default file
	FX        datasets.FX
	// Capacity per channel (or per action type, whose channel it names),
	// overriding the file's.
	Capacity  map[string]int
	Collector string
	// Customers, when set, restricts the worklist to these customers.
	Customers []string
	// Model, when set, is a payment model whose probabilities of late
	// payment and of 90+ days set the customers' risk classes and default
	// hazards.
	Model *model.Bundle
	// Holdout is the randomised share (negative: the file's).
	Holdout float64
	Seed    uint64
	Effects EffectsOptions
	Log     *slog.Logger
}

// Recommend builds the worklist of day from a ledger: it learns the effects
// from the randomised decisions known by the day before and values every
// allowed contact with them; without enough randomised history it follows
// the scenario and says so in the worklist's note. RecommendParts does the
// same over a ledger read in parts.
func Recommend(ctx context.Context, l *datasets.Ledger, day datasets.Date, o RecommendOptions) (*Worklist, error) {
	return RecommendParts(ctx, features.WholeLedger(l), day, o)
}

// ChannelCapacities turns capacities given per channel or per action type
// (call=40 means the call type's channel) into per-channel ones, refusing
// negative numbers.
func (s *Scenarios) ChannelCapacities(in map[string]int) (map[string]int, error) {
	out := map[string]int{}
	for k, v := range in {
		if v < 0 {
			return nil, fmt.Errorf("%w: capacity of %s is negative (%d)", ErrInput, k, v)
		}
		ch := k
		if t := s.Types[k]; t != nil {
			ch = t.Channel
		}
		out[ch] = v
	}
	return out, nil
}

// ParseCapacity reads "call=40,email=1000".
func ParseCapacity(spec string) (map[string]int, error) {
	out := map[string]int{}
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if !ok || strings.TrimSpace(k) == "" || err != nil {
			return nil, fmt.Errorf("%w: capacity %q: want name=number, e.g. call=40", ErrInput, part)
		}
		if n < 0 {
			return nil, fmt.Errorf("%w: capacity %q: must not be negative", ErrInput, part)
		}
		out[strings.TrimSpace(k)] = n
	}
	return out, nil
}

// Summary says in one line what is on the list and what rules kept off
// it, by rule: the CSV has only the list, and a customer missing from it
// should not look forgotten.
func (w *Worklist) Summary() string {
	byRule := func(m map[string]int) string {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = fmt.Sprintf("%s %d", k, m[k])
		}
		return strings.Join(parts, ", ")
	}
	deferred := map[string]int{}
	for _, r := range w.Deferred {
		if n := len(r.Blocked); n > 0 {
			deferred[r.Blocked[n-1].Rule]++
		}
	}
	s := fmt.Sprintf("%s on the list", Plural(len(w.Recommendations), "action"))
	if len(w.Deferred) > 0 {
		s += fmt.Sprintf("; %d deferred (%s)", len(w.Deferred), byRule(deferred))
	}
	if n := len(w.ExcludedCustomers); n > 0 {
		s += fmt.Sprintf("; %s kept from any contact (%s)", Plural(n, "customer"), byRule(w.Excluded))
	}
	exempt := 0
	for _, r := range w.Recommendations {
		if r.HoldoutExempt != "" {
			exempt++
		}
	}
	if exempt > 0 {
		s += fmt.Sprintf("; %d of the actions on severe accounts, never randomised by the holdout (holdout_exempt says why)", exempt)
	}
	return s
}

// WriteJSON writes the worklist as one JSON object. Its lists are always
// there, empty rather than null or left out, so that a reader need not
// tell "none" from "not computed".
func (w *Worklist) WriteJSON(out io.Writer) error {
	c := *w
	c.Recommendations = nonNil(c.Recommendations)
	c.Deferred = nonNil(c.Deferred)
	c.ExcludedCustomers = nonNil(c.ExcludedCustomers)
	c.Disputes = nonNil(c.Disputes)
	if c.Excluded == nil {
		c.Excluded = map[string]int{}
	}
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(&c)
}

// nonNil returns s, or an empty slice for nil (which JSON writes as null).
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// WriteCSV writes one row per recommendation, most valuable first; the
// basis and note are in the first columns so a scenario-based list says
// so on every row.
func (w *Worklist) WriteCSV(out io.Writer) error {
	cw := csv.NewWriter(out)
	head := []string{"date", "customer_id", "customer", "collector", "action", "channel", "invoices", "amount", "currency",
		"expected_value", "uplift", "uplift_low", "uplift_high", "days_saved", "basis", "risk_class", "payment_profile", "scenario_step", "relation",
		"blocked", "policy", "propensity", "reasons"}
	if err := cw.Write(head); err != nil {
		return err
	}
	f := func(p *float64) string {
		if p == nil {
			return ""
		}
		return strconv.FormatFloat(*p, 'f', 2, 64)
	}
	for _, r := range w.Recommendations {
		var up, lo, hi, days string
		if r.Uplift != nil {
			up = strconv.FormatFloat(r.Uplift.Uplift, 'f', 4, 64)
			lo = strconv.FormatFloat(r.Uplift.Low, 'f', 4, 64)
			hi = strconv.FormatFloat(r.Uplift.High, 'f', 4, 64)
			days = strconv.FormatFloat(r.Uplift.DaysSaved, 'f', 1, 64)
		}
		var blocked []string
		for _, b := range r.Blocked {
			blocked = append(blocked, b.Rule+": "+b.Detail)
		}
		row := []string{r.Date.String(), r.CustomerID, r.Customer, r.Collector, r.Action, r.Channel,
			strings.Join(r.Invoices, " "), r.Amount.String(), w.Currency, f(r.ExpectedValue), up, lo, hi, days,
			r.Basis, r.RiskClass, r.Profile, r.Step, r.Relation, strings.Join(blocked, "; "), r.Policy,
			strconv.FormatFloat(r.Propensity, 'f', 6, 64), strings.Join(r.Reasons, "; ")}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
