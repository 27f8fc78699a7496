// Package datasets holds dsopilot's receivables ledger: the domain types
// (customers, invoices, payments, credit notes, disputes, dunning actions,
// promises to pay, credit-limit decisions and credit-information reports),
// the Store interface that the ClickHouse and embedded stores implement, and
// each entity's Schema: its fields, their file columns, kinds, store columns
// and rules, written once (entities.go) and used by the CSV writer, the
// importer and both stores.
//
// Money is kept in minor units (Money, an int64 of cents) and dates as whole
// days (Date); neither is ever a float in storage.
package datasets

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Sentinel errors shared by the stores and importers.
var (
	// ErrNotFound is returned when a requested entity does not exist.
	ErrNotFound = errors.New("not found")
	// ErrInvalid marks a record that fails validation.
	ErrInvalid = errors.New("invalid record")
	// ErrSchema marks a store whose schema is missing or newer than this build.
	ErrSchema = errors.New("schema mismatch")
	// ErrOverflow means a sum of money does not fit a Money.
	ErrOverflow = errors.New("money sum overflows")
	// ErrConflict means a conditional write lost: what it depended on
	// changed (a credit proposal already decided).
	ErrConflict = errors.New("conflict")
	// ErrTermsTwoWays marks payment terms with days and an end of month
	// but no "after" ("60 jours fin de mois"): they read two ways.
	ErrTermsTwoWays = errors.New("days and the end of the month without \"after\" read two ways")
)

// Date is a calendar day counted from 1970-01-01 (day 0). The zero value means
// "no date": 1970-01-01 itself cannot be stored, which costs nothing because
// ClickHouse's Date type starts there and no receivables ledger does.
type Date int32

// Bounds of a storable date: ClickHouse's Date covers 1970-01-01..2149-06-06.
const (
	MinDate Date = 1
	MaxDate Date = 65535
)

// DateOf returns the Date of t's calendar day in t's location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// NewDate returns the Date for a calendar day.
func NewDate(year int, month time.Month, day int) Date {
	return Date(time.Date(year, month, day, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// ParseDate parses an ISO date (2006-01-02).
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return 0, fmt.Errorf("parse date %q: want YYYY-MM-DD", s)
	}
	d := DateOf(t)
	if d < MinDate || d > MaxDate {
		return 0, fmt.Errorf("date %s outside 1970-01-02..2149-06-06", s)
	}
	return d, nil
}

// IsZero reports whether d is unset.
func (d Date) IsZero() bool { return d == 0 }

// Time returns midnight UTC of d.
func (d Date) Time() time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

// String formats d as YYYY-MM-DD, or "" when unset.
func (d Date) String() string {
	if d == 0 {
		return ""
	}
	return d.Time().Format(time.DateOnly)
}

// MarshalText formats d as YYYY-MM-DD, or empty when unset, so that JSON
// shows dates as credit managers read them.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText parses YYYY-MM-DD; empty text is the unset date.
func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = 0
		return nil
	}
	v, ok := ParseISO(string(b))
	if !ok {
		return fmt.Errorf("date %q: want YYYY-MM-DD", b)
	}
	*d = v
	return nil
}

// AddDays returns d moved by n days.
func (d Date) AddDays(n int) Date { return d + Date(n) }

// Money is an amount in minor units (hundredths of the currency unit).
// Currencies without minor units simply carry two zero decimals.
type Money int64

// MoneyScale is the number of decimals Money keeps.
const MoneyScale = 2

// MaxAmount bounds the amount of one record that importers accept: 10
// trillion currency units less a cent, more than any invoice in any
// currency (10 trillion dong is about 400 million US dollars) and 10,000
// times less than Decimal(18, 2) holds. Any 9,223 amounts within it add
// up without overflowing a Money; sums over more records use MoneySum.
const MaxAmount Money = 1_000_000_000_000_000 - 1

// ParseMoney parses a plain decimal amount: an optional sign, digits, and
// an optional dot with up to two decimals ("1234.5", "-12.30", "+7"); more
// decimals only when they are zeros ("12.500"). Anything else (exponents,
// hexadecimal, grouping, a third significant decimal) is an error, and so is
// an amount that does not fit a Money. Importers read the spellings of
// exports (grouping, decimal commas) themselves and bound amounts by
// MaxAmount.
func ParseMoney(s string) (Money, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errors.New("empty amount")
	}
	body := s
	neg := false
	switch body[0] {
	case '-':
		neg, body = true, body[1:]
	case '+':
		body = body[1:]
	}
	intPart, frac, _ := strings.Cut(body, ".")
	if intPart == "" && frac == "" || !allDigits(intPart) || !allDigits(frac) {
		return 0, fmt.Errorf("amount %q is not a plain decimal", s)
	}
	if len(frac) > MoneyScale {
		if strings.Trim(frac[MoneyScale:], "0") != "" {
			return 0, fmt.Errorf("amount %q has more than %d decimals", s, MoneyScale)
		}
		frac = frac[:MoneyScale]
	}
	for len(frac) < MoneyScale {
		frac += "0"
	}
	intPart = strings.TrimLeft(intPart, "0")
	if len(intPart) > 17 {
		return 0, fmt.Errorf("amount %q is too large", s)
	}
	v, err := strconv.ParseUint(intPart+frac, 10, 64)
	if err != nil || v > math.MaxInt64 {
		return 0, fmt.Errorf("amount %q is too large", s)
	}
	if neg {
		return Money(-int64(v)), nil
	}
	return Money(v), nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Add returns m+n, and false when the sum does not fit a Money.
