package forecast

import (
	"maps"
	"math"
	"slices"

	"github.com/dsopilot/dsopilot/datasets"
)

// Customers that have gone quiet. The timing record forecasts an open
// invoice by how the customer paid in the year before, conditioned on how
// long the invoice has already waited; the pay-date model levels it. Both
// read a customer that has stopped paying as a slow payer that will come
// round: on the stop-36 trial the four customers that had stopped paying
// were expected to bring 41,000 within the 13 weeks and brought nothing.
// What a forecast from the record cannot see is the customer's silence:
// how long it has paid nothing at all while owing overdue money.
//
// So the forecast learns, from the ledger's own past, how much of what the
// timing record expected such customers actually paid: at past origins
// every silenceStep days over the year whose 13-week outcome is known at
// the as-of date, each customer with an overdue open invoice is placed in
// a cell by its days of silence (silenceFrom), and the cell's factor is
// what its customers received within the horizon over what the record
// expected, each customer counted once (its origins averaged) and one
// more customer that paid as expected added (a rule of succession: one
// silent customer that never paid again gives 0.5, not 0). The factors
// are made non-increasing in silence (pooling adjacent cells that say
// otherwise) and never above 1: silence is not read as a reason to expect
// more than the record does.
//
// A customer in a cell with factor f < 1 keeps its curves, but in each
// simulated path it pays at all with probability f (one draw for all its
// invoices: a customer that has stopped pays none of them), so that the
// expected receipts are f times the record's and the paths hold both
// outcomes; a promise to pay is still kept at the customer's rate.

// silenceFrom are the lower bounds, in days since the customer's last
// payment, of the silence cells; the last cell is open-ended. 60 days is
// the scorer's stopped-paying rule (model/default90_stopped.go); 30 catches
// a customer drifting towards it, 120 one that stopped long ago.
var silenceFrom = [...]int32{30, 60, 120}

// The past origins the factors are learned at: every silenceStep days, at
// most silenceOrigins of them (a year), each needing replayHistory days of
// history before it and its whole horizon known at the as-of date.
const (
	silenceStep    = 14
	silenceOrigins = 26
)

// SilenceCell is one cell of customers by days of silence and what they
// were found to pay of what their timing record expected.
type SilenceCell struct {
	// FromDays and ToDays bound the days since the customer's last
	// payment (ToDays 0: no upper bound).
	FromDays int `json:"from_days"`
	ToDays   int `json:"to_days,omitempty"`
	// Customers is how many customers the factor was learned from.
	Customers int `json:"customers"`
	// Factor is the share of the record's expected receipts within the
	// horizon the forecast keeps for such customers.
	Factor float64 `json:"factor"`
	// Raw is the cell's own factor, before pooling and the cap at 1;
	// Expected and Received are what it rests on, each customer's
	// averaged over its origins (the added customer included in
	// Expected), rounded to cents for the report.
	Raw         float64 `json:"raw_factor"`
	Expected    Money   `json:"expected"`
	Received    Money   `json:"received"`
	raw, weight float64
}

// Silence is what the forecast learned of silent customers.
type Silence struct {
	Cells []SilenceCell `json:"cells"`
	// Origins is the number of past origins the cells were learned at.
	Origins int `json:"origins"`
}

// factor returns the factor of silence days s (1 outside every cell).
func (s *Silence) factor(days int32) float64 {
	c := silenceCell(days)
	if s == nil || c < 0 || c >= len(s.Cells) {
		return 1
	}
	return s.Cells[c].Factor
}

// silenceCell is the cell of days of silence s, -1 for none (s below the
// first bound, or -1: no overdue invoice).
func silenceCell(s int32) int {
	c := -1
	for i, from := range silenceFrom {
		if s >= from {
			c = i
		}
	}
	return c
}

// silence returns the days since customer ci last paid anything, as known
// at the end of day t, when it then owed money on an invoice past its due
// date; -1 otherwise. A customer that never paid counts from its first
// invoice. Cash is a linked payment, or a settlement (not a write-off)
// that cleared more than its payments and credit notes (a cleared-items
// export's receipts).
func (h *History) silence(ci int, t datasets.Date) int32 {
	var first, last datasets.Date
	overdue := false
	for _, i := range h.cust[ci].inv {
		v := &h.inv[i]
		if v.IssueDate > t {
			break
		}
		if first == 0 {
			first = v.IssueDate
		}
		for _, p := range v.pays {
			if p.date > t {
				break
			}
			last = max(last, p.date)
		}
		if s := v.SettledDate; s != 0 && s <= t && s > last && !v.writeOff && v.clearedCash(s) {
			last = s
		}
		if !overdue && v.DueDate < t && v.outstanding(t) > 0 {
			overdue = true
		}
	}
	if !overdue {
		return -1
	}
	if last == 0 {
		last = first
	}
	return int32(t - last)
}

// clearedCash reports whether the settlement of v on day s cleared money
// its payments and credit notes by then do not explain (receipts counts it
// as cash received).
func (v *invoice) clearedCash(s datasets.Date) bool {
	left := v.Amount
	for _, p := range v.pays {
		if p.date <= s {
			left -= p.amount
		}
	}
	for _, n := range v.credits {
		if n.date <= s {
			left -= n.amount
		}
	}
	return left > 0
}

