package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/chstore"
	"github.com/dsopilot/dsopilot/datasets/embedded"
	"github.com/dsopilot/dsopilot/datasets/importer"
	"github.com/dsopilot/dsopilot/datasets/synth"
)

// openStore opens the store named by spec. For ClickHouse, migrate applies
// pending schema migrations first (import does; read-only commands do not).
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
		}
		return s, nil
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
	l, err := st.Load(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cmd, err)
	}
	return l, nil
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
	if _, err := parse(fs, args); err != nil {
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
	fs := newFlags(e, "import", "[--store S] [--kind K] [--columns canonical=source,...] [--date-format FMT] [--json] PATH...",
		"Loads ledger files into the store. PATH is a file or a directory of canonical files\n"+
			"(customers, invoices, payments, credit_notes, disputes, actions, promises, credit_decisions;\n"+
			".csv, .ndjson or .jsonl). CSV delimiters , ; tab | are detected. Each bad row is reported with\n"+
			"file, line, field and reason and written to the rejects file; the good rows load. Importing the\n"+
			"same data again changes nothing. Without a customers file or stored customers, customers are\n"+
			"derived from the invoices (a cleared-items export). Exit status 1 when a whole file could not be read.")
	store := storeFlag(fs, e)
	kind := fs.String("kind", "", "entity of every PATH file ("+entityNames()+"); default from the file name or header")
	cols := columnsFlag{}
	fs.Var(cols, "columns", "map canonical columns to the export's headers: customer_id=KUNNR,amount=DMBTR,...")
	dateFormat := fs.String("date-format", "", "strftime date format of the export, e.g. %d.%m.%Y or %m/%d/%Y (ISO always works)")
	decimalComma := fs.Bool("decimal-comma", false, "amounts are written 1.234,56")
	rejects := fs.String("rejects", "", "rejects file (default dsopilot-rejects-<time>.csv in the current directory)")
	batch := fs.Int("batch", 0, "records per store write (default: 1,000,000 for ClickHouse, 100,000 embedded)")
	asJSON := fs.Bool("json", false, "print the summary as one JSON object")
	paths, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(paths) == 0 {
		return fmt.Errorf("%w: import: no PATH given", errUsage)
	}
	log := newLogger(e)
	st, err := openStore(ctx, *store, log, true)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	defer st.Close()
	sum, err := importer.Import(ctx, st, paths, importer.Options{
		Kind: datasets.Entity(*kind), Columns: cols, DateFormat: *dateFormat, DecimalComma: *decimalComma,
		RejectsPath: *rejects, BatchSize: *batch, Log: log,
	})
	if errors.Is(err, importer.ErrUsage) {
		return fmt.Errorf("%w: import: %v", errUsage, err)
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

func entityNames() string {
	var n []string
	for _, x := range datasets.Entities() {
		n = append(n, string(x))
	}
	return strings.Join(n, ", ")
}

func printImportSummary(w io.Writer, s *importer.Summary) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "file\tentity\tread\tloaded\trejected\tduplicates\t")
	for _, f := range s.Files {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t\n", f.Path, f.Entity, f.Read, f.Loaded, f.Rejected, f.Duplicates)
	}
	fmt.Fprintf(tw, "total\t\t%d\t%d\t%d\t%d\t\n", s.Read, s.Loaded, s.Rejected, s.Duplicates)
	tw.Flush()
	fmt.Fprintf(w, "%.0f rows/s over %.2fs", s.RowsPerSecond, s.Seconds)
	if s.DerivedCustomers > 0 {
		fmt.Fprintf(w, "; %d customers derived from invoices", s.DerivedCustomers)
	}
	fmt.Fprintln(w)
	for _, f := range s.Files {
		if f.Error != "" {
			fmt.Fprintf(w, "NOT IMPORTED %s: %s\n", f.Path, f.Error)
		}
	}
}

func printRejects(w io.Writer, s *importer.Summary) {
	if s.Rejected == 0 {
		return
	}
	for _, r := range s.FirstRejects {
		fmt.Fprintln(w, "rejected", r)
	}
	fmt.Fprintf(w, "%d rows rejected; every reject is in %s\n", s.Rejected, s.RejectsFile)
}

func runStats(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "stats", "[--store S] [--json]", "Prints the number of distinct records of each entity in the store.")
	store := storeFlag(fs, e)
	asJSON := fs.Bool("json", false, "print one JSON object")
	if _, err := parse(fs, args); err != nil {
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
	if _, err := parse(fs, rest); err != nil {
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
