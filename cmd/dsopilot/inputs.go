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
)

// Helpers shared by commands that read an export into a temporary store
// (backtest, forecast backtest) and by those that score with a registered
// model's currency (score, forecast).

// inputFlags are the flags that say how to read an export.
type inputFlags struct {
	input, dateFormat *string
	decimalComma      *bool
	cols              columnsFlag
}

func newInputFlags(fs *flag.FlagSet) inputFlags {
	f := inputFlags{cols: columnsFlag{}}
	f.input = fs.String("input", "", "ledger directory or cleared-items CSV (or --store)")
	fs.Var(f.cols, "columns", "map canonical columns to the export's headers: customer_id=KUNNR,...")
	f.dateFormat = fs.String("date-format", "", "strftime date format of the export")
	f.decimalComma = fs.Bool("decimal-comma", false, "amounts are written 1.234,56")
	return f
}

// importTemp imports the export into a temporary embedded store and reads
// it back, as the backtests do; rejected rows are reported on stderr.
func importTemp(ctx context.Context, e env, cmd string, f inputFlags) (*datasets.Ledger, error) {
	if *f.input == "" {
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
	sum, err := importer.Import(ctx, st, []string{*f.input}, importer.Options{Columns: f.cols, DateFormat: *f.dateFormat,
		// The rejects go to the importer's default file in the temporary
		// directory, which outlives the run (tmp does not): the message
		// names it for the user to open.
		DecimalComma: *f.decimalComma, Log: newLogger(e)})
	if errors.Is(err, importer.ErrUsage) {
		return nil, fmt.Errorf("%w: %s: %v", errUsage, cmd, err)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: import: %w", cmd, err)
	}
	printRejects(e.stderr, sum)
	l, err := st.Load(ctx)
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
