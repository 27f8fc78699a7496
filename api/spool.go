package api

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/gob"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
)

// spool is the on-disk queue of acknowledged batches the store could not
// take. A batch is one file, written to a temporary name, fsynced, renamed
// and the directory fsynced before append returns, so an acknowledged
// batch survives a crash of the process or the machine. Files are named by
// a sequence that only grows (also across restarts), which is the replay
// order. Each file holds a magic line, the CRC-32 and length of its
// payload, and the gob-encoded batch.
type spool struct {
	dir     string
	mu      sync.Mutex
	entries []spoolEntry
	seq     uint64
}

type spoolEntry struct {
	ID   string `json:"id"`
	Rows int    `json:"rows"`
	seq  uint64
}

const spoolMagic = "dsopilot-spool-1\n"

func (e spoolEntry) file() string { return fmt.Sprintf("%020d.r%d.spool", e.seq, e.Rows) }

func spoolID(seq uint64) string { return "spool-" + strconv.FormatUint(seq, 10) }

// openSpool reads the spool directory dir (creating it), removing the
// temporary files a crash may have left.
func openSpool(dir string) (*spool, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	des, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	s := &spool{dir: dir}
	for _, de := range des {
		name := de.Name()
		if strings.HasSuffix(name, ".tmp") {
			os.Remove(filepath.Join(dir, name))
			continue
		}
		base, ok := strings.CutSuffix(name, ".spool")
		if !ok {
			continue
		}
		seqPart, rowsPart, ok := strings.Cut(base, ".r")
		seq, err1 := strconv.ParseUint(seqPart, 10, 64)
		rows, err2 := strconv.Atoi(rowsPart)
		if !ok || err1 != nil || err2 != nil {
			continue
		}
		s.entries = append(s.entries, spoolEntry{ID: spoolID(seq), Rows: rows, seq: seq})
		s.seq = max(s.seq, seq)
	}
	slices.SortFunc(s.entries, func(a, b spoolEntry) int { return compareUint(a.seq, b.seq) })
	return s, nil
}

func compareUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// append writes b durably and returns its entry.
func (s *spool) append(b *datasets.Ledger) (spoolEntry, error) {
	var payload bytes.Buffer
	if err := gob.NewEncoder(&payload).Encode(b); err != nil {
		return spoolEntry{}, fmt.Errorf("spool: encode batch: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// Sequence numbers start from the clock so they keep growing after a
	// restart that found the spool empty.
	s.seq = max(s.seq+1, uint64(time.Now().UnixNano()))
	e := spoolEntry{ID: spoolID(s.seq), Rows: b.Len(), seq: s.seq}
	final := filepath.Join(s.dir, e.file())
	tmp := final + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return spoolEntry{}, fmt.Errorf("spool: %w", err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	var head [12]byte
	binary.LittleEndian.PutUint32(head[:4], crc32.ChecksumIEEE(payload.Bytes()))
	binary.LittleEndian.PutUint64(head[4:], uint64(payload.Len()))
	w.WriteString(spoolMagic)
	w.Write(head[:])
	w.Write(payload.Bytes())
	err = w.Flush()
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, final)
	}
	if err == nil {
		err = syncDir(s.dir)
	}
	if err != nil {
		os.Remove(tmp)
		return spoolEntry{}, fmt.Errorf("spool: write %s: %w", e.ID, err)
	}
	s.entries = append(s.entries, e)
	return e, nil
}

// head returns the oldest entry.
func (s *spool) head() (spoolEntry, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.entries) == 0 {
		return spoolEntry{}, false
	}
	return s.entries[0], true
}

// empty reports whether nothing waits.
func (s *spool) empty() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.entries) == 0
}

// depth is the number of batches and records waiting.
func (s *spool) depth() (batches, rows int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.entries {
		rows += e.Rows
	}
	return len(s.entries), rows
}

// list returns the waiting entries, oldest first.
func (s *spool) list() []spoolEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.entries)
}

// read decodes entry e.
func (s *spool) read(e spoolEntry) (*datasets.Ledger, error) {
	f, err := os.Open(filepath.Join(s.dir, e.file()))
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	magic := make([]byte, len(spoolMagic))
	var head [12]byte
	if _, err := io.ReadFull(r, magic); err != nil || string(magic) != spoolMagic {
		return nil, fmt.Errorf("%w: %s: bad header", errSpoolCorrupt, e.ID)
	}
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", errSpoolCorrupt, e.ID, err)
	}
	n := binary.LittleEndian.Uint64(head[4:])
	payload := make([]byte, n)
	if _, err := io.ReadFull(r, payload); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", errSpoolCorrupt, e.ID, err)
	}
	if crc32.ChecksumIEEE(payload) != binary.LittleEndian.Uint32(head[:4]) {
		return nil, fmt.Errorf("%w: %s: checksum mismatch", errSpoolCorrupt, e.ID)
	}
	var b datasets.Ledger
	if err := gob.NewDecoder(bytes.NewReader(payload)).Decode(&b); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", errSpoolCorrupt, e.ID, err)
	}
	return &b, nil
}

// remove deletes entry e once the store has it.
func (s *spool) remove(e spoolEntry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := os.Remove(filepath.Join(s.dir, e.file())); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("spool: %w", err)
	}
	s.entries = slices.DeleteFunc(s.entries, func(x spoolEntry) bool { return x.seq == e.seq })
	return syncDir(s.dir)
}

// quarantine moves a damaged entry aside (dir/damaged) so the replay goes on.
func (s *spool) quarantine(e spoolEntry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	dst := filepath.Join(s.dir, "damaged")
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	if err := os.Rename(filepath.Join(s.dir, e.file()), filepath.Join(dst, e.file())); err != nil {
		return err
	}
	s.entries = slices.DeleteFunc(s.entries, func(x spoolEntry) bool { return x.seq == e.seq })
	return syncDir(s.dir)
}
