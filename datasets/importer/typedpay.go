package importer

import (
	"context"
	"fmt"
	"hash/maphash"
	"maps"
	"slices"
	"strings"

	"github.com/dsopilot/dsopilot/datasets"
)

// Payments and skipped rows of an invoices file. An ERP's open- and
// cleared-items list of a customer account (SAP's FBL5N) has the
// payments among the invoices: the DZ lines, written negative (the
// account is credited), each with the clearing document that cleared it
// and the invoices it paid. With the type named a payment (--doc-types
// payment=DZ), such a row loads as a payment of its customer, dated by
// its document date (the issue_date column), of the amount written
// negated: a payment row written positive is a reversal and loads as a
// negative payment, warned of as a payments file's is.
//
// Which invoice it pays: the file's clearing_document column (--columns
// invoices.clearing_document=<header>), when mapped, names the clearing
// of both the payment row and the invoice rows it cleared. A payment
// whose clearing cleared one invoice row of its customer in the file is
// that invoice's payment. One whose clearing cleared several is cash on
// account (no invoice named): the KPIs, the implied write-offs and the
// forecast match a customer's cash on account to its invoices at their
// clearing (datasets.ImpliedWriteOffs), the way they treat any payment
// that names no invoice, so it is counted once, and not split on a guess.
// Without a clearing the file links, the row's applies_to (SAP's
// assignment) names the invoice when mapped; else it is cash on account.
//
// Nothing is counted twice: the invoice keeps its clearing date as its
// settled date, and a ledger with payments counts as cash what they
// paid and as cleared only what no payment or credit note explains
// (features' collected, datasets.ImpliedWriteOffs): a cleared-items file
// without its payment rows counts the clearing as collected instead.
//
// A type named skip (--doc-types skip=AB) is no ledger document of the
// customer (a clearing line, a G/L posting): its rows are counted by
// type value, not read, not rejected, and not in read either, so that
// the rule by which an import fails (most rows rejected) holds for the
// rows read.

// Notes of the file.
const (
	notePaymentsFromInvoices = "payments read from the invoices file (their type column says so): loaded as payments of their customer, of the amount written negated, " +
		"paying the invoice their clearing document cleared, else the one applies_to names, else on account"
	notePaymentSeveral = "payments whose clearing document cleared several invoices of the file: loaded as the customer's cash on account, matched to those invoices at their clearing (not split on a guess)"
	noteSkippedTypes   = "rows skipped by their document type (--doc-types skip=VALUE): not loaded, not rejected, and not counted in read"
	// warnReversal is the payments file's warning of a negative payment.
	warnReversal = "negative payment (a refund or a reversal?): a payment row written positive, a debit on the customer's account"
)

// typedPayments is what an invoices file's payment rows need besides the
// row.
type typedPayments struct {
	// clears maps a customer and clearing document (clearKey) to the
	// invoice rows of the file it cleared, read before the rows load.
	clears map[string][]string
	// clearAt is the clearing_document column, -1 when not mapped.
	clearAt int
	dups    *dupCheck
	// refs are the payments that name an invoice, checked against the
	// store and the import once the file is read.
	refs []payRef
	// customer is the customer derived from the current payment row.
	customer datasets.Customer
}

type payRef struct {
	line int
	pay  datasets.Payment
}

func clearKey(customer, doc string) string { return customer + "\x00" + doc }

// scanClearings reads the file's invoice rows' clearing documents:
// which invoices each clearing of a customer cleared. Rows that do not
// read are the main pass's rejects; a row whose type is no invoice is
// left out.
func (im *run) scanClearings(in input, pos map[string]int) (map[string][]string, error) {
	clears := map[string][]string{}
	clearAt, typeAt := pos["clearing_document"], pos["type"]
	custAt, idAt := pos["customer_id"], pos["invoice_id"]
	err := im.eachRow(in, func(vals []string, _ int) {
		doc := textAt(vals, clearAt)
		if doc == "" {
			return
		}
		if t, why := im.docType(textAt(vals, typeAt)); why != "" || t != docInvoice {
			return
		}
		id, cust := textAt(vals, idAt), textAt(vals, custAt)
		if id == "" || cust == "" {
			return
		}
		k := clearKey(cust, doc)
		if !slices.Contains(clears[k], id) {
			clears[k] = append(clears[k], id)
		}
	})
	return clears, err
}

