package importer

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
)

// The summary of an import: the files' figures totalled, and the verdict.

// FileSummary is what happened to one file.
type FileSummary struct {
	Path       string          `json:"path"`
	Entity     datasets.Entity `json:"entity"`
	Format     string          `json:"format"`
	Read       int             `json:"read"`
	Loaded     int             `json:"loaded"`
	Rejected   int             `json:"rejected"`
	Duplicates int             `json:"duplicates"`
	// DuplicateRows describes the first duplicates (dupdetail.go).
	DuplicateRows  []DuplicateRow `json:"duplicate_rows,omitempty"`
	IgnoredColumns []string       `json:"ignored_columns,omitempty"`
	Warnings       []Warning      `json:"warnings,omitempty"`
	// NegativeCreditNotes counts the credit notes loaded as credits of
	// their absolute amount because the file writes them negative, and
	// DerivedDueDates the invoices loaded with a due date derived from
	// payment terms for a blank one (conventions.go); Notes say each
	// with its first example.
	NegativeCreditNotes int       `json:"negative_credit_notes,omitempty"`
	DerivedDueDates     int       `json:"derived_due_dates,omitempty"`
	Notes               []Warning `json:"notes,omitempty"`
	// CreditNotesFromInvoices counts the rows of an invoices file loaded
	// as credit notes by its type column (doctypes.go); they are in Loaded.
	CreditNotesFromInvoices int `json:"credit_notes_from_invoices,omitempty"`
	// PaymentsFromInvoices counts the rows of an invoices file loaded as
	// payments by their type column (typedpay.go); they are in Loaded.
	PaymentsFromInvoices int `json:"payments_from_invoices,omitempty"`
	// SkippedByType counts the rows of an invoices file skipped by their
	// type (--doc-types skip=VALUE): not in Read (typedpay.go).
	SkippedByType int `json:"skipped_by_type,omitempty"`
	// DisputedByReason counts the invoices flagged disputed by their
	// dispute_reason column (disputereason.go).
	DisputedByReason int `json:"disputed_by_reason,omitempty"`
	// DunningActions counts the actions loaded from the file's dunning
	// levels (dunning.go); they are not rows, and not in Loaded.
	DunningActions int `json:"dunning_actions,omitempty"`
	// DerivedPayments counts the payments derived from the file's open
	// balances (openbalance.go); they are not rows, and not in Loaded.
	DerivedPayments int `json:"derived_payments,omitempty"`
	// DerivedCredits counts the credit notes derived so in a ledger
	// without payment records.
	DerivedCredits int `json:"derived_credits,omitempty"`
	// SupersededDerived counts the records derived from an open balance
	// by an earlier import that the file's payments and credit notes
	// lowered (supersede.go); warned of each.
	SupersededDerived int `json:"superseded_derived,omitempty"`
	// SettledByRecords counts the invoices without a settled date that
	// the file's rows made the import look at and their payments and
	// credit notes cover: stored again, settled (settlecover.go); they
	// are not rows, and not in Loaded.
	SettledByRecords int `json:"settled_by_records,omitempty"`
	// DerivedDiscounts counts the credit notes loaded from the cash
	// discounts of a payments file (discount.go); not rows, not in Loaded.
	DerivedDiscounts int `json:"derived_discounts,omitempty"`
	// Cascaded counts the rows rejected only because their customer's own
	// row, in a customers file of the same import, was rejected.
	Cascaded int `json:"cascaded,omitempty"`
	// Absent counts the rows rejected only because their customer is
	// absent from the store's customer master in an import without a
	// customers file (master.go).
	Absent int `json:"absent_customer_rows,omitempty"`
	// Diagnosis is the most common reason rows were rejected, with a
	// remedy when one is clear (a date format that reads them).
	Diagnosis string `json:"diagnosis,omitempty"`
	// Failed says the file did not import as it should: it could not be
	// read (Error), or more than half its rows were rejected.
	Failed bool   `json:"failed,omitempty"`
	Error  string `json:"error,omitempty"`
}

