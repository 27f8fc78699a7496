// Package realformat writes small simulated receivables ledgers the way
// real ERP cleared-items exports look, for testing dsopilot where real
// ledgers are hard: few customers, most of them new.
//
// A Variant is one export. Its counterparties come from the simulator
// (package synth) so that every invoice keeps its true late-payment
// probability, but they are chosen like the ledgers of many real
// businesses: a few established accounts that buy all the time (their
// invoices thinned to a realistic count) and many occasional buyers, of whom
// only one or two consecutive invoices appear, anywhere in the period. Only
// the invoices are written, one row each, with the clearing date (empty while
// open) and the disputed flag on the invoice: no payments, disputes or
// dunning. Amounts are in one house currency (EUR, at the simulator's rates)
// and rescaled per customer by a Pareto factor, so that a few accounts dwarf
// the rest.
//
// The files carry the quirks of real exports, each Variant its own: a
// semicolon, comma or tab delimiter, a byte-order mark, day-first, month-first
// or month-name dates, decimal commas and thousands separators, zero-padded
// customer numbers, the export's own column names (mapped back with the
// importer's --columns), localised channel names and country or channel
// fields left empty. Export says how to read a written file back.
//
// truth.csv, next to the export, gives each document number's simulated
// p_late as of its issue date. It is exact for the simulator's invoice but
// for one thing: the simulator sends a courtesy reminder for invoices of at
// least 10,000 EUR, and the rescaled amount can cross that line.
//
// Writing is deterministic: the same Variant gives the same bytes.
package realformat

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/synth"
)

// ErrVariant marks a Variant that cannot be written.
var ErrVariant = errors.New("realformat: bad variant")

// TruthFile is the name of the truth file written next to an export.
const TruthFile = "truth.csv"

// Variant is one export: who the counterparties are and how the ERP writes
// them.
type Variant struct {
	Name string
	Seed uint64
	// Established counterparties buy throughout the period; each of their
	// invoices is kept with probability Thin. Occasional ones show one
	// invoice, or two consecutive ones with probability TwoInvoices.
	Established, Occasional int
	Thin                    float64
	TwoInvoices             float64
	Months                  int
	Layout                  Layout
}

// Layout is how an ERP writes a cleared-items file.
type Layout struct {
	File      string
	Delimiter rune
	BOM       bool
	// DateLayout writes dates (a Go time layout); DateFormat is the strftime
	// format that reads them back.
	DateLayout, DateFormat string
	DecimalComma           bool // 1.234,56 (else 1,234.56 with Thousands, or 1234.56)
	Thousands              bool // group thousands
	CustomerWidth          int  // zero-pad numeric customer numbers to this width
	// Headers maps canonical column names to the export's; a canonical
	// column missing from it is not written.
	Headers map[string]string
	// Flag writes the disputed flag (true) and its absence (false).
	Flag [2]string
	// Channels renames the simulator's sales channels.
	Channels map[string]string
	// EmptyCountry and EmptyChannel are the shares of rows whose country or
	// channel is left empty.
	EmptyCountry, EmptyChannel float64
}

// Export says where a Variant was written and how to read it back.
type Export struct {
	Path, TruthPath string
	// Columns is the importer's column mapping (--columns), DateFormat its
	// --date-format, DecimalComma its --decimal-comma.
	Columns      map[string]string
	DateFormat   string
	DecimalComma bool
	// Invoices and Customers are counted in the file; ColdStart is the
	// number of customers with fewer than three invoices, OneInvoice of
	// those with exactly one.
	Invoices, Customers, ColdStart, OneInvoice int
}

// ColumnsFlag is Columns as the command line's --columns value.
func (e Export) ColumnsFlag() string {
	var parts []string
	for c, h := range e.Columns {
		parts = append(parts, c+"="+h)
	}
	slices.Sort(parts)
	return strings.Join(parts, ",")
}

