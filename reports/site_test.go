package reports

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
)

// needECharts skips a test that draws charts when the build has no
// ECharts (make echarts fetches it), and fails it under CI.
func needECharts(t testing.TB) {
	t.Helper()
	if err := CheckAssets(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
}

// newSite builds a site or fails the test.
func newSite(t testing.TB, in Input) *Site {
	t.Helper()
	needECharts(t)
	s, err := New(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// pages renders every page of s by path.
func pages(t testing.TB, s *Site) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, p := range s.Paths() {
		var buf bytes.Buffer
		if err := s.Page(&buf, p); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		out[p] = buf.String()
	}
	return out
}

var (
	hrefRE  = regexp.MustCompile(`href="([^"]*)"`)
	idRE    = regexp.MustCompile(` id="([^"]*)"`)
	chartRE = regexp.MustCompile(`(?s)<script type="application/json" data-chart="[^"]*">(.*?)</script>`)
)

// Every link of every page, in the HTML and in the charts' drill-down
// links, leads to a page of the site and, with a fragment, to an element
// of that page; no page refers to anything outside the site.
func TestEveryLinkResolves(t *testing.T) {
	s := newSite(t, modelInput(t))
	all := pages(t, s)
	ids := map[string]map[string]bool{}
	for p, html := range all {
		ids[p] = map[string]bool{}
		for _, m := range idRE.FindAllStringSubmatch(html, -1) {
			ids[p][m[1]] = true
		}
	}
	assets := map[string]bool{}
	fs.WalkDir(assetFS, "assets", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			assets[p] = true
		}
		return nil
	})
	checked := 0
	resolve := func(from, href string) {
		checked++
		if strings.Contains(href, "://") || strings.HasPrefix(href, "//") {
			t.Errorf("%s links outside the site: %s", from, href)
			return
		}
		if strings.HasPrefix(href, "data:") {
			return
		}
		u, err := url.Parse(href)
		if err != nil {
			t.Errorf("%s: bad link %q: %v", from, href, err)
			return
		}
		target := from
		if u.Path != "" {
			target = path.Join(path.Dir(from), u.Path)
		}
		if assets[target] {
			return
		}
		if _, ok := all[target]; !ok {
			t.Errorf("%s links to %s (%s): no such page", from, href, target)
			return
		}
		if u.Fragment != "" && !ids[target][u.Fragment] {
			t.Errorf("%s links to %s: %s has no element %q", from, href, target, u.Fragment)
		}
	}
	for p, html := range all {
		if strings.Contains(html, "go-echarts.github.io") || strings.Contains(html, "http://") || strings.Contains(html, "https://") {
			t.Errorf("%s names an outside address", p)
		}
		for _, m := range hrefRE.FindAllStringSubmatch(html, -1) {
			resolve(p, strings.ReplaceAll(m[1], "&amp;", "&"))
		}
		for _, m := range chartRE.FindAllStringSubmatch(html, -1) {
			var sp struct {
				Links [][]string `json:"links"`
			}
			if err := json.Unmarshal([]byte(m[1]), &sp); err != nil {
				t.Fatalf("%s: chart JSON: %v", p, err)
			}
			for _, ls := range sp.Links {
				for _, l := range ls {
					if l != "" {
						resolve(p, l)
					}
				}
			}
		}
	}
	if checked < 1000 {
		t.Errorf("only %d links checked", checked)
	}
	t.Logf("%d pages, %d links checked", len(all), checked)
}

