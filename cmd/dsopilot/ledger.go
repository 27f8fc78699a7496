package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/chstore"
	"github.com/dsopilot/dsopilot/datasets/chstore/chsql"
	"github.com/dsopilot/dsopilot/datasets/embedded"
	"github.com/dsopilot/dsopilot/datasets/importer"
	"github.com/dsopilot/dsopilot/datasets/synth"
	"github.com/dsopilot/dsopilot/features"
)

// openStore opens the store named by spec. With migrate (import) it is
// opened for writing: an embedded store is created if needed, and pending
// ClickHouse migrations are applied. Without (the commands that read) the
// store must exist and is opened read-only: an embedded store with a
// shared lock, so that readers run side by side and a read-only file works,
// and a ClickHouse database must hold this build's schema. A mistyped
// --store is then an error, not an empty ledger.
func openStore(ctx context.Context, spec string, log *slog.Logger, migrate bool) (datasets.Store, error) {
	if strings.HasPrefix(spec, "clickhouse://") {
		s, err := chstore.Open(ctx, spec, log)
		if err != nil {
			return nil, err
		}
		if migrate {
			applied, err := s.Migrate(ctx)
			if err != nil {
				s.Close()
				return nil, err
			}
			if len(applied) > 0 {
				log.Info("applied schema migrations", "versions", applied)
			}
		} else if err := s.CheckSchema(ctx); err != nil {
			s.Close()
			return nil, err
		}
		return s, nil
	}
	if !migrate {
		return embedded.OpenReadOnly(ctx, spec, log)
	}
	return embedded.Open(ctx, spec, log)
}

// loadLedger opens the store named by spec and reads the whole ledger.
func loadLedger(ctx context.Context, e env, spec, cmd string) (*datasets.Ledger, error) {
	st, err := openStore(ctx, spec, newLogger(e), false)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cmd, err)
	}
	defer st.Close()
	l, err := loadSettled(ctx, st)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cmd, err)
	}
	return l, nil
}

// partLoader is a store that reads its ledger in parts of whole customers
// (chstore.Store.LoadPart), so that a command over whole customers never
// holds more than one part.
type partLoader interface {
	chsql.Querier
	LoadPart(ctx context.Context, k, n int) (*datasets.Ledger, error)
	Counts(ctx context.Context) (datasets.Counts, error)
	Generation(ctx context.Context) (uint64, error)
	Span(ctx context.Context) (first, last datasets.Date, err error)
}

// readGuard notices an import that lands while a command reads a store in
// parts: between two parts, or between two passes of a command that reads
// its parts more than once (forecast, credit, backtest). Either would mix
// two versions of the ledger into a result of no ledger that ever was,
// silently. It compares the store's generation (the newest row version,
// which every import raises, clocks permitting: chstore takes versions
// from the writing host's clock, so an import from a host whose clock is
// behind the newest version goes unnoticed) when the first pass begins
// and when each pass ends.
type readGuard struct {
	gen uint64
	set bool
}

// begin notes the generation before the first pass.
func (g *readGuard) begin(ctx context.Context, pl partLoader) error {
	if g.set {
		return nil
	}
	gen, err := pl.Generation(ctx)
	if err != nil {
		return err
	}
	g.gen, g.set = gen, true
	return nil
}

// end fails with errLedgerChanged when an import landed since begin.
func (g *readGuard) end(ctx context.Context, pl partLoader) error {
	gen, err := pl.Generation(ctx)
	if err != nil {
		return err
	}
	if gen != g.gen {
		return fmt.Errorf("%w while it was read in parts (an import landed during the read), so the result would mix two versions of it: run the command again once the import is done",
			errLedgerChanged)
	}
	return nil
}

// partRecords is the most records a part read by eachPart holds, about:
// a few hundred bytes each in memory, with the index built over them.
const partRecords = 1_000_000