// Summary is what happened to an import: Read = Loaded + Rejected +
// Duplicates, in each file and in all. Loaded counts only rows the store
// acknowledged, and a duplicate not (it replaced an earlier row's record).
type Summary struct {
	Read             int `json:"read"`
	Loaded           int `json:"loaded"`
	Rejected         int `json:"rejected"`
	Duplicates       int `json:"duplicates"`
	DerivedCustomers int `json:"derived_customers"`
	// NegativeCreditNotes and DerivedDueDates total the files'; Notes
	// are the files' notes, by reason.
	NegativeCreditNotes int       `json:"negative_credit_notes"`
	DerivedDueDates     int       `json:"derived_due_dates"`
	Notes               []Warning `json:"notes"`
	// CreditNotesFromInvoices, PaymentsFromInvoices, SkippedByType and
	// DisputedByReason total the files'.
	CreditNotesFromInvoices int `json:"credit_notes_from_invoices"`
	PaymentsFromInvoices    int `json:"payments_from_invoices"`
	SkippedByType           int `json:"skipped_by_type"`
	DisputedByReason        int `json:"disputed_by_reason"`
	// DunningActions totals the files'.
	DunningActions int `json:"dunning_actions"`
	// DerivedPayments totals the files' (openbalance.go).
	DerivedPayments int `json:"derived_payments"`
	DerivedCredits  int `json:"derived_credits"`
	// SupersededDerived totals the files' (supersede.go).
	SupersededDerived int `json:"superseded_derived"`
	// SettledByRecords totals the files' (settlecover.go).
	SettledByRecords int `json:"settled_by_records"`
	// DerivedDiscounts totals the files' (discount.go).
	DerivedDiscounts int `json:"derived_discounts"`
	// Cascaded totals the files' rows rejected only because their
	// customer's own row was rejected in this import, and Cascade says so
	// with the first of those customers' rows; the import then ends in
	// ErrIncomplete.
	Cascaded int    `json:"cascaded"`
	Cascade  string `json:"cascade,omitempty"`
	// Absent totals the files' rows rejected only because their
	// customer is absent from the store's customer master, in an import
	// without a customers file (its row may have been rejected by an
	// earlier import), and AbsentText says so with the first of them and
	// what to do. It is no error of its own: a file most of whose rows it
	// rejects is, as any (ErrRejected).
	Absent     int    `json:"absent_customer_rows"`
	AbsentText string `json:"absent_customers,omitempty"`
	// RejectsFile is where the rejects are: a path, or a note that they
	// went to the fallback writer. Empty when nothing was rejected.
	RejectsFile   string        `json:"rejects_file,omitempty"`
	Warnings      []Warning     `json:"warnings"`
	Seconds       float64       `json:"seconds"`
	RowsPerSecond float64       `json:"rows_per_second"`
	Files         []FileSummary `json:"files"`
	// Skipped are files of a directory that hold no ledger entity by
	// their names or their headers (truth.csv, notes.txt).
	Skipped []string `json:"skipped"`
	// FirstRejects holds up to 20 rejects, for printing.
	FirstRejects []Reject `json:"first_rejects,omitempty"`
}

// MarshalJSON writes the summary with its lists always there, [] for
// none, so that a reader need not tell "none" from "not reported".
func (s Summary) MarshalJSON() ([]byte, error) {
	type plain Summary // without this method
	c := plain(s)
	if c.Warnings == nil {
		c.Warnings = []Warning{}
	}
	if c.Notes == nil {
		c.Notes = []Warning{}
	}
	if c.Skipped == nil {
		c.Skipped = []string{}
	}
	if c.Files == nil {
		c.Files = []FileSummary{}
	}
	return json.Marshal(c)
}

