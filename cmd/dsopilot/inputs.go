package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/embedded"
	"github.com/dsopilot/dsopilot/datasets/importer"
	"github.com/dsopilot/dsopilot/model"
	"github.com/dsopilot/dsopilot/recommender"
)

// Helpers shared by commands that read an export into a temporary store
// (backtest, forecast backtest) and by those that score with a registered
// model's currency (score, forecast).

// readFlags are the flags that say how to read an export, the same for
// `import` and for the commands that read one with --input.
type readFlags struct {
	cols                   columnsFlag
	docTypes               docTypesFlag
	dates                  *dateFormatFlag
	encoding               *string
	decimalComma, decPoint *bool
	eomAfter               *bool
	roundAmounts           *bool
	maxLine, maxField      *int
	rejects                *string
	dunning                *string
	exportDate             *exportDateFlag
	terms                  *termsFlag
	disputeReasons         *string
	// defined names the flags above, for commands where they do not apply.
	defined map[string]bool
}

func newReadFlags(fs *flag.FlagSet) readFlags {
	f := readFlags{cols: columnsFlag{}, docTypes: docTypesFlag{}, defined: map[string]bool{}}
	before := map[string]bool{}
	fs.VisitAll(func(fl *flag.Flag) { before[fl.Name] = true })
	defer fs.VisitAll(func(fl *flag.Flag) {
		if !before[fl.Name] {
			f.defined[fl.Name] = true
		}
	})
	fs.Var(f.cols, "columns", "map canonical columns to the export's headers: customer_id=KUNNR,amount=DMBTR,...;\n"+
		"entity.column maps one entity's files only, where files name a column differently:\n"+
		"invoices.amount=Total,payments.amount=Amount Received (a column mapped twice is an error)")
	inv, cn, pay := importer.DocTypeValues()
	fs.Var(f.docTypes, "doc-types", "type values of an invoices file's document type column (mapped with --columns invoices.type=Type,\n"+
		"invoices.applies_to=Reference) besides the recognised ones, in any case: invoice=RV,credit_note=DG,payment=DZ,skip=AB;\n"+
		"recognised: invoice ("+strings.Join(inv, ", ")+"), credit_note ("+strings.Join(cn, ", ")+"), payment ("+strings.Join(pay, ", ")+");\n"+
		"credit-note rows load as credit notes of their absolute amount, applied to the applies_to invoice, else unapplied;\n"+
		"payment rows (written negative, as SAP does) load as payments of the invoice their clearing cleared\n"+
		"(--columns invoices.clearing_document=<header>), else the applies_to one, else on account;\n"+
		"skip rows (clearing lines) are counted, not loaded; more than 1% of rows of an unnamed type fails the import")
	f.dates = &dateFormatFlag{per: map[datasets.Entity]string{}}
	fs.Var(f.dates, "date-format", "strftime date format of the export, e.g. %d.%m.%Y or %m/%d/%Y (ISO always works);\n"+
		"entity=FORMAT applies to one entity's files (repeat the flag): --date-format invoices=%m/%d/%Y --date-format payments=%d-%b-%Y")
	f.eomAfter = fs.Bool("eom-after", false, "read payment terms of days with an end of month but no \"after\" (30 days end of month, Net 30 EOM) as days after the end of the issue month (EOM30), warned of; refused without it as readable two ways")
	f.decimalComma = fs.Bool("decimal-comma", false, "every amount's decimal mark is a comma (1.234,56); default: read from each column")
	f.decPoint = fs.Bool("decimal-point", false, "every amount's decimal mark is a point (1,234.56); default: read from each column")
	f.roundAmounts = fs.Bool("round-amounts", false, "round amounts with more than two decimals half away from zero instead of rejecting them")
	f.encoding = fs.String("encoding", "", "utf-8 (reject rows with other bytes), latin1 or windows-1252; default: UTF-8, other bytes read as Windows-1252 with a warning")
	f.maxLine = fs.Int("max-line-bytes", 16<<20, "longest line read; a CSV file with a longer one is not imported, a longer NDJSON line is rejected")
	f.maxField = fs.Int("max-field-bytes", 1<<20, "longest field read")
	f.dunning = fs.String("dunning-levels", "", dunningHelp)
	f.exportDate = &exportDateFlag{}
	fs.Var(f.exportDate, "export-date", "the day the export was taken (YYYY-MM-DD): an invoices file's open balances (--columns invoices.open_balance=<header>)\n"+
		"are as of it, and the payments they imply are dated it; default: the import's day (never before the export)")
	f.terms = &termsFlag{m: map[string]datasets.Terms{}}
	fs.Var(f.terms, "terms", "what an ERP's payment-terms keys mean, for blank due dates (and a customer master's terms):\n"+
		"KEY=DAYS or KEY=TERMS, comma-separated (ZB30=30,ZN60=60,0001=0, Z045=EOM45), or a file of KEY;TERMS lines")
	f.disputeReasons = fs.String("dispute-reasons", "", "with --columns invoices.dispute_reason=<header> (a reason-code column): the codes that flag an invoice\n"+
		"disputed, comma-separated (Z1,Z2,Z3); default: any code not blank")
	f.rejects = fs.String("rejects", "", "rejects file (default: dsopilot-rejects-<time>.csv in the embedded store's directory, or the temporary directory)")
	return f
}

