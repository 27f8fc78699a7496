package main

import (
	"strings"
	"testing"
)

func TestLateShareNoteOnlyWhenMostInvoicesAreLate(t *testing.T) {
	for _, c := range []struct {
		share float64
		grace int
		want  string
	}{
		{0.30, 0, ""},
		{0.749, 0, ""},
		{0.88, 0, "88% of the held-out invoices count as late (settled more than 0 days after due)"},
		{0.80, 5, "80% of the held-out invoices count as late (settled more than 5 days after due)"},
	} {
		got := lateShareNote(c.share, c.grace)
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("lateShareNote(%.3f, %d) = %q, want it to hold %q", c.share, c.grace, got, c.want)
		}
		if got != "" && !strings.Contains(got, "--grace-days") {
			t.Errorf("lateShareNote(%.3f, %d) = %q: want the flag that moves the line named", c.share, c.grace, got)
		}
	}
}