// Variants are the standard exports: three mostly new-customer ledgers in
// three ERP dialects, and one of regular accounts.
func Variants() []Variant {
	return []Variant{
		{Name: "fbl5n-de", Seed: 101, Established: 15, Occasional: 85, Thin: 1, TwoInvoices: 0.07, Months: 24, Layout: Layout{
			File: "FBL5N_Debitoren_2023-2024.csv", Delimiter: ';', BOM: true, DateLayout: "02.01.2006", DateFormat: "%d.%m.%Y",
			DecimalComma: true, Thousands: true, CustomerWidth: 10,
			Headers: map[string]string{"customer_id": "Kunde", "invoice_id": "Belegnummer", "issue_date": "Belegdatum",
				"due_date": "Nettofälligkeit", "amount": "Betrag in HW", "currency": "Hauswährung", "settled_date": "Ausgleichsdatum",
				"country": "Land", "channel": "Versandart", "disputed": "Strittig"},
			Flag: [2]string{"X", ""}, Channels: map[string]string{"direct": "Papier", "reseller": "Papier", "online": "Elektronisch", "marketplace": "EDI"},
			EmptyCountry: 0.03}},
		{Name: "ar-us", Seed: 202, Established: 30, Occasional: 170, Thin: 0.6, TwoInvoices: 0.08, Months: 24, Layout: Layout{
			File: "AR_Aging_Cleared_Items.csv", Delimiter: ',', DateLayout: "01/02/2006", DateFormat: "%m/%d/%Y", Thousands: true,
			Headers: map[string]string{"customer_id": "Customer Number", "invoice_id": "Invoice Number", "issue_date": "Invoice Date",
				"due_date": "Due Date", "amount": "Invoice Amount", "settled_date": "Paid Date", "country": "Bill-To Country",
				"channel": "Delivery Method", "disputed": "In Dispute"},
			Flag: [2]string{"Y", "N"}, Channels: map[string]string{"direct": "Mail", "reseller": "Mail", "online": "E-Invoice", "marketplace": "Portal"},
			EmptyChannel: 0.1}},
		{Name: "dmy-tab", Seed: 303, Established: 14, Occasional: 46, Thin: 1, TwoInvoices: 0.1, Months: 24, Layout: Layout{
			File: "open_and_cleared.txt", Delimiter: '\t', DateLayout: "02-Jan-2006", DateFormat: "%d-%b-%Y",
			Headers: map[string]string{"customer_id": "ACCOUNT", "invoice_id": "DOC_NO", "issue_date": "DOC_DATE",
				"due_date": "DUE_DATE", "amount": "AMOUNT", "settled_date": "CLEARED", "country": "CTRY", "channel": "CHANNEL", "disputed": "DISPUTE"},
			Flag: [2]string{"1", "0"}, Channels: map[string]string{"direct": "paper", "reseller": "paper", "online": "electronic", "marketplace": "electronic"},
			EmptyCountry: 0.08}},
		{Name: "regular-de", Seed: 404, Established: 100, Thin: 0.2, Months: 24, Layout: Layout{
			File: "FBL5N_Stammkunden.csv", Delimiter: ';', DateLayout: "02.01.2006", DateFormat: "%d.%m.%Y",
			DecimalComma: true, CustomerWidth: 10,
			Headers: map[string]string{"customer_id": "Kunde", "invoice_id": "Belegnummer", "issue_date": "Belegdatum",
				"due_date": "Nettofälligkeit", "amount": "Betrag in HW", "settled_date": "Ausgleichsdatum",
				"country": "Land", "channel": "Versandart", "disputed": "Strittig"},
			Flag: [2]string{"X", ""}, Channels: map[string]string{"direct": "Papier", "reseller": "Papier", "online": "Elektronisch", "marketplace": "Elektronisch"}}},
	}
}

