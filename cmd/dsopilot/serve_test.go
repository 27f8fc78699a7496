package main

import (
	"bytes"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dsopilot/dsopilot/api"
)

func TestKeysCreatePrintsTheKeyAloneOnTheLastLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.json")
	out, _, err := call(t, nil, "keys", "create", "--name", "erp", "--role", "collector", "--keys", path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	key := lines[len(lines)-1]
	if !strings.HasPrefix(key, "dso_") || strings.Contains(key, " ") {
		t.Fatalf("last line %q is not a key alone", key)
	}
	data, _ := os.ReadFile(path)
	if bytes.Contains(data, []byte(key)) || bytes.Contains(data, []byte(key[17:])) {
		t.Fatal("the keys file holds the key itself")
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("keys file mode %v", fi.Mode().Perm())
	}
	k, err := api.LoadKeys(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := k.Authenticate(key); !ok || got.Name != "erp" || got.Role != "collector" {
		t.Fatalf("the printed key does not authenticate: %+v", got)
	}
	// The DSOPILOT_KEYS variable names the file; names are unique.
	if _, _, err := call(t, map[string]string{"DSOPILOT_KEYS": path}, "keys", "create", "--name", "erp", "--role", "viewer"); err == nil {
		t.Fatal("a second key of the same name was created")
	}
	if _, _, err := call(t, nil, "keys", "create", "--name", "x", "--role", "boss", "--keys", path); !errors.Is(err, errUsage) {
		t.Fatalf("unknown role: %v", err)
	}
	out, _, err = call(t, nil, "keys", "list", "--keys", path)
	if err != nil || !strings.Contains(out, "erp") || strings.Contains(out, key) {
		t.Fatalf("keys list: %v %q", err, out)
	}
}

func TestServeConfigFromFlagsAndEnvironment(t *testing.T) {
	vars := map[string]string{"DSOPILOT_ADDR": "127.0.0.1:9999", "DSOPILOT_STORE": "clickhouse://h:9000/db", "DSOPILOT_RATE_LIMIT": "7",
		"DSOPILOT_AS_OF": "2024-03-31", "DSOPILOT_POLL": "5s", "DSOPILOT_KEYS": "/k.json"}
	e := env{stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}, getenv: func(k string) string { return vars[k] }}
	c, err := parseServe(e, []string{"--rate-limit", "9", "--state", "/s"})
	if err != nil {
		t.Fatal(err)
	}
	if c.addr != "127.0.0.1:9999" || c.store != "clickhouse://h:9000/db" || c.rateLimit != 9 || c.asOf.String() != "2024-03-31" ||
		c.poll != 5*time.Second || c.keys != "/k.json" || c.state != "/s" || c.maxBody != 16<<20 {
		t.Fatalf("config %+v", c)
	}
	for _, bad := range [][]string{{"--as-of", "soon"}, {"--rate-limit", "-1"}, {"--fx", "rates.csv"}, {"--poll", "0s"}} {
		if _, err := parseServe(e, bad); !errors.Is(err, errUsage) {
			t.Errorf("%v: %v", bad, err)
		}
	}
}

func TestServeAnswersAndStopsOnSignal(t *testing.T) {
	dir, _, store := simulatedWith(t, 40, 12, 3)
	srv := startServe(t, dir, "--store", store, "--registry", filepath.Join(dir, "models"), "--as-of", "2023-12-31", "--no-reports")
	base, key, stderr := srv.base, srv.key, srv.logs
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not answer: %v\n%s", err, stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	// No model was trained: alive, not ready, KPIs answer.
	resp, _ := http.Get(base + "/readyz")
	resp.Body.Close()
	if resp.StatusCode != 503 {
		t.Fatalf("readyz without a model: %d", resp.StatusCode)
	}
	r, _ := http.NewRequest("GET", base+"/v1/kpi?from=2023-10-01&to=2023-12-31", nil)
	r.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(r)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("kpi: %v %v", err, resp)
	}
	resp.Body.Close()
	if err := srv.stop(); err != nil {
		t.Fatalf("serve: %v", err)
	}
	logs := stderr.String()
	if !strings.Contains(logs, `"msg":"shutting down`) || !strings.Contains(logs, `"request_id"`) || strings.Contains(logs, key) {
		t.Fatalf("logs:\n%s", logs)
	}
}

func TestKeysRevokeByID(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.json")
	var keys []string
	for _, name := range []string{"erp", "bi"} {
		out, _, err := call(t, nil, "keys", "create", "--name", name, "--role", "viewer", "--keys", path)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		keys = append(keys, lines[len(lines)-1])
	}
	id := keys[0][len("dso_") : len("dso_")+12]
	out, _, err := call(t, nil, "keys", "revoke", id, "--keys", path)
	if err != nil || !strings.Contains(out, "revoked key "+id) {
		t.Fatalf("keys revoke: %v %q", err, out)
	}
	k, err := api.LoadKeys(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := k.Authenticate(keys[0]); ok {
		t.Fatal("the revoked key still authenticates")
	}
	if _, ok := k.Authenticate(keys[1]); !ok {
		t.Fatal("the other key no longer authenticates")
	}
	out, _, err = call(t, nil, "keys", "list", "--keys", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, id) && strings.HasSuffix(strings.TrimSpace(line), "-") {
			t.Fatalf("keys list does not show the key revoked: %q", line)
		}
	}
	for _, bad := range [][]string{{"keys", "revoke", "--keys", path}, {"keys", "revoke", "a", "b", "--keys", path}, {"keys", "list", "extra", "--keys", path}} {
		if _, _, err := call(t, nil, bad...); !errors.Is(err, errUsage) {
			t.Errorf("%v: %v, want a usage error", bad, err)
		}
	}
	if _, _, err := call(t, nil, "keys", "revoke", "ffffffffffff", "--keys", path); err == nil || !strings.Contains(err.Error(), "no key") {
		t.Fatalf("unknown id: %v", err)
	}
}
