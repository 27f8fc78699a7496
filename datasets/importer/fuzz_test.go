package importer

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
)

// The fuzz targets run on their seed corpus (testdata/fuzz) with every
// `go test`, for a few seconds each in `make test`, and for longer in
// `make fuzz`.

// FuzzCSVSource: any bytes split into rows without a panic, in at most one
// result per line, each row as wide as the header, lines in order.
func FuzzCSVSource(f *testing.F) {
	f.Add([]byte("a,b,c\n1,2,3\n"))
	f.Add([]byte("a;b\n\"x;y\";\"say \"\"hi\"\"\"\n"))
	f.Add([]byte("a,b,c\n1,2,\"10.00\n3,4,5\n"))
	f.Add([]byte("\ufeffa,b\r\n1,2\r\n3"))
	f.Add([]byte("a,b\nM\xfcller,1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, enc := range []encoding{encAuto, encUTF8, encCP1252} {
			s, err := newCSVSource(bytes.NewReader(data), limits{maxLine: 512, maxField: 128, enc: enc})
			if err != nil {
				return
			}
			last := 1
			for n := 0; ; n++ {
				if n > bytes.Count(data, []byte{'\n'})+bytes.Count(data, []byte{'\r'})+2 {
					t.Fatalf("more results than lines")
				}
				vals, line, err := s.next()
				if errors.Is(err, io.EOF) {
					break
				}
				var re *rowError
				if err != nil && !errors.As(err, &re) {
					break // the file is not read on (a limit)
				}
				if line <= last {
					t.Fatalf("line %d after line %d", line, last)
				}
				last = line
				if err == nil && len(vals) != len(s.header()) {
					t.Fatalf("row of %d fields under a header of %d", len(vals), len(s.header()))
				}
			}
		}
	})
}