func (m Money) Add(n Money) (Money, bool) {
	s := m + n
	// Overflow when both have the same sign and the sum's differs.
	if (m > 0 && n > 0 && s < 0) || (m < 0 && n < 0 && s >= 0) {
		return 0, false
	}
	return s, true
}

// MoneySum adds amounts exactly and remembers an overflow instead of
// wrapping around: ten amounts of 9,999,999,999,999,999.99 do not sum to a
// negative total. The zero value is an empty sum.
type MoneySum struct {
	total    Money
	overflow bool
}

// Add adds m to the sum.
func (s *MoneySum) Add(m Money) {
	if s.overflow {
		return
	}
	if t, ok := s.total.Add(m); ok {
		s.total = t
	} else {
		s.overflow = true
	}
}

// Total is the sum, or ErrOverflow when it does not fit a Money.
func (s MoneySum) Total() (Money, error) {
	if s.overflow {
		return 0, ErrOverflow
	}
	return s.total, nil
}

// String formats m with two decimals.
func (m Money) String() string {
	v := int64(m)
	sign := ""
	if v < 0 {
		sign, v = "-", -v
	}
	return fmt.Sprintf("%s%d.%02d", sign, v/100, v%100)
}

// Float returns m in currency units; for model inputs only, never for storage.
func (m Money) Float() float64 { return float64(m) / 100 }

// Terms are payment terms: net Days after the issue date, or, with EOM, Days
// after the end of the issue month.
type Terms struct {
	Days int
	EOM  bool
}

// ParseTerms reads "NET30", "net 45", "30", "EOM30" or "EOM+30", and
// terms written in words, in English, German, Dutch or French: "Net 30",
// "30 Tage netto", "14 dagen", "30 Tage nach Monatsende" (EOM30),
// "sofort" (NET0); see writtenterms.go for what is refused as ambiguous.
func ParseTerms(s string) (Terms, error) { return parseTerms(s, false) }

// ParseTermsEOMAfter reads s as ParseTerms does, except that days with an
// end of the month but no "after" ("30 days end of month", "Net 30 EOM",
// "30 jours fin de mois"), which ParseTerms refuses as readable two ways
// (ErrTermsTwoWays), are read as days after the end of the issue month
// (EOM30): the common reading in the UK and the US, which the user states
// (the importer's --eom-after).
func ParseTermsEOMAfter(s string) (Terms, error) { return parseTerms(s, true) }

func parseTerms(s string, eomAfter bool) (Terms, error) {
	u := strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), " ", ""))
	var t Terms
	switch {
	case strings.HasPrefix(u, "EOM"):
		t.EOM = true
		u = strings.TrimPrefix(strings.TrimPrefix(u, "EOM"), "+")
	case strings.HasPrefix(u, "NET"):
		u = strings.TrimPrefix(u, "NET")
	}
	if u == "" && t.EOM {
		return t, nil
	}
	n, err := strconv.Atoi(u)
	if err != nil {
		return parseWrittenTerms(s, eomAfter)
	}
	if n < 0 || n > 365 {
		return Terms{}, fmt.Errorf("payment terms %q: days are a number from 0 to 365; want %s", s, TermsForms)
	}
	t.Days = n
	return t, nil
}

// String formats t canonically (NET30, EOM30).
func (t Terms) String() string {
	if t.EOM {
		return "EOM" + strconv.Itoa(t.Days)
	}
	return "NET" + strconv.Itoa(t.Days)
}

// DueDate returns the due date of an invoice issued on issue under t.
func (t Terms) DueDate(issue Date) Date {
	if !t.EOM {
		return issue.AddDays(t.Days)
	}
	y, m, _ := issue.Time().Date()
	eom := NewDate(y, m+1, 1) - 1
	return eom.AddDays(t.Days)
}

