package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/datasets/embedded"
	"github.com/dsopilot/dsopilot/model"
	"github.com/dsopilot/dsopilot/recommender"
)

// flakyStore is a store that can be switched off, as a ClickHouse server
// that went away.
type flakyStore struct {
	Store
	down *atomic.Bool
	puts *atomic.Int64
}

var errConnRefused = errors.New("dial tcp 127.0.0.1:1: connect: connection refused")

func (f flakyStore) Put(ctx context.Context, b *datasets.Ledger) error {
	if f.down.Load() {
		return errConnRefused
	}
	f.puts.Add(1)
	return f.Store.Put(ctx, b)
}

func (f flakyStore) Ping(ctx context.Context) error {
	if f.down.Load() {
		return errConnRefused
	}
	return nil
}

// withFlakyStore makes the test server's store switchable.
func withFlakyStore(down *atomic.Bool, puts *atomic.Int64) func(*Config) {
	return func(c *Config) {
		open := c.OpenStore
		var mu sync.Mutex
		var shared Store
		c.OpenStore = func(ctx context.Context) (Store, error) {
			if down.Load() {
				return nil, errConnRefused
			}
			mu.Lock()
			defer mu.Unlock()
			// The embedded store allows one open handle: keep it across
			// the server's reconnects.
			if shared == nil {
				st, err := open(ctx)
				if err != nil {
					return nil, err
				}
				shared = st
			}
			return flakyStore{Store: nopClose{shared}, down: down, puts: puts}, nil
		}
	}
}

// nopClose keeps the shared store open when the server drops a handle.
type nopClose struct{ Store }

func (nopClose) Close() error { return nil }

