package reports

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
)

//go:embed assets
var assetFS embed.FS

// echartsAsset is where the Makefile puts ECharts.
const echartsAsset = "assets/echarts/echarts.min.js"

// siteMarker marks a directory written by WriteSite, which may replace it.
const siteMarker = ".dsopilot-report"

// Site is a report: every page rendered on demand from data computed once.
// It is safe for concurrent use.
type Site struct {
	b *book
}

// New computes the report's data from in. It fails with ErrNoECharts when
// the build does not carry ECharts, and with ErrInput for unusable input;
// a missing model or a failing optional source only leaves notes on the
// pages.
func New(ctx context.Context, in Input) (*Site, error) {
	if err := checkECharts(assetFS); err != nil {
		return nil, err
	}
	b, err := newBook(ctx, in)
	if err != nil {
		return nil, err
	}
	return &Site{b: b}, nil
}

// CheckAssets reports whether this build carries ECharts (ErrNoECharts
// when not): without it New fails, and tests skip or, under CI, fail.
func CheckAssets() error { return checkECharts(assetFS) }

// checkECharts reports whether fsys carries a non-empty ECharts.
func checkECharts(fsys fs.FS) error {
	fi, err := fs.Stat(fsys, echartsAsset)
	if err != nil || fi.Size() == 0 {
		return ErrNoECharts
	}
	return nil
}

// Failures lists, one line each in the order worklist, credit,
// forecast, snapshots, the optional parts that failed and left a note on
// their pages instead of their figures; nil when none did. A part with
// nothing to show (no measured action effects) is not a failure.
func (s *Site) Failures() []string {
	var out []string
	for _, k := range []string{"worklist", "credit", "forecast", "snapshots"} {
		if n := s.b.notes[k]; n != "" {
			out = append(out, n)
		}
	}
	return out
}

// Paths lists every page of the site, in a stable order (assets apart).
func (s *Site) Paths() []string {
	out := []string{pathIndex, pathCustomers, pathDisputes, pathCollections, pathModel, pathNotFound}
	b := s.b
	if b.empty() {
		return out
	}
	out = append(out, rowsPath(Slice{}))
	for _, kind := range []string{kindSegment, kindCountry, kindCurrency} {
		for _, sl := range b.dims[kind] {
			out = append(out, slicePath(sl.Slice), rowsPath(sl.Slice))
		}
	}
	for _, c := range b.customers {
		out = append(out, customerPath(c.ID))
	}
	return out
}

// Page writes the page at path (as Paths names it) to w; ErrPageNotFound
// when there is none.
func (s *Site) Page(w io.Writer, path string) error {
	p, err := s.build(path)
	if err != nil {
		return err
	}
	return s.render(w, p)
}

// build makes the page at path.
func (s *Site) build(path string) (*page, error) {
	b := s.b
	switch path {
	case pathIndex:
		if b.empty() {
			return s.nothingYet(path, "Portfolio", pathIndex), nil
		}
		return s.slicePage(b.portfolio), nil
	case pathCustomers:
		if b.empty() {
			return s.nothingYet(path, "Customers", pathCustomers), nil
		}
		return s.customersPage(), nil
	case pathDisputes:
		if b.empty() {
			return s.nothingYet(path, "Disputes", pathDisputes), nil
		}
		return s.disputesPage(), nil
	case pathCollections:
		if b.empty() {
			return s.nothingYet(path, "Collections", pathCollections), nil
		}
		return s.collectionsPage(), nil
	case pathModel:
		return s.modelPage(), nil
	case pathNotFound:
		return s.notFound(path, "This page does not exist in the report."), nil
	}
	if b.empty() {
		return nil, fmt.Errorf("%w: %s", ErrPageNotFound, path)
	}
	dir, file, ok := strings.Cut(path, "/")
	name, isHTML := strings.CutSuffix(file, ".html")
	switch {
	case !ok || !isHTML:
	case dir == "customers" && !strings.Contains(name, "/"):
		if c := b.custByPN[name]; c != nil {
			return s.customerPage(c), nil
		}
	case dir == "open":
		if file == "index.html" {
			return s.rowsPage(b.portfolio), nil
		}
		sub, n, ok := strings.Cut(name, "/")
		if sl := b.sliceIn(sub, n); ok && sl != nil {
			return s.rowsPage(sl), nil
		}
	default:
		if sl := b.sliceIn(dir, name); sl != nil {
			return s.slicePage(sl), nil
		}
	}
	return nil, fmt.Errorf("%w: %s", ErrPageNotFound, path)
}

// sliceIn finds a slice by its directory and escaped name.
func (b *book) sliceIn(dir, name string) *slice {
	for kind, d := range sliceDirs {
		if d == dir {
			return b.byName[kind][name]
		}
	}
	return nil
}

// WriteSite writes every page and the assets under dir. A directory that
// holds something other than an earlier report is refused, so that
// --out . cannot wipe a working directory; an earlier report is replaced.
func (s *Site) WriteSite(ctx context.Context, dir string) error {
	if err := prepareDir(dir); err != nil {
		return err
	}
	if err := writeAssets(dir); err != nil {
		return err
	}
	paths := s.Paths()
	jobs := make(chan string)
	errc := make(chan error, 1)
	var wg sync.WaitGroup
	for range max(1, runtime.GOMAXPROCS(0)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf bytes.Buffer
			for p := range jobs {
				buf.Reset()
				err := s.Page(&buf, p)
				if err == nil {
					err = writeFile(filepath.Join(dir, filepath.FromSlash(p)), buf.Bytes())
				}
				if err != nil {
					select {
					case errc <- err:
					default:
					}
				}
			}
		}()
	}
	var err error
feed:
	for _, p := range paths {
		select {
		case jobs <- p:
		case err = <-errc:
			break feed
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if err == nil {
		select {
		case err = <-errc:
		default:
		}
	}
	if err != nil {
		return fmt.Errorf("write report to %s: %w", dir, err)
	}
	return os.WriteFile(filepath.Join(dir, siteMarker), []byte("written by dsopilot report; the whole directory is replaced by the next run\n"), 0o644)
}

// prepareDir empties dir when it holds an earlier report, creates it when
// missing, and refuses anything else that is not empty.
func prepareDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return os.MkdirAll(dir, 0o755)
	}
	if err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if len(entries) == 0 {
		return nil
	}
	if _, err := os.Stat(filepath.Join(dir, siteMarker)); err != nil {
		return fmt.Errorf("write report: %s is not empty and holds no earlier report: refusing to overwrite it", dir)
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return fmt.Errorf("write report: clear %s: %w", dir, err)
		}
	}
	return nil
}

// writeAssets copies the embedded assets (ECharts, the script and the
// style sheet) under dir/assets.
func writeAssets(dir string) error {
	return fs.WalkDir(assetFS, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := assetFS.ReadFile(p)
		if err != nil {
			return err
		}
		return writeFile(filepath.Join(dir, filepath.FromSlash(p)), data)
	})
}

func writeFile(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}