// FuzzNDJSONSource: any bytes read without a panic, lines in order, a
// line over the limit one reject and no more.
func FuzzNDJSONSource(f *testing.F) {
	f.Add([]byte(`{"invoice_id":"I1","amount":1.5}` + "\n" + `{"invoice_id":"I2"` + "\n"))
	f.Add([]byte("\n\n{}\n[1]\n\"x\"\n{\"a\":{\"b\":1}} {}\n"))
	f.Add([]byte(`{"customer_id":"M` + "\xfc" + `ller"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := newNDJSONSource(bytes.NewReader(data), datasets.EntityInvoices.Columns(), limits{maxLine: 256})
		if err != nil {
			return
		}
		last := 0
		for n := 0; ; n++ {
			if n > bytes.Count(data, []byte{'\n'})+1 {
				t.Fatal("more results than lines")
			}
			vals, line, err := s.next()
			if errors.Is(err, io.EOF) {
				return
			}
			var re *rowError
			if err != nil && !errors.As(err, &re) {
				return
			}
			if line <= last {
				t.Fatalf("line %d after line %d", line, last)
			}
			last = line
			if err == nil && len(vals) != len(s.header()) {
				t.Fatalf("row of %d fields under a header of %d", len(vals), len(s.header()))
			}
		}
	})
}

// FuzzAmount: an amount is read without a panic; one that reads is within
// bounds, reads the same when written back with a point, and, when it
// showed its decimal mark, reads the same in a column forced to that mark.
func FuzzAmount(f *testing.F) {
	for _, s := range []string{"1234.56", "1.234,56", "1,234", "12,5", "--1e3", "0x1ep2", "1e20", "100.005", "1 234,56", "1'234.56",
		"1234.56-", "9999999999999.99", "9999999999999999.99", ".5", "-0", "1.2.3"} {
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, s string, round bool) {
		a := &amountParser{round: round}
		m, err := a.column("amount", func() (decimalMark, string) { return markUnknown, "" }).parse(s, 1)
		if err != nil {
			return
		}
		if m > datasets.MaxAmount || m < -datasets.MaxAmount {
			t.Fatalf("%q read as %v, beyond the bound", s, m)
		}
		back, err := a.column("amount", nil).parse(m.String(), 1)
		if err != nil || back != m {
			t.Fatalf("%q read as %v, which reads back as %v, %v", s, m, back, err)
		}
		if shows, _, _, err := classify(s); err == nil && (shows == markPoint || shows == markComma) {
			forced := &amountParser{round: round, forced: shows}
			if again, err := forced.column("amount", nil).parse(s, 1); err != nil || again != m {
				t.Fatalf("%q read as %v, but %v with %v forced", s, m, again, shows)
			}
		}
		if pm, ok := plainAmount(s); ok && pm != m {
			t.Fatalf("%q: fast path %v, general %v", s, pm, m)
		}
	})
}

// FuzzDateParser: any format and text parse without a panic; a date read
// is storable, and ISO text of it reads back the same under any format.
func FuzzDateParser(f *testing.F) {
	for _, c := range [][2]string{{"%m/%d/%Y", "1/5/2024"}, {"%d.%m.%Y", "31.02.2024"}, {"", "2024-02-30"}, {"%d-%b-%Y", "31-Mar-2024"},
		{"%Y-%j", "2024-366"}, {"%m/%d/%Y", "1/5/2024 1:45:00 PM"}, {"%e %B %y", " 5 january 24"}} {
		f.Add(c[0], c[1])
	}
	f.Fuzz(func(t *testing.T, format, s string) {
		p, err := NewDateParser(format)
		if err != nil {
			return
		}
		d, err := p.Parse(s)
		if err != nil {
			if d != 0 {
				t.Fatalf("%q with %q: error %v and a date %v", s, format, err, d)
			}
			return
		}
		if d < datasets.MinDate || d > datasets.MaxDate {
			t.Fatalf("%q with %q read as day %d, not storable", s, format, d)
		}
		if back, err := p.Parse(d.String()); err != nil || back != d {
			t.Fatalf("%q with %q read as %v, whose ISO form reads as %v, %v", s, format, d, back, err)
		}
	})
}

// FuzzColumnMapping: any header and --columns mapping resolve without a
// panic; every resolved column points into the header at a name that is
// the column's (or its mapping's), and a detected entity has its required
// columns.
func FuzzColumnMapping(f *testing.F) {
	f.Add("customer_id,invoice_id,issue_date,due_date,amount", "")
	f.Add("KUNNR;BELNR;BLDAT;FAEDT;DMBTR", "customer_id=KUNNR,invoice_id=BELNR,issue_date=BLDAT,due_date=FAEDT,amount=DMBTR")
	f.Add(" Customer_ID ,AMOUNT,amount", "amount=Amount")
	f.Fuzz(func(t *testing.T, header, mapping string) {
		cols := columnsMap(mapping)
		if checkMapping(cols) != nil {
			return
		}
		head := strings.Split(header, ",")
		im := &run{opts: Options{Columns: cols}}
		pos, ignored := im.resolveHeader(head, "")
		for c, i := range pos {
			if i < 0 || i >= len(head) {
				t.Fatalf("%s at %d of a %d-column header", c, i, len(head))
			}
			name := c
			if m, ok := cols[c]; ok {
				name = m
			}
			if !strings.EqualFold(strings.TrimSpace(head[i]), strings.TrimSpace(name)) {
				t.Fatalf("%s resolved to header %q", c, head[i])
			}
		}
		if e := detectEntity(pos); e != "" {
			for _, r := range e.Required() {
				if _, ok := pos[r]; !ok {
					t.Fatalf("detected %s without its column %s", e, r)
				}
			}
			if n := len(ignored(e)); n > len(head) {
				t.Fatalf("%d ignored columns of %d", n, len(head))
			}
		}
	})
}

// columnsMap parses canonical=source pairs as --columns does.
func columnsMap(s string) map[string]string {
	m := map[string]string{}
	for _, pair := range strings.Split(s, ",") {
		if k, v, ok := strings.Cut(pair, "="); ok {
			m[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return m
}
