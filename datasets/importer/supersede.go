package importer

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/dsopilot/dsopilot/datasets"
)

// Real payments supersede the payments derived from an open balance.
//
// An invoices file's open balance (openbalance.go) derives a payment (or,
// in a ledger without payment records, a credit note) of what no record
// covers, dated the export date: money paid by then that no record shows.
// When the real payments file comes in a later import, its payments of
// the invoice dated by then are that money, and counting both would count
// it twice. The stores cannot delete, so the derived record is upserted,
// by its id, with what the new records leave of it (down to 0), and the
// file whose rows did it is warned of each, naming the derived record,
// its old and new amounts and the records that replaced it: nothing
// changes silently. Only lowered, never raised: a derived record says
// money was paid, and a real payment revised down says nothing of it.
//
// What is new is told against the store as it was before the import's
// rows: the stored derived records, and the real payments and credit
// notes of their invoices, are read when the first file that can apply
// records to invoices starts (before any of its rows is sent), and a
// record of the import counts for what it adds to its stored version
// (an id already stored with the same amount and date adds nothing). So
// importing the same payments file again changes nothing, and an import
// of payments that an earlier derivation already counted (they were
// stored when it ran) lowers nothing. A record counts only when dated on
// or before the derived one: a payment after the export date is not part
// of the balance the export gave.
//
// What it costs: a file of payments or credit notes that name invoices
// (or an invoices file whose credit-note rows do) lists the stored ids of
// payments and credit notes once per import (EachID, matched by
// OpenBalancePrefix), as the check of the invoices they name lists the
// invoices' ids; only when the store holds derived records are the
// records of their invoices read and the import's kept, and only those.

// applied is one payment or credit note of an invoice, as far as it
// covers a derived record.
type applied struct {
	amount datasets.Money
	date   datasets.Date
}

// derivedRecord is a stored record derived from an open balance.
type derivedRecord struct {
	payment *datasets.Payment    // one of the two
	credit  *datasets.CreditNote //
}

func (d derivedRecord) id() string {
	if d.payment != nil {
		return d.payment.ID
	}
	return d.credit.ID
}

func (d derivedRecord) date() datasets.Date {
	if d.payment != nil {
		return d.payment.Date
	}
	return d.credit.Date
}

func (d derivedRecord) amount() datasets.Money {
	if d.payment != nil {
		return d.payment.Amount
	}
	return d.credit.Amount
}

func (d derivedRecord) kind() string {
	if d.payment != nil {
		return "payment"
	}
	return "credit note"
}

// superseding is the run's view of the stored derived records.
type superseding struct {
	scanned bool
	// derived are the stored derived records by invoice; before the
	// stored real payments and credit notes of those invoices ("p:" or
	// "c:" + id), read before the import sent any; after the import's.
	derived map[string][]derivedRecord
	before  map[string]map[string]applied
	after   map[string]map[string]applied
	// by is the file (and line) whose record of the invoice came first,
	// warned of what its records replaced.
	by map[string]recordAt
	// lowered is the new amount of each derived record lowered, for the
	// open balances derived after (openbalance.go).
	lowered map[string]datasets.Money
}

// scanDerived reads, once per import and before the first file that can
// apply payments or credit notes to invoices sends a row, the stored
// derived records and the real records of their invoices.
func (im *run) scanDerived(ctx context.Context) error {
	s := &im.sup
	if s.scanned {
		return nil
	}
	s.scanned = true
	l, ok := im.st.(idLister)
	if !ok {
		return nil
	}
	invoices := map[string]bool{}
	for _, e := range []datasets.Entity{datasets.EntityPayments, datasets.EntityCreditNotes} {
		err := l.EachID(ctx, e, func(id string) {
			if inv, ok := derivedInvoice(id); ok {
				invoices[inv] = true
			}
		})
		if err != nil {
			return fmt.Errorf("read the %s ids, for those derived from open balances: %w", e, err)
		}
	}
	if len(invoices) == 0 {
		return nil
	}
	stored, err := im.storedRecords(ctx, slices.Sorted(maps.Keys(invoices)))
	if err != nil || stored == nil {
		if err != nil {
			err = fmt.Errorf("read the records of the invoices with payments derived from open balances: %w", err)
		}
		return err
	}
	s.derived, s.before, s.after = map[string][]derivedRecord{}, map[string]map[string]applied{}, map[string]map[string]applied{}
	s.by, s.lowered = map[string]recordAt{}, map[string]datasets.Money{}
	for i := range stored.Payments {
		p := &stored.Payments[i]
		if OpenBalancePayment(p) {
			s.derived[p.InvoiceID] = append(s.derived[p.InvoiceID], derivedRecord{payment: p})
		}
	}
	for i := range stored.CreditNotes {
		c := &stored.CreditNotes[i]
		if strings.HasPrefix(c.ID, OpenBalancePrefix) {
			s.derived[c.InvoiceID] = append(s.derived[c.InvoiceID], derivedRecord{credit: c})
		}
	}
	for i := range stored.Payments {
		if p := &stored.Payments[i]; !OpenBalancePayment(p) && s.derived[p.InvoiceID] != nil {
			s.record(s.before, "p:"+p.ID, p.InvoiceID, applied{p.Amount, p.Date})
		}
	}
	for i := range stored.CreditNotes {
		if c := &stored.CreditNotes[i]; !strings.HasPrefix(c.ID, OpenBalancePrefix) && s.derived[c.InvoiceID] != nil {
			s.record(s.before, "c:"+c.ID, c.InvoiceID, applied{c.Amount, c.Date})
		}
	}
	return nil
}

