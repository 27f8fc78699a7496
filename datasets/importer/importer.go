// Package importer loads ERP exports and canonical ledger files (CSV or
// NDJSON) into a store. Every bad row is reported with its file, line, field
// and reason and written to a rejects file; the good rows load. Loading the
// same files twice changes nothing, because stores upsert by natural id.
package importer

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
)

// Store is what the importer needs of a store.
type Store interface {
	Put(ctx context.Context, batch *datasets.Ledger) error
	CustomerIDs(ctx context.Context) ([]string, error)
}

// Options configure an import.
type Options struct {
	// Kind forces the entity of every file given; empty means from the file
	// name (invoices.csv, invoices_2024.ndjson) or, failing that, the header.
	Kind datasets.Entity
	// Columns maps canonical column names to the export's own headers.
	Columns map[string]string
	// DateFormat is a strftime format (%d.%m.%Y); ISO dates always work.
	DateFormat string
	// DecimalComma reads amounts written 1.234,56.
	DecimalComma bool
	// RejectsPath is where rejected rows are written (created only when a
	// row is rejected). Empty means dsopilot-rejects-<time>.csv here.
	RejectsPath string
	// BatchSize is the number of records per store write. Zero means the
	// store's BatchHint when it has one, else 100,000.
	BatchSize int
	Log       *slog.Logger
	// Now is the clock, for the default rejects file name.
	Now func() time.Time
}

// Reject is one bad field of one row.
type Reject struct {
	File   string `json:"file"`
	Line   int    `json:"line"`
	Field  string `json:"field"`
	Value  string `json:"value"`
	Reason string `json:"reason"`
}

func (r Reject) String() string {
	if r.Field == "" {
		return fmt.Sprintf("%s:%d: %s", r.File, r.Line, r.Reason)
	}
	return fmt.Sprintf("%s:%d: %s %q: %s", r.File, r.Line, r.Field, r.Value, r.Reason)
}

// FileSummary is what happened to one file.
type FileSummary struct {
	Path           string          `json:"path"`
	Entity         datasets.Entity `json:"entity"`
	Format         string          `json:"format"`
	Read           int             `json:"read"`
	Loaded         int             `json:"loaded"`
	Rejected       int             `json:"rejected"`
	Duplicates     int             `json:"duplicates"`
	IgnoredColumns []string        `json:"ignored_columns,omitempty"`
	Error          string          `json:"error,omitempty"`
}

// Summary is what happened to an import. Loaded counts only rows the store
// acknowledged.
type Summary struct {
	Read             int           `json:"read"`
	Loaded           int           `json:"loaded"`
	Rejected         int           `json:"rejected"`
	Duplicates       int           `json:"duplicates"`
	DerivedCustomers int           `json:"derived_customers"`
	RejectsFile      string        `json:"rejects_file,omitempty"`
	Seconds          float64       `json:"seconds"`
	RowsPerSecond    float64       `json:"rows_per_second"`
	Files            []FileSummary `json:"files"`
	// FirstRejects holds up to 20 rejects, for printing.
	FirstRejects []Reject `json:"first_rejects,omitempty"`
}

// Sentinel errors of the importer.
var (
	// ErrFiles means at least one file could not be read at all; the others loaded.
	ErrFiles = errors.New("some files could not be imported")
	// ErrUsage marks bad options.
	ErrUsage = errors.New("bad import options")
	// errNotNumber is the reason given for a number field that is not one.
	errNotNumber = errors.New("not a number")
)

// input is one file to import.
type input struct {
	path   string
	entity datasets.Entity // "" until detected from the header
	format string          // csv or ndjson
}

