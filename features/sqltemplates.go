package features

import (
	"embed"
	"fmt"
	"regexp"
	"strings"
	"text/template"
)

// sqlFiles are the feature queries as text/template definitions. The
// templates only lay out column lists and per-window expressions; every
// value (the as-of date, the windows, the grace days, the customer ids) is a
// bound query parameter.
//
//go:embed sql/*.sql
var sqlFiles embed.FS

var sqlTemplates = template.Must(template.New("features").Funcs(template.FuncMap{"fx": fxSQL}).ParseFS(sqlFiles, "sql/*.sql"))

// fxSQL is the SQL of amount m (an Int64 of cents) converted at the rate of
// currency cur (a String; the empty one leaves m as it is) as datasets.Money.Convert
// converts it: m times the rate in billionths, exact in Decimal128, rounded
// to the cent, halves away from zero (Decimal division truncates). The
// rates are kpi_fx.sql's @fx_currencies and @fx_rates.
func fxSQL(m, cur string) string {
	rate := fmt.Sprintf("if(%[1]s = '', toInt64(1000000000), @fx_rates[indexOf(@fx_currencies, %[1]s)])", cur)
	half := func(v string) string {
		return fmt.Sprintf("toInt64((toDecimal128(%s, 0) * toDecimal128(%s, 0) + toDecimal128(500000000, 0)) / toDecimal128(1000000000, 0))", v, rate)
	}
	return fmt.Sprintf("if(%[1]s >= 0, %[2]s, -%[3]s)", m, half(m), half("-"+m))
}

// sqlWindow is one history window as the templates see it: K numbers its
// parameter (@w<K>) and its intermediate columns, Sfx ends its feature names.
type sqlWindow struct {
	K    int
	Days int
	Sfx  string
}

// sqlData is the template data of the feature queries.
type sqlData struct {
	DB string // quoted database name and a dot, or empty
	// AllDB is the database holding the whole ledger (quoted, with a
	// dot, or empty): on a cluster a shard's query reads its own tables
	// (DB), but a credit note sits on its own customer's shard, not
	// necessarily its invoice's.
	AllDB       string
	Windows     []sqlWindow
	Short, Long sqlWindow
	Filter      bool
	Unfold      bool // the customers with open invoices, and those invoices' own features as arrays (invoice level)
	// NoSale: with Unfold, the invoices' own sale fields (country,
	// segment, channel) are read as '' instead of from the match, which
	// holds none (saleFieldsEmpty).
	NoSale        bool
	CustomerNames []string
	InvoiceNames  []string
	// The customers are cut in Parts parts (at least 1) by ranges of
	// their ids (partBounds); a query covers parts Lo to Hi-1, which the
	// per-customer ledger summary runs as one SELECT each
	// (customer_ledger_parts), this one being Part.
	Part, Parts int
	Lo, Hi      int
	// From and To name the query parameters that bound the customer ids
	// of this query (or of its part Part): From inclusive, To exclusive;
	// empty for no bound (below the first part, above the last).
	From, To string
}

// Span returns the template data of the query over parts lo to hi-1 of
// d.Parts.
func (d sqlData) Span(lo, hi int) sqlData {
	d.Lo, d.Hi, d.Part = lo, hi, lo
	d.From, d.To = "", ""
	if lo > 0 {
		d.From = boundName(lo)
	}
	if hi < max(d.Parts, 1) {
		d.To = boundName(hi)
	}
	return d
}

// Split returns the template data of each of the parts d covers.
func (d sqlData) Split() []sqlData {
	out := make([]sqlData, 0, max(d.Hi-d.Lo, 1))
	for i := d.Lo; i < max(d.Hi, d.Lo+1); i++ {
		out = append(out, d.Span(i, i+1))
	}
	return out
}

