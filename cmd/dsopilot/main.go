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
	err := run(ctx, os.Args[1:], env{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv})
	stop()
	if err != nil {
		if !errors.Is(err, errHelp) {
			fmt.Fprintln(os.Stderr, "dsopilot:", err)
		}
		os.Exit(exitCode(err))
	}
}

// env is the process's outside world, passed in so commands are testable.
type env struct {
	stdout, stderr io.Writer
	getenv         func(string) string
}

// Sentinel errors of the command line.
var (
	errUsage = errors.New("usage")
	// errHelp is returned after printing help that was asked for.
	errHelp = errors.New("help requested")
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
		{"models", "list registered models or promote one: models list | models promote ID", runModels},
		{"backtest", "out-of-time evaluation of the models on a ledger or cleared-items CSV", runBacktest},
		{"forecast", "13-week cash-receipts forecast with bands: forecast | backtest | snapshot | compare", runForecast},
		{"version", "print the build version", func(_ context.Context, e env, _ []string) error {
			fmt.Fprintln(e.stdout, "dsopilot", version)
			return nil
		}},
	}
}

func run(ctx context.Context, args []string, e env) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		if len(args) > 1 {
			return run(ctx, []string{args[1], "--help"}, e)
		}
		usage(e.stdout)
		if len(args) == 0 {
			return fmt.Errorf("%w: no command given", errUsage)
		}
		return nil
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, e, args[1:])
		}
	}
	usage(e.stderr)
	return fmt.Errorf("%w: unknown command %q", errUsage, args[0])
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
