package reports

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// chromium finds a Chromium (Debian's package installs /usr/bin/chromium).
func chromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// browser watches one headless Chromium: console errors, uncaught
// exceptions, failed loads, and every request the pages make.
type browser struct {
	ctx    context.Context
	origin string
	mu     sync.Mutex
	errs   []string
	remote []string
	seen   int
}

func newBrowser(t *testing.T, origin string) *browser {
	t.Helper()
	exe := chromium()
	if exe == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("no Chromium installed: CI must install Debian's chromium (see .ci/run)")
		}
		t.Skip("no Chromium installed (apt-get install chromium): the browser test needs one")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-component-update", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1366, 900))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 4*time.Minute)
	t.Cleanup(func() { cancelT(); cancelC(); cancelA() })
	b := &browser{ctx: ctx, origin: origin}
	err := chromedp.Listen(ctx, func(ev any) {
		b.mu.Lock()
		defer b.mu.Unlock()
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
				var parts []string
				for _, a := range ev.Args {
					parts = append(parts, strings.Trim(string(a.Value), `"`)+a.Description)
				}
				b.errs = append(b.errs, "console."+string(ev.Type)+": "+strings.Join(parts, " "))
			}
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			desc := ""
			if d.Exception != nil {
				desc = d.Exception.Description
			}
			b.errs = append(b.errs, fmt.Sprintf("exception: %s %s at %s:%d", d.Text, desc, d.URL, d.LineNumber+1))
		case *log.EventEntryAdded:
			if ev.Entry.Level == log.EntryLevelError {
				b.errs = append(b.errs, fmt.Sprintf("log (%s): %s %s", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL))
			}
		case *network.EventRequestWillBeSent:
			b.seen++
			u := ev.Request.URL
			if !strings.HasPrefix(u, b.origin+"/") && !strings.HasPrefix(u, "data:") && !strings.HasPrefix(u, "about:") {
				b.remote = append(b.remote, u)
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// check fails the test for every console error or outside request so far.
func (b *browser) check(t *testing.T, where string) {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, e := range b.errs {
		t.Errorf("%s: %s", where, e)
	}
	for _, u := range b.remote {
		t.Errorf("%s: a request left the site: %s", where, u)
	}
	b.errs, b.remote = nil, nil
}

// chartState is what the test reads of each chart once drawn.
type chartState struct {
	ID       string  `json:"id"`
	Title    string  `json:"title"`
	Canvases int     `json:"canvases"`
	Drawn    float64 `json:"drawn"` // share of the canvas pixels not blank
	Points   int     `json:"points"`
}

// chartsJS waits until every chart of the page has been drawn, then
// measures each canvas: the share of its pixels that are not blank
// (transparent or near white), and the data points its option holds.
const chartsJS = `(() => {
  const els = Array.from(document.querySelectorAll('.chart'));
  return els.map((el, i) => {
    const cs = Array.from(el.querySelectorAll('canvas'));
    let drawn = 0, total = 0;
    for (const c of cs) {
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      total += d.length / 4;
      for (let k = 0; k < d.length; k += 4) {
        if (d[k+3] > 16 && !(d[k] > 240 && d[k+1] > 240 && d[k+2] > 240)) drawn++;
      }
    }
    const inst = window.echarts && echarts.getInstanceByDom(el);
    let points = 0;
    if (inst) for (const s of inst.getOption().series || []) points += (s.data || []).length;
    return {id: el.id, title: el.getAttribute('aria-label'), canvases: cs.length, drawn: total ? drawn / total : 0, points: points};
  });
})()`

// visit opens a page, checks its charts are drawn and writes a screenshot.
func (b *browser) visit(t *testing.T, url, shot string) []chartState {
	t.Helper()
	err := chromedp.Do(b.ctx, chromedp.Navigate(url), chromedp.WaitReady("body"),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Poll[bool](`document.querySelectorAll('.chart').length === 0 || (window.dsopilot && dsopilot.charts.length === document.querySelectorAll('.chart').length)`,
				chromedp.WithPollingTimeout(30*time.Second))(ctx, tg)
			return err
		}))
	if err != nil {
		t.Fatalf("%s: %v", url, err)
	}
	states, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]chartState](chartsJS))
	if err != nil {
		t.Fatalf("%s: %v", url, err)
	}
	for _, c := range states {
		if c.Canvases == 0 || c.Drawn < 0.01 || c.Points == 0 {
			t.Errorf("%s: chart %q is not drawn: %d canvases, %.2f%% of the pixels drawn, %d data points", url, c.Title, c.Canvases, 100*c.Drawn, c.Points)
		}
	}
	if shot != "" {
		png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("%s: screenshot: %v", url, err)
		}
		if err := os.WriteFile(filepath.Join(t.ArtifactDir(), shot), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b.check(t, url)
	return states
}

