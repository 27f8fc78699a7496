package synth

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/dsopilot/dsopilot/datasets"
)

// The streamed output files: the ledger entities in datasets.Entities order,
// then the per-invoice and per-customer truth.
const (
	outTruth = iota + 8
	outTruthCustomers
	numOutputs
)

func outputName(i int) string {
	switch i {
	case outTruth:
		return TruthFile
	case outTruthCustomers:
		return TruthCustomersFile
	}
	return datasets.Entities()[i].FileName()
}

func outputColumns(i int) []string {
	switch i {
	case outTruth:
		return TruthColumns()
	case outTruthCustomers:
		return CustomerTruthColumns()
	}
	return datasets.Entities()[i].Columns()
}

// WriteDir simulates cfg into dir, which it creates if needed: the eight
// canonical ledger files and the three truth files. Existing files of those
// names are replaced; after an error the files may be incomplete.
func WriteDir(ctx context.Context, cfg Config, dir string) (Summary, error) {
	if err := cfg.Validate(); err != nil {
		return Summary{}, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Summary{}, fmt.Errorf("create ledger directory: %w", err)
	}
	w, err := createOutputs(dir)
	if err != nil {
		return Summary{}, err
	}
	sum, err := generate(ctx, cfg, encodeBatch, w)
	if err != nil {
		w.close()
		return sum, err
	}
	if err := w.finish(); err != nil {
		return sum, err
	}
	if err := writeActionEffects(filepath.Join(dir, TruthActionEffectsFile)); err != nil {
		return sum, err
	}
	if err := writeFXRates(filepath.Join(dir, FXRatesFile)); err != nil {
		return sum, err
	}
	return sum, nil
}

// writeFXRates writes the simulator's exchange rates to EUR, the rates its
// amounts were drawn with, for reporting in one currency
// (dsopilot kpi --currency EUR --fx fx_rates.csv).
func writeFXRates(path string) error {
	b := appendRow(nil, []string{"currency", "rate"})
	for _, r := range FXRates() {
		b = appendRow(b, []string{r.Currency, r.Rate.String()})
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", FXRatesFile, err)
	}
	return nil
}

// dirWriter is the Sink of WriteDir: it copies the rows the workers
// formatted into the files, in customer order.
type dirWriter struct {
	files [numOutputs]*os.File
	bufs  [numOutputs]*bufio.Writer
}

func createOutputs(dir string) (*dirWriter, error) {
	w := &dirWriter{}
	for i := range numOutputs {
		f, err := os.Create(filepath.Join(dir, outputName(i)))
		if err != nil {
			w.close()
			return nil, fmt.Errorf("create %s: %w", outputName(i), err)
		}
		w.files[i], w.bufs[i] = f, bufio.NewWriterSize(f, 1<<20)
		if _, err := w.bufs[i].Write(appendRow(nil, outputColumns(i))); err != nil {
			w.close()
			return nil, fmt.Errorf("write %s: %w", outputName(i), err)
		}
	}
	return w, nil
}

func (w *dirWriter) WriteBatch(ctx context.Context, b *Batch) error {
	for i := range numOutputs {
		if _, err := w.bufs[i].Write(b.enc[i]); err != nil {
			return fmt.Errorf("write %s: %w", outputName(i), err)
		}
	}
	return nil
}

// finish flushes and closes every file, reporting the first failure.
func (w *dirWriter) finish() error {
	var errs []error
	for i := range numOutputs {
		if err := w.bufs[i].Flush(); err != nil {
			errs = append(errs, fmt.Errorf("write %s: %w", outputName(i), err))
		}
		if err := w.files[i].Close(); err != nil {
			errs = append(errs, fmt.Errorf("close %s: %w", outputName(i), err))
		}
	}
	return errors.Join(errs...)
}

// close releases the files after a failure; their content no longer matters.
func (w *dirWriter) close() {
	for _, f := range w.files {
		if f != nil {
			_ = f.Close()
		}
	}
}

// encodeBatch formats a batch's rows, on the worker that simulated it.
func encodeBatch(b *Batch) {
	for i := range b.enc {
		b.enc[i] = b.enc[i][:0]
	}
	l := &b.Ledger
	for i := range l.Customers {
		b.enc[0] = appendRow(b.enc[0], l.Customers[i].Record())
	}
	for i := range l.Invoices {
		b.enc[1] = appendRow(b.enc[1], l.Invoices[i].Record())
	}
	for i := range l.Payments {
		b.enc[2] = appendRow(b.enc[2], l.Payments[i].Record())
	}
	for i := range l.CreditNotes {
		b.enc[3] = appendRow(b.enc[3], l.CreditNotes[i].Record())
	}
	for i := range l.Disputes {
		b.enc[4] = appendRow(b.enc[4], l.Disputes[i].Record())
	}
	for i := range l.Actions {
		b.enc[5] = appendRow(b.enc[5], l.Actions[i].Record())
	}
	for i := range l.Promises {
		b.enc[6] = appendRow(b.enc[6], l.Promises[i].Record())
	}
	for i := range l.CreditDecisions {
		b.enc[7] = appendRow(b.enc[7], l.CreditDecisions[i].Record())
	}
	for i := range b.Truth {
		b.enc[outTruth] = b.Truth[i].appendCSV(b.enc[outTruth])
	}
	b.enc[outTruthCustomers] = appendRow(b.enc[outTruthCustomers], b.Customer.Record())
}

func writeActionEffects(path string) error {
	var b []byte
	b = appendRow(b, ActionEffectColumns())
	for _, e := range ActionEffects() {
		b = appendRow(b, e.Record())
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", TruthActionEffectsFile, err)
	}
	return nil
}

// appendRow appends one CSV line (RFC 4180, \n line ends), quoting fields
// as encoding/csv would.
func appendRow(b []byte, fields []string) []byte {
	for i, f := range fields {
		if i > 0 {
			b = append(b, ',')
		}
		if !needsQuotes(f) {
			b = append(b, f...)
			continue
		}
		b = append(b, '"')
		for j := 0; j < len(f); j++ {
			if f[j] == '"' {
				b = append(b, '"')
			}
			b = append(b, f[j])
		}
		b = append(b, '"')
	}
	return append(b, '\n')
}

func needsQuotes(f string) bool {
	if f == "" {
		return false
	}
	if f[0] == ' ' || f[0] == '\t' || f == `\.` {
		return true
	}
	// A plain loop: strings.ContainsAny builds a set per call, which showed
	// up as a sixth of WriteDir's time.
	for i := 0; i < len(f); i++ {
		switch f[i] {
		case ',', '"', '\r', '\n':
			return true
		}
	}
	return false
}