func TestRecordActionsPromisesDisputes(t *testing.T) {
	ts := newTestServer(t, nil)
	snap := ts.srv.snap.Load()
	a := openInvoice(t, snap, 0)
	other := openInvoice(t, snap, len(snap.scores)-1)
	if other.CustomerID == a.CustomerID {
		t.Fatal("fixture: want two customers")
	}
	post := func(path, body string) *Recorded {
		w := ts.do(req{method: "POST", path: path, role: "collector", body: body})
		expect(t, w, http.StatusCreated)
		r := decode[Recorded](t, w)
		return &r
	}
	act := post("/v1/actions", fmt.Sprintf(`{"action_id":"A-1","customer_id":%q,"invoice_id":%q,"action_date":%q,"type":"Call","channel":"phone","outcome":"promise","policy":"holdout","propensity":0.25}`,
		a.CustomerID, a.InvoiceID, snap.asOf))
	gen := post("/v1/actions", fmt.Sprintf(`{"customer_id":%q,"action_date":%q,"type":"reminder"}`, a.CustomerID, snap.asOf))
	prm := post("/v1/promises", fmt.Sprintf(`{"promise_id":"P-1","customer_id":%q,"invoice_id":%q,"made_date":%q,"promised_date":%q,"amount":"100.10"}`,
		a.CustomerID, a.InvoiceID, snap.asOf, snap.asOf.AddDays(7)))
	dsp := post("/v1/disputes", fmt.Sprintf(`{"dispute_id":"D-1","customer_id":%q,"invoice_id":%q,"opened_date":%q,"reason":"price"}`,
		a.CustomerID, a.InvoiceID, snap.asOf))
	if act.ID != "A-1" || !strings.HasPrefix(gen.ID, "act-") || prm.ID != "P-1" || dsp.ID != "D-1" || act.State != "stored" {
		t.Fatalf("recorded %+v %+v %+v %+v", act, gen, prm, dsp)
	}
	ts.settle()
	l := ts.srv.snap.Load().ledger
	i := slices.IndexFunc(l.Actions, func(x datasets.Action) bool { return x.ID == "A-1" })
	if i < 0 || l.Actions[i].Type != "call" || l.Actions[i].Policy != "holdout" || l.Actions[i].Propensity != 0.25 {
		t.Fatalf("stored action %+v", l.Actions[max(i, 0)])
	}
	if d, ok := findDispute(l, "D-1"); !ok || d.Resolved != 0 {
		t.Fatal("dispute not stored open")
	}
	// Resolve it once; the second time is a conflict.
	r := post("/v1/disputes/D-1/resolve", fmt.Sprintf(`{"resolved_date":%q,"outcome":"credited"}`, snap.asOf.AddDays(2)))
	if r.ID != "D-1" {
		t.Fatalf("resolved %+v", r)
	}
	problemOf(t, ts.do(req{method: "POST", path: "/v1/disputes/D-1/resolve", role: "collector", body: fmt.Sprintf(`{"resolved_date":%q,"outcome":"credited"}`, snap.asOf.AddDays(3))}), 409)
	problemOf(t, ts.do(req{method: "POST", path: "/v1/disputes/NOPE/resolve", role: "collector", body: fmt.Sprintf(`{"resolved_date":%q,"outcome":"credited"}`, snap.asOf)}), 404)
	ts.settle()
	if d, _ := findDispute(ts.srv.snap.Load().ledger, "D-1"); d.Resolved != snap.asOf.AddDays(2) || d.Outcome != "credited" {
		t.Fatalf("dispute after resolve %+v", d)
	}
	// The store has them too (a restart would see them).
	st, err := ts.srv.store.get(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c, err := st.Counts(context.Background())
	if err != nil || c.Actions != uint64(len(testFixture(t).ledger.Actions)+2) {
		t.Fatalf("stored actions %d (%v)", c.Actions, err)
	}
	bad := []struct {
		path, body, pointer string
	}{
		{"/v1/actions", fmt.Sprintf(`{"customer_id":%q,"action_date":"yesterday","type":"call"}`, a.CustomerID), "/action_date"},
		{"/v1/actions", fmt.Sprintf(`{"customer_id":%q,"action_date":%q}`, a.CustomerID, snap.asOf), "/type"},
		{"/v1/actions", fmt.Sprintf(`{"customer_id":"NOBODY","action_date":%q,"type":"call"}`, snap.asOf), "/customer_id"},
		{"/v1/actions", fmt.Sprintf(`{"customer_id":%q,"invoice_id":%q,"action_date":%q,"type":"call"}`, a.CustomerID, other.InvoiceID, snap.asOf), "/invoice_id"},
		{"/v1/actions", fmt.Sprintf(`{"customer_id":%q,"action_date":%q,"type":"call","policy":"holdout"}`, a.CustomerID, snap.asOf), "/propensity"},
		{"/v1/actions", fmt.Sprintf(`{"customer_id":%q,"action_date":%q,"type":"call","outcome":"maybe"}`, a.CustomerID, snap.asOf), "/outcome"},
		{"/v1/actions", fmt.Sprintf(`{"customer_id":%q,"action_date":%q,"type":"call","propensity":1.5}`, a.CustomerID, snap.asOf), "/propensity"},
		{"/v1/actions", fmt.Sprintf(`{"customer_id":%q,"action_date":%q,"type":"call","policy":"whim"}`, a.CustomerID, snap.asOf), "/policy"},
		{"/v1/promises", fmt.Sprintf(`{"customer_id":%q,"made_date":%q,"promised_date":%q,"amount":5}`, a.CustomerID, snap.asOf, snap.asOf.AddDays(-1)), "/promised_date"},
		{"/v1/promises", fmt.Sprintf(`{"customer_id":%q,"made_date":%q,"promised_date":%q}`, a.CustomerID, snap.asOf, snap.asOf), "/amount"},
		{"/v1/promises", fmt.Sprintf(`{"customer_id":%q,"made_date":%q,"promised_date":%q,"amount":5,"status":"maybe"}`, a.CustomerID, snap.asOf, snap.asOf), "/status"},
		// More than the invoice: a typing error the forecast would believe.
		{"/v1/promises", fmt.Sprintf(`{"customer_id":%q,"invoice_id":%q,"made_date":%q,"promised_date":%q,"amount":"999999999"}`, a.CustomerID, a.InvoiceID, snap.asOf, snap.asOf), "/amount"},
		{"/v1/disputes", fmt.Sprintf(`{"customer_id":%q,"opened_date":%q}`, a.CustomerID, snap.asOf), "/invoice_id"},
		{"/v1/disputes", fmt.Sprintf(`{"customer_id":%q,"invoice_id":%q,"opened_date":%q,"resolved_date":%q}`, a.CustomerID, a.InvoiceID, snap.asOf, snap.asOf.AddDays(-3)), "/resolved_date"},
		{"/v1/disputes", fmt.Sprintf(`{"customer_id":%q,"invoice_id":%q,"opened_date":%q,"outcome":"won"}`, a.CustomerID, a.InvoiceID, snap.asOf), "/outcome"},
	}
	for _, c := range bad {
		p := problemOf(t, ts.do(req{method: "POST", path: c.path, role: "collector", body: c.body}), 422)
		if !slices.ContainsFunc(p.Errors, func(e FieldError) bool { return e.Where() == c.pointer }) {
			t.Errorf("%s %s: errors %+v lack %s", c.path, c.body, p.Errors, c.pointer)
		}
	}
	problemOf(t, ts.do(req{method: "POST", path: "/v1/actions", role: "collector", body: `{"customer_id":`}), 400)
	problemOf(t, ts.do(req{method: "POST", path: "/v1/promises", role: "collector", body: `x`, ctype: "text/plain"}), 415)
}

func TestIdempotencyKeys(t *testing.T) {
	ts := newTestServer(t, nil)
	snap := ts.srv.snap.Load()
	a := openInvoice(t, snap, 0)
	body := fmt.Sprintf(`{"customer_id":%q,"action_date":%q,"type":"call"}`, a.CustomerID, snap.asOf)
	key := map[string]string{"Idempotency-Key": "retry-1"}
	first := ts.do(req{method: "POST", path: "/v1/actions", role: "collector", body: body, header: key})
	expect(t, first, 201)
	again := ts.do(req{method: "POST", path: "/v1/actions", role: "collector", body: body, header: key})
	expect(t, again, 201)
	if again.Body.String() != first.Body.String() || again.Header().Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay %q vs %q", again.Body.String(), first.Body.String())
	}
	// Another body under the same key is refused.
	p := problemOf(t, ts.do(req{method: "POST", path: "/v1/actions", role: "collector", body: strings.Replace(body, "call", "email", 1), header: key}), 422)
	if !strings.Contains(p.Detail, "Idempotency-Key") {
		t.Fatalf("detail %q", p.Detail)
	}
	// Keys are per API key: another collector's "retry-1" is its own.
	// (The admin key stands in for a second client.)
	other := ts.do(req{method: "POST", path: "/v1/actions", role: "admin", body: body, header: key})
	expect(t, other, 201)
	if decode[Recorded](t, other).ID == decode[Recorded](t, first).ID {
		t.Fatal("two clients' keys collided")
	}
	// A key in flight is a conflict.
	scope := ""
	for _, k := range []Role{RoleCollector} {
		key, _ := ts.srv.keys.Authenticate(ts.keys[k.String()])
		scope = key.ID + "\x00in-flight"
	}
	if !ts.srv.idem.begin(scope) {
		t.Fatal("begin")
	}
	problemOf(t, ts.do(req{method: "POST", path: "/v1/actions", role: "collector", body: body, header: map[string]string{"Idempotency-Key": "in-flight"}}), 409)
	ts.srv.idem.end(scope)
	// A validation failure is not kept: the fixed request may use the key.
	problemOf(t, ts.do(req{method: "POST", path: "/v1/actions", role: "collector", body: `{"customer_id":"x"}`, header: map[string]string{"Idempotency-Key": "fix-me"}}), 422)
	expect(t, ts.do(req{method: "POST", path: "/v1/actions", role: "collector", body: body, header: map[string]string{"Idempotency-Key": "fix-me"}}), 201)
	problemOf(t, ts.do(req{method: "POST", path: "/v1/actions", role: "collector", body: body, header: map[string]string{"Idempotency-Key": strings.Repeat("k", 300)}}), 422)
	// The keys survive a restart.
	ts.stop()
	ts.start()
	again = ts.do(req{method: "POST", path: "/v1/actions", role: "collector", body: body, header: key})
	if again.Body.String() != first.Body.String() || again.Header().Get("Idempotent-Replayed") != "true" {
		t.Fatalf("after restart: %d %q", again.Code, again.Body.String())
	}
	// And expire after 24 h.
	n, err := ts.srv.idem.expire(ts.srv.now().Add(idempotencyTTL + 1))
	if err != nil || n < 3 {
		t.Fatalf("expired %d (%v)", n, err)
	}
}

