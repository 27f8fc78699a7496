package api

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
)

// snapshot is the ledger as the API serves it, with everything a request
// should not recompute: the open book scored as of asOf with the model in
// service, and each customer's records. A snapshot never changes; the
// server builds a new one after ingest, a model promotion, a new day or a
// reload, and swaps it in atomically, so a request sees one consistent
// state from start to end and no request waits for a rebuild.
type snapshot struct {
	gen uint64
	// span is the days the ledger has records of (dated queries far
	// outside it are refused or warned of: span.go).
	span ledgerSpan
	// applied is how many acknowledged batches (Server.queued) it holds.
	applied uint64
	asOf    datasets.Date
	built   time.Time
	// ledger is the ledger in its own currencies, sorted by id.
	ledger *datasets.Ledger
	// settled is ledger with the write-offs its settlements imply
	// (datasets.ImpliedWriteOffs: settled is not paid), for the parts that
	// read credit notes themselves (forecast, credit, collections,
	// reports); the KPI and feature indexes imply them on their own. It is
	// ledger itself when nothing is implied, or when the implied notes
	// cannot be summed (settleErr; the KPIs then fail with it too). Ingest
	// merges into ledger, never into settled, so that a credit note that
	// arrives later replaces the implied one instead of adding to it.
	settled   *datasets.Ledger
	settleErr error
	cust      map[string]*customerRecords
	// model is nil when no model is in service; scoreErr says why scores
	// are missing.
	model    *servedModel
	scoreErr error
	// scoreIx indexes the ledger converted to the model's currency.
	scoreIx    *features.Index
	scores     []Score
	byInvoice  map[string]int32
	byCustomer map[string][]int32
	// fx is the server's reporting-currency conversion for KPIs (may be nil).
	fx *datasets.FX
	// unrated are the ledger's currencies fx has no rate for (none
	// without fx): /readyz and the log warn of them.
	unrated []string
	// kpi holds the KPI indexes built on first use, per currency ("" for
	// amounts as recorded).
	kpiMu sync.Mutex
	kpi   map[string]*features.Index
}

// errNoModelInService is why a snapshot without a model does not score.
var errNoModelInService = fmt.Errorf("%w: no model is in service (train one and promote it: dsopilot train, dsopilot models promote)", ErrUnavailable)

// buildSnapshot scores l's open book as of asOf with m (nil: no model).
func buildSnapshot(ctx context.Context, gen uint64, l *datasets.Ledger, m *servedModel, asOf datasets.Date, maxReasons int, fx *datasets.FX) *snapshot {
	s := &snapshot{gen: gen, asOf: asOf, ledger: l, span: spanOf(l), cust: indexCustomers(l), model: m, fx: fx, kpi: map[string]*features.Index{},
		byInvoice: map[string]int32{}, byCustomer: map[string][]int32{}}
	defer func() { s.built = time.Now() }()
	if fx != nil {
		for _, c := range l.Currencies() {
			if _, ok := fx.Rate(c); !ok {
				s.unrated = append(s.unrated, c)
			}
		}
	}
	if s.settled, _, s.settleErr = l.WithImpliedWriteOffs(len(l.Payments) > 0); s.settleErr != nil {
		s.settled = l
	}
	if m == nil {
		s.scoreErr = errNoModelInService
		return s
	}
	conv, err := m.convert(l)
	if err != nil {
		s.scoreErr = fmt.Errorf("%w: %v", ErrUnavailable, err)
		return s
	}
	s.scoreIx = features.NewIndex(conv)
	// The KPIs are at the server's rates (--fx), never the model's: the
	// model's index serves them only when the two convert alike (a model
	// learned in EUR at other rates, or with a rate the server lacks, gave
	// the KPIs at its own rates, not those the server was given).
	switch mfx := m.fx(); {
	case mfx == nil:
		s.kpi[""] = s.scoreIx
	case fx != nil && fx.To == mfx.To && maps.Equal(fx.Rates, mfx.Rates):
		s.kpi[fx.To] = s.scoreIx
	}
	if ctx.Err() != nil {
		s.scoreErr = ctx.Err()
		return s
	}
	scores, err := m.scoreOpen(s.scoreIx, asOf, maxReasons, nil)
	if err != nil {
		s.scoreErr = err
		return s
	}
	s.scores = scores
	for i := range scores {
		s.byInvoice[scores[i].InvoiceID] = int32(i)
		c := scores[i].CustomerID
		s.byCustomer[c] = append(s.byCustomer[c], int32(i))
	}
	return s
}

// ratesWarning says which of the ledger's currencies the server's rates
// lack and what that stops; "" when none.
func (s *snapshot) ratesWarning() string {
	if len(s.unrated) == 0 {
		return ""
	}
	list := strings.Join(s.unrated, ", ")
	// Say what still answers too: what needs no conversion, the KPIs
	// grouped by currency among them (each in its own: getKPI).
	return fmt.Sprintf("the server's rates to %s (--fx) lack %s, a currency of the ledger: the answers that convert its amounts to %s "+
		"(the KPIs, the worklist and next action, the credit advice, the report pages) are 503 missing-rate, "+
		"the forecast leaves them out and names them (503 when they are most of its open book), "+
		"while the scores, the customers with their KPIs in their own currencies, and the KPIs grouped by currency (by=currency, each currency in its own, unconverted) still answer; "+
		"restart dsopilot serve with --currency %s --fx FILE holding a rate for %s", s.fx.To, list, s.fx.To, s.fx.To, list)
}