// Import loads paths (files, or directories of canonical files) into st.
// It returns an error wrapping ErrFiles when a whole file could not be
// read, after loading everything else; a store error stops the import.
func Import(ctx context.Context, st Store, paths []string, opts Options) (*Summary, error) {
	if opts.BatchSize <= 0 {
		opts.BatchSize = 100_000
		if h, ok := st.(interface{ BatchHint() int }); ok && h.BatchHint() > 0 {
			opts.BatchSize = h.BatchHint()
		}
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	dates, err := NewDateParser(opts.DateFormat)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUsage, err)
	}
	if err := checkMapping(opts.Columns); err != nil {
		return nil, err
	}
	if opts.Kind != "" && datasets.Describe(opts.Kind) == nil {
		return nil, fmt.Errorf("%w: unknown kind %q (want one of %s)", ErrUsage, opts.Kind, entityList())
	}
	inputs, err := expand(paths, opts.Kind)
	if err != nil {
		return nil, err
	}
	im := &run{opts: opts, dates: dates, st: st, start: time.Now(), sum: &Summary{}}
	defer im.closeRejects()
	if err := im.loadKnownCustomers(ctx, inputs); err != nil {
		return nil, err
	}
	w := newWriter(ctx, st)
	var fileErrs []error
	for _, in := range inputs {
		if err := im.importFile(ctx, w, in); err != nil {
			if w.failed() != nil || ctx.Err() != nil {
				break
			}
			fileErrs = append(fileErrs, err)
		}
	}
	if err := w.close(); err != nil {
		im.finish()
		return im.sum, fmt.Errorf("import stopped, %d rows stored before the failure: %w", im.sum.Loaded, err)
	}
	if err := ctx.Err(); err != nil {
		im.finish()
		return im.sum, err
	}
	if err := im.closeRejects(); err != nil {
		return im.sum, fmt.Errorf("write rejects file: %w", err)
	}
	im.finish()
	if len(fileErrs) > 0 {
		return im.sum, fmt.Errorf("%w: %w", ErrFiles, errors.Join(fileErrs...))
	}
	return im.sum, nil
}

func entityList() string {
	var names []string
	for _, e := range datasets.Entities() {
		names = append(names, string(e))
	}
	return strings.Join(names, ", ")
}

// checkMapping refuses a --columns entry whose canonical side is no
// column of any entity: a typo there would silently map nothing.
func checkMapping(m map[string]string) error {
	known := map[string]bool{}
	for _, e := range datasets.Entities() {
		for _, c := range e.Columns() {
			known[c] = true
		}
	}
	for k, v := range m {
		if !known[k] {
			return fmt.Errorf("%w: --columns maps %q, which is not a canonical column", ErrUsage, k)
		}
		if strings.TrimSpace(v) == "" {
			return fmt.Errorf("%w: --columns maps %q to an empty header", ErrUsage, k)
		}
	}
	return nil
}

// expand turns paths into files in load order.
func expand(paths []string, kind datasets.Entity) ([]input, error) {
	var out []input
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrUsage, err)
		}
		if !fi.IsDir() {
			in := input{path: p, entity: kind, format: formatOf(p)}
			if in.entity == "" {
				in.entity = entityFromName(p)
			}
			out = append(out, in)
			continue
		}
		found := 0
		for _, e := range datasets.Entities() {
			for _, ext := range []string{".csv", ".ndjson", ".jsonl"} {
				f := filepath.Join(p, string(e)+ext)
				if _, err := os.Stat(f); err == nil {
					out = append(out, input{path: f, entity: e, format: formatOf(f)})
					found++
				}
			}
		}
		if found == 0 {
			return nil, fmt.Errorf("%w: directory %s holds none of the canonical files (%s.csv, ...)", ErrUsage, p, datasets.EntityCustomers)
		}
	}
	// Load customers first so that later files can be checked against them.
	order := map[datasets.Entity]int{}
	for i, e := range datasets.Entities() {
		order[e] = i
	}
	sort.SliceStable(out, func(i, j int) bool {
		oi, oki := order[out[i].entity]
		oj, okj := order[out[j].entity]
		if !oki {
			oi = 1 // undetected files are most often invoice exports
		}
		if !okj {
			oj = 1
		}
		return oi < oj
	})
	return out, nil
}

func formatOf(path string) string {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".ndjson", ".jsonl", ".json":
		return "ndjson"
	}
	return "csv"
}

// entityFromName recognises invoices.csv, invoices_2024.csv, and the like.
func entityFromName(path string) datasets.Entity {
	base := strings.ToLower(filepath.Base(path))
	var best datasets.Entity
	for _, e := range datasets.Entities() {
		if strings.HasPrefix(base, string(e)) && len(e) > len(best) {
			best = e
		}
	}
	return best
}

