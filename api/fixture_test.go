package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/embedded"
	"github.com/dsopilot/dsopilot/datasets/synth"
	"github.com/dsopilot/dsopilot/features"
	"github.com/dsopilot/dsopilot/model"
)

// fixture is built once for the package's tests: a simulated ledger and a
// registry with two models (A promoted, B for the hot-swap test).
type fixture struct {
	ledger         *datasets.Ledger
	asOf           datasets.Date
	registry       string
	modelA, modelB string
}

var (
	fixOnce sync.Once
	fix     fixture
	fixErr  error
)

// testFixture simulates 120 customers over 15 months and trains two
// logistic models on them (a few seconds).
func testFixture(t testing.TB) fixture {
	t.Helper()
	fixOnce.Do(func() {
		ctx := context.Background()
		start := datasets.NewDate(2023, time.January, 1)
		l, _, err := synth.Collect(ctx, synth.Config{Customers: 120, Months: 15, Seed: 7, Start: start})
		if err != nil {
			fixErr = err
			return
		}
		sortLedger(l)
		fix.ledger, fix.asOf = l, datasets.NewDate(2024, time.March, 31)
		dir, err := os.MkdirTemp("", "dsopilot-api-fixture-")
		if err != nil {
			fixErr = err
			return
		}
		fix.registry = filepath.Join(dir, "models")
		reg := model.Registry{Dir: fix.registry}
		for i, seed := range []uint64{1, 2} {
			b, err := model.Train(ctx, features.NewIndex(l), model.TrainOptions{AsOf: fix.asOf, Seed: seed, Families: []string{model.FamilyLogistic}})
			if err != nil {
				fixErr = fmt.Errorf("train: %w", err)
				return
			}
			m, err := reg.Register(b, model.Fingerprint(l), "test", time.Unix(0, 0))
			if err != nil {
				fixErr = err
				return
			}
			if i == 0 {
				fix.modelA = m.ID
			} else {
				fix.modelB = m.ID
			}
		}
		fixErr = reg.Promote(fix.modelA)
	})
	if fixErr != nil {
		t.Fatalf("fixture: %v", fixErr)
	}
	return fix
}

// syncBuffer is a log sink tests read while the server writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testServer is a Server over a copy of the fixture, with one key per role.
type testServer struct {
	t      testing.TB
	srv    *Server
	cfg    Config
	keys   map[string]string // role name → key
	dir    string
	logs   *syncBuffer
	router routers.Router
	cancel context.CancelFunc
	// creditUnprepared: start does not wait for the credit advice to be
	// prepared (the tests of its preparation).
	creditUnprepared bool
}

// testRoles are the keys every test server has.
var testRoles = []Role{RoleViewer, RoleCollector, RoleCreditManager, RoleAdmin}

// newTestServer starts a server on an embedded store holding the fixture
// ledger; mod adjusts its config.
func newTestServer(t testing.TB, mod func(*Config)) *testServer {
	t.Helper()
	return newTestServerWith(t, mod, false)
}

// newTestServerUnprepared is newTestServer without waiting for the
// credit advice to be prepared.
func newTestServerUnprepared(t testing.TB, mod func(*Config)) *testServer {
	t.Helper()
	return newTestServerWith(t, mod, true)
}