func TestIngest(t *testing.T) {
	ts := newTestServer(t, nil)
	snap := ts.srv.snap.Load()
	cust := snap.ledger.Customers[0].ID
	csvBody := "customer_id,invoice_id,issue_date,due_date,amount,extra\n" +
		cust + ",ING-1,2024-03-01,2024-03-31,100.00,x\n" +
		cust + ",ING-2,2024-03-01,2024-02-01,100.00,x\n" +
		cust + ",ING-3,2024-03-0x,2024-03-31,12,x\n" +
		"NOBODY,ING-4,2024-03-01,2024-03-31,12,x\n"
	w := ts.do(req{method: "POST", path: "/v1/ingest/invoices", role: "admin", body: csvBody, ctype: "text/csv; charset=utf-8"})
	res := decode[IngestResult](t, w)
	expect(t, w, 200)
	if res.Read != 4 || res.Loaded != 1 || res.Rejected != 3 || len(res.Rejects) != 3 || res.Rejects[0].Line != 3 || res.Rejects[0].Field != "due_date" ||
		!slices.Equal(res.IgnoredColumns, []string{"extra"}) || res.Format != "csv" {
		t.Fatalf("ingest %+v", res)
	}
	// Three of four rows rejected: the good one is stored all the same, and
	// the answer names the most common reason.
	if res.Diagnosis == "" || strings.Contains(res.Diagnosis, os.TempDir()) {
		t.Fatalf("diagnosis %q: want the most common reason, without the server's temp path", res.Diagnosis)
	}
	if !res.Incomplete {
		t.Fatal("three of four rows rejected: not said incomplete")
	}
	nd := fmt.Sprintf(`{"payment_id":"ING-P1","customer_id":%q,"invoice_id":"ING-1","payment_date":"2024-03-20","amount":"40,00"}`+"\n"+
		`{"payment_id":"ING-P2","customer_id":%q,"payment_date":"20.03.2024","amount":"1.234,50"}`+"\n", cust, cust)
	w = ts.do(req{method: "POST", path: "/v1/ingest/payments?date_format=%25d.%25m.%25Y&decimal_comma=true", role: "admin", body: nd, ctype: "application/x-ndjson"})
	res = decode[IngestResult](t, w)
	if w.Code != 200 || res.Loaded != 2 || res.Format != "ndjson" || res.Incomplete {
		t.Fatalf("ndjson %d %+v", w.Code, res)
	}
	ts.settle()
	l := ts.srv.snap.Load().ledger
	v, ok := findInvoice(l, "ING-1")
	if !ok || outstanding(l, v, snap.asOf) != 6000 {
		t.Fatalf("ING-1 after its payment: %v", ok)
	}
	i := slices.IndexFunc(l.Payments, func(p datasets.Payment) bool { return p.ID == "ING-P2" })
	if i < 0 || l.Payments[i].Amount != 123450 {
		t.Fatal("decimal-comma payment not stored as 1234.50")
	}
	// The same rows again change nothing (upsert by natural id).
	before := len(l.Invoices)
	expect(t, ts.do(req{method: "POST", path: "/v1/ingest/invoices", role: "admin", body: csvBody, ctype: "text/csv"}), 200)
	ts.settle()
	if n := len(ts.srv.snap.Load().ledger.Invoices); n != before {
		t.Fatalf("re-ingest changed the invoice count %d → %d", before, n)
	}
	cases := []struct {
		name, path, body, ctype string
		status                  int
	}{
		{"unknown entity", "/v1/ingest/planets", "a\n", "text/csv", 404},
		{"wrong content type", "/v1/ingest/invoices", "{}", "application/json", 415},
		{"missing column", "/v1/ingest/invoices", "customer_id,invoice_id\nC,I\n", "text/csv", 422},
		{"every row bad", "/v1/ingest/invoices", "customer_id,invoice_id,issue_date,due_date,amount\nC,I,x,y,z\n", "text/csv", 422},
		{"bad date format", "/v1/ingest/invoices?date_format=%25Q", csvBody, "text/csv", 422},
		{"bad columns", "/v1/ingest/invoices?columns=nonsense", csvBody, "text/csv", 422},
		{"unknown canonical column", "/v1/ingest/invoices?columns=colour=x", csvBody, "text/csv", 422},
		{"bad decimal_comma", "/v1/ingest/invoices?decimal_comma=perhaps", csvBody, "text/csv", 422},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := problemOf(t, ts.do(req{method: "POST", path: c.path, role: "admin", body: c.body, ctype: c.ctype}), c.status)
			// The importer's advice names the CLI's flags; here they are
			// query parameters.
			if text := fmt.Sprintf("%+v", p); strings.Contains(text, "--date-format") || strings.Contains(text, "--columns") {
				t.Errorf("a CLI flag in an API answer: %s", text)
			}
			// Every pointer is an RFC 6901 pointer (or empty, the whole
			// body); a rejected row is placed by line and column.
			for _, e := range p.Errors {
				if e.Pointer != "" && !strings.HasPrefix(e.Pointer, "/") {
					t.Errorf("pointer %q is not an RFC 6901 pointer", e.Pointer)
				}
			}
			if c.name == "every row bad" && !slices.ContainsFunc(p.Errors, func(e FieldError) bool { return e.Line == 2 && e.Column == "issue_date" }) {
				t.Errorf("the rejected row is not placed at line 2, column issue_date: %+v", p.Errors)
			}
			if c.name == "missing column" && !strings.Contains(fmt.Sprintf("%+v", p), "?columns=") {
				t.Errorf("the missing column's advice does not name ?columns=: %+v", p)
			}
		})
	}
	small := newTestServer(t, func(c *Config) { c.MaxIngestBytes = 64 })
	problemOf(t, small.do(req{method: "POST", path: "/v1/ingest/invoices", role: "admin", body: csvBody, ctype: "text/csv"}), 413)
}

