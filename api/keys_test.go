package api

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A revoked key is refused by a running server, once it has reread the
// keys file (every PollEvery), with a problem that says it was revoked;
// the other keys go on working, and a wrong secret under the revoked
// key's id learns nothing.
func TestRevokedKeyIsRefused(t *testing.T) {
	ts := newTestServer(t, nil)
	path := "/v1/models"
	expect(t, ts.do(req{method: "GET", path: path, role: "viewer"}), 200)
	id, _ := keyID(ts.keys["viewer"])
	k, already, err := RevokeKey(ts.cfg.KeysPath, id[:6], time.Now())
	if err != nil || already || k.ID != id || k.Revoked == nil {
		t.Fatalf("revoke %s: %+v %v %v", id, k, already, err)
	}
	waitFor(t, "the server to refuse the revoked key", func() bool {
		return ts.do(req{method: "GET", path: path, role: "viewer"}).Code == 401
	})
	p := problemOf(t, ts.do(req{method: "GET", path: path, role: "viewer"}), 401)
	if !strings.HasSuffix(p.Type, "/key-revoked") || !strings.Contains(p.Detail, "revoked") || !strings.Contains(p.Detail, id) {
		t.Fatalf("problem %+v does not say the key %s was revoked", p, id)
	}
	expect(t, ts.do(req{method: "GET", path: path, role: "collector"}), 200)
	wrong := ts.keys["viewer"][:len(ts.keys["viewer"])-2] + "xx"
	if p := problemOf(t, ts.do(req{method: "GET", path: path, role: wrong}), 401); strings.Contains(p.Detail, "revoked") {
		t.Fatalf("a wrong secret learns the key was revoked: %s", p.Detail)
	}
	// Revoking twice changes nothing; the name can have a new key.
	if _, already, err := RevokeKey(ts.cfg.KeysPath, id, time.Now()); err != nil || !already {
		t.Fatalf("second revoke: %v %v", already, err)
	}
	if _, _, err := CreateKey(ts.cfg.KeysPath, "test-viewer", RoleViewer, time.Now()); err != nil {
		t.Fatalf("a new key for a revoked key's name: %v", err)
	}
}

func TestRevokeKeyReferences(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.json")
	var ids []string
	for _, name := range []string{"a", "b", "c"} {
		_, k, err := CreateKey(path, name, RoleViewer, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, k.ID)
	}
	// Two ids sharing a start, so that the start is ambiguous.
	f, err := readKeysFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f.Keys[1].ID, f.Keys[2].ID = "abcd00000001", "abcd00000002"
	if err := writeKeysFile(path, f); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		ref, want, err string
	}{
		{ref: "abc", err: "at least its first 4"},
		{ref: "abcd", err: "give more of it"},
		{ref: "ffffffffffff", err: "no key"},
		{ref: "dso_abcd00000002", want: "abcd00000002"},
		{ref: "dso_abcd00000001_" + strings.Repeat("A", 43), want: "abcd00000001"},
		{ref: ids[0][:5], want: ids[0]},
	} {
		k, _, err := RevokeKey(path, c.ref, time.Now())
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%q: %v, want an error saying %q", c.ref, err, c.err)
		case c.err == "" && (err != nil || k.ID != c.want):
			t.Errorf("%q: revoked %q (%v), want %q", c.ref, k.ID, err, c.want)
		}
	}
	keys, err := LoadKeys(path)
	if err != nil {
		t.Fatal(err)
	}
	if n := keys.Len(); n != 0 {
		t.Fatalf("%d keys in force after revoking all three", n)
	}
}

// TestConcurrentKeyChangesAreAllKept: key commands run at the same moment
// (two operators, or a script) each keep their change: every key created
// is in the file, and a revocation made meanwhile is not undone.
func TestConcurrentKeyChangesAreAllKept(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.json")
	_, first, err := CreateKey(path, "first", RoleViewer, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	const n = 24
	errs := make(chan error, n+1)
	for i := range n {
		go func() {
			_, _, err := CreateKey(path, fmt.Sprintf("k%02d", i), RoleCollector, time.Now())
			errs <- err
		}()
	}
	go func() {
		_, _, err := RevokeKey(path, first.ID, time.Now())
		errs <- err
	}()
	for range n + 1 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	keys, err := ListKeys(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != n+1 {
		t.Fatalf("%d keys in the file, want %d: changes made at once were lost", len(keys), n+1)
	}
	for _, k := range keys {
		if k.ID == first.ID && k.Revoked == nil {
			t.Fatal("the revocation was overwritten by a key created at the same moment")
		}
	}
}
