package importer

import (
	"context"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
)

// A reject's reason quotes the other dates it names as the file writes
// dates, not in ISO.
func TestRejectReasonsQuoteDatesAsTheFileWritesThem(t *testing.T) {
	latest, _ := datasets.ParseDate("2026-06-30")
	cases := []struct {
		name, format, row, want string
	}{
		{name: "due before issue, German", format: "%d.%m.%Y", row: "K1;R1;15.03.2026;01.03.2026;10,00",
			want: `Rechnungen.csv:2: due_date "01.03.2026": due_date is before issue_date 15.03.2026`},
		{name: "due before issue, US", format: "%m/%d/%Y", row: "K1;R1;3/15/2026;03/01/2026;10,00",
			want: `Rechnungen.csv:2: due_date "03/01/2026": due_date is before issue_date 3/15/2026`},
		{name: "due before issue, ISO", row: "K1;R1;2026-03-15;2026-03-01;10,00",
			want: `Rechnungen.csv:2: due_date "2026-03-01": due_date is before issue_date 2026-03-15`},
		{name: "issued in the future", format: "%d.%m.%Y", row: "K1;R1;15.08.2026;01.09.2026;10,00",
			want: `Rechnungen.csv:2: issue_date "15.08.2026": 15.08.2026 is in the future: a record is of a day that has begun (30.06.2026 at the latest)`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			p := writeFile(t, dir, "Rechnungen.csv", "customer_id;invoice_id;issue_date;due_date;amount\n"+tc.row+"\n")
			o := opts(t)
			o.DateFormat, o.LatestDay = tc.format, latest
			sum, _ := Import(context.Background(), openStore(t), []string{p}, o)
			if len(sum.FirstRejects) != 1 || sum.FirstRejects[0].String() != dir+"/"+tc.want {
				t.Fatalf("rejects %v, want %s", sum.FirstRejects, tc.want)
			}
		})
	}
}

// Write writes a date as the format reads it.
func TestDateParserWrite(t *testing.T) {
	d, _ := datasets.ParseDate("2026-03-05")
	for _, tc := range []struct{ format, want string }{
		{"", "2026-03-05"}, {"%d.%m.%Y", "05.03.2026"}, {"%m/%d/%y", "03/05/26"}, {"%d-%b-%Y", "05-Mar-2026"},
		{"%B %e, %Y", "March  5, 2026"}, {"%Y%j", "2026064"}, {"%F", "2026-03-05"}, {"%d.%m.%Y %H:%M", "05.03.2026 00:00"},
	} {
		p, err := NewDateParser(tc.format)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Write(d); got != tc.want {
			t.Errorf("%q: %q, want %q", tc.format, got, tc.want)
		}
		if back, err := p.Parse(p.Write(d)); err != nil || back != d {
			t.Errorf("%q: %q reads back as %v, %v", tc.format, p.Write(d), back, err)
		}
	}
}
