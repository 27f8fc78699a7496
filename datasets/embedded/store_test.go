package embedded

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) (datasets.Store, func() datasets.Store) {
		dir := t.TempDir()
		s, err := Open(context.Background(), dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		cur := s
		t.Cleanup(func() { cur.Close() })
		reopen := func() datasets.Store {
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
	})
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
	full := encodeInvoice(nil, &storetest.Sample().Invoices[0])
	for n := 0; n < len(full); n++ {
		if _, err := decodeInvoice(full[:n]); err == nil {
			t.Fatalf("decoding %d of %d bytes succeeded", n, len(full))
		}
	}
	if _, err := decodeInvoice(full); err != nil {
		t.Fatalf("decoding the full record: %v", err)
	}
}