// Customer is a buyer on credit.
type Customer struct {
	ID          string
	Name        string
	Segment     string // e.g. enterprise, mid_market, small_business, public_sector
	Country     string // ISO 3166-1 alpha-2
	Currency    string // ISO 4217
	CreditLimit Money
	Terms       Terms
	Channel     string // delivery / sales channel
	Since       Date   // start of the relationship; zero when unknown
	// Collector is the person or team that works the account; empty when
	// the ledger does not say. The recommender's agendas are per collector.
	Collector string
	// CreditLimitBlank says the customer file left credit_limit empty: no
	// limit is recorded, which is not a limit of 0 (no credit). CreditLimit
	// is then 0. A credit decision sets a limit and clears it.
	CreditLimitBlank bool
}

// FromMaster says whether c carries what only a customers file gives (a
// name, payment terms, a start date or a collector): a customer the
// importer derived from invoices holds only what an invoice row says. The
// credit limit does not tell, as the credit workflow sets limits on
// derived customers too.
func (c *Customer) FromMaster() bool {
	return c.Name != "" || c.Terms != (Terms{}) || c.Since != 0 || c.Collector != ""
}

// Invoice is an open or settled receivable. SettledDate is set when the
// ledger export says the item is cleared (a cleared-items export gives it
// directly; otherwise it is derived from payments).
type Invoice struct {
	ID          string
	CustomerID  string
	IssueDate   Date
	DueDate     Date
	Amount      Money
	Currency    string
	SettledDate Date
	Disputed    bool
	Country     string
	Segment     string
	Channel     string
}

// Payment is cash received. InvoiceID is empty for unallocated cash; partial
// payments are ordinary.
type Payment struct {
	ID         string
	CustomerID string
	InvoiceID  string
	Date       Date
	Amount     Money
	Currency   string
}

// Credit-note kinds.
const (
	KindCreditNote = "credit_note"
	KindWriteOff   = "write_off"
)

// CreditNote reduces what a customer owes: a commercial credit note or a
// bad-debt write-off (Kind).
type CreditNote struct {
	ID         string
	CustomerID string
	InvoiceID  string
	Date       Date
	Amount     Money
	Kind       string
	Reason     string
}

// Dispute is a contested invoice. Payment of the disputed amount is usually
// held until it is resolved. Resolved is zero while it is open.
type Dispute struct {
	ID         string
	CustomerID string
	InvoiceID  string
	Opened     Date
	Resolved   Date
	Reason     string // price, short_delivery, quality, duplicate, other
	Amount     Money
	Outcome    string // credited, rejected, withdrawn; empty while open
}

// Action is a dunning action taken on a customer or one invoice.
type Action struct {
	ID         string
	CustomerID string
	InvoiceID  string
	Date       Date
	Type       string // courtesy_reminder, reminder, call, final_notice, credit_hold, collection_agency
	Channel    string // email, phone, letter, portal
	Outcome    string // no_response, promise, paid, dispute, contact_failed
	// Policy names what chose the action: empty or "manual" for a person,
	// "scenario" for the fixed dunning scenario, "recommender", or
	// "holdout" for a randomised alternative kept to measure effects.
	Policy string
	// Propensity is the probability with which the policy chose this
	// action, recorded when the choice was randomised; 0 means unknown (an
	// action that was taken cannot have had probability 0).
	Propensity float64
}

// ActionWait is the type of an action row that records a decision to
// contact no one (a randomised holdout that chose to wait): it is kept so
// that the effect of waiting can be measured, but it is no dunning action,
// and features do not count it as one.
const ActionWait = "wait"

// Promise-to-pay states.
const (
	PromiseOpen   = "open"
	PromiseKept   = "kept"
	PromiseBroken = "broken"
)

// Promise is a customer's promise to pay an amount by a date.
type Promise struct {
	ID           string
	CustomerID   string
	InvoiceID    string
	Made         Date
	PromisedDate Date
	Amount       Money
	Status       string // open, kept, broken
}

// CreditDecision records a change of a customer's credit limit.
type CreditDecision struct {
	ID         string
	CustomerID string
	Date       Date
	OldLimit   Money
	NewLimit   Money
	Reason     string
	DecidedBy  string
	// OldLimitBlank says no limit was recorded before the decision (the
	// customer master's credit_limit was blank, Customer.CreditLimitBlank):
	// OldLimit is then 0 and means nothing. The decision clears the
	// master's flag, so only this keeps the blank for the days before it.
	// False in decisions stored before it was kept: their old limit reads
	// as recorded.
	OldLimitBlank bool
}

// Financial is what a credit-information provider reported about a
// customer on Date: its tangible net worth and turnover from the latest
// accounts, the provider's rating class and, when it gives one, its score.
// Date is the day the report was issued, so that a feature as of t sees
// only the reports issued by t.
//
// ID is the export's own id when it has one, else derived from the customer,
// the date and the source (see FinancialID): one report per customer, day
// and provider.
type Financial struct {
	ID               string
	CustomerID       string
	Date             Date
	TangibleNetWorth Money // may be negative
	Turnover         Money
	Rating           string // the provider's rating class, as written (e.g. "A", "3", "BB+")
	Score            float64
	HasScore         bool   // Score is set: a provider's score may well be 0
	Source           string // the provider
}