func TestSpoolWhenStoreIsDown(t *testing.T) {
	var down atomic.Bool
	var puts atomic.Int64
	ts := newTestServer(t, withFlakyStore(&down, &puts))
	snap := ts.srv.snap.Load()
	cust := snap.ledger.Customers[0].ID
	down.Store(true)
	problemOf(t, ts.do(req{method: "GET", path: "/readyz"}), 503)
	var spoolIDs []string
	for i := range 3 {
		body := fmt.Sprintf("customer_id,invoice_id,issue_date,due_date,amount\n%s,SP-%d,2024-03-01,2024-03-31,%d.00\n", cust, i, 10+i)
		w := ts.do(req{method: "POST", path: "/v1/ingest/invoices", role: "admin", body: body, ctype: "text/csv"})
		res := decode[IngestResult](t, w)
		if w.Code != http.StatusAccepted || res.Spooled != 1 || len(res.SpoolIDs) != 1 {
			t.Fatalf("ingest while down: %d %+v", w.Code, res)
		}
		spoolIDs = append(spoolIDs, res.SpoolIDs[0])
	}
	// A later version of SP-0 queues behind the earlier ones.
	w := ts.do(req{method: "POST", path: "/v1/ingest/invoices", role: "admin", ctype: "text/csv",
		body: fmt.Sprintf("customer_id,invoice_id,issue_date,due_date,amount\n%s,SP-0,2024-03-01,2024-03-31,99.00\n", cust)})
	expect(t, w, 202)
	act := ts.do(req{method: "POST", path: "/v1/actions", role: "collector", body: fmt.Sprintf(`{"customer_id":%q,"action_date":%q,"type":"call"}`, cust, snap.asOf)})
	expect(t, act, 202)
	rec := decode[Recorded](t, act)
	if rec.State != "spooled" || rec.SpoolID == "" {
		t.Fatalf("action while down %+v", rec)
	}
	st := decode[SpoolState](t, ts.do(req{method: "GET", path: "/v1/spool/" + spoolIDs[1], role: "viewer"}))
	if st.State != "waiting" || st.Ahead != 1 {
		t.Fatalf("spool state %+v", st)
	}
	problemOf(t, ts.do(req{method: "GET", path: "/v1/spool/spool-1", role: "viewer"}), 404)
	problemOf(t, ts.do(req{method: "GET", path: "/v1/spool/bogus", role: "viewer"}), 404)
	// Reads see the acknowledged rows before the store has them.
	ts.settle()
	if v, ok := findInvoice(ts.srv.snap.Load().ledger, "SP-0"); !ok || v.Amount != 9900 {
		t.Fatal("spooled invoice not visible")
	}
	if !strings.Contains(ts.do(req{method: "GET", path: "/metrics"}).Body.String(), "dsopilot_spool_depth 5") {
		t.Fatal("spool depth gauge")
	}
	// The store comes back: the worker replays in order.
	down.Store(false)
	waitFor(t, "the spool to drain", func() bool { return ts.srv.sink.spool.empty() })
	if st := decode[SpoolState](t, ts.do(req{method: "GET", path: "/v1/spool/" + spoolIDs[1], role: "viewer"})); st.State != "stored" {
		t.Fatalf("after replay %+v", st)
	}
	l, err := ts.srv.store.st.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		v, ok := findInvoice(l, fmt.Sprintf("SP-%d", i))
		want := datasets.Money((10 + i) * 100)
		if i == 0 {
			want = 9900 // the later write wins
		}
		if !ok || v.Amount != want {
			t.Fatalf("SP-%d in the store: %v %v", i, ok, v)
		}
	}
	expect(t, ts.do(req{method: "GET", path: "/readyz"}), 200)
	// A spool file that survives a crash is replayed at the next start.
	down.Store(true)
	expect(t, ts.do(req{method: "POST", path: "/v1/ingest/invoices", role: "admin", ctype: "text/csv",
		body: fmt.Sprintf("customer_id,invoice_id,issue_date,due_date,amount\n%s,SP-9,2024-03-01,2024-03-31,1.00\n", cust)}), 202)
	ts.stop()
	down.Store(false)
	ts.start()
	waitFor(t, "the spool of the last run to drain", func() bool { return ts.srv.sink.spool.empty() })
	st2, _ := ts.srv.store.get(context.Background())
	l, _ = st2.Load(context.Background())
	if _, ok := findInvoice(l, "SP-9"); !ok {
		t.Fatal("the spool of the last run was not replayed")
	}
}