// learnSilence learns the silence factors known at the end of day t for a
// horizon of weeks weeks, from the customers the shock replays sample (n
// at most, as estimateShocks): a forecast in parts learns them from the
// same customers as a forecast of the whole ledger.
func (h *History) learnSilence(t datasets.Date, weeks, n int) *Silence {
	sample := h.sampleCustomers(n)
	type acc struct {
		e, a float64
		n    int
	}
	per := make([]map[int]*acc, len(silenceFrom))
	for c := range per {
		per[c] = map[int]*acc{}
	}
	q := make([]float64, weeks)
	act := make([]datasets.Money, weeks)
	var v view
	out := &Silence{}
	for j := range silenceOrigins {
		o := t.AddDays(-7*weeks - silenceStep*j)
		if h.first == 0 || o-h.first < replayHistory {
			break
		}
		out.Origins++
		book := h.book(o, h.measure(o, sample), sample)
		var tm *Timing // laid out only when some customer is silent
		for lo := 0; lo < len(book); {
			hi := lo + 1
			for hi < len(book) && book[hi].CustomerID == book[lo].CustomerID {
				hi++
			}
			ci := int(book[lo].cust)
			cell := silenceCell(h.silence(ci, o))
			if cell < 0 {
				lo = hi
				continue
			}
			if tm == nil {
				tm = h.timing(o, sample)
			}
			tm.customerView(&v, book, lo, weeks)
			var e float64
			var a datasets.Money // received: exact cents
			for i := lo; i < hi; i++ {
				it := &book[i]
				x := float64(it.Expected())
				if x <= 0 {
					continue
				}
				v.weekly(int32(o-it.DueDate), q)
				var p float64
				for _, w := range q {
					p += w
				}
				e += x * p
				clear(act)
				h.inv[it.pos].receipts(o, act)
				for _, m := range act {
					a += m
				}
			}
			c := per[cell][ci]
			if c == nil {
				c = &acc{}
				per[cell][ci] = c
			}
			c.e, c.a, c.n = c.e+e, c.a+float64(a), c.n+1
			lo = hi
		}
	}
	out.Cells = make([]SilenceCell, len(silenceFrom))
	for c, from := range silenceFrom {
		cell := SilenceCell{FromDays: int(from), Factor: 1, raw: 1}
		if c+1 < len(silenceFrom) {
			cell.ToDays = int(silenceFrom[c+1])
		}
		// Summed in customer order: a map's order would move the last
		// digits from run to run.
		var se, sa float64
		for _, ci := range slices.Sorted(maps.Keys(per[c])) {
			x := per[c][ci]
			se += x.e / float64(x.n)
			sa += x.a / float64(x.n)
		}
		if k := len(per[c]); k > 0 && se > 0 {
			// One more customer, of the cell's mean expected amount, that
			// paid what was expected.
			bar := se / float64(k)
			cell.raw = (sa + bar) / (se + bar)
			cell.weight = se + bar
			cell.Customers = k
			cell.Raw, cell.Expected, cell.Received = cell.raw, Money(roundHalfAway(cell.weight)), Money(roundHalfAway(sa))
		}
		out.Cells[c] = cell
	}
	poolDecreasing(out.Cells)
	return out
}

// poolDecreasing sets the cells' factors to the non-increasing sequence
// closest to their raw factors, weighted by what each rests on (pooling
// adjacent violators), capped at 1. A cell without customers takes the
// factor of the cell before it (1 for the first).
func poolDecreasing(cells []SilenceCell) {
	type block struct {
		w, s  float64 // weight and weighted sum of raw factors
		cells []int
	}
	var bs []block
	for i, c := range cells {
		if c.weight <= 0 {
			continue
		}
		bs = append(bs, block{w: c.weight, s: c.weight * c.raw, cells: []int{i}})
		for len(bs) > 1 {
			l, r := bs[len(bs)-2], bs[len(bs)-1]
			if l.s/l.w >= r.s/r.w {
				break
			}
			bs = bs[:len(bs)-2]
			bs = append(bs, block{w: l.w + r.w, s: l.s + r.s, cells: append(l.cells, r.cells...)})
		}
	}
	for i := range cells {
		cells[i].Factor = 0 // set below
	}
	for _, b := range bs {
		for _, i := range b.cells {
			cells[i].Factor = math.Min(b.s/b.w, 1)
		}
	}
	prev := 1.0
	for i := range cells {
		if cells[i].weight <= 0 {
			cells[i].Factor = prev
		}
		prev = cells[i].Factor
	}
}

// applySilence keeps, of each open item of a customer in a silence cell
// with factor f < 1, f of its weekly probabilities and expected receipts
// (an open promise aside: it is kept at the customer's rate still), and
// records f as the chance the customer pays at all in a path.
func (in *Inputs) applySilence(s *Silence) {
	in.quiet = s
	W := in.Weeks
	for i := range in.Book {
		f := s.factor(in.silence[i])
		if f >= 1 {
			continue
		}
		if in.live == nil {
			in.live = make([]float64, len(in.Book))
			for j := range in.live {
				in.live[j] = 1
			}
		}
		in.live[i] = f
		q := in.Q[i*W : (i+1)*W]
		for k := range q {
			q[k] *= f
		}
		in.Book[i].expectedWeeks(in.AsOf, q, in.Mean[i*W:(i+1)*W])
	}
}

// silentSummary counts the customers whose items applySilence discounted
// and the expected receipts over the first R weeks it took off them.
func (in *Inputs) silentSummary(R int) (customers int, held float64) {
	if in.live == nil {
		return 0, 0
	}
	W := in.Weeks
	for i := range in.Book {
		f := in.live[i]
		if f >= 1 {
			continue
		}
		if i == 0 || in.live[i-1] >= 1 || in.Book[i-1].CustomerID != in.Book[i].CustomerID {
			customers++
		}
		// Mean holds the promise's kept part undiscounted: what was
		// taken off is (1/f − 1) of the rest.
		p, w := in.Book[i].promise(in.AsOf, W)
		for k, m := range in.Mean[i*W : i*W+R] {
			if k == w {
				m -= in.Book[i].KeptRate * p
			}
			if f > 0 {
				held += m * (1/f - 1)
			}
		}
	}
	return customers, held
}
