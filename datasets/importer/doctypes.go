package importer

import (
	"context"
	"fmt"
	"hash/maphash"
	"slices"
	"strings"

	"github.com/dsopilot/dsopilot/datasets"
)

// Documents of two types in one invoices file. Small-ERP exports (Sage's
// "Type" column: Invoice / Credit Note, SI / SC) list credit notes among
// the invoices, written negative or positive. With the file's document
// type column mapped (--columns invoices.type=Type), a row whose type is
// a credit note loads as a credit note of its absolute amount: linked to
// the invoice the applies_to column names (--columns
// invoices.applies_to=Reference) when it is mapped and not blank, else
// unapplied, as a credit-notes file row without an invoice_id loads. Its
// due and settled dates do not apply to a credit note and are not read
// into it. A type that is neither rejects the row, naming the field. The
// type column is read only when it is mapped: without the mapping an
// invoices file reads as it always has (a negative invoice is rejected,
// saying how to load it), even when it has a column named type.

// Document types a type value reads as. A payment row (SAP's DZ) loads
// as a payment of its customer (typedpay.go); a skipped row (a clearing
// line, SAP's AB) is counted by its type and not read at all.
const (
	docInvoice    = "invoice"
	docCreditNote = "credit_note"
	docPayment    = "payment"
	docSkip       = "skip"
)

// defaultDocTypes are the type values recognised without --doc-types,
// compared after normDocType.
var defaultDocTypes = map[string]string{
	"invoice": docInvoice, "inv": docInvoice, "si": docInvoice, "sales invoice": docInvoice, "tax invoice": docInvoice,
	"credit note": docCreditNote, "creditnote": docCreditNote, "credit": docCreditNote, "credit memo": docCreditNote,
	"cn": docCreditNote, "crn": docCreditNote, "sc": docCreditNote, "sales credit": docCreditNote, "sales credit note": docCreditNote,
	"payment": docPayment, "customer payment": docPayment, "receipt": docPayment, "sales receipt": docPayment,
}

// normDocType is a type value as compared: lower case, with _ and - read
// as spaces and runs of spaces as one ("Credit_Note", "credit-note" and
// "CREDIT  NOTE" are one value).
func normDocType(v string) string {
	v = strings.ToLower(strings.NewReplacer("_", " ", "-", " ").Replace(v))
	return strings.Join(strings.Fields(v), " ")
}

// DocTypeValues lists the recognised type values of each document type,
// sorted, for help texts and errors.
func DocTypeValues() (invoice, creditNote, payment []string) {
	v := docTypeValuesOf(defaultDocTypes)
	return v[docInvoice], v[docCreditNote], v[docPayment]
}

// docTypeValues lists the values of the mappings ms (value to document
// type) of invoices and credit notes, sorted.
func docTypeValues(ms ...map[string]string) (invoice, creditNote []string) {
	v := docTypeValuesOf(ms...)
	return v[docInvoice], v[docCreditNote]
}

// docTypeValuesOf lists the values of the mappings ms by document type,
// sorted.
func docTypeValuesOf(ms ...map[string]string) map[string][]string {
	out := map[string][]string{}
	for _, m := range ms {
		for v, t := range m {
			if !slices.Contains(out[t], v) {
				out[t] = append(out[t], v)
			}
		}
	}
	for _, vs := range out {
		slices.Sort(vs)
	}
	return out
}