// run is the state of one import.
type run struct {
	opts  Options
	dates DateParser
	st    Store
	start time.Time
	sum   *Summary

	known  map[string]bool // customer ids in the store or imported now
	derive bool            // no customer master: derive customers from rows
	// seen holds a 64-bit hash of every id imported per entity, to count
	// duplicates; hashes keep the memory small for ledgers of many millions
	// (a false duplicate needs a 64-bit collision).
	seen     map[datasets.Entity]*hashSet
	seenSeed maphash.Seed

	rejectsFile *os.File
	rejects     *csv.Writer
}

func (im *run) loadKnownCustomers(ctx context.Context, inputs []input) error {
	ids, err := im.st.CustomerIDs(ctx)
	if err != nil {
		return fmt.Errorf("read customer ids: %w", err)
	}
	im.known = make(map[string]bool, len(ids))
	for _, id := range ids {
		im.known[id] = true
	}
	hasMaster := len(ids) > 0 || slices.ContainsFunc(inputs, func(in input) bool { return in.entity == datasets.EntityCustomers })
	im.derive = !hasMaster
	im.seen = map[datasets.Entity]*hashSet{}
	im.seenSeed = maphash.MakeSeed()
	if im.derive {
		im.opts.Log.Info("no customer master in the store or the import: customers are derived from the rows")
	}
	return nil
}

// finish totals the per-file figures.
func (im *run) finish() {
	s := im.sum
	s.Read, s.Loaded, s.Rejected, s.Duplicates = 0, 0, 0, 0
	for _, f := range s.Files {
		s.Read += f.Read
		s.Loaded += f.Loaded
		s.Rejected += f.Rejected
		s.Duplicates += f.Duplicates
	}
	im.sum.Seconds = time.Since(im.start).Seconds()
	if im.sum.Seconds > 0 {
		im.sum.RowsPerSecond = float64(im.sum.Read) / im.sum.Seconds
	}
}

