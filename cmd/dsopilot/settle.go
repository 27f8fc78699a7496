package main

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
	"github.com/dsopilot/dsopilot/recommender"
)

// Settled is not paid. Every command reads its ledger through settle (the
// whole ledger through loadSettled, parts through eachSampledPart), so
// that a settled invoice whose payments and credit notes do not cover it
// carries the write-off (or, flagged disputed, the dispute credit) that
// its settlement implies (datasets.ImpliedWriteOffs): an ERP cleared-items
// export without its credit notes would otherwise show written-off debt
// as recovered and forecast it as cash. The notes are marked implied
// (datasets.CreditNote.Implied) and dated at the settlement; a ledger
// without any payment records gets none, since it cannot tell cash from
// credit. The KPI and feature indexes and the SQL KPIs imply the same
// notes on their own, so that every engine agrees.
//
// The user is told: run counts, in the run's context, what settle
// implied (impliedTally), and the command ends with one warning on stderr
// saying how many invoices, for how much, and why.

// settle returns l with the write-offs its settlements imply, when the
// whole ledger l belongs to (whole: l's own facts when it is whole) has
// payments, and counts them in ctx's tally.
func settle(ctx context.Context, l *datasets.Ledger, whole features.LedgerFacts) (*datasets.Ledger, error) {
	s, n, err := l.WithImpliedWriteOffs(whole.PaymentsKnown)
	if err != nil {
		return nil, fmt.Errorf("settled invoices: %w", err)
	}
	if n > 0 {
		if t := impliedTallyOf(ctx); t != nil {
			t.add(l, s.CreditNotes[len(s.CreditNotes)-n:])
		}
	}
	return s, nil
}

// loadSettled reads the whole ledger of st, settled.
func loadSettled(ctx context.Context, st datasets.Store) (*datasets.Ledger, error) {
	l, err := st.Load(ctx)
	if err != nil {
		return nil, err
	}
	return settle(ctx, l, features.FactsOf(l))
}

// impliedTally adds up the notes settle implies over one run of a
// command, whether it reads the ledger whole or in parts: by currency
// (the invoice's, else its customer's), how many and for how much. A note
// is counted once however often the run reads its invoice (commands that
// make several passes over the parts, or read the ledger twice).
type impliedTally struct {
	mu   sync.Mutex
	seen map[string]bool // note ids
	// summed counts the invoices added as a sum (the SQL KPIs': addSummary).
	summed   int
	credited int // of them all, dispute credits (the invoice flagged disputed)
	sums     map[string]*datasets.MoneySum
	tooLarge map[string]bool // currencies whose sum overflows
}

type impliedTallyKey struct{}

// withImpliedTally returns ctx carrying a new tally for a run.
func withImpliedTally(ctx context.Context) (context.Context, *impliedTally) {
	t := &impliedTally{seen: map[string]bool{}, sums: map[string]*datasets.MoneySum{}, tooLarge: map[string]bool{}}
	return context.WithValue(ctx, impliedTallyKey{}, t), t
}

// impliedTallyOf is ctx's tally, nil when it has none.
func impliedTallyOf(ctx context.Context) *impliedTally {
	t, _ := ctx.Value(impliedTallyKey{}).(*impliedTally)
	return t
}

// add counts notes, implied on l's invoices.
func (t *impliedTally) add(l *datasets.Ledger, notes []datasets.CreditNote) {
	type key struct{ customer, invoice string }
	cur := make(map[key]string, len(notes))
	custCur := map[string]string{}
	for i := range notes {
		cur[key{notes[i].CustomerID, notes[i].InvoiceID}] = ""
		custCur[notes[i].CustomerID] = ""
	}
	for i := range l.Invoices {
		v := &l.Invoices[i]
		if _, ok := cur[key{v.CustomerID, v.ID}]; ok {
			cur[key{v.CustomerID, v.ID}] = v.Currency
		}
	}
	for i := range l.Customers {
		if c := &l.Customers[i]; c.Currency != "" {
			if _, ok := custCur[c.ID]; ok {
				custCur[c.ID] = c.Currency
			}
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for i := range notes {
		n := &notes[i]
		if t.seen[n.ID] {
			continue
		}
		t.seen[n.ID] = true
		if n.Kind == datasets.KindCreditNote {
			t.credited++
		}
		c := cmp.Or(cur[key{n.CustomerID, n.InvoiceID}], custCur[n.CustomerID])
		if t.sums[c] == nil {
			t.sums[c] = &datasets.MoneySum{}
		}
		t.sums[c].Add(n.Amount)
	}
}

// addSummary counts what the SQL KPI engine implied, summed in the
// database (features.SQLImpliedWriteOffs).
func (t *impliedTally) addSummary(s features.ImpliedSummary) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.summed += s.Invoices
	t.credited += s.Credited
	for c, m := range s.Amounts {
		if t.sums[c] == nil {
			t.sums[c] = &datasets.MoneySum{}
		}
		t.sums[c].Add(m)
	}
	for _, c := range s.TooLarge {
		t.tooLarge[c] = true
	}
}

// warning is the run's one warning on what it implied ("" for nothing).
func (t *impliedTally) warning() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := len(t.seen) + t.summed
	if n == 0 {
		return ""
	}
	cs := maps.Clone(t.tooLarge)
	for c := range t.sums {
		cs[c] = true
	}
	var amounts []string
	for _, c := range slices.Sorted(maps.Keys(cs)) {
		v := "more than can be summed"
		if !t.tooLarge[c] { // then in sums
			if s, err := t.sums[c].Total(); err == nil {
				v = recommender.FormatCents(s)
			}
		}
		if c == "" {
			c = "(no currency)"
		}
		amounts = append(amounts, v+" "+c)
	}
	invoices := fmt.Sprintf("%d settled invoices", n)
	if n == 1 {
		invoices = "1 settled invoice"
	}
	disputed := ""
	if t.credited > 0 {
		disputed = fmt.Sprintf(" (%d of them, flagged disputed, as credited)", t.credited)
	}
	return fmt.Sprintf("%s taken as written off for %s%s: they were settled without payments or credit notes covering them in full, "+
		"so the part not covered counts as written off at the settlement, not as paid (a cash discount or a short payment reads the same; "+
		"none of these is taken as a default); import the ledger's real credit notes to replace these implied write-offs",
		invoices, strings.Join(amounts, ", "), disputed)
}
