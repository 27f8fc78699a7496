package importer

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/dsopilot/dsopilot/datasets"
)

// Dunning levels of an invoices file. An ERP's open-items export says how
// far its dunning run has gone on each invoice (SAP's and DATEV's
// Mahnstufe, the date of the last dunning notice). dsopilot keeps no
// level on an invoice: what was done is in the actions, and the scenario
// continues after the latest action of an invoice. So an invoices file's
// dunning_level column (--columns invoices.dunning_level=Mahnstufe), when
// mapped, loads each level N > 0 as one action: of the action type
// Options.DunningLevels[N-1] (the command line maps level N to the
// scenario's Nth step after the due date, or to --dunning-levels),
// of the invoice and its customer, dated by the last_dunning_date column
// (--columns invoices.last_dunning_date=Mahndatum), with policy
// PolicyERPDunning, so that it can be told from the actions of a person
// or of dsopilot. Its id is made of the invoice's and the level, so that
// importing the file again stores nothing twice, and a later export with a
// higher level adds the new level's action to the earlier one's. The
// earlier levels' actions are not made up: their dates are not in the file.
//
// A level without a date (no date column, or a blank one) is dated the day
// the scenario takes that step (the due date plus the step's offset), or
// the settlement or today when that is earlier, and each such row is
// warned of with the date assumed; a level whose type has no step to take
// that day from rejects the row instead. A level that is not a whole
// number from 0 to the levels known, or a date that is not one, is in the
// future or before the issue, rejects the row, naming the field. A date
// without a level is warned of and not read. Credit-note rows of the file
// (doctypes.go) have no dunning: a level on one is warned of.

// PolicyERPDunning is the Action.Policy of the actions read from an
// invoices file's dunning levels.
const PolicyERPDunning = "erp_dunning"

// DunningLevel is what one dunning level of the ERP stands for.
type DunningLevel struct {
	// Type is the action type (reminder, call, final_notice: the
	// scenario's) and Channel its channel.
	Type, Channel string
	// Offset is the days after the due date on which the scenario takes
	// the step; HasOffset says there is such a step, whose day a level
	// without a date is assumed to be of.
	Offset    int
	HasOffset bool
}

// Summary texts of the dunning levels.
const (
	noteDunning = "dunning levels read from the invoices file: each loaded as one action of the level's step type (policy " +
		PolicyERPDunning + "), dated by its last dunning date, else by its step's day (warned)"
	warnDunningAssumed = "dunning level without a date: the action is dated the day the scenario takes that step (due date + the step's offset), or the settlement or yesterday when earlier, or the date an earlier import assumed when earlier (map the ERP's date with --columns invoices.last_dunning_date=<header>)"
	warnDunningNoLevel = "last dunning date without a dunning level: not read (no action loaded)"
	warnDunningCredit  = "dunning level on a credit-note row: not read (a credit note is not dunned)"
)

// dunningRow is what the current row of an invoices file says of its
// dunning: level 0 for none.
type dunningRow struct {
	level   int
	date    datasets.Date // 0: not given
	text    string        // the level as written
	written string        // the date as written
	orphan  bool          // a date without a level
}

// dunningCols are the positions of an invoices file's dunning columns.
type dunningCols struct {
	level, date int // -1 when the file lacks the column
	issue       int // the issue date's column, quoted as written
	format      DateParser
}

func (c dunningCols) mapped() bool { return c.level >= 0 }

// dunningMapped says whether the --columns mapping names a dunning
// column of invoices.
func (im *run) dunningMapped() bool {
	for _, c := range []string{"dunning_level", "last_dunning_date"} {
		_, scoped := im.opts.Columns[string(datasets.EntityInvoices)+"."+c]
		_, plain := im.opts.Columns[c]
		if scoped || plain {
			return true
		}
	}
	return false
}

// levelNames lists the mapping for messages: 1=reminder, 2=call, ...
func levelNames(levels []DunningLevel) string {
	var b strings.Builder
	for i, l := range levels {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%d=%s", i+1, l.Type)
	}
	return b.String()
}