// derivedInvoice is the invoice of a derived record's id
// (OpenBalancePrefix + invoice + ":" + date), ok when id is one.
func derivedInvoice(id string) (string, bool) {
	rest, ok := strings.CutPrefix(id, OpenBalancePrefix)
	if !ok {
		return "", false
	}
	i := strings.LastIndexByte(rest, ':')
	if i <= 0 {
		return "", false
	}
	return rest[:i], true
}

func (s *superseding) record(m map[string]map[string]applied, key, invoice string, a applied) {
	r := m[invoice]
	if r == nil {
		r = map[string]applied{}
		m[invoice] = r
	}
	r[key] = a
}

// recordAt is where a record of the import was read.
type recordAt struct {
	fr   *fileRun
	line int
}

// payment notes a payment of the import (fr's row at line).
func (s *superseding) payment(fr *fileRun, line int, p *datasets.Payment) {
	if s.derived[p.InvoiceID] == nil || OpenBalancePayment(p) {
		return
	}
	s.record(s.after, "p:"+p.ID, p.InvoiceID, applied{p.Amount, p.Date})
	if _, ok := s.by[p.InvoiceID]; !ok {
		s.by[p.InvoiceID] = recordAt{fr, line}
	}
}

// credit notes a credit note of the import (fr's row at line).
func (s *superseding) credit(fr *fileRun, line int, c *datasets.CreditNote) {
	if s.derived[c.InvoiceID] == nil || strings.HasPrefix(c.ID, OpenBalancePrefix) {
		return
	}
	s.record(s.after, "c:"+c.ID, c.InvoiceID, applied{c.Amount, c.Date})
	if _, ok := s.by[c.InvoiceID]; !ok {
		s.by[c.InvoiceID] = recordAt{fr, line}
	}
}

// warnSuperseded is the warning of a derived record lowered.
const warnSuperseded = "payment or credit note derived from an open balance by an earlier import, now covered by the real payments and credit notes of the invoice dated by then: lowered by what they add (upserted by its id; the stores cannot delete)"

// supersede lowers, once every file is read, each stored derived record
// by what the import's records of its invoice dated by then add to the
// stored ones; the open balances of the import are derived after, with
// the lowered amounts (rederive says which derived ids they derive again
// themselves, left to them).
func (im *run) supersede(w *writer, rederive map[string]bool) {
	s := &im.sup
	byFile := map[*fileRun]*datasets.Ledger{}
	late := lateWarnings{}
	for _, inv := range slices.Sorted(maps.Keys(s.after)) {
		recs := slices.Clone(s.derived[inv])
		slices.SortFunc(recs, func(a, b derivedRecord) int { return cmp.Compare(a.date(), b.date()) })
		absorbed := datasets.Money(0)
		for _, d := range recs {
			if rederive[d.id()] {
				continue
			}
			var added datasets.Money
			var by []string
			for _, key := range slices.Sorted(maps.Keys(s.after[inv])) {
				a := s.after[inv][key]
				cover := func(x applied) datasets.Money {
					if x.date != 0 && x.date <= d.date() {
						return x.amount
					}
					return 0
				}
				old, had := s.before[inv][key]
				delta := cover(a)
				if had {
					delta -= cover(old)
				}
				if delta > 0 {
					added += delta
					by = append(by, fmt.Sprintf("%s %s of %s", strings.TrimPrefix(strings.TrimPrefix(key, "p:"), "c:"), delta, a.date))
				}
			}
			take := min(max(added-absorbed, 0), d.amount())
			if take <= 0 {
				continue
			}
			absorbed += take
			at := s.by[inv]
			fr := at.fr
			b := byFile[fr]
			if b == nil {
				b = &datasets.Ledger{}
				byFile[fr] = b
			}
			now := d.amount() - take
			if d.payment != nil {
				p := *d.payment
				p.Amount = now
				b.Payments = append(b.Payments, p)
			} else {
				c := *d.credit
				c.Amount = now
				b.CreditNotes = append(b.CreditNotes, c)
			}
			s.lowered[d.id()] = now
			fr.sum.SupersededDerived++
			late.warn(fr, warnSuperseded, fmt.Sprintf("%s:%d invoice_id %q: derived %s %q of %s dated %s now %s, replaced by %s", fr.sum.Path, at.line, clip(inv, 80), d.kind(), clip(d.id(), 120),
				d.amount(), d.date(), now, clip(strings.Join(by, ", "), 300)))
		}
	}
	for _, fr := range im.files {
		if b := byFile[fr]; b != nil {
			w.send(b, fr, 0, 0) // not rows of the file: counted in SupersededDerived
		}
	}
	late.add(im.files)
}
