package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/dsopilot/dsopilot/datasets"
)

// partFingerprint computes model.Fingerprint of a ledger read in parts,
// without holding it: each part's records are written to a scratch file,
// entity by entity, each entity's by id as the part holds them; Sum then
// merges the parts by id per entity into the hash, which so sees the
// records in the order one ledger of them all gives (every slice sorted by
// id). Disk, not memory, holds the ledger's records meanwhile.
type partFingerprint struct {
	dir   string
	files []string
}

// newPartFingerprint makes the scratch directory; Close removes it.
func newPartFingerprint() (*partFingerprint, error) {
	dir, err := os.MkdirTemp("", "dsopilot-fingerprint-")
	if err != nil {
		return nil, fmt.Errorf("fingerprint: %w", err)
	}
	return &partFingerprint{dir: dir}, nil
}

func (f *partFingerprint) Close() error { return os.RemoveAll(f.dir) }

// idPosition is the position of e's id in its records.
func idPosition(e datasets.Entity) int {
	d := datasets.Describe(e)
	for i, c := range d.Columns() {
		if c.Name == d.IDColumn() {
			return i
		}
	}
	return 0
}

// Add writes the records of part l, whose slices must be sorted by id.
func (f *partFingerprint) Add(l *datasets.Ledger) error {
	path := filepath.Join(f.dir, fmt.Sprintf("part-%d", len(f.files)))
	out, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("fingerprint: %w", err)
	}
	w := bufio.NewWriterSize(out, 1<<16)
	var buf [binary.MaxVarintLen64]byte
	put := func(n int) { w.Write(buf[:binary.PutUvarint(buf[:], uint64(n))]) }
	for _, e := range datasets.Entities() {
		d := datasets.Describe(e)
		put(d.Len(l))
		idAt, prev, first := idPosition(e), "", true
		d.EachRecord(l, func(rec []string) {
			if id := rec[idAt]; first || id > prev {
				prev, first = id, false
			} else if err == nil {
				err = fmt.Errorf("fingerprint: part %d: %s id %q follows %q: not sorted by id", len(f.files), e, id, prev)
			}
			put(len(rec))
			for _, s := range rec {
				put(len(s))
				w.WriteString(s)
			}
		})
	}
	if ferr := w.Flush(); err == nil {
		err = ferr
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("fingerprint: %w", err)
	}
	f.files = append(f.files, path)
	return nil
}

// recordReader reads the records partFingerprint.Add wrote.
type recordReader struct {
	r    *bufio.Reader
	left int // records of the current entity not yet read
	rec  []string
	ok   bool
}

func (r *recordReader) uvarint() (int, error) {
	n, err := binary.ReadUvarint(r.r)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return int(n), err
}

// entity starts the next entity's records.
func (r *recordReader) entity() error {
	n, err := r.uvarint()
	r.left = n
	return err
}

// next reads the entity's next record into rec; ok is false after its last.
func (r *recordReader) next() error {
	r.ok = r.left > 0
	if !r.ok {
		return nil
	}
	r.left--
	n, err := r.uvarint()
	if err != nil {
		return err
	}
	r.rec = r.rec[:0]
	for range n {
		m, err := r.uvarint()
		if err != nil {
			return err
		}
		b := make([]byte, m)
		if _, err := io.ReadFull(r.r, b); err != nil {
			return err
		}
		r.rec = append(r.rec, string(b))
	}
	return nil
}

// Sum is model.Fingerprint of the ledger of every part added.
func (f *partFingerprint) Sum() (string, error) {
	rs := make([]*recordReader, len(f.files))
	for i, p := range f.files {
		in, err := os.Open(p)
		if err != nil {
			return "", fmt.Errorf("fingerprint: %w", err)
		}
		defer in.Close()
		rs[i] = &recordReader{r: bufio.NewReaderSize(in, 1<<16)}
	}
	h := sha256.New()
	for _, e := range datasets.Entities() {
		idAt := idPosition(e)
		for i, r := range rs {
			if err := r.entity(); err != nil {
				return "", fmt.Errorf("fingerprint: read part %d: %w", i, err)
			}
			if err := r.next(); err != nil {
				return "", fmt.Errorf("fingerprint: read part %d: %w", i, err)
			}
		}
		for {
			// The part whose next record has the least id; ids are unique
			// across parts (each record is in one), so no tie is left to
			// an order.
			m := -1
			for i, r := range rs {
				if r.ok && (m < 0 || r.rec[idAt] < rs[m].rec[idAt]) {
					m = i
				}
			}
			if m < 0 {
				break
			}
			h.Write([]byte(e))
			for _, s := range rs[m].rec {
				h.Write([]byte{0})
				h.Write([]byte(s))
			}
			h.Write([]byte{'\n'})
			if err := rs[m].next(); err != nil {
				return "", fmt.Errorf("fingerprint: read part %d: %w", m, err)
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
