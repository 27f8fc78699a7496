package reports

import (
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/features"
)

// No page shows a feature's column name (days_late_mean_365d): reasons and
// the importance ranking use the catalogue's words. The cold-start note is
// the model's own, never a claim about a segment the invoice lacks.
func TestPagesShowNoFeatureColumnNames(t *testing.T) {
	in := modelInput(t)
	s := newSite(t, in)
	bu, _, err := in.Models.Load("")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, sp := range features.InvoiceSpecs(bu.Options.Features) {
		if strings.Contains(sp.Name, "_") {
			names = append(names, sp.Name)
		}
	}
	checked := map[string]int{}
	for p, html := range pages(t, s) {
		kind := ""
		switch {
		case strings.HasPrefix(p, "customers/"):
			kind = "customer"
		case p == pathModel:
			kind = "model"
		default:
			continue
		}
		checked[kind]++
		for _, n := range names {
			if strings.Contains(html, n) {
				t.Errorf("%s shows the column name %s", p, n)
			}
		}
		if strings.Contains(html, "rests on its segment") {
			t.Errorf("%s says the score rests on the segment, whatever the model said", p)
		}
	}
	if checked["customer"] < 10 || checked["model"] != 1 {
		t.Fatalf("pages checked: %v", checked)
	}
}
