// Package importer loads ERP exports and canonical ledger files (CSV or
// NDJSON) into a store.
//
// The contract: nothing is stored wrong, nothing good is dropped, and the
// result says so. Every bad row is reported with its file, line, field and
// reason (on the summary and in a rejects file, or on the fallback writer
// when that file cannot be written) and the good rows load. Values are
// read strictly: an amount is a plain decimal whose decimal mark is read
// from the column (see amounts.go), a date matches ISO or the given
// strftime format and is a real day. A file of which more than half the
// rows were rejected, or that could not be read at all, makes Import return
// an error (ErrRejected, ErrFiles) with the most common reason and, for
// dates, a format that would have read them; so does a file of which more
// than half the rows repeat an id of the file (ErrDuplicates: it is not one
// row per record), and so does one of which more than 1% of the rows are
// of document types no mapping names (ErrDocTypes, an ErrRejected:
// typedpay.go). Suspicious rows that load (a payment to an unknown
// invoice, a negative payment, bytes that are not UTF-8) are counted as
// warnings. Loaded counts only rows the store acknowledged. A row that
// repeats the id of an earlier row of the import replaces its record (the
// later row is kept) and is counted as a duplicate, not as loaded, so that
// read = loaded + rejected + duplicates and loaded is the records stored;
// the first few duplicates of a file are described (dupdetail.go). Values
// read by a convention of the export (credit notes written negative, due
// dates derived from payment terms, an invoices file without a due_date
// column whose terms give them) are counted too (conventions.go), and so
// are the credit notes an invoices file lists among its invoices, told by
// its document type column when that is mapped (doctypes.go).
// Loading the same files twice changes nothing, because stores upsert by
// natural id.
// Without a customer master (no customers file in the import, none ever
// loaded into the store: master.go), customers are derived from the rows,
// on every import; with one, a row of a customer it lacks is rejected.
// A customer whose own row of the import was rejected takes its rows with
// it: they say so, and Import returns ErrIncomplete (master.go). A date
// that says something happened (an issue, a payment) after
// Options.LatestDay is rejected, as the API's record endpoints do.
package importer

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
)

// Store is what the importer needs of a store.
type Store interface {
	Put(ctx context.Context, batch *datasets.Ledger) error
	CustomerIDs(ctx context.Context) ([]string, error)
}

// idLister is a store that can list the ids of an entity; with it the
// importer warns about references to invoices it does not hold. EachID may
// hand out an id twice (a store may read again after a broken stream): the
// importer keeps them in a set.
type idLister interface {
	EachID(ctx context.Context, e datasets.Entity, fn func(id string)) error
}

