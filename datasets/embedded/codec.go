package embedded

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/dsopilot/dsopilot/datasets"
)

// Records are stored as a version byte followed by their fields in a fixed
// order: strings as uvarint length plus bytes, integers as zig-zag varints.
// The format is private to this package; bbolt is the storage engine.
const recordVersion = 1

var errShortRecord = errors.New("record truncated")

type encoder struct{ b []byte }

func (e *encoder) str(s string) {
	e.b = binary.AppendUvarint(e.b, uint64(len(s)))
	e.b = append(e.b, s...)
}
func (e *encoder) int(v int64)            { e.b = binary.AppendVarint(e.b, v) }
func (e *encoder) date(d datasets.Date)   { e.int(int64(d)) }
func (e *encoder) money(m datasets.Money) { e.int(int64(m)) }
func (e *encoder) bool(v bool) {
	if v {
		e.b = append(e.b, 1)
	} else {
		e.b = append(e.b, 0)
	}
}
func (e *encoder) terms(t datasets.Terms) {
	e.int(int64(t.Days))
	e.bool(t.EOM)
}

type decoder struct {
	b   []byte
	err error
}

func newDecoder(b []byte) *decoder {
	d := &decoder{b: b}
	if len(b) == 0 || b[0] != recordVersion {
		d.err = fmt.Errorf("unknown record version")
		return d
	}
	d.b = b[1:]
	return d
}

func (d *decoder) str() string {
	if d.err != nil {
		return ""
	}
	n, k := binary.Uvarint(d.b)
	if k <= 0 || uint64(len(d.b)-k) < n {
		d.err = errShortRecord
		return ""
	}
	s := string(d.b[k : k+int(n)])
	d.b = d.b[k+int(n):]
	return s
}

func (d *decoder) int() int64 {
	if d.err != nil {
		return 0
	}
	v, k := binary.Varint(d.b)
	if k <= 0 {
		d.err = errShortRecord
		return 0
	}
	d.b = d.b[k:]
	return v
}

func (d *decoder) date() datasets.Date   { return datasets.Date(d.int()) }
func (d *decoder) money() datasets.Money { return datasets.Money(d.int()) }
func (d *decoder) bool() bool {
	if d.err != nil {
		return false
	}
	if len(d.b) == 0 {
		d.err = errShortRecord
		return false
	}
	v := d.b[0] == 1
	d.b = d.b[1:]
	return v
}
func (d *decoder) terms() datasets.Terms {
	days := d.int()
	return datasets.Terms{Days: int(days), EOM: d.bool()}
}

func start(buf []byte) *encoder { return &encoder{b: append(buf[:0], recordVersion)} }

func encodeCustomer(buf []byte, c *datasets.Customer) []byte {
	e := start(buf)
	e.str(c.ID)
	e.str(c.Name)
	e.str(c.Segment)
	e.str(c.Country)
	e.str(c.Currency)
	e.money(c.CreditLimit)
	e.terms(c.Terms)
	e.str(c.Channel)
	e.date(c.Since)
	return e.b
}

func decodeCustomer(b []byte) (c datasets.Customer, err error) {
	d := newDecoder(b)
	c = datasets.Customer{ID: d.str(), Name: d.str(), Segment: d.str(), Country: d.str(), Currency: d.str(),
		CreditLimit: d.money(), Terms: d.terms(), Channel: d.str(), Since: d.date()}
	return c, d.err
}

func encodeInvoice(buf []byte, v *datasets.Invoice) []byte {
	e := start(buf)
	e.str(v.ID)
	e.str(v.CustomerID)
	e.date(v.IssueDate)
	e.date(v.DueDate)
	e.money(v.Amount)
	e.str(v.Currency)
	e.date(v.SettledDate)
	e.bool(v.Disputed)
	e.str(v.Country)
	e.str(v.Segment)
	e.str(v.Channel)
	return e.b
}

func decodeInvoice(b []byte) (v datasets.Invoice, err error) {
	d := newDecoder(b)
	v = datasets.Invoice{ID: d.str(), CustomerID: d.str(), IssueDate: d.date(), DueDate: d.date(), Amount: d.money(),
		Currency: d.str(), SettledDate: d.date(), Disputed: d.bool(), Country: d.str(), Segment: d.str(), Channel: d.str()}
	return v, d.err
}