// partsFlag is the --parts flag of the commands that read the ledger part
// by part (eachPart).
func partsFlag(fs *flag.FlagSet) *int {
	return fs.Int("parts", 0, "on a ClickHouse store, read the ledger in this many parts of whole customers, one at a time\n"+
		"(0: as many as keep each near 1M records, so that a ledger larger than memory fits)")
}

// eachPart calls fn with each part of the ledger in st: the whole ledger at
// once when st cannot read parts, else parts of whole customers, n of them
// (n = 0: as many as keep each near partRecords). whole gives fn the facts
// of the whole ledger, which a part alone cannot tell (index a part with
// features.NewPartIndex).
func eachPart(ctx context.Context, st datasets.Store, n int, fn func(l *datasets.Ledger, whole features.LedgerFacts) error) error {
	return eachSampledPart(ctx, st, n, customerSample{}, nil, fn)
}

// eachSampledPart is eachPart over the customers of sample s only, which
// needs a store that reads parts. The sample is s.share customers of every
// s.of, by the hash that splits the parts: the ledger is read in n·s.of
// parts (n = 0: as many as keep the parts read near partRecords), of which
// those k with k % s.of < s.share are read; since n·s.of is a multiple of
// s.of, they hold the customers whose hash % s.of < s.share, whatever n.
//
// g (nil: one of its own) fails the read when an import lands during it;
// a command that reads its parts more than once passes the same g to
// every pass.
func eachSampledPart(ctx context.Context, st datasets.Store, n int, s customerSample, g *readGuard, fn func(l *datasets.Ledger, whole features.LedgerFacts) error) error {
	return eachSampledPartWith(ctx, st, n, s, g, nil, fn)
}

// eachPartConverted is eachPart with each part put through conv before the
// write-offs its settlements imply are added (settle): implied from the
// converted amounts, as the SQL KPIs imply them. conv's ok false skips the
// part (missing rates, which the caller reports once every part is read).
func eachPartConverted(ctx context.Context, st datasets.Store, n int, conv func(l *datasets.Ledger) (*datasets.Ledger, bool, error),
	fn func(l *datasets.Ledger, whole features.LedgerFacts) error) error {
	return eachSampledPartWith(ctx, st, n, customerSample{}, nil, conv, fn)
}