// modelID is the id of the model in service, "" for none.
func (s *snapshot) modelID() string {
	if s.model == nil {
		return ""
	}
	return s.model.meta.ID
}

// modelFX is the in-service model's conversion, nil when there is no
// model or it learned from amounts as recorded.
func (s *snapshot) modelFX() *datasets.FX {
	if s.model == nil {
		return nil
	}
	return s.model.fx()
}

// scoring reports whether the snapshot can score, and why not.
func (s *snapshot) scoring() error { return s.scoreErr }

// draftLedger gathers the records of customers from the snapshot plus the
// given invoices (which replace stored ones of the same id), ready to be
// indexed on their own. Features of a customer depend only on that
// customer's records and on whether the ledger knows disputes at all (with
// no dispute records the invoices' disputed flags stand in), so a phantom
// dispute of no customer keeps that choice the same as the whole ledger's;
// likewise a phantom payment of nothing for whether it knows payments
// (features.LedgerFacts: settlements imply write-offs, and the KPIs'
// collected counts payments, only then).
func (s *snapshot) draftLedger(customers []string, given []datasets.Invoice, disputes []datasets.Dispute) *datasets.Ledger {
	recs := make([]*customerRecords, 0, len(customers))
	for _, c := range customers {
		recs = append(recs, s.cust[c])
	}
	mini := customerLedger(s.ledger, recs...)
	if len(given) > 0 {
		ids := make(map[string]bool, len(given))
		for i := range given {
			ids[given[i].ID] = true
		}
		mini.Invoices = slices.DeleteFunc(mini.Invoices, func(v datasets.Invoice) bool { return ids[v.ID] })
		mini.Invoices = append(mini.Invoices, given...)
	}
	mini.Disputes = append(mini.Disputes, disputes...)
	if len(s.ledger.Disputes) > 0 && len(mini.Disputes) == 0 {
		mini.Disputes = append(mini.Disputes, datasets.Dispute{ID: "\x00phantom", CustomerID: "\x00phantom", InvoiceID: "\x00phantom", Opened: datasets.MinDate, Resolved: datasets.MinDate})
	}
	if len(s.ledger.Payments) > 0 && len(mini.Payments) == 0 {
		mini.Payments = append(mini.Payments, datasets.Payment{ID: "\x00phantom", CustomerID: "\x00phantom", Date: datasets.MinDate})
	}
	return mini
}

// scoreCustomers scores, as of t, the open invoices of customers in
// the snapshot's ledger plus given (kept only when keep says so; nil keeps
// all), outside the snapshot's precomputed book.
func (s *snapshot) scoreCustomers(t datasets.Date, reasons int, customers []string, given []datasets.Invoice, disputes []datasets.Dispute, keep func(string) bool) ([]Score, error) {
	if err := s.scoring(); err != nil {
		return nil, err
	}
	conv, err := s.model.convert(s.draftLedger(customers, given, disputes))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	ix := features.NewIndex(conv)
	return s.model.scoreOpen(ix, t, reasons, keep, customers...)
}

// kpiIndex returns the index KPIs in currency are computed on ("" for
// amounts as recorded), the currency label and the currencies summed
// unconverted.
func (s *snapshot) kpiIndex(currency string) (*features.Index, string, []string, error) {
	have := s.ledger.Currencies()
	var fx *datasets.FX
	switch {
	case currency == "":
	case s.fx != nil && s.fx.To == currency:
		fx = s.fx
	case len(have) == 0 || len(have) == 1 && have[0] == currency:
		// Already in that currency: nothing to convert.
	default:
		return nil, "", nil, invalid("no exchange rates to "+currency,
			fieldAt("query:currency", "the server has no rates to "+currency+" (start it with --currency "+currency+" --fx FILE)"))
	}
	s.kpiMu.Lock()
	defer s.kpiMu.Unlock()
	key := currency
	if fx == nil {
		key = ""
	}
	if ix, ok := s.kpi[key]; ok {
		return ix, currency, mixed(currency, have), nil
	}
	l := s.ledger
	if fx != nil {
		conv, err := l.Convert(*fx)
		if err != nil {
			// The ledger's amounts and the server's rates, not the
			// query, are at fault (the currency may be the server's
			// default): a missing rate is the server's to mend.
			if nr := asNoRate(err); nr != nil {
				return nil, "", nil, fmt.Errorf("cannot convert the ledger to %s: %w", currency, nr)
			}
			return nil, "", nil, fmt.Errorf("%w: cannot convert the ledger to %s: %v", ErrInvalid, currency, err)
		}
		l = conv
	}
	ix := features.NewIndex(l)
	s.kpi[key] = ix
	return ix, currency, mixed(currency, have), nil
}

// mixed lists the currencies summed unconverted (none when converted).
func mixed(currency string, have []string) []string {
	if currency != "" || len(have) < 2 {
		return nil
	}
	return have
}
