package importer

import (
	"fmt"
	"slices"
	"strings"
)

// A row that repeats the id of an earlier row replaces it (stores upsert
// by id, the later row wins). A count says nothing of what changed, so
// the first few such rows of a file are described: the row they replaced
// (found by reading the file, and the earlier files of the entity, again:
// the main pass keeps only a hash of each id) and the fields whose text
// differs.

// dupDetails bounds the duplicates of a file described.
const dupDetails = 5

// maxRejectedLines bounds the rejected lines a file remembers, so that a
// duplicate is compared with the row it replaced and not with a rejected
// row of the same id; past it (a file of millions of rejects) the
// comparison may name a rejected row.
const maxRejectedLines = 1 << 20

// DuplicateRow is a row that repeated the id of an earlier row of the
// import and replaced it.
type DuplicateRow struct {
	File    string `json:"file"`
	Line    int    `json:"line"` // the row kept
	IDField string `json:"id_field"`
	ID      string `json:"id"`
	// Replaced is file:line of the row replaced, "" when it could not be
	// read again (the file changed under the import).
	Replaced string `json:"replaced"`
	// Differs lists the fields whose text differs, [] when none.
	Differs []FieldChange `json:"differs"`
}

// FieldChange is a field a duplicate row changed: as the replaced row
// wrote it and as the kept row does.
type FieldChange struct {
	Field    string `json:"field"`
	Replaced string `json:"replaced"`
	Kept     string `json:"kept"`
}

func (d DuplicateRow) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:%d %s %q repeats ", d.File, d.Line, d.IDField, clip(d.ID, 80))
	switch {
	case d.Replaced == "":
		b.WriteString("an earlier row")
	case strings.HasPrefix(d.Replaced, d.File+":"):
		b.WriteString("line " + strings.TrimPrefix(d.Replaced, d.File+":"))
	default:
		b.WriteString(d.Replaced)
	}
	fmt.Fprintf(&b, "; line %d is kept", d.Line)
	if d.Replaced == "" {
		return b.String()
	}
	if len(d.Differs) == 0 {
		return b.String() + "; the rows are the same"
	}
	b.WriteString("; it changes ")
	for i, c := range d.Differs {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %q → %q", c.Field, clip(c.Replaced, 40), clip(c.Kept, 40))
	}
	return b.String()
}

// namedRow is a row's fields by name: the canonical name of a column the
// entity reads, else the header's.
type namedRow struct {
	line   int
	names  []string
	values []string
}

// fieldNames names each column of header for a file whose columns are at
// pos (canonical name to index).
func fieldNames(header []string, pos map[string]int, cols []string) []string {
	names := slices.Clone(header)
	for _, c := range cols {
		if i, ok := pos[c]; ok && i < len(names) {
			names[i] = c
		}
	}
	return names
}

// rejectLine remembers a rejected line of the file (in order).
func (fr *fileRun) rejectLine(line int) {
	if len(fr.rejectedLines) < maxRejectedLines {
		fr.rejectedLines = append(fr.rejectedLines, line)
	}
}

func (fr *fileRun) rejected(line int) bool {
	_, found := slices.BinarySearch(fr.rejectedLines, line)
	return found
}

// describeDuplicates fills fr's DuplicateRows from the duplicates noted
// in fr.dups, reading the file, and the earlier files of its entity for
// those it does not hold the replaced row of, again.
func (im *run) describeDuplicates(fr *fileRun) {
	if len(fr.dups) == 0 || fr.idAt < 0 {
		return
	}
	kept := map[int]*namedRow{}
	prev := make([]*namedRow, len(fr.dups))
	prevFile := make([]string, len(fr.dups))
	byID := map[string][]int{}
	for i, d := range fr.dups {
		byID[d.ID] = append(byID[d.ID], i)
	}
	// The row a duplicate replaced is the last loaded one of its id before
	// it: in its own file, else in the latest earlier file that has one.
	scan := func(f *fileRun, own bool) {
		err := im.eachRow(f.in, func(vals []string, line int) {
			at := byID[textAt(vals, f.idAt)]
			if len(at) == 0 || f.rejected(line) {
				return
			}
			row := &namedRow{line: line, names: f.names, values: slices.Clone(vals)}
			for _, i := range at {
				switch d := fr.dups[i]; {
				case own && line == d.Line:
					kept[line] = row
				case !own || line < d.Line:
					if own || prev[i] == nil || prevFile[i] == f.sum.Path {
						prev[i], prevFile[i] = row, f.sum.Path
					}
				}
			}
		})
		if err != nil {
			im.opts.Log.Warn("could not read the file again to describe its duplicate rows", "file", f.sum.Path, "err", err)
		}
	}
	scan(fr, true)
	for j := len(im.files) - 1; j >= 0; j-- {
		f := im.files[j]
		if f == fr || f.sum.Entity != fr.sum.Entity || f.idAt < 0 || f.sum.Error != "" {
			continue
		}
		if !slices.Contains(prev, nil) {
			break
		}
		missing := map[string][]int{}
		for i, p := range prev {
			if p == nil {
				missing[fr.dups[i].ID] = append(missing[fr.dups[i].ID], i)
			}
		}
		byID = missing
		scan(f, false)
	}
	for i := range fr.dups {
		d := &fr.dups[i]
		d.Differs = []FieldChange{}
		k := kept[d.Line]
		if prev[i] == nil || k == nil {
			continue
		}
		d.Replaced = fmt.Sprintf("%s:%d", prevFile[i], prev[i].line)
		d.Differs = differences(prev[i], k)
	}
	fr.sum.DuplicateRows = fr.dups
}

// differences lists the fields whose text differs between rows a and b,
// in b's column order, then those only a has.
func differences(a, b *namedRow) []FieldChange {
	val := func(r *namedRow, name string) (string, bool) {
		for i, n := range r.names {
			if strings.EqualFold(n, name) {
				if i < len(r.values) {
					return trimSpace(r.values[i]), true
				}
				return "", true
			}
		}
		return "", false
	}
	out := []FieldChange{}
	for i, n := range b.names {
		kv := ""
		if i < len(b.values) {
			kv = trimSpace(b.values[i])
		}
		if av, _ := val(a, n); av != kv {
			out = append(out, FieldChange{Field: n, Replaced: av, Kept: kv})
		}
	}
	for _, n := range a.names {
		if _, ok := val(b, n); !ok {
			if av, _ := val(a, n); av != "" {
				out = append(out, FieldChange{Field: n, Replaced: av})
			}
		}
	}
	return out
}