// eachSampledPartWith is eachSampledPart with conv (nil: none) run on each
// part before it is settled.
func eachSampledPartWith(ctx context.Context, st datasets.Store, n int, s customerSample, g *readGuard,
	conv func(l *datasets.Ledger) (*datasets.Ledger, bool, error), fn func(l *datasets.Ledger, whole features.LedgerFacts) error) error {
	// prepare converts part l when asked, then settles it; ok false
	// skips it.
	prepare := func(l *datasets.Ledger, whole features.LedgerFacts) (*datasets.Ledger, bool, error) {
		if conv != nil {
			c, ok, err := conv(l)
			if err != nil || !ok {
				return nil, false, err
			}
			l = c
		}
		l, err := settle(ctx, l, whole)
		return l, err == nil, err
	}
	if n < 0 {
		return fmt.Errorf("%w: --parts %d: want 0 or more", errUsage, n)
	}
	s = s.orAll()
	pl, ok := st.(partLoader)
	if !ok {
		if !s.all() {
			return fmt.Errorf("%w: --sample-customers needs a ClickHouse store (the embedded store reads the whole ledger)", errUsage)
		}
		if conv == nil {
			l, err := loadSettled(ctx, st)
			if err != nil {
				return err
			}
			return fn(l, features.FactsOf(l))
		}
		l, err := st.Load(ctx)
		if err != nil {
			return err
		}
		l, ok, err := prepare(l, features.FactsOf(l))
		if err != nil || !ok {
			return err
		}
		return fn(l, features.FactsOf(l))
	}
	if g == nil {
		g = &readGuard{}
	}
	if err := g.begin(ctx, pl); err != nil {
		return err
	}
	whole, err := features.SQLLedgerFacts(ctx, pl)
	if err != nil {
		return err
	}
	if n <= 0 {
		c, err := pl.Counts(ctx)
		if err != nil {
			return err
		}
		total := c.Customers + c.Invoices + c.Payments + c.CreditNotes + c.Disputes + c.Actions + c.Promises + c.CreditDecisions + c.Financials
		per := uint64(partRecords * s.of)
		n = int(max(1, (total+per-1)/per))
	}
	n *= s.of
	for k := range n {
		if k%s.of >= s.share {
			continue
		}
		l, err := pl.LoadPart(ctx, k, n)
		if err != nil {
			return err
		}
		l, ok, err := prepare(l, whole)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		if err := fn(l, whole); err != nil {
			return err
		}
	}
	return g.end(ctx, pl)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func runSynth(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "synth", "--customers N --months M --seed S [--start DATE] --out DIR",
		"Simulates a receivables ledger with realistic payment behaviour and writes it as canonical CSV files,\n"+
			"with truth.csv (each invoice's true probability of being paid late, as of its issue date),\n"+
			"truth_customers.csv (behaviour types), truth_action_effects.csv and fx_rates.csv (the exchange\n"+
			"rates to EUR its amounts were drawn with, for dsopilot kpi --currency EUR --fx). Same seed, same files.")
	customers := fs.Int("customers", 1000, "number of customers")
	months := fs.Int("months", 24, "months of history")
	seed := fs.Uint64("seed", 1, "random seed")
	start := fs.String("start", "2023-01-01", "first day of the simulated period (YYYY-MM-DD)")
	out := fs.String("out", "", "output directory (required)")
	asJSON := fs.Bool("json", false, "print the summary as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return fmt.Errorf("%w: synth: --out is required", errUsage)
	}
	d, err := datasets.ParseDate(*start)
	if err != nil {
		return fmt.Errorf("%w: synth: --start: %v", errUsage, err)
	}
	sum, err := synth.WriteDir(ctx, synth.Config{Customers: *customers, Months: *months, Seed: *seed, Start: d}, *out)
	if err != nil {
		return fmt.Errorf("synth: %w", err)
	}
	if *asJSON {
		return writeJSON(e.stdout, sum)
	}
	fmt.Fprintf(e.stdout, "wrote %s: %+v\n", *out, sum)
	return nil
}

