package importer

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// rejects writes rejected rows as CSV (file, line, field, value, reason).
// The file is created before anything loads, so that an unwritable path is
// known at once; rejects then go to the fallback writer (stderr for the
// command line) and the summary says so. A write that fails midway moves
// to the fallback too: a reject is never a reason to stop loading good rows.
type rejects struct {
	path string
	// unique: path is a default name (of the time, to the second) that
	// another import may have taken; open then picks a free one, never
	// truncating a file it did not create.
	unique   bool
	fallback io.Writer
	sum      *Summary
	log      interface{ Warn(string, ...any) }

	f     *os.File
	w     *csv.Writer
	n     int
	note  string // where the rejects went when not (only) to path
	moved bool   // writing moved to the fallback
}

func newRejects(o Options, sum *Summary) *rejects {
	path, unique := o.RejectsPath, false
	if path == "" {
		dir := o.RejectsDir
		if dir == "" {
			dir = os.TempDir()
		}
		path = filepath.Join(dir, "dsopilot-rejects-"+o.Now().UTC().Format("20060102T150405")+".csv")
		unique = true
	}
	fb := o.RejectsFallback
	if fb == nil {
		fb = io.Discard
	}
	return &rejects{path: path, unique: unique, fallback: fb, sum: sum, log: o.Log}
}

// maxSuffix bounds the numbered names tried for a default rejects file
// before a random one.
const maxSuffix = 100

// create creates the rejects file. A path the user named is theirs to
// overwrite; a default name is only ever created anew (O_EXCL): when an
// import of the same second holds it, the next free name-2.csv, name-3.csv
// ... is taken, so that no import's rejects are lost to another's.
func (r *rejects) create() (*os.File, error) {
	if !r.unique {
		return os.Create(r.path)
	}
	base := strings.TrimSuffix(r.path, ".csv")
	for i := 1; i <= maxSuffix; i++ {
		p := r.path
		if i > 1 {
			p = fmt.Sprintf("%s-%d.csv", base, i)
		}
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil {
			r.path = p
			return f, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
	}
	// CreateTemp also creates with O_EXCL, under a random name.
	f, err := os.CreateTemp(filepath.Dir(r.path), filepath.Base(base)+"-*.csv")
	if err != nil {
		return nil, err
	}
	r.path = f.Name()
	return f, nil
}

var rejectsHeader = []string{"file", "line", "field", "value", "reason"}

// open creates the rejects file, or falls back when it cannot.
func (r *rejects) open() error {
	f, err := r.create()
	if err != nil {
		r.log.Warn("rejects file cannot be written: rejects go to stderr", "path", r.path, "err", err)
		r.note = fmt.Sprintf("stderr (%s could not be written: %v)", r.path, unwrapPath(err))
		r.toFallback()
		return nil
	}
	r.f, r.w = f, csv.NewWriter(f)
	return r.w.Write(rejectsHeader)
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func (r *rejects) toFallback() {
	r.moved = true
	r.w = csv.NewWriter(r.fallback)
	r.w.Write(rejectsHeader)
}

// add records one reject.
func (r *rejects) add(rj Reject) {
	if len(r.sum.FirstRejects) < 20 {
		r.sum.FirstRejects = append(r.sum.FirstRejects, rj)
	}
	r.n++
	rec := []string{rj.File, strconv.Itoa(rj.Line), rj.Field, clip(rj.Value, 1024), rj.Reason}
	if err := r.w.Write(rec); err != nil {
		r.failed(err)
		r.w.Write(rec)
	}
}

// failed moves writing to the fallback after the file failed.
func (r *rejects) failed(err error) {
	if r.moved {
		return
	}
	r.log.Warn("rejects file write failed: the remaining rejects go to stderr", "path", r.path, "err", err)
	r.note = fmt.Sprintf("%s (incomplete: %v) and stderr", r.path, unwrapPath(err))
	r.toFallback()
}

// close flushes the rejects and removes the file when nothing was
// rejected; the summary then names where the rejects are.
func (r *rejects) close() error {
	if r.w == nil {
		return nil
	}
	r.w.Flush()
	err := r.w.Error()
	if err != nil && !r.moved {
		r.failed(err)
	}
	if r.f != nil {
		if cerr := r.f.Close(); cerr != nil && err == nil {
			err = cerr
			if !r.moved {
				r.note = fmt.Sprintf("%s (incomplete: %v)", r.path, unwrapPath(cerr))
			}
		}
		if r.n == 0 {
			os.Remove(r.path)
		}
	}
	r.w, r.f = nil, nil
	switch {
	case r.n == 0:
		r.sum.RejectsFile = ""
	case r.note != "":
		r.sum.RejectsFile = r.note
	default:
		r.sum.RejectsFile = r.path
	}
	return err
}

// clip shortens s to at most n bytes for a message, marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + fmt.Sprintf("... (%d bytes)", len(s))
}