// importFile streams one file into the writer. It returns an error only when
// the file as a whole cannot be read; bad rows are rejects.
func (im *run) importFile(ctx context.Context, w *writer, in input) error {
	fs := &FileSummary{Path: in.path, Entity: in.entity, Format: in.format}
	im.sum.Files = append(im.sum.Files, FileSummary{})
	idx := len(im.sum.Files) - 1
	defer func() { im.sum.Files[idx] = *fs }()
	fail := func(err error) error {
		fs.Error = err.Error()
		im.opts.Log.Error("file not imported", "file", in.path, "err", err)
		return fmt.Errorf("%s: %w", in.path, err)
	}

	f, err := os.Open(in.path)
	if err != nil {
		return fail(err)
	}
	defer f.Close()

	var src source
	if in.format == "ndjson" {
		if in.entity == "" {
			return fail(fmt.Errorf("cannot tell what %s holds: name it after an entity (invoices.ndjson) or pass --kind", filepath.Base(in.path)))
		}
		src, err = newNDJSONSource(f, im.sourceNames(in.entity))
	} else {
		src, err = newCSVSource(f)
	}
	if err != nil {
		return fail(err)
	}
	pos, ignored := im.resolveHeader(src.header())
	if in.entity == "" {
		in.entity = detectEntity(pos)
		fs.Entity = in.entity
		if in.entity == "" {
			return fail(fmt.Errorf("cannot tell what %s holds from its header %v: pass --kind or --columns", filepath.Base(in.path), src.header()))
		}
	}
	fs.IgnoredColumns = ignored(in.entity)
	for _, req := range in.entity.Required() {
		if _, ok := pos[req]; !ok {
			return fail(fmt.Errorf("missing required column %q for %s (header: %v; map it with --columns %s=<header>)",
				req, in.entity, src.header(), req))
		}
	}
	seen := im.seen[in.entity]
	if seen == nil {
		// Size for the file (about 100 bytes a row) so the map rarely grows.
		hint := 1024
		if fi, err := f.Stat(); err == nil {
			hint = max(hint, int(fi.Size()/100))
		}
		seen = newHashSet(hint)
		im.seen[in.entity] = seen
	}
	dups := &dupCheck{set: seen, dup: func(line int, id string) {
		fs.Duplicates++
		im.opts.Log.Warn("duplicate id: the later row replaces the earlier", "file", in.path, "line", line, "entity", in.entity, "id", id)
	}}
	// Runs before the summary is stored (defers run last first).
	defer dups.flush()
	p := &parser{dates: im.dates, amounts: &amountParser{decimalComma: im.opts.DecimalComma}}
	dec := decoderFor(in.entity, pos, p)
	// Exports list a customer's rows together: remember the last customer
	// checked rather than looking every row up.
	lastCustomer := ""
	if !im.derive && in.entity != datasets.EntityCustomers {
		p.knownCustomer = func(id string) bool {
			if id == lastCustomer {
				return true
			}
			if im.known[id] {
				lastCustomer = id
				return true
			}
			return false
		}
	}
	batch := dec.newBatch(im.opts.BatchSize)
	pending := 0
	for n := 0; ; n++ {
		// Checked every 256 rows: a cancellation or a store failure stops
		// the file within a fraction of a millisecond all the same.
		if n&255 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := w.failed(); err != nil {
				return err
			}
		}
		vals, line, err := src.next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			var re *rowError
			if errors.As(err, &re) {
				fs.Read++
				fs.Rejected++
				if err := im.reject(Reject{File: in.path, Line: re.line, Reason: re.reason}); err != nil {
					return err
				}
				continue
			}
			return fail(fmt.Errorf("read line %d: %w", line, err))
		}
		fs.Read++
		p.errs, p.warns = p.errs[:0], p.warns[:0]
		before := batch.Len()
		id, cust := dec.decode(vals, batch)
		if len(p.errs) > 0 {
			fs.Rejected++
			for _, fe := range p.errs {
				if err := im.reject(Reject{File: in.path, Line: line, Field: fe.field, Value: fe.value, Reason: fe.reason}); err != nil {
					return err
				}
			}
			continue
		}
		dups.add(maphash.String(im.seenSeed, id), line, id)
		if in.entity == datasets.EntityCustomers {
			im.known[id] = true
		} else if im.derive && cust != lastCustomer && !im.known[cust] {
			im.known[cust] = true
			c := datasets.Customer{ID: cust}
			if in.entity == datasets.EntityInvoices {
				c = derivedCustomer(&batch.Invoices[len(batch.Invoices)-1])
			}
			batch.Customers = append(batch.Customers, c)
			im.sum.DerivedCustomers++
		}
		if im.derive {
			lastCustomer = cust
		}
		pending += batch.Len() - before
		if pending >= im.opts.BatchSize {
			w.send(batch, fs, dec.count(batch))
			batch, pending = dec.newBatch(im.opts.BatchSize), 0
		}
	}
	if batch.Len() > 0 {
		w.send(batch, fs, dec.count(batch))
	}
	// Wait for this file's batches so its summary is final.
	if err := w.flush(); err != nil {
		return err
	}
	return nil
}

// sourceNames lists, for each canonical column of e, the name to look for in
// the file (the --columns mapping or the canonical name).
func (im *run) sourceNames(e datasets.Entity) []string {
	var names []string
	for _, c := range e.Columns() {
		if m, ok := im.opts.Columns[c]; ok {
			names = append(names, m)
		} else {
			names = append(names, c)
		}
	}
	return names
}

