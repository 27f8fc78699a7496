package api

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// Role is what a key may do. Each role includes the ones below it.
type Role int

// The roles, weakest first.
const (
	RoleViewer        Role = iota + 1 // read
	RoleCollector                     // + record actions, promises, disputes
	RoleCreditManager                 // + credit proposals and decisions within thresholds
	RoleAdmin                         // + ingest, model promotion
)

var roleNames = map[Role]string{RoleViewer: "viewer", RoleCollector: "collector", RoleCreditManager: "credit_manager", RoleAdmin: "admin"}

func (r Role) String() string {
	if n, ok := roleNames[r]; ok {
		return n
	}
	return fmt.Sprintf("role(%d)", int(r))
}

// ParseRole reads viewer, collector, credit_manager or admin.
func ParseRole(s string) (Role, error) {
	for r, n := range roleNames {
		if n == s {
			return r, nil
		}
	}
	return 0, fmt.Errorf("role %q: want viewer, collector, credit_manager or admin", s)
}

// Key is one API key as the keys file holds it: never the key itself, only
// its SHA-256. A key is "dso_" + ID + "_" + 43 characters of secret
// (256 random bits), so the ID finds the entry without comparing secrets
// and the hash is compared in constant time.
type Key struct {
	ID      string    `json:"id"`
	Name    string    `json:"name"`
	Role    string    `json:"role"`
	SHA256  string    `json:"sha256"`
	Created time.Time `json:"created"`
	// Revoked is when dsopilot keys revoke withdrew the key; the entry
	// stays, so a server can tell its holder why it is refused.
	Revoked *time.Time `json:"revoked,omitempty"`
	role    Role
	sum     []byte
}

// keysFile is the on-disk form.
type keysFile struct {
	Keys []Key `json:"keys"`
}

// Keys is the set of keys of a keys file, reloaded when the file changes.
// It is safe for concurrent use.
type Keys struct {
	path string
	mu   sync.RWMutex
	byID map[string]*Key
	stat fileStamp
}

// fileStamp tells whether a file changed since it was read.
type fileStamp struct {
	mod  time.Time
	size int64
}

func stampOf(path string) (fileStamp, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return fileStamp{}, err
	}
	return fileStamp{fi.ModTime(), fi.Size()}, nil
}

// LoadKeys reads the keys file at path. A missing file is an error: a
// server without keys would answer every request 401.
func LoadKeys(path string) (*Keys, error) {
	k := &Keys{path: path}
	if _, err := k.Reload(); err != nil {
		return nil, err
	}
	return k, nil
}

// Reload rereads the file when it changed and reports whether it did.
func (k *Keys) Reload() (bool, error) {
	st, err := stampOf(k.path)
	if err != nil {
		return false, fmt.Errorf("keys file: %w", err)
	}
	k.mu.RLock()
	same := st == k.stat && k.byID != nil
	k.mu.RUnlock()
	if same {
		return false, nil
	}
	f, err := readKeysFile(k.path)
	if err != nil {
		return false, err
	}
	byID := make(map[string]*Key, len(f.Keys))
	for i := range f.Keys {
		key := &f.Keys[i]
		byID[key.ID] = key
	}
	k.mu.Lock()
	k.byID, k.stat = byID, st
	k.mu.Unlock()
	return true, nil
}

func readKeysFile(path string) (*keysFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("keys file: %w", err)
	}
	var f keysFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("keys file %s: %w", path, err)
	}
	for i := range f.Keys {
		key := &f.Keys[i]
		if key.role, err = ParseRole(key.Role); err != nil {
			return nil, fmt.Errorf("keys file %s: key %s: %w", path, key.ID, err)
		}
		if key.sum, err = hex.DecodeString(key.SHA256); err != nil || len(key.sum) != sha256.Size || key.ID == "" {
			return nil, fmt.Errorf("keys file %s: key %q: bad id or sha256", path, key.ID)
		}
	}
	return &f, nil
}

// Len is the number of keys in force (not revoked).
func (k *Keys) Len() int {
	k.mu.RLock()
	defer k.mu.RUnlock()
	n := 0
	for _, key := range k.byID {
		if key.Revoked == nil {
			n++
		}
	}
	return n
}

// Verify returns the key that token is, or an error wrapping
// ErrUnauthenticated that says why not. The secret's hash is compared in
// constant time; the id only selects which hash to compare. Only the
// holder of a revoked key (the secret matches) learns that it was revoked.
func (k *Keys) Verify(token string) (*Key, error) {
	id, ok := keyID(token)
	if !ok {
		return nil, fmt.Errorf("%w: send Authorization: Bearer <key>", ErrUnauthenticated)
	}
	k.mu.RLock()
	key := k.byID[id]
	k.mu.RUnlock()
	if key == nil {
		return nil, fmt.Errorf("%w: send Authorization: Bearer <key>", ErrUnauthenticated)
	}
	sum := sha256.Sum256([]byte(token))
	if subtle.ConstantTimeCompare(sum[:], key.sum) != 1 {
		return nil, fmt.Errorf("%w: send Authorization: Bearer <key>", ErrUnauthenticated)
	}
	if key.Revoked != nil {
		return nil, fmt.Errorf("%w: key %s (%q) was revoked at %s; ask for a new one (dsopilot keys create)",
			ErrKeyRevoked, key.ID, key.Name, key.Revoked.UTC().Format(time.RFC3339))
	}
	return key, nil
}

