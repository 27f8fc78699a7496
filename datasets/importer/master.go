package importer

import (
	"context"
	"errors"
	"fmt"

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