// options are the importer options the flags set; the caller adds where
// the rejects go by default, the batch size and progress.
func (f readFlags) options() importer.Options {
	return importer.Options{Columns: f.cols, DocTypes: f.docTypes, DateFormat: f.dates.all, DateFormats: f.dates.per,
		DecimalComma: *f.decimalComma, DecimalPoint: *f.decPoint, EOMAfter: *f.eomAfter, RoundAmounts: *f.roundAmounts, Encoding: *f.encoding,
		MaxLineBytes: *f.maxLine, MaxFieldBytes: *f.maxField, RejectsPath: *f.rejects, ExportDate: f.exportDate.d,
		TermsKeys: f.terms.m, DisputeReasons: splitList(*f.disputeReasons)}
}

// termsFlag is --terms KEY=TERMS,... or a file of such lines
// (datasets.ParseTermsKeys, ReadTermsKeys), repeatable.
type termsFlag struct{ m map[string]datasets.Terms }

func (t *termsFlag) String() string {
	if t == nil {
		return ""
	}
	var parts []string
	for k, v := range t.m {
		parts = append(parts, k+"="+v.String())
	}
	return strings.Join(parts, ",")
}

func (t *termsFlag) Set(s string) error {
	var err error
	if fi, serr := os.Stat(s); serr == nil && !fi.IsDir() {
		err = datasets.ReadTermsKeys(t.m, s)
	} else {
		err = datasets.ParseTermsKeys(t.m, s)
	}
	if err != nil {
		return errors.New(strings.TrimPrefix(err.Error(), datasets.ErrTermsKeys.Error()+": "))
	}
	return nil
}

// exportDateFlag is --export-date YYYY-MM-DD.
type exportDateFlag struct{ d datasets.Date }

func (x *exportDateFlag) String() string {
	if x == nil || x.d == 0 {
		return ""
	}
	return x.d.String()
}

func (x *exportDateFlag) Set(s string) error {
	d, ok := datasets.ParseISO(strings.TrimSpace(s))
	if !ok {
		return fmt.Errorf("%q is not a date: want YYYY-MM-DD", s)
	}
	x.d = d
	return nil
}

// dunningLevels maps the ERP's dunning levels to the action types of
// --dunning-levels, else to the steps of the scenario file (the built-in
// one when path is empty).
func (f readFlags) dunningLevels(path string) ([]importer.DunningLevel, error) {
	s := recommender.DefaultScenarios()
	if path != "" {
		var err error
		if s, err = recommender.LoadScenarios(path); err != nil {
			return nil, err
		}
	}
	lv, err := s.DunningLevels(*f.dunning)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errUsage, err)
	}
	return lv, nil
}

// dateFormatFlag is --date-format: FORMAT for every file, or
// entity=FORMAT for one entity's files, once per flag (a format may hold
// a comma: %b %d, %Y). A format given twice differently is an error.
type dateFormatFlag struct {
	all string
	per map[datasets.Entity]string
}

func (d *dateFormatFlag) String() string {
	if d == nil {
		return ""
	}
	return d.all
}

func (d *dateFormatFlag) Set(s string) error {
	s = strings.TrimSpace(s)
	target, key := &d.all, "--date-format"
	if ent, f, ok := strings.Cut(s, "="); ok && datasets.Describe(datasets.Entity(ent)) != nil {
		e := datasets.Entity(ent)
		old := d.per[e]
		if old != "" && old != f {
			return fmt.Errorf("%s is given twice, %q and %q", e, old, f)
		}
		d.per[e] = strings.TrimSpace(f)
		return nil
	}
	if *target != "" && *target != s {
		return fmt.Errorf("%s is given twice, %q and %q: give entity=FORMAT for files that write dates differently", key, *target, s)
	}
	*target = s
	return nil
}

// inputFlags are --input and how to read it.
type inputFlags struct {
	input *pathsFlag
	read  readFlags
}

// pathsFlag is a repeatable path flag: each use adds one, as import
// takes several paths (a trial's second --input replaced its first, and
// the backtest then blamed the data for the invoices it had dropped).
type pathsFlag []string

