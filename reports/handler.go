package reports

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"path"
	"strings"
	"sync/atomic"
)

// Handler serves a Site over HTTP: the same pages as WriteSite, rendered
// on demand, and the assets. Mount it under a prefix with
// mux.Handle("/reports/", http.StripPrefix("/reports", h)), and redirect
// "/reports" to "/reports/" so that the pages' relative links resolve.
// Swap replaces the site (after new data or a new model) without failing a
// request in flight.
type Handler struct {
	site atomic.Pointer[Site]
	log  *slog.Logger
}

var _ http.Handler = (*Handler)(nil)

// NewHandler serves s.
func NewHandler(s *Site, log *slog.Logger) *Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &Handler{log: log}
	h.site.Store(s)
	return h
}

// Swap serves s from now on.
func (h *Handler) Swap(s *Site) { h.site.Store(s) }

// csp keeps every page to its own site: scripts, styles and data only from
// it (the inline style attributes size the charts).
const csp = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; frame-ancestors 'self'"

// ServeHTTP serves GET and HEAD requests for pages and assets.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	p := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
	if p == "" || strings.HasSuffix(r.URL.Path, "/") && !strings.Contains(path.Base(p), ".") {
		p = strings.TrimPrefix(p+"/index.html", "/")
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", csp)
	if strings.HasPrefix(p, pathAssets) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		http.ServeFileFS(w, r, assetFS, p)
		return
	}
	s := h.site.Load()
	var buf bytes.Buffer
	status := http.StatusOK
	err := s.Page(&buf, p)
	if errors.Is(err, ErrPageNotFound) {
		status = http.StatusNotFound
		buf.Reset()
		pg := s.notFound(p, notFoundText(s, p))
		err = s.render(&buf, pg)
	}
	if err != nil {
		h.log.Error("report page", "path", p, "err", err)
		http.Error(w, "the report page failed; see the server log", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(status)
	if r.Method == http.MethodGet {
		w.Write(buf.Bytes())
	}
}

// notFoundText says what was not found, in the user's terms.
func notFoundText(s *Site, p string) string {
	if name, ok := strings.CutPrefix(p, "customers/"); ok {
		return "There is no customer " + strings.TrimSuffix(name, ".html") + " in the ledger as of " + s.b.asOf.String() + "."
	}
	return "There is no page " + p + " in the report."
}
