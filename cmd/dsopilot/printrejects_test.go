package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/datasets/importer"
)

// A file's most common reason is printed when it says something the
// listed rejects do not: that many rows share it. With every reject of
// the file listed it would repeat one (a trial saw each reject twice).
func TestPrintRejectsNamesTheCommonReasonOnlyForUnlistedRejects(t *testing.T) {
	const diag = "30 of 90 rows rejected; most common reason (…)"
	for _, tc := range []struct {
		name     string
		rejected int
		listed   int // rejects of the file in FirstRejects, one field each
		twoField bool
		want     bool
	}{
		{name: "one reject, listed", rejected: 1, listed: 1},
		{name: "one row rejected for two fields", rejected: 1, listed: 2, twoField: true},
		{name: "more rejects than listed", rejected: 30, listed: 20, want: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &importer.Summary{Rejected: tc.rejected, RejectsFile: "r.csv",
				Files: []importer.FileSummary{{Path: "a.csv", Rejected: tc.rejected, Diagnosis: diag}}}
			for i := range tc.listed {
				line := i + 2
				if tc.twoField {
					line = 2
				}
				s.FirstRejects = append(s.FirstRejects, importer.Reject{File: "a.csv", Line: line, Field: fmt.Sprint("f", i), Reason: "bad"})
			}
			var b bytes.Buffer
			printRejects(&b, s)
			if got := strings.Contains(b.String(), diag); got != tc.want {
				t.Errorf("printed\n%s\ncommon reason printed %v, want %v", b.String(), got, tc.want)
			}
			if n := strings.Count(b.String(), "rejected a.csv:"); n != tc.listed {
				t.Errorf("%d rejects printed, want %d", n, tc.listed)
			}
		})
	}
}