// finish totals the per-file figures.
func (im *run) finish() {
	s := im.sum
	s.Read, s.Loaded, s.Rejected, s.Duplicates = 0, 0, 0, 0
	s.NegativeCreditNotes, s.DerivedDueDates, s.CreditNotesFromInvoices, s.Cascaded, s.DunningActions, s.Absent, s.DerivedPayments, s.DerivedCredits, s.SupersededDerived = 0, 0, 0, 0, 0, 0, 0, 0, 0
	s.NegativeCreditNotes, s.DerivedDueDates, s.CreditNotesFromInvoices, s.Cascaded, s.DunningActions, s.Absent, s.DerivedPayments, s.DerivedCredits, s.SettledByRecords, s.DerivedDiscounts = 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
	s.PaymentsFromInvoices, s.SkippedByType, s.DisputedByReason = 0, 0, 0
	s.Files = s.Files[:0]
	byReason, byNote := map[string]int{}, map[string]int{}
	s.Warnings, s.Notes = nil, nil
	for _, f := range im.files {
		f.sum.Loaded = int(f.loaded.Load())
		s.Files = append(s.Files, f.sum)
		s.Read += f.sum.Read
		s.Loaded += f.sum.Loaded
		s.Rejected += f.sum.Rejected
		s.Duplicates += f.sum.Duplicates
		s.NegativeCreditNotes += f.sum.NegativeCreditNotes
		s.DerivedDueDates += f.sum.DerivedDueDates
		s.CreditNotesFromInvoices += f.sum.CreditNotesFromInvoices
		s.PaymentsFromInvoices += f.sum.PaymentsFromInvoices
		s.SkippedByType += f.sum.SkippedByType
		s.DisputedByReason += f.sum.DisputedByReason
		s.DunningActions += f.sum.DunningActions
		s.DerivedPayments += f.sum.DerivedPayments
		s.DerivedCredits += f.sum.DerivedCredits
		s.SupersededDerived += f.sum.SupersededDerived
		s.SettledByRecords += f.sum.SettledByRecords
		s.DerivedDiscounts += f.sum.DerivedDiscounts
		s.Cascaded += f.sum.Cascaded
		s.Absent += f.sum.Absent
		s.Warnings = mergeWarnings(s.Warnings, f.sum.Warnings, byReason)
		s.Notes = mergeWarnings(s.Notes, f.sum.Notes, byNote)
	}
	s.Cascade = im.cascadeText()
	s.AbsentText = im.absentText(s.Absent)
	s.Seconds = time.Since(im.start).Seconds()
	if s.Seconds > 0 {
		s.RowsPerSecond = float64(s.Read) / s.Seconds
	}
}

// mergeWarnings adds ws to into, summing the counts of a reason that
// into has (at its index in at) and listing its rows after into's, up to
// MaxWarningRows.
func mergeWarnings(into, ws []Warning, at map[string]int) []Warning {
	for _, w := range ws {
		if i, ok := at[w.Reason]; ok {
			into[i].Count += w.Count
			if n := MaxWarningRows - len(into[i].Rows); n > 0 {
				into[i].Rows = append(into[i].Rows, w.Rows[:min(n, len(w.Rows))]...)
			}
			continue
		}
		at[w.Reason] = len(into)
		// Rows appended to the merged warning must not land in the spare
		// capacity of the file's own.
		w.Rows = slices.Clip(w.Rows)
		into = append(into, w)
	}
	return into
}

// MostlyRejected says whether rejected of read rows is most of them
// (more than half): the one rule by which a file (FileSummary.Failed), an
// import (ErrRejected: dsopilot import exits 1) and an API ingest
// (IngestResult.Incomplete) are said to have failed. Rows skipped by
// their type are not read (typedpay.go): skipping a kind of document
// does not hide the rejects of the others. A file fails too, and the
// import with ErrRejected, when more than 1% of its rows are of document
// types no mapping names (typedpay.go: unmapped).
func MostlyRejected(rejected, read int) bool { return 2*rejected > read }

// mostlyRejected describes the files of which more than half the rows were
// rejected (and the import when more than half of all rows were), those
// of which more than half repeat an id of the file, and the others with
// rows of document types no mapping names (ErrDocTypes); "" when none.
func (im *run) mostlyRejected() (rejected, duplicates, docTypes string) {
	var rej, dup, types []string
	for i, f := range im.sum.Files {
		switch {
		case !f.Failed || f.Error != "":
		case MostlyRejected(f.Rejected, f.Read):
			rej = append(rej, fmt.Sprintf("%s: %s", f.Path, f.Diagnosis))
		case im.files[i].unmapped() != "":
			types = append(types, fmt.Sprintf("%s: %s", f.Path, f.Diagnosis))
		case im.files[i].mostlyDuplicates():
			dup = append(dup, fmt.Sprintf("%s: %s", f.Path, f.Diagnosis))
		}
	}
	if len(rej) == 0 && MostlyRejected(im.sum.Rejected, im.sum.Read) {
		rej = append(rej, fmt.Sprintf("%d of %d rows rejected", im.sum.Rejected, im.sum.Read))
	}
	return strings.Join(rej, "; "), strings.Join(dup, "; "), strings.Join(types, "; ")
}

// progress reports how far the import has come, when asked to.
func (im *run) progress(file string, bytes int64) {
	if im.opts.Progress != nil {
		im.opts.Progress(Progress{File: file, Rows: im.rows, Bytes: im.bytesDone + bytes, TotalBytes: im.bytesTotal})
	}
}