// Options configure an import.
type Options struct {
	// Kind forces the entity of every file given; empty means from the file
	// name (invoices.csv, Invoices_2024.CSV) or, failing that, the header.
	Kind datasets.Entity
	// Columns maps canonical column names to the export's own headers;
	// a key entity.column (payments.amount) maps the column in that
	// entity's files only, over the plain key (ParseColumns).
	Columns map[string]string
	// DocTypes maps type values of an invoices file's document type
	// column (normalised: lower case, _ and - as spaces) to invoice or
	// credit_note, besides the recognised ones (ParseDocTypes,
	// doctypes.go).
	DocTypes map[string]string
	// TermsKeys maps an ERP's payment-terms keys (upper case: ZB30) to
	// the terms they stand for, read before any other form of terms
	// (datasets.ParseTermsKeys: --terms ZB30=30,ZN60=60).
	TermsKeys map[string]datasets.Terms
	// DisputeReasons, when not empty, are the values of an invoices
	// file's dispute_reason column that flag an invoice disputed; empty,
	// any value not blank does (disputereason.go).
	DisputeReasons []string
	// DateFormat is a strftime format (%d.%m.%Y); ISO dates always work.
	// DateFormats overrides it for the files of an entity, for an export
	// whose files write dates differently.
	DateFormat  string
	DateFormats map[datasets.Entity]string
	// DecimalComma and DecimalPoint force the decimal mark of every amount
	// column; without either it is read from each column's values.
	DecimalComma, DecimalPoint bool
	// EOMAfter reads payment terms of days with an end of the month but
	// no "after" (30 days end of month, Net 30 EOM), refused otherwise as
	// readable two ways, as days after the end of the issue month (EOM30;
	// datasets.ParseTermsEOMAfter). Each read so is warned of, naming the
	// assumption.
	EOMAfter bool
	// RoundAmounts rounds amounts with more than two decimals half away
	// from zero instead of rejecting them.
	RoundAmounts bool
	// Currency, when set, is asked about every row's currency (the
	// customers', invoices' and payments' currency column, upper-cased,
	// when not empty); an error rejects the row with it, naming the field.
	// The API uses it to keep out amounts its rates cannot convert.
	Currency func(code string) error
	// Encoding is how bytes that are not UTF-8 are read: "" reads them as
	// Windows-1252 and warns, "utf-8" rejects their rows, "latin1" or
	// "windows-1252" reads the whole file so.
	Encoding string
	// MaxLineBytes and MaxFieldBytes bound a line and a field; a CSV file
	// with a longer one is not read on, an NDJSON line over the limit is
	// rejected. Zero means 16 MiB and 1 MiB.
	MaxLineBytes, MaxFieldBytes int
	// RejectsPath is where rejected rows are written. Empty means
	// dsopilot-rejects-<time>.csv in RejectsDir (default: the temporary
	// directory), or -2.csv, -3.csv ... after it when an import of the same
	// second holds that name: a default name never overwrites. The file is
	// created before anything loads and removed when nothing was rejected;
	// when it cannot be written, rejects go to RejectsFallback and the
	// summary says so.
	RejectsPath     string
	RejectsDir      string
	RejectsFallback io.Writer
	// BatchSize is the number of records per store write. Zero means the
	// store's BatchHint when it has one, else 100,000.
	BatchSize int
	// Progress, when set, is called from the importing goroutine every few
	// thousand rows and at the end of each file.
	Progress func(Progress)
	Log      *slog.Logger
	// Now is the clock, for the default rejects file name and LatestDay.
	Now func() time.Time
	// DunningLevels maps the dunning levels of an invoices file's
	// dunning_level column: level N is DunningLevels[N-1] (dunning.go).
	DunningLevels []DunningLevel
	// LatestDay is the latest day a record can be of: a row dated later
	// where its date says something happened (an invoice issued, a
	// payment received, a dispute opened: datasets.HappenedColumns) is
	// rejected. Zero means datasets.LatestRecordDay(Now()).
	LatestDay datasets.Date
	// ExportDate is the day the export was taken: an invoices file's open
	// balances are as of it (payments derived from them are dated it:
	// openbalance.go), and a dunning level without a date is assumed
	// before it (dunning.go). Zero means the import's day (UTC). It
	// cannot be after LatestDay.
	ExportDate datasets.Date
}

// Progress is how far an import has come.
type Progress struct {
	File string // the file being read
	// Rows is the number of rows read so far in the whole import, and
	// Bytes of TotalBytes (the size of every file) how much of it.
	Rows              int64
	Bytes, TotalBytes int64
}

// Reject is one bad field of one row.
type Reject struct {
	File   string `json:"file"`
	Line   int    `json:"line"`
	Field  string `json:"field"`
	Value  string `json:"value"`
	Reason string `json:"reason"`
}

func (r Reject) String() string {
	if r.Field == "" {
		return fmt.Sprintf("%s:%d: %s", r.File, r.Line, r.Reason)
	}
	return fmt.Sprintf("%s:%d: %s %q: %s", r.File, r.Line, r.Field, r.Value, r.Reason)
}

// Warning counts rows that loaded but deserve a look, of one kind.
type Warning struct {
	Reason  string `json:"reason"`
	Count   int    `json:"count"`
	Example string `json:"example,omitempty"` // the first: file:line field "value"
	// Rows are the rows with the warning, file:line field "value" as
	// Example, in order: every one up to MaxWarningRows of the kind (Count
	// says how many in all); none for a warning about a file as a whole.
	Rows []string `json:"rows,omitempty"`
}

// MaxWarningRows bounds the rows a warning (or a note) lists; its count
// is always complete.
const MaxWarningRows = 1000