func encodePayment(buf []byte, p *datasets.Payment) []byte {
	e := start(buf)
	e.str(p.ID)
	e.str(p.CustomerID)
	e.str(p.InvoiceID)
	e.date(p.Date)
	e.money(p.Amount)
	e.str(p.Currency)
	return e.b
}

func decodePayment(b []byte) (p datasets.Payment, err error) {
	d := newDecoder(b)
	p = datasets.Payment{ID: d.str(), CustomerID: d.str(), InvoiceID: d.str(), Date: d.date(), Amount: d.money(), Currency: d.str()}
	return p, d.err
}

func encodeCreditNote(buf []byte, n *datasets.CreditNote) []byte {
	e := start(buf)
	e.str(n.ID)
	e.str(n.CustomerID)
	e.str(n.InvoiceID)
	e.date(n.Date)
	e.money(n.Amount)
	e.str(n.Kind)
	e.str(n.Reason)
	return e.b
}

func decodeCreditNote(b []byte) (n datasets.CreditNote, err error) {
	d := newDecoder(b)
	n = datasets.CreditNote{ID: d.str(), CustomerID: d.str(), InvoiceID: d.str(), Date: d.date(), Amount: d.money(), Kind: d.str(), Reason: d.str()}
	return n, d.err
}

func encodeDispute(buf []byte, x *datasets.Dispute) []byte {
	e := start(buf)
	e.str(x.ID)
	e.str(x.CustomerID)
	e.str(x.InvoiceID)
	e.date(x.Opened)
	e.date(x.Resolved)
	e.str(x.Reason)
	e.money(x.Amount)
	e.str(x.Outcome)
	return e.b
}

func decodeDispute(b []byte) (x datasets.Dispute, err error) {
	d := newDecoder(b)
	x = datasets.Dispute{ID: d.str(), CustomerID: d.str(), InvoiceID: d.str(), Opened: d.date(), Resolved: d.date(),
		Reason: d.str(), Amount: d.money(), Outcome: d.str()}
	return x, d.err
}

func encodeAction(buf []byte, a *datasets.Action) []byte {
	e := start(buf)
	e.str(a.ID)
	e.str(a.CustomerID)
	e.str(a.InvoiceID)
	e.date(a.Date)
	e.str(a.Type)
	e.str(a.Channel)
	e.str(a.Outcome)
	return e.b
}

func decodeAction(b []byte) (a datasets.Action, err error) {
	d := newDecoder(b)
	a = datasets.Action{ID: d.str(), CustomerID: d.str(), InvoiceID: d.str(), Date: d.date(), Type: d.str(), Channel: d.str(), Outcome: d.str()}
	return a, d.err
}

func encodePromise(buf []byte, p *datasets.Promise) []byte {
	e := start(buf)
	e.str(p.ID)
	e.str(p.CustomerID)
	e.str(p.InvoiceID)
	e.date(p.Made)
	e.date(p.PromisedDate)
	e.money(p.Amount)
	e.str(p.Status)
	return e.b
}

func decodePromise(b []byte) (p datasets.Promise, err error) {
	d := newDecoder(b)
	p = datasets.Promise{ID: d.str(), CustomerID: d.str(), InvoiceID: d.str(), Made: d.date(), PromisedDate: d.date(), Amount: d.money(), Status: d.str()}
	return p, d.err
}

func encodeCreditDecision(buf []byte, x *datasets.CreditDecision) []byte {
	e := start(buf)
	e.str(x.ID)
	e.str(x.CustomerID)
	e.date(x.Date)
	e.money(x.OldLimit)
	e.money(x.NewLimit)
	e.str(x.Reason)
	e.str(x.DecidedBy)
	return e.b
}

func decodeCreditDecision(b []byte) (x datasets.CreditDecision, err error) {
	d := newDecoder(b)
	x = datasets.CreditDecision{ID: d.str(), CustomerID: d.str(), Date: d.date(), OldLimit: d.money(), NewLimit: d.money(), Reason: d.str(), DecidedBy: d.str()}
	return x, d.err
}
