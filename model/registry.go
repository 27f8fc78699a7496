package model

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
)

// Meta describes a registered model. Everything in it follows from the
// data, the options and the build, so that retraining on the same data with
// the same seed writes identical files (the registration time is kept apart).
type Meta struct {
	ID               string      `json:"id"`
	Champion         string      `json:"champion"`
	Features         []string    `json:"features"`
	CatalogueVersion string      `json:"catalogue_version"`
	TrainWindow      [2]string   `json:"train_window"`
	DataFingerprint  string      `json:"data_fingerprint"`
	Seed             uint64      `json:"seed"`
	BuildVersion     string      `json:"build_version"`
	Validation       Metrics     `json:"validation"`
	Candidates       []Candidate `json:"candidates"`
	TrainExamples    int         `json:"train_examples"`
	ValidExamples    int         `json:"valid_examples"`
}

// Registry is a directory of versioned models: DIR/<id>/{bundle.json,
// meta.json, registered_at} and DIR/PROMOTED naming the model in service.
type Registry struct{ Dir string }

// Fingerprint hashes a ledger's records (each slice in id order, as stores
// load them), so a model records exactly which data it learned from.
func Fingerprint(l *datasets.Ledger) string {
	h := sha256.New()
	l.EachRecord(func(e datasets.Entity, rec []string) {
		h.Write([]byte(e))
		for _, f := range rec {
			h.Write([]byte{0})
			h.Write([]byte(f))
		}
		h.Write([]byte{'\n'})
	})
	return hex.EncodeToString(h.Sum(nil))
}