// The rows behind the figures add up to the KPIs' figures: every open
// invoice's open amount sums to the receivables of its slice, by aging
// bucket, and the customers' receivables to the portfolio's.
func TestRowsAddUpToTheFigures(t *testing.T) {
	s := newSite(t, modelInput(t))
	b := s.b
	for _, sl := range b.allSlices() {
		var buckets [5]datasets.Money
		var risk datasets.Money
		for _, v := range sl.open {
			buckets[v.bucket()] += v.Open
			risk += v.risk
		}
		ag := sl.now.Aging
		want := [5]datasets.Money{ag.Current.Money(), ag.Days1To30.Money(), ag.Days31To60.Money(), ag.Days61To90.Money(), ag.Over90.Money()}
		if buckets != want {
			t.Errorf("%s: open invoices by bucket %v, KPIs' aging %v", sl.label(), buckets, want)
		}
		if risk != sl.risk {
			t.Errorf("%s: risk of the rows %v, figure %v", sl.label(), risk, sl.risk)
		}
	}
	var rec, over datasets.Money
	for _, c := range b.customers {
		rec += c.receivables
		over += c.overdue
	}
	if k := b.portfolio.now; rec != k.Receivables.Money() || over != k.OverdueReceivables.Money() {
		t.Errorf("customers add to %v receivables, %v overdue; the portfolio has %v and %v", rec, over, k.Receivables, k.OverdueReceivables)
	}
	if b.scores == 0 || b.scores != len(b.portfolio.open) {
		t.Errorf("%d of %d open invoices scored", b.scores, len(b.portfolio.open))
	}
}

// Records dated after the report's date change no page: the report is
// what was known at the end of that day.
func TestLaterRecordsChangeNothing(t *testing.T) {
	l, fx := simulated(t, 40, 12, 3)
	asOf := datasets.NewDate(2023, 9, 30)
	before := pages(t, newSite(t, Input{Ledger: l, FX: fx, AsOf: asOf, Build: "test"}))

	later := *l
	later.Invoices = append([]datasets.Invoice(nil), l.Invoices...)
	later.Payments = append([]datasets.Payment(nil), l.Payments...)
	later.Disputes = append([]datasets.Dispute(nil), l.Disputes...)
	later.Promises = append([]datasets.Promise(nil), l.Promises...)
	later.Actions = append([]datasets.Action(nil), l.Actions...)
	later.CreditDecisions = append([]datasets.CreditDecision(nil), l.CreditDecisions...)
	after := asOf.AddDays(3)
	c := l.Customers[0]
	later.Invoices = append(later.Invoices, datasets.Invoice{ID: "LATER-1", CustomerID: c.ID, IssueDate: after, DueDate: after.AddDays(30),
		Amount: 1_000_000, Currency: c.Currency})
	changed := 0
	for i := range later.Invoices {
		v := &later.Invoices[i]
		if v.IssueDate <= asOf && (v.SettledDate == 0 || v.SettledDate > asOf) && changed < 5 {
			// Settled, and paid, only after the report's date.
			v.SettledDate = after
			later.Payments = append(later.Payments, datasets.Payment{ID: "LATER-P" + v.ID, CustomerID: v.CustomerID, InvoiceID: v.ID,
				Date: after, Amount: v.Amount, Currency: v.Currency})
			later.Promises = append(later.Promises, datasets.Promise{ID: "LATER-PR" + v.ID, CustomerID: v.CustomerID, InvoiceID: v.ID,
				Made: asOf.AddDays(-2), PromisedDate: after, Amount: v.Amount, Status: datasets.PromiseKept})
			later.Disputes = append(later.Disputes, datasets.Dispute{ID: "LATER-D" + v.ID, CustomerID: v.CustomerID, InvoiceID: v.ID,
				Opened: asOf.AddDays(-1), Resolved: after, Reason: "price", Amount: 100, Outcome: "credited"})
			changed++
		}
	}
	later.Actions = append(later.Actions, datasets.Action{ID: "LATER-A", CustomerID: c.ID, Date: after, Type: "call", Channel: "phone", Outcome: "paid"})
	later.CreditDecisions = append(later.CreditDecisions, datasets.CreditDecision{ID: "LATER-C", CustomerID: c.ID, Date: after, OldLimit: 1, NewLimit: 2})
	if changed < 5 {
		t.Fatalf("only %d open invoices to change", changed)
	}
	// The disputes opened before the date and resolved after it must show
	// as open: compare with the same disputes left unresolved.
	unresolved := *l
	unresolved.Disputes = append([]datasets.Dispute(nil), l.Disputes...)
	unresolved.Promises = append([]datasets.Promise(nil), l.Promises...)
	for _, d := range later.Disputes[len(l.Disputes):] {
		d.Resolved, d.Outcome = 0, ""
		unresolved.Disputes = append(unresolved.Disputes, d)
	}
	for _, p := range later.Promises[len(l.Promises):] {
		p.Status = datasets.PromiseOpen
		unresolved.Promises = append(unresolved.Promises, p)
	}
	want := pages(t, newSite(t, Input{Ledger: &unresolved, FX: fx, AsOf: asOf, Build: "test"}))
	got := pages(t, newSite(t, Input{Ledger: &later, FX: fx, AsOf: asOf, Build: "test"}))
	if len(got) != len(want) {
		t.Fatalf("%d pages with later records, %d without", len(got), len(want))
	}
	for p, html := range want {
		if got[p] != html {
			t.Errorf("%s changed with records dated after %s", p, asOf)
		}
	}
	// The disputes and promises themselves do show, as open.
	if cp := customerPath(later.Disputes[len(l.Disputes)].CustomerID); !strings.Contains(got[cp], "LATER-D") || got[cp] == before[cp] {
		t.Errorf("%s does not show the dispute opened before the date", cp)
	}
}