// Sentinel errors of the importer.
var (
	// ErrFiles means at least one file could not be read at all; the others loaded.
	ErrFiles = errors.New("some files could not be imported")
	// ErrRejected means more than half the rows of a file, or of the whole
	// import, were rejected; the good ones loaded.
	ErrRejected = errors.New("most rows were rejected")
	// ErrDuplicates means more than half the rows of a file repeated the id
	// of an earlier row of the file, which they replaced: the file is not
	// one row per record (a wrong id column, or lines of documents). What
	// loaded is stored.
	ErrDuplicates = errors.New("most rows repeat an earlier row's id")
	// ErrIncomplete means rows were rejected only because their
	// customer's own row in the import was rejected (Summary.Cascade):
	// fewer than half, else ErrRejected, but what loaded is known to lack
	// them. The good rows loaded.
	ErrIncomplete = errors.New("rows were rejected because their customer's row was rejected: the data loaded is incomplete")
	// ErrUsage marks bad options.
	ErrUsage = errors.New("bad import options")
	// errNotNumber is the reason given for a number field that is not one.
	errNotNumber = errors.New("not a number")
)

// Defaults of the limits.
const (
	defaultMaxLine  = 16 << 20
	defaultMaxField = 1 << 20
)

// Import loads paths (files, or directories of ledger files) into st.
// It returns an error wrapping ErrFiles when a whole file could not be
// read, ErrRejected when most rows of one were rejected and ErrDuplicates
// when most rows of one repeated an id of the file, after loading
// everything else; a store error stops the import, and the summary then
// counts what the store acknowledged.
func Import(ctx context.Context, st Store, paths []string, opts Options) (*Summary, error) {
	im, inputs, err := newRun(st, paths, opts)
	if err != nil {
		return nil, err
	}
	if err := im.rej.open(); err != nil {
		return nil, err
	}
	defer im.rej.close()
	if err := im.loadKnown(ctx, inputs); err != nil {
		return nil, err
	}
	w := newWriter(ctx, st)
	var fileErrs []error
	for _, in := range inputs {
		if err := im.importFile(ctx, w, in); err != nil {
			if w.failed() != nil || ctx.Err() != nil {
				break
			}
			fileErrs = append(fileErrs, err)
		}
	}
	if w.failed() == nil && ctx.Err() == nil {
		// Superseded first: the open balances of the import are derived
		// with what the lowered records still cover.
		im.supersede(w, im.openBal.rederived())
		if err := im.deriveOpenBalances(ctx, w); err != nil {
			fileErrs = append(fileErrs, err)
		}
		if err := im.settleCovered(ctx, w); err != nil {
			fileErrs = append(fileErrs, err)
		}
	}
	werr := w.close()
	rerr := im.rej.close()
	im.finish()
	if werr != nil {
		return im.sum, fmt.Errorf("import stopped after the store acknowledged %d rows (rows in flight at the failure may be stored too; importing the same files again is safe): %w",
			im.sum.Loaded, werr)
	}
	if err := ctx.Err(); err != nil {
		return im.sum, err
	}
	if rerr != nil {
		im.opts.Log.Warn("rejects file incomplete", "err", rerr)
	}
	if len(fileErrs) > 0 {
		return im.sum, fmt.Errorf("%w: %w", ErrFiles, errors.Join(fileErrs...))
	}
	rejected, duplicates, docTypes := im.mostlyRejected()
	switch {
	case docTypes != "" && rejected == "" && duplicates == "":
		return im.sum, fmt.Errorf("%w: %s", ErrDocTypes, docTypes)
	case docTypes != "":
		rejected = strings.Join(slices.DeleteFunc([]string{rejected, docTypes}, func(s string) bool { return s == "" }), "; ")
	}
	switch {
	case rejected != "" && duplicates != "":
		return im.sum, fmt.Errorf("%w: %s; %w: %s", ErrRejected, rejected, ErrDuplicates, duplicates)
	case rejected != "":
		return im.sum, fmt.Errorf("%w: %s", ErrRejected, rejected)
	case duplicates != "":
		return im.sum, fmt.Errorf("%w: %s", ErrDuplicates, duplicates)
	case im.sum.Cascade != "":
		return im.sum, fmt.Errorf("%w: %s", ErrIncomplete, im.sum.Cascade)
	}
	return im.sum, nil
}

