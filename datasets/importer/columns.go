package importer

import (
	"fmt"
	"slices"
	"strings"

	"github.com/dsopilot/dsopilot/datasets"
)

// The --columns mapping: canonical column (or entity.column) to the
// export's header.

// checkMapping refuses a --columns entry whose canonical side is no
// column of any entity (or, entity.column, of that entity): a typo there
// would silently map nothing.
func checkMapping(m map[string]string) error {
	known := map[string]bool{}
	for _, e := range datasets.Entities() {
		for _, c := range readColumns(e) {
			known[c] = true
		}
	}
	for k, v := range m {
		if ent, col, scoped := strings.Cut(k, "."); scoped {
			e := datasets.Entity(ent)
			if datasets.Describe(e) == nil {
				return fmt.Errorf("%w: --columns maps %q, but %q is no entity (want one of %s)", ErrUsage, k, ent, entityList())
			}
			if !slices.Contains(readColumns(e), col) {
				return fmt.Errorf("%w: --columns maps %q, but %s has no column %q (it has %s)", ErrUsage, k, e, col, strings.Join(readColumns(e), ", "))
			}
		} else if !known[k] {
			return fmt.Errorf("%w: --columns maps %q, which is not a canonical column", ErrUsage, k)
		}
		if strings.TrimSpace(v) == "" {
			return fmt.Errorf("%w: --columns maps %q to an empty header", ErrUsage, k)
		}
	}
	return nil
}

// ParseColumns adds the canonical=header pairs of spec (comma-separated)
// to m. A key is a canonical column (amount) or one of an entity
// (payments.amount), which applies to that entity's files and wins over
// the plain key there: one import of files that name a column differently
// maps it per entity. A key given twice with two headers is an error
// wrapping ErrUsage that names both: the last must not silently win.
func ParseColumns(m map[string]string, spec string) error {
	for _, pair := range strings.Split(spec, ",") {
		if strings.TrimSpace(pair) == "" {
			continue
		}
		k, v, ok := strings.Cut(pair, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" || v == "" {
			return fmt.Errorf("%w: want canonical=header, got %q", ErrUsage, pair)
		}
		if old, dup := m[k]; dup && old != v {
			if strings.Contains(k, ".") {
				return fmt.Errorf("%w: %s is mapped twice, to %q and to %q: map a column once", ErrUsage, k, old, v)
			}
			return fmt.Errorf("%w: %s is mapped twice, to %q and to %q: map a column once; where files name it differently, map it per entity: <entity>.%s=%s,<other entity>.%s=%s (invoices.%s, payments.%s, ...)",
				ErrUsage, k, old, v, k, old, k, v, k, k)
		}
		m[k] = v
	}
	return nil
}

// readColumns are the canonical columns a file of e is read for: its
// schema's, and for invoices payment_terms, read for a blank due date
// (conventions.go), and type and applies_to, the document type of a file
// that lists credit notes among its invoices and the invoice such a
// credit note applies to (doctypes.go: read only when type is mapped),
// and dunning_level and last_dunning_date, the ERP's dunning of the
// invoice, read as actions (dunning.go), and open_balance, what is still
// owed on it as of the export (openbalance.go), and credit_amount, the
// credit of a debit and credit pair of columns (debitcredit.go), and
// clearing_document, the clearing that links a payment row to the
// invoices it paid (typedpay.go: read only when type is mapped), and
// dispute_reason, a reason code that flags the invoice disputed
// (disputereason.go); for
// payments discount,
// the cash discount taken with the payment (discount.go).
func readColumns(e datasets.Entity) []string {
	cols := e.Columns()
	if e == datasets.EntityInvoices {
		cols = append(cols, "payment_terms", "type", "applies_to", "dunning_level", "last_dunning_date", "open_balance", "credit_amount",
			"clearing_document", "dispute_reason")
	}
	if e == datasets.EntityPayments {
		cols = append(cols, "discount")
	}
	return cols
}

// header is the name of canonical column c in a file of e: its mapping for
// e (payments.amount), else its plain mapping (amount), else c.
func (im *run) header(e datasets.Entity, c string) string {
	if e != "" {
		if h, ok := im.opts.Columns[string(e)+"."+c]; ok {
			return h
		}
	}
	if h, ok := im.opts.Columns[c]; ok {
		return h
	}
	return c
}
