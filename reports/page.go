package reports

import (
	"bytes"
	"embed"
	"fmt"
	"html"
	"html/template"
	"io"
	"strconv"
	"strings"
)

//go:embed templates/page.html
var templateFS embed.FS

// pageTemplate is parsed once; executing it is safe for concurrent use.
var pageTemplate = template.Must(template.ParseFS(templateFS, "templates/page.html"))

// page is one HTML page: a header, sections of blocks, a footer. Builders
// fill it; the template renders it, escaping every text.
type page struct {
	Path     string
	Title    string
	Lead     string
	Crumbs   []link
	Notes    []note
	Sections []section
	// filled by render
	Root, AsOf, Unit, Build string
	Nav                     []navLink
	Charts                  bool
	nav                     string
	nextID                  int
}

type link struct{ Text, Href string }

type navLink struct {
	Text, Href string
	Here       bool
}

type note struct {
	Class string // "", "warn" or "na" (not available)
	Text  string
	Links []link
}

type section struct {
	ID, Title, Lead string
	Blocks          []block
}

// block is one of: tiles, a grid of charts, a note, facts, a table.
type block struct {
	Tiles  []tile
	Charts []*chart
	Note   *note
	Facts  []fact
	Table  *table
}

type tile struct{ Label, Value, Unit, Sub, Href, Title string }

type fact struct{ Label, Value, Href string }

type table struct {
	ID, Caption string
	Cols        []col
	Rows        []row
	Total       *row
	Empty       string
}

type col struct {
	Title string
	Num   bool
}

type row struct {
	ID, Class string
	Cells     []cell
}

type cell struct {
	Text, Href, Class, Title string
	Details                  *details
}

type details struct {
	Summary string
	Items   []string
}

// HTML renders t. Tables are the bulk of the larger pages, so they are
// written directly rather than through html/template (several times
// slower); every text and attribute goes through html.EscapeString, and
// every href is a site path built here (PathName keeps ids to safe
// characters), never a URL taken from the data.
func (t *table) HTML() template.HTML {
	var b strings.Builder
	b.Grow(256 + 160*len(t.Rows))
	esc := html.EscapeString
	b.WriteString(`<table class="wide"`)
	if t.ID != "" {
		b.WriteString(` id="` + esc(t.ID) + `"`)
	}
	b.WriteString(">")
	if t.Caption != "" {
		b.WriteString("<caption>" + esc(t.Caption) + "</caption>")
	}
	b.WriteString("\n<thead><tr>")
	for _, c := range t.Cols {
		if c.Num {
			b.WriteString(`<th class="num">`)
		} else {
			b.WriteString("<th>")
		}
		b.WriteString(esc(c.Title) + "</th>")
	}
	b.WriteString("</tr></thead>\n<tbody>")
	for i := range t.Rows {
		t.Rows[i].html(&b)
	}
	if len(t.Rows) == 0 {
		b.WriteString(`<tr><td colspan="` + strconv.Itoa(len(t.Cols)) + `" class="muted">` + esc(t.Empty) + "</td></tr>")
	}
	if t.Total != nil {
		t.Total.html(&b)
	}
	b.WriteString("</tbody></table>\n")
	return template.HTML(b.String())
}

func (r *row) html(b *strings.Builder) {
	esc := html.EscapeString
	b.WriteString("<tr")
	if r.ID != "" {
		b.WriteString(` id="` + esc(r.ID) + `"`)
	}
	if r.Class != "" {
		b.WriteString(` class="` + esc(r.Class) + `"`)
	}
	b.WriteString(">")
	for _, c := range r.Cells {
		b.WriteString("<td")
		if c.Class != "" {
			b.WriteString(` class="` + esc(c.Class) + `"`)
		}
		if c.Title != "" {
			b.WriteString(` title="` + esc(c.Title) + `"`)
		}
		b.WriteString(">")
		if c.Href != "" {
			b.WriteString(`<a href="` + esc(c.Href) + `">` + esc(c.Text) + "</a>")
		} else {
			b.WriteString(esc(c.Text))
		}
		if d := c.Details; d != nil {
			b.WriteString("<details><summary>" + esc(d.Summary) + "</summary><ul>")
			for _, it := range d.Items {
				b.WriteString("<li>" + esc(it) + "</li>")
			}
			b.WriteString("</ul></details>")
		}
		b.WriteString("</td>")
	}
	b.WriteString("</tr>\n")
}

// num is a right-aligned cell.
func num(s string) cell { return cell{Text: s, Class: "num"} }

// txt is a plain cell.
func txt(s string) cell { return cell{Text: s} }

// ln is a linked cell.
func ln(s, href string) cell { return cell{Text: s, Href: href} }

// href is the link from this page to a site path.
func (p *page) href(path string) string { return rootOf(p.Path) + path }

// add appends a section.
func (p *page) add(s section) { p.Sections = append(p.Sections, s) }

// chartID numbers the page's charts.
func (p *page) chartID() string {
	p.nextID++
	return fmt.Sprintf("chart-%d", p.nextID)
}

// navigation lists the site's top-level pages.
var navigation = []struct{ text, path string }{
	{"Portfolio", pathIndex},
	{"Customers", pathCustomers},
	{"Disputes", pathDisputes},
	{"Collections", pathCollections},
	{"Model", pathModel},
}

// render writes p with the site's frame.
func (s *Site) render(w io.Writer, p *page) error {
	p.Root = rootOf(p.Path)
	p.AsOf = s.b.asOf.String()
	p.Unit = s.b.unitLabel()
	p.Build = s.b.in.Build
	for _, n := range navigation {
		p.Nav = append(p.Nav, navLink{Text: n.text, Href: p.Root + n.path, Here: n.path == p.nav})
	}
	for _, sec := range p.Sections {
		for _, bl := range sec.Blocks {
			if len(bl.Charts) > 0 {
				p.Charts = true
			}
		}
	}
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, p); err != nil {
		return fmt.Errorf("render %s: %w", p.Path, err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// unitLabel names the amounts' unit in the header, with a warning when
// currencies were added unconverted.
func (b *book) unitLabel() string {
	if b.currency == "" && len(b.mixed) > 1 {
		return "several currencies added unconverted"
	}
	if b.currency == "" && len(b.mixed) == 0 {
		return ""
	}
	return b.unit()
}

// mixedNote warns, on every page with amounts, that currencies were added
// unconverted, or that amounts without a rate to the reporting currency
// were left out.
func (b *book) mixedNote() []note {
	var out []note
	if u := b.unconverted; u != nil {
		out = append(out, note{Class: "warn", Text: capitalize(u.String()) +
			": they are in none of this report's totals, charts or tables, nor in its cash forecast. Add their rates to the --fx file to include them."})
	}
	if b.currency != "" || len(b.mixed) < 2 {
		return out
	}
	return append(out, note{Class: "warn", Text: fmt.Sprintf("Amounts in %s are added together unconverted, so the totals mix currencies. "+
		"Run dsopilot report with --currency and --fx to convert them to one reporting currency.", joinList(b.mixed))})
}

// capitalize upper-cases s's first letter (ASCII: the sentences it
// starts are the package's own).
func capitalize(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

func joinList(xs []string) string {
	switch len(xs) {
	case 0:
		return ""
	case 1:
		return xs[0]
	}
	out := ""
	for i, x := range xs[:len(xs)-1] {
		if i > 0 {
			out += ", "
		}
		out += x
	}
	return out + " and " + xs[len(xs)-1]
}

// template.JS is how chart JSON enters the page: json.Marshal escapes <, >
// and & so it cannot end its script element.
var _ = template.JS("")
