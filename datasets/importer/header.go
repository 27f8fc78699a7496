package importer

import (
	"os"
	"slices"
	"strings"

	"github.com/dsopilot/dsopilot/datasets"
)

// Reading a file's header: which column holds which canonical field
// (--columns mappings included), and which entity the file holds.

// sourceNames lists, for each canonical column of e, the name to look for in
// the file (the --columns mapping or the canonical name).
func (im *run) sourceNames(e datasets.Entity) []string {
	var names []string
	for _, c := range readColumns(e) {
		names = append(names, im.header(e, c))
	}
	return names
}

// resolveHeader finds each canonical column in the header, matching names
// case-insensitively. A mapped column is looked up by its export name
// only. The columns of e (when known) are looked up by e's mappings and
// only so; the other entities' fill the rest, for detecting the entity
// and telling a lookalike.
func (im *run) resolveHeader(head []string, e datasets.Entity) (map[string]int, func(datasets.Entity) []string) {
	at := map[string]int{}
	for i, h := range head {
		k := headerKey(h)
		if _, dup := at[k]; !dup {
			at[k] = i
		}
	}
	pos := map[string]int{}
	claimed := map[string]bool{}
	if e != "" {
		for _, c := range readColumns(e) {
			claimed[c] = true
			if i, ok := at[headerKey(im.header(e, c))]; ok {
				pos[c] = i
				continue
			}
			if im.header(e, c) != c {
				continue // mapped: looked up by its mapping only
			}
			if _, level := pos["dunning_level"]; c == "last_dunning_date" && !level {
				continue // a date alone is not read: no level to date
			}
			for _, a := range headerAliases[c] {
				if i, ok := at[a]; ok {
					pos[c] = i
					break
				}
			}
		}
	}
	for _, x := range datasets.Entities() {
		for _, c := range x.Columns() {
			if _, done := pos[c]; done || claimed[c] {
				continue
			}
			if i, ok := at[headerKey(im.header(x, c))]; ok {
				pos[c] = i
			}
		}
	}
	if e == datasets.EntityInvoices && !im.typeMapped() {
		// Without the mapping an invoices file reads as it always has,
		// a column named type or applies_to included (doctypes.go).
		delete(pos, "type")
		delete(pos, "applies_to")
		delete(pos, "clearing_document")
	}
	if e == datasets.EntityInvoices && len(im.opts.DunningLevels) == 0 && !im.dunningMapped() {
		// Without levels to read them by, and not asked to, dunning
		// columns are not read (listed as ignored).
		delete(pos, "dunning_level")
		delete(pos, "last_dunning_date")
	}
	ignored := func(e datasets.Entity) []string {
		used := map[int]bool{}
		for _, c := range readColumns(e) {
			if i, ok := pos[c]; ok {
				used[i] = true
			}
		}
		var out []string
		for i, h := range head {
			if !used[i] {
				out = append(out, clip(h, 80))
			}
		}
		return out
	}
	return pos, ignored
}

// headerAliases are the names, as headerKey writes them, other than its
// own that a column is found by without a --columns mapping: the names
// ERPs give a column that is read together with another one found
// already. An SAP FBL5N export's "Dunning level" is the dunning_level
// column by its name; its "Last dunned" was not the date beside it, and a
// backtest read 1,819 levels without their dates. The date is looked for
// only beside a level found or mapped (resolveHeader).
var headerAliases = map[string][]string{
	"last_dunning_date": {"last_dunned", "last_dunning", "dunning_date", "last_dunning_notice", "date_of_last_dunning_notice",
		"last_dunning_notice_date", "mahndatum", "letzte_mahnung", "datum_letzte_mahnung", "datum_der_letzten_mahnung"},
}

// headerKey is what a header name is matched by: case, the spaces around
// it and the separators inside it aside, so that an ERP's "Customer ID",
// "Due Date" or "payment-terms" is the column customer_id, due_date or
// payment_terms without a --columns mapping for each (a trial's NetSuite
// export needed 17).
func headerKey(h string) string {
	var b strings.Builder
	sep := false
	for _, r := range strings.ToLower(strings.TrimSpace(h)) {
		if r == ' ' || r == '_' || r == '-' || r == '.' || r == '\t' {
			sep = b.Len() > 0
			continue
		}
		if sep {
			b.WriteByte('_')
			sep = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// lookalike returns the entity other than detected the header has at
// least two required columns of that detected has no use for, with those
// columns and the required ones it lacks: a file of that entity with a
// column unmapped, which must not load as detected. "" when none.
func lookalike(pos map[string]int, detected datasets.Entity) (like datasets.Entity, has, lacks []string) {
	own := detected.Columns()
	for _, e := range datasets.Entities() {
		if e == detected {
			continue
		}
		var h, l []string
		for _, r := range e.Required() {
			if _, ok := pos[r]; !ok {
				l = append(l, r)
			} else if !slices.Contains(own, r) {
				h = append(h, r)
			}
		}
		if len(l) > 0 && len(h) >= 2 && len(h) > len(has) {
			like, has, lacks = e, h, l
		}
	}
	return like, has, lacks
}

// detectEntity picks the entity whose required columns are all present and
// which has the most of its columns present; ties mean "cannot tell".
func detectEntity(pos map[string]int) datasets.Entity {
	var best datasets.Entity
	bestScore, tie := -1, false
	for _, e := range datasets.Entities() {
		ok := true
		for _, r := range e.Required() {
			if _, has := pos[r]; !has {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		score := 0
		for _, c := range e.Required() {
			if _, has := pos[c]; has {
				score++
			}
		}
		switch {
		case score > bestScore:
			best, bestScore, tie = e, score, false
		case score == bestScore:
			tie = true
		}
	}
	if tie {
		return ""
	}
	return best
}

// guessEntities reads the header of each CSV file whose entity neither
// --kind nor its name gives, and notes the entity it shows (input.guess),
// so that a customers file recognised by its header is loaded first and
// counts as the import's customer master, as one named customers.csv
// does. A file that cannot be read or told is left to importFile, which
// reports it.
func (im *run) guessEntities(inputs []input) {
	for i := range inputs {
		in := &inputs[i]
		if in.entity != "" || in.format != "csv" {
			continue
		}
		in.guess = im.headerEntity(in.path)
	}
}

// headerEntity is the entity the header of CSV file path shows, "" when it
// cannot be read or told (or looks like another entity's, see lookalike).
func (im *run) headerEntity(path string) datasets.Entity {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	src, err := newCSVSource(f, im.lim)
	if err != nil {
		return ""
	}
	pos, _ := im.resolveHeader(src.header(), "")
	e := detectEntity(pos)
	if e == "" {
		return ""
	}
	pos, _ = im.resolveHeader(src.header(), e)
	if like, _, _ := lookalike(pos, e); like != "" {
		return ""
	}
	return e
}