// Register writes b with its metadata and returns the model id: a hash of
// the model and its metadata, so the same training gives the same id.
func (r Registry) Register(b *Bundle, fingerprint, build string, now time.Time) (Meta, error) {
	body, err := json.MarshalIndent(b, "", " ")
	if err != nil {
		return Meta{}, fmt.Errorf("encode model: %w", err)
	}
	var names []string
	for _, s := range features.InvoiceSpecs(b.Options.Features) {
		names = append(names, s.Name)
	}
	m := Meta{Champion: b.Champion, Features: names, CatalogueVersion: features.CatalogueVersion, TrainWindow: b.TrainWindow,
		DataFingerprint: fingerprint, Seed: b.Options.Seed, BuildVersion: build, Validation: b.Validation, Candidates: b.Candidates,
		TrainExamples: b.TrainExample, ValidExamples: b.ValidExample}
	h := sha256.New()
	h.Write(body)
	mb, _ := json.Marshal(m)
	h.Write(mb)
	m.ID = b.Options.AsOf + "-" + hex.EncodeToString(h.Sum(nil))[:10]
	meta, err := json.MarshalIndent(m, "", " ")
	if err != nil {
		return Meta{}, fmt.Errorf("encode model metadata: %w", err)
	}
	if err := os.MkdirAll(r.Dir, 0o755); err != nil {
		return Meta{}, fmt.Errorf("create registry: %w", err)
	}
	// The entry is written whole into a hidden directory, every file synced,
	// then renamed into place: a crash leaves either no entry or all of it.
	tmp, err := os.MkdirTemp(r.Dir, "."+m.ID+".tmp-")
	if err != nil {
		return Meta{}, fmt.Errorf("create model directory: %w", err)
	}
	defer os.RemoveAll(tmp) // gone once renamed
	for _, f := range []struct {
		name string
		data []byte
	}{{"bundle.json", body}, {"meta.json", meta}, {"registered_at", []byte(now.UTC().Format(time.RFC3339) + "\n")}} {
		if err := writeSynced(filepath.Join(tmp, f.name), f.data); err != nil {
			return Meta{}, err
		}
	}
	if err := syncDir(tmp); err != nil {
		return Meta{}, err
	}
	dir := filepath.Join(r.Dir, m.ID)
	if old, err := os.ReadFile(filepath.Join(dir, "bundle.json")); err == nil && bytes.Equal(old, body) {
		if _, err := r.meta(m.ID); err == nil {
			// The same training registered again: the id hashes the model
			// and its metadata, so the entry already holds it.
			return m, nil
		}
	}
	if err := os.RemoveAll(dir); err != nil { // a damaged entry of the same id
		return Meta{}, fmt.Errorf("replace model directory: %w", err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		return Meta{}, fmt.Errorf("register model: %w", err)
	}
	if err := syncDir(r.Dir); err != nil {
		return Meta{}, err
	}
	return m, nil
}

// writeSynced writes a new file and syncs it to disk.
func writeSynced(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("sync %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// syncDir syncs a directory, so that the names created or renamed in it
// survive a crash.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

// writeAtomic replaces path through a synced temporary file and a rename,
// then syncs the directory: a crash leaves the old file or the new one.
func writeAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := writeSynced(tmp, data); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return syncDir(filepath.Dir(path))
}

// checkID refuses an id that is not one directory name inside the
// registry ("../x", "a/b", "."), so that no id reaches outside it.
func checkID(id string) error {
	if id == "" || id == "." || id == ".." || strings.HasPrefix(id, ".") || strings.ContainsAny(id, `/\`) || !filepath.IsLocal(id) {
		return fmt.Errorf("%w: %q", ErrBadModelID, id)
	}
	return nil
}

// List returns every registered model's metadata, newest training window
// first, and the promoted id ("" if none).
func (r Registry) List() ([]Meta, string, error) {
	entries, err := os.ReadDir(r.Dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, "", fmt.Errorf("read registry: %w", err)
	}
	var out []Meta
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue // files, and entries being written
		}
		m, err := r.meta(e.Name())
		if err != nil {
			return nil, "", err
		}
		out = append(out, m)
	}
	sort.Slice(out, func(a, b int) bool {
		if out[a].TrainWindow[1] != out[b].TrainWindow[1] {
			return out[a].TrainWindow[1] > out[b].TrainWindow[1]
		}
		return out[a].ID < out[b].ID
	})
	promoted, err := r.Promoted()
	if err != nil && !errors.Is(err, ErrNoPromoted) {
		return nil, "", err
	}
	return out, promoted, nil
}

func (r Registry) meta(id string) (Meta, error) {
	if err := checkID(id); err != nil {
		return Meta{}, err
	}
	b, err := os.ReadFile(filepath.Join(r.Dir, id, "meta.json"))
	if errors.Is(err, os.ErrNotExist) {
		return Meta{}, fmt.Errorf("%w: %s", ErrNoModel, id)
	}
	if err != nil {
		return Meta{}, fmt.Errorf("read model %s: %w", id, err)
	}
	var m Meta
	if err := json.Unmarshal(b, &m); err != nil {
		return Meta{}, fmt.Errorf("%w: %s/meta.json: %v", ErrBadBundle, id, err)
	}
	if m.ID != id {
		return Meta{}, fmt.Errorf("%w: %s/meta.json names model %q", ErrBadBundle, id, m.ID)
	}
	return m, nil
}

// Promote puts model id in service.
func (r Registry) Promote(id string) error {
	if _, err := r.meta(id); err != nil {
		return err
	}
	return writeAtomic(filepath.Join(r.Dir, "PROMOTED"), []byte(id+"\n"))
}

// Promoted returns the id in service.
func (r Registry) Promoted() (string, error) {
	b, err := os.ReadFile(filepath.Join(r.Dir, "PROMOTED"))
	if errors.Is(err, os.ErrNotExist) {
		return "", ErrNoPromoted
	}
	if err != nil {
		return "", fmt.Errorf("read promoted model: %w", err)
	}
	return strings.TrimSpace(string(bytes.TrimSpace(b))), nil
}

// Load reads model id ("" = the promoted one).
func (r Registry) Load(id string) (*Bundle, Meta, error) {
	if id == "" {
		p, err := r.Promoted()
		if err != nil {
			return nil, Meta{}, err
		}
		id = p
	}
	m, err := r.meta(id)
	if err != nil {
		return nil, Meta{}, err
	}
	if m.CatalogueVersion != features.CatalogueVersion {
		// Its features would be computed by the new definitions (version
		// 3: invoices_settled counts paid invoices, a write-off no longer
		// counts as late) and scored by weights learnt on the old: wrong
		// numbers, with nothing to say so.
		return nil, Meta{}, fmt.Errorf("%w: model %s was trained on feature catalogue version %q, this build computes version %q: "+
			"train a new model (dsopilot train) and promote it", ErrStaleModel, id, m.CatalogueVersion, features.CatalogueVersion)
	}
	body, err := os.ReadFile(filepath.Join(r.Dir, id, "bundle.json"))
	if err != nil {
		return nil, Meta{}, fmt.Errorf("read model %s: %w", id, err)
	}
	var b Bundle
	if err := json.Unmarshal(body, &b); err != nil {
		return nil, Meta{}, fmt.Errorf("%w: %s/bundle.json: %v", ErrBadBundle, id, err)
	}
	return &b, m, nil
}