// payment turns the invoice decoded from a payment row (the last of
// batch) into the payment it is, appended to batch, and returns it with
// how it was linked, for the note. appliesTo is the row's applies_to
// ("" for none or not mapped).
func (tp *typedPayments) payment(p *parser, batch *datasets.Ledger, vals []string, appliesTo string) (*datasets.Payment, string) {
	v := &batch.Invoices[len(batch.Invoices)-1]
	amt := v.Amount
	if p.reversal {
		amt = -amt
	}
	pay := datasets.Payment{ID: v.ID, CustomerID: v.CustomerID, Date: v.IssueDate, Amount: amt, Currency: v.Currency}
	tp.customer = derivedCustomer(v)
	how := ""
	doc := ""
	if tp.clearAt >= 0 {
		doc = textAt(vals, tp.clearAt)
	}
	cleared := tp.clears[clearKey(v.CustomerID, doc)]
	switch {
	case doc != "" && len(cleared) == 1:
		pay.InvoiceID = cleared[0]
		how = fmt.Sprintf("paying invoice %q (cleared by %q)", clip(cleared[0], 80), clip(doc, 80))
	case doc != "" && len(cleared) > 1:
		how = fmt.Sprintf("on account: clearing %q cleared %d invoices", clip(doc, 80), len(cleared))
	case appliesTo != "":
		pay.InvoiceID = appliesTo
		how = fmt.Sprintf("paying invoice %q (applies_to)", clip(appliesTo, 80))
	default:
		how = "on account: no invoice named"
	}
	*v = datasets.Invoice{}
	batch.Invoices = batch.Invoices[:len(batch.Invoices)-1]
	batch.Payments = append(batch.Payments, pay)
	return &batch.Payments[len(batch.Payments)-1], how
}

// typedRow is what the typed rows' handling needs of the row of an
// invoices file just decoded.
type typedRow struct {
	line                        int
	id, customer                string
	vals                        []string
	typeAt, amountAt, appliesAt int
}

// typedDups is the duplicate check of the rows of an invoices file of
// entity e (a credit note's, a payment's), against the import's ids of e.
func (im *run) typedDups(fr *fileRun, e datasets.Entity) *dupCheck {
	set := im.seen[e]
	if set == nil {
		set = newHashSet(1024)
		im.seen[e] = set
	}
	idColumn := datasets.Describe(e).IDColumn()
	return &dupCheck{set: set, dup: func(line int, id string) {
		fr.sum.Duplicates++
		fr.warn(dupReason, fmt.Sprintf("%s:%d %s %q", fr.sum.Path, line, idColumn, clip(id, 80)))
	}}
}

// row loads the payment row r, decoded as the last invoice of batch.
func (tp *typedPayments) row(im *run, fr *fileRun, p *parser, batch *datasets.Ledger, r typedRow) {
	pay, how := tp.payment(p, batch, r.vals, textAt(r.vals, r.appliesAt))
	note := fmt.Sprintf("%s:%d invoice_id %q type %q amount %q: payment of %s, %s", fr.sum.Path, r.line, clip(r.id, 80),
		clip(textAt(r.vals, r.typeAt), 40), clip(textAt(r.vals, r.amountAt), 40), pay.Amount, how)
	tp.loaded(im, fr, r.line, pay, strings.HasPrefix(how, "on account: clearing"), note)
	if pay.Amount < 0 {
		fr.warn(warnReversal, fmt.Sprintf("%s:%d amount %q", fr.sum.Path, r.line, clip(textAt(r.vals, r.amountAt), 40)))
	}
}

// loaded counts payment pay of fr's row at line, loaded, and hands it to
// what follows the import's payments: the open balances, the records
// derived from them (supersede.go) and the invoices settled by records.
func (tp *typedPayments) loaded(im *run, fr *fileRun, line int, pay *datasets.Payment, several bool, note string) {
	fr.sum.PaymentsFromInvoices++
	tp.dups.add(maphash.String(im.seenSeed, pay.ID), line, pay.ID)
	fr.note(notePaymentsFromInvoices, note)
	if several {
		fr.note(notePaymentSeveral, note)
	}
	if pay.InvoiceID != "" {
		tp.refs = append(tp.refs, payRef{line, *pay})
	}
	im.openBal.payment(pay)
	im.sup.payment(fr, line, pay)
	im.cover.paid(fr, line, pay)
}

