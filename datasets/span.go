package datasets

// Span is the days a ledger has records of: its first invoice's issue date
// and its latest receivables record (Ledger.LastDay). An answer as of a
// day before First is empty, and one long after Last treats every invoice
// then open as unpaid since; the commands and the API say so. The zero
// Span is an empty ledger's.
type Span struct {
	First, Last Date
}

// Span returns the days l has records of.
func (l *Ledger) Span() Span {
	var s Span
	for i := range l.Invoices {
		if d := l.Invoices[i].IssueDate; d != 0 && (s.First == 0 || d < s.First) {
			s.First = d
		}
	}
	s.Last = l.LastDay()
	return s
}

// Union is the span of two ledgers' records together, e.g. of two parts
// of one ledger.
func (s Span) Union(o Span) Span {
	if o.First != 0 && (s.First == 0 || o.First < s.First) {
		s.First = o.First
	}
	s.Last = max(s.Last, o.Last)
	return s
}

// Empty reports whether the span holds no invoice or no record.
func (s Span) Empty() bool { return s.First == 0 || s.Last == 0 }
