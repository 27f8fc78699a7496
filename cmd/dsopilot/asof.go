package main

import (
	"context"
	"fmt"
	"sync"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
)

// ledgerSpan gathers, over the parts a command reads, the ledger's first
// invoice and its latest record, so that the command can say when its
// as-of date lies outside them. An answer as of a day before the first
// invoice is empty, and one long after the latest record treats every
// invoice then open as unpaid since: both run, and both mislead unless
// said. The zero value is ready; it is safe for parts read concurrently.
type ledgerSpan struct {
	mu   sync.Mutex
	span datasets.Span
}

// see adds part l to the span.
func (s *ledgerSpan) see(l *datasets.Ledger) {
	part := l.Span()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.span = s.span.Union(part)
}

// days is the span seen so far.
func (s *ledgerSpan) days() datasets.Span {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.span
}

// spanReader is a store that tells its span in one query (chstore.Store),
// for the commands that compute inside the database and never read the
// ledger's rows.
type spanReader interface {
	Span(ctx context.Context) (first, last datasets.Date, err error)
}

// ask sets the span from st's own account of it. Its first day is the
// first record of any kind, which in a ledger is an invoice's issue date.
func (s *ledgerSpan) ask(ctx context.Context, st spanReader) error {
	first, last, err := st.Span(ctx)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.span = s.span.Union(datasets.Span{First: first, Last: last})
	return nil
}

// watch is p, each part seen by s on its way.
func (s *ledgerSpan) watch(p features.Parts) features.Parts {
	return func(fn func(*datasets.Ledger, features.LedgerFacts) error) error {
		return p(func(l *datasets.Ledger, whole features.LedgerFacts) error {
			s.see(l)
			return fn(l, whole)
		})
	}
}

// warning says what is wrong with answering as of t, or "" when t lies
// within the ledger (or a week past its latest record: an export is
// usually a day or a weekend behind).
func (s *ledgerSpan) warning(t datasets.Date) string {
	sp := s.days()
	return asOfOutside(sp.First, sp.Last, t)
}

// asOfOutside is ledgerSpan.warning for a ledger whose first invoice is of
// first and whose latest record is of last (0 when unknown).
func asOfOutside(first, last, t datasets.Date) string {
	switch {
	case last == 0:
		return "the ledger holds no records: every figure is empty"
	case first != 0 && t < first:
		return fmt.Sprintf("the as-of date %s is before the ledger's first invoice (%s): nothing was known yet, so every figure is empty; "+
			"give an --as-of from %s to %s", t, first, first, last)
	case t-last > datasets.StaleAfterDays:
		return fmt.Sprintf("the ledger's latest record is of %s, %d days before the as-of date %s: nothing paid, invoiced or recorded since "+
			"is known, so every invoice open then is read as unpaid ever since; give --as-of %s, or load the recent records",
			last, int(t-last), t, last)
	}
	return ""
}

// periodWarning says what is wrong with a report over the days from..to,
// or "" when the period overlaps the ledger.
func (s *ledgerSpan) periodWarning(from, to datasets.Date) string {
	sp := s.days()
	first, last := sp.First, sp.Last
	switch {
	case last == 0:
		return "the ledger holds no records: every figure is empty"
	case first != 0 && to < first:
		return fmt.Sprintf("the period %s to %s ends before the ledger's first invoice (%s): every figure is empty; the ledger runs from %s to %s",
			from, to, first, first, last)
	case from-last > datasets.StaleAfterDays:
		return fmt.Sprintf("the period %s to %s starts %d days after the ledger's latest record (%s): nothing in it is known, "+
			"and what was open then is read as unpaid throughout; the ledger runs from %s to %s", from, to, int(from-last), last, first, last)
	}
	return ""
}

// warnAsOf prints the span's warning for t, if any, as cmd's.
func (s *ledgerSpan) warnAsOf(e env, cmd string, t datasets.Date) {
	if w := s.warning(t); w != "" {
		fmt.Fprintf(e.stderr, "dsopilot: warning: %s: %s\n", cmd, w)
	}
}