// resolveHeader finds each canonical column in the header, matching names
// case-insensitively. A mapped column is looked up by its export name only.
func (im *run) resolveHeader(head []string) (map[string]int, func(datasets.Entity) []string) {
	at := map[string]int{}
	for i, h := range head {
		k := strings.ToLower(strings.TrimSpace(h))
		if _, dup := at[k]; !dup {
			at[k] = i
		}
	}
	pos := map[string]int{}
	for _, e := range datasets.Entities() {
		for _, c := range e.Columns() {
			name := c
			if m, ok := im.opts.Columns[c]; ok {
				name = m
			}
			if i, ok := at[strings.ToLower(strings.TrimSpace(name))]; ok {
				pos[c] = i
			}
		}
	}
	ignored := func(e datasets.Entity) []string {
		used := map[int]bool{}
		for _, c := range e.Columns() {
			if i, ok := pos[c]; ok {
				used[i] = true
			}
		}
		var out []string
		for i, h := range head {
			if !used[i] {
				out = append(out, h)
			}
		}
		return out
	}
	return pos, ignored
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

func (im *run) reject(r Reject) error {
	if len(im.sum.FirstRejects) < 20 {
		im.sum.FirstRejects = append(im.sum.FirstRejects, r)
	}
	if im.rejects == nil {
		path := im.opts.RejectsPath
		if path == "" {
			path = "dsopilot-rejects-" + im.opts.Now().UTC().Format("20060102T150405") + ".csv"
		}
		f, err := os.Create(path)
		if err != nil {
			return fmt.Errorf("create rejects file: %w", err)
		}
		im.rejectsFile, im.rejects = f, csv.NewWriter(f)
		im.sum.RejectsFile = path
		if err := im.rejects.Write([]string{"file", "line", "field", "value", "reason"}); err != nil {
			return fmt.Errorf("write rejects file: %w", err)
		}
	}
	if err := im.rejects.Write([]string{r.File, fmt.Sprint(r.Line), r.Field, r.Value, r.Reason}); err != nil {
		return fmt.Errorf("write rejects file: %w", err)
	}
	return nil
}

func (im *run) closeRejects() error {
	if im.rejects == nil {
		return nil
	}
	im.rejects.Flush()
	err := errors.Join(im.rejects.Error(), im.rejectsFile.Close())
	im.rejects, im.rejectsFile = nil, nil
	return err
}

// hashSet is a set of 64-bit hashes: open addressing with linear probing
// over one flat slice, kept at most half full. A built-in map of a million
// hashes spends most of the import's parsing time on cache misses; this
// touches one cache line per add.
type hashSet struct {
	slots []uint64 // 0 marks an empty slot
	mask  uint64
	n     int
}

func newHashSet(hint int) *hashSet {
	size := 1024
	for size < 2*hint {
		size *= 2
	}
	return &hashSet{slots: make([]uint64, size), mask: uint64(size - 1)}
}

// add inserts h and reports whether it was new. The hash 0 is stored as 1,
// which makes a false duplicate between those two no likelier than any
// other 64-bit collision.
func (s *hashSet) add(h uint64) bool {
	if h == 0 {
		h = 1
	}
	if 2*(s.n+1) > len(s.slots) {
		s.grow()
	}
	for i := h & s.mask; ; i = (i + 1) & s.mask {
		switch s.slots[i] {
		case h:
			return false
		case 0:
			s.slots[i] = h
			s.n++
			return true
		}
	}
}

func (s *hashSet) grow() {
	old := s.slots
	s.slots = make([]uint64, 2*len(old))
	s.mask = uint64(len(s.slots) - 1)
	for _, h := range old {
		if h == 0 {
			continue
		}
		i := h & s.mask
		for s.slots[i] != 0 {
			i = (i + 1) & s.mask
		}
		s.slots[i] = h
	}
}

// dupCheck adds ids to a hashSet a few dozen at a time: looking all their
// slots up first lets the CPU wait for those cache misses at once rather
// than one after the other, which more than halves the cost of a set
// much larger than the caches. dup is called, in row order, for every id
// seen before; flush before reading the counts.
type dupCheck struct {
	set     *hashSet
	dup     func(line int, id string)
	pending []pendingID
	sink    uint64
}

type pendingID struct {
	h    uint64
	line int
	id   string
}

const dupBatch = 32

func (d *dupCheck) add(h uint64, line int, id string) {
	if d.pending == nil {
		d.pending = make([]pendingID, 0, dupBatch)
	}
	d.pending = append(d.pending, pendingID{h, line, id})
	if len(d.pending) == dupBatch {
		d.flush()
	}
}

func (d *dupCheck) flush() {
	s := d.set
	// Grow first, so that the slots touched are the ones add will use.
	for 2*(s.n+len(d.pending)) > len(s.slots) {
		s.grow()
	}
	var x uint64
	for _, p := range d.pending {
		x += s.slots[p.h&s.mask]
	}
	d.sink += x // keeps the loads
	for _, p := range d.pending {
		if !s.add(p.h) {
			d.dup(p.line, p.id)
		}
	}
	d.pending = d.pending[:0]
}
