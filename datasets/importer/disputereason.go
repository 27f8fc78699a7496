package importer

import (
	"slices"
	"strings"

	"github.com/dsopilot/dsopilot/datasets"
)

// Disputes told by a reason code. An ERP's open-items list carries no
// yes/no disputed column: it marks a disputed item with a reason code
// (SAP's RSTGR, Z1 price, Z2 quality...), blank for the others. With the
// column mapped (--columns invoices.dispute_reason=<header>), an invoice
// row whose reason is not blank is flagged disputed, or, with
// --dispute-reasons Z1,Z2 (Options.DisputeReasons), one whose reason is
// one of those (a code that is no dispute, as a payment-difference code,
// is then warned of and not read). A disputed column beside it is read
// too: either flags the invoice.
//
// The flag is what the export says, with no date: as with any
// cleared-items export, it is read as of the ledger's own date
// (features' disputedAt), and no dispute record is made, since a record
// needs the day the dispute opened, which the export does not give (one
// dated by a guess would be read as known from that day). The reasons
// are counted on the summary, by code.

// Texts of the summary.
const (
	noteDisputeReasons   = "invoices flagged disputed by their dispute_reason column (the flag carries no date: read as of the ledger's date), by reason"
	warnReasonNotDispute = "dispute_reason not among --dispute-reasons: the invoice is not flagged disputed"
)

// disputeReason flags invoice v disputed when its reason text says so,
// and returns the reason ("" when it does not).
func (im *run) disputeReason(p *parser, v *datasets.Invoice, text string) string {
	if text == "" {
		return ""
	}
	if len(im.opts.DisputeReasons) > 0 && !slices.ContainsFunc(im.opts.DisputeReasons, func(r string) bool { return strings.EqualFold(strings.TrimSpace(r), text) }) {
		p.warns = append(p.warns, fieldError{field: "dispute_reason", value: text, reason: warnReasonNotDispute, kind: warnReasonNotDispute})
		return ""
	}
	v.Disputed = true
	return text
}

// disputed counts an invoice of the file flagged disputed by reason.
func (fr *fileRun) disputed(reason string) {
	fr.sum.DisputedByReason++
	if fr.reasons == nil {
		fr.reasons = map[string]int{}
	}
	fr.reasons[reason]++
}
