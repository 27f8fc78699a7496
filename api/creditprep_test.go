package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/recommender"
	"github.com/dsopilot/dsopilot/recommender/credit"
)

// gatedRisk is a slow risk source without sleeping: it learns a day only
// once its gate is open (or gives up when the asker's context ends, as
// the learnt default model does), and counts the days asked about. Its
// PDs are a function of the day and the customer, so that an answer
// shows which day's risks it read.
type gatedRisk struct {
	mu       sync.Mutex
	open     chan struct{}
	ignore   bool // ignores the asker's context (a computation that does not look at it)
	asked    map[datasets.Date]int
	released bool
}

func newGatedRisk() *gatedRisk {
	return &gatedRisk{open: make(chan struct{}), asked: map[datasets.Date]int{}}
}

// release opens the gate for good.
func (g *gatedRisk) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.released {
		g.released = true
		close(g.open)
	}
}

// shut closes the gate again (a fresh one).
func (g *gatedRisk) shut() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.released {
		g.open, g.released = make(chan struct{}), false
	}
}

func (g *gatedRisk) CustomerRisk(ctx context.Context, l *datasets.Ledger, asOf datasets.Date) (map[string]credit.Risk, error) {
	g.mu.Lock()
	g.asked[asOf]++
	open := g.open
	g.mu.Unlock()
	if g.ignore {
		<-open
	} else {
		select {
		case <-open:
		case <-ctx.Done():
			return nil, fmt.Errorf("learn the default model as of %s: %w", asOf, ctx.Err())
		}
	}
	out := map[string]credit.Risk{}
	for i := range l.Customers {
		id := l.Customers[i].ID
		out[id] = credit.Risk{PD: float64(int(asOf)%7+len(id)%5+1) / 100, Source: "model"}
	}
	return out, nil
}