// Authenticate returns the key that token is if it is in force, or false.
func (k *Keys) Authenticate(token string) (*Key, bool) {
	key, err := k.Verify(token)
	return key, err == nil
}

const keyPrefix = "dso_"

// keyID extracts the id of a well-formed key.
func keyID(token string) (string, bool) {
	rest, ok := strings.CutPrefix(token, keyPrefix)
	if !ok {
		return "", false
	}
	id, secret, ok := strings.Cut(rest, "_")
	if !ok || len(id) != 12 || len(secret) != 43 {
		return "", false
	}
	return id, true
}

// CreateKey adds a key with name and role to the keys file at path
// (creating it, mode 0600) and returns the key. The key itself is
// returned once and never stored.
func CreateKey(path, name string, role Role, now time.Time) (token string, key Key, err error) {
	err = withKeysLock(path, func() error {
		token, key, err = createKey(path, name, role, now)
		return err
	})
	return token, key, err
}

func createKey(path, name string, role Role, now time.Time) (string, Key, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", Key{}, fmt.Errorf("%w: empty", errKeyName)
	}
	if _, ok := roleNames[role]; !ok {
		return "", Key{}, fmt.Errorf("unknown role %d", role)
	}
	f := &keysFile{}
	if _, err := os.Stat(path); err == nil {
		if f, err = readKeysFile(path); err != nil {
			return "", Key{}, err
		}
	}
	if slices.ContainsFunc(f.Keys, func(k Key) bool { return k.Name == name && k.Revoked == nil }) {
		return "", Key{}, fmt.Errorf("%w: %q already has a key in %s", errKeyName, name, path)
	}
	var idb [6]byte
	var secret [32]byte
	if _, err := rand.Read(idb[:]); err != nil {
		return "", Key{}, err
	}
	if _, err := rand.Read(secret[:]); err != nil {
		return "", Key{}, err
	}
	id := hex.EncodeToString(idb[:])
	token := keyPrefix + id + "_" + base64.RawURLEncoding.EncodeToString(secret[:])
	sum := sha256.Sum256([]byte(token))
	key := Key{ID: id, Name: name, Role: role.String(), SHA256: hex.EncodeToString(sum[:]), Created: now.UTC().Truncate(time.Second)}
	f.Keys = append(f.Keys, key)
	if err := writeKeysFile(path, f); err != nil {
		return "", Key{}, err
	}
	return token, key, nil
}

func writeKeysFile(path string, f *keysFile) error {
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("keys file: %w", err)
	}
	if err := writeFileSync(path, append(data, '\n'), 0o600); err != nil {
		return fmt.Errorf("keys file: %w", err)
	}
	return nil
}

// errKeyRef refuses a reference to a key that names none, or several.
var errKeyRef = errors.New("key reference")

// RevokeKey marks the key ref names as revoked at now in the keys file at
// path and returns it. ref is the key's id (keys list), an unambiguous
// start of it (4 characters at least), or the key's visible part
// dso_<id>; a whole key is read for its id only. The entry stays, so a
// server answers its holder that the key was revoked. Revoking a revoked
// key changes nothing and returns it with already set.
func RevokeKey(path, ref string, now time.Time) (key Key, already bool, err error) {
	if _, err := os.Stat(path); err != nil {
		// Before the lock, whose file would otherwise appear next to a
		// mistyped --keys.
		return Key{}, false, fmt.Errorf("keys file: %w", err)
	}
	err = withKeysLock(path, func() error {
		key, already, err = revokeKey(path, ref, now)
		return err
	})
	return key, already, err
}

func revokeKey(path, ref string, now time.Time) (key Key, already bool, err error) {
	f, err := readKeysFile(path)
	if err != nil {
		return Key{}, false, err
	}
	id := strings.TrimSpace(ref)
	if rest, ok := strings.CutPrefix(id, keyPrefix); ok {
		id, _, _ = strings.Cut(rest, "_")
	}
	if len(id) < 4 {
		return Key{}, false, fmt.Errorf("%w: %q: give the key's id (dsopilot keys list), or at least its first 4 characters", errKeyRef, ref)
	}
	found := -1
	for i := range f.Keys {
		if !strings.HasPrefix(f.Keys[i].ID, id) {
			continue
		}
		if f.Keys[i].ID == id { // an exact id wins over a prefix
			found = i
			break
		}
		if found >= 0 {
			return Key{}, false, fmt.Errorf("%w: %q starts the ids of %s and %s: give more of it", errKeyRef, ref, f.Keys[found].ID, f.Keys[i].ID)
		}
		found = i
	}
	if found < 0 {
		return Key{}, false, fmt.Errorf("%w: no key %q in %s (dsopilot keys list shows the ids)", errKeyRef, ref, path)
	}
	k := &f.Keys[found]
	if k.Revoked != nil {
		return *k, true, nil
	}
	at := now.UTC().Truncate(time.Second)
	k.Revoked = &at
	if err := writeKeysFile(path, f); err != nil {
		return Key{}, false, err
	}
	return *k, false, nil
}

// writeFileSync writes data to path through a synced temporary file and a
// rename, then syncs the directory, so a crash leaves the old or the new
// file whole.
func writeFileSync(path string, data []byte, mode os.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// ListKeys returns the keys of the file at path (never the keys
// themselves: the file has only their hashes).
func ListKeys(path string) ([]Key, error) {
	f, err := readKeysFile(path)
	if err != nil {
		return nil, err
	}
	return f.Keys, nil
}
