package synth

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/dsopilot/dsopilot/datasets"
)

// Sentinel errors of the simulator.
var (
	// ErrConfig marks an invalid Config.
	ErrConfig = errors.New("invalid simulator config")
	// ErrDecision marks a policy's decision the closed loop refuses: an
	// unknown customer or invoice, two decisions for one customer on one
	// day, or more contacts on a channel than its daily capacity.
	ErrDecision = errors.New("invalid policy decision")
	// ErrEnded is returned by Env.Step after the last day of the period.
	ErrEnded = errors.New("the simulated period has ended")
)

// Config says what to simulate.
type Config struct {
	Customers int           // number of customers, > 0
	Months    int           // length of the period in calendar months, > 0
	Seed      uint64        // same seed, same files
	Start     datasets.Date // first day of the period; zero means DefaultStart
	// Workers is the number of goroutines simulating customers; zero means
	// GOMAXPROCS. The output does not depend on it.
	Workers int
}

// DefaultStart is the first day of the period when Config.Start is zero.
func DefaultStart() datasets.Date { return datasets.NewDate(2023, time.January, 1) }

// Validate reports whether c can be simulated.
func (c Config) Validate() error {
	_, err := c.period()
	return err
}

// period validates c and lays out its calendar.
func (c Config) period() (period, error) {
	if c.Customers <= 0 {
		return period{}, fmt.Errorf("%w: customers must be positive, got %d", ErrConfig, c.Customers)
	}
	if c.Months <= 0 {
		return period{}, fmt.Errorf("%w: months must be positive, got %d", ErrConfig, c.Months)
	}
	if c.Workers < 0 {
		return period{}, fmt.Errorf("%w: workers must not be negative, got %d", ErrConfig, c.Workers)
	}
	start := c.Start
	if start.IsZero() {
		start = DefaultStart()
	}
	if start < datasets.MinDate {
		return period{}, fmt.Errorf("%w: start %d is before 1970-01-02", ErrConfig, start)
	}
	// Keep every simulated date, including write-offs and collection after
	// the end, inside what a Date can hold.
	const maxMonths = 12 * 150
	if c.Months > maxMonths || addMonths(start, c.Months) > datasets.MaxDate-400 {
		return period{}, fmt.Errorf("%w: %d months from %s run past the last storable date", ErrConfig, c.Months, start)
	}
	p := period{start: start, months: make([]datasets.Date, c.Months+1)}
	for i := range p.months {
		p.months[i] = addMonths(start, i)
	}
	p.end = p.months[c.Months]
	p.last = p.end - 1
	return p, nil
}

// period is the simulated calendar: months[i] is the first day of month i,
// months[len-1] == end, the first day after the period.
type period struct {
	start, end, last datasets.Date
	months           []datasets.Date
}

func addMonths(d datasets.Date, n int) datasets.Date {
	return datasets.DateOf(d.Time().AddDate(0, n, 0))
}

// Summary describes a simulated ledger.
type Summary struct {
	Customers int             `json:"customers"`
	Months    int             `json:"months"`
	Seed      uint64          `json:"seed"`
	Start     string          `json:"start"` // first day of the period
	End       string          `json:"end"`   // first day after the period
	Invoices  int             `json:"invoices"`
	Open      int             `json:"open_invoices"` // not settled by the end
	Defaults  int             `json:"defaults"`      // customers that defaulted within the period
	Counts    datasets.Counts `json:"counts"`        // records written, per entity
}

func (s *Summary) add(b *Batch) {
	l := &b.Ledger
	s.Counts.Customers += uint64(len(l.Customers))
	s.Counts.Invoices += uint64(len(l.Invoices))
	s.Counts.Payments += uint64(len(l.Payments))
	s.Counts.CreditNotes += uint64(len(l.CreditNotes))
	s.Counts.Disputes += uint64(len(l.Disputes))
	s.Counts.Actions += uint64(len(l.Actions))
	s.Counts.Promises += uint64(len(l.Promises))
	s.Counts.CreditDecisions += uint64(len(l.CreditDecisions))
	s.Invoices += len(l.Invoices)
	for i := range l.Invoices {
		if l.Invoices[i].SettledDate.IsZero() {
			s.Open++
		}
	}
	if !b.Customer.DefaultDate.IsZero() {
		s.Defaults++
	}
}

// InvoicesPerCustomerMonth is the expected number of invoices a customer
// produces per month of a period of the given length, about 5 for a year.
// It accounts for the segment mix and for customers who join during the
// period; defaults, which stop a few cash-strapped customers early, are
// ignored, so the figure is a percent or two high.
func InvoicesPerCustomerMonth(months int) float64 {
	if months <= 0 {
		return 0
	}
	rate := 0.0
	for _, s := range segments {
		shareCash := behaviours[cashStrapped].share
		rate += ((1-shareCash)*s.share + shareCash*s.shareCash) * s.rate
	}
	// A joiner's start is uniform over the period less its last month, so
	// it is active for (T+30)/2 days on average.
	days := float64(months) * daysPerMonth
	joinerActive := math.Min(1, (days+30)/(2*days))
	return rate * (1 - pJoinsDuringPeriod + pJoinsDuringPeriod*joinerActive)
}

// CustomersFor returns how many customers to simulate over months to get
// about the given number of invoices, e.g. CustomersFor(1_000_000, 12).
func CustomersFor(invoices, months int) int {
	per := InvoicesPerCustomerMonth(months) * float64(months)
	if invoices <= 0 || per <= 0 {
		return 1
	}
	return max(1, int(math.Ceil(float64(invoices)/per)))
}

const daysPerMonth = 365.2425 / 12