// run is the state of one import.
type run struct {
	opts    Options
	dates   DateParser
	datesOf map[datasets.Entity]DateParser // Options.DateFormats
	amounts *amountParser
	lim     limits
	st      Store
	start   time.Time
	sum     *Summary
	files   []*fileRun
	rej     *rejects

	known  map[string]bool // customer ids in the store or imported now
	derive bool            // no customer master: derive customers from rows
	// master is whether the store holds a customer master, looked at
	// when the import meets a customer it does not hold (master.go), and
	// storedIDs the store's customer ids, sorted, to look at until then.
	master    masterState
	storedIDs []string
	// seen holds a 64-bit hash of every id imported per entity, to count
	// duplicates; hashes keep the memory small for ledgers of many millions
	// (a false duplicate needs a 64-bit collision).
	seen     map[datasets.Entity]*hashSet
	seenSeed maphash.Seed
	// storedInvoices holds the hashes of the store's invoice ids, loaded
	// when a file refers to invoices; nil when the store cannot list them.
	storedInvoices *hashSet
	invoicesLoaded bool
	// customerTerms holds the payment terms of the customers of this
	// import's customers file and of those read from the store, for
	// invoices with a blank due date (conventions.go).
	customerTerms map[string]datasets.Terms
	// dueOnReceipt holds the customers of this import's customers files
	// whose terms are written and say due on receipt (NET0): the store
	// keeps them as it keeps blank terms, so only the file tells them
	// apart (conventions.go).
	dueOnReceipt map[string]bool
	// rejectedCustomers is where the rejected row of each customer of
	// this import's customers files is (file:line), for the rows of that
	// customer then rejected; cascades lists those customers in the order
	// met, once each.
	rejectedCustomers map[string]string
	cascades          []string
	cascaded          map[string]bool
	// noCustomersFile says the import has no customers file: a customer
	// the store's master lacks is absent from it (master.go), and absent
	// lists such customers with their first row, in the order met.
	noCustomersFile bool
	absent          []string
	absentAt        map[string]string

	rows, bytesDone, bytesTotal int64 // for Progress
	// openBal holds the invoices whose open balance is below their
	// amount, once an invoices file maps open_balance (openbalance.go).
	openBal *openBalances
	// sup holds the stored records derived from open balances that the
	// import's payments and credit notes may supersede (supersede.go).
	sup superseding
	// cover holds the invoices to settle by their records once stored
	// (settlecover.go).
	cover *coverCheck
}