// queryData returns the template data of the queries that together cover
// every customer of d.Parts parts: at most maxQueries, each over a run of
// neighbouring parts. The engine runs them side by side, as separate
// queries, rather than as one: ClickHouse 18.16 analyses a query on one
// thread before it runs any of it, about 0.15 s per part of the
// open-invoice query, and builds the right side of its outer join
// (customer_facts) before the parts start; as separate queries each is
// analysed, joined and read (by the engine, in Go) on a thread of its own.
// Within each, the parts still run in parallel (customer_ledger_parts).
func (d sqlData) queryData() []sqlData {
	parts := max(d.Parts, 1)
	n := min(parts, maxQueries)
	out := make([]sqlData, n)
	for j := range out {
		out[j] = d.Span(j*parts/n, (j+1)*parts/n)
	}
	return out
}

var identifier = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

func (e *SQLEngine) render(database string) error {
	d := sqlData{CustomerNames: e.custNames, InvoiceNames: e.invNames}
	if database != "" {
		d.DB = quoteIdentifier(database) + "."
	}
	d.AllDB = d.DB
	seen := map[int]bool{}
	for k, w := range e.opts.Windows {
		if w <= 0 || seen[w] {
			return fmt.Errorf("sql feature engine: windows %v: each must be a distinct number of days above 0", e.opts.Windows)
		}
		seen[w] = true
		d.Windows = append(d.Windows, sqlWindow{K: k, Days: w, Sfx: fmt.Sprintf("%dd", w)})
	}
	// The first window of the shortest and of the longest length, as
	// CustomerSpecs picks them.
	for _, w := range d.Windows {
		if w.Days == e.opts.Shortest() && d.Short.Sfx == "" {
			d.Short = w
		}
		if w.Days == e.opts.Longest() && d.Long.Sfx == "" {
			d.Long = w
		}
	}
	for _, n := range e.invNames {
		if !identifier.MatchString(n) {
			return fmt.Errorf("sql feature engine: feature name %q is not a plain SQL identifier", n)
		}
	}
	d.Parts = 1
	d = d.Span(0, 1)
	e.data = d
	var err error
	e.queries, err = renderQueries(d)
	return err
}

// renderQueries renders the four feature queries with template data d.
func renderQueries(d sqlData) (sqlQueries, error) {
	var out sqlQueries
	var err error
	for _, q := range []struct {
		out                    *string
		name                   string
		filter, unfold, noSale bool
	}{
		{&out.customers, "customers", false, false, false},
		{&out.customersByID, "customers", true, false, false},
		{&out.openInvoices, "open_invoices", false, true, false},
		{&out.openInvoicesByID, "open_invoices", true, true, false},
		{&out.openInvoicesNoSale, "open_invoices", false, true, true},
	} {
		d.Filter, d.Unfold, d.NoSale = q.filter, q.unfold, q.noSale
		if *q.out, err = renderSQL(q.name, d); err != nil {
			return sqlQueries{}, err
		}
	}
	return out, nil
}

// stageSQL renders one building block of ledger.sql (a per-customer
// summary such as "customer_ledger") over every customer, in parts parts
// where it has them, for the benchmark that prices each stage. It takes the
// parameters of the customer query (params).
func (e *SQLEngine) stageSQL(name string, parts int) (string, error) {
	if e.err != nil {
		return "", e.err
	}
	d := e.data
	d.Parts = max(parts, 1)
	return renderSQL(name, d.Span(0, d.Parts))
}

func renderSQL(name string, d any) (string, error) {
	var b strings.Builder
	if err := sqlTemplates.ExecuteTemplate(&b, name, d); err != nil {
		return "", fmt.Errorf("sql feature engine: render %s query: %w", name, err)
	}
	return b.String(), nil
}

// quoteIdentifier quotes a database name for ClickHouse.
func quoteIdentifier(s string) string {
	r := strings.NewReplacer("\\", "\\\\", "`", "\\`")
	return "`" + r.Replace(s) + "`"
}

func specNames(specs []Spec) []string {
	out := make([]string, len(specs))
	for i, s := range specs {
		out[i] = s.Name
	}
	return out
}