func runImport(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "import", "[--store S] [--kind K] [--columns canonical=source,...] [--doc-types invoice=V,credit_note=V,payment=V,skip=V] [--terms KEY=TERMS,...] [--dispute-reasons R,...] [--date-format FMT] [--dunning-levels T,T,...] [--scenario FILE] [--json] PATH...",
		"Loads ledger files into the store. PATH is a file or a directory of ledger files named after what\n"+
			"they hold (customers, invoices, payments, credit_notes, disputes, actions, promises,\n"+
			"credit_decisions, financials; Invoices_2024.CSV counts; .csv, .ndjson or .jsonl). CSV delimiters\n"+
			", ; tab | are detected. Amounts are plain decimals; whether '.' or ',' is the decimal mark is read\n"+
			"from each column's values, and an amount that could be read either way in a column that does not\n"+
			"say is rejected, never guessed. Each bad row is reported with file, line, field and reason and\n"+
			"written to the rejects file; the good rows load. Importing the same data again changes nothing.\n"+
			"Without a customers file or stored customers, customers are derived from the invoices.\n"+
			"A credit notes file that writes them negative (small-ERP exports do) is read as credits of their\n"+
			"absolute amount; a row of the other sign than most of its file is rejected. A blank due date is\n"+
			"the issue date plus the payment terms (the row's payment_terms, else the customer master's).\n"+
			"Both are counted on the summary. A row repeating an earlier row's id replaces it (the later is\n"+
			"kept), is counted as a duplicate, not as loaded (read = loaded + rejected + duplicates), and the\n"+
			"first few are described: the line they repeat and the fields they change.\n"+
			"Dates that say something happened (issue, settlement, payment, credit note, dispute, action, promise\n"+
			"made) later than today are rejected, as the API does. Payment terms are NET30, EOM30 or written:\n"+
			"Net 30, 30 days net, 30 Tage netto, 14 dagen, 30 jours net, 30 Tage nach Monatsende, sofort.\n"+
			"An invoices file's ERP dunning level (--columns invoices.dunning_level=Mahnstufe,\n"+
			"invoices.last_dunning_date=Mahndatum) loads as one action per dunned invoice (policy erp_dunning):\n"+
			"level N is the scenario's Nth step after the due date (--dunning-levels names them), dated by the\n"+
			"last dunning date, else, with a warning, by the step's day.\n"+
			"Exit status 1 when a file could not be read, more than half the rows of one were rejected, more than\n"+
			"1% of a file's rows are of document types --doc-types does not name, or rows were rejected because\n"+
			"their customer's own row was (the data loaded is incomplete; the good rows load).")
	store := storeFlag(fs, e)
	kind := fs.String("kind", "", "entity of every PATH file ("+entityNames()+"); default from the file name or header")
	read := newReadFlags(fs)
	batch := fs.Int("batch", 0, "records per store write (default: 1,000,000 for ClickHouse, 100,000 embedded)")
	asJSON := fs.Bool("json", false, "print the summary as one JSON object")
	quiet := fs.Bool("quiet", false, "no progress line on the terminal")
	scenario := fs.String("scenario", "", "scenario file whose steps after the due date the ERP's dunning levels are, in order (default: the built-in one)")
	paths, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(paths) == 0 {
		return fmt.Errorf("%w: import: no PATH given", errUsage)
	}
	// Before the store is opened (and, embedded, created): a mistyped path
	// leaves nothing behind.
	for _, p := range paths {
		if _, err := os.Stat(p); err != nil {
			return fmt.Errorf("%w: import: %v", errUsage, err)
		}
	}
	levels, err := read.dunningLevels(*scenario)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	log := newLogger(e)
	st, err := openStore(ctx, *store, log, true)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	defer st.Close()
	rejectsDir := ""
	if !strings.HasPrefix(*store, "clickhouse://") {
		rejectsDir = *store
	}
	bar := newProgress(e, *quiet)
	opts := read.options()
	opts.DunningLevels = levels
	opts.Kind, opts.RejectsDir, opts.RejectsFallback = datasets.Entity(*kind), rejectsDir, e.stderr
	opts.BatchSize, opts.Log, opts.Progress = *batch, log, importProgress(bar)
	sum, err := importer.Import(ctx, st, paths, opts)
	bar.Done()
	if errors.Is(err, importer.ErrUsage) {
		return fmt.Errorf("%w: import: %v", errUsage, err)
	}
	if m, ok := st.(chsql.MatchSyncer); ok && sum != nil && ctx.Err() == nil {
		// Once for the whole import, so that the first features query
		// after it does not pay for the rows it wrote.
		start := time.Now()
		if serr := m.SyncMatch(ctx); serr != nil {
			err = errors.Join(err, fmt.Errorf("the rows are stored, but the invoice match the SQL feature engine reads is not built yet (the next features query builds it): %w", serr))
		} else {
			log.Info("invoice match built", "elapsed", time.Since(start).Round(time.Millisecond))
		}
	}
	if sum != nil {
		if *asJSON {
			if werr := writeJSON(e.stdout, sum); werr != nil {
				return werr
			}
		} else {
			printImportSummary(e.stdout, sum)
		}
		printRejects(e.stderr, sum)
	}
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	return nil
}

// importProgress draws an import's progress: rows read, and the rows the
// whole import will have estimated from the bytes read so far.
func importProgress(bar *progress) func(importer.Progress) {
	if bar == nil {
		return nil
	}
	return func(p importer.Progress) {
		total := int64(0)
		if p.Bytes > 0 && p.TotalBytes > 0 {
			total = p.Rows * p.TotalBytes / p.Bytes
		}
		bar.Update("import "+filepath.Base(p.File), "rows", p.Rows, total)
	}
}