func newRun(st Store, paths []string, opts Options) (*run, []input, error) {
	if opts.BatchSize <= 0 {
		opts.BatchSize = 100_000
		if h, ok := st.(interface{ BatchHint() int }); ok && h.BatchHint() > 0 {
			opts.BatchSize = h.BatchHint()
		}
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.LatestDay == 0 {
		opts.LatestDay = datasets.LatestRecordDay(opts.Now())
	}
	if opts.MaxLineBytes <= 0 {
		opts.MaxLineBytes = defaultMaxLine
	}
	if opts.MaxFieldBytes <= 0 {
		opts.MaxFieldBytes = defaultMaxField
	}
	if opts.ExportDate > opts.LatestDay {
		return nil, nil, fmt.Errorf("%w: the export date %s is after %s, the latest day a record can be of", ErrUsage, opts.ExportDate, opts.LatestDay)
	}
	dates, err := NewDateParser(opts.DateFormat)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrUsage, err)
	}
	datesOf := map[datasets.Entity]DateParser{}
	for e, f := range opts.DateFormats {
		if datasets.Describe(e) == nil {
			return nil, nil, fmt.Errorf("%w: a date format for %q, which is no entity (want one of %s)", ErrUsage, e, entityList())
		}
		if datesOf[e], err = NewDateParser(f); err != nil {
			return nil, nil, fmt.Errorf("%w: %s: %v", ErrUsage, e, err)
		}
	}
	enc, err := parseEncoding(opts.Encoding)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrUsage, err)
	}
	amounts := &amountParser{round: opts.RoundAmounts}
	switch {
	case opts.DecimalComma && opts.DecimalPoint:
		return nil, nil, fmt.Errorf("%w: --decimal-comma and --decimal-point contradict each other", ErrUsage)
	case opts.DecimalComma:
		amounts.forced = markComma
	case opts.DecimalPoint:
		amounts.forced = markPoint
	}
	if err := checkMapping(opts.Columns); err != nil {
		return nil, nil, err
	}
	if opts.Kind != "" && datasets.Describe(opts.Kind) == nil {
		return nil, nil, fmt.Errorf("%w: unknown kind %q (want one of %s)", ErrUsage, opts.Kind, entityList())
	}
	im := &run{opts: opts, dates: dates, datesOf: datesOf, amounts: amounts, st: st, start: time.Now(), sum: &Summary{},
		lim: limits{maxLine: opts.MaxLineBytes, maxField: opts.MaxFieldBytes, enc: enc}}
	inputs, skipped, err := expand(paths, opts.Kind, im.headerEntity)
	if err != nil {
		return nil, nil, err
	}
	im.sum.Skipped = skipped
	im.guessEntities(inputs)
	sortInputs(inputs)
	im.rej = newRejects(opts, im.sum)
	for _, in := range inputs {
		if fi, err := os.Stat(in.path); err == nil {
			im.bytesTotal += fi.Size()
		}
	}
	return im, inputs, nil
}

func entityList() string {
	var names []string
	for _, e := range datasets.Entities() {
		names = append(names, string(e))
	}
	return strings.Join(names, ", ")
}

func (im *run) loadKnown(ctx context.Context, inputs []input) error {
	ids, err := im.st.CustomerIDs(ctx)
	if err != nil {
		return fmt.Errorf("read customer ids: %w", err)
	}
	im.known = make(map[string]bool, len(ids))
	for _, id := range ids {
		im.known[id] = true
	}
	// A customers file in the import is a master; a store without
	// customers has none; a store whose customers were all derived from
	// invoices has none either, which is only looked at when an unknown
	// customer comes (deriveUnknown).
	switch {
	case slices.ContainsFunc(inputs, func(in input) bool { return in.known() == datasets.EntityCustomers }):
		im.master = masterYes
	case len(ids) == 0:
		im.master, im.derive = masterNo, true
	default:
		im.noCustomersFile = true
		im.storedIDs = slices.Clone(ids)
		slices.Sort(im.storedIDs)
	}
	im.seen = map[datasets.Entity]*hashSet{}
	im.customerTerms = map[string]datasets.Terms{}
	im.dueOnReceipt = map[string]bool{}
	im.rejectedCustomers, im.cascaded, im.absentAt = map[string]string{}, map[string]bool{}, map[string]string{}
	im.seenSeed = maphash.MakeSeed()
	im.cover = newCoverCheck(im.seenSeed, func(h uint64) bool {
		s := im.seen[datasets.EntityInvoices]
		return s != nil && s.contains(h)
	})
	if im.derive {
		im.opts.Log.Info("no customer master in the store or the import: customers are derived from the rows")
	}
	return nil
}

// knownInvoice returns a check of invoice ids against the store and this
// import, or nil when the store cannot list its invoices.
func (im *run) knownInvoice(ctx context.Context) (func(id string) bool, error) {
	if !im.invoicesLoaded {
		im.invoicesLoaded = true
		if l, ok := im.st.(idLister); ok {
			set := newHashSet(1024)
			err := l.EachID(ctx, datasets.EntityInvoices, func(id string) { set.add(maphash.String(im.seenSeed, id)) })
			if err != nil {
				return nil, fmt.Errorf("read invoice ids: %w", err)
			}
			im.storedInvoices = set
		}
	}
	if im.storedInvoices == nil {
		return nil, nil
	}
	return func(id string) bool {
		h := maphash.String(im.seenSeed, id)
		if im.storedInvoices.contains(h) {
			return true
		}
		s := im.seen[datasets.EntityInvoices]
		return s != nil && s.contains(h)
	}, nil
}
