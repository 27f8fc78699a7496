package api

import (
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
)

// Amounts in a JSON body read as ingest reads them: numbers exactly,
// exponents included, or quoted decimals; never through a float.
func TestAmountFields(t *testing.T) {
	for _, c := range []struct {
		raw  string
		want datasets.Money
		err  string // in the field error; "" for none
	}{
		{`1234.5`, 123450, ""},
		{`"1,234.50"`, 123450, ""},
		{`1e3`, 100000, ""},
		{`1.5E2`, 15000, ""},
		{`125e-2`, 125, ""},
		{`1.2345e1`, 0, "decimals"},
		{`1.234e1`, 1234, ""},
		{`1e30`, 0, "amount"},
		{`true`, 0, "not an amount"},
		{`[1]`, 0, "not an amount"},
		{`null`, 0, "missing value"},
	} {
		var fe fieldErrors
		got := fe.amount("/amount", AmountText(c.raw), true)
		switch {
		case c.err == "" && (len(fe) != 0 || got != c.want):
			t.Errorf("%s: %v %+v, want %v", c.raw, got, fe, c.want)
		case c.err != "" && (len(fe) != 1 || !strings.Contains(fe[0].Detail, c.err)):
			t.Errorf("%s: %+v, want an error saying %q", c.raw, fe, c.err)
		}
	}
}
