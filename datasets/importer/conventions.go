package importer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/dsopilot/dsopilot/datasets"
)

// Conventions of an export that the importer reads rather than refuses,
// each counted on the summary (a note with its first example), never
// applied silently:
//
//   - Small-ERP exports write credit notes negative. dsopilot's credit note
//     is a credit whatever its sign, so a file that writes its credit notes
//     negative has them read as credits of their absolute amount; loaded
//     as written, each would raise what its customer owes.
//   - An invoice export may leave a due date blank where the payment terms
//     say it: the due date is then the issue date plus the terms (the row's
//     own payment_terms column when mapped, else the customer master's),
//     by datasets.Terms.DueDate, which knows EOM terms. An invoices file
//     without a due_date column at all is read as if every due date were
//     blank, when terms can give them: the file has a payment_terms
//     column, or there is a customer master (whose customers without
//     terms have their rows rejected, as a blank due date's are).

// Notes' reasons.
const (
	noteNegativeCredits = "credit notes written negative: read as credits of their absolute amount (the file's convention)"
	noteDerivedDue      = "due dates derived from payment terms: issue date + the row's payment_terms, else the customer master's"
	noteNoDueColumn     = "due dates derived from payment terms, the file having no due_date column: issue date + the row's payment_terms, else the customer master's"
)

// dueFromTerms says whether the file of in is an invoices file without a
// due_date column whose due dates terms may give: it has a payment_terms
// column, or the import has a customer master (its customers file, or
// the store's). With neither, it is an error naming the file and the
// field: no row could load.
func (im *run) dueFromTerms(ctx context.Context, in input, pos map[string]int) (bool, error) {
	if in.entity != datasets.EntityInvoices {
		return false, nil
	}
	if _, ok := pos["due_date"]; ok {
		return false, nil
	}
	if _, ok := pos["payment_terms"]; ok {
		return true, nil
	}
	derive := im.derive
	if !derive && im.master == masterUnknown {
		var err error
		if derive, err = im.deriveUnknown(ctx); err != nil {
			return false, err
		}
	}
	if !derive {
		return true, nil
	}
	return false, fmt.Errorf("%s has no due_date column (looked for the header %q) and no payment terms to derive due dates from: no payment_terms column and no customer master; "+
		"map the due date with --columns due_date=<header>, or the terms with --columns invoices.payment_terms=<header>, or import a customers file with payment_terms first",
		filepath.Base(in.path), im.header(in.entity, "due_date"))
}

// creditSigns counts the nonzero amounts of each sign in a file of credit
// notes, read before its rows load: the file's convention is the sign most
// of them have, and positive (the canonical one) on a tie.
type creditSigns struct {
	neg, pos int
}

func (c creditSigns) negative() bool { return c.neg > c.pos }

// signOf is the sign of an amount as written (-1, 0 or 1), as the amount
// readers take it: a leading or a trailing minus (SAP's 12.50-). Text
// that is no amount reads 0 and is rejected by the row's parse.
func signOf(v string) int {
	v = trimSpace(v)
	if !strings.ContainsAny(v, "123456789") {
		return 0
	}
	if strings.HasPrefix(v, "-") || strings.HasSuffix(v, "-") {
		return -1
	}
	return 1
}

// amendCreditNote applies the file's sign convention to credit note v,
// whose amount is written as text; it says whether the amount was read
// as its absolute value.
//
// A file that mixes signs has no convention for the rows of the sign
// fewer of its rows have: such a row may be a reversal (a credit taken
// back) or a row of another export, and either reading may be wrong, so
// it is rejected, naming its line, rather than stored as a guess. On a tie
// the canonical convention (positive) holds and the negative rows are the
// ones rejected. A credit note of zero changes nothing owed: it loads (the
// document exists) with a warning.
func (p *parser) amendCreditNote(v *datasets.CreditNote, signs creditSigns, text string) bool {
	switch {
	case v.Amount == 0:
		p.warns = append(p.warns, fieldError{field: "amount", value: text, reason: "credit note of zero: it changes nothing owed", kind: "credit note of zero"})
	case v.Amount < 0 && signs.negative():
		v.Amount = -v.Amount
		return true
	case v.Amount < 0:
		p.errs = append(p.errs, fieldError{field: "amount", value: text, kind: "credit note of the other sign than most of the file's",
			reason: fmt.Sprintf("a negative credit note in a file whose credit notes are positive (%d positive, %d negative): it may be a reversal or another export's row, so it is not loaded; write it positive (a credit), or load it from a file of one sign",
				signs.pos, signs.neg)})
	case signs.negative():
		p.errs = append(p.errs, fieldError{field: "amount", value: text, kind: "credit note of the other sign than most of the file's",
			reason: fmt.Sprintf("a positive credit note in a file that writes its credit notes negative (%d negative, %d positive): it may be a reversal or another export's row, so it is not loaded; write it negative like the others, or load it from a file of one sign",
				signs.neg, signs.pos)})
	}
	return false
}