// flush counts the duplicates pending.
func (tp *typedPayments) flush() {
	if tp.dups != nil {
		tp.dups.flush()
	}
}

// check warns of the payments naming an invoice neither in the store nor
// in the import, as a payments file's are, once the file is read (an
// export may list a payment before the invoice it pays).
func (tp *typedPayments) check(ctx context.Context, im *run, fr *fileRun) error {
	if len(tp.refs) == 0 {
		return nil
	}
	known, err := im.knownInvoice(ctx)
	if err != nil || known == nil {
		return err
	}
	for i := range tp.refs {
		r := &tp.refs[i]
		if !known(r.pay.InvoiceID) {
			fr.unknownInvoiceCash(&r.pay)
			fr.warn(warnPaymentUnknownInvoice, fmt.Sprintf("%s:%d invoice_id %q", fr.sum.Path, r.line, clip(r.pay.InvoiceID, 80)))
		}
	}
	return nil
}

// skip counts a row skipped by its type value text.
func (fr *fileRun) skip(text string) {
	fr.sum.SkippedByType++
	if fr.skipped == nil {
		fr.skipped = map[string]int{}
	}
	fr.skipped[text]++
}

// unknownType counts a row rejected for its type value text, which no
// mapping names.
func (fr *fileRun) unknownType(text string) {
	if fr.unknownTypes == nil {
		fr.unknownTypes = map[string]int{}
	}
	fr.unknownTypes[text]++
}

// unknownCount is the number of rows rejected for a type no mapping names.
func (fr *fileRun) unknownCount() int {
	n := 0
	for _, c := range fr.unknownTypes {
		n += c
	}
	return n
}

// ErrDocTypes means rows of a file were rejected for document types no
// mapping names, more than 1% of its rows (unmapped): a kind of document
// the user has not said how to read. It is an ErrRejected (errors.Is),
// which the API and the CLI treat as such, though the rows may be fewer
// than half.
var ErrDocTypes error = docTypesError{}

type docTypesError struct{}

func (docTypesError) Error() string {
	return "rows of document types --doc-types does not name were rejected"
}

func (docTypesError) Is(target error) bool { return target == ErrRejected }

// typeCounts writes counts by type value, most first: DZ 5704, AB 3.
func typeCounts(m map[string]int) string {
	keys := slices.Collect(maps.Keys(m))
	slices.SortFunc(keys, func(a, b string) int {
		if m[a] != m[b] {
			return m[b] - m[a]
		}
		return strings.Compare(a, b)
	})
	var parts []string
	for i, k := range keys {
		if i == 10 {
			parts = append(parts, fmt.Sprintf("and %d more", len(keys)-10))
			break
		}
		parts = append(parts, fmt.Sprintf("%q %d", clip(k, 40), m[k]))
	}
	return strings.Join(parts, ", ")
}

// unmappedShare is the share of a file's rows of document types no
// mapping names above which the import fails: a stray row's mistyped
// type is a bad row like any, but a type on more rows than that is a kind
// of document the export holds (SAP's payments, clearing lines) that the
// user has not said how to read, and most of what they hold is missing.
const unmappedShare = 0.01

// unmapped describes the rows of the file rejected for a document type
// no mapping names when they are more than unmappedShare of its rows
// read, "" otherwise.
func (fr *fileRun) unmapped() string {
	n := fr.unknownCount()
	if n == 0 || float64(n) <= unmappedShare*float64(fr.sum.Read) {
		return ""
	}
	return fmt.Sprintf("%d of %d rows are of document types --doc-types does not name (%s): name each with --doc-types invoice=VALUE, credit_note=VALUE, payment=VALUE, or skip=VALUE for rows that are no ledger document",
		n, fr.sum.Read, typeCounts(fr.unknownTypes))
}
