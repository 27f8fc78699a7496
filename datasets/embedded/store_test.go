package embedded

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) (datasets.Store, func() datasets.Store) {
		s, reopen := openReopenable(t)
		return s, func() datasets.Store { return reopen() }
	})
}

// openReopenable opens a store in a fresh directory; reopen closes the
// store in use and opens the directory again (both closed at the test's
// end). The conformance suites use it.
func openReopenable(t *testing.T) (*Store, func() *Store) {
	t.Helper()
	dir := t.TempDir()
	s, err := Open(context.Background(), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	cur := s
	t.Cleanup(func() { cur.Close() })
	reopen := func() *Store {
		if err := cur.Close(); err != nil {
			t.Fatalf("close: %v", err)
		}
		n, err := Open(context.Background(), dir, nil)
		if err != nil {
			t.Fatalf("reopen: %v", err)
		}
		cur = n
		return n
	}
	return s, reopen
}

func TestSecondOpenOfALockedStoreFailsClearly(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(context.Background(), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, err = Open(context.Background(), dir, nil)
	if err == nil {
		t.Fatal("second open of a locked store succeeded")
	}
	if want := "locked by another dsopilot process"; !strings.Contains(err.Error(), want) {
		t.Fatalf("error %q does not say %q", err, want)
	}
	// Which process, and what to do.
	if runtime.GOOS == "linux" {
		if want := fmt.Sprintf("(pid %d: ", os.Getpid()); !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name the holder %q", err, want)
		}
	}
	if want := "stop that process or wait until it is done"; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not say %q", err, want)
	}
}