// location is the page's URL.
func (b *browser) location(t *testing.T) string {
	t.Helper()
	u, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestBrowser opens the written site in headless Chromium: no JavaScript
// error, every chart drawn, no request leaving the site, and the
// drill-down from the portfolio reaching a customer and an invoice, by
// clicking a chart's bar and then table links. Screenshots of the main
// pages go to the test's artifact directory (go test -artifacts keeps
// them). Skipped when no Chromium is installed, failed instead under CI.
func TestBrowser(t *testing.T) {
	if chromium() == "" {
		newBrowser(t, "") // skips, or fails under CI
	}
	needECharts(t)
	in := modelInput(t)
	s, err := New(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := s.WriteSite(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	defer srv.Close()
	b := newBrowser(t, srv.URL)
	t.Logf("screenshots in %s", t.ArtifactDir())

	top := rankCustomers(s.b.customers)[0]
	seg := s.b.dims[kindSegment][0]
	for _, pg := range []struct{ path, shot string }{
		{pathIndex, "portfolio.png"},
		{slicePath(seg.Slice), "segment.png"},
		{slicePath(s.b.dims[kindCountry][0].Slice), "country.png"},
		{customerPath(top.ID), "customer.png"},
		{rowsPath(Slice{}), ""},
		{pathCustomers, ""},
		{pathDisputes, "disputes.png"},
		{pathCollections, "collections.png"},
		{pathModel, "model.png"},
	} {
		states := b.visit(t, srv.URL+"/"+pg.path, pg.shot)
		var parts []string
		for _, c := range states {
			parts = append(parts, fmt.Sprintf("%.1f%%", 100*c.Drawn))
		}
		t.Logf("%s: %d charts drawn (%s of their pixels)", pg.path, len(states), strings.Join(parts, " "))
	}

	// Drill down: click the first bar of "Receivables by segment" on the
	// portfolio, then a customer in the segment's table, then an invoice.
	b.visit(t, srv.URL+"/"+pathIndex, "")
	xy, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]float64](`(() => {
	  const el = Array.from(document.querySelectorAll('.chart')).find(e => e.getAttribute('aria-label') === 'Receivables by segment');
	  el.scrollIntoView({block: 'center'});
	  const c = echarts.getInstanceByDom(el);
	  const o = c.getOption();
	  const v = o.series[0].data[0].value;
	  const p = c.convertToPixel({seriesIndex: 0}, [v / 2, 0]);
	  const r = el.getBoundingClientRect();
	  return [r.left + p[0], r.top + p[1]];
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(b.ctx, chromedp.MouseClickXY(xy[0], xy[1]), chromedp.WaitReady("#customer-list")); err != nil {
		t.Fatalf("clicking the segment bar: %v", err)
	}
	if got, want := b.location(t), srv.URL+"/"+slicePath(seg.Slice); got != want {
		t.Fatalf("the segment bar led to %s, want %s", got, want)
	}
	b.check(t, "segment page after the click")
	if err := chromedp.Do(b.ctx, chromedp.Click("#customer-list tbody tr:first-child a"), chromedp.WaitReady("#invoices")); err != nil {
		t.Fatalf("clicking the first customer: %v", err)
	}
	loc := b.location(t)
	if !strings.Contains(loc, "/customers/") {
		t.Fatalf("the customer link led to %s", loc)
	}
	if err := chromedp.Do(b.ctx, chromedp.Click(`#open-invoices tbody tr:first-child a`), chromedp.Sleep(200*time.Millisecond)); err != nil {
		t.Fatalf("clicking an open invoice: %v", err)
	}
	target, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`(() => { const t = document.querySelector(':target'); return t ? t.tagName + '#' + t.id : ''; })()`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(target, "TR#inv-") || !strings.HasSuffix(b.location(t), "#"+strings.TrimPrefix(target, "TR#")) {
		t.Fatalf("the invoice link reached %q at %s, want an invoice row", target, b.location(t))
	}
	b.check(t, "drill-down")

	// The rows behind a figure: the portfolio's overdue tile, then an
	// invoice of the oldest bucket, on its customer's page.
	b.visit(t, srv.URL+"/"+pathIndex, "")
	if err := chromedp.Do(b.ctx, chromedp.Click(`a.tile[href$="#overdue"]`), chromedp.WaitReady("#aging-d90")); err != nil {
		t.Fatalf("clicking the overdue figure: %v", err)
	}
	if err := chromedp.Do(b.ctx, chromedp.Click(`#overdue table tbody tr:first-child td:first-child a`), chromedp.WaitReady("#invoices"), chromedp.Sleep(200*time.Millisecond)); err != nil {
		t.Fatalf("clicking an overdue invoice: %v", err)
	}
	target, err = chromedp.Run(b.ctx, chromedp.Evaluate[string](`(() => { const t = document.querySelector(':target'); return t ? t.id : ''; })()`))
	if err != nil || !strings.HasPrefix(target, "inv-") {
		t.Fatalf("the overdue invoice link reached %q (%v) at %s", target, err, b.location(t))
	}
	b.check(t, "rows")
	b.mu.Lock()
	t.Logf("%d requests, all to %s", b.seen, srv.URL)
	b.mu.Unlock()
}
