package recommender

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
	"github.com/dsopilot/dsopilot/model"
)

// gathered is what a worklist needs from a ledger, gathered part by part:
// the open book of the day, the logged decisions known the day before and
// the payment model's risk per customer.
type gathered struct {
	book *Book
	rows []decisionRow
	risk map[string]CustomerRisk
	// collectors: those of the customer master (with book).
	collectors map[string]bool
}

// gather reads the parts for a worklist of day (book: also the accounts;
// m, when set: also the model's risks). Each customer lies in one part and
// a customer's book, decisions and risk are its own records', so the
// accounts and decisions, put back in customer order, are those of the
// whole ledger: the same worklist whatever the parts. Amounts without a
// rate to s's currency are one error naming every currency, once all
// parts are read.
func gather(ctx context.Context, parts features.Parts, day datasets.Date, s *Scenarios, fx datasets.FX, book bool, m *model.Bundle) (*gathered, error) {
	g := &gathered{}
	conv := newConverter(s.Currency, fx)
	if book {
		g.book = &Book{Day: day, Currency: s.Currency, byID: map[string]*Account{}, profiles: map[string][2]int{}}
	}
	var mconv *datasets.PartConverter
	if m != nil {
		g.risk = map[string]CustomerRisk{}
		mconv = modelConverter(m)
	}
	err := parts(func(l *datasets.Ledger, whole features.LedgerFacts) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		ix := &ledgerIndex{}
		ix.sync(l)
		ix.facts = whole // the part's own would miss other parts' disputes and dates
		rows, err := ix.decisions(ctx, day-1, s, conv)
		if err != nil {
			return err
		}
		g.rows = append(g.rows, rows...)
		if book {
			g.book.merge(ix.accounts(day, conv))
			for i := range l.Customers {
				if c := l.Customers[i].Collector; c != "" {
					if g.collectors == nil {
						g.collectors = map[string]bool{}
					}
					g.collectors[c] = true
				}
			}
		}
		if m != nil {
			return addModelRisk(ctx, l, whole, m, mconv, day-1, g.risk)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := conv.err(); err != nil {
		return nil, err
	}
	if m != nil {
		if err := modelConvertErr(m, mconv); err != nil {
			return nil, err
		}
	}
	// Stable: each customer's decisions keep the order of its actions.
	slices.SortStableFunc(g.rows, func(a, b decisionRow) int { return cmp.Compare(a.customer, b.customer) })
	if book {
		slices.SortFunc(g.book.Accounts, func(a, b *Account) int { return cmp.Compare(a.Customer.ID, b.Customer.ID) })
	}
	return g, nil
}

// RecommendParts is Recommend over a ledger read in parts (see features.Parts).
func RecommendParts(ctx context.Context, parts features.Parts, day datasets.Date, o RecommendOptions) (*Worklist, error) {
	s := o.Scenarios
	if s == nil {
		s = DefaultScenarios()
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	capa, err := s.ChannelCapacities(o.Capacity)
	if err != nil {
		return nil, err
	}
	g, err := gather(ctx, parts, day, s, o.FX, true, o.Model)
	if err != nil {
		return nil, err
	}
	// A misspelt collector would get an empty agenda that reads as
	// "nothing to do".
	if o.Collector != "" && !g.collectors[o.Collector] {
		known := slices.Sorted(maps.Keys(g.collectors))
		want := "no customer has a collector"
		if len(known) > 0 {
			want = "want one of " + strings.Join(known, ", ")
		}
		return nil, fmt.Errorf("%w: unknown collector %q: %s", ErrInput, o.Collector, want)
	}
	r := &Recommender{S: s, FX: o.FX, Capacity: capa, Holdout: o.Holdout, Collector: o.Collector, Customers: o.Customers, Seed: o.Seed, Risk: g.risk}
	eo := o.Effects
	eo.Seed = o.Seed
	eo = eo.withDefaults()
	eff, err := learnRows(ctx, g.rows, day-1, s, eo)
	switch {
	case err == nil:
		r.Effects = eff
		o.Log.Info("effects learnt", "decisions", len(eff.rows), "randomised", eff.Randomised)
	case errors.Is(err, ErrNoRandomisation):
		r.Note = fmt.Sprintf("scenario-based: %v. Effects cannot be told from who was chosen for which action; "+
			"these are the scenario's steps under the rules. A holdout of %.0f%% of recommendations builds the history to learn from.",
			err, 100*r.holdout())
		o.Log.Warn("no randomised history: following the scenario", "detail", err)
	default:
		return nil, err
	}
	w := r.worklist(g.book)
	if r.Effects != nil {
		w.Effects = &EffectsSummary{Horizon: r.Effects.Horizon, Rows: r.Effects.Rows, Randomised: r.Effects.Randomised, ATE: r.Effects.ATE,
			Meta: r.Effects.Meta, Choice: r.Effects.Choice}
	}
	return w, nil
}

// OPEParts is OPE over a ledger read in parts (see features.Parts).
func OPEParts(ctx context.Context, parts features.Parts, cutoff datasets.Date, s *Scenarios, fx datasets.FX, o EffectsOptions) (*OPEResult, error) {
	// The decisions known at the end of cutoff are those gather collects
	// for the morning after.
	g, err := gather(ctx, parts, cutoff+1, s, fx, false, nil)
	if err != nil {
		return nil, err
	}
	res, _, err := crossFitOPE(ctx, g.rows, cutoff, s, o.withDefaults())
	if err != nil {
		return nil, err
	}
	return res, nil
}
