package importer

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/dsopilot/dsopilot/datasets"
)

// input is one file to import.
type input struct {
	path   string
	entity datasets.Entity // "" until detected from the header
	format string          // csv or ndjson
	// guess is the entity its header says, read before the import starts
	// for a file whose entity is "" (guessEntities): for the load order
	// and to know whether the import holds a customer master.
	guess datasets.Entity
}

// expand turns paths into files in load order. A directory contributes the
// files whose names say which entity they hold (invoices.csv,
// Invoices_2024.CSV, payments-jan.ndjson), and a CSV file whose name says
// none but whose header does (detect: a Sage export's sales_day_book.csv,
// its headers mapped with --columns) when no file of the directory is
// named after that entity; its other files are returned as skipped. kind
// applies to the files named, not to directories. detect may be nil.
func expand(paths []string, kind datasets.Entity, detect func(path string) datasets.Entity) ([]input, []string, error) {
	var out []input
	var skipped []string
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %v", ErrUsage, err)
		}
		if !fi.IsDir() {
			in := input{path: p, entity: kind, format: formatOf(p)}
			if in.entity == "" {
				in.entity = entityFromName(p)
			}
			out = append(out, in)
			continue
		}
		entries, err := os.ReadDir(p)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %v", ErrUsage, err)
		}
		found, skippedHere := 0, len(skipped)
		// A file named after its entity (invoices.csv) is read; one that
		// names it further on (AR_Invoices.csv) only when no file of the
		// directory is named after it: a simulator's truth_customers.csv
		// beside customers.csv is not a second customer master.
		byStart, named := map[datasets.Entity]bool{}, map[datasets.Entity]bool{}
		for _, de := range entries {
			if de.IsDir() || !isLedgerExt(de.Name()) {
				continue
			}
			if e := entityFromStart(de.Name()); e != "" {
				byStart[e] = true
			}
			if e := entityFromName(de.Name()); e != "" {
				named[e] = true
			}
		}
		for _, de := range entries {
			name := de.Name()
			if de.IsDir() || strings.HasPrefix(name, ".") {
				continue
			}
			f := filepath.Join(p, name)
			e := entityFromName(name)
			if e == "" && isLedgerExt(name) && formatOf(name) == "csv" && detect != nil {
				// Its header may say what it holds; the reader tells the
				// entity again from the header (entity "").
				if g := detect(f); g != "" && !named[g] {
					out = append(out, input{path: f, format: "csv", guess: g})
					found++
					continue
				}
			}
			if e == "" || !isLedgerExt(name) || entityFromStart(name) == "" && byStart[e] {
				skipped = append(skipped, f)
				continue
			}
			out = append(out, input{path: f, entity: e, format: formatOf(name)})
			found++
		}
		if found == 0 {
			return nil, nil, fmt.Errorf("%w: directory %s holds no ledger file (%s.csv, invoices_2024.csv, ...)%s", ErrUsage, p, datasets.EntityInvoices,
				skippedList(skipped[skippedHere:]))
		}
	}
	sortInputs(out)
	return out, skipped, nil
}

// sortInputs puts in in load order: customers first, so that later files
// can be checked against them.
func sortInputs(in []input) {
	order := map[datasets.Entity]int{}
	for i, e := range datasets.Entities() {
		order[e] = i
	}
	sort.SliceStable(in, func(i, j int) bool {
		oi, oki := order[in[i].known()]
		oj, okj := order[in[j].known()]
		if !oki {
			oi = 1 // undetected files are most often invoice exports
		}
		if !okj {
			oj = 1
		}
		return oi < oj
	})
}

// known is the entity the file holds as far as is known before reading
// it: by --kind, its name or its header.
func (in input) known() datasets.Entity {
	if in.entity != "" {
		return in.entity
	}
	return in.guess
}

// skippedList says which files a directory without ledger files holds,
// and how to import one of them all the same.
func skippedList(files []string) string {
	if len(files) == 0 {
		return ": it holds no file"
	}
	names := make([]string, 0, min(len(files), 10))
	for _, f := range files[:min(len(files), 10)] {
		names = append(names, filepath.Base(f))
	}
	more := ""
	if len(files) > 10 {
		more = fmt.Sprintf(" and %d more", len(files)-10)
	}
	return fmt.Sprintf("; skipped, as their names say no entity: %s%s. Name the files after what they hold (customers.csv, invoices.csv, payments.csv, ...), "+
		"or import each file on its own with --kind (--kind customers Kunden.csv) or with --columns mapping its headers, from which the entity is told",
		strings.Join(names, ", "), more)
}

func isLedgerExt(name string) bool {
	return slices.Contains([]string{".csv", ".ndjson", ".jsonl", ".json", ".txt", ".tsv"}, strings.ToLower(filepath.Ext(name)))
}

func formatOf(path string) string {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".ndjson", ".jsonl", ".json":
		return "ndjson"
	}
	return "csv"
}

// entityFromName recognises a file by the entity its name starts with,
// whatever the case, followed by its extension or a mark that is no letter:
// invoices.csv, Invoices.CSV, invoices_2024.csv, INVOICES-Q1.csv, but not
// invoicesfoo.csv. The longest matching entity wins. A name that starts
// with none is recognised by the one entity it names as a word of its
// own further on (AR_Invoices.csv, 2024-payments.csv, as ERPs and
// accounting packages name their exports); one naming two entities
// (invoices_and_payments.csv) or none is not recognised.
func entityFromName(path string) datasets.Entity {
	if e := entityFromStart(path); e != "" {
		return e
	}
	base := strings.ToLower(filepath.Base(path))
	stem := strings.TrimSuffix(base, filepath.Ext(base))
	var named []datasets.Entity
	for _, e := range datasets.Entities() {
		for i := 0; ; {
			j := strings.Index(stem[i:], string(e))
			if j < 0 {
				break
			}
			at, end := i+j, i+j+len(e)
			if (at == 0 || !isLetter(stem[at-1])) && (end == len(stem) || !isLetter(stem[end])) {
				named = append(named, e)
				break
			}
			i = at + 1
		}
	}
	if len(named) == 1 {
		return named[0]
	}
	return ""
}

// entityFromStart is the entity a file's name starts with (see
// entityFromName), "" when none.
func entityFromStart(path string) datasets.Entity {
	base := strings.ToLower(filepath.Base(path))
	var best datasets.Entity
	for _, e := range datasets.Entities() {
		rest, ok := strings.CutPrefix(base, string(e))
		if !ok || len(e) <= len(best) {
			continue
		}
		if rest == "" || !isLetter(rest[0]) {
			best = e
		}
	}
	return best
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' }
