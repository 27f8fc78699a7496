package reports

import (
	"fmt"

	"github.com/dsopilot/dsopilot/datasets"
)

// customerPage is one customer: its figures, its invoices on a timeline and
// one by one, its scores, promises, disputes, credit and actions.
func (s *Site) customerPage(c *customer) *page {
	b := s.b
	p := &page{Path: customerPath(c.ID), Title: "Customer " + c.ID, Notes: b.mixedNote(), nav: pathCustomers}
	if c.Name != "" && c.Name != c.ID {
		p.Title += " · " + c.Name
	}
	p.Crumbs = []link{{Text: "Portfolio", Href: p.href(pathIndex)}}
	if sl := b.byName[kindSegment][PathName(c.segment)]; sl != nil {
		p.Crumbs = append(p.Crumbs, link{Text: sl.label(), Href: p.href(slicePath(sl.Slice))})
	}
	p.Crumbs = append(p.Crumbs, link{Text: c.ID})
	limits, blank := c.creditLimits([]datasets.Date{b.asOf})
	facts := []fact{
		{Label: "segment", Value: keyLabel(c.segment), Href: s.sliceHref(p, kindSegment, c.segment)},
		{Label: "country", Value: keyLabel(c.country), Href: s.sliceHref(p, kindCountry, c.country)},
		{Label: "currency", Value: keyLabel(c.Currency), Href: s.sliceHref(p, kindCurrency, c.Currency)},
		{Label: "payment terms", Value: c.terms()},
		{Label: "credit limit", Value: fmtMoney(limits[0]) + " " + b.unit()},
	}
	switch {
	case blank[0]:
		// A blank in the master is no limit recorded, not 0.00 (no credit).
		facts[len(facts)-1].Value = noneRecorded
	case limits[0] <= 0:
		facts[len(facts)-1].Value += " (no credit)"
	}
	if c.Collector != "" {
		facts = append(facts, fact{Label: "collector", Value: c.Collector})
	}
	if c.Channel != "" {
		facts = append(facts, fact{Label: "channel", Value: c.Channel})
	}
	if c.Since != 0 {
		facts = append(facts, fact{Label: "customer since", Value: c.Since.String()})
	}
	p.add(section{Blocks: []block{{Facts: facts}, {Tiles: s.customerTiles(p, c, limits[0], blank[0])}}})
	var cs []*chart
	if len(c.invoices) > 0 {
		cs = append(cs, s.timeline(p, c), s.daysLate(p, c))
	}
	cs = append(cs, s.exposure(p, c))
	if c.open != nil && b.scores > 0 {
		cs = append(cs, s.scoreChart(p, c))
	}
	p.add(section{ID: "charts", Title: "Payment behaviour", Blocks: []block{{Charts: cs}}})
	p.add(s.nextActionSection(c))
	p.add(s.creditSection(p, c))
	p.add(s.scoreSection(p, c))
	p.add(s.invoiceSection(p, c))
	p.add(s.promiseSection(p, c))
	p.add(s.customerDisputes(p, c))
	p.add(s.actionSection(p, c))
	return p
}

// sliceHref links to a slice's page when it exists.
func (s *Site) sliceHref(p *page, kind, key string) string {
	if sl := s.b.byName[kind][PathName(key)]; sl != nil {
		return p.href(slicePath(sl.Slice))
	}
	return ""
}

// terms are the customer's payment terms: its master's, or, when the
// master has none (customers derived from a cleared-items export), its
// invoices', said to be theirs, as the credit workflow sizes its need on
// them; NET0 would say it pays cash.
func (c *customer) terms() string {
	if c.Terms != (datasets.Terms{}) {
		return c.Terms.String()
	}
	days := make([]int, len(c.invoices))
	for i, v := range c.invoices {
		days[i] = int(v.DueDate - v.IssueDate)
	}
	if t := datasets.TermsOfDays(days); t.N > 0 {
		return t.String()
	}
	return "none in the customer master"
}

// noneRecorded is a blank credit limit in words (no limit recorded): 0.00
// would read as no credit.
const noneRecorded = "none recorded"

func (s *Site) customerTiles(p *page, c *customer, limit datasets.Money, blank bool) []tile {
	b := s.b
	kept, broken, pending := 0, 0, 0
	for _, pr := range c.promises {
		switch pr.Status {
		case datasets.PromiseKept:
			kept++
		case datasets.PromiseBroken:
			broken++
		default:
			pending++
		}
	}
	late := "n/a"
	if c.settled12 > 0 {
		late = fmtFloat(100*float64(c.late12)/float64(c.settled12), 1) + " %"
	}
	// A limit of 0, or none in the master, is no credit, as the credit
	// workflow reads it (all that is owed is over it, and its flags may
	// hold orders), never "no limit".
	util := "limit 0: no credit"
	if c.receivables > 0 {
		util += ", all of it over the limit"
	}
	switch {
	case blank:
		// No limit recorded: nothing is used of it, nothing over it (its
		// debt is flagged no_limit).
		util = "credit limit " + noneRecorded
	case limit > 0:
		util = fmtFloat(100*float64(c.receivables)/float64(limit), 0) + " % of the credit limit"
	}
	open := "#invoice-list"
	if b.scores > 0 {
		open = "#scores"
	}
	tiles := []tile{
		{Label: "Receivables", Value: fmtWhole(c.receivables), Unit: b.unit(), Sub: fmtInt(len(c.open)) + " open invoices · " + util, Href: open},
		{Label: "Overdue", Value: fmtWhole(c.overdue), Unit: b.unit(), Href: open},
		countbackTile(c.now, "#invoice-list"),
		{Label: "Late rate, 12 months", Value: late, Sub: fmt.Sprintf("%s of %s settled late", fmtInt(c.late12), fmtInt(c.settled12)), Href: "#invoice-list"},
		{Label: "Open disputes", Value: fmtInt(len(openDisputes(c.disputes, b.asOf))), Sub: fmtInt(len(c.disputes)) + " in all", Href: "#disputes"},
		{Label: "Promises kept", Value: fmtInt(kept), Sub: fmt.Sprintf("%s broken · %s open", fmtInt(broken), fmtInt(pending)), Href: "#promises"},
	}
	if b.scores > 0 {
		tiles = append(tiles, tile{Label: "Amount at risk", Value: fmtWhole(c.risk), Unit: b.unit(), Sub: "open × P(90+ overdue or written off)", Href: "#scores"})
	}
	return tiles
}
