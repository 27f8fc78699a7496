package importer

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/dsopilot/dsopilot/datasets"
)

// Whether the store holds a customer master decides what happens to an
// invoice of a customer it does not hold: with a master, the row is
// rejected (a typo in a customer id must not invent a customer); without,
// the customer is derived from the row, as on the first import. A store
// keeps no note of where its customers came from, so the importer reads it
// off the records: a customer derived from invoices carries only what an
// invoice row says (id, segment, country, currency, channel), while a
// customers file is what gives a name, payment terms, a start date or a
// collector. The credit limit is no sign of a master: the credit workflow
// writes one to derived customers too.

// masterState is what is known of the store's customer master.
type masterState int

const (
	masterUnknown masterState = iota // not looked at yet (it costs reads)
	masterYes
	masterNo
)

// masterSample bounds the stored customers read to tell a master from
// derived customers: with a master, nearly every customer is from it, so
// the first few read tell.
const masterSample = 64

// customerReader is a store that reads one customer (both stores do).
type customerReader interface {
	Customer(ctx context.Context, id string) (datasets.Customer, error)
}

// storeHasMaster reads up to masterSample of ids (the store's customers,
// sorted), spread evenly over them, and says whether one of them came from
// a customers file. A store that cannot read customers is taken to hold a
// master, which keeps unknown customers out.
func (im *run) storeHasMaster(ctx context.Context, ids []string) (bool, error) {
	r, ok := im.st.(customerReader)
	if !ok || len(ids) == 0 {
		return len(ids) > 0, nil
	}
	n := min(len(ids), masterSample)
	for i := range n {
		at := 0
		if n > 1 {
			at = i * (len(ids) - 1) / (n - 1)
		}
		c, err := r.Customer(ctx, ids[at])
		if errors.Is(err, datasets.ErrNotFound) {
			continue // listed but gone (a store being rewritten): another tells
		}
		if err != nil {
			return false, fmt.Errorf("read customer %q to tell a customer master from derived customers: %w", ids[at], err)
		}
		if c.FromMaster() {
			return true, nil
		}
	}
	return false, nil
}

// deriveUnknown is asked about a customer neither in the store nor in
// the import; it says whether to derive it (no master) rather than reject
// its row. The store is read once per import, at the first such customer.
func (im *run) deriveUnknown(ctx context.Context) (bool, error) {
	if im.master == masterUnknown {
		has, err := im.storeHasMaster(ctx, im.storedIDs)
		if err != nil {
			return false, err
		}
		im.master = masterNo
		if has {
			im.master = masterYes
		}
		if !has {
			im.derive = true
			im.opts.Log.Info("the store's customers were all derived from invoices (no customer master was loaded): new customers are derived too",
				"stored_customers", len(im.storedIDs))
		}
		im.storedIDs = nil // not needed any more
	}
	return im.master == masterNo, nil
}

// A customer whose row in the import's customers file is rejected is not
// loaded, and with a master every later row of it is rejected as of an
// unknown customer: one bad credit limit can take dozens of invoices with
// it. Those rows say whose row it was, the summary counts them
// (Summary.Cascade), and the import ends in ErrIncomplete, since what
// loaded is known to lack them.

// cascadeKind is the reason of such a row without the place, for the
// diagnosis's counts.
const cascadeKind = "unknown customer: its own row in the customers file was rejected"

// rejectedCustomer notes that the row at file:line of customer id was
// rejected, unless the customer is known (stored, or loaded from an
// earlier row).
func (im *run) rejectedCustomer(id, file string, line int) {
	if id == "" || im.known[id] {
		return
	}
	if _, ok := im.rejectedCustomers[id]; !ok {
		im.rejectedCustomers[id] = fmt.Sprintf("%s:%d", file, line)
	}
}

// whyUnknown is the reason a row of customer id, not known, is rejected.
func (im *run) whyUnknown(id string) fieldError {
	if at, ok := im.rejectedCustomers[id]; ok {
		return fieldError{value: id, kind: cascadeKind,
			reason: fmt.Sprintf("unknown customer: its own row was rejected at %s; fix that row and import both files again", at)}
	}
	if im.noCustomersFile {
		return fieldError{value: id, kind: absentKind, reason: fmt.Sprintf(
			"unknown customer: the store's customer master (%s) lacks %q and this import has no customers file; if an earlier import rejected its row of the customers file (that import's rejects file names it), fix the row; add the customer to the customers file and import that file first, then this one again",
			counted(len(im.known), "customer"), clip(id, 80))}
	}
	return fieldError{value: id, kind: unknownCustomer, reason: unknownCustomer}
}

// absentKind is the reason of a row of a customer absent from the store's
// master, in an import without a customers file, without the id.
const absentKind = "unknown customer: absent from the store's customer master"

// absentRow counts a row rejected only because its customer is absent
// from the store's master (whyUnknown), noting the customer's first row;
// it says whether it was.
func (im *run) absentRow(errs []fieldError, customer, file string, line int) bool {
	if len(errs) == 0 || slices.ContainsFunc(errs, func(fe fieldError) bool { return fe.kind != absentKind }) {
		return false
	}
	if _, ok := im.absentAt[customer]; !ok {
		im.absentAt[customer] = fmt.Sprintf("%s:%d", file, line)
		im.absent = append(im.absent, customer)
	}
	return true
}

// absentText says how many rows were rejected because their customer is
// absent from the store's customer master, naming the first customers'
// first rows and what to do; "" when none.
func (im *run) absentText(n int) string {
	if n == 0 {
		return ""
	}
	var at []string
	for _, id := range im.absent[:min(len(im.absent), 3)] {
		at = append(at, fmt.Sprintf("%s (%s)", im.absentAt[id], clip(id, 80)))
	}
	more := ""
	if k := len(im.absent) - len(at); k > 0 {
		more = fmt.Sprintf(" and %d more customers' rows", k)
	}
	return fmt.Sprintf("%s of %s rejected because the store's customer master lacks their customer, first at %s%s: what loaded lacks them; if an earlier import rejected those customers' rows of the customers file (its rejects file names them), fix the rows and import the customers file first, then this file again (rows already loaded are not loaded twice)",
		counted(n, "row"), counted(len(im.absent), "customer"), strings.Join(at, ", "), more)
}

// cascade counts a row rejected when all of errs are cascadeKind; it says
// whether it was.
func (im *run) cascade(errs []fieldError, customer string) bool {
	for _, fe := range errs {
		if fe.kind != cascadeKind {
			return false
		}
	}
	if len(errs) == 0 {
		return false
	}
	if !im.cascaded[customer] {
		im.cascaded[customer] = true
		im.cascades = append(im.cascades, customer)
	}
	return true
}

// cascadeText says how many rows were rejected because their customer's
// row was, naming the first of those rows; "" when none.
func (im *run) cascadeText() string {
	n := 0
	for _, f := range im.files {
		n += f.sum.Cascaded
	}
	if n == 0 {
		return ""
	}
	var at []string
	for _, id := range im.cascades[:min(len(im.cascades), 3)] {
		at = append(at, fmt.Sprintf("%s (%s)", im.rejectedCustomers[id], id))
	}
	more := ""
	if k := len(im.cascades) - len(at); k > 0 {
		more = fmt.Sprintf(" and %d more customers' rows", k)
	}
	return fmt.Sprintf("%d rows rejected because their customer's own row was rejected at %s%s: what loaded lacks them; fix those customers' rows and import the files again (rows already loaded are not loaded twice)",
		n, strings.Join(at, ", "), more)
}

// counted is n and the word, plural unless n is 1.
func counted(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