// scanCreditSigns reads the amount column of a file of credit notes.
func (im *run) scanCreditSigns(in input, at int) (creditSigns, error) {
	var c creditSigns
	err := im.eachRow(in, func(vals []string, _ int) {
		if at < len(vals) {
			switch signOf(vals[at]) {
			case -1:
				c.neg++
			case 1:
				c.pos++
			}
		}
	})
	return c, err
}

// eachRow reads the file of in again from its start, calling fn with each
// row that reads (rows that do not are the main pass's rejects).
func (im *run) eachRow(in input, fn func(vals []string, line int)) error {
	f, err := os.Open(in.path)
	if err != nil {
		return err
	}
	defer f.Close()
	src, err := im.openSource(f, in)
	if err != nil {
		return err
	}
	for {
		vals, line, err := src.next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		var re *rowError
		if errors.As(err, &re) {
			continue
		}
		if err != nil {
			return err
		}
		fn(vals, line)
	}
}

// terms returns customer id's payment terms from the customer master:
// this import's customers file, else the store; false when neither gives
// any. Zero terms (NET0) count as none unless this import's customers
// file wrote them (Due on receipt, NET0: noteDueOnReceipt): the store
// keeps a customer without terms as NET0, so a blank due date of theirs
// is rejected, not set to the issue date by a guess.
func (im *run) terms(ctx context.Context, id string) (datasets.Terms, bool, error) {
	if im.dueOnReceipt[id] {
		return datasets.Terms{}, true, nil
	}
	if t, ok := im.customerTerms[id]; ok {
		return t, t != (datasets.Terms{}), nil
	}
	var t datasets.Terms
	if r, ok := im.st.(customerReader); ok {
		c, err := r.Customer(ctx, id)
		switch {
		case errors.Is(err, datasets.ErrNotFound):
		case err != nil:
			return t, false, fmt.Errorf("read customer %q for its payment terms: %w", id, err)
		default:
			t = c.Terms
		}
	}
	im.customerTerms[id] = t
	return t, t != (datasets.Terms{}), nil
}

// noteDueOnReceipt remembers customer c when its terms text, as its
// customers file wrote it, reads as due on receipt: a blank due date of
// its invoices is then the issue date (the trial's "Due on receipt"
// customer lost its invoice with a blank due date, rejected as one
// without terms). Blank or unread terms are none, as before.
func (im *run) noteDueOnReceipt(c *datasets.Customer, text string) {
	if c.ID == "" || c.Terms != (datasets.Terms{}) || strings.TrimSpace(text) == "" {
		return
	}
	t, ok := datasets.LookupTermsKey(im.opts.TermsKeys, text)
	if !ok {
		var err error
		t, err = datasets.ParseTerms(text)
		ok = err == nil
	}
	if ok && t == (datasets.Terms{}) {
		im.dueOnReceipt[c.ID] = true
	}
}

// amendInvoice derives invoice v's blank due date from payment terms: the
// row's own (termsText, when the file maps payment_terms), else its
// customer's in the master. It returns the terms it used and whose they
// are ("" when it derived nothing); without terms the row is rejected for
// its missing due date, as without this rule.
func (p *parser) amendInvoice(ctx context.Context, im *run, v *datasets.Invoice, termsText string) (t datasets.Terms, whose string, err error) {
	if v.IssueDate == 0 || v.CustomerID == "" {
		// The row is rejected for its issue date or customer already; its
		// due date is missing too.
		p.fail("due_date", "", missing(datasets.KindDate))
		return t, "", nil
	}
	whose = "the row's"
	if termsText != "" {
		if t, err = p.terms(termsText); err != nil {
			hint := "; an ERP's terms key (ZB30) is named with --terms ZB30=30"
			if errors.Is(err, datasets.ErrTermsTwoWays) {
				hint = "; --eom-after reads them as days after the end of the issue month"
			}
			p.fail("payment_terms", termsText, err.Error()+" (read because due_date is blank"+hint+")")
			return t, "", nil
		}
	} else {
		var ok bool
		if t, ok, err = im.terms(ctx, v.CustomerID); err != nil {
			return t, "", err
		} else if !ok {
			p.errs = append(p.errs, fieldError{field: "due_date", kind: missing(datasets.KindDate),
				reason: "missing date, and no payment terms to derive it from (the row has no payment_terms and the customer master gives none, or gave terms that were not read: see the warnings; " +
					"a master's Due on receipt is read when its customers file is imported with the invoices, the store keeping it as it keeps blank terms)"})
			return t, "", nil
		}
		whose = "the customer master's"
	}
	due := t.DueDate(v.IssueDate)
	if due > datasets.MaxDate {
		p.fail("due_date", "", fmt.Sprintf("missing date, and the issue date %s + %s is past %s", p.dates.Write(v.IssueDate), t, p.dates.Write(datasets.MaxDate)))
		return t, "", nil
	}
	v.DueDate = due
	return t, whose, nil
}