// creditLines are the access-log lines of the credit-limit route.
func creditLines(t *testing.T, logs string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(logs, "\n") {
		if !strings.Contains(line, `"route":"/v1/customers/:id/credit-limit"`) {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

// A credit-limit request made while the snapshot's advice is still being
// prepared is a 503 at once (not a request held until the write timeout),
// naming what is prepared, with a Retry-After and logged as the 503 it
// is; /readyz says the advice is being prepared. Once prepared, the
// answer is the one the workflow computes on its own for that customer,
// and /readyz says ready.
func TestCreditLimitAnswers503UntilTheAdviceIsPrepared(t *testing.T) {
	f := testFixture(t)
	gate := newGatedRisk()
	roles := map[string]string{"admin": "finance_director"}
	w := NewCreditWorkflow(credit.DefaultPolicy(), recommender.SimFX(), gate, roles, nil)
	ts := newTestServerUnprepared(t, func(c *Config) { c.Credit = w })
	defer gate.release()
	cust := f.ledger.Customers[3].ID
	path := "/v1/customers/" + cust + "/credit-limit"

	start := time.Now()
	resp := ts.do(req{method: "GET", path: path, role: "viewer"})
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the request before the advice was prepared took %s: it must not wait for it", took)
	}
	p := problemOf(t, resp, http.StatusServiceUnavailable)
	if !strings.Contains(p.Detail, "being prepared") || !strings.Contains(p.Detail, f.asOf.String()) {
		t.Errorf("detail %q: want it to say the advice as of %s is being prepared", p.Detail, f.asOf)
	}
	if ra, err := strconv.Atoi(resp.Header().Get("Retry-After")); err != nil || ra < 1 {
		t.Errorf("Retry-After %q: want seconds", resp.Header().Get("Retry-After"))
	}
	lines := creditLines(t, ts.logs.String())
	if len(lines) != 1 || lines[0]["status"] != float64(http.StatusServiceUnavailable) {
		t.Fatalf("access log %v: want one line with status 503", lines)
	}
	rd := decode[readiness](t, ts.do(req{method: "GET", path: "/readyz"}))
	if rd.Credit == nil || rd.Credit.Status != "preparing" {
		t.Fatalf("readyz credit %+v: want preparing", rd.Credit)
	}

	gate.release()
	ts.creditPrepared()
	rd = decode[readiness](t, ts.do(req{method: "GET", path: "/readyz"}))
	if rd.Credit == nil || rd.Credit.Status != "ready" || rd.Credit.Customers == 0 {
		t.Fatalf("readyz credit %+v: want ready with customers", rd.Credit)
	}
	got := ts.do(req{method: "GET", path: path, role: "viewer"})
	expect(t, got, http.StatusOK)

	// The same customer's advice computed on its own, outside a server,
	// on the same ledger and risks.
	st, err := ts.srv.store.get(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	alone := NewCreditWorkflow(credit.DefaultPolicy(), recommender.SimFX(), gate, roles, nil)
	alone.bindStore(func(context.Context) (Store, error) { return st, nil })
	alone.Follow(ts.srv.snap.Load().settled, f.asOf)
	want, err := alone.CreditLimit(context.Background(), cust, f.asOf)
	if err != nil {
		t.Fatal(err)
	}
	wantJSON, _ := json.Marshal(want)
	var gotAdvice CreditAdvice
	if err := json.Unmarshal(got.Body.Bytes(), &gotAdvice); err != nil {
		t.Fatal(err)
	}
	gotJSON, _ := json.Marshal(gotAdvice)
	if string(gotJSON) != string(wantJSON) {
		t.Errorf("prepared advice differs from the customer's own:\n got %s\nwant %s", gotJSON, wantJSON)
	}
}

// A request whose own computation outlasts the request deadline (here a
// day the snapshot's advice was not prepared for, whose risks do not come)
// answers 503 within the deadline, through the one error mapping, with
// Retry-After, and is logged as a 503, never as a 200 nobody received.
func TestCreditLimitPastTheRequestDeadlineIs503(t *testing.T) {
	f := testFixture(t)
	gate := newGatedRisk()
	gate.release()
	const deadline = 300 * time.Millisecond
	w := NewCreditWorkflow(credit.DefaultPolicy(), recommender.SimFX(), gate, nil, nil)
	ts := newTestServer(t, func(c *Config) { c.Credit = w; c.RequestDeadline = deadline; c.WriteTimeout = 10 * time.Second })
	cust := f.ledger.Customers[5].ID
	expect(t, ts.do(req{method: "GET", path: "/v1/customers/" + cust + "/credit-limit", role: "viewer"}), http.StatusOK)

	gate.shut()
	defer gate.release()
	other := f.asOf.AddDays(-9) // not prepared: computed by the request
	start := time.Now()
	resp := ts.do(req{method: "GET", path: "/v1/customers/" + cust + "/credit-limit?as_of=" + other.String(), role: "viewer"})
	took := time.Since(start)
	p := problemOf(t, resp, http.StatusServiceUnavailable)
	if took < deadline || took > deadline+5*time.Second {
		t.Errorf("answered after %s: want soon after the %s deadline", took, deadline)
	}
	if p.Type != problemTypeBase+"unavailable" || !strings.Contains(p.Detail, "being prepared") || !strings.Contains(p.Detail, cust) {
		t.Errorf("problem %+v: want unavailable naming the customer's advice being prepared", p)
	}
	if resp.Header().Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	lines := creditLines(t, ts.logs.String())
	last := lines[len(lines)-1]
	if last["status"] != float64(http.StatusServiceUnavailable) || last["level"] != "ERROR" {
		t.Errorf("access log %v: want status 503 at error level", last)
	}

	// The day's risks come: asked again, the request is answered. On a
	// loaded machine the rest of the computation may itself outlast the
	// 300 ms deadline (a CI run did): what was learnt is kept, so asking
	// again goes on, as the 503 says, and ends in the answer.
	gate.release()
	for i := 0; ; i++ {
		resp := ts.do(req{method: "GET", path: "/v1/customers/" + cust + "/credit-limit?as_of=" + other.String(), role: "viewer"})
		if resp.Code == http.StatusOK {
			break
		}
		if resp.Code != http.StatusServiceUnavailable || i == 30 {
			t.Fatalf("asked again %d times after the risks came: status %d, want 200 in the end: %s", i+1, resp.Code, resp.Body.String())
		}
	}
}

// An answer finished after the write timeout reaches nobody: the access
// log says status 0 and what happened, not the 503 (or 200) the handler
// wrote. Here the computation ignores its context (the backstop for
// whatever does), so the deadline cannot cut it short.
func TestAnswerPastTheWriteTimeoutIsLoggedUndelivered(t *testing.T) {
	f := testFixture(t)
	gate := newGatedRisk()
	gate.ignore = true
	defer gate.release()
	const writeTimeout = 400 * time.Millisecond
	w := NewCreditWorkflow(credit.DefaultPolicy(), recommender.SimFX(), gate, nil, nil)
	ts := newTestServerUnprepared(t, func(c *Config) { c.Credit = w; c.WriteTimeout = writeTimeout })
	ln, err := listenLoopback()
	if err != nil {
		t.Fatal(err)
	}
	base, stop := serveOn(t, ts, ln)
	defer stop() //nolint:errcheck // the test's own server
	cust := f.ledger.Customers[2].ID
	errc := make(chan error, 1)
	go func() {
		r, err := http.NewRequest("GET", base+"/v1/customers/"+cust+"/credit-limit?as_of="+f.asOf.AddDays(-3).String(), nil)
		if err != nil {
			errc <- err
			return
		}
		r.Header.Set("Authorization", "Bearer "+ts.keys["viewer"])
		resp, err := http.DefaultClient.Do(r)
		if err == nil {
			_, err = io.ReadAll(resp.Body)
			resp.Body.Close()
			if err == nil {
				err = fmt.Errorf("an answer arrived: %s", resp.Status)
			}
		}
		errc <- err
	}()
	time.Sleep(3 * writeTimeout) // past the write timeout, however slow the machine
	gate.release()
	if err := <-errc; err == nil || strings.Contains(err.Error(), "an answer arrived") {
		t.Fatalf("client: %v; want the connection closed without an answer", err)
	}
	waitFor(t, "the access log line", func() bool { return len(creditLines(t, ts.logs.String())) > 0 })
	line := creditLines(t, ts.logs.String())[0]
	if line["status"] != float64(0) || line["level"] != "ERROR" || !strings.Contains(fmt.Sprint(line["err"]), "not delivered") {
		t.Errorf("access log %v: want status 0, error level, not delivered", line)
	}
}

// The prepared advice is the snapshot's: an ingest's rebuild prepares it
// again, the risks learnt again on the new records (the exposure answered
// holds the new invoice), while a reload of an unchanged store takes the
// prepared advice and its risks over instead of learning every month-end
// again.
func TestPreparedAdviceFollowsTheSnapshot(t *testing.T) {
	gate := newGatedRisk()
	gate.release()
	fx := recommender.SimFX()
	w := NewCreditWorkflow(credit.DefaultPolicy(), fx, gate, nil, nil)
	ts := newTestServer(t, func(c *Config) { c.Credit = w })
	snap := ts.srv.snap.Load()
	var cust datasets.Customer
	for _, c := range snap.ledger.Customers {
		if c.Currency == fx.To {
			cust = c
			break
		}
	}
	path := "/v1/customers/" + cust.ID + "/credit-limit"
	before := decode[CreditAdvice](t, ts.do(req{method: "GET", path: path, role: "viewer"}))
	asked := func() int {
		gate.mu.Lock()
		defer gate.mu.Unlock()
		return gate.asked[snap.asOf]
	}
	if n := asked(); n != 1 {
		t.Fatalf("the as-of day's risks learnt %d times, want once", n)
	}

	// An unchanged reload: a new ledger of the same records.
	gen := ts.srv.Generation()
	ts.srv.reloadWanted.Store(true)
	ts.srv.kickRebuild()
	if err := ts.srv.WaitSnapshot(context.Background(), gen+1); err != nil {
		t.Fatal(err)
	}
	ts.creditPrepared()
	if ts.srv.snap.Load().settled == snap.settled {
		t.Fatal("the reload kept the ledger: the test needs a new one")
	}
	if again := decode[CreditAdvice](t, ts.do(req{method: "GET", path: path, role: "viewer"})); again.Exposure != before.Exposure || asked() != 1 {
		t.Errorf("after an unchanged reload: exposure %s (was %s), as-of day learnt %d times: want the advice taken over", again.Exposure, before.Exposure, asked())
	}

	// A proposal changes the credit events: the request computes its own
	// answer, and the advice is prepared again in the background, which
	// then answers the same.
	w.mu.RLock()
	prepared := w.prep
	w.mu.RUnlock()
	expect(t, ts.do(req{method: "POST", path: "/v1/credit-proposals", role: "credit_manager",
		body: fmt.Sprintf(`{"customer_id":%q,"new_limit":%q,"reason":"growth"}`, cust.ID, (before.Suggested.Money() + 1_000_00).String())}), 201)
	own := ts.do(req{method: "GET", path: path, role: "viewer"})
	expect(t, own, http.StatusOK)
	waitFor(t, "the advice to be prepared again", func() bool {
		w.mu.RLock()
		defer w.mu.RUnlock()
		return w.prep != prepared && w.refreshing == nil
	})
	if again := ts.do(req{method: "GET", path: path, role: "viewer"}); again.Body.String() != own.Body.String() {
		t.Errorf("after the proposal, the advice prepared again:\n%s\nthe request's own:\n%s", again.Body.String(), own.Body.String())
	}

	issue := snap.asOf.AddDays(-20)
	const amount = datasets.Money(7_000_00)
	body := fmt.Sprintf("customer_id,invoice_id,issue_date,due_date,amount,currency\n%s,PREP-1,%s,%s,%s,%s\n", cust.ID, issue, issue.AddDays(30), amount, fx.To)
	expect(t, ts.do(req{method: "POST", path: "/v1/ingest/invoices", role: "admin", body: body, ctype: "text/csv"}), 200)
	ts.settle()
	after := decode[CreditAdvice](t, ts.do(req{method: "GET", path: path, role: "viewer"}))
	if got := after.Exposure.Money() - before.Exposure.Money(); got != amount {
		t.Errorf("exposure grew by %s after the ingest, want %s", got, amount)
	}
	if asked() < 2 {
		t.Errorf("the as-of day's risks learnt %d times after the ingest, want learnt again on the new records", asked())
	}
}

// While an ingest's snapshot has its advice prepared, a customer whose
// records the ingest left untouched is answered at once from the advice
// prepared on the snapshot before, marked previous_snapshot with a
// warning, and the same otherwise; the customer the ingest touched is a
// 503 until the new advice is ready, and is then answered on its new
// records. Before, both were a 503 for the whole preparation.
func TestUntouchedCustomersKeepTheirAdviceWhileTheNewSnapshotIsPrepared(t *testing.T) {
	gate := newGatedRisk()
	gate.release()
	fx := recommender.SimFX()
	w := NewCreditWorkflow(credit.DefaultPolicy(), fx, gate, nil, nil)
	ts := newTestServer(t, func(c *Config) { c.Credit = w })
	defer gate.release()
	snap := ts.srv.snap.Load()
	var same, touched string
	for _, c := range snap.ledger.Customers {
		if c.Currency != fx.To {
			continue
		}
		if same == "" {
			same = c.ID
		} else if touched == "" {
			touched = c.ID
		}
	}
	if touched == "" {
		t.Fatal("the fixture needs two customers in the policy's currency")
	}
	path := func(id string) string { return "/v1/customers/" + id + "/credit-limit" }
	before := ts.do(req{method: "GET", path: path(same), role: "viewer"})
	expect(t, before, http.StatusOK)
	touchedBefore := decode[CreditAdvice](t, ts.do(req{method: "GET", path: path(touched), role: "viewer"}))

	gate.shut() // the new snapshot's risks wait
	issue := snap.asOf.AddDays(-10)
	const amount = datasets.Money(3_000_00)
	body := fmt.Sprintf("customer_id,invoice_id,issue_date,due_date,amount,currency\n%s,PREV-1,%s,%s,%s,%s\n", touched, issue, issue.AddDays(30), amount, fx.To)
	expect(t, ts.do(req{method: "POST", path: "/v1/ingest/invoices", role: "admin", body: body, ctype: "text/csv"}), 200)
	waitFor(t, "the snapshot to take the ingest", ts.srv.Settled)
	waitFor(t, "the new snapshot's customers to be keyed", func() bool {
		w.mu.RLock()
		p := w.prep
		w.mu.RUnlock()
		if p == nil || p.l != ts.srv.snap.Load().settled {
			return false
		}
		select {
		case <-p.keyed:
			return true
		default:
			return false
		}
	})

	during := ts.do(req{method: "GET", path: path(same), role: "viewer"})
	expect(t, during, http.StatusOK)
	var was, now map[string]any
	if err := json.Unmarshal(before.Body.Bytes(), &was); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(during.Body.Bytes(), &now); err != nil {
		t.Fatal(err)
	}
	if now["previous_snapshot"] != true {
		t.Errorf("previous_snapshot %v during the preparation, want true", now["previous_snapshot"])
	}
	if ws, _ := now["warnings"].([]any); len(ws) == 0 || !strings.Contains(fmt.Sprint(ws), "snapshot before") {
		t.Errorf("warnings %v: want one naming the snapshot before", now["warnings"])
	}
	delete(now, "previous_snapshot")
	delete(now, "warnings")
	delete(was, "warnings")
	wasJSON, _ := json.Marshal(was)
	nowJSON, _ := json.Marshal(now)
	if string(wasJSON) != string(nowJSON) {
		t.Errorf("the untouched customer's advice during the preparation differs from before:\n got %s\nwant %s", nowJSON, wasJSON)
	}
	problemOf(t, ts.do(req{method: "GET", path: path(touched), role: "viewer"}), http.StatusServiceUnavailable)

	gate.release()
	ts.creditPrepared()
	after := decode[CreditAdvice](t, ts.do(req{method: "GET", path: path(touched), role: "viewer"}))
	if after.PreviousSnapshot {
		t.Error("the touched customer's advice after the preparation is marked previous_snapshot")
	}
	if got := after.Exposure.Money() - touchedBefore.Exposure.Money(); got != amount {
		t.Errorf("the touched customer's exposure grew by %s, want the ingested %s", got, amount)
	}
	if again := decode[CreditAdvice](t, ts.do(req{method: "GET", path: path(same), role: "viewer"})); again.PreviousSnapshot {
		t.Error("the untouched customer's advice is still marked previous_snapshot once the new one is prepared")
	}
}
