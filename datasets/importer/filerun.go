package importer

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/dsopilot/dsopilot/datasets"
)

// The state of one file of an import and its summary: the warnings and
// notes counted as its rows are read (and those counted once every file
// is read, lateWarnings), and its verdict. file.go reads the rows.

// fileRun is the state of one file of an import.
type fileRun struct {
	sum FileSummary
	// loaded is credited by the writer goroutine with the rows the store
	// acknowledged; read into sum once the writer has stopped.
	loaded atomic.Int64
	count  func(*datasets.Counts) *uint64
	warns  map[string]*Warning
	order  []string
	// notes count the values read by a convention of the export
	// (conventions.go), in noteOrder.
	notes     map[string]*Warning
	noteOrder []string
	// unknownCash totals, by currency, the payments naming an invoice
	// neither stored nor imported (unknownInvoiceCash).
	unknownCash map[string]*datasets.MoneySum
	diag        *diagnosis
	marks       map[string]markScan // the decimal-mark scan, once done
	// idColumn names the file's id, and seenBefore is how many ids of its
	// entity earlier files of the import had: at most that many of its
	// duplicates repeat an earlier file's row rather than one of its own.
	idColumn   string
	seenBefore int
	// For describing duplicates (dupdetail.go): the input, the index of
	// its id column (-1 when it has none), its columns' names, the first
	// duplicates, and the lines rejected.
	in            input
	idAt          int
	names         []string
	dups          []DuplicateRow
	rejectedLines []int
	// assumed are the dunning actions of the file whose date is
	// assumed, dated once it is read (dunning.go).
	assumed []assumedAction
	// promises are the file's promises of an invoice, checked against
	// it once the file is read (promises.go).
	promises []heldPromise
	// skipped counts the rows skipped by each type value, and
	// unknownTypes those rejected for a type value no mapping names
	// (typedpay.go).
	skipped, unknownTypes map[string]int
	// reasons counts the invoices flagged disputed by each reason
	// (disputereason.go).
	reasons map[string]int
}

// warn counts a warning of the file.
func (fr *fileRun) warn(reason, example string) { tally(fr.warns, &fr.order, reason, example, true) }

// warnFile counts a warning about the file as a whole.
func (fr *fileRun) warnFile(reason string) { tally(fr.warns, &fr.order, reason, fr.sum.Path, false) }

// note counts a value read by a convention of the export.
func (fr *fileRun) note(reason, example string) {
	tally(fr.notes, &fr.noteOrder, reason, example, true)
}

// noteCounted notes n rows of the file at once, described by example.
func (fr *fileRun) noteCounted(reason, example string, n int) {
	tally(fr.notes, &fr.noteOrder, reason, example, false)
	fr.notes[reason].Count += n - 1
}

// tally counts one more row of reason in byReason, keeping the first
// row's example, the first MaxWarningRows rows and the order reasons were
// first seen in; of a row, when row says the example is one.
func tally(byReason map[string]*Warning, order *[]string, reason, example string, row bool) {
	w := byReason[reason]
	if w == nil {
		w = &Warning{Reason: reason, Example: example}
		byReason[reason] = w
		*order = append(*order, reason)
	}
	w.Count++
	if row && len(w.Rows) < MaxWarningRows {
		w.Rows = append(w.Rows, example)
	}
}

// A payment naming an invoice that is neither stored nor imported is loaded
// as it is: its cash was received. Until the invoice is imported it is
// the customer's cash on account, which nets against the customer's
// receivables: a trial's 40 invoices rejected for their terms turned
// 144,320.01 of their receipts into cash on account, net receivables
// 27% low, and the import had said only how many payments named them.
const (
	warnPaymentUnknownInvoice = "payment names an invoice neither in the store nor in the import: loaded as the customer's cash on account (unapplied), " +
		"which nets against its receivables until that invoice is imported"
	noteUnknownInvoiceCash = "file(s) with cash on account from payments naming invoices neither in the store nor in the import"
)

// unknownInvoiceCash counts payment p, which names an unknown invoice.
func (fr *fileRun) unknownInvoiceCash(p *datasets.Payment) {
	if fr.unknownCash == nil {
		fr.unknownCash = map[string]*datasets.MoneySum{}
	}
	s := fr.unknownCash[p.Currency]
	if s == nil {
		s = &datasets.MoneySum{}
		fr.unknownCash[p.Currency] = s
	}
	s.Add(p.Amount)
}