// readDunning reads the row's dunning fields into d; a bad one is an
// error of the row in p. v is the invoice decoded from the row.
func (im *run) readDunning(p *parser, c dunningCols, vals []string, v *datasets.Invoice, d *dunningRow) {
	*d = dunningRow{}
	if !c.mapped() {
		return
	}
	d.text = textAt(vals, c.level)
	if c.date >= 0 {
		d.written = textAt(vals, c.date)
	}
	if d.text != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(d.text, "+"))
		switch {
		case err != nil || n < 0:
			p.fail("dunning_level", d.text, fmt.Sprintf("not a dunning level: want a whole number from 0 (not dunned) to %d (%s)", len(im.opts.DunningLevels), levelNames(im.opts.DunningLevels)))
			return
		case n > len(im.opts.DunningLevels):
			p.fail("dunning_level", d.text, fmt.Sprintf("dunning level %d, but %d levels are known (%s): name the ERP's levels' action types with --dunning-levels TYPE,TYPE,...", n, len(im.opts.DunningLevels), levelNames(im.opts.DunningLevels)))
			return
		}
		d.level = n
	}
	if d.written == "" {
		if lv := im.levelOf(d.level); lv != nil && !lv.HasOffset {
			field := "last_dunning_date"
			if c.date < 0 {
				field = "dunning_level"
			}
			value := textAt(vals, c.date)
			if c.date < 0 {
				value = d.text
			}
			p.fail(field, value, fmt.Sprintf("dunning level %d (%s) has no date, and the scenario has no step of type %s to take its day from: map the ERP's date with --columns invoices.last_dunning_date=<header>", d.level, lv.Type, lv.Type))
		}
		return
	}
	if d.level == 0 {
		d.orphan = true
		return
	}
	t, err := c.format.Parse(d.written)
	if err != nil {
		p.failErr("last_dunning_date", d.written, err)
		return
	}
	if err := datasets.CheckHappened(t, p.latest); err != nil {
		p.errs = append(p.errs, fieldError{field: "last_dunning_date", value: d.written, reason: p.asWritten(err.Error(), t, d.written), kind: "a date in the future"})
		return
	}
	if v.IssueDate != 0 && t < v.IssueDate {
		p.errs = append(p.errs, fieldError{field: "last_dunning_date", value: d.written, kind: "last_dunning_date is before another date",
			reason: "last_dunning_date is before issue_date " + textAt(vals, c.issue)})
		return
	}
	d.date = t
}

// levelOf is level n's mapping, nil for none (0).
func (im *run) levelOf(n int) *DunningLevel {
	if n <= 0 || n > len(im.opts.DunningLevels) {
		return nil
	}
	return &im.opts.DunningLevels[n-1]
}

// dunningAction is the action the accepted row's dunning level (> 0)
// loads as; assumed says its date was not in the file (readDunning has
// rejected such a row whose level has no step to date it by).
func (im *run) dunningAction(d *dunningRow, v *datasets.Invoice) (a datasets.Action, assumed bool) {
	lv := im.levelOf(d.level)
	date := d.date
	if date == 0 {
		date, assumed = v.DueDate.AddDays(lv.Offset), true
		if v.SettledDate != 0 && v.SettledDate < date {
			date = v.SettledDate
		}
		// Never later than yesterday (UTC): the ERP dunned the invoice
		// before it exported the file, and an action dated today or later
		// is one a worklist as of today cannot see (it knows the days
		// before its own), so it would send the step again. LatestDay (the
		// day that has begun somewhere, UTC+14) was tomorrow from 10:00 UTC.
		date = min(date, im.opts.LatestDay, datasets.DateOf(im.opts.Now().UTC()).AddDays(-1))
		date = max(date, v.IssueDate)
	}
	return datasets.Action{ID: fmt.Sprintf("%s-dunning-%d-%s", PolicyERPDunning, d.level, v.ID), CustomerID: v.CustomerID, InvoiceID: v.ID,
		Date: date, Type: lv.Type, Channel: lv.Channel, Policy: PolicyERPDunning}, assumed
}