// A ledger with nothing invoiced by the report's date gives a site that
// says so, with no chart.
func TestEmptyLedgerSaysNothingYet(t *testing.T) {
	l, _ := simulated(t, 5, 3, 1)
	for name, in := range map[string]Input{
		"no records":          {Ledger: &datasets.Ledger{}, AsOf: datasets.NewDate(2024, 12, 31)},
		"nothing by the date": {Ledger: l, AsOf: datasets.NewDate(2022, 12, 31)},
	} {
		t.Run(name, func(t *testing.T) {
			s := newSite(t, in)
			all := pages(t, s)
			if len(all) != 6 {
				t.Errorf("%d pages, want the 6 top-level ones", len(all))
			}
			for p, html := range all {
				if strings.Contains(html, "data-chart") || strings.Contains(html, "echarts.min.js") {
					t.Errorf("%s draws a chart", p)
				}
			}
			for _, p := range []string{pathIndex, pathCustomers, pathDisputes, pathCollections} {
				if !strings.Contains(all[p], "Nothing yet") {
					t.Errorf("%s does not say there is nothing yet", p)
				}
			}
			if !strings.Contains(all[pathModel], "No model to show") {
				t.Errorf("the model page does not say there is no model")
			}
			dir := t.TempDir()
			if err := s.WriteSite(context.Background(), dir); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(filepath.Join(dir, "index.html")); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// The handler serves pages, assets, a 404 page for an unknown customer or
// page, and refuses other methods.
func TestHandler(t *testing.T) {
	l, fx := simulated(t, 20, 6, 2)
	s := newSite(t, Input{Ledger: l, FX: fx, AsOf: datasets.NewDate(2023, 6, 30)})
	h := NewHandler(s, nil)
	c := s.b.customers[0]
	for _, tc := range []struct {
		method, path string
		status       int
		ctype, has   string
	}{
		{"GET", "/", 200, "text/html", "Receivables portfolio"},
		{"GET", "/index.html", 200, "text/html", "Receivables portfolio"},
		{"GET", "/" + customerPath(c.ID), 200, "text/html", "Customer " + c.ID},
		{"HEAD", "/" + customerPath(c.ID), 200, "text/html", ""},
		{"GET", "/customers/NOBODY.html", 404, "text/html", "There is no customer NOBODY"},
		{"GET", "/customers/../../../etc/passwd", 404, "text/html", "Not found"},
		{"GET", "/segments/nope.html", 404, "text/html", "Not found"},
		{"GET", "/open/segments/nope.html", 404, "text/html", "Not found"},
		{"GET", "/nope", 404, "text/html", "Not found"},
		{"GET", "/assets/echarts/echarts.min.js", 200, "javascript", ""},
		{"GET", "/assets/dsopilot.css", 200, "text/css", ""},
		{"POST", "/index.html", 405, "", ""},
	} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(tc.method, tc.path, nil))
		body := w.Body.String()
		if w.Code != tc.status || !strings.Contains(w.Header().Get("Content-Type"), tc.ctype) || !strings.Contains(body, tc.has) {
			t.Errorf("%s %s: %d %q, body has %q: %v; want %d %q", tc.method, tc.path, w.Code, w.Header().Get("Content-Type"), tc.has,
				strings.Contains(body, tc.has), tc.status, tc.ctype)
		}
		if tc.method == "HEAD" && body != "" {
			t.Errorf("HEAD %s has a body", tc.path)
		}
		if tc.status != 405 && !strings.Contains(w.Header().Get("Content-Security-Policy"), "default-src 'self'") {
			t.Errorf("%s %s: no content security policy", tc.method, tc.path)
		}
	}
	// A 404 page's links work from where it was asked for.
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/customers/NOBODY.html", nil))
	if !strings.Contains(w.Body.String(), `href="../index.html"`) || !strings.Contains(w.Body.String(), `href="../assets/dsopilot.css"`) {
		t.Errorf("the 404 page's links are not relative to its path")
	}
	// Swap serves another site.
	empty := newSite(t, Input{Ledger: &datasets.Ledger{}, AsOf: datasets.NewDate(2023, 6, 30)})
	h.Swap(empty)
	w = httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	if !strings.Contains(w.Body.String(), "Nothing yet") {
		t.Errorf("after Swap the index is not the new site's")
	}
}

// Ids and names are escaped everywhere: in paths, in the HTML and in the
// charts' JSON.
func TestHostileNamesAreEscaped(t *testing.T) {
	l, fx := simulated(t, 10, 6, 4)
	const id, name = `../C"1<b>/x`, `<script>alert("x")</script> & Co`
	old := l.Customers[0].ID
	l.Customers[0].ID, l.Customers[0].Name, l.Customers[0].Segment = id, name, `a b/<i>`
	for i := range l.Invoices {
		if l.Invoices[i].CustomerID == old {
			l.Invoices[i].CustomerID = id
			l.Invoices[i].Segment = ""
			l.Invoices[i].ID = `<img src=x onerror=alert(1)>#` + l.Invoices[i].ID
		}
	}
	for i := range l.Payments {
		if l.Payments[i].CustomerID == old {
			l.Payments[i].CustomerID = id
			l.Payments[i].InvoiceID = `<img src=x onerror=alert(1)>#` + l.Payments[i].InvoiceID
		}
	}
	s := newSite(t, Input{Ledger: l, FX: fx, AsOf: datasets.NewDate(2023, 6, 30)})
	dir := t.TempDir()
	if err := s.WriteSite(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, filepath.FromSlash(customerPath(id)))
	if rel, err := filepath.Rel(dir, p); err != nil || strings.HasPrefix(rel, "..") {
		t.Fatalf("the customer page %s is outside the site", p)
	}
	page, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	html := string(page)
	for _, bad := range []string{"<script>alert", "<img src=x", `C"1<b>`, "<i>"} {
		if strings.Contains(html, bad) {
			t.Errorf("the customer page holds %q unescaped", bad)
		}
	}
	if !strings.Contains(html, "&lt;script&gt;alert") || !strings.Contains(html, `\u003cimg src=x`) {
		t.Errorf("the customer page does not show the escaped name and ids")
	}
	for _, p := range []string{pathIndex, pathCustomers} {
		var buf bytes.Buffer
		if err := s.Page(&buf, p); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(buf.String(), "<script>alert") {
			t.Errorf("%s holds the name unescaped", p)
		}
	}
	w := httptest.NewRecorder()
	NewHandler(s, nil).ServeHTTP(w, httptest.NewRequest("GET", "/"+customerPath(id), nil))
	if w.Code != http.StatusOK {
		t.Errorf("the handler answers %d for the escaped customer path", w.Code)
	}
}

// WriteSite replaces an earlier report but refuses a directory that holds
// anything else.
func TestWriteSiteReplacesOnlyAReport(t *testing.T) {
	l, fx := simulated(t, 10, 4, 6)
	s := newSite(t, Input{Ledger: l, FX: fx, AsOf: datasets.NewDate(2023, 4, 30)})
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteSite(context.Background(), dir); err == nil || !strings.Contains(err.Error(), "refusing") {
		t.Fatalf("writing into a directory with other files: %v", err)
	}
	out := filepath.Join(dir, "report")
	if err := s.WriteSite(context.Background(), out); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(out, "customers", "GONE.html")
	if err := os.WriteFile(stale, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteSite(context.Background(), out); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a page of the earlier report survived: %v", err)
	}
	for _, p := range append(s.Paths(), "assets/echarts/echarts.min.js", "assets/echarts/LICENSE", "assets/dsopilot.js") {
		if _, err := os.Stat(filepath.Join(out, filepath.FromSlash(p))); err != nil {
			t.Errorf("missing %s: %v", p, err)
		}
	}
}

func TestMissingEChartsIsAClearError(t *testing.T) {
	for name, fsys := range map[string]fstest.MapFS{
		"absent": {"assets/dsopilot.js": {Data: []byte("x")}},
		"empty":  {echartsAsset: {Data: nil}},
	} {
		if err := checkECharts(fsys); !errors.Is(err, ErrNoECharts) || !strings.Contains(err.Error(), "make echarts") {
			t.Errorf("%s: %v", name, err)
		}
	}
	if err := checkECharts(fstest.MapFS{echartsAsset: {Data: []byte("echarts")}}); err != nil {
		t.Errorf("present: %v", err)
	}
}

// A ledger in several currencies reported unconverted says so on every
// page with amounts.
func TestUnconvertedCurrenciesAreFlagged(t *testing.T) {
	l, _ := simulated(t, 30, 4, 8)
	s := newSite(t, Input{Ledger: l, AsOf: datasets.NewDate(2023, 4, 30)})
	if len(s.b.mixed) < 2 {
		t.Fatalf("the simulated ledger has currencies %v", s.b.mixed)
	}
	all := pages(t, s)
	for _, p := range []string{pathIndex, pathCustomers, customerPath(s.b.customers[0].ID), rowsPath(Slice{})} {
		if !strings.Contains(all[p], "added together unconverted") {
			t.Errorf("%s does not warn that currencies are mixed", p)
		}
	}
}

// An export without dispute records flags its disputed invoices: from
// the ledger's own date the disputes page lists the open ones flagged
// (the worklist routes them to dispute handling), and an invoice row says
// so; a report of an earlier day does not read today's flags into it.
func TestDisputeFlagsStandInOnTheLedgersDate(t *testing.T) {
	l, fx := simulated(t, 40, 12, 3)
	flagged := *l
	flagged.Disputes = nil
	flagged.Invoices = append([]datasets.Invoice(nil), l.Invoices...)
	facts := features.FactsOf(&flagged)
	var ids []string
	for i := range flagged.Invoices {
		v := &flagged.Invoices[i]
		v.Disputed = false
		if (v.SettledDate == 0 || v.SettledDate > facts.FlagsAsOf) && len(ids) < 3 {
			v.Disputed = true
			ids = append(ids, v.ID)
		}
	}
	if len(ids) < 3 {
		t.Fatalf("only %d open invoices", len(ids))
	}
	cases := []struct {
		name   string
		asOf   datasets.Date
		listed bool
	}{
		{"on the ledger's date", facts.FlagsAsOf, true},
		{"a month before it", facts.FlagsAsOf.AddDays(-30), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			all := pages(t, newSite(t, Input{Ledger: &flagged, FX: fx, AsOf: tc.asOf, Build: "test"}))
			page := all[pathDisputes]
			if got := strings.Contains(page, "Open invoices flagged disputed"); got != tc.listed {
				t.Fatalf("flagged invoices listed %v, want %v", got, tc.listed)
			}
			if !tc.listed {
				if !strings.Contains(page, "The ledger records no dispute") {
					t.Error("the page does not say the ledger records no dispute")
				}
				return
			}
			for _, id := range ids {
				if !strings.Contains(page, ">"+id+"<") {
					t.Errorf("flagged invoice %s not listed", id)
				}
			}
		})
	}
}