func TestNewerSchemaIsRefused(t *testing.T) {
	dir := t.TempDir()
	db, err := bolt.Open(filepath.Join(dir, FileName), 0o644, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket([]byte(metaBucket))
		if err != nil {
			return err
		}
		return b.Put([]byte(schemaVersionKey), []byte("99"))
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	_, err = Open(context.Background(), dir, nil)
	if !errors.Is(err, datasets.ErrSchema) {
		t.Fatalf("open of schema 99 = %v, want ErrSchema", err)
	}
}

func TestEmptyIDIsRejected(t *testing.T) {
	s, err := Open(context.Background(), t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	err = s.Put(context.Background(), &datasets.Ledger{Invoices: []datasets.Invoice{{CustomerID: "C1"}}})
	if !errors.Is(err, datasets.ErrInvalid) {
		t.Fatalf("put with empty id = %v, want ErrInvalid", err)
	}
	c, _ := s.Counts(context.Background())
	if c.Invoices != 0 {
		t.Fatalf("a failed put left %d invoices", c.Invoices)
	}
}

func TestCodecRejectsTruncatedRecords(t *testing.T) {
	c := newCodec(datasets.InvoicesSchema(), 11)
	full := c.encode(nil, &storetest.Sample().Invoices[0])
	for n := 0; n < len(full); n++ {
		if _, err := c.decode(full[:n]); err == nil {
			t.Fatalf("decoding %d of %d bytes succeeded", n, len(full))
		}
	}
	if _, err := c.decode(append(full, 0)); err == nil {
		t.Fatal("decoding a record with a trailing byte succeeded")
	}
	got, err := c.decode(full)
	if err != nil || got != storetest.Sample().Invoices[0] {
		t.Fatalf("decoding the full record = %+v, %v", got, err)
	}
}

// TestCodecReadsFewerAndRefusesMoreFields: a record written before a field
// was added reads it as unset; one written by a build that knows more
// fields is refused, not silently cut.
func TestCodecReadsFewerAndRefusesMoreFields(t *testing.T) {
	c := newCodec(datasets.ActionsSchema(), 7)
	a := storetest.Sample().Actions[0]
	short := codec[datasets.Action]{fields: c.fields[:len(c.fields)-2]}
	got, err := c.decode(short.encode(nil, &a))
	want := a
	want.Policy, want.Propensity = "", 0
	if err != nil || got != want {
		t.Fatalf("decoding a record of fewer fields = %+v, %v; want %+v", got, err, want)
	}
	long := c.encode(nil, &a)
	long[1]++ // one field more than this build knows
	if _, err := c.decode(append(long, 0)); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("decoding a record of more fields: %v, want an error about a newer build", err)
	}
}

// v1Store unpacks testdata/v1-sample-ledger.db.gz, storetest.Sample() as
// dsopilot wrote it with schema version 1 (before financials, collector,
// policy and propensity), into a new store directory.
func v1Store(t *testing.T) string {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "v1-sample-ledger.db.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	out, err := os.Create(filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, zr); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

// v1Sample is storetest.Sample() without what version 1 could not hold.
func v1Sample() *datasets.Ledger {
	l := storetest.Sample()
	for i := range l.Customers {
		l.Customers[i].Collector, l.Customers[i].CreditLimitBlank = "", false
	}
	for i := range l.Actions {
		l.Actions[i].Policy, l.Actions[i].Propensity = "", 0
	}
	l.Financials = nil
	return l
}

func TestVersion1StoreIsReadAndUpgraded(t *testing.T) {
	ctx := context.Background()
	dir := v1Store(t)
	ro, err := OpenReadOnly(ctx, dir, nil)
	if err != nil {
		t.Fatalf("read-only open of a version-1 store: %v", err)
	}
	got, err := ro.Load(ctx)
	ro.Close()
	if err != nil || !reflect.DeepEqual(got, v1Sample()) {
		t.Fatalf("version-1 store read as %+v, %v;\nwant %+v", got, err, v1Sample())
	}
	s, err := Open(ctx, dir, nil)
	if err != nil {
		t.Fatalf("open for writing: %v", err)
	}
	defer s.Close()
	if err := s.Put(ctx, &datasets.Ledger{Financials: storetest.Sample().Financials}); err != nil {
		t.Fatalf("put into the upgraded store: %v", err)
	}
	got, err = s.Load(ctx)
	want := v1Sample()
	want.Financials = storetest.Sample().Financials
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("upgraded store read as %+v, %v", got, err)
	}
	var v []byte
	s.db.View(func(tx *bolt.Tx) error {
		v = append(v, tx.Bucket([]byte(metaBucket)).Get([]byte(schemaVersionKey))...)
		return nil
	})
	if string(v) != strconv.Itoa(schemaVersion) {
		t.Fatalf("schema version after upgrade = %q, want %d", v, schemaVersion)
	}
}

func TestReadOnlyOpen(t *testing.T) {
	ctx := context.Background()
	t.Run("MissingStoreIsNotCreated", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "typo")
		if _, err := OpenReadOnly(ctx, dir, nil); !errors.Is(err, datasets.ErrNotFound) {
			t.Fatalf("read-only open of a missing store: %v, want ErrNotFound", err)
		}
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("the read-only open created %s: %v", dir, err)
		}
	})
	t.Run("ReadersShareAndRefuseWrites", func(t *testing.T) {
		dir := t.TempDir()
		w, err := Open(ctx, dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Put(ctx, storetest.Sample()); err != nil {
			t.Fatal(err)
		}
		w.Close()
		a, err := OpenReadOnly(ctx, dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		b, err := OpenReadOnly(ctx, dir, nil)
		if err != nil {
			t.Fatalf("second reader: %v", err)
		}
		defer b.Close()
		if c, err := b.Counts(ctx); err != nil || c != storetest.Sample().Counts() {
			t.Fatalf("counts = %+v, %v", c, err)
		}
		if err := a.Put(ctx, storetest.Sample()); err == nil {
			t.Fatal("put on a read-only store succeeded")
		}
		if _, err := Open(ctx, dir, nil); err == nil {
			t.Fatal("a writer opened a store that readers hold")
		}
	})
	t.Run("ReadOnlyFile", func(t *testing.T) {
		dir := t.TempDir()
		w, err := Open(ctx, dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		w.Close()
		path := filepath.Join(dir, FileName)
		// Root ignores permission bits, so a 0444 file alone proves nothing
		// there; the descriptor's access mode, read back from /proc, does.
		if err := os.Chmod(path, 0o444); err != nil {
			t.Fatal(err)
		}
		r, err := OpenReadOnly(ctx, dir, nil)
		if err != nil {
			t.Fatalf("read-only open of a read-only file: %v", err)
		}
		defer r.Close()
		modes := openModes(t, path)
		if len(modes) == 0 {
			t.Fatalf("no open descriptor of %s found in /proc/self/fd", path)
		}
		for _, m := range modes {
			if m&syscall.O_ACCMODE != syscall.O_RDONLY {
				t.Errorf("%s is open with flags %#o, want read-only", path, m)
			}
		}
	})
}

// openModes returns the open flags of this process's descriptors of path,
// read from /proc/self/fdinfo.
func openModes(t *testing.T, path string) []int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatalf("list descriptors: %v", err)
	}
	var modes []int
	for _, fd := range fds {
		target, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name()))
		if err != nil || target != path {
			continue
		}
		info, err := os.ReadFile(filepath.Join("/proc/self/fdinfo", fd.Name()))
		if err != nil {
			t.Fatalf("read fdinfo of %s: %v", fd.Name(), err)
		}
		for _, line := range strings.Split(string(info), "\n") {
			if v, ok := strings.CutPrefix(line, "flags:"); ok {
				m, err := strconv.ParseInt(strings.TrimSpace(v), 8, 64)
				if err != nil {
					t.Fatalf("fdinfo flags %q: %v", v, err)
				}
				modes = append(modes, int(m))
			}
		}
	}
	return modes
}
