// Package realformat writes cleared-items exports the way ERPs and
// spreadsheets write them, built from a simulated ledger, so that the
// forecast can be backtested on data shaped like a customer's: one row per
// invoice with its clearing date, the ERP's own column names, non-ISO
// dates, a delimiter other than the comma, few customers and heavy-tailed
// amounts, and none of the other entities (no payments, disputes or
// promises, no customer master).
//
// The simulation itself is not changed: the payment behaviour is
// datasets/synth's. Only amounts are rescaled, per customer, by a Pareto
// factor (a few customers then hold most of the money, as in real books),
// and what the export format cannot say is dropped.
package realformat

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/synth"
)

// Export describes one export.
type Export struct {
	// Name is the file name written.
	Name string
	// Customers, Months, Seed configure the simulation.
	Customers, Months int
	Seed              uint64
	// Layout is the Go layout dates are written with; DateFormat the
	// strftime format an importer reads them with.
	Layout, DateFormat string
	// Delim separates the fields.
	Delim byte
	// Headers are the export's column names for customer_id, invoice_id,
	// issue_date, due_date, amount, currency and settled_date.
	Headers [7]string
	// Tail is the Pareto index of the customers' size factors: 1.2 gives
	// a book where the largest tenth of the customers hold most of it.
	Tail float64
}

// Columns returns the --columns mapping (canonical=header) for e.
func (e Export) Columns() map[string]string {
	canon := [7]string{"customer_id", "invoice_id", "issue_date", "due_date", "amount", "currency", "settled_date"}
	m := map[string]string{}
	for i, c := range canon {
		m[c] = e.Headers[i]
	}
	return m
}

// Exports are the real-format exports the forecast is backtested on.
func Exports() []Export {
	return []Export{
		{Name: "fbl5n_de.csv", Customers: 20, Months: 24, Seed: 21, Layout: "02.01.2006", DateFormat: "%d.%m.%Y", Delim: ';',
			Headers: [7]string{"Kunde", "Belegnr", "Belegdatum", "Nettofaelligkeit", "Betrag in HW", "Waehrung", "Ausgleich"}, Tail: 1.2},
		{Name: "cleared_us.csv", Customers: 60, Months: 24, Seed: 22, Layout: "01/02/2006", DateFormat: "%m/%d/%Y", Delim: ',',
			Headers: [7]string{"Customer", "Invoice #", "Invoice Date", "Due Date", "Amount", "Currency", "Cleared On"}, Tail: 1.5},
	}
}

// Write simulates e's ledger and writes its export into dir, returning
// the file's path.
func Write(ctx context.Context, dir string, e Export) (string, error) {
	l, _, err := synth.Collect(ctx, synth.Config{Customers: e.Customers, Months: e.Months, Seed: e.Seed})
	if err != nil {
		return "", fmt.Errorf("simulate %s: %w", e.Name, err)
	}
	r := rand.New(rand.NewPCG(e.Seed, 0x7a11))
	scale := map[string]float64{}
	for _, c := range l.Customers {
		// Pareto with minimum 1: U^(-1/α).
		scale[c.ID] = math.Pow(1-r.Float64(), -1/e.Tail)
	}
	var b strings.Builder
	d := string(e.Delim)
	b.WriteString(strings.Join(e.Headers[:], d) + "\n")
	for _, v := range l.Invoices {
		amt := datasets.Money(math.Round(float64(v.Amount) * scale[v.CustomerID]))
		settled := ""
		if v.SettledDate != 0 {
			settled = v.SettledDate.Time().Format(e.Layout)
		}
		fields := []string{v.CustomerID, v.ID, v.IssueDate.Time().Format(e.Layout), v.DueDate.Time().Format(e.Layout),
			amt.String(), v.Currency, settled}
		b.WriteString(strings.Join(fields, d) + "\n")
	}
	path := filepath.Join(dir, e.Name)
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return "", fmt.Errorf("write %s: %w", e.Name, err)
	}
	return path, nil
}

// WriteFX writes the simulation's exchange rates to EUR as fx_rates.csv
// in dir (the exports keep each invoice's currency).
func WriteFX(dir string) (string, error) {
	var b strings.Builder
	b.WriteString("currency,rate\n")
	for _, r := range synth.FXRates() {
		fmt.Fprintf(&b, "%s,%s\n", r.Currency, r.Rate)
	}
	path := filepath.Join(dir, synth.FXRatesFile)
	return path, os.WriteFile(path, []byte(b.String()), 0o644)
}
