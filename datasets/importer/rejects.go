package importer

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
)

// rejects writes rejected rows as CSV (file, line, field, value, reason).
// The file is created before anything loads, so that an unwritable path is
// known at once; rejects then go to the fallback writer (stderr for the
// command line) and the summary says so. A write that fails midway moves
// to the fallback too: a reject is never a reason to stop loading good rows.
type rejects struct {
	path     string
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
	path := o.RejectsPath
	if path == "" {
		dir := o.RejectsDir
		if dir == "" {
			dir = os.TempDir()
		}
		path = filepath.Join(dir, "dsopilot-rejects-"+o.Now().UTC().Format("20060102T150405")+".csv")
	}
	fb := o.RejectsFallback
	if fb == nil {
		fb = io.Discard
	}
	return &rejects{path: path, fallback: fb, sum: sum, log: o.Log}
}

var rejectsHeader = []string{"file", "line", "field", "value", "reason"}

// open creates the rejects file, or falls back when it cannot.
func (r *rejects) open() error {
	f, err := os.Create(r.path)
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