// Write simulates v and writes its export and truth.csv into dir.
func (v Variant) Write(ctx context.Context, dir string) (Export, error) {
	if v.Established+v.Occasional <= 0 || v.Months <= 0 || !(v.Thin > 0 && v.Thin <= 1) || v.Layout.File == "" || v.Layout.DateLayout == "" {
		return Export{}, fmt.Errorf("%w: %s: want customers, months, a thinning share in (0, 1], a file name and a date layout", ErrVariant, v.Name)
	}
	for _, c := range []string{"customer_id", "invoice_id", "issue_date", "due_date", "amount"} {
		if v.Layout.Headers[c] == "" {
			return Export{}, fmt.Errorf("%w: %s: no header for the required column %s", ErrVariant, v.Name, c)
		}
	}
	l, truth, err := synth.Collect(ctx, synth.Config{Customers: v.Established + v.Occasional, Months: v.Months, Seed: v.Seed, Start: synth.DefaultStart()})
	if err != nil {
		return Export{}, fmt.Errorf("realformat: %s: %w", v.Name, err)
	}
	// One house currency, as in a company-code export.
	fx := datasets.FX{To: "EUR", Rates: map[string]datasets.Rate{}}
	for _, r := range synth.FXRates() {
		fx.Rates[r.Currency] = r.Rate
	}
	if l, err = l.Convert(fx); err != nil {
		return Export{}, fmt.Errorf("realformat: %s: %w", v.Name, err)
	}
	pLate := make(map[string]float64, len(truth))
	for _, t := range truth {
		pLate[t.InvoiceID] = t.PLate
	}
	rows := v.choose(l)
	if len(rows) == 0 {
		return Export{}, fmt.Errorf("%w: %s: no invoice chosen", ErrVariant, v.Name)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Export{}, fmt.Errorf("realformat: %w", err)
	}
	e := Export{Path: filepath.Join(dir, v.Layout.File), TruthPath: filepath.Join(dir, TruthFile), Columns: map[string]string{},
		DateFormat: v.Layout.DateFormat, DecimalComma: v.Layout.DecimalComma}
	for c, h := range v.Layout.Headers {
		e.Columns[c] = h
	}
	if err := v.writeExport(e.Path, rows); err != nil {
		return Export{}, err
	}
	if err := writeTruth(e.TruthPath, rows, pLate); err != nil {
		return Export{}, err
	}
	per := map[string]int{}
	for _, r := range rows {
		per[r.customer]++
	}
	e.Invoices, e.Customers = len(rows), len(per)
	for _, n := range per {
		if n < 3 {
			e.ColdStart++
		}
		if n == 1 {
			e.OneInvoice++
		}
	}
	return e, nil
}

// row is one invoice as the export writes it.
type row struct {
	datasets.Invoice
	customer, document string
	emptyCountry       bool
	emptyChannel       bool
}

// choose picks the exported invoices of l: every customer's in its own
// random stream, so that adding customers does not reshuffle the others.
func (v Variant) choose(l *datasets.Ledger) []row {
	byCustomer := map[string][]datasets.Invoice{}
	for _, inv := range l.Invoices {
		byCustomer[inv.CustomerID] = append(byCustomer[inv.CustomerID], inv)
	}
	var out []row
	for k, c := range l.Customers {
		r := rand.New(rand.NewPCG(v.Seed, uint64(k)+1))
		invs := byCustomer[c.ID]
		slices.SortFunc(invs, func(a, b datasets.Invoice) int {
			return cmp.Or(cmp.Compare(a.IssueDate, b.IssueDate), cmp.Compare(a.ID, b.ID))
		})
		var keep []datasets.Invoice
		if k < v.Established {
			for _, inv := range invs {
				if r.Float64() < v.Thin {
					keep = append(keep, inv)
				}
			}
		} else if len(invs) > 0 {
			n := 1
			if r.Float64() < v.TwoInvoices && len(invs) > 1 {
				n = 2
			}
			first := r.IntN(len(invs) - n + 1)
			keep = invs[first : first+n]
		}
		// A Pareto factor (tail index 1.3, at least 0.2) per customer:
		// relative sizes within a customer stay as simulated.
		scale := 0.2 * math.Pow(1-r.Float64(), -1/1.3)
		customer := strconv.Itoa(100000 + k)
		if w := v.Layout.CustomerWidth; w > 0 {
			customer = fmt.Sprintf("%0*d", w, 100000+k)
		}
		for _, inv := range keep {
			inv.Amount = max(1, datasets.Money(math.Round(float64(inv.Amount)*scale)))
			out = append(out, row{Invoice: inv, customer: customer,
				emptyCountry: r.Float64() < v.Layout.EmptyCountry, emptyChannel: r.Float64() < v.Layout.EmptyChannel})
		}
	}
	// ERP exports list items by customer and document date; document
	// numbers run in issue order across the company.
	order := make([]int, len(out))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return cmp.Or(cmp.Compare(out[a].IssueDate, out[b].IssueDate), cmp.Compare(out[a].ID, out[b].ID))
	})
	for n, i := range order {
		out[i].document = strconv.Itoa(1800000000 + n)
	}
	slices.SortStableFunc(out, func(a, b row) int {
		return cmp.Or(cmp.Compare(a.customer, b.customer), cmp.Compare(a.IssueDate, b.IssueDate), cmp.Compare(a.document, b.document))
	})
	return out
}

