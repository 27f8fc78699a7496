package importer

import (
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

var testLimits = limits{maxLine: defaultMaxLine, maxField: 4 * csvChunk}

func TestCSVSourceSplitsRecords(t *testing.T) {
	type rec struct {
		line   int
		fields []string
		bad    bool
	}
	cases := []struct {
		name, in string
		want     []rec
	}{
		{"plain", "a,b,c\n1,2,3\n4,5,6\n", []rec{{2, []string{"1", "2", "3"}, false}, {3, []string{"4", "5", "6"}, false}}},
		{"crlf and no final newline", "a,b\r\n1,2\r\n3,4", []rec{{2, []string{"1", "2"}, false}, {3, []string{"3", "4"}, false}}},
		{"quoted delimiter and escaped quote", "a,b\n\"x,y\",\"say \"\"hi\"\"\"\n", []rec{{2, []string{"x,y", `say "hi"`}, false}}},
		{"line break inside quotes", "a,b\n\"two\nlines\",z\n1,2\n", []rec{{2, []string{"two\nlines", "z"}, false}, {4, []string{"1", "2"}, false}}},
		{"empty fields", "a,b,c\n,,\n\"\",x,\n", []rec{{2, []string{"", "", ""}, false}, {3, []string{"", "x", ""}, false}}},
		{"blank lines skipped", "a,b\n\n1,2\n\n", []rec{{3, []string{"1", "2"}, false}}},
		{"wrong field count", "a,b\n1,2,3\n4,5\n", []rec{{2, nil, true}, {3, []string{"4", "5"}, false}}},
		{"bare quote", "a,b\n5\" tv,2\n4,5\n", []rec{{2, nil, true}, {3, []string{"4", "5"}, false}}},
		{"semicolons", "a;b\n1,5;2\n", []rec{{2, []string{"1,5", "2"}, false}}},
		{"unclosed quote at the end", "a,b\n\"open,1\n", []rec{{2, nil, true}}},
		// Issue 8: a stray quote swallowed the rest of the file and was
		// reported where it closed. Now the opening line is rejected and
		// reading goes on with the next one.
		{"stray quote", "a,b,c\n1,2,\"10.00\n3,4,5\n6,7,8\n", []rec{{2, nil, true}, {3, []string{"3", "4", "5"}, false}, {4, []string{"6", "7", "8"}, false}}},
		{"stray quote closed later", "a,b,c\n1,2,\"10.00\n3,4,5\n6,\"x\",8\n9,9,9\n",
			[]rec{{2, nil, true}, {3, []string{"3", "4", "5"}, false}, {4, []string{"6", "x", "8"}, false}, {5, []string{"9", "9", "9"}, false}}},
		{"stray quote at the start of a field", "a,b\n\"x,1\n2,3\n", []rec{{2, nil, true}, {3, []string{"2", "3"}, false}}},
	}
	long := strings.Repeat("x", 3*csvChunk+7) // a line longer than the read buffer
	cases = append(cases, struct {
		name, in string
		want     []rec
	}{"longer than the buffer", "a,b\n1," + long + "\n\"" + long + "\",2\n3,4", []rec{
		{2, []string{"1", long}, false}, {3, []string{long, "2"}, false}, {4, []string{"3", "4"}, false}}})
	readers := map[string]func(io.Reader) io.Reader{
		"whole":    func(r io.Reader) io.Reader { return r },
		"one byte": iotest.OneByteReader,
		"half":     iotest.HalfReader,
		"data+EOF": iotest.DataErrReader,
	}
	for _, c := range cases {
		for rname, wrap := range readers {
			if rname == "one byte" && len(c.in) > 1<<20 {
				continue // a byte at a time is too slow for a line longer than the buffer; "half" covers it
			}
			t.Run(c.name+"/"+rname, func(t *testing.T) {
				s, err := newCSVSource(wrap(strings.NewReader(c.in)), testLimits)
				if err != nil {
					t.Fatal(err)
				}
				var got []rec
				for {
					f, line, err := s.next()
					if errors.Is(err, io.EOF) {
						break
					}
					var re *rowError
					if errors.As(err, &re) {
						got = append(got, rec{line: re.line, bad: true})
						continue
					}
					if err != nil {
						t.Fatal(err)
					}
					got = append(got, rec{line: line, fields: append([]string(nil), f...)})
				}
				if !reflect.DeepEqual(got, c.want) {
					t.Fatalf("got %+v\nwant %+v", got, c.want)
				}
			})
		}
	}
}

// TestStrayQuotesOnEveryLine: a stray quote on each of many lines costs one
// reject each and reads each line a bounded number of times.
func TestStrayQuotesOnEveryLine(t *testing.T) {
	var b strings.Builder
	b.WriteString("a,b\n")
	const n = 20_000
	for i := range n {
		fmt.Fprintf(&b, "x%d,\"open\n", i)
	}
	cr := &countingReader{r: strings.NewReader(b.String())}
	s, err := newCSVSource(cr, testLimits)
	if err != nil {
		t.Fatal(err)
	}
	rejects := 0
	for {
		_, _, err := s.next()
		if errors.Is(err, io.EOF) {
			break
		}
		var re *rowError
		if !errors.As(err, &re) {
			t.Fatalf("next: %v", err)
		}
		rejects++
	}
	if rejects != n {
		t.Fatalf("%d rejects, want %d", rejects, n)
	}
}
