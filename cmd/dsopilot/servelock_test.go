package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dsopilot/dsopilot/datasets/embedded"
)

// TestServeOnALockedStoreSaysOnlyThatItIsLocked: a second serve on an
// embedded store another process holds is not ready, and /readyz and the
// log say why: the lock, which process holds it and what to do; nothing
// of a model, which is promoted and loaded (/readyz used to add "no model
// is in service" beside the lock, which sent the operator to the
// registry).
func TestServeOnALockedStoreSaysOnlyThatItIsLocked(t *testing.T) {
	store, reg := trained(t, "", "2024-01-31")
	dir := filepath.Dir(reg)
	held, err := embedded.Open(context.Background(), store, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	srv := startServe(t, dir, "--store", store, "--registry", reg,
		"--as-of", "2024-02-01") // the day after the model's cut-off (its worklist knows 2024-01-31)
	stderr := srv.logs
	// The first load fails after the store's 2 s lock timeout; ask until
	// the server answers.
	var body string
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get(srv.base + "/readyz")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusServiceUnavailable {
				t.Fatalf("readyz on a locked store: %d %s", resp.StatusCode, b)
			}
			body = string(b)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not answer: %v\n%s", err, stderr.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := srv.stop(); err != nil {
		t.Fatalf("serve: %v", err)
	}
	logs := stderr.String()
	wants := []string{"locked by another dsopilot process", "stop that process or wait until it is done"}
	if runtime.GOOS == "linux" { // the holder is named from /proc/locks
		wants = append(wants, "locked by another dsopilot process (pid "+strconv.Itoa(os.Getpid())+": ")
	}
	for _, want := range wants {
		if !strings.Contains(body, want) {
			t.Errorf("readyz does not say %q:\n%s", want, body)
		}
		if !strings.Contains(logs, want) {
			t.Errorf("the log does not say %q:\n%s", want, logs)
		}
	}
	// A model is promoted and loaded: nothing of a model, nor of the
	// ledger not read (the lock is why), nor "service unavailable" twice.
	for _, bad := range []string{"no model", "not been read", "unavailable: service unavailable"} {
		if strings.Contains(body, bad) {
			t.Errorf("readyz says %q:\n%s", bad, body)
		}
		if strings.Contains(logs, bad) {
			t.Errorf("the log says %q:\n%s", bad, logs)
		}
	}
}
