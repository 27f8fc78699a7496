package importer

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/dsopilot/dsopilot/datasets"
)

// countingReader counts the bytes read through it, for progress.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += int64(n)
	return n, err
}

// openSource opens path as a source of rows of entity e (NDJSON needs it
// to list the canonical keys).
func (im *run) openSource(r io.Reader, in input) (source, error) {
	if in.format == "ndjson" {
		if in.entity == "" {
			return nil, fmt.Errorf("cannot tell what %s holds: name it after an entity (invoices.ndjson) or pass --kind", filepath.Base(in.path))
		}
		return newNDJSONSource(r, im.sourceNames(in.entity), im.lim)
	}
	return newCSVSource(r, im.lim)
}

// importFile streams one file into the writer. It returns an error only when
// the file as a whole cannot be read; bad rows are rejects.
func (im *run) importFile(ctx context.Context, w *writer, in input) error {
	fr := &fileRun{sum: FileSummary{Path: in.path, Entity: in.entity, Format: in.format},
		warns: map[string]*Warning{}, notes: map[string]*Warning{}, diag: newDiagnosis(), idAt: -1}
	fs := &fr.sum
	im.files = append(im.files, fr)
	defer fr.conclude()
	fail := func(err error) error {
		fs.Error = clip(err.Error(), 400)
		im.opts.Log.Error("file not imported", "file", in.path, "err", fs.Error)
		return fmt.Errorf("%s: %s", in.path, fs.Error)
	}

	f, err := os.Open(in.path)
	if err != nil {
		return fail(err)
	}
	defer f.Close()
	cr := &countingReader{r: f}
	defer func() { im.bytesDone += cr.n }()
	src, err := im.openSource(cr, in)
	if err != nil {
		return fail(err)
	}
	pos, ignored := im.resolveHeader(src.header(), in.entity)
	if in.entity == "" {
		in.entity = detectEntity(pos)
		fs.Entity = in.entity
		if in.entity == "" {
			return fail(fmt.Errorf("cannot tell what %s holds from its header %s: pass --kind or --columns",
				filepath.Base(in.path), clip(strings.Join(src.header(), ","), 200)))
		}
		// With the entity known, its own mappings (payments.amount) hold.
		pos, ignored = im.resolveHeader(src.header(), in.entity)
		if like, has, lacks := lookalike(pos, in.entity); like != "" {
			// An invoice export without its due date would otherwise load
			// as a customer master of its customer ids.
			fs.Entity = like
			return fail(fmt.Errorf("%s looks like %s (it has %s) but lacks %s: map it with --columns %s=<header>, or pass --kind %s if the file holds %s",
				filepath.Base(in.path), like, strings.Join(has, ", "), strings.Join(lacks, ", "), lacks[0], in.entity, in.entity))
		}
	}
	if _, scoped := im.opts.Columns[string(datasets.EntityInvoices)+".type"]; scoped && in.entity == datasets.EntityInvoices {
		// (A plain type= mapping may be an actions file's, and an invoices
		// file without the column reads as before.)
		if _, ok := pos["type"]; !ok {
			return fail(fmt.Errorf("--columns maps the invoices' document type to the header %q, which %s lacks (header: %s)",
				im.header(in.entity, "type"), filepath.Base(in.path), clip(strings.Join(src.header(), ","), 200)))
		}
	}
	if in.entity == datasets.EntityCustomers {
		im.noCustomersFile = false // told by its header
	}
	desc := datasets.Describe(in.entity)
	fr.count = desc.Count
	// carried says whether the file carries canonical column c: a CSV's
	// header names it; an NDJSON body's first object has its key (its
	// reader lists every canonical key, for later lines that carry more).
	// The file-level readings (a cleared-items export, open balances) and
	// the columns said to be ignored go by what the file carries: an
	// ingest body was told of columns it never sent.
	carrier, _ := src.(interface{ carries(string) bool })
	carried := func(c string) bool {
		i, ok := pos[c]
		return ok && (carrier == nil || carrier.carries(src.header()[i]))
	}
	fs.IgnoredColumns = slices.DeleteFunc(ignored(in.entity), func(h string) bool { return carrier != nil && !carrier.carries(h) })
	noDue, err := im.dueFromTerms(ctx, in, pos)
	if err != nil {
		return fail(err)
	}
	for _, req := range in.entity.Required() {
		if _, ok := pos[req]; !ok && !(noDue && req == "due_date") {
			return fail(fmt.Errorf("missing required column %q for %s (looked for the header %q; header: %s; map it with --columns %s=<header>, or %s.%s=<header> for this entity's files only)",
				req, in.entity, im.header(in.entity, req), clip(strings.Join(src.header(), ","), 200), req, in.entity, req))
		}
	}
	seen := im.seen[in.entity]
	if seen == nil {
		// Size for the file (about 100 bytes a row) so the set rarely grows.
		hint := 1024
		if fi, err := f.Stat(); err == nil {
			hint = max(hint, int(fi.Size()/100))
		}
		seen = newHashSet(hint)
		im.seen[in.entity] = seen
	}
	fr.idColumn, fr.seenBefore = desc.IDColumn(), seen.n
	fr.in, fr.names = in, fieldNames(src.header(), pos, readColumns(in.entity))
	if at, ok := pos[fr.idColumn]; ok {
		fr.idAt = at
	}
	dups := &dupCheck{set: seen, dup: func(line int, id string) {
		fs.Duplicates++
		// A warning with its first line, not only a count: the earlier
		// row's amounts and dates are replaced, which a user must see;
		// the first few are described once the file is read.
		fr.warn(dupReason, fmt.Sprintf("%s:%d %s %q", in.path, line, desc.IDColumn(), clip(id, 80)))
		if len(fr.dups) < dupDetails {
			fr.dups = append(fr.dups, DuplicateRow{File: in.path, Line: line, IDField: fr.idColumn, ID: id})
		}
	}}
	// Runs before the summary is concluded (defers run last first).
	defer dups.flush()

	dates, ok := im.datesOf[in.entity]
	if !ok {
		dates = im.dates
	}
	dc, err := im.dunningColumns(in, pos, dates)
	if err != nil {
		return fail(err)
	}
	var drow dunningRow
	// An invoices file's open balances are as of its export date
	// (openbalance.go).
	// A file with a settled_date column is a cleared-items export: its
	// blanks are taken as written (settlecover.go).
	cleared := carried("settled_date")
	creditAt, hasCredit := pos["credit_amount"]
	hasCredit = hasCredit && in.entity == datasets.EntityInvoices
	obAt := pos["open_balance"]
	hasOB := carried("open_balance") && in.entity == datasets.EntityInvoices
	var orow openBalanceRow
	var exportDate datasets.Date
	if hasOB {
		// Before any row is sent: a store that cannot read the invoices'
		// payments in full fails the file whole, not after its rows.
		if err := im.recordsComplete(ctx); err != nil {
			return err
		}
		var how string
		exportDate, how = im.exportDateOf()
		fr.note(noteExportDate, fmt.Sprintf("%s: %s, %s", in.path, dates.Write(exportDate), how))
		if im.openBal == nil {
			im.openBal = &openBalances{cands: map[string]*openCandidate{}, credits: map[string]map[string]applied{}}
		}
	}
	// creditMoved: the row's credit amount moved to its amount column
	// (debitcredit.go), read as its own field was written.
	creditMoved := false
	numeric := src.numeric
	if hasCredit {
		amountAt := pos["amount"]
		numeric = func(i int) bool {
			if creditMoved && i == amountAt {
				return src.numeric(creditAt)
			}
			return src.numeric(i)
		}
	}
	p := &parser{dates: dates, amounts: im.amounts, latest: im.opts.LatestDay, columns: map[string]*amountColumn{}, diag: fr.diag, numeric: numeric, eomAfter: im.opts.EOMAfter,
		termsKeys: im.opts.TermsKeys}
	p.scan = func(column string) (decimalMark, string) { return im.scanMarks(fr, in, pos, column) }
	dec := decoderFor(in.entity, pos, p)
	// The conventions of the export (conventions.go): amend sets flipped
	// or whose for the row, counted when the row loads.
	var (
		flipped  bool
		whose    string
		terms    datasets.Terms
		amendErr error
		// credit says an invoices file's row is a credit note by its type
		// column (doctypes.go); appliesAt is its applies_to column.
		credit    bool
		typedFile bool
		appliesAt = -1
		credits   = &typedCredits{}
		// paid says the row is a payment by its type column, and pays
		// holds the file's payment rows (typedpay.go); typeAt is the
		// type column.
		paid   bool
		pays   = &typedPayments{clearAt: -1}
		typeAt = -1
		// reason is the row's dispute reason when it flags the invoice
		// disputed (disputereason.go).
		reason string
		// disc is the row's cash discount (discount.go).
		disc datasets.Money
	)
	defer credits.flush()
	defer pays.flush()
	switch in.entity {
	case datasets.EntityCustomers:
		if at, ok := pos["payment_terms"]; ok {
			p.amend = func(rec any, vals []string) { im.noteDueOnReceipt(rec.(*datasets.Customer), textAt(vals, at)) }
		}
	case datasets.EntityCreditNotes:
		amountAt := pos["amount"] // required: the file has it
		signs, err := im.scanCreditSigns(in, amountAt)
		if err != nil {
			return fail(err)
		}
		p.amend = func(rec any, vals []string) {
			flipped = p.amendCreditNote(rec.(*datasets.CreditNote), signs, textAt(vals, amountAt))
		}
	case datasets.EntityPayments:
		// A payment's cash discount (discount.go).
		if at, ok := pos["discount"]; ok {
			p.amend = func(rec any, vals []string) {
				disc = im.readDiscount(p, textAt(vals, at), src.numeric(at), rec.(*datasets.Payment))
			}
		}
	case datasets.EntityInvoices:
		termsAt, rowTerms := pos["payment_terms"]
		var typed bool
		typeAt, typed = pos["type"]
		typedFile = typed
		if at, ok := pos["applies_to"]; ok {
			appliesAt = at
		}
		if at, ok := pos["clearing_document"]; ok && typed {
			pays.clearAt = at
			if pays.clears, err = im.scanClearings(in, pos); err != nil {
				return fail(err)
			}
		}
		reasonAt, hasReason := pos["dispute_reason"]
		p.derivable = "due_date"
		p.amend = func(rec any, vals []string) {
			v := rec.(*datasets.Invoice)
			if typed {
				doc, bad := im.amendTyped(p, v, textAt(vals, typeAt))
				if credit, paid = doc == docCreditNote, doc == docPayment; credit || paid || bad {
					return
				}
			}
			if hasReason {
				reason = im.disputeReason(p, v, textAt(vals, reasonAt))
			}
			if p.blank {
				text := ""
				if rowTerms {
					text = textAt(vals, termsAt)
				}
				terms, whose, amendErr = p.amendInvoice(ctx, im, v, text)
			}
			im.readDunning(p, dc, vals, v, &drow)
			if hasOB {
				im.readOpenBalance(p, textAt(vals, obAt), src.numeric(obAt), v, exportDate, &orow)
			}
		}
	}
	_, refs := pos["invoice_id"]
	if (in.entity == datasets.EntityPayments || in.entity == datasets.EntityCreditNotes) && refs || typedFile {
		// Before any row is sent: what the store held before the import
		// is what the file's payments and credit notes are new against.
		if err := im.scanDerived(ctx); err != nil {
			return err
		}
	}
	// Exports list a customer's rows together: remember the last customer
	// checked rather than looking every row up.
	lastCustomer := ""
	var masterErr error // reading the store to tell whether it holds a master
	if !im.derive && in.entity != datasets.EntityCustomers {
		p.knownCustomer = func(id string) bool {
			if id == lastCustomer {
				return true
			}
			if im.known[id] {
				lastCustomer = id
				return true
			}
			// Derived below when the store holds no master.
			derive, err := im.deriveUnknown(ctx)
			masterErr = err
			return derive
		}
		p.whyUnknown = im.whyUnknown
	}
	invoiceAt, refersToInvoices := pos["invoice_id"]
	var knownInvoice func(string) bool
	if refersToInvoices && in.entity != datasets.EntityInvoices {
		// The invoices of this import are in it too: their file came
		// first (load order) and flushed its ids.
		if knownInvoice, err = im.knownInvoice(ctx); err != nil {
			return err
		}
	}
	currencyAt, hasCurrency := pos["currency"]
	hasCurrency = hasCurrency && im.opts.Currency != nil
	batch := dec.newBatch(im.opts.BatchSize)
	pending := 0
	// sentDups is the duplicates among the rows sent to the store so far:
	// a duplicate replaces a record and adds none, so it is not loaded.
	sentDups := 0
	if in.entity == datasets.EntityInvoices {
		// An invoices file's credit-note and payment rows (doctypes.go,
		// typedpay.go) are loaded rows too.
		fr.count = func(c *datasets.Counts) *uint64 { n := c.Invoices + c.CreditNotes + c.Payments; return &n }
		credits.dups = im.typedDups(fr, datasets.EntityCreditNotes)
		pays.dups = im.typedDups(fr, datasets.EntityPayments)
	}
	rowsOf := func(b *datasets.Ledger) int {
		if in.entity == datasets.EntityInvoices {
			return len(b.Invoices) + len(b.CreditNotes) + len(b.Payments)
		}
		return dec.count(b)
	}
	send := func() {
		dups.flush()
		credits.flush()
		pays.flush()
		w.send(batch, fr, rowsOf(batch), fs.Duplicates-sentDups)
		sentDups = fs.Duplicates
	}
	im.progress(in.path, cr.n)
	for n := 1; ; n++ {
		// Checked every 256 rows: a cancellation or a store failure stops
		// the file within a fraction of a millisecond all the same.
		if n&255 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := w.failed(); err != nil {
				return err
			}
			if n&16383 == 0 {
				im.progress(in.path, cr.n)
			}
		}
		vals, line, err := src.next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				if u, ok := src.(interface{ unreadKeys() []unreadKey }); ok {
					for _, k := range u.unreadKeys() {
						fr.warn(warnUnreadKey, fmt.Sprintf("%s:%d key %q", in.path, k.line, clip(k.key, 80)))
					}
				}
				break
			}
			var re *rowError
			if errors.As(err, &re) {
				fs.Read++
				im.rows++
				fs.Rejected++
				fr.rejectLine(re.line)
				fr.diag.reject(re.line, fieldError{reason: re.reason, kind: rowErrorKind(re.reason)})
				im.rej.add(Reject{File: in.path, Line: re.line, Reason: re.reason})
				continue
			}
			if errors.Is(err, errTooLong) {
				return fail(err)
			}
			return fail(fmt.Errorf("read line %d: %w", line, err))
		}
		if typedFile && im.skipType(textAt(vals, typeAt)) {
			// Not a document of the ledger: counted by its type, not read.
			fr.skip(textAt(vals, typeAt))
			im.rows++
			continue
		}
		fs.Read++
		im.rows++
		if hasCredit {
			// A debit and credit pair of columns (debitcredit.go).
			var why string
			if creditMoved, why = debitCredit(vals, pos["amount"], creditAt); why != "" {
				fs.Rejected++
				fr.rejectLine(line)
				fe := fieldError{field: "credit_amount", value: trimSpace(vals[creditAt]), reason: why, kind: why}
				fr.diag.reject(line, fe)
				im.rej.add(Reject{File: in.path, Line: line, Field: fe.field, Value: fe.value, Reason: fe.reason})
				continue
			}
		}
		if hasCurrency && currencyAt < len(vals) {
			// Only a currency code is asked about: a value that is none
			// ("EURO") is the row's fault, rejected below by the schema
			// as the CLI rejects it, never a rate the server lacks.
			if code, err := datasets.ParseCurrency(trimSpace(vals[currencyAt])); err == nil {
				if err := im.opts.Currency(code); err != nil {
					text := trimSpace(vals[currencyAt])
					fs.Rejected++
					fr.rejectLine(line)
					fe := fieldError{field: "currency", value: text, reason: err.Error(), kind: "currency"}
					fr.diag.reject(line, fe)
					im.rej.add(Reject{File: in.path, Line: line, Field: fe.field, Value: fe.value, Reason: fe.reason})
					continue
				}
			}
		}
		p.line, p.errs, p.warns, p.blank = line, p.errs[:0], p.warns[:0], false
		flipped, whose, credit, paid, reason, drow, orow = false, "", false, false, "", dunningRow{}, openBalanceRow{}
		disc = 0
		before := batch.Len()
		id, cust := dec.decode(vals, batch)
		if masterErr != nil {
			return fail(masterErr)
		}
		if amendErr != nil {
			return fail(amendErr)
		}
		if len(p.errs) > 0 {
			fs.Rejected++
			fr.rejectLine(line)
			if in.entity == datasets.EntityCustomers {
				im.rejectedCustomer(id, in.path, line)
			} else if im.cascade(p.errs, cust) {
				fs.Cascaded++
			} else if im.absentRow(p.errs, cust, in.path, line) {
				fs.Absent++
			}
			for _, fe := range p.errs {
				if fe.field == "type" && fe.kind == "unknown document type" {
					fr.unknownType(fe.value)
				}
				fr.diag.reject(line, fe)
				im.rej.add(Reject{File: in.path, Line: line, Field: fe.field, Value: fe.value, Reason: fe.reason})
			}
			continue
		}
		for _, we := range p.warns {
			fr.warn(we.reason, fmt.Sprintf("%s:%d %s %q", in.path, line, we.field, clip(we.value, 80)))
		}
		row := typedRow{line: line, id: id, customer: cust, vals: vals, typeAt: typeAt, amountAt: pos["amount"], appliesAt: appliesAt}
		if credit {
			// The row was decoded as an invoice: it is the credit note it
			// says it is, of that entity's ids (a credit note may share its
			// number with an invoice).
			credits.row(im, fr, batch, row, im.derive && cust != lastCustomer && !im.known[cust])
		} else if paid {
			pays.row(im, fr, p, batch, row)
		} else if typedFile {
			credits.invoiceRow(id, cust, batch.Invoices[len(batch.Invoices)-1].Currency)
		}
		if reason != "" {
			fr.disputed(reason)
		}
		if in.entity == datasets.EntityPromises {
			fr.holdPromise(batch, line, textAt(vals, pos["amount"]))
		}
		switch {
		case hasOB && !credit && !paid:
			im.openBal.noteRow(fr, line, &batch.Invoices[len(batch.Invoices)-1], &orow, exportDate, dates)
		case in.entity == datasets.EntityPayments && im.openBal != nil:
			im.openBal.payment(&batch.Payments[len(batch.Payments)-1])
		case in.entity == datasets.EntityCreditNotes && im.openBal != nil:
			im.openBal.credit(&batch.CreditNotes[len(batch.CreditNotes)-1])
		}
		switch in.entity {
		case datasets.EntityPayments:
			im.sup.payment(fr, line, &batch.Payments[len(batch.Payments)-1])
		case datasets.EntityCreditNotes:
			im.sup.credit(fr, line, &batch.CreditNotes[len(batch.CreditNotes)-1])
		}
		if before < batch.Len() && !paid {
			im.cover.noteRow(fr, line, in.entity, batch, credit, cleared)
		}
		if disc > 0 {
			pay := &batch.Payments[len(batch.Payments)-1]
			cn := discountNote(pay, disc)
			batch.CreditNotes = append(batch.CreditNotes, cn)
			fs.DerivedDiscounts++
			fr.note(noteDiscount, fmt.Sprintf("%s:%d payment_id %q invoice_id %q discount %q: credit note of %s", in.path, line, clip(id, 80), clip(pay.InvoiceID, 80), clip(textAt(vals, pos["discount"]), 40), disc))
			im.openBal.credit(&cn)
			im.sup.credit(fr, line, &cn)
		}
		if dc.mapped() && !paid {
			im.loadDunning(fr, dc, batch, line, vals, credit, &drow)
		}
		switch {
		case flipped:
			fs.NegativeCreditNotes++
			v := &batch.CreditNotes[len(batch.CreditNotes)-1]
			fr.note(noteNegativeCredits, fmt.Sprintf("%s:%d credit_note_id %q amount %q read as %s", in.path, line, clip(id, 80), clip(textAt(vals, pos["amount"]), 40), v.Amount))
		case whose != "":
			fs.DerivedDueDates++
			v := &batch.Invoices[len(batch.Invoices)-1]
			reason := noteDerivedDue
			if noDue {
				reason = noteNoDueColumn
			}
			fr.note(reason, fmt.Sprintf("%s:%d invoice_id %q issued %s, %s terms %s: due %s", in.path, line, clip(id, 80), dates.Write(v.IssueDate), whose, terms, dates.Write(v.DueDate)))
		}
		if knownInvoice != nil {
			if ref := trimSpace(vals[invoiceAt]); ref != "" && !knownInvoice(ref) {
				if in.entity == datasets.EntityPayments && len(batch.Payments) > 0 {
					pay := &batch.Payments[len(batch.Payments)-1]
					fr.unknownInvoiceCash(pay)
					// The row as every warning names one (the API reads it
					// so); the amounts are totalled in the file's note.
					fr.warn(warnPaymentUnknownInvoice, fmt.Sprintf("%s:%d invoice_id %q", in.path, line, clip(ref, 80)))
				} else {
					fr.warn("refers to an invoice neither in the store nor in the import",
						fmt.Sprintf("%s:%d invoice_id %q", in.path, line, clip(ref, 80)))
				}
			}
		}
		if !credit && !paid {
			dups.add(maphash.String(im.seenSeed, id), line, id)
		}
		if in.entity == datasets.EntityCustomers {
			im.known[id] = true
		} else if im.derive && cust != lastCustomer && !im.known[cust] {
			im.known[cust] = true
			c := datasets.Customer{ID: cust}
			switch {
			case credit:
				c = credits.customer
			case paid:
				c = pays.customer
			case in.entity == datasets.EntityInvoices:
				c = derivedCustomer(&batch.Invoices[len(batch.Invoices)-1])
			}
			batch.Customers = append(batch.Customers, c)
			im.sum.DerivedCustomers++
		}
		if im.derive {
			lastCustomer = cust
		}
		pending += batch.Len() - before
		if pending >= im.opts.BatchSize {
			send()
			batch, pending = dec.newBatch(im.opts.BatchSize), 0
		}
	}
	held, err := credits.resolve(ctx, im, fr)
	if err != nil {
		return err
	}
	dunned, err := im.assumedDunning(ctx, fr, dc)
	if err != nil {
		return err
	}
	promised, err := im.checkPromises(ctx, fr)
	if err != nil {
		return err
	}
	if batch.Len() > 0 {
		send()
	}
	// The rows held to the end of the file go in batches of the batch
	// size as the others do: a file of a million promises is not one
	// batch of a million.
	for chunk := range slices.Chunk(held, im.opts.BatchSize) {
		batch = &datasets.Ledger{CreditNotes: chunk}
		send()
	}
	for chunk := range slices.Chunk(dunned, im.opts.BatchSize) {
		batch = &datasets.Ledger{Actions: chunk}
		send()
	}
	for chunk := range slices.Chunk(promised, im.opts.BatchSize) {
		batch = &datasets.Ledger{Promises: chunk}
		send()
	}
	dups.flush()
	credits.flush()
	pays.flush()
	if err := credits.check(ctx, im, fr); err != nil {
		return err
	}
	if err := pays.check(ctx, im, fr); err != nil {
		return err
	}
	im.describeDuplicates(fr)
	if len(fs.DuplicateRows) > 0 {
		fr.warns[dupReason].Example = fs.DuplicateRows[0].String()
	}
	if n := src.transcoded(); n > 0 {
		fs.Warnings = append(fs.Warnings, Warning{Reason: "lines with bytes that are not UTF-8, read as Windows-1252 (pass --encoding to say what the file is in)", Count: n,
			Example: in.path})
	}
	for _, name := range slices.Sorted(maps.Keys(p.columns)) {
		if m := p.columns[name].mixed(); m != "" {
			fr.warnFile(m)
		}
	}
	im.progress(in.path, cr.n)
	// Wait for this file's batches so its summary is final.
	return w.flush()
}

// textAt is the trimmed field at of a row, "" when the row is short.
func textAt(vals []string, at int) string {
	if at < 0 || at >= len(vals) {
		return ""
	}
	return trimSpace(vals[at])
}

func rowErrorKind(reason string) string {
	if strings.HasPrefix(reason, "row has ") {
		return "row has the wrong number of fields"
	}
	if strings.HasPrefix(reason, "invalid JSON") {
		return "invalid JSON"
	}
	return reason
}
