package importer

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// The summary of an import: the files' figures totalled, and the verdict.

// finish totals the per-file figures.
func (im *run) finish() {
	s := im.sum
	s.Read, s.Loaded, s.Rejected, s.Duplicates = 0, 0, 0, 0
	s.NegativeCreditNotes, s.DerivedDueDates, s.CreditNotesFromInvoices, s.Cascaded, s.DunningActions, s.Absent, s.DerivedPayments, s.DerivedCredits, s.SupersededDerived = 0, 0, 0, 0, 0, 0, 0, 0, 0
	s.NegativeCreditNotes, s.DerivedDueDates, s.CreditNotesFromInvoices, s.Cascaded, s.DunningActions, s.Absent, s.DerivedPayments, s.DerivedCredits, s.SettledByRecords, s.DerivedDiscounts = 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
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
// (IngestResult.Incomplete) are said to have failed.
func MostlyRejected(rejected, read int) bool { return 2*rejected > read }

// mostlyRejected describes the files of which more than half the rows were
// rejected (and the import when more than half of all rows were), and
// those of which more than half repeat an id of the file; "" when none.
func (im *run) mostlyRejected() (rejected, duplicates string) {
	var rej, dup []string
	for i, f := range im.sum.Files {
		switch {
		case !f.Failed || f.Error != "":
		case MostlyRejected(f.Rejected, f.Read):
			rej = append(rej, fmt.Sprintf("%s: %s", f.Path, f.Diagnosis))
		case im.files[i].mostlyDuplicates():
			dup = append(dup, fmt.Sprintf("%s: %s", f.Path, f.Diagnosis))
		}
	}
	if len(rej) == 0 && MostlyRejected(im.sum.Rejected, im.sum.Read) {
		rej = append(rej, fmt.Sprintf("%d of %d rows rejected", im.sum.Rejected, im.sum.Read))
	}
	return strings.Join(rej, "; "), strings.Join(dup, "; ")
}

// progress reports how far the import has come, when asked to.
func (im *run) progress(file string, bytes int64) {
	if im.opts.Progress != nil {
		im.opts.Progress(Progress{File: file, Rows: im.rows, Bytes: im.bytesDone + bytes, TotalBytes: im.bytesTotal})
	}
}