// conclude fills the summary's warnings, notes, diagnosis and verdict.
func (fr *fileRun) conclude() {
	s := &fr.sum
	if len(fr.unknownCash) > 0 {
		var parts []string
		for _, cur := range slices.Sorted(maps.Keys(fr.unknownCash)) {
			t, err := fr.unknownCash[cur].Total()
			if err != nil {
				parts = append(parts, fmt.Sprintf("%s: %v", cur, err))
				continue
			}
			parts = append(parts, strings.TrimSpace(fmt.Sprintf("%s %s", t, cur)))
		}
		tally(fr.notes, &fr.noteOrder, noteUnknownInvoiceCash, fmt.Sprintf("%s: %s in all", s.Path, strings.Join(parts, ", ")), false)
	}
	// Counted by value: the note's count is the rows', its example the
	// values' counts.
	if len(fr.skipped) > 0 {
		fr.noteCounted(noteSkippedTypes, fmt.Sprintf("%s: %s", s.Path, typeCounts(fr.skipped)), s.SkippedByType)
	}
	if len(fr.reasons) > 0 {
		fr.noteCounted(noteDisputeReasons, fmt.Sprintf("%s: %s", s.Path, typeCounts(fr.reasons)), s.DisputedByReason)
	}
	for _, r := range fr.order {
		s.Warnings = append(s.Warnings, *fr.warns[r])
	}
	for _, r := range fr.noteOrder {
		s.Notes = append(s.Notes, *fr.notes[r])
	}
	if s.Rejected > 0 {
		s.Diagnosis = fr.diag.summary(s.Rejected, s.Read)
	}
	s.Failed = s.Error != "" || MostlyRejected(s.Rejected, s.Read)
	if u := fr.unmapped(); u != "" && s.Error == "" {
		// A kind of document the user has not named: the file did not
		// import as it should, whatever share of its rows it is. The
		// most common reason is said too when it is another.
		if s.Diagnosis != "" && 2*fr.unknownCount() <= s.Rejected {
			u += "; " + s.Diagnosis
		} else if other := s.Rejected - fr.unknownCount(); other > 0 {
			u += fmt.Sprintf("; %d other rows rejected", other)
		}
		s.Diagnosis, s.Failed = u, true
	}
	if fr.mostlyDuplicates() {
		// Not one row per record: the id is mapped to a column that is
		// no id (a customer's), or the export has several lines per
		// document, and every row replaced the one before it.
		msg := fmt.Sprintf("%d of %d rows repeat the %s of an earlier row of the file and replace it: check that %s is mapped to the column that identifies one record (an export of several lines per document keeps only each one's last line)",
			s.Duplicates, s.Read, fr.idColumn, fr.idColumn)
		if s.Diagnosis != "" {
			msg = s.Diagnosis + "; " + msg
		}
		s.Diagnosis, s.Failed = msg, true
	}
}

// mostlyDuplicates says whether more than half the rows of the file
// repeat an id of an earlier row of the same file (counted low: a
// duplicate may repeat an earlier file's row, which a newer export
// legitimately replaces).
func (fr *fileRun) mostlyDuplicates() bool {
	s := &fr.sum
	return s.Error == "" && (s.Duplicates-fr.seenBefore)*2 > s.Read
}

// dupReason is the warning of rows that repeat an id.
const dupReason = "rows repeat the id of an earlier row, which they replace (upsert by id: the later row is kept)"

// lateWarnings are warnings of files already concluded (their summaries
// are final once read), counted once every file is read.
type lateWarnings struct {
	warns  map[*fileRun]map[string]*Warning
	orders map[*fileRun]*[]string
}

func (l *lateWarnings) warn(fr *fileRun, reason, example string) {
	if l.warns == nil {
		l.warns, l.orders = map[*fileRun]map[string]*Warning{}, map[*fileRun]*[]string{}
	}
	if l.warns[fr] == nil {
		l.warns[fr], l.orders[fr] = map[string]*Warning{}, &[]string{}
	}
	tally(l.warns[fr], l.orders[fr], reason, example, true)
}

// add appends the warnings to the files' summaries.
func (l *lateWarnings) add(files []*fileRun) {
	for _, fr := range files {
		if o := l.orders[fr]; o != nil {
			for _, r := range *o {
				fr.sum.Warnings = append(fr.sum.Warnings, *l.warns[fr][r])
			}
		}
	}
}
