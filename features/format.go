package features

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
)

// FormatValue prints a numeric feature: rounded to 6 decimals, so that the Go
// and SQL engines, which may differ in the last bits of a float, print the
// same text; missing values print as "".
func FormatValue(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return ""
	}
	r := math.Round(v*1e6) / 1e6
	if r == 0 {
		r = 0 // no "-0"
	}
	return strconv.FormatFloat(r, 'f', -1, 64)
}

// Header is the CSV header of t: customer_id, invoice_id at invoice level,
// then the feature names.
func (t *Table) Header() []string {
	h := []string{"customer_id"}
	if t.Level == "invoice" {
		h = append(h, "invoice_id")
	}
	for _, s := range t.Specs {
		h = append(h, s.Name)
	}
	return h
}

// record formats row r in header order.
func (t *Table) record(r *Row) []string {
	out := []string{r.CustomerID}
	if t.Level == "invoice" {
		out = append(out, r.InvoiceID)
	}
	ni, ci := 0, 0
	for _, s := range t.Specs {
		if s.Kind == Numeric {
			out = append(out, FormatValue(r.Num[ni]))
			ni++
		} else {
			out = append(out, r.Cat[ci])
			ci++
		}
	}
	return out
}

// WriteCSV writes t with a header row.
func (t *Table) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(t.Header()); err != nil {
		return fmt.Errorf("write feature header: %w", err)
	}
	for i := range t.Rows {
		if err := cw.Write(t.record(&t.Rows[i])); err != nil {
			return fmt.Errorf("write feature row: %w", err)
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteJSON writes t as a JSON array of objects, one per row, with missing
// values as null and numbers rounded as in CSV.
func (t *Table) WriteJSON(w io.Writer) error {
	bw := bufio.NewWriter(w)
	head := t.Header()
	keys := make([][]byte, len(head))
	for i, h := range head {
		keys[i], _ = json.Marshal(h)
	}
	bw.WriteString("[")
	for ri := range t.Rows {
		if ri > 0 {
			bw.WriteString(",")
		}
		bw.WriteString("\n  {")
		rec := t.record(&t.Rows[ri])
		idCols := 1
		if t.Level == "invoice" {
			idCols = 2
		}
		for i, v := range rec {
			if i > 0 {
				bw.WriteString(", ")
			}
			bw.Write(keys[i])
			bw.WriteString(": ")
			isNum := i >= idCols && t.Specs[i-idCols].Kind == Numeric
			switch {
			case isNum && v == "":
				bw.WriteString("null")
			case isNum:
				bw.WriteString(v)
			default:
				b, _ := json.Marshal(v)
				bw.Write(b)
			}
		}
		bw.WriteString("}")
	}
	bw.WriteString("\n]\n")
	return bw.Flush()
}