// FinancialID is the natural id of a provider's report on customer as of
// date when the export has none: customer|date|source.
func FinancialID(customer string, date Date, source string) string {
	return customer + "|" + date.String() + "|" + source
}

// Ledger is a set of records of every kind. It is both a batch to write and
// the result of reading a store.
type Ledger struct {
	Customers       []Customer
	Invoices        []Invoice
	Payments        []Payment
	CreditNotes     []CreditNote
	Disputes        []Dispute
	Actions         []Action
	Promises        []Promise
	CreditDecisions []CreditDecision
	Financials      []Financial
}

// Len is the number of records in l.
func (l *Ledger) Len() int {
	return len(l.Customers) + len(l.Invoices) + len(l.Payments) + len(l.CreditNotes) +
		len(l.Disputes) + len(l.Actions) + len(l.Promises) + len(l.CreditDecisions) + len(l.Financials)
}

// Counts holds the number of distinct records of each entity in a store.
type Counts struct {
	Customers       uint64 `json:"customers"`
	Invoices        uint64 `json:"invoices"`
	Payments        uint64 `json:"payments"`
	CreditNotes     uint64 `json:"credit_notes"`
	Disputes        uint64 `json:"disputes"`
	Actions         uint64 `json:"actions"`
	Promises        uint64 `json:"promises"`
	CreditDecisions uint64 `json:"credit_decisions"`
	Financials      uint64 `json:"financials"`
}

// Counts returns the record counts of l (not deduplicated).
func (l *Ledger) Counts() Counts {
	return Counts{
		Customers: uint64(len(l.Customers)), Invoices: uint64(len(l.Invoices)),
		Payments: uint64(len(l.Payments)), CreditNotes: uint64(len(l.CreditNotes)),
		Disputes: uint64(len(l.Disputes)), Actions: uint64(len(l.Actions)),
		Promises: uint64(len(l.Promises)), CreditDecisions: uint64(len(l.CreditDecisions)),
		Financials: uint64(len(l.Financials)),
	}
}

// daysFromCivil counts days from 1970-01-01 to y-m-d in the proleptic
// Gregorian calendar (the era-based algorithm: 400-year cycles of 146097 days).
func daysFromCivil(y, m, d int) int {
	if m <= 2 {
		y--
	}
	era := y / 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// ParseISO reads exactly YYYY-MM-DD without allocating; ok is false for
// anything else, including impossible days and dates outside MinDate..MaxDate.
// Importers call it first and fall back to general parsing.
func ParseISO(s string) (Date, bool) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return 0, false
	}
	num := func(b string) (int, bool) {
		n := 0
		for i := 0; i < len(b); i++ {
			c := b[i]
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	y, ok1 := num(s[:4])
	m, ok2 := num(s[5:7])
	d, ok3 := num(s[8:])
	if !ok1 || !ok2 || !ok3 || m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
		return 0, false
	}
	v := Date(daysFromCivil(y, m, d))
	if v < MinDate || v > MaxDate {
		return 0, false
	}
	return v, true
}

// StaleAfterDays is how long after the ledger's latest record (LastDay) an
// as-of date may be before answers as of it are suspect: a daily export is
// a day or a long weekend behind; a month-old one is a forgotten --as-of.
const StaleAfterDays = 7

// LastDay is the day of l's latest receivables record: an invoice issued
// or settled, a payment, a credit note, a dispute opened or resolved, or a
// promise made (due and promised dates, which lie ahead, do not count).
// Zero for an empty ledger. It is what tells how recent the receivables
// data is (StaleAfterDays), so it leaves out what says nothing about
// what was owed or paid: dunning actions, credit decisions and credit
// reports, which dsopilot itself records today (the recommender's and the
// API's actions, an approval in the credit workflow) on a ledger whose
// invoices may end years before. The same records as Store.Span's on
// ClickHouse and the cash forecast's history.
func (l *Ledger) LastDay() Date {
	var d Date
	for i := range l.Invoices {
		d = max(d, l.Invoices[i].IssueDate, l.Invoices[i].SettledDate)
	}
	for i := range l.Payments {
		d = max(d, l.Payments[i].Date)
	}
	for i := range l.CreditNotes {
		d = max(d, l.CreditNotes[i].Date)
	}
	for i := range l.Disputes {
		d = max(d, l.Disputes[i].Opened, l.Disputes[i].Resolved)
	}
	for i := range l.Promises {
		d = max(d, l.Promises[i].Made)
	}
	return d
}