func entityNames() string {
	var n []string
	for _, x := range datasets.Entities() {
		n = append(n, string(x))
	}
	return strings.Join(n, ", ")
}

func printImportSummary(w io.Writer, s *importer.Summary) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "file\tentity\tread\tloaded\trejected\tduplicates\twarnings\t")
	for _, f := range s.Files {
		n := 0
		for _, x := range f.Warnings {
			n += x.Count
		}
		entity := string(f.Entity)
		// Loaded counts them: a trial read "loaded 2745" invoices where
		// stats then said 2,735.
		var of []string
		if f.CreditNotesFromInvoices > 0 {
			of = append(of, fmt.Sprintf("%d credit notes", f.CreditNotesFromInvoices))
		}
		if f.PaymentsFromInvoices > 0 {
			of = append(of, fmt.Sprintf("%d payments", f.PaymentsFromInvoices))
		}
		if len(of) > 0 {
			entity += " (of them " + strings.Join(of, ", ") + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t\n", f.Path, entity, f.Read, f.Loaded, f.Rejected, f.Duplicates, n)
	}
	n := 0
	for _, x := range s.Warnings {
		n += x.Count
	}
	fmt.Fprintf(tw, "total\t\t%d\t%d\t%d\t%d\t%d\t\n", s.Read, s.Loaded, s.Rejected, s.Duplicates, n)
	tw.Flush()
	fmt.Fprintf(w, "%.0f rows/s over %.2fs", s.RowsPerSecond, s.Seconds)
	if s.DerivedCustomers > 0 {
		fmt.Fprintf(w, "; %d customers derived from invoices", s.DerivedCustomers)
	}
	fmt.Fprintln(w)
	// Values read by a convention of the export, and columns not read:
	// what --json says, said here too.
	for _, x := range s.Notes {
		fmt.Fprintf(w, "%d %s (first: %s)\n", x.Count, x.Reason, x.Example)
	}
	if s.Cascade != "" {
		fmt.Fprintf(w, "INCOMPLETE: %s\n", s.Cascade)
	}
	if s.AbsentText != "" {
		// Rows of customers an earlier import may have rejected: the
		// import fails when most rows were (importer.ErrRejected).
		failed := importer.MostlyRejected(s.Rejected, s.Read) || slices.ContainsFunc(s.Files, func(f importer.FileSummary) bool { return f.Failed })
		if failed {
			fmt.Fprintf(w, "INCOMPLETE: %s\n", s.AbsentText)
		} else {
			fmt.Fprintf(w, "note: %s\n", s.AbsentText)
		}
	}
	for _, f := range s.Files {
		if len(f.IgnoredColumns) > 0 {
			fmt.Fprintf(w, "ignored columns of %s: %s\n", f.Path, strings.Join(f.IgnoredColumns, ", "))
		}
	}
	for _, f := range s.Files {
		switch {
		case f.Error != "":
			fmt.Fprintf(w, "NOT IMPORTED %s: %s\n", f.Path, f.Error)
		case f.Failed:
			fmt.Fprintf(w, "FAILED %s: %s\n", f.Path, f.Diagnosis)
		}
	}
}

// warningRows is how many rows of a warning the terminal lists; --json
// has them all (up to importer.MaxWarningRows).
const warningRows = 5

// printWarning prints a warning of the import: its count and reason,
// and its first rows, file:line field "value", one a line, or the file
// it is about.
func printWarning(w io.Writer, x importer.Warning) {
	if len(x.Rows) == 0 {
		fmt.Fprintf(w, "warning: %d× %s (%s)\n", x.Count, x.Reason, x.Example)
		return
	}
	fmt.Fprintf(w, "warning: %d× %s:\n", x.Count, x.Reason)
	for i, r := range x.Rows[:min(len(x.Rows), warningRows)] {
		if i == 0 && x.Example != "" {
			r = x.Example // a duplicate's example says what it changes
		}
		fmt.Fprintf(w, "  %s\n", r)
	}
	if n := x.Count - min(len(x.Rows), warningRows); n > 0 {
		fmt.Fprintf(w, "  … and %d more (see --json)\n", n)
	}
}

