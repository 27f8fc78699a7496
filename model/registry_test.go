package model

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dsopilot/dsopilot/features"
)

// An id that is not one directory name inside the registry is refused, for
// loading and for promotion alike.
func TestRegistryRefusesIDsOutsideIt(t *testing.T) {
	dir := t.TempDir()
	outside := filepath.Join(dir, "outside")
	if err := os.MkdirAll(outside, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(outside, "meta.json"), []byte(`{"id":"x"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	r := Registry{Dir: filepath.Join(dir, "models")}
	for _, id := range []string{"../outside", "../../etc", "a/b", `a\b`, ".", "..", ".hidden", ""} {
		if _, _, err := r.Load(id); id != "" && !errors.Is(err, ErrBadModelID) {
			t.Errorf("Load(%q) = %v, want ErrBadModelID", id, err)
		}
		if err := r.Promote(id); !errors.Is(err, ErrBadModelID) {
			t.Errorf("Promote(%q) = %v, want ErrBadModelID", id, err)
		}
	}
}

// Registering writes the whole entry or nothing: a leftover hidden
// directory from an interrupted registration is not listed, a damaged entry
// of the same id is replaced, and registering again changes nothing.
func TestRegisterIsWholeOrNothing(t *testing.T) {
	dir := t.TempDir()
	r := Registry{Dir: dir}
	b := &Bundle{Champion: "gbdt", Options: BundleOptions{AsOf: "2024-01-31"}}
	if err := os.MkdirAll(filepath.Join(dir, ".2024-01-31-x.tmp-1"), 0o755); err != nil {
		t.Fatal(err)
	}
	m, err := r.Register(b, "abc", "test", time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	list, _, err := r.List()
	if err != nil || len(list) != 1 || list[0].ID != m.ID {
		t.Fatalf("List = %+v, %v; want only %s", list, err, m.ID)
	}
	// Damage the entry: registering the same model again restores it.
	if err := os.Remove(filepath.Join(dir, m.ID, "meta.json")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.Load(m.ID); !errors.Is(err, ErrNoModel) {
		t.Fatalf("a damaged entry loads: %v", err)
	}
	again, err := r.Register(b, "abc", "test", time.Unix(0, 0))
	if err != nil || again.ID != m.ID {
		t.Fatalf("register again: %s, %v", again.ID, err)
	}
	if _, _, err := r.Load(m.ID); err != nil {
		t.Fatalf("the entry was not restored: %v", err)
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".*"))
	if len(left) != 1 { // only the stale one planted above
		t.Errorf("temporary directories left behind: %v", left)
	}
}

// A model trained on another version of the feature catalogue does not
// load: its weights were learnt on definitions this build no longer
// computes (version 3 changed invoices_settled and the late counts), so
// its scores would be wrong with nothing to say so.
func TestAModelOfAnotherCatalogueDoesNotLoad(t *testing.T) {
	dir := t.TempDir()
	r := Registry{Dir: dir}
	m, err := r.Register(&Bundle{Champion: "gbdt", Options: BundleOptions{AsOf: "2024-01-31"}}, "abc", "test", time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.Load(m.ID); err != nil {
		t.Fatalf("this build's model: %v", err)
	}
	path := filepath.Join(dir, m.ID, "meta.json")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	old := strings.Replace(string(raw), `"catalogue_version": "`+features.CatalogueVersion+`"`, `"catalogue_version": "2"`, 1)
	if old == string(raw) {
		t.Fatalf("meta.json %s has no catalogue_version %q", raw, features.CatalogueVersion)
	}
	if err := os.WriteFile(path, []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.Load(m.ID); !errors.Is(err, ErrStaleModel) || !strings.Contains(err.Error(), `version "2"`) {
		t.Fatalf("a version-2 model loads: %v", err)
	}
}
