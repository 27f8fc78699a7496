package reports

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
)

// demoInput is the demo's ledger (600 customers, 24 months, seed 42, as
// `make demo` simulates it) in EUR as of 2024-12-31, scored by the small
// fixture model (trained on another ledger: the scoring work is the same).
func demoInput(b *testing.B) Input {
	in := modelInput(b)
	l, fx := simulated(b, 600, 24, 42)
	in.Ledger, in.FX, in.AsOf = l, fx, datasets.NewDate(2024, 12, 31)
	return in
}

// BenchmarkSite measures the whole static site for the demo ledger: the
// data (KPIs, scores) and every page written to disk. Target: under 10 s.
func BenchmarkSite(b *testing.B) {
	in := demoInput(b)
	dir := b.TempDir()
	var pages int
	for b.Loop() {
		start := time.Now()
		s, err := New(context.Background(), in)
		if err != nil {
			b.Fatal(err)
		}
		data := time.Since(start)
		if err := s.WriteSite(context.Background(), dir); err != nil {
			b.Fatal(err)
		}
		pages = len(s.Paths())
		b.Logf("data %.2fs, pages %.2fs", data.Seconds(), time.Since(start).Seconds()-data.Seconds())
	}
	b.ReportMetric(float64(pages), "pages")
}

// BenchmarkCustomerPage measures one customer page served by the Handler
// (what `dsopilot serve` answers under /reports/). Target: under 100 ms.
func BenchmarkCustomerPage(b *testing.B) {
	in := demoInput(b)
	s, err := New(context.Background(), in)
	if err != nil {
		b.Fatal(err)
	}
	h := NewHandler(s, nil)
	// The customer with the most invoices: the heaviest page.
	c := s.b.customers[0]
	for _, x := range s.b.customers {
		if len(x.invoices) > len(c.invoices) {
			c = x
		}
	}
	url := "/" + customerPath(c.ID)
	b.Logf("customer %s with %d invoices", c.ID, len(c.invoices))
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, url, nil))
		if w.Code != http.StatusOK {
			b.Fatalf("%s: status %d", url, w.Code)
		}
		io.Copy(io.Discard, w.Body)
	}
}