// dunningColumns finds an invoices file's dunning columns. A dunning
// level column needs the levels' mapping (the command line always gives
// one); a date column without a level column is warned of, once the file
// is read, as each of its dates would be.
func (im *run) dunningColumns(in input, pos map[string]int, dates DateParser) (dunningCols, error) {
	c := dunningCols{level: -1, date: -1, issue: -1, format: dates}
	if in.entity != datasets.EntityInvoices {
		return c, nil
	}
	if at, ok := pos["dunning_level"]; ok {
		if len(im.opts.DunningLevels) == 0 {
			return c, fmt.Errorf("the file has dunning levels (the column %q) but no mapping of levels to action types was given (--dunning-levels TYPE,TYPE,...)", im.header(in.entity, "dunning_level"))
		}
		c.level = at
	}
	if at, ok := pos["last_dunning_date"]; ok {
		if c.level < 0 {
			return c, fmt.Errorf("the file has dunning dates (the column %q) but no dunning level: map the level too with --columns invoices.dunning_level=<header>", im.header(in.entity, "last_dunning_date"))
		}
		c.date = at
	}
	if at, ok := pos["issue_date"]; ok {
		c.issue = at
	}
	return c, nil
}

// loadDunning adds the action of an accepted row's dunning level to the
// batch and counts it, or warns of what of its dunning is not read.
func (im *run) loadDunning(fr *fileRun, c dunningCols, batch *datasets.Ledger, line int, vals []string, credit bool, d *dunningRow) {
	path := fr.sum.Path
	switch {
	case credit:
		if text := textAt(vals, c.level); text != "" && text != "0" {
			fr.warn(warnDunningCredit, fmt.Sprintf("%s:%d dunning_level %q", path, line, clip(text, 20)))
		}
		return
	case d.orphan:
		fr.warn(warnDunningNoLevel, fmt.Sprintf("%s:%d last_dunning_date %q", path, line, clip(d.written, 40)))
		return
	case d.level == 0:
		return
	}
	v := &batch.Invoices[len(batch.Invoices)-1]
	a, assumed := im.dunningAction(d, v)
	fr.sum.DunningActions++
	if assumed {
		// Dated once the file is read (assumedDunning).
		fr.assumed = append(fr.assumed, assumedAction{a: a, line: line, level: d.text, due: v.DueDate})
		return
	}
	batch.Actions = append(batch.Actions, a)
	fr.note(noteDunning, fmt.Sprintf("%s:%d invoice_id %q dunning_level %q: %s on %s", path, line, clip(v.ID, 80), clip(d.text, 20), a.Type, c.format.Write(a.Date)))
}

// assumedAction is a dunning level's action whose date is assumed, held
// until the file is read.
type assumedAction struct {
	a     datasets.Action
	line  int
	level string
	due   datasets.Date
}

// assumedDunning returns the actions of the file's dunning levels without
// a date, each dated as assumed, or as the store already has it when
// earlier: the assumption's cap is yesterday, which moves, and importing
// the same file again on a later day moved the dates it had assumed. The
// stored action of the same id (the same invoice and level) keeps its
// date, so a re-import changes nothing; an earlier settlement still
// moves it earlier. Only the file's invoices are read from the store.
func (im *run) assumedDunning(ctx context.Context, fr *fileRun, c dunningCols) ([]datasets.Action, error) {
	if len(fr.assumed) == 0 {
		return nil, nil
	}
	ids := make([]string, 0, len(fr.assumed))
	for i := range fr.assumed {
		ids = append(ids, fr.assumed[i].a.InvoiceID)
	}
	slices.Sort(ids)
	stored, err := im.storedRecords(ctx, slices.Compact(ids))
	if err != nil {
		return nil, fmt.Errorf("read the stored dunning of the file's invoices: %w", err)
	}
	before := map[string]datasets.Date{}
	if stored != nil {
		for _, a := range stored.Actions {
			if a.Policy == PolicyERPDunning && a.Date != 0 {
				before[a.ID] = a.Date
			}
		}
	}
	out := make([]datasets.Action, 0, len(fr.assumed))
	path := fr.sum.Path
	for _, x := range fr.assumed {
		a := x.a
		if d, ok := before[a.ID]; ok && d < a.Date {
			a.Date = d
		}
		out = append(out, a)
		fr.note(noteDunning, fmt.Sprintf("%s:%d invoice_id %q dunning_level %q: %s on %s", path, x.line, clip(a.InvoiceID, 80), clip(x.level, 20), a.Type, c.format.Write(a.Date)))
		fr.warn(warnDunningAssumed, fmt.Sprintf("%s:%d dunning_level %q: %s assumed on %s (due %s)", path, x.line, clip(x.level, 20), a.Type,
			c.format.Write(a.Date), c.format.Write(x.due)))
	}
	fr.assumed = nil
	return out, nil
}