// printRejects prints on stderr what deserves a look: the first rejects,
// where the others are, the warnings and the files skipped.
func printRejects(w io.Writer, s *importer.Summary) {
	for _, x := range s.Warnings {
		printWarning(w, x)
	}
	for _, f := range s.Files {
		// The first is the warning's example.
		for i, d := range f.DuplicateRows {
			if i > 0 {
				fmt.Fprintf(w, "duplicate: %s\n", d)
			}
		}
	}
	if len(s.Skipped) > 0 {
		fmt.Fprintf(w, "skipped, neither their names nor their headers say what they hold (import one with --kind to read it): %s\n", strings.Join(s.Skipped, ", "))
	}
	if s.Rejected == 0 {
		return
	}
	for _, r := range s.FirstRejects {
		fmt.Fprintln(w, "rejected", r)
	}
	// A file's most common reason says what its many rejects share; when
	// every one of them is listed above, it only says one again.
	shown := map[string]map[int]bool{}
	for _, r := range s.FirstRejects {
		if shown[r.File] == nil {
			shown[r.File] = map[int]bool{}
		}
		shown[r.File][r.Line] = true
	}
	for _, f := range s.Files {
		if f.Diagnosis != "" && !f.Failed && f.Rejected > len(shown[f.Path]) {
			fmt.Fprintf(w, "%s: %s\n", f.Path, f.Diagnosis)
		}
	}
	rows := "rows"
	if s.Rejected == 1 {
		rows = "row"
	}
	fmt.Fprintf(w, "%d %s rejected; every reject is in %s\n", s.Rejected, rows, s.RejectsFile)
}

func runStats(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "stats", "[--store S] [--json]", "Prints the number of distinct records of each entity in the store.")
	store := storeFlag(fs, e)
	asJSON := fs.Bool("json", false, "print one JSON object")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	st, err := openStore(ctx, *store, newLogger(e), false)
	if err != nil {
		return fmt.Errorf("stats: %w", err)
	}
	defer st.Close()
	c, err := st.Counts(ctx)
	if err != nil {
		return fmt.Errorf("stats: %w", err)
	}
	if *asJSON {
		return writeJSON(e.stdout, c)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	for _, ent := range datasets.Entities() {
		fmt.Fprintf(tw, "%s\t%d\t\n", ent, *datasets.Describe(ent).Count(&c))
	}
	return tw.Flush()
}

func runDB(ctx context.Context, e env, args []string) error {
	if len(args) == 0 || (args[0] != "migrate" && args[0] != "-h" && args[0] != "--help") {
		fmt.Fprintln(e.stderr, "Usage: dsopilot db migrate [--store clickhouse://host:port/database]")
		return fmt.Errorf("%w: db: want the subcommand migrate", errUsage)
	}
	fs := newFlags(e, "db migrate", "[--store S]",
		"Creates the ClickHouse database if needed and applies pending schema migrations (idempotent).\n"+
			"The embedded store needs none: it is created on first use.")
	store := storeFlag(fs, e)
	rest := args
	if args[0] == "migrate" {
		rest = args[1:]
	}
	if err := parseFlags(fs, rest); err != nil {
		return err
	}
	if !strings.HasPrefix(*store, "clickhouse://") {
		st, err := embedded.Open(ctx, *store, newLogger(e))
		if err != nil {
			return fmt.Errorf("db migrate: %w", err)
		}
		fmt.Fprintf(e.stdout, "embedded store %s is ready (no migrations needed)\n", *store)
		return st.Close()
	}
	s, err := chstore.Open(ctx, *store, newLogger(e))
	if err != nil {
		return fmt.Errorf("db migrate: %w", err)
	}
	defer s.Close()
	applied, err := s.Migrate(ctx)
	if err != nil {
		return fmt.Errorf("db migrate: %w", err)
	}
	fmt.Fprintf(e.stdout, "applied %d migrations %v\n", len(applied), applied)
	return nil
}