func newTestServerWith(t testing.TB, mod func(*Config), creditUnprepared bool) *testServer {
	t.Helper()
	f := testFixture(t)
	dir := t.TempDir()
	ts := &testServer{t: t, dir: dir, keys: map[string]string{}, logs: &syncBuffer{}, creditUnprepared: creditUnprepared}
	reg := filepath.Join(dir, "models")
	if err := os.CopyFS(reg, os.DirFS(f.registry)); err != nil {
		t.Fatal(err)
	}
	storeDir := filepath.Join(dir, "store")
	st, err := embedded.Open(context.Background(), storeDir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Put(context.Background(), f.ledger); err != nil {
		t.Fatal(err)
	}
	st.Close()
	keysPath := filepath.Join(dir, "keys.json")
	for _, r := range testRoles {
		tok, _, err := CreateKey(keysPath, "test-"+r.String(), r, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		ts.keys[r.String()] = tok
	}
	ts.cfg = Config{
		OpenStore: func(ctx context.Context) (Store, error) { return embedded.Open(ctx, storeDir, nil) },
		Models:    model.Registry{Dir: reg}, KeysPath: keysPath, StateDir: filepath.Join(dir, "state"), AsOf: f.asOf,
		PollEvery: 50 * time.Millisecond, AccessLog: true, Build: "test",
		Log: slog.New(slog.NewJSONHandler(ts.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if mod != nil {
		mod(&ts.cfg)
	}
	ts.start()
	return ts
}

// start (re)creates the server from ts.cfg and loads the ledger.
func (ts *testServer) start() {
	t := ts.t
	srv, err := New(ts.cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv.Start(ctx)
	ts.srv, ts.cancel = srv, cancel
	t.Cleanup(ts.stop)
	docJSON, err := srv.openAPIDoc()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := openapi3.NewLoader().LoadFromData(docJSON)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("the OpenAPI document is invalid: %v", err)
	}
	if ts.router, err = gorillamux.NewRouter(doc); err != nil {
		t.Fatal(err)
	}
	if !ts.creditUnprepared {
		ts.creditPrepared()
	}
}

// creditPrepared waits until the credit advice of the snapshot in service
// is prepared (or failed: requests then compute their own), as a client
// waits for /readyz's credit: before, the credit-limit route answers 503.
func (ts *testServer) creditPrepared() {
	ts.t.Helper()
	w, ok := ts.cfg.Credit.(*CreditWorkflow)
	if !ok {
		return
	}
	waitFor(ts.t, "the credit advice to be prepared", func() bool {
		if !ts.srv.loaded.Load() {
			return true // nothing followed yet: nothing is prepared
		}
		snap := ts.srv.snap.Load()
		w.mu.RLock()
		p := w.prep
		w.mu.RUnlock()
		if p == nil || p.l != snap.settled || p.asOf != snap.asOf {
			return false
		}
		select {
		case <-p.done:
			return true
		default:
			return false
		}
	})
}

// stop ends the server (idempotent).
func (ts *testServer) stop() {
	if ts.cancel != nil {
		ts.cancel()
		ts.cancel = nil
		ts.srv.Close()
	}
}

// waitFor polls cond for up to a minute.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// settle waits until every acknowledged write is in the snapshot.
func (ts *testServer) settle() {
	ts.t.Helper()
	waitFor(ts.t, "the snapshot to take the acknowledged writes", ts.srv.Settled)
	ts.creditPrepared()
}

// req is a test request.
type req struct {
	method, path, role, body string
	ctype                    string
	header                   map[string]string
}

// do serves r and checks the answer against the OpenAPI document.
func (ts *testServer) do(r req) *httptest.ResponseRecorder {
	ts.t.Helper()
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	hr := httptest.NewRequest(r.method, r.path, body)
	if r.role != "" {
		key, ok := ts.keys[r.role]
		if !ok {
			key = r.role // a literal key (tests of bad keys)
		}
		hr.Header.Set("Authorization", "Bearer "+key)
	}
	if r.body != "" {
		ct := r.ctype
		if ct == "" {
			ct = mediaJSON
		}
		hr.Header.Set("Content-Type", ct)
	}
	for k, v := range r.header {
		hr.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	ts.srv.Handler().ServeHTTP(w, hr)
	ts.checkOpenAPI(hr, w)
	return w
}

// checkOpenAPI validates a response against the document: its status
// must be documented and its body must fit the schema.
func (ts *testServer) checkOpenAPI(hr *http.Request, w *httptest.ResponseRecorder) {
	ts.t.Helper()
	route, params, err := ts.router.FindRoute(hr)
	if err != nil {
		if w.Code == http.StatusNotFound || w.Code == http.StatusMethodNotAllowed {
			return // an unknown path or method is in no document
		}
		ts.t.Fatalf("%s %s: no route in the OpenAPI document: %v", hr.Method, hr.URL, err)
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: hr, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}},
		Status: w.Code, Header: w.Header(), Options: &openapi3filter.Options{IncludeResponseStatus: true},
	}
	in.SetBodyBytes(w.Body.Bytes())
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		ts.t.Fatalf("%s %s answered %d, which does not fit the OpenAPI document: %v\nbody: %.600s", hr.Method, hr.URL, w.Code, err, w.Body.String())
	}
}

// decode reads a JSON answer.
func decode[T any](t testing.TB, w *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
		t.Fatalf("decode %T: %v\n%s", v, err, w.Body.String())
	}
	return v
}

// expect fails unless w has status want.
func expect(t testing.TB, w *httptest.ResponseRecorder, want int) {
	t.Helper()
	if w.Code != want {
		t.Fatalf("status %d, want %d: %s", w.Code, want, w.Body.String())
	}
}

// problemOf decodes a problem answer and checks its shape.
func problemOf(t testing.TB, w *httptest.ResponseRecorder, status int) Problem {
	t.Helper()
	expect(t, w, status)
	if ct := w.Header().Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type %q, want application/problem+json", ct)
	}
	p := decode[Problem](t, w)
	if p.Status != status || p.Title == "" || p.Type == "" || p.Detail == "" || p.RequestID == "" || p.RequestID != w.Header().Get("X-Request-ID") {
		t.Fatalf("incomplete problem %+v (X-Request-ID %q)", p, w.Header().Get("X-Request-ID"))
	}
	return p
}

// openInvoice returns an invoice of the fixture open at its as-of date,
// with its customer.
func openInvoice(t testing.TB, s *snapshot, k int) Score {
	t.Helper()
	if len(s.scores) <= k {
		t.Fatalf("only %d open invoices", len(s.scores))
	}
	return s.scores[k]
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeFile(t testing.TB, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}