// ParseDocTypes adds the type=VALUE pairs of spec (comma-separated; type
// is invoice, credit_note, payment or skip) to m, which maps a type value
// of an export to its document type: they name the values of an export's
// type column that the recognised ones miss (SAP's RV, DG, DZ), and the
// values whose rows are not ledger documents and are skipped (SAP's AB
// clearing lines). A value given twice with two types is an error
// wrapping ErrUsage.
func ParseDocTypes(m map[string]string, spec string) error {
	for _, pair := range strings.Split(spec, ",") {
		if strings.TrimSpace(pair) == "" {
			continue
		}
		t, v, ok := strings.Cut(pair, "=")
		t, v = strings.ToLower(strings.TrimSpace(t)), normDocType(v)
		if !ok || v == "" {
			return fmt.Errorf("%w: want invoice=VALUE, credit_note=VALUE, payment=VALUE or skip=VALUE, got %q", ErrUsage, pair)
		}
		if t == "credit note" || t == "credit-note" {
			t = docCreditNote
		}
		if t != docInvoice && t != docCreditNote && t != docPayment && t != docSkip {
			return fmt.Errorf("%w: document type %q in %q: want invoice, credit_note, payment or skip", ErrUsage, t, pair)
		}
		if old, dup := m[v]; dup && old != t {
			return fmt.Errorf("%w: the type value %q is given as %s and as %s", ErrUsage, v, old, t)
		}
		m[v] = t
	}
	return nil
}

// typeMapped says whether the --columns mapping names the invoices'
// document type column: only then is it read.
func (im *run) typeMapped() bool {
	_, scoped := im.opts.Columns[string(datasets.EntityInvoices)+".type"]
	_, plain := im.opts.Columns["type"]
	return scoped || plain
}

// docType reads a type value: the document type, or a reason to reject
// the row.
func (im *run) docType(v string) (string, string) {
	n := normDocType(v)
	if n == "" {
		return "", "missing document type: " + im.docTypeHelp()
	}
	if t, ok := im.opts.DocTypes[n]; ok {
		return t, ""
	}
	if t, ok := defaultDocTypes[n]; ok {
		return t, ""
	}
	return "", "unknown document type: " + im.docTypeHelp()
}

func (im *run) docTypeHelp() string {
	v := docTypeValuesOf(defaultDocTypes, im.opts.DocTypes)
	skip := ""
	if len(v[docSkip]) > 0 {
		skip = ", or one skipped (" + strings.Join(v[docSkip], ", ") + ")"
	}
	return fmt.Sprintf("want an invoice (%s), a credit note (%s) or a payment (%s)%s, in any case; name other values with --doc-types invoice=VALUE,credit_note=VALUE,payment=VALUE, or skip=VALUE for rows that are no ledger document (a clearing line)",
		strings.Join(v[docInvoice], ", "), strings.Join(v[docCreditNote], ", "), strings.Join(v[docPayment], ", "), skip)
}

// noteTypedCredits is the note of the rows of an invoices file loaded as
// credit notes.
const noteTypedCredits = "credit notes read from the invoices file (their type column says so): loaded as credit notes of their absolute amount, linked to the invoice applies_to names, else unapplied"

// typedCredit turns the invoice decoded from a credit-note row into the
// credit note it is; ref is the row's applies_to ("" for none).
func typedCredit(v *datasets.Invoice, ref string) datasets.CreditNote {
	amt := v.Amount
	if amt < 0 {
		amt = -amt
	}
	return datasets.CreditNote{ID: v.ID, CustomerID: v.CustomerID, InvoiceID: ref, Date: v.IssueDate, Amount: amt, Kind: datasets.KindCreditNote}
}

// typedCredits is what an invoices file's credit-note rows need besides
// the row: the customer to derive from the current row, their duplicates
// (among the import's credit notes, not its invoices) and their
// references, checked against the invoices once the file is read (an
// export may list a credit note before the invoice it credits).
type typedCredits struct {
	customer datasets.Customer
	dups     *dupCheck
	refs     []typedRef
	// A credit note has no currency of its own: it is read in its
	// invoice's, or its customer's when unapplied. curOf is the currency
	// of each customer's invoice rows of the file (mixedCurrencies when
	// they have several), and curs the credit-note rows that write one,
	// warned of when it is another than their customer's invoices'.
	curOf map[string]string
	curs  []typedCur
	// invCur is the currency of each invoice row of the file, for a
	// credit note that applies to one of them.
	invCur map[string]string
}