func TestSpoolFileDamaged(t *testing.T) {
	dir := t.TempDir()
	sp, err := openSpool(dir)
	if err != nil {
		t.Fatal(err)
	}
	e, err := sp.append(&datasets.Ledger{Actions: []datasets.Action{{ID: "x", CustomerID: "c", Date: 5, Type: "call"}}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := sp.read(e)
	if err != nil || b.Actions[0].ID != "x" {
		t.Fatalf("read back %v %v", b, err)
	}
	// Flip a byte of the payload: the checksum catches it.
	path := dir + "/" + e.file()
	data := readFile(t, path)
	data[len(data)-1] ^= 0xff
	writeFile(t, path, data)
	if _, err := sp.read(e); !errors.Is(err, errSpoolCorrupt) {
		t.Fatalf("damaged file read: %v", err)
	}
	// A reopened spool finds the entry; a temporary file is cleaned up.
	writeFile(t, dir+"/00000000000000000001.r1.spool.tmp", []byte("half"))
	sp2, err := openSpool(dir)
	if err != nil || len(sp2.list()) != 1 || sp2.list()[0].Rows != 1 {
		t.Fatalf("reopened %+v %v", sp2.list(), err)
	}
	if err := sp2.quarantine(e); err != nil || !sp2.empty() {
		t.Fatalf("quarantine %v", err)
	}
	_ = embedded.FileName
}

// TestIngestRefusesACurrencyTheRatesCannotConvertAsTheServers: a row in a
// currency the rates in service have no rate for would stop, at the next
// rebuild, every answer converting to the server's currency (its --fx) or
// every score (the model's rates), for every client, so it is not stored;
// but the row is valid and only the server's configuration keeps it out,
// so the answer is a 503 missing-rate with Retry-After (it was a 422, or
// a 200 listing it among the bad rows, which tells a feed to set it aside
// for good), whose errors place the row and say what the operator must
// give. The other rows are stored, and the service stays whole.
func TestIngestRefusesACurrencyTheRatesCannotConvertAsTheServers(t *testing.T) {
	fx := recommender.SimFX()
	ts := newTestServer(t, func(c *Config) { c.FX = &fx })
	cust := ts.srv.snap.Load().ledger.Customers[0].ID
	body := "customer_id,invoice_id,issue_date,due_date,amount,currency\n" +
		cust + ",FX-1,2024-03-01,2024-03-31,100.00,chf\n" +
		cust + ",FX-2,2024-03-01,2024-03-31,100.00,EUR\n" +
		cust + ",FX-3,2024-03-01,2024-03-31,100.00,\n" +
		cust + ",FX-4,2024-13-01,2024-03-31,100.00,EUR\n"
	w := ts.do(req{method: "POST", path: "/v1/ingest/invoices", role: "admin", body: body, ctype: "text/csv"})
	p := problemOf(t, w, 503)
	if p.Type != problemTypeBase+"missing-rate" || w.Header().Get("Retry-After") != "300" {
		t.Errorf("type %q, Retry-After %q: want missing-rate, 300", p.Type, w.Header().Get("Retry-After"))
	}
	// The refused row first, placed and explained; then the bad one.
	// Each row's error carries the names of an ingest answer's rejects
	// too (field, value, reason).
	if len(p.Errors) != 2 || p.Errors[0].Line != 2 || p.Errors[0].Column != "currency" || p.Errors[0].Field != "currency" || p.Errors[0].Value != "chf" ||
		!strings.Contains(p.Errors[0].Detail, "no rate to EUR for CHF in the server's rates (--fx)") || p.Errors[0].Reason != p.Errors[0].Detail ||
		p.Errors[1].Line != 5 || p.Errors[1].Field != "issue_date" || p.Errors[1].Value != "2024-13-01" {
		t.Errorf("errors %+v", p.Errors)
	}
	// The detail says how many rows were stored and that the invalid one
	// will not be by sending the body again (it said "2 of its rows were
	// stored, 2 rejected in all", leaving a retrying client to find out).
	if !strings.HasPrefix(p.Detail, "the server has no exchange rate for CHF: 1 row in CHF was not stored, though valid: its error says") ||
		!strings.Contains(p.Detail, "2 rows were stored (rows are upserts by id") ||
		!strings.Contains(p.Detail, "1 other row is invalid and will not be stored by sending the body again: mend it first (errors lists it after the CHF row)") {
		t.Errorf("detail %q", p.Detail)
	}
	if !strings.Contains(ts.logs.String(), "request needs an exchange rate the server was not given") {
		t.Errorf("the operator is not told in the log:\n%s", ts.logs.String())
	}
	ts.settle()
	l := ts.srv.snap.Load().ledger
	if _, ok := findInvoice(l, "FX-1"); ok {
		t.Fatal("the CHF invoice was stored")
	}
	if _, ok := findInvoice(l, "FX-2"); !ok {
		t.Fatal("the EUR invoice was not stored")
	}
	expect(t, ts.do(req{method: "GET", path: "/readyz"}), 200)
	expect(t, ts.do(req{method: "GET", path: "/v1/kpi?from=2024-01-01&to=2024-03-31&currency=EUR", role: "viewer"}), 200)

	// Payments carry a currency too; a body of only such rows is no
	// client error either.
	pay := "payment_id,customer_id,invoice_id,payment_date,amount,currency\nFX-P1," + cust + ",FX-2,2024-03-10,10.00,XAU\n"
	p = problemOf(t, ts.do(req{method: "POST", path: "/v1/ingest/payments", role: "admin", body: pay, ctype: "text/csv"}), 503)
	if p.Type != problemTypeBase+"missing-rate" || len(p.Errors) != 1 || !strings.Contains(p.Errors[0].Detail, "no rate to EUR for XAU") {
		t.Fatalf("payment in XAU: %+v", p)
	}

	// The model's rates: a row it has no rate for would stop every score.
	reg := registryWithFXModel(t)
	tm := newTestServer(t, func(c *Config) { c.Models = model.Registry{Dir: reg} })
	m := tm.srv.snap.Load().model
	if m == nil || m.fx() == nil {
		t.Fatal("the model in service does not convert")
	}
	if _, ok := m.fx().Rate("JPY"); ok {
		t.Fatal("the case needs a currency the model has no rate for")
	}
	jpy := "customer_id,invoice_id,issue_date,due_date,amount,currency\n" + cust + ",FX-J,2024-03-01,2024-03-31,100.00,JPY\n"
	w = tm.do(req{method: "POST", path: "/v1/ingest/invoices", role: "admin", body: jpy, ctype: "text/csv"})
	p = problemOf(t, w, 503)
	if p.Type != problemTypeBase+"missing-rate" || w.Header().Get("Retry-After") == "" || len(p.Errors) != 1 ||
		!strings.Contains(p.Errors[0].Detail, "no rate to "+m.fx().To+" for JPY in the rates model "+m.meta.ID+" was trained with") {
		t.Fatalf("invoice in JPY, model without its rate: %+v (Retry-After %q)", p, w.Header().Get("Retry-After"))
	}
	tm.settle()
	if err := tm.srv.snap.Load().scoring(); err != nil {
		t.Fatalf("scores stopped: %v", err)
	}
}

// TestAWriteIsReadableThroughARebuild: from its acknowledgement on, a
// write is in the snapshot or in the batches waiting for the next one,
// while that snapshot is built too; and a dispute is resolved once
// however the requests interleave. (The rebuild used to take the waiting
// batches out before its snapshot was in service, so for its length a
// dispute just opened was "not found" and one just resolved could be
// resolved again.)
func TestAWriteIsReadableThroughARebuild(t *testing.T) {
	ts := newTestServer(t, nil)
	ts.settle()
	snap := ts.srv.snap.Load()
	a := openInvoice(t, snap, 0)
	for round := range 4 {
		id := fmt.Sprintf("D-R%d", round)
		w := ts.do(req{method: "POST", path: "/v1/disputes", role: "collector",
			body: fmt.Sprintf(`{"dispute_id":%q,"customer_id":%q,"invoice_id":%q,"opened_date":%q,"reason":"price"}`, id, a.CustomerID, a.InvoiceID, snap.asOf)})
		expect(t, w, http.StatusCreated)
		// Until a snapshot holds it, every look finds it waiting.
		deadline := time.Now().Add(30 * time.Second)
		for {
			sn, pending := ts.srv.view()
			_, inSnap := findDispute(sn.ledger, id)
			waiting := slices.ContainsFunc(pending, func(l *datasets.Ledger) bool {
				return slices.ContainsFunc(l.Disputes, func(d datasets.Dispute) bool { return d.ID == id })
			})
			if !inSnap && !waiting {
				t.Fatalf("round %d: dispute %s is in neither the snapshot nor the waiting batches", round, id)
			}
			if inSnap {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("round %d: dispute %s never reached a snapshot", round, id)
			}
		}
		// Two resolutions at once, as soon as it is opened: one wins.
		codes := make([]int, 2)
		var wg sync.WaitGroup
		for i := range codes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				codes[i] = ts.do(req{method: "POST", path: "/v1/disputes/" + id + "/resolve", role: "collector",
					body: fmt.Sprintf(`{"resolved_date":%q,"outcome":%q}`, snap.asOf, []string{"credited", "rejected"}[i])}).Code
			}()
		}
		wg.Wait()
		slices.Sort(codes)
		if codes[0] != http.StatusCreated || codes[1] != http.StatusConflict {
			t.Fatalf("round %d: two resolutions answered %v, want one 201 and one 409", round, codes)
		}
	}
}

// The API reads no dunning levels (the command line maps them to the
// scenario's steps): a body mapping them is refused, pointing to the
// import rather than to a flag the API lacks.
func TestIngestOfDunningLevelsPointsToTheImport(t *testing.T) {
	ts := newTestServer(t, nil)
	cust := ts.srv.snap.Load().ledger.Customers[0].ID
	body := "customer_id,invoice_id,issue_date,due_date,amount,Level\n" + cust + ",DL-1,2024-03-01,2024-03-31,100.00,2\n"
	w := ts.do(req{method: "POST", path: "/v1/ingest/invoices?columns=invoices.dunning_level=Level", role: "admin", body: body, ctype: "text/csv"})
	if w.Code < 400 {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	if b := w.Body.String(); !strings.Contains(b, "dsopilot import --dunning-levels") || strings.Contains(strings.ReplaceAll(b, "dsopilot import --dunning-levels", ""), "--dunning-levels") {
		t.Fatalf("answer %s: want the import named, no bare flag", b)
	}
}
