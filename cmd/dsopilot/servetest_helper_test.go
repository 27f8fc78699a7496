package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// servedAPI is a dsopilot serve a test runs in the background.
type servedAPI struct {
	base, key string
	logs      *bytes.Buffer // serve's stderr: its log
	cancel    context.CancelFunc
	done      chan error
}

// startServe creates a viewer key in dir and runs serve on a free
// loopback port (--keys, --addr and --state in dir set here) with args,
// the store, registry and the rest, until stop or the test's end.
func startServe(t *testing.T, dir string, args ...string) *servedAPI {
	t.Helper()
	keys := filepath.Join(dir, "keys.json")
	out, _, err := call(t, nil, "keys", "create", "--name", "ops", "--role", "viewer", "--keys", keys)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	s := &servedAPI{base: "http://" + addr, key: strings.TrimSpace(out[strings.LastIndex(strings.TrimSpace(out), "\n")+1:]),
		logs: &bytes.Buffer{}, cancel: cancel, done: make(chan error, 1)}
	e := env{stdout: &bytes.Buffer{}, stderr: s.logs, getenv: func(string) string { return "" }}
	full := append([]string{"serve", "--keys", keys, "--addr", addr, "--state", filepath.Join(dir, "state")}, args...)
	go func() { s.done <- run(ctx, full, e) }()
	t.Cleanup(cancel)
	return s
}

// stop stops the server and returns what serve returned, or an error when
// it did not stop within 30 seconds.
func (s *servedAPI) stop() error {
	s.cancel()
	select {
	case err := <-s.done:
		return err
	case <-time.After(30 * time.Second):
		return fmt.Errorf("serve did not stop")
	}
}