// columnOrder is the order the export's columns are written in.
var columnOrder = []string{"customer_id", "invoice_id", "issue_date", "due_date", "amount", "currency", "settled_date", "country", "channel", "disputed"}

func (v Variant) writeExport(path string, rows []row) error {
	lay := v.Layout
	var cols []string
	for _, c := range columnOrder {
		if lay.Headers[c] != "" {
			cols = append(cols, c)
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("realformat: %w", err)
	}
	w := bufio.NewWriter(f)
	if lay.BOM {
		w.WriteString("\ufeff")
	}
	rec := make([]string, len(cols))
	for i, c := range cols {
		rec[i] = lay.Headers[c]
	}
	writeRecord(w, rec, lay.Delimiter)
	for _, r := range rows {
		for i, c := range cols {
			rec[i] = v.field(c, &r)
		}
		writeRecord(w, rec, lay.Delimiter)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("realformat: write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("realformat: write %s: %w", path, err)
	}
	return nil
}

// field formats canonical column c of r as the export writes it.
func (v Variant) field(c string, r *row) string {
	lay := v.Layout
	date := func(d datasets.Date) string {
		if d == 0 {
			return ""
		}
		return d.Time().Format(lay.DateLayout)
	}
	switch c {
	case "customer_id":
		return r.customer
	case "invoice_id":
		return r.document
	case "issue_date":
		return date(r.IssueDate)
	case "due_date":
		return date(r.DueDate)
	case "settled_date":
		return date(r.SettledDate)
	case "amount":
		return formatAmount(r.Amount, lay.DecimalComma, lay.Thousands)
	case "currency":
		return r.Currency
	case "country":
		if r.emptyCountry {
			return ""
		}
		return r.Country
	case "channel":
		if r.emptyChannel {
			return ""
		}
		if n, ok := lay.Channels[r.Channel]; ok {
			return n
		}
		return r.Channel
	case "disputed":
		if r.Disputed {
			return lay.Flag[0]
		}
		return lay.Flag[1]
	}
	return ""
}

// formatAmount writes m with two decimals, a decimal comma and dots between
// thousands, or a decimal dot and commas between thousands.
func formatAmount(m datasets.Money, decimalComma, thousands bool) string {
	s := m.String() // -1234.56
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	whole, frac, _ := strings.Cut(s, ".")
	sep, dec := ",", "."
	if decimalComma {
		sep, dec = ".", ","
	}
	if thousands {
		whole = datasets.GroupDigits(whole, sep)
	}
	return sign + whole + dec + frac
}

// writeRecord writes one delimited line, quoting fields that need it.
func writeRecord(w *bufio.Writer, rec []string, delim rune) {
	for i, f := range rec {
		if i > 0 {
			w.WriteRune(delim)
		}
		if strings.ContainsRune(f, delim) || strings.ContainsAny(f, "\"\r\n") {
			f = `"` + strings.ReplaceAll(f, `"`, `""`) + `"`
		}
		w.WriteString(f)
	}
	w.WriteString("\r\n")
}

func writeTruth(path string, rows []row, pLate map[string]float64) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("realformat: %w", err)
	}
	w := bufio.NewWriter(f)
	w.WriteString("invoice_id,p_late,customer_id\n")
	for _, r := range rows {
		fmt.Fprintf(w, "%s,%s,%s\n", r.document, strconv.FormatFloat(pLate[r.ID], 'f', 6, 64), r.customer)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("realformat: write %s: %w", path, err)
	}
	return f.Close()
}