func (p *pathsFlag) String() string { return strings.Join(*p, ",") }

func (p *pathsFlag) Set(s string) error {
	if strings.TrimSpace(s) == "" {
		return errors.New("empty path")
	}
	*p = append(*p, s)
	return nil
}

func newInputFlags(fs *flag.FlagSet) inputFlags {
	f := inputFlags{input: &pathsFlag{}}
	fs.Var(f.input, "input", "ledger directory or cleared-items CSV (or --store); repeat it for the files of one ledger (--input invoices.csv --input payments.csv)")
	f.read = newReadFlags(fs)
	return f
}

// check says whether the command was given one ledger: --input or --store
// (not both, not neither), and the flags that say how to read a file only
// with --input, where they apply.
func (f inputFlags) check(fs *flag.FlagSet, cmd, store string) error {
	if (len(*f.input) == 0) == (store == "") {
		return fmt.Errorf("%w: %s: give --input or --store (one of them)", errUsage, cmd)
	}
	if store == "" {
		return nil
	}
	var given []string
	fs.Visit(func(fl *flag.Flag) {
		if f.read.defined[fl.Name] {
			given = append(given, "--"+fl.Name)
		}
	})
	if len(given) > 0 {
		return fmt.Errorf("%w: %s: %s describe an --input file, not a --store", errUsage, cmd, strings.Join(given, ", "))
	}
	return nil
}

// importTemp imports the export into a temporary embedded store and reads
// it back, as the backtests do; rejected rows are reported on stderr.
func importTemp(ctx context.Context, e env, cmd string, f inputFlags) (*datasets.Ledger, error) {
	if len(*f.input) == 0 {
		return nil, fmt.Errorf("%w: %s: --input is required", errUsage, cmd)
	}
	tmp, err := os.MkdirTemp("", "dsopilot-"+strings.ReplaceAll(cmd, " ", "-")+"-")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cmd, err)
	}
	defer os.RemoveAll(tmp)
	st, err := embedded.Open(ctx, filepath.Join(tmp, "store"), newLogger(e))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cmd, err)
	}
	defer st.Close()
	// Without --rejects the rejects go to the importer's default file in
	// the current directory, as import's go beside its store (a trial
	// found them in /tmp, where the temporary store's are not kept): the
	// message names it for the user to open.
	opts := f.read.options()
	opts.Log = newLogger(e)
	opts.RejectsDir = "."
	if opts.DunningLevels, err = f.read.dunningLevels(""); err != nil {
		return nil, fmt.Errorf("%s: %w", cmd, err)
	}
	sum, err := importer.Import(ctx, st, *f.input, opts)
	if errors.Is(err, importer.ErrUsage) {
		return nil, fmt.Errorf("%w: %s: %v", errUsage, cmd, err)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: import: %w", cmd, err)
	}
	printRejects(e.stderr, sum)
	l, err := loadSettled(ctx, st)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cmd, err)
	}
	return l, nil
}

// modelLedger converts l the way model b learned: at its recorded rates,
// extraFX (a rates file, may be empty) adding currencies it has none for.
// A model trained on unconverted amounts takes l as it is and refuses
// extraFX.
func modelLedger(l *datasets.Ledger, b *model.Bundle, id, extraFX string) (*datasets.Ledger, error) {
	if extraFX != "" && b.Options.FX == nil {
		return nil, fmt.Errorf("%w: model %s learned from unconverted amounts: --fx does not apply", errUsage, id)
	}
	var extra *datasets.FX
	if extraFX != "" {
		more, err := datasets.ReadFXFile(extraFX, b.Options.FX.To)
		if err != nil {
			return nil, err
		}
		extra = &more
	}
	fx, err := b.ScoringFX(extra)
	if err != nil || fx == nil {
		return l, err
	}
	conv, err := l.Convert(*fx)
	if err != nil {
		return nil, fmt.Errorf("model %s learned in %s: %w (give --fx with the missing rates)", id, fx.To, err)
	}
	return conv, nil
}

// docTypesFlag is --doc-types invoice=VALUE,credit_note=VALUE
// (importer.ParseDocTypes), repeatable.
type docTypesFlag map[string]string

func (d docTypesFlag) String() string {
	var parts []string
	for v, t := range d {
		parts = append(parts, t+"="+v)
	}
	return strings.Join(parts, ",")
}

func (d docTypesFlag) Set(s string) error {
	if err := importer.ParseDocTypes(d, s); err != nil {
		return errors.New(strings.TrimPrefix(err.Error(), importer.ErrUsage.Error()+": "))
	}
	return nil
}