type typedCur struct {
	line                    int
	customer, currency, ref string
	// cn is the credit note, held out of the batches until its currency
	// is checked against its invoice's, once the file is read (resolve).
	cn datasets.CreditNote
	// note is the row's note, counted once it loads.
	note string
}

// mixedCurrencies marks a customer whose invoice rows are in several
// currencies.
const mixedCurrencies = "\x00mixed"

// invoiceRow notes the currency of an invoice row of the file.
func (c *typedCredits) invoiceRow(id, customer, currency string) {
	if currency == "" {
		return
	}
	if c.curOf == nil {
		c.curOf, c.invCur = map[string]string{}, map[string]string{}
	}
	c.invCur[id] = currency
	switch old, ok := c.curOf[customer]; {
	case !ok:
		c.curOf[customer] = currency
	case old != currency:
		c.curOf[customer] = mixedCurrencies
	}
}

type typedRef struct {
	line int
	ref  string
}

// linked says, for the note, what a credit note applies to.
func (c *typedCredits) linked(ref string) string {
	if ref == "" {
		return ", unapplied"
	}
	return fmt.Sprintf(", applied to invoice %q", clip(ref, 80))
}

// row loads the credit-note row r, decoded as the last invoice of
// batch; derive says its customer is to be derived from it.
func (c *typedCredits) row(im *run, fr *fileRun, batch *datasets.Ledger, r typedRow, derive bool) {
	v := &batch.Invoices[len(batch.Invoices)-1]
	cn, cur := typedCredit(v, textAt(r.vals, r.appliesAt)), v.Currency
	if derive {
		// Derived by the file from the invoice's fields, as an invoice row's.
		c.customer = derivedCustomer(v)
	}
	*v = datasets.Invoice{}
	batch.Invoices = batch.Invoices[:len(batch.Invoices)-1]
	batch.CreditNotes = append(batch.CreditNotes, cn)
	fr.sum.CreditNotesFromInvoices++
	note := fmt.Sprintf("%s:%d invoice_id %q type %q amount %q: credit note of %s%s", fr.sum.Path, r.line, clip(r.id, 80),
		clip(textAt(r.vals, r.typeAt), 40), clip(textAt(r.vals, r.amountAt), 40), cn.Amount, c.linked(cn.InvoiceID))
	c.add(im, r.line, r.id, cn.InvoiceID, r.customer, cur)
	if !c.hold(batch, cur, note) {
		fr.note(noteTypedCredits, note)
		im.openBal.credit(&cn)
		im.sup.credit(fr, r.line, &cn)
		im.cover.name(fr, cn.InvoiceID)
	}
}

// add counts a credit note row's id (c.dups is set up by the file) and
// keeps its reference.
func (c *typedCredits) add(im *run, line int, id, ref, customer, currency string) {
	c.dups.add(maphash.String(im.seenSeed, id), line, id)
	if ref != "" {
		c.refs = append(c.refs, typedRef{line, ref})
	}
	if currency != "" {
		c.curs = append(c.curs, typedCur{line: line, customer: customer, currency: currency, ref: ref})
	}
}

// hold takes the credit note just added to batch out of it when its row
// writes a currency, and says so: it loads, and its note is counted,
// once resolve has checked that currency.
func (c *typedCredits) hold(batch *datasets.Ledger, currency, note string) bool {
	if currency == "" {
		return false
	}
	n := len(batch.CreditNotes) - 1
	x := &c.curs[len(c.curs)-1]
	x.cn, x.note = batch.CreditNotes[n], note
	batch.CreditNotes[n] = datasets.CreditNote{}
	batch.CreditNotes = batch.CreditNotes[:n]
	return true
}

// flush counts the duplicates pending.
func (c *typedCredits) flush() {
	if c.dups != nil {
		c.dups.flush()
	}
}

