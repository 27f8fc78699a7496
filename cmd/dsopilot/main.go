// Command dsopilot is one binary with subcommands: simulate, import and
// inspect a receivables ledger. It only wires the packages together: flags
// and environment go into a config, and each subcommand calls into datasets,
// features, model, recommender, api and reports.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// version is set at link time (-ldflags "-X main.version=...").
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], env{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv, stderrTTY: isTerminal(os.Stderr)})
	stop()
	if err != nil {
		if !errors.Is(err, errHelp) {
			fmt.Fprintln(os.Stderr, "dsopilot:", err)
		}
		os.Exit(exitCode(err))
	}
}

// isTerminal reports whether f is a terminal (a character device), where
// progress may be drawn.
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// message is the text of a command's error for the user: the packages and
// the command both name the operation, so a prefix that repeats ("kpi:
// kpi:") is said once, and a remedy naming a flag the command does not
// take is put in its words.
func message(args []string, err error) string {
	// A prefix said twice in a row ("kpi: kpi: ...", also after "usage: "),
	// by a package and the command that wraps its error, is said once.
	parts := strings.Split(err.Error(), ": ")
	kept := parts[:1]
	for _, p := range parts[1:] {
		if last := kept[len(kept)-1]; p == last && !strings.ContainsAny(p, " \t") {
			continue
		}
		kept = append(kept, p)
	}
	msg := strings.Join(kept, ": ")
	if len(args) > 0 && args[0] == "backtest" {
		msg = strings.ReplaceAll(msg, "a later --as-of", "a later --cutoff or a larger --split")
	}
	return msg
}

// tidied is an error with its message put for the user (message); it
// unwraps to the original, so errors.Is still finds the sentinels.
type tidied struct {
	msg string
	err error
}

func (t tidied) Error() string { return t.msg }
func (t tidied) Unwrap() error { return t.err }

// env is the process's outside world, passed in so commands are testable.
type env struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	// stderrTTY says stderr is a terminal: progress is drawn there.
	stderrTTY bool
}

// Sentinel errors of the command line.
var (
	errUsage = errors.New("usage")
	// errHelp is returned after printing help that was asked for.
	errHelp = errors.New("help requested")
	// errLedgerChanged: an import landed while a command read the store
	// in parts (readGuard).
	errLedgerChanged = errors.New("the ledger changed")
)

// exitCode maps errors to exit statuses in one place: 0 ok, 2 bad usage,
// 1 anything else.
func exitCode(err error) int {
	switch {
	case err == nil, errors.Is(err, errHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	default:
		return 1
	}
}

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, e env, args []string) error
}

func commands() []command {
	return []command{
		{"synth", "simulate a realistic ledger with known ground truth", runSynth},
		{"import", "load ledger files (canonical or ERP exports) into a store", runImport},
		{"stats", "count the distinct records of each entity in a store", runStats},
		{"db", "database administration: db migrate", runDB},
		{"features", "point-in-time features per customer or open invoice", runFeatures},
		{"kpi", "receivables KPIs: DSO, countback DSO, best-possible DSO, ADD, CEI, aging, ...", runKPI},
		{"train", "train, evaluate and register the payment models", runTrain},
		{"score", "score every open invoice: p_late, pay date, reasons", runScore},
		{"models", "list, show or promote registered models: models list | models show [ID] | models promote ID", runModels},
		{"backtest", "out-of-time evaluation of the models on a ledger or cleared-items CSV", runBacktest},
		{"forecast", "13-week cash-receipts forecast with bands: forecast | backtest | snapshot | compare", runForecast},
		{"recommend", "the day's dunning worklist: next action per customer with expected value and reasons", runRecommend},
		{"credit", "credit limits: credit suggest | flags | propose | approve | reject | list | expire", runCredit},
		{"policy", "dunning policies: policy evaluate (closed-loop simulation) | policy ope (off-policy estimate)", runPolicy},
		{"report", "write the charts and drill-down pages as a static site", runReport},
		{"serve", "serve the HTTP API: scoring, customers, KPIs, recording, ingest, reports", runServe},
		{"keys", "API keys for serve: keys create --name N --role R | keys list | keys revoke ID", runKeys},
		{"version", "print the build version", func(_ context.Context, e env, _ []string) error {
			fmt.Fprintln(e.stdout, "dsopilot", version)
			return nil
		}},
	}
}

func run(ctx context.Context, args []string, e env) error {
	if len(args) == 0 || isHelp(args[0]) {
		// help COMMAND is COMMAND --help; help help, help --help and the
		// like are help itself, not a loop.
		if len(args) > 1 && !isHelp(args[1]) {
			for _, c := range commands() {
				if c.name == args[1] {
					return c.run(ctx, e, []string{"--help"})
				}
			}
			usage(e.stderr)
			return fmt.Errorf("%w: unknown command %q", errUsage, args[1])
		}
		usage(e.stdout)
		if len(args) == 0 {
			return fmt.Errorf("%w: no command given", errUsage)
		}
		return nil
	}
	for _, c := range commands() {
		if c.name == args[0] {
			ctx, implied := withImpliedTally(ctx)
			if err := c.run(ctx, e, args[1:]); err != nil {
				return tidied{msg: message(args, err), err: err}
			}
			// Once per run, whether the ledger was read whole or in
			// parts, and on stderr: stdout holds the JSON or CSV.
			if w := implied.warning(); w != "" {
				fmt.Fprintf(e.stderr, "dsopilot: warning: %s: %s\n", c.name, w)
			}
			return nil
		}
	}
	usage(e.stderr)
	return fmt.Errorf("%w: unknown command %q", errUsage, args[0])
}

func isHelp(arg string) bool {
	return arg == "help" || arg == "-h" || arg == "--help" || arg == "-help"
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "dsopilot: get paid on time. Usage: dsopilot COMMAND [flags]")
	fmt.Fprintln(w, "\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "  help      this text; 'dsopilot help COMMAND' or 'dsopilot COMMAND --help' for its flags")
	fmt.Fprintln(w, "\nThe store is chosen by --store or DSOPILOT_STORE: clickhouse://host:port/database is ClickHouse")
	fmt.Fprintln(w, "(native protocol), anything else is the directory of the embedded store (default ./data).")
	fmt.Fprintln(w, "DSOPILOT_LOG=debug|info|warn|error sets the log level (default info; logs go to stderr).")
}

func newLogger(e env) *slog.Logger {
	level := slog.LevelInfo
	switch strings.ToLower(e.getenv("DSOPILOT_LOG")) {
	case "debug":
		level = slog.LevelDebug
	case "warn":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	}
	return slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: level}))
}