// check warns of the references to invoices neither in the store nor
// in the import, as a credit-notes file's are; the file's own invoices
// are in the import's ids once its duplicates are flushed. (Currencies:
// resolve.)
func (c *typedCredits) check(ctx context.Context, im *run, fr *fileRun) error {
	if len(c.refs) == 0 {
		return nil
	}
	known, err := im.knownInvoice(ctx)
	if err != nil || known == nil {
		return err
	}
	for _, r := range c.refs {
		if !known(r.ref) {
			fr.warn("refers to an invoice neither in the store nor in the import",
				fmt.Sprintf("%s:%d applies_to %q", fr.sum.Path, r.line, clip(r.ref, 80)))
		}
	}
	return nil
}

// amendTyped reads the document type of an invoices file's row (its
// type column is mapped): it rejects the row for a type that is none of
// those named (bad), and says which document the row is (docInvoice,
// docCreditNote or docPayment), readying a credit note or a payment to
// pass the invoice checks it is decoded through: a credit note's amount
// made absolute, a payment's negated (the customer account is credited
// by a payment: SAP writes it negative; a row of the other sign is a
// reversal, negative payment, warned of as the payments file's are), and
// the due date, which neither has, set to the issue date. A payment keeps
// its settled date (its clearing) to be checked against its issue date.
func (im *run) amendTyped(p *parser, v *datasets.Invoice, text string) (doc string, bad bool) {
	t, why := im.docType(text)
	p.typedInvoice, p.reversal = "", false
	if t == docInvoice {
		p.typedInvoice = text
		if p.creditTypes == nil {
			// The values the user named, else the recognised ones.
			if _, p.creditTypes = docTypeValues(im.opts.DocTypes); len(p.creditTypes) == 0 {
				_, p.creditTypes = docTypeValues(defaultDocTypes)
			}
		}
	}
	switch {
	case why != "" || t == docSkip:
		// What the row is is not known: its type is its error, not a
		// blank due date or a negative amount, which would be no error of
		// a credit note (the row is rejected; its record is dropped). A
		// skipped type's row is never decoded (file.go): here it is one
		// of a store row, refused alike.
		if why == "" {
			why = "unknown document type: " + im.docTypeHelp()
		}
		p.errs = append(p.errs, fieldError{field: "type", value: text, reason: why, kind: strings.SplitN(why, ":", 2)[0]})
		if v.Amount < 0 {
			v.Amount = -v.Amount
		}
		return "", true
	case t == docPayment:
		// Checked as an invoice of the absolute amount; the sign is
		// applied once it is a payment (typedpay.go).
		p.reversal = v.Amount > 0
		if v.Amount < 0 {
			v.Amount = -v.Amount
		}
		v.DueDate, v.Disputed = v.IssueDate, false
		return docPayment, false
	case t != docCreditNote:
		return docInvoice, false
	}
	if v.Amount < 0 {
		v.Amount = -v.Amount
	}
	v.DueDate, v.SettledDate, v.Disputed = v.IssueDate, 0, false
	return docCreditNote, false
}

// skipType says whether type value text names a document type the
// import skips (--doc-types skip=VALUE).
func (im *run) skipType(text string) bool {
	n := normDocType(text)
	return n != "" && im.opts.DocTypes[n] == docSkip
}

// negativeTypedInvoiceHint says how to load a negative row of an invoices
// file whose type column is mapped and reads its type, written, as an
// invoice: its type is to be a credit note's (one of creditTypes, the
// values read as credit notes), or its amount is wrong.
func negativeTypedInvoiceHint(written string, creditTypes []string) string {
	return fmt.Sprintf("(the row's type %q reads as an invoice, and an invoice is not negative; if the row is a credit note, its type should say so "+
		"(read as credit notes: %s): name the file's credit-note type with --doc-types credit_note=<value>; else its amount is wrong)",
		written, strings.Join(creditTypes, ", "))
}
